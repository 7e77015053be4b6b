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
from .overflow import Overflow
from .recorders import flag


def ring_add(ring, rows, targets, values):
    """``ring.at[rows, targets].add(values)``; rows past the ring are dropped. Indexed flat: a 2-D index
    costs XLA a separate pass to build."""
    if ring.size >= 2**31:  # flat indices would overflow int32
        return ring.at[rows, targets].add(values, mode="drop")
    flat = jnp.where(rows < ring.shape[0], rows * ring.shape[1] + targets, ring.size)
    return ring.reshape(-1).at[flat].add(values, mode="drop").reshape(ring.shape)


def push_spike_events(spec, events, weight, ring, step):
    """spike_generator events emitted during the slice starting at ``step``, by generator, then step."""
    L = spec.slice_steps
    if spec.differentiable:  # all events, masked: a fixed amount of work
        now = events.step // L == step // L
        rows = jnp.where(now, (events.step + events.delay) % spec.ring, spec.ring)
        return ring_add(ring, rows, events.target, weight)
    lo = jnp.searchsorted(events.step // L, step // L, side="left")
    hi = jnp.searchsorted(events.step // L, step // L, side="right")

    def push(i, ring):
        return ring.at[(events.step[i] + events.delay[i]) % spec.ring, events.target[i]].add(weight[i])

    return lax.fori_loop(lo, hi, push, ring)


def straight_through_counts(n, mu):
    """Counts ``n`` (exactly, forward) whose derivative with respect to their mean ``mu`` is 1: the
    straight-through estimator of a Poisson draw, n + (mu − stop_gradient(mu)) (``docs/gradients.md``)."""
    return n + (mu - jax.lax.stop_gradient(mu))


def push_poisson(spec, top, par, key, ring, step):
    """Poisson counts of every connection for each step k of the slice starting at ``step``, pushed to
    arrive at k + d; returns (ring, overflow bits).

    Counts are independent per connection and step (bits of (key, k, stream)): a Poisson draw by the
    inverse CDF of its survival table (:mod:`jaxsnn.core.rng`), n_poisson_terms long. In the
    differentiable build the counts are :func:`straight_through_counts` (same values).
    """
    dtype = ring.dtype
    k = step + jnp.arange(spec.slice_steps)[:, None]  # [L, 1]
    mu = par.rate * spec.resolution * 1e-3
    survival = jax.vmap(lambda m: rng.poisson_survival(m, spec.n_poisson_terms))(mu.astype(dtype))
    active = (top.window[top.generator, 0] < k) & (k <= top.window[top.generator, 1])
    n = rng.poisson_counts(rng.bits(key, k, top.stream[None, :]), survival[top.generator]).astype(dtype)
    if spec.differentiable:  # straight-through counts: the same n, d n / d rate = d E[n] / d rate = h
        n = straight_through_counts(n, mu.astype(dtype)[top.generator])
    # the select also keeps the product apart from the addition (see iaf_psc_delta.separately_rounded)
    inp = jnp.where(active, par.weight * n, 0.0)
    ring = ring_add(ring, (k + top.delay) % spec.ring, top.target, inp)
    return ring, flag(jnp.any(survival[:, -1] >= 2.0 ** -32), Overflow.POISSON)
