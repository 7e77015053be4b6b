"""Event-driven iteration over the synapses of the neurons that spiked.

The synapses of neuron ``i`` are ``ptr[i]:ptr[i+1]`` (CSR). For the ``count`` neurons in ``ids`` they
are visited in blocks of ``SLOTS`` events, spike by spike in storage order, so the cost grows with the
number of synaptic events, never with the number of synapses. Within one call a synapse appears at most
once per listed spike.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

SLOTS = 4096  # synaptic events per vectorised block
# per block in fixed-length loops (the differentiable build): these visit every slot of the capacity,
# so larger blocks waste nothing and save per-operation overhead, most of all in the backward pass
STATIC_SLOTS = 1 << 20


def set_where(array, index, values, keep):
    """``array.at[index[keep]].set(values[keep])`` for ``index`` distinct where ``keep``.

    The slots not kept go to distinct positions past the end (dropped), so the scatter is declared
    ``unique_indices``: JAX's derivative of a scatter that may repeat indices tracks which update wins
    with an id array the size of ``array`` (for the weights, a pass over every synapse per block of
    events).
    """
    past_end = array.shape[0] + jnp.arange(index.shape[0], dtype=index.dtype)
    return _set_unique(array, jnp.where(keep, index, past_end), values)


@jax.custom_jvp
def _set_unique(array, index, values):
    return array.at[index].set(values, mode="drop", unique_indices=True)


@_set_unique.defjvp
def _set_unique_jvp(primals, tangents):
    """Tangent dA.at[i].add(dv − dA[i]) rather than dA.at[i].set(dv): its transpose reads the cotangent
    at i before it updates it there (ct[i] − ct[i] = 0 exactly), so XLA updates the cotangent in place.
    The transpose of a set (zero at i, then read at i) leaves the order open, and XLA copies the whole
    cotangent, twice per block of events. Forward-mode tangents at i are dv up to one rounding."""
    array, index, values = primals
    d_array, _, d_values = tangents
    old = d_array.at[index].get(mode="fill", fill_value=0, unique_indices=True)
    return (_set_unique(array, index, values),
            d_array.at[index].add(d_values - old, mode="drop", unique_indices=True))


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
    slots = min(STATIC_SLOTS if static else SLOTS, n * max_degree)
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

    if static:
        return lax.fori_loop(0, -(-(n * max_degree) // slots), one_block, carry)
    return _loop_to_the_longest((total + slots - 1) // slots, one_block, carry)


def _loop_to_the_longest(n, body, carry):
    """``lax.fori_loop(0, n, body, carry)`` for a body that leaves the carry as it is once its blocks lie
    past the last event (every slot invalid).

    Under ``vmap`` with a per-member ``n``, ``fori_loop`` runs to the largest ``n`` and, every iteration,
    selects each member's whole carry between old and new: a pass over the weights (O(synapses)) per
    block of events. Here every member runs to the largest ``n`` instead, which such a body allows.
    """
    leaves, tree = jax.tree_util.tree_flatten(carry)
    closed = jax.make_jaxpr(lambda i, *c: jax.tree_util.tree_leaves(body(i, tree.unflatten(c))))(n, *leaves)
    jaxpr, consts = closed.jaxpr, list(closed.consts)  # the body's closed-over arrays become arguments
    unchanged = [out is inp for out, inp in zip(jaxpr.outvars, jaxpr.invars[1:])]

    def flat_body(i, c, consts):
        return jax.core.eval_jaxpr(jaxpr, consts, i, *c)

    @jax.custom_batching.custom_vmap
    def loop(n, c, consts):
        return lax.fori_loop(0, n, lambda i, c: flat_body(i, c, consts), c)

    @loop.def_vmap
    def _(size, in_batched, n, c, consts):
        n_batched, c_batched, consts_batched = in_batched
        out_batched = [b or not same for b, same in zip(c_batched, unchanged)]
        c = [jnp.broadcast_to(x, (size,) + jnp.shape(x)) if o and not b else x
             for x, o, b in zip(c, out_batched, c_batched)]
        axes = lambda flags: [0 if f else None for f in flags]
        one = jax.vmap(flat_body, in_axes=(None, axes(out_batched), axes(consts_batched)), out_axes=axes(out_batched))
        longest = jnp.max(n) if n_batched else n
        return lax.fori_loop(0, longest, lambda i, c: one(i, c, consts), c), out_batched

    return tree.unflatten(loop(n, leaves, consts))
