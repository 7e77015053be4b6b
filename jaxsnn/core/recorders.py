"""Recorders on the device: the engine's hook points and the buffers' bookkeeping, for the recorder
models present (``spec.models.recorders``: configured :class:`~jaxsnn.models.base.Recorder` instances, static
metadata; this module never names one).

Each recorder model keeps its topology in ``model.recorders[name]`` and its fixed-size buffers in
``state.buffers[name]``, which the host empties after every chunk of steps (:func:`jaxsnn.simulate`,
through the model's ``drain``), so device memory never grows with the length of a run. The engine calls
the models at three points (:func:`at_slice`, :func:`at_step`, :func:`at_event`), and hands the recorders
that read generators their values at each slice start (:func:`at_generators`); a record that does not
fit sets the model's ``"full"`` and :data:`~jaxsnn.Overflow.RECORDER`, nothing is written past the end,
and :func:`jaxsnn.simulate` grows that model's capacity and recomputes the chunk.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import host
from .events import set_where
from .status import Overflow, flag

SLICE, STEP, EVENT = "slice", "step", "event"  # the hook points (Recorder.hook)
EMITTED = "emitted"  # a generator's output per connection and step of a slice, for recorders (besides recordables)


def empty(spec, model, dtype) -> dict:
    """Every recorder's buffers of the sizes in ``spec``, empty (made on the host: nothing to compile)."""
    return jax.tree_util.tree_map(host.put, {r.name: {**r.empty(model.recorders[r.name], dtype),
                                                      "full": np.zeros((), np.int32)} for r in spec.models.recorders})


def at(spec, hook: str) -> tuple:
    """The recorders called at ``hook``, in ``spec.models.recorders`` order."""
    return tuple(r for r in spec.models.recorders if r.hook == hook)


def _record(spec, model, buffers: dict, hook, *args):
    out, over = dict(buffers), jnp.zeros((), jnp.int32)
    for r in at(spec, hook):
        buf, o = r.record(spec, model.recorders[r.name], buffers[r.name], *args)
        out[r.name] = {**buf, "full": buf["full"] | o.astype(jnp.int32)}
        over = over | flag(o, Overflow.RECORDER)
    return out, over


def at_slice(spec, model, buffers, senders, steps, count, step):
    """At the slice starting at ``step``: the previous slice's spikes (neuron ``senders`` in ``steps``, the
    first ``count``, by sender then step) to every SLICE recorder; returns (buffers, overflow bits)."""
    return _record(spec, model, buffers, SLICE, senders, steps, count, step)


def quantities(spec) -> tuple:
    """The quantities the STEP recorders read, in order (what the neuron models report after a step)."""
    return tuple(dict.fromkeys(q for r in at(spec, STEP) for q in r.quantities))


def at_step(spec, model, buffers, values, stamp):
    """After the step of ``stamp``: ``values`` ([len(quantities(spec)), N]) to every STEP recorder (its own
    rows, in its order); returns (buffers, overflow bits)."""
    out, over = dict(buffers), jnp.zeros((), jnp.int32)
    names = quantities(spec)
    for r in at(spec, STEP):
        rows = values if r.quantities == names else values[np.array([names.index(q) for q in r.quantities], int)]
        buf, o = r.record(spec, model.recorders[r.name], buffers[r.name], rows, stamp)
        out[r.name] = {**buf, "full": buf["full"] | o.astype(jnp.int32)}
        over = over | flag(o, Overflow.RECORDER)
    return out, over


def generator_quantities(spec) -> dict:
    """generator model -> the recordables the recorders read from it (empty: none)."""
    out = {}
    for r in spec.models.recorders:
        for m, q in r.generator_quantities:
            out.setdefault(m, set()).add(q)
    return out


def at_generators(spec, model, buffers, values, step):
    """At the slice start, once the generators pushed: ``values`` (generator model -> recordable -> [L,
    generators], from the state before the push, and :data:`EMITTED` -> [L, connections], the push's
    output) to every recorder that reads them; returns the buffers."""
    out = dict(buffers)
    for r in spec.models.recorders:
        if r.generator_quantities:
            out[r.name] = r.take_generators(spec, model.recorders[r.name], buffers[r.name], values, step)
    return out


def at_event(spec, model, buffers, synapse, mask, weight, stamp):
    """At an event: synapses ``synapse`` (where ``mask``) transmit ``weight`` at ``stamp``, to every EVENT
    recorder; returns (buffers, overflow bits)."""
    return _record(spec, model, buffers, EVENT, synapse, mask, weight, stamp)


def append(buffers, count, capacity, mask, values):
    """Append ``values[mask]`` (in order) after ``count`` entries; returns buffers, count, overflowed."""
    pos = count + jnp.cumsum(mask) - 1
    out = tuple(set_where(b, pos, v.astype(b.dtype), mask) for b, v in zip(buffers, values))
    new = count + jnp.sum(mask, dtype=jnp.int32)
    return out, jnp.minimum(new, capacity), new > capacity


# ------------------------------------------------------------------------------------------- host
def emptied(spec, buffers: dict, step, put) -> dict:
    """``buffers`` marked empty after the host took their records at ``step``: each model's changed
    entries (:meth:`~jaxsnn.models.base.Recorder.emptied`) placed by ``put``, the others kept as they are."""
    new = put({r.name: r.emptied(buffers[r.name], step) for r in spec.models.recorders})
    return {name: {**buffers[name], **new.get(name, {})} for name in buffers}


def resized(spec, model, dtype, old: dict, spread=None) -> dict:
    """Empty buffers of the sizes in ``spec`` that continue ``old`` (what each model carries besides
    records, e.g. the spike recorder's ``until``); ``spread``: how to lay host buffers out like ``old``
    (a split run's per-device copies), or None."""
    new = empty(spec, model, dtype)
    if spread is not None:
        new = spread(new)
    return {r.name: {**new[r.name], **{k: old[r.name][k] for k in r.carried
                                       if r.name in old and _shapes(old[r.name][k]) == _shapes(new[r.name][k])}}
            for r in spec.models.recorders}


def _shapes(tree):
    """The structure and shapes of a buffer entry: what it carries only continues into buffers of its
    shapes (a network rebuilt with other recorded generators starts their held values anew)."""
    leaves, struct = jax.tree_util.tree_flatten(tree)
    return struct, tuple(np.shape(x) for x in leaves)


def full(spec, host_buffers) -> tuple:
    """The recorders whose buffers overflowed (host copies of the buffers)."""
    return tuple(r for r in spec.models.recorders if np.any(np.asarray(host_buffers[r.name]["full"])))
