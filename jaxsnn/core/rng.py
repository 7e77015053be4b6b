"""Counter-based random numbers for the simulation loop, and Poisson counts from them.

Every random number of a run is a pure function of (key, global step, stream id), where the stream id
is a global connection id: splitting a run, resuming it from a checkpoint or sharding it gives the same
bits. The mixing function is a 32-bit integer hash (the finaliser of MurmurHash3 / "lowbias32",
chained three times over key words, step and id): about 20 times cheaper than threefry on a CPU, and
plenty for drawing Poisson input. Construction-time randomness (random parameters, connection rules)
uses ``jax.random`` with threefry keys.
"""
from __future__ import annotations

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
    k = jnp.arange(2 * n_terms + 8, dtype=mu.dtype)
    log_pmf = k * jnp.log(jnp.maximum(mu, jnp.finfo(mu.dtype).tiny)) - mu - jax.scipy.special.gammaln(k + 1)
    pmf = jnp.where(mu > 0, jnp.exp(log_pmf), (k == 0).astype(mu.dtype))
    tail = jnp.cumsum(pmf[::-1])[::-1]  # tail[k] = P(N >= k)
    return tail[1:n_terms + 1]


def poisson_counts(u_bits, survival):
    """Inverse-CDF Poisson draw: N = #{k : u < P(N > k)} with u = bits / 2**32 uniform on [0, 1).

    Exact up to the 2**-32 resolution of ``u`` as long as ``survival[-1] < 2**-32`` (checked by the
    caller with :func:`n_terms_for`).
    """
    u = u_bits.astype(survival.dtype) * (1.0 / 4294967296.0)
    # one comparison per term: XLA's CPU reduction over the short last axis took a third longer
    return sum((u < survival[..., k]).astype(jnp.int32) for k in range(survival.shape[-1]))


def n_terms_for(mu_max: float) -> int:
    """Number of survival terms so that P(N > n) < 2**-32 for every mean up to ``mu_max``."""
    n, pmf, cdf = 0, math.exp(-mu_max), 0.0
    while True:
        cdf += pmf
        n += 1
        pmf *= mu_max / n
        tail = 1.0 - cdf
        if tail < 2.0 ** -33 or (pmf < 2.0 ** -60 and n > mu_max):
            return max(n, 1)
