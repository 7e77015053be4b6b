"""Changing generators of the device interface between runs (NEST's ``generator.set`` between
``Simulate`` calls): the model's ``settable`` parameters and the activity window (origin, start, stop).

The new values are checked as ``create`` checks them, then the model rebuilds its tables from them at the
current time (:meth:`jaxsnn.models.base.Generator.tables`: NEST's ``pre_run_hook``: oscillators restart
at the current time, integrated rates and process states carry over). They act from the next slice on
(generators push a slice ahead). A table that must grow (more Poisson terms, longer lists) recompiles.
"""
from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from ..errors import bad_value
from ..models import GENERATORS
from ..models._interface import window

CONNECTION_KEYS = ("target", "delay", "receptor", "stream", "generator", "node")


def among(layout, ids) -> str | None:
    """The device-interface generator model of which every node of ``ids`` is a generator, or None."""
    ids = {int(i) for i in ids}
    for name, (nodes, _) in layout.generators.items():
        if ids and ids <= set(nodes):
            return name
    return None


def set_generators(sim, name: str, ids, params: dict):
    """``sim`` with the generators ``ids`` (all of model ``name``) changed by ``params``."""
    G = GENERATORS[name]
    nodes, old = sim.layout.generators[name]
    allowed = tuple(G.settable)
    if not isinstance(params, dict):
        raise bad_value(f"set({name}): params", type(params).__name__, "a dict of parameter names and values")
    new = list(old)
    h, tps = sim.spec.time.resolution, sim.spec.time.tics_per_step
    for gid in ids:
        where = f"set({name} {int(gid)})"
        for pname in params:
            if not allowed:
                raise bad_value(f"{where}: params", pname, f"a parameter that can change between runs: none (a {name} "
                                "cannot change in a built Simulation; change it in the Network and build again, or "
                                "use jaxsnn.nest, where it takes effect at the next Simulate)")
            if pname not in allowed:
                raise bad_value(f"{where}: params", pname, f"a parameter that can change between runs: "
                                f"{', '.join(allowed)}")
        G.check_given(params, where)
        g = nodes.index(int(gid))
        new[g] = G.check({**new[g], **params}, where, h, tps)
    state = {k: np.asarray(v) for k, v in sim.state.generators[name].items()}
    return retable(sim, name, new, state, list(old), int(sim.state.step) * h)


def retable(sim, name: str, new: list, state: dict, old: list, t_ms: float, running=None):
    """``sim`` with model ``name``'s tables rebuilt from the parameters ``new`` at time ``t_ms`` from the
    host ``state`` and the ``old`` parameters (:meth:`~jaxsnn.models.base.Generator.tables`); ``running``:
    the simulation whose tables held until now, if not ``sim`` (a rebuild carrying a run's state): a model
    that ``holds_between_runs`` (a step current's amplitude) reads what it holds from the running tables,
    the others read the fresh build's (e.g. a spike_generator's events for its new times)."""
    G, h, tps = GENERATORS[name], sim.spec.time.resolution, sim.spec.time.tics_per_step
    nodes = sim.layout.generators[name][0]
    top = {k: np.asarray(v) for k, v in sim.model.generators[name].items()}
    conns = {k: top[k] for k in CONNECTION_KEYS}
    conns["window"] = np.array([window(p, h) for p in new], np.int64).reshape(-1, 2)
    old_par = sim.params.generators[name]
    was = running if G.holds_between_runs and running is not None and name in running.model.generators else sim
    built = ({k: np.asarray(v) for k, v in was.model.generators[name].items()},
             {k: np.asarray(v) for k, v in was.params.generators[name].items()})
    m, extra, par, st = G.tables(new, conns, h, tps, t_ms=t_ms, state=state, old=old, built=built)
    fdt = old_par["weight"].dtype
    topology = {**{k: jnp.asarray(v, jnp.int32) for k, v in {**conns, **extra}.items()}}
    params_ = {"weight": old_par["weight"], **{k: jnp.asarray(np.asarray(v, float), fdt) for k, v in par.items()}}
    state_ = {k: jnp.asarray(v) if np.asarray(v).dtype.kind in "iub" else jnp.asarray(v, fdt) for k, v in st.items()}
    spec = sim.spec
    if m != next(x for x in spec.models.generators if x.name == name):  # a configuration change: a new program
        spec = spec.replace(generators=tuple(m if x.name == name else x for x in spec.models.generators))
    model = sim.model.replace(spec=spec, generators={**sim.model.generators, name: topology})
    return sim.replace(model=model, params=sim.params.replace(generators={**sim.params.generators, name: params_}),
                       state=sim.state.replace(generators={**sim.state.generators, name: state_}),
                       layout=dataclasses.replace(sim.layout, generators={**sim.layout.generators,
                                                                          name: (nodes, tuple(new))}))
