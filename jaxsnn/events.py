"""Event-driven iteration over the synapses of the neurons that spiked.

The synapses of neuron ``i`` are ``perm[ptr[i]:ptr[i+1]]`` (CSR). For the ``count`` spiking neurons in
``ids`` the synapses are laid end to end and visited in chunks of ``chunk`` slots, in order (spike by
spike, synapse by synapse), so the cost of a step grows with the number of synaptic events, not with
the number of synapses. Within one call every synapse appears at most once, so scatters into
per-synapse arrays never collide.
"""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax


def for_each_synapse(ids, count, ptr, perm, chunk: int, body, carry):
    """Run ``carry = body(syn, valid, spike_index, carry)`` over the synapses of ``ids[:count]``.

    ``syn`` (int32[chunk]) are synapse indices, ``valid`` (bool[chunk]) masks the padding of the last
    chunk, ``spike_index`` says which entry of ``ids`` each slot belongs to. ``perm=None`` means the
    identity (synapses stored in CSR order).
    """
    active = jnp.arange(ids.shape[0]) < count
    starts = jnp.where(active, ptr[ids], 0)
    sizes = jnp.where(active, ptr[ids + 1] - starts, 0)
    ends = jnp.cumsum(sizes)
    total = ends[-1] if ids.shape[0] else 0
    offsets = jnp.arange(chunk, dtype=ends.dtype)

    def one_chunk(c, carry):
        slot = c * chunk + offsets
        valid = slot < total
        k = jnp.minimum(jnp.searchsorted(ends, slot, side="right"), ids.shape[0] - 1)
        pos = starts[k] + slot - (ends[k] - sizes[k])
        pos = jnp.where(valid, pos, 0)
        syn = pos if perm is None else perm[pos]
        return body(syn, valid, k, carry)

    return lax.fori_loop(0, (total + chunk - 1) // chunk, one_chunk, carry)
