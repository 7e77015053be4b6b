"""Generators: the input that spike_generator and poisson_generator push into the ring each slice.

Both push at the start of a slice what they emit during it. A generator's delay is never shorter than
a slice, so the pushes land after the slice, in the order of pushing them per step (deliveries from
earlier slices, then the generators: NEST's summation order).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from . import rng
from .status import Overflow, flag
from .types import BY_SIGN, COUNTS


def ring_add(ring, rows, targets, values):
    """``ring.at[rows, targets].add(values)``; rows past the ring are dropped. Indexed flat: a 2-D index
    costs XLA a separate pass to build."""
    if ring.size >= 2**31:  # flat indices would overflow int32
        return ring.at[rows, targets].add(values, mode="drop")
    flat = jnp.where(rows < ring.shape[0], rows * ring.shape[1] + targets, ring.size)
    return ring.reshape(-1).at[flat].add(values, mode="drop").reshape(ring.shape)


def ring_add_routed(spec, route, ring, rows, targets, values, count=None, port=None):
    """:func:`ring_add`, routed by each target's ``route`` (NeuronTopology.route): BY_SIGN targets' events
    of value <= 0 go to their inhibitory channel (rows ``spec.ring`` further; NEST: weight × multiplicity
    > 0 is excitatory, anything else inhibitory); BY_PORT targets' events go to channel ``port`` (the
    connection's receptor_type − 1, 0 for other targets: rows ``port · spec.ring`` further); COUNTS
    targets count ``count`` (the events' multiplicity; weights are ignored) instead."""
    if port is not None:
        rows = jnp.where(rows < spec.ring, rows + spec.ring * port, rows)
    if spec.has_multiplicity and count is not None:
        counts = route[jnp.minimum(targets, route.shape[0] - 1)] == COUNTS
        values = jnp.where(counts, count, values)
    if spec.routed:
        by_sign = route[jnp.minimum(targets, route.shape[0] - 1)] == BY_SIGN
        rows = jnp.where(by_sign & (values <= 0) & (rows < spec.ring), rows + spec.ring, rows)
    return ring_add(ring, rows, targets, values)


def push_spike_events(spec, events, weight, ring, step, route=None):
    """spike_generator events emitted during the slice starting at ``step``, by generator, then step."""
    L = spec.slice_steps
    if spec.differentiable:  # all events, masked: a fixed amount of work
        now = events.step // L == step // L
        rows = jnp.where(now, (events.step + events.delay) % spec.ring, ring.shape[0])
        return ring_add_routed(spec, route, ring, rows, events.target, weight, port=events.port)
    lo = jnp.searchsorted(events.step // L, step // L, side="left")
    hi = jnp.searchsorted(events.step // L, step // L, side="right")

    def push(i, ring):
        row = (events.step[i] + events.delay[i]) % spec.ring
        if spec.routed:
            row = jnp.where((route[events.target[i]] == BY_SIGN) & (weight[i] <= 0), row + spec.ring, row)
        if events.port is not None:
            row = row + spec.ring * events.port[i]
        return ring.at[row, events.target[i]].add(weight[i])

    return lax.fori_loop(lo, hi, push, ring)


def straight_through_counts(n, mu):
    """Counts ``n`` (exactly, forward) whose derivative with respect to their mean ``mu`` is 1: the
    straight-through estimator of a Poisson draw, n + (mu − stop_gradient(mu)) (``docs/gradients.md``)."""
    return n + (mu - jax.lax.stop_gradient(mu))


def push_poisson(spec, top, par, key, ring, step, route=None):
    """Poisson counts of every connection for each step k of the slice starting at ``step``, pushed to
    arrive at k + d; returns (ring, overflow bits).

    Counts are independent per connection and step (bits of (key, k, stream)): a Poisson draw by the
    inverse CDF of its survival table (:mod:`jaxsnn.core.rng`), n_poisson_terms long. In the
    differentiable build the counts are :func:`straight_through_counts` (same values).
    """
    dtype = ring.dtype
    k = step + jnp.arange(spec.slice_steps)[:, None]  # [L, 1]
    mu = par.rate * spec.resolution * 1e-3
    survival, covered = jax.vmap(lambda m: rng.poisson_table(m, spec.n_poisson_terms))(mu.astype(dtype))
    active = (top.window[top.generator, 0] < k) & (k <= top.window[top.generator, 1])
    n = rng.poisson_counts(rng.bits(key, k, top.stream[None, :]), survival[top.generator]).astype(dtype)
    if spec.differentiable:  # straight-through counts: the same n, d n / d rate = d E[n] / d rate = h
        n = straight_through_counts(n, mu.astype(dtype)[top.generator])
    # the select also keeps the product apart from the addition (see core.rounding.separately_rounded)
    inp = jnp.where(active, par.weight * n, 0.0)
    ring = ring_add_routed(spec, route, ring, (k + top.delay) % spec.ring, top.target, inp,
                           jnp.where(active, n, 0.0), port=top.port)
    return ring, flag(~jnp.all(covered), Overflow.POISSON)


NOISE_STREAM = 0x4E015E00  # offsets the stream ids of noise_generator draws from Poisson's


def push_currents(spec, top, par, key, ring, step):
    """Current generators' input during the slice starting at ``step``: connection c adds
    ``weight[c] · amplitude`` of its generator in every active step k (``lo < k + 2 <= hi``, NEST's
    ``is_active`` for current generators) into row ``k + delay`` (receptor 1: ``ring`` rows further),
    in connection order (sorted by generator node id: NEST's summation order).

    A schedule generator's amplitude at step k is its last entry with ``entry_step <= k``. A
    noise_generator draws ``mean + sqrt(std² + y₁·std_mod²) · N(0, 1)`` per connection at its first
    active step and every ``dt_steps`` after, N(0, 1) from the bits of (key, draw step, stream) by
    Box–Muller, y₁ = sin(phase + ω·h·(active steps up to the draw)), as NEST's oscillator in a run
    from t = 0.
    """
    dtype, L = ring.dtype, spec.slice_steps
    k = step + jnp.arange(L)[:, None]  # [L, 1]
    g = top.generator
    lo, hi = top.window[g, 0], top.window[g, 1]
    active = (lo < k + 2) & (k + 2 <= hi)  # [L, C]
    n_gen = top.window.shape[0]
    if top.entry_step.shape[0]:
        reached = (top.entry_step[None, :] <= k).astype(jnp.int32)  # [L, E]
        count = jax.vmap(lambda x: jax.ops.segment_sum(x, top.entry_gen, n_gen))(reached)  # [L, G]
        at = jnp.clip(top.entry_ptr[None, :] + count - 1, 0, top.entry_step.shape[0] - 1)
        amp = jnp.where(count > 0, par.values[at], 0.0)[:, g]  # [L, C]
    else:
        amp = jnp.zeros(active.shape, dtype)
    if spec.has_noise:
        j = jnp.maximum(top.noise[g], 0)
        first = jnp.maximum(lo - 1, 0)  # the first active step
        dt = top.dt_steps[g]
        drawn = first + (k - first) // dt * dt  # the step of the draw in use at k
        ids = top.stream * 2 + NOISE_STREAM
        u1 = (rng.bits(key, drawn, ids[None, :]).astype(dtype) + 0.5) * (1.0 / 4294967296.0)
        u2 = rng.bits(key, drawn, ids[None, :] + 1).astype(dtype) * (1.0 / 4294967296.0)
        z = jnp.sqrt(-2.0 * jnp.log(u1)) * jnp.cos(2.0 * jnp.pi * u2)
        omega = 2.0 * jnp.pi * par.frequency[j] / 1000.0
        y1 = jnp.sin(par.phase[j] * 2.0 * jnp.pi / 360.0 + omega * spec.resolution * (drawn - first + 1))
        std, mod = par.std[j], par.std_mod[j]
        noise = par.mean[j] + jnp.sqrt(std * std + y1 * mod * mod) * z
        amp = jnp.where(top.noise[g] >= 0, noise, amp)
    # the select also keeps the product apart from the addition (see core.rounding.separately_rounded)
    values = jnp.where(active, par.weight * amp, 0.0)
    rows = (k + top.delay) % spec.ring + spec.ring * top.receptor
    # by connection, then step: NEST adds a slice's currents generator by generator, each over its steps
    return ring_add(ring, jnp.broadcast_to(rows, values.shape).T, jnp.broadcast_to(top.target, values.shape).T,
                    values.T)
