"""Checks of the pure core's arguments, made once at trace time (they cost nothing in the compiled loop).

A wrong step count, or a ``params``/``state`` leaf of another shape or dtype than the model's, would
otherwise run with a silently different meaning (``advance(n_steps=1.5)`` runs one step) or fail deep
inside XLA with a broadcasting error that does not say which leaf is wrong. Each check raises
:class:`~jaxsnn.JaxsnnError` naming the argument or the leaf's path (``params.neurons.I_e``), what it is
and what the model needs. Values known only at run time (a traced ``n_steps``) are checked for their
type here; the engine flags what goes wrong with them (:class:`~jaxsnn.Overflow`).
"""
from __future__ import annotations

import operator

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import bad_value


def count(name: str, value, what: str):
    """``value`` as a Python int >= 0 when it is concrete; a traced value must be an integer scalar."""
    if isinstance(value, jax.core.Tracer):
        if value.shape != () or not jnp.issubdtype(value.dtype, jnp.integer):
            raise bad_value(name, f"<traced {value.dtype} of shape {value.shape}>", f"an integer scalar ({what})")
        return value
    if isinstance(value, (bool, np.bool_)) or not (isinstance(value, (int, np.integer)) or (
            np.ndim(value) == 0 and jnp.issubdtype(getattr(value, "dtype", float), jnp.integer))):
        raise bad_value(name, value, f"a whole number >= 0 ({what})")
    n = operator.index(value) if isinstance(value, (int, np.integer)) else int(value)
    if n < 0:
        raise bad_value(name, value, f"a whole number >= 0 ({what})")
    return n


def _describe(leaf) -> str:
    return f"<{jnp.result_type(leaf)} array of shape {tuple(jnp.shape(leaf))}>"


def _expect(where: str, leaf, shape, dtype, why: str) -> None:
    """``leaf`` must have ``shape`` (None: any; a tuple may hold None for any length) and ``dtype``."""
    got_shape, got_dtype = tuple(jnp.shape(leaf)), jnp.result_type(leaf)
    shape_ok = shape is None or (len(got_shape) == len(shape)
                                 and all(s is None or s == g for s, g in zip(shape, got_shape)))
    if not shape_ok or got_dtype != dtype:
        want = "" if shape is None else "shape " + str(tuple("any" if s is None else s for s in shape)) + " and "
        raise bad_value(where, _describe(leaf), f"{want}dtype {np.dtype(dtype).name} ({why}); give the leaf as "
                        "the built simulation has it")


def _state_kinds(m) -> dict:
    """The dtype kind of each state variable of neuron model ``m`` (its ``init`` of one neuron)."""
    return {k: np.asarray(v).dtype.kind for k, v in m.init({k: np.asarray([p.default])  # a list: [1, its length]
                                                            for k, p in m.parameters.items()}).items()}


def leaves(model, params, state) -> None:
    """Every leaf of ``params`` and the leaves of ``state`` the step reads, against ``model``."""
    spec = model.spec
    if spec.neuron_axis:  # inside jaxsnn.sharding: local shapes, checked where the split was made
        return
    fdt = jnp.float64 if spec.x64 else jnp.float32
    N = spec.sizes.n_neurons
    per_neuron = f"one per neuron of the model, {N}"
    _expect("params.neurons.tau_minus", params.neurons.tau_minus, (N,), fdt, per_neuron)
    sizes = {m.name: sum(n for _, n in runs) for m, runs in zip(spec.models.neuron_models, spec.models.neuron_runs)}
    for m in spec.models.neuron_models:
        n = sizes[m.name]
        for leaf_name, leaf in params.neurons.models[m.name].items():
            listed = leaf_name in m.list_params  # [neurons, the longest list]
            _expect(f"params.neurons[{m.name!r}][{leaf_name!r}]", leaf, (n, None) if listed else (n,),
                    fdt, f"one per {m.name} neuron, {n}" + (", and list element" if listed else ""))
    for g in spec.models.generators:  # the generators of the device interface: weights per connection, the rest per
        top, n_conn = model.generators[g.name], jnp.shape(model.generators[g.name]["target"])[0]  # generator
        n_gen = jnp.shape(top["window"])[0]
        for leaf_name, leaf in params.generators[g.name].items():
            where = f"params.generators[{g.name!r}][{leaf_name!r}]"
            if leaf_name == "weight":
                _expect(where, leaf, (n_conn,), fdt, f"one per {g.name} connection, {n_conn}")
            else:
                _expect(where, leaf, (None,) * jnp.ndim(leaf), fdt, f"{g.name}'s table (one per generator, {n_gen}, "
                        "or per entry)")
    width = spec.plasticity.stdp_rule.width if spec.plasticity.stdp_rule is not None else 6
    _expect("params.stdp", params.stdp, (None, width), fdt, f"one row of {width} per plasticity rule")
    _expect("state.step", state.step, (), jnp.int32, "the global step")
    _expect("state.key", state.key, (2,), jnp.uint32, "jaxsnn.simulation_key(seed)")
    _expect("state.overflow", state.overflow, (), jnp.int32, "Overflow bits")
    for m in spec.models.neuron_models:
        n = sizes[m.name]
        kinds = _state_kinds(m)
        for leaf_name, leaf in state.neurons.models[m.name].items():
            dtype = jnp.int32 if kinds.get(leaf_name) in ("i", "u") else fdt
            _expect(f"state.neurons[{m.name!r}][{leaf_name!r}]", leaf, (n,) + tuple(jnp.shape(leaf)[1:]), dtype,
                    f"one per {m.name} neuron, {n}")
    _expect("state.synapses.weight", state.synapses.weight, model.synapses.out_syn.shape[:1], fdt, "one per synapse")
