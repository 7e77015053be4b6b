"""Generators: the ring's routing that every generator's spikes take, and the straight-through counts of
random generators (the generators themselves are modules of :mod:`jaxsnn.models`).

Generators push at the start of a slice what they emit during it. A generator's delay is never shorter than
a slice, so the pushes land after the slice, in the order of pushing them per step (deliveries from
earlier slices, then the generators: NEST's summation order).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

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
    of value <= 0 go to their inhibitory channel (rows ``spec.sizes.ring`` further; NEST: weight × multiplicity
    > 0 is excitatory, anything else inhibitory); BY_PORT targets' events go to channel ``port`` (the
    connection's receptor_type − 1, 0 for other targets: rows ``port · spec.sizes.ring`` further); COUNTS
    targets count ``count`` (the events' multiplicity; weights are ignored) instead."""
    if port is not None:
        rows = jnp.where(rows < spec.sizes.ring, rows + spec.sizes.ring * port, rows)
    values = _counted(spec, route, targets, values, count)
    if spec.models.routed:
        by_sign = route[jnp.minimum(targets, route.shape[0] - 1)] == BY_SIGN
        rows = jnp.where(by_sign & (values <= 0) & (rows < spec.sizes.ring), rows + spec.sizes.ring, rows)
    return ring_add(ring, rows, targets, values)


def _counted(spec, route, targets, values, count):
    """``values``, with ``count`` for COUNTS targets (weights ignored)."""
    if not spec.models.has_multiplicity or count is None:
        return values
    counts = route[jnp.minimum(targets, route.shape[0] - 1)] == COUNTS
    if isinstance(counts, jax.core.Tracer) or np.any(counts) != np.all(counts):
        return jnp.where(counts, count, values)
    # known at build and the same for all: no select (whose derivative stores its mask in every step)
    return jnp.broadcast_to(count, values.shape).astype(values.dtype) if np.all(counts) else values


def ring_add_onehot(spec, route, ring, rows, targets, values, count=None):
    """:func:`ring_add_routed` of events on distinct entries of ``ring`` (no two on one (row, target);
    not BY_SIGN- or BY_PORT-routed) as a one-hot matmul: ring + values · onehot[event, entry]. The same
    bits as the scatter (each entry gets ring + its one value, or + 0 where none: every other product is
    a zero), and under ``jax.vmap`` (a batch of values, the same rows) one dense product instead of a
    batched scatter, in both directions of reverse mode."""
    values = _counted(spec, route, targets, values, count)
    flat = jnp.where(rows < ring.shape[0], rows * ring.shape[1] + targets, ring.size)
    flat = jnp.broadcast_to(flat, values.shape).reshape(-1)
    onehot = (flat[:, None] == jnp.arange(ring.size)[None, :]).astype(ring.dtype)
    add = jnp.dot(values.reshape(-1), onehot, precision=jax.lax.Precision.HIGHEST)  # exact products: no TF32
    return ring + add.reshape(ring.shape)


def straight_through_counts(n, mu):
    """Counts ``n`` (exactly, forward) whose derivative with respect to their mean ``mu`` is 1: the
    straight-through estimator of a Poisson draw, n + (mu − stop_gradient(mu)) (``docs/gradients.md``)."""
    return n + (mu - jax.lax.stop_gradient(mu))
