"""Generators: the ring's routing that every generator's spikes take, and the straight-through counts of
random generators (the generators themselves are modules of :mod:`jaxsnn.models`).

Generators push at the start of a slice what they emit during it. A generator's delay is never shorter than
a slice, so the pushes land after the slice, in the order of pushing them per step (deliveries from
earlier slices, then the generators: NEST's summation order).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

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


def straight_through_counts(n, mu):
    """Counts ``n`` (exactly, forward) whose derivative with respect to their mean ``mu`` is 1: the
    straight-through estimator of a Poisson draw, n + (mu − stop_gradient(mu)) (``docs/gradients.md``)."""
    return n + (mu - jax.lax.stop_gradient(mu))
