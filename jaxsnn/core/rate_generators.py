"""Spike counts of NEST's rate-modulated and correlated Poisson generators, from counter-based random bits.

Every count is a pure function of (key, global step, stream id) (:func:`jaxsnn.core.rng.bits`), so split,
resumed and sharded runs draw the same numbers; the streams are NEST's: a connection's (an *individual*
train per target) or the generator's (a *shared* train). The processes, per step k of h ms:

``sinusoidal_poisson_generator``: n ~ Poisson(r_k h) with r_k = max(rate + y₁(k), 0) (1/ms) from NEST's
oscillator (:func:`jaxsnn.core.oscillator.sinusoidal_rate`); one count per connection
(``individual_spike_trains``, the default) or one per generator, sent to all its targets.

``inhomogeneous_poisson_generator``: n ~ Poisson(r_k h) per connection, r_k the value of the last
``rate_times`` entry t_i with t_i / h ≤ k + 1 (NEST switches the rate one step before t_i), 0 before the first.

``mip_generator``: a mother count m ~ Poisson(rate · h) per generator (shared by all targets), and per
target n ~ Binomial(m, p_copy) (each mother spike copied independently): the targets' trains are Poisson
with rate · p_copy and pairwise correlation p_copy.

(Not yet here: sinusoidal_gamma_generator's hazard process, gamma_sup_generator and ppd_sup_generator,
whose superpositions carry state per target.)
"""
from __future__ import annotations

import jax.numpy as jnp

from . import rng

MIP_COPY_STREAM = 0x3C0FFEE0  # offsets the streams of mip_generator's copy decisions


def uniform(u_bits, dtype):
    """u in [0, 1) from 32 random bits."""
    return u_bits.astype(dtype) * (1.0 / 4294967296.0)


def poisson_counts(u_bits, mu, n_terms: int):
    """Inverse-CDF Poisson counts for means ``mu`` that change from draw to draw (same shape as ``u_bits``):
    N = #{j < n_terms : u ≥ F(j)}, F the CDF summed from P(0) = e^{−μ} upwards; exact up to the 2⁻³² grid of u
    while P(N ≥ n_terms) is below it (:func:`jaxsnn.core.rng.n_terms_for` of the largest mean)."""
    u = uniform(u_bits, mu.dtype)
    p = jnp.exp(-mu)
    F = p
    n = (u >= F).astype(jnp.int32)
    for j in range(1, n_terms):
        p = p * mu / j
        F = F + p
        n = n + (u >= F).astype(jnp.int32)
    return n


def sinusoidal_poisson(key, steps, streams, rate_hz, h, n_terms):
    """Counts [steps, streams] for the rate (Hz) of each step ``rate_hz`` ([steps]); ``streams``: connection
    ids (individual trains) or the generator's id once (shared train, broadcast by the caller)."""
    mu = (rate_hz / 1000.0 * h)[:, None]
    return poisson_counts(rng.bits(key, steps[:, None], streams[None, :]), jnp.broadcast_to(
        mu, (steps.shape[0], streams.shape[0])), n_terms)


def inhomogeneous_rate(rate_steps, rate_values, steps):
    """The rate (Hz) in each of ``steps``: the last entry with rate_steps ≤ step + 1, 0 before the first."""
    i = jnp.searchsorted(rate_steps, steps + 1, side="right") - 1
    return jnp.where(i >= 0, rate_values[jnp.maximum(i, 0)], 0.0)


def mip(key, steps, generator, targets, rate_hz, p_copy, h, n_terms):
    """(mother counts [steps], counts [steps, targets]): the mother count (stream ``generator``) thinned per
    target (streams from ``targets`` offset by :data:`MIP_COPY_STREAM`, one draw per mother spike; a mother
    count is below ``n_terms`` by construction, so every mother spike gets its draw)."""
    max_mother = n_terms
    mu = jnp.full((steps.shape[0],), rate_hz / 1000.0 * h)
    mother = poisson_counts(rng.bits(key, steps, jnp.full_like(steps, generator)), mu, n_terms)  # [steps]
    n = jnp.zeros((steps.shape[0], targets.shape[0]), jnp.int32)
    for i in range(max_mother):
        ids = (targets[None, :] * max_mother + i) + MIP_COPY_STREAM
        kept = uniform(rng.bits(key, steps[:, None], ids), mu.dtype) < p_copy
        n = n + (kept & (i < mother[:, None])).astype(jnp.int32)
    return mother, n
