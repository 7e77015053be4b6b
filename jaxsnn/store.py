"""Store and restore networks through Orbax (via :mod:`jaxsnn.checkpoint_io`: checksums, atomic writes).

Two kinds of files:

- :func:`store` / :func:`load` — a **selective store**, as in NEST's store/restore example: V_m per named
  population and the (source, target, weight, delay) table of chosen synapse models. A network rebuilt
  from it (``Network.connect(sources, targets, "one_to_one", ...)``, ``create(..., params={"V_m": ...})``)
  continues with the stored connectivity, weights and potentials, but starts at t = 0 with fresh STDP
  traces (K₊ = 0, t_last = 0, empty post-spike archives), nothing in transit and fresh recorders: the
  dynamics differ from a continuation, exactly as in NEST.
- :func:`save_checkpoint` / :func:`load_checkpoint` — a **complete checkpoint** of everything that shapes
  the future (every ``State`` leaf: V_m, refractory counters, spikes in transit, STDP traces and
  last-spike times, weights, the step counter and the key) plus what the recorders gathered. Restored
  into the same network it continues bit for bit as if it had never stopped.
"""
from __future__ import annotations

import dataclasses
import hashlib
from typing import TYPE_CHECKING

import jax
import numpy as np

from . import checkpoint_io as cio
from .errors import JaxsnnError
from .frames import frame
from .simulation import Simulation

if TYPE_CHECKING:
    import pandas as pd

SYN_COLUMNS = ("source", "target", "weight", "delay")


def store(path, sim: Simulation, populations: dict, synapse_models=()) -> int:
    """Write V_m of each named population and the connections of ``synapse_models``; returns bytes."""
    arrays, pops = {}, {}
    for name, nodes in populations.items():
        arrays[f"V_m/{name}"] = sim.get(nodes).V_m.to_numpy()
        pops[name] = {"size": len(nodes), "first_id": int(nodes.ids[0]), "last_id": int(nodes.ids[-1])}
    for model in synapse_models:
        c = sim.connections(model, devices=False)
        for col in SYN_COLUMNS:
            arrays[f"{model}/{col}"] = c[col].to_numpy()
    meta = {"kind": "selective", "resolution": sim.spec.resolution, "time_ms": sim.time, "populations": pops,
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

    def connections(self, model: str) -> pd.DataFrame:
        if model not in self.meta["synapse_models"]:
            raise JaxsnnError(f"no connections stored for {model!r}; stored: {list(self.meta['synapse_models'])}")
        return frame({c: self.arrays[f"{model}/{c}"].copy() for c in SYN_COLUMNS})


def load(path) -> Stored:
    arrays, meta = cio.read(path)
    if meta.get("kind") != "selective":
        raise JaxsnnError(f"{path} is not a selective store (kind {meta.get('kind')!r}); use load_checkpoint.")
    return Stored(arrays, meta)


def restore_into(sim: Simulation, stored: Stored, populations: dict | None = None, synapse_models=()) -> Simulation:
    """``sim`` with some stored leaves put back: V_m of the named ``populations`` ({name: nodes}) and the
    weights of ``synapse_models`` (matched by source, target and delay; the connectivity must be the
    stored one). Everything else in ``sim`` is kept. Sizes and connections are checked, never truncated."""
    state = sim.state
    for name, nodes in (populations or {}).items():
        v = stored.V_m(name)
        if len(v) != len(nodes):
            raise JaxsnnError(f"population {name!r}: {len(v)} stored V_m values for {len(nodes)} neurons.")
        idx = sim.layout.neuron_of_node[np.asarray(nodes.ids)]
        E_L = np.asarray(sim.params.neurons.E_L)[idx]
        V_rel = state.neurons.V_rel
        state = state.replace(neurons=state.neurons.replace(V_rel=V_rel.at[idx].set(jax.numpy.asarray(v - E_L, V_rel.dtype))))
    for model in synapse_models:
        have, want = sim.connections(model, devices=False), stored.connections(model)
        key = ["source", "target", "delay"]
        a = have.reset_index().sort_values(key, kind="stable")
        b = want.sort_values(key, kind="stable")
        if len(a) != len(b) or not np.array_equal(a[key].to_numpy(), b[key].to_numpy()):
            raise JaxsnnError(f"synapse model {model!r}: the stored connections ({len(b)}) are not those of this "
                              f"network ({len(a)}); rebuild it from the store instead.")
        m = np.nonzero(np.asarray(sim.model.synapses.model) == sim.layout.synapse_models.index(model))[0]
        rows = m[a["index"].to_numpy()]
        weights = state.weights
        state = state.with_weights(weights.at[rows].set(jax.numpy.asarray(b.weight.to_numpy(), weights.dtype)))
    return sim.replace(state=state)


# ---------------------------------------------------------------------------- complete checkpoints
def _leaf_name(prefix, path):
    """``state/neurons/V_rel``, ``state/buffers/samples/values/0``: a leaf's path in the tree."""
    return prefix + "/".join(str(getattr(k, "name", getattr(k, "idx", k))) for k in path)


def _leaves(tree, prefix):
    return {_leaf_name(prefix, path): np.asarray(v) for path, v in jax.tree_util.tree_flatten_with_path(tree)[0]}


def fingerprint(sim: Simulation) -> dict:
    """What a checkpoint must match: sizes, resolution, models and a digest of all parameters."""
    h = hashlib.sha256()
    for leaf in jax.tree_util.tree_leaves((sim.model, sim.params)):  # topology and parameters
        a = np.ascontiguousarray(np.asarray(leaf))
        h.update(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
    lay = sim.layout
    return {"resolution": sim.spec.resolution, "n_neurons": sim.spec.n_neurons,
            "n_synapses": int(sim.model.synapses.out_syn.shape[0]),
            "populations": [list(p) for p in lay.populations], "synapse_models": list(lay.synapse_models),
            "synapse_params": lay.synapse_params, "float": "float64" if sim.spec.x64 else "float32",
            "params_sha256": h.hexdigest()}


def _checkpoint(sim: Simulation) -> tuple[dict, dict]:
    arrays = _leaves(sim.state, "state/")
    for rid, chunks in sim.records.items():
        for col in chunks[0]:
            arrays[f"records/{rid}/{col}"] = np.concatenate([c[col] for c in chunks])
    meta = {"kind": "complete", "network": fingerprint(sim),
            "capacities": {k: getattr(sim.spec, k) for k in ("slice_capacity", "record_capacity", "weight_capacity")},
            "multimeter_rows": list(sim.spec.multimeter_rows), "time_ms": sim.time}
    return arrays, meta


def _resume(arrays: dict, meta: dict, like: Simulation, where) -> Simulation:
    if meta.get("kind") != "complete":
        raise JaxsnnError(f"{where} is not a complete checkpoint (kind {meta.get('kind')!r}).")
    want, got = fingerprint(like), meta["network"]
    diff = [k for k in want if want[k] != got.get(k)]
    if diff:
        k = diff[0]
        raise JaxsnnError(f"checkpoint {where} is from a different network: {k} is {got.get(k)!r} in the "
                          f"checkpoint but {want[k]!r} here" + (f" (also differs: {diff[1:]})" if diff[1:] else ""))
    spec = dataclasses.replace(like.spec, multimeter_rows=tuple(meta["multimeter_rows"]), **meta["capacities"])
    paths, tree = jax.tree_util.tree_flatten_with_path(like.state)
    state = tree.unflatten([_take(arrays, _leaf_name("state/", p), v.dtype, where) for p, v in paths])
    records = {}
    for name, a in arrays.items():
        if name.startswith("records/"):
            _, rid, col = name.split("/")
            records.setdefault(int(rid), {})[col] = a
    return like.replace(model=like.model.replace(spec=spec), state=state,
                        records={rid: (cols,) for rid, cols in records.items()})


def save_checkpoint(path, sim: Simulation, *, overwrite: bool = False) -> int:
    """Write a complete checkpoint of ``sim``; returns the bytes written."""
    return cio.write(path, *_checkpoint(sim), overwrite=overwrite)


def load_checkpoint(path, like: Simulation) -> Simulation:
    """Continue ``like`` (the same network, freshly built by the user's code) from the checkpoint.

    Any difference in sizes, resolution, synapse models, parameters or precision is an error that
    names it; so are a missing leaf, a damaged file (checksums) or a selective store.
    """
    arrays, meta = cio.read(path)
    return _resume(arrays, meta, like, path)


def simulate_with_checkpoints(sim: Simulation, t: float, directory, every: float, keep: int = 3,
                              progress: bool = False) -> Simulation:
    """``simulate(sim, t)``, writing a complete checkpoint every ``every`` ms of simulated time into
    ``directory`` (named by global step, keeping the last ``keep``). After a crash, :func:`resume`
    continues from the latest one and ends bit-identical to an uninterrupted run."""
    from .simulation import simulate

    series = cio.CheckpointSeries(directory, keep=keep)
    n, k = sim.steps(t), sim.steps(every, "every")
    if k < 1:
        raise JaxsnnError(f"every={every!r} must be at least one step ({sim.spec.resolution} ms).")
    done = 0
    while done < n:
        m = min(k, n - done)
        sim = simulate(sim, m * sim.spec.resolution, progress=progress)
        done += m
        series.save(int(sim.state.step), *_checkpoint(sim))
    return sim


def resume(directory, like: Simulation) -> Simulation:
    """``like`` continued from the latest complete checkpoint in ``directory`` (``like`` if none)."""
    series = cio.CheckpointSeries(directory)
    if series.latest_step() is None:
        return like
    arrays, meta = series.restore()
    return _resume(arrays, meta, like, f"{directory}/{series.latest_step()}")


def _take(arrays, name, dtype, where):
    if name not in arrays:
        raise JaxsnnError(f"checkpoint {where} lacks the leaf {name!r}")
    return jax.numpy.asarray(arrays[name], dtype)
