"""Event-driven iteration over the synapses of the neurons that spiked.

The synapses of neuron ``i`` are ``ptr[i]:ptr[i+1]`` (CSR). For the ``count`` neurons in ``ids`` they
are visited in blocks of ``SLOTS`` events, spike by spike in storage order, so the cost grows with the
number of synaptic events, never with the number of synapses. Within one call a synapse appears at most
once per listed spike.
"""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax

SLOTS = 4096  # synaptic events per vectorised block


def for_each_synapse(ids, count, ptr, max_degree: int, body, carry, static=False):
    """``carry = body(syn, valid, spike, carry)`` over the synapses of ``ids[:count]``.

    ``syn`` (int32[SLOTS]) are synapse indices, ``valid`` masks the slots past the last event, ``spike``
    is the position in ``ids`` each slot belongs to.
    """
    return for_each_range(ptr[ids], ptr[ids + 1] - ptr[ids], count, max_degree, body, carry, static)


def for_each_range(starts, sizes, count, max_degree: int, body, carry, static=False):
    """As :func:`for_each_synapse`, for explicit ranges ``starts[k] : starts[k] + sizes[k]``.

    The ranges of ``k < count`` are laid end to end (no padding to ``max_degree``) and cut into blocks
    of ``SLOTS``; slot i belongs to range k(i) = #{k : ends[k] <= i}, ``ends`` the running sum of sizes.
    ``static=True`` visits every block of the capacity (masked): a loop of fixed length, which
    reverse-mode differentiation needs, at a cost that follows the capacity instead of the spikes.
    """
    n = starts.shape[0]
    if max_degree == 0 or n == 0:
        return carry
    slots = min(SLOTS, n * max_degree)
    sizes = jnp.where(jnp.arange(n) < count, sizes, 0)
    ends = jnp.cumsum(sizes)
    total = ends[-1]
    shift = starts - (ends - sizes)  # synapse index minus slot index, per range
    lanes = jnp.arange(slots, dtype=ends.dtype)

    def one_block(b, carry):
        lo = b * slots
        # ranges ending inside the block, marked where they end: k(i) by one running sum (an associative
        # scan: XLA's CPU cumsum, a reduce-window, is slower here)
        marks = jnp.zeros(slots, ends.dtype).at[jnp.where(ends > lo, ends - lo, slots)].add(1, mode="drop")
        k = jnp.minimum(jnp.searchsorted(ends, lo, side="right") + lax.associative_scan(jnp.add, marks), n - 1)
        i = lo + lanes
        valid = i < total
        return body(jnp.where(valid, i + shift[k], 0), valid, k, carry)

    n_blocks = -(-(n * max_degree) // slots) if static else (total + slots - 1) // slots
    return lax.fori_loop(0, n_blocks, one_block, carry)
