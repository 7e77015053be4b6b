"""Counter-based random numbers for the simulation loop, and Poisson counts from them.

Every random number of a run is a pure function of (key, global step, stream id), where the stream id
is a global connection id: splitting a run, resuming it from a checkpoint or sharding it gives the same
bits. The mixing function is a 32-bit integer hash (the finaliser of MurmurHash3 / "lowbias32",
chained three times over key words, step and id): about 20 times cheaper than threefry on a CPU, and
plenty for drawing Poisson input. Construction-time randomness (random parameters, connection rules)
uses ``jax.random`` with threefry keys.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

U32 = jnp.uint32


def _mix(x):
    x = x ^ (x >> 16)
    x = x * U32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * U32(0x846CA68B)
    return x ^ (x >> 16)


def key_words(key) -> jax.Array:
    """Two uint32 words from a JAX key (typed or legacy) or an integer seed."""
    if isinstance(key, (int, np.integer)):
        key = jax.random.key(int(key))
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    return jnp.asarray(key, U32).reshape(-1)[:2]


def bits(words, step, ids):
    """uint32 hash of (key words, step, ids) for an array of stream ids."""
    h = _mix(U32(step) ^ words[0])
    h = _mix(h ^ (ids.astype(U32) * U32(0x9E3779B9)) ^ words[1])
    return _mix(h + ids.astype(U32))


def poisson_survival(mu, n_terms: int):
    """P(N > k) for k = 0..n_terms-1, N ~ Poisson(mu), accurate in the tail (summed from the top)."""
    return poisson_table(mu, n_terms)[0]


def poisson_table(mu, n_terms: int):
    """(:func:`poisson_survival`, whether it covers ``mu``): the table is exact up to the 2**-32 resolution of
    the draws only if its last term is below 2**-32 and the terms it sums hold the whole distribution. A
    mean far beyond the one the table was sized for fails the second test only: every term underflows to
    0, so every draw would be 0 with a last term that looks fine. Negative or NaN means are not covered."""
    k = jnp.arange(2 * n_terms + 8, dtype=mu.dtype)
    log_pmf = k * jnp.log(jnp.maximum(mu, jnp.finfo(mu.dtype).tiny)) - mu - jax.scipy.special.gammaln(k + 1)
    pmf = jnp.where(mu > 0, jnp.exp(log_pmf), (k == 0).astype(mu.dtype))
    tail = jnp.cumsum(pmf[::-1])[::-1]  # tail[k] = P(N >= k); tail[0] = 1 when the terms hold it all
    survival = tail[1:n_terms + 1]
    # a mass missing from the summed terms is either mostly beyond them (tail[0] short) or partly within
    # [n_terms, 2 n_terms + 8) (the last term too large), since a Poisson distribution is unimodal
    covered = (mu >= 0) & (tail[0] >= 0.75) & (survival[-1] < 2.0 ** -32)
    return survival, covered


def poisson_counts(u_bits, survival):
    """Inverse-CDF Poisson draw: N = #{k : u < P(N > k)} with u = bits / 2**32 uniform on [0, 1).

    Exact up to the 2**-32 resolution of ``u`` as long as ``survival[-1] < 2**-32`` (checked by the
    caller with :func:`n_terms_for`).
    """
    u = u_bits.astype(survival.dtype) * (1.0 / 4294967296.0)
    # one comparison per term: XLA's CPU reduction over the short last axis took a third longer
    return sum((u < survival[..., k]).astype(jnp.int32) for k in range(survival.shape[-1]))


MAX_POISSON_TERMS = 2048  # survival terms a compiled network may use (one comparison each per draw)
_LOG_EPS = math.log(2.0 ** -33)  # the tail bound the terms must reach (half the 2**-32 that is checked)


@functools.lru_cache(maxsize=4096)  # create checks it per generator
def n_terms_for(mu_max: float) -> int:
    """Number of survival terms n so that P(N >= n) < 2**-33 for every mean up to ``mu_max``.

    Where the direct sum from exp(-mu) gives enough terms it is kept (so the term count, and with it
    every Poisson stream, stays what it always was); where exp(-mu) underflows (mu above ~745) or the
    sum falls short, the count comes from a log-space tail bound instead.
    """
    if not (math.isfinite(mu_max) and mu_max >= 0):
        raise ValueError(f"n_terms_for: mu_max={mu_max!r} must be a finite mean >= 0")
    if math.exp(-mu_max) > 0.0:
        n = _n_terms_direct(mu_max)
        if _log_tail(mu_max, n) < math.log(2.0 ** -32):
            return n
    return _n_terms_log(mu_max)


def _n_terms_direct(mu_max: float) -> int:
    n, pmf, cdf = 0, math.exp(-mu_max), 0.0
    while True:
        cdf += pmf
        n += 1
        pmf *= mu_max / n
        tail = 1.0 - cdf
        if tail < 2.0 ** -33 or (pmf < 2.0 ** -60 and n > mu_max):
            return max(n, 1)


def _log_pmf(mu: float, k: int) -> float:
    return (k * math.log(mu) if mu > 0 else (0.0 if k == 0 else -math.inf)) - mu - math.lgamma(k + 1)


def _log_tail(mu: float, n: int) -> float:
    """log P(N >= n), summed in log space from n upwards until the terms no longer count."""
    first = _log_pmf(mu, n)
    if first == -math.inf:
        return -math.inf
    total, k = 0.0, n
    while True:
        k += 1
        d = _log_pmf(mu, k) - first
        total += math.exp(d)
        if k > mu and d < -40.0:
            return first + math.log1p(total)


def _n_terms_log(mu: float) -> int:
    """Smallest n > mu with the bound P(N >= n) <= pmf(n) (n + 1) / (n + 1 - mu) below 2**-33
    (the bound decreases in n beyond mu, so a bisection finds it)."""
    def ok(n):
        return _log_pmf(mu, n) + math.log((n + 1) / (n + 1 - mu)) < _LOG_EPS

    lo, hi = math.floor(mu) + 1, math.floor(mu) + 2
    while not ok(hi):
        lo, hi = hi, hi + 2 * (hi - lo) + int(math.sqrt(mu)) + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi if not ok(lo) else lo
