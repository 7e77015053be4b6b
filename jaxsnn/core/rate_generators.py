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

``sinusoidal_gamma_generator``: a gamma process of order a with rate r(t) = rate + A sin(ωt + φ) (1/ms,
t = (k + 1) h), by time rescaling: with Λ the integrated rate a ∫ r since the train's last spike t₀,

    Λ(t₀, t) = a rate (t − t₀) − a A/ω (cos(ωt + φ) − cos(ωt₀ + φ)),
    P(spike in step k) = h a r_k Λ^{a−1} e^{−Λ} / Γ(a, Λ)          (Γ(a, ·): the upper incomplete gamma)

one uniform per train and step; a spike sets t₀ = t_k, Λ₀ = 0 (NEST's hazard_ and event_hook). State per
train: t₀ and Λ₀ (both 0 at the start of a run from t = 0).

``gamma_sup_generator``: per target, the superposition of n_proc gamma processes of integer shape k, each
a cycle through k stages advancing with probability p = rate k h / 1000 per step; a process leaving the last
stage is a spike (and starts again at stage 0). NEST keeps the occupation numbers of the stages and draws
binomial transitions; here each process is followed on its own (one uniform per process, target and step:
the same distribution). Initially n_proc // k processes are in each stage and the rest in the last.

``ppd_sup_generator``: per target, the superposition of n_proc Poisson processes with dead time d (PPD):
an active process spikes with probability p_k = h / (1000/rate − d) · (1 + A sin(ω k h)) in step k, then
is dead for B = ⌊d / h⌋ steps. NEST keeps an age histogram and draws binomially; here each process is
followed on its own (one uniform per process, target and step). Initially ⌊rate/1000 · n_proc · h⌋
processes sit in each of the B dead bins (released after 1..B steps) and the rest are active.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

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


def gamma_lambda(order, rate, amplitude, omega, phase, t_a, t_b):
    """NEST's deltaLambda_: the integrated rate a ∫ r from t_a to t_b (ms; rates in 1/ms)."""
    d = order * rate * (t_b - t_a)
    if amplitude != 0 and omega != 0:
        d = d + -order * amplitude / omega * (jnp.cos(omega * t_b + phase) - jnp.cos(omega * t_a + phase))
    return jnp.where(t_a == t_b, 0.0, d)


def sinusoidal_gamma(key, n_steps: int, streams, rate_hz, amplitude_hz, frequency, phase_deg, order, h, tics):
    """Spikes (0/1) [n_steps, streams] of independent trains (``streams``: connection ids, or the generator's
    id for a shared train), steps 0..n_steps-1 of a run from t = 0."""
    rate, amp = rate_hz / 1000.0, amplitude_hz / 1000.0
    omega, phase = frequency * (2.0 * jnp.pi / 1000.0), phase_deg * (jnp.pi / 180.0)
    log_gamma_a = jax.scipy.special.gammaln(order)
    streams = jnp.asarray(streams)

    def one(carry, k):
        t0, L0 = carry
        t = 0.001 * ((k + 1) * tics)
        r = rate + amp * jnp.sin(omega * t + phase)
        L = L0 + gamma_lambda(order, rate, amp, omega, phase, t0, t)
        Lp = jnp.maximum(L, 1e-300)
        log_h = (jnp.log(h * order * jnp.maximum(r, 1e-300)) + (order - 1) * jnp.log(Lp) - Lp
                 - jnp.log(jax.scipy.special.gammaincc(order, Lp)) - log_gamma_a)
        hazard = jnp.where((L > 0) & (r > 0), jnp.exp(log_h), 0.0)
        u = uniform(rng.bits(key, k, streams), hazard.dtype)
        spike = (r > 0) & (u < hazard)
        return (jnp.where(spike, t, t0), jnp.where(spike, 0.0, L0)), spike.astype(jnp.int32)

    dtype = jnp.result_type(float)
    init = (jnp.zeros(streams.shape, dtype), jnp.zeros(streams.shape, dtype))
    _, spikes = lax.scan(one, init, jnp.arange(n_steps))
    return spikes


GAMMA_SUP_STREAM = 0x6A3A5000


def gamma_sup(key, n_steps: int, targets, rate_hz, gamma_shape: int, n_proc: int, h):
    """Spike counts [n_steps, targets] of gamma_sup_generator (``targets``: the connections' stream ids)."""
    targets = jnp.asarray(targets)
    p = rate_hz * gamma_shape * h / 1000.0
    per_stage = n_proc // gamma_shape
    stage0 = jnp.minimum(jnp.arange(n_proc) // max(per_stage, 1), gamma_shape - 1) if per_stage else \
        jnp.full(n_proc, gamma_shape - 1)
    ids = targets[:, None] * n_proc + jnp.arange(n_proc)[None, :] + GAMMA_SUP_STREAM  # [targets, procs]

    def one(stage, k):
        move = uniform(rng.bits(key, k, ids), jnp.result_type(float)) < p
        spike = move & (stage == gamma_shape - 1)
        stage = jnp.where(move, (stage + 1) % gamma_shape, stage)
        return stage, jnp.sum(spike, axis=1).astype(jnp.int32)

    _, counts = lax.scan(one, jnp.broadcast_to(stage0, ids.shape), jnp.arange(n_steps))
    return counts


PPD_SUP_STREAM = 0x7D5B0000


def ppd_sup(key, n_steps: int, targets, rate_hz, dead_time, n_proc: int, frequency, relative_amplitude, h):
    """Spike counts [n_steps, targets] of ppd_sup_generator (``targets``: the connections' stream ids)."""
    targets = jnp.asarray(targets)
    B = int(dead_time / h)
    hazard = 1.0 / (1000.0 / rate_hz - dead_time) * h
    omega = 2.0 * jnp.pi * frequency / 1000.0
    per_bin = int(rate_hz / 1000.0 * n_proc * h) if B else 0
    proc = jnp.arange(n_proc)
    dead0 = jnp.where(proc < per_bin * B, proc // max(per_bin, 1) + 1, 0)  # steps until active
    ids = targets[:, None] * n_proc + proc[None, :] + PPD_SUP_STREAM

    def one(dead, k):
        p = hazard * (1.0 + relative_amplitude * jnp.sin(omega * (0.001 * (k * round(h * 1000)))))
        if relative_amplitude <= 0.0 or frequency == 0.0:
            p = jnp.full((), hazard)
        spike = (dead == 0) & (uniform(rng.bits(key, k, ids), jnp.result_type(float)) < p)
        dead = jnp.where(spike, B, jnp.maximum(dead - 1, 0))
        return dead, jnp.sum(spike, axis=1).astype(jnp.int32)

    _, counts = lax.scan(one, jnp.broadcast_to(dead0, ids.shape), jnp.arange(n_steps))
    return counts
