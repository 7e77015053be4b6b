"""Many networks of one model at once: :func:`advance_ensemble`."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..errors import bad_value
from . import arguments, status
from .engine import advance
from .types import Model, Params, State


def advance_ensemble(model: Model, params: Params, states: State, n_steps, params_axes=None, vmap=False,
                     check=True) -> State:
    """Advance a batch of states (leading axis: ensemble member) by ``n_steps`` in one call.

    Members may differ in their key (seed), their state and, with ``params_axes`` (a ``Params``, or a
    prefix of one, of 0/None as ``jax.vmap``'s ``in_axes``), in parameters such as the Poisson rate. A
    state whose step counter is a scalar gives all members that step. Each member runs the unbatched
    program, so it gives the same bits as its own :func:`~jaxsnn.advance`; members are spread over the
    available devices (``XLA_FLAGS=--xla_force_host_platform_device_count=2`` makes two CPU cores two
    devices), and run one after another on each. ``vmap=True`` batches the members of a device instead:
    one program for all, whose event loops run as long as the busiest member's (on a CPU slower per member
    than one after another; the last bits of STDP traces and weights can differ from a member's own run,
    since XLA compiles the batched arithmetic differently).

    With ``check=True`` (the default) an exceeded capacity raises :class:`~jaxsnn.CapacityError`
    (:func:`jaxsnn.check`) instead of returning incomplete dynamics; build with larger capacities then.
    Under ``jit`` the check cannot run: call :func:`jaxsnn.check` on the result yourself.
    """
    n_steps = arguments.count("n_steps", n_steps, "steps to advance")
    k = _members(states)
    shared_step = vmap and not jnp.ndim(states.step)  # under vmap, a shared step keeps loop lengths unbatched
    if not shared_step:
        states = states.replace(step=jnp.broadcast_to(states.step, (k,)))
    leaves, treedef = jax.tree_util.tree_flatten(params)
    axes = _member_axes(params, params_axes, treedef, len(leaves))
    batched = [leaf for leaf, ax in zip(leaves, axes) if ax == 0]
    for path, ax in zip(jax.tree_util.tree_flatten_with_path(params)[0], axes):
        if ax == 0 and jnp.shape(path[1])[:1] != (k,):
            raise bad_value(f"params{jax.tree_util.keystr(path[0])}", f"<array of shape {jnp.shape(path[1])}>",
                            f"a leading member axis of {k} (params_axes marks it 0), or None in params_axes")
    state_axes = jax.tree_util.tree_map(lambda _: 0, states).replace(step=None if shared_step else 0)

    def members(batched, states):
        def one(batched, state):
            values = iter(batched)
            p = treedef.unflatten([next(values) if ax == 0 else leaf for leaf, ax in zip(leaves, axes)])
            return advance(model, p, state, n_steps)

        if vmap:
            return jax.vmap(one, in_axes=(0, state_axes), out_axes=state_axes)(batched, states)
        return lax.map(lambda member: one(*member), (batched, states))

    out = _spread_over_devices(members, k, state_axes)(batched, states)
    out = out.replace(step=jnp.broadcast_to(out.step, (k,)))
    if check and not isinstance(out.overflow, jax.core.Tracer):
        status.check(out)
    return out


def _members(states) -> int:
    """The ensemble size: the leading axis every leaf of ``states`` has (the step counter may be shared)."""
    shape = jnp.shape(states.key)
    if len(shape) != 2:
        raise bad_value("states", f"<State with key of shape {shape}>", "a batch of states with a leading member "
                        "axis (e.g. jax.vmap(lambda k: jaxsnn.init(...))(keys), or jnp.stack of states leaf by leaf)")
    k = shape[0]
    for path, leaf in jax.tree_util.tree_flatten_with_path(states)[0]:
        name = jax.tree_util.keystr(path)
        if jnp.shape(leaf)[:1] != (k,) and not (name == ".step" and jnp.ndim(leaf) == 0):
            raise bad_value(f"states{name}", f"<array of shape {jnp.shape(leaf)}>",
                            f"a leading member axis of {k}, as states.key has")
    return k


def _member_axes(params, params_axes, treedef, n):
    if params_axes is None:
        return [None] * n
    try:
        marks = jax.tree_util.tree_map(lambda ax, sub: jax.tree_util.tree_map(lambda _: ax, sub), params_axes,
                                       params, is_leaf=lambda x: x is None)
        axes = treedef.flatten_up_to(marks)
    except (ValueError, TypeError) as exc:
        raise bad_value("params_axes", params_axes, "a Params (or a prefix of one) of 0 and None, as jax.vmap's "
                        f"in_axes ({str(exc).splitlines()[0][:200]})") from None
    bad = [ax for ax in axes if ax not in (0, None)]
    if bad:
        raise bad_value("params_axes", bad[0], "0 (one value per member) or None (shared) for every leaf")
    return axes


def _spread_over_devices(members, k, state_axes):
    """``members`` under ``shard_map`` over as many devices as divide the ensemble size (or as it is)."""
    devices = jax.devices()
    d = max(n for n in range(1, min(k, len(devices)) + 1) if k % n == 0)
    if d == 1:
        return members
    mesh = jax.sharding.Mesh(np.array(devices[:d]), ("member",))
    P = jax.sharding.PartitionSpec
    specs = jax.tree_util.tree_map(lambda ax: P() if ax is None else P("member"), state_axes,
                                   is_leaf=lambda x: x is None)
    return jax.shard_map(members, mesh=mesh, in_specs=(P("member"), specs), out_specs=specs, check_vma=False)
