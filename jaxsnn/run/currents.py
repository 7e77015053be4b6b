"""Changing current generators between runs (NEST's ``generator.set`` between ``Simulate`` calls).

What may change is the generator model's ``settable``; the amplitude follows the model's ``schedule``
(entries of ``params.currents.values``, no recompilation): as NEST, times at or before the current time
are skipped and the amplitude held now continues until the first time in the future
(docs/nest_semantics.md §14).

Currents are pushed a slice ahead (:func:`jaxsnn.core.generators.push_currents`): a change made in the
middle of a min_delay slice acts from the next slice on (NEST: from the next step).
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ..errors import bad_value
from ..models import GENERATORS


def set_generators(sim, ids, params: dict):
    """``sim`` with the current generators ``ids`` changed by ``params``."""
    lay = sim.layout
    top, par = sim.model.currents, sim.params.currents
    e_gen, e_step = np.asarray(top.entry_gen), np.asarray(top.entry_step)
    values = np.asarray(par.values, float)
    now = int(sim.state.step)
    kinds = list(lay.current_params)
    for gid in ids:
        g = lay.current_generators.index(int(gid))
        base, old = kinds[g]
        model, where = GENERATORS[base], f"set({base} {int(gid)})"
        for name in params:
            if name not in model.settable:
                raise bad_value(f"{where}: params", name,
                                f"a parameter that can change between runs: {', '.join(model.settable) or 'none'}")
        model.check_given(params, where)
        new = model.check({**old, **params}, where, sim.spec.resolution, sim.spec.tics_per_step)
        kinds[g] = (base, new)
        mine = e_gen == g
        held = values[mine][e_step[mine] <= now - 1][-1] if (e_step[mine] <= now - 1).any() else 0.0
        entries = model.schedule(new, sim.spec.tics_per_step, now=now, held=held)
        at = int(np.argmax(mine))
        keep = ~mine
        e_gen = np.concatenate([e_gen[keep][:at], np.full(len(entries), g), e_gen[keep][at:]])
        e_step = np.concatenate([e_step[keep][:at], [k for k, _ in entries], e_step[keep][at:]]).astype(np.int64)
        values = np.concatenate([values[keep][:at], [v for _, v in entries], values[keep][at:]])
    ptr = np.searchsorted(e_gen, np.arange(top.window.shape[0]))
    i32 = lambda a: jnp.asarray(a, jnp.int32)
    model = sim.model.replace(currents=top.replace(entry_gen=i32(e_gen), entry_step=i32(e_step), entry_ptr=i32(ptr)))
    params = sim.params.replace(currents=par.replace(values=jnp.asarray(values, par.values.dtype)))
    return sim.replace(model=model, params=params, layout=_with_params(lay, tuple(kinds)))


def _with_params(layout, kinds):
    import dataclasses

    return dataclasses.replace(layout, current_params=kinds)
