"""Event-driven iteration over the synapses of the neurons that spiked.

The synapses of neuron ``i`` are ``ptr[i]:ptr[i+1]`` (CSR). For the ``count`` neurons in ``ids`` they
are visited ``group`` neurons at a time as a dense ``[group, max_degree]`` block, row by row, so
synapses are seen spike by spike in storage order and the cost grows with the number of spikes, never
with the number of synapses. Within one call a synapse appears at most once per listed spike.
"""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax

SLOTS = 4096  # synaptic events per vectorised block


def for_each_synapse(ids, count, ptr, max_degree: int, body, carry, static=False):
    """``carry = body(syn, valid, spike, carry)`` over the synapses of ``ids[:count]``.

    ``syn`` (int32[group · max_degree]) are synapse indices, ``valid`` masks padding, ``spike`` is the
    position in ``ids`` each slot belongs to.
    """
    return for_each_range(ptr[ids], ptr[ids + 1] - ptr[ids], count, max_degree, body, carry, static)


def for_each_range(starts, sizes, count, max_degree: int, body, carry, static=False):
    """As :func:`for_each_synapse`, for explicit ranges ``starts[k] : starts[k] + sizes[k]``.

    ``static=True`` visits every block of the capacity (masked): a loop of fixed length, which reverse-mode
    differentiation needs, at a cost that follows the capacity instead of the spikes.
    """
    if max_degree == 0 or starts.shape[0] == 0:
        return carry
    group = max(1, min(starts.shape[0], SLOTS // max_degree))
    pad = lambda a: jnp.concatenate([a, jnp.zeros(group, a.dtype)])
    starts, sizes = pad(starts), pad(sizes)
    cols = jnp.arange(max_degree, dtype=starts.dtype)

    def one_group(g, carry):
        k = g * group + jnp.arange(group)
        start = lax.dynamic_slice(starts, (g * group,), (group,))
        size = lax.dynamic_slice(sizes, (g * group,), (group,))
        valid = (k[:, None] < count) & (cols[None, :] < size[:, None])
        syn = jnp.where(valid, start[:, None] + cols[None, :], 0).reshape(-1)
        return body(syn, valid.reshape(-1), jnp.repeat(k, max_degree), carry)

    n_blocks = -(-starts.shape[0] // group) if static else (count + group - 1) // group
    return lax.fori_loop(0, n_blocks, one_group, carry)
