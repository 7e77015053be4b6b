"""What the loops of :mod:`jaxsnn.core.engine` add for automatic differentiation.

- :func:`refuse` (the event-driven build): an identity whose derivative rule raises, so that ``jax.grad``
  or ``jax.jvp`` through the event-driven loops (whose lengths follow the spikes) says to build with
  ``differentiable=True`` instead of failing deep inside JAX. The compiled forward program is unchanged.
- :func:`checked` (the differentiable build): under differentiation, an overflowed capacity raises
  :class:`~jaxsnn.CapacityError` when the run executes (a gradient of an incomplete run is wrong, and
  nothing would grow the capacity); a plain forward run keeps the flag for :func:`jaxsnn.simulate`.
- :func:`scan_steps`: ``n`` applications of a step in ``lax.scan``, rematerialised every ``k`` steps so
  that reverse mode keeps O(n / k + k) states instead of n.
"""
from __future__ import annotations

import logging

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero

from .status import Overflow

MESSAGE = ("this simulation was built for event-driven runs, whose loop lengths follow the spikes and "
           "cannot be differentiated: build it with net.build(differentiable=True) (see docs/gradients.md)")


def _refusing(*leaves):
    return leaves


def _refuse_rule(primals, tangents):
    if any(not isinstance(t, SymbolicZero) for t in tangents):
        from ..errors import JaxsnnError
        raise JaxsnnError(MESSAGE)
    return primals, tangents


_refusing = jax.custom_jvp(_refusing)
_refusing.defjvp(_refuse_rule, symbolic_zeros=True)


def refuse(*trees):
    """``trees`` unchanged; differentiating with respect to any of their leaves raises JaxsnnError."""
    leaves, tree = jax.tree_util.tree_flatten(trees)
    return tree.unflatten(_refusing(*leaves))


GROWABLE = Overflow.SLICE | Overflow.POST | Overflow.RECORDER


def _raise_if_overflowed(bits):
    bits = int(bits)
    if bits:
        from ..errors import CapacityError
        advice = (" Build with larger capacities (net.build(differentiable=True, slice_capacity=...)) or run "
                  "jaxsnn.simulate once to grow them." if bits & GROWABLE else "")
        raise CapacityError(f"a differentiated run exceeded a capacity, so its result and gradient are incomplete: "
                            f"{Overflow(bits).describe()}.{advice}")


class _QuietCapacityErrors(logging.Filter):
    """JAX logs the traceback of an exception raised in a debug callback before it re-raises it; the
    CapacityError of :func:`_raise_if_overflowed` reaches the caller with its message, so its log record
    would only repeat it (as a stray "jax.debug.callback failed" traceback under jit)."""

    def filter(self, record):
        from ..errors import CapacityError
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, CapacityError)


logging.getLogger("jax._src.debugging").addFilter(_QuietCapacityErrors())


@jax.custom_batching.custom_vmap
def _report(overflow):
    """Raises CapacityError (through a host callback) if ``overflow`` has a bit set. The callback runs
    only then: a host callback costs far more than a step of a small network."""
    lax.cond(overflow != 0, lambda o: jax.debug.callback(_raise_if_overflowed, o), lambda o: None, overflow)
    return overflow


@_report.def_vmap
def _report_batched(axis_size, in_batched, overflow):
    # under jax.vmap (a batch of samples): one check of all samples' bits, not one callback per sample
    # (vmap would turn the condition into a select and call the host for every sample in every run)
    if in_batched[0]:
        overflow = lax.reduce(overflow, jnp.zeros((), overflow.dtype), lax.bitwise_or, (0,))
    return _report(overflow), False


@jax.custom_jvp
def _checked(x, overflow):
    return x


@_checked.defjvp
def _checked_rule(primals, tangents):
    x, overflow = primals
    _report(overflow)
    return x, tangents[0]


def checked(state):
    """``state`` unchanged; when differentiated, raises CapacityError at run time if it overflowed (one
    check for all float leaves of the neurons' states: the rule runs if any of them is differentiated)."""
    models = state.neurons.models
    leaves, tree = jax.tree_util.tree_flatten(models)
    floats = [i for i, x in enumerate(leaves) if jnp.issubdtype(x.dtype, jnp.floating)]
    if floats:
        checked_leaves = _checked(tuple(leaves[i] for i in floats), state.overflow)
        for i, x in zip(floats, checked_leaves):
            leaves[i] = x
    return state.replace(neurons=state.neurons.replace(models=tree.unflatten(leaves)))


def scan_steps(one, state, n: int, k: int):
    """``n`` times ``state = one(state)`` in ``lax.scan``; with ``k`` > 0, blocks of ``k`` steps are
    ``jax.checkpoint``-ed: reverse mode stores the state every k steps and recomputes each block's
    residuals when it differentiates it."""
    def body(st, _):
        return one(st), None

    if not k or n <= k:
        return lax.scan(body, state, None, length=n)[0]
    block = jax.checkpoint(lambda st: lax.scan(body, st, None, length=k)[0])
    blocks, rest = divmod(n, k)
    state = lax.scan(lambda st, _: (block(st), None), state, None, length=blocks)[0]
    return lax.scan(body, state, None, length=rest)[0] if rest else state


def scan_slices(one, state, n: int, m: int, xs=None):
    """``lax.scan(one, state, xs, length=n)`` (``one(state, x) -> (state, y)``); with ``m`` > 0,
    blocks of ``m`` slices are ``jax.checkpoint``-ed as in :func:`scan_steps`. Returns (state, ys)."""
    if not m or n <= m:
        return lax.scan(one, state, xs, length=n)
    block = jax.checkpoint(lambda st, x: lax.scan(one, st, x, length=m))
    blocks, rest = divmod(n, m)
    head = jax.tree_util.tree_map(lambda x: x[:blocks * m].reshape((blocks, m) + x.shape[1:]), xs)
    state, ys = lax.scan(block, state, head, length=blocks)
    ys = jax.tree_util.tree_map(lambda y: y.reshape((blocks * m,) + y.shape[2:]), ys)
    if rest:
        state, tail = lax.scan(one, state, jax.tree_util.tree_map(lambda x: x[blocks * m:], xs), length=rest)
        ys = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b]), ys, tail)
    return state, ys
