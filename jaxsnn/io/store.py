"""Selective store and restore, as in NEST's store/restore example (Orbax files via
:mod:`jaxsnn.io.checkpoint_io`: checksums, atomic writes).

- :func:`store` / :func:`load` — a **selective store**: V_m per named
  population and the (source, target, weight, delay) table of chosen synapse models. A network rebuilt
  from it (``Network.connect(sources, targets, "one_to_one", ...)``, ``create(..., params={"V_m": ...})``)
  continues with the stored connectivity, weights and potentials, but starts at t = 0 with fresh STDP
  traces (K₊ = 0, t_last = 0, empty post-spike archives), nothing in transit and fresh recorders: the
  dynamics differ from a continuation, exactly as in NEST.

Complete checkpoints (everything that shapes the future) are :mod:`jaxsnn.io.checkpoint`.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import jax
import numpy as np

from .. import checks
from ..errors import CheckpointError, JaxsnnError
from ..run import frames
from ..run.frames import frame
from ..run.simulation import Simulation
from . import checkpoint_io as cio

if TYPE_CHECKING:
    import pandas as pd

SYN_COLUMNS = ("source", "target", "weight", "delay")


def store(path, sim: Simulation, populations: dict, synapse_models=()) -> int:
    """Write V_m of each named population and the connections of ``synapse_models`` at ``path`` (str or
    PathLike; ``~`` and relative paths resolved); returns bytes."""
    arrays, pops = {}, {}
    for name, nodes in populations.items():
        arrays[f"V_m/{name}"] = sim.get(nodes).V_m.to_numpy()
        pops[name] = {"size": len(nodes), "first_id": int(nodes.ids[0]), "last_id": int(nodes.ids[-1])}
        for first, layer in sim.layout.layers:  # a whole spatial layer: how to make it again
            if first == nodes.ids[0] and len(layer.positions) == len(nodes):
                pops[name]["positions"] = layer.to_meta()
    for model in synapse_models:
        c = sim.connections(model, devices=False)
        for col in SYN_COLUMNS:
            arrays[f"{model}/{col}"] = c[col].to_numpy()
    meta = {"kind": "selective", "resolution": sim.spec.time.resolution, "time_ms": sim.time, "populations": pops,
            "synapse_models": {m: sim.layout.synapse_params.get(m, {}) for m in synapse_models}}
    return cio.write(path, arrays, meta)


@dataclasses.dataclass(frozen=True)
class Stored:
    """What :func:`load` returns: V_m per population and connection tables, plus the metadata."""

    arrays: dict
    meta: dict

    def V_m(self, population: str) -> np.ndarray:
        if f"V_m/{population}" not in self.arrays:
            raise JaxsnnError(f"no V_m stored for population {population!r}; stored: {list(self.meta['populations'])}")
        return self.arrays[f"V_m/{population}"]

    def positions(self, population: str):
        """The ``positions=`` spec (:func:`jaxsnn.spatial.grid` or :func:`~jaxsnn.spatial.free`) that makes
        the stored spatial population again with the same positions, bit for bit."""
        p = self.meta["populations"].get(population)
        if p is None or "positions" not in p:
            raise JaxsnnError(f"no positions stored for population {population!r} (it was not a whole spatial "
                              f"layer, or is not stored); stored: {list(self.meta['populations'])}")
        from ..spatial.positions import Layer

        return Layer.from_meta(p["positions"]).spec()

    def connections(self, model: str) -> pd.DataFrame:
        if model not in self.meta["synapse_models"]:
            raise JaxsnnError(f"no connections stored for {model!r}; stored: {list(self.meta['synapse_models'])}")
        return frame({c: self.arrays[f"{model}/{c}"].copy() for c in SYN_COLUMNS})


def load(path) -> Stored:
    """Read a selective store written by :func:`store` (``path``: str or PathLike, ``~`` and relative paths
    resolved). :class:`~jaxsnn.errors.CheckpointError` naming what is wrong if it is damaged, inconsistent
    or not a selective store."""
    path = cio.resolve_path(path)
    arrays, meta = cio.read(path)
    if meta.get("kind") != "selective":
        raise CheckpointError(f"{path} is not a selective store (kind {meta.get('kind')!r}); use load_checkpoint.")
    _check_selective(path, arrays, meta)
    return Stored(arrays, meta)


def _check_selective(path, arrays: dict, meta: dict) -> None:
    """Every population's V_m and every synapse model's four columns are there, with the promised lengths."""
    pops, models = meta.get("populations"), meta.get("synapse_models")
    if not (isinstance(pops, dict) and isinstance(models, dict)):
        raise CheckpointError(f"store {path}: damaged metadata, 'populations' or 'synapse_models' is not a mapping")
    expected = set()
    for name, p in pops.items():
        v = arrays.get(f"V_m/{name}")
        if not (isinstance(p, dict) and type(p.get("size")) is int and v is not None and v.shape == (p["size"],)):
            raise CheckpointError(f"store {path}: population {name!r} lacks V_m or it does not have its "
                                  f"{p.get('size') if isinstance(p, dict) else '?'} values")
        expected.add(f"V_m/{name}")
    for model in models:
        cols = [arrays.get(f"{model}/{c}") for c in SYN_COLUMNS]
        if any(c is None or c.ndim != 1 or len(c) != len(cols[0]) for c in cols):
            raise CheckpointError(f"store {path}: the connections of {model!r} lack a column of {SYN_COLUMNS} "
                                  "or the columns differ in length")
        expected.update(f"{model}/{c}" for c in SYN_COLUMNS)
    if set(arrays) != expected:
        raise CheckpointError(f"store {path}: arrays {sorted(set(arrays) - expected)} are not in its metadata")


def restore_into(sim: Simulation, stored: Stored, populations: dict | None = None, synapse_models=()) -> Simulation:
    """``sim`` with some stored leaves put back: V_m of the named ``populations`` ({name: nodes}) and the
    weights of ``synapse_models`` (matched by source, target and delay; the connectivity must be the
    stored one). Everything else in ``sim`` is kept. Sizes and connections are checked, never truncated."""
    from ..run.simulation import _set_neurons

    for name, nodes in (populations or {}).items():
        v = stored.V_m(name)
        _, idx = frames.neuron_index(sim.layout, nodes, f"restore_into: populations[{name!r}]")  # neurons only
        if len(v) != len(idx):
            raise JaxsnnError(f"population {name!r}: {len(v)} stored V_m values for {len(idx)} neurons.")
        checks.first_bad(f"restore_into: stored V_m of population {name!r}", v, ~np.isfinite(v), "finite values (mV)")
        sim = _set_neurons(sim, idx, len(idx), {"V_m": v})  # each model's set_status (V relative to E_L)
    state = sim.state
    for model in synapse_models:
        have, want = sim.connections(model, devices=False), stored.connections(model)
        key = ["source", "target", "delay"]
        a = have.reset_index().sort_values(key, kind="stable")
        b = want.sort_values(key, kind="stable")
        if len(a) != len(b) or not np.array_equal(a[key].to_numpy(), b[key].to_numpy()):
            raise JaxsnnError(f"synapse model {model!r}: the stored connections ({len(b)}) are not those of this "
                              f"network ({len(a)}); rebuild it from the store instead.")
        if not len(b):  # no connections between neurons (a model used only by devices): no weight to put back
            continue
        m = np.nonzero(np.asarray(sim.model.synapses.model) == sim.layout.synapse_models.index(model))[0]
        rows = m[a["index"].to_numpy()]
        _check_weights(sim, model, rows, b.weight.to_numpy())
        weights = state.weights
        state = state.with_weights(weights.at[rows].set(jax.numpy.asarray(b.weight.to_numpy(), weights.dtype)))
    return sim.replace(state=state)


def _check_weights(sim: Simulation, model: str, rows: np.ndarray, w: np.ndarray) -> None:
    """Stored weights as ``connect`` checks them: finite, and of the sign of Wmax for plastic synapses."""
    where = f"restore_into: stored weight of {model!r}"
    checks.first_bad(where, w, ~np.isfinite(w), "finite values (connect refuses others)")
    stdp_row = np.asarray(sim.model.synapses.stdp_row)[rows]
    plastic = stdp_row >= 0
    if not plastic.any():
        return
    table = np.asarray(sim.params.stdp)
    of_rule = sim.spec.plasticity.stdp_rule.rule_index(table)[np.maximum(stdp_row, 0)]
    for i, rule in enumerate(sim.spec.plasticity.stdp_rule.rules):
        if rule.sign_of is not None:  # a rule whose weights keep a parameter's sign (Wmax)
            mine = plastic & (of_rule == i)
            bound = table[np.maximum(stdp_row, 0), rule.columns.index(rule.sign_of)]
            checks.first_bad(where, w, mine & ((w >= 0) != (bound >= 0)),
                             f"the sign of the synapse's {rule.sign_of} (NEST checks this; 0 counts as positive)")
