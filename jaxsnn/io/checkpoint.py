"""Complete checkpoints: everything that shapes the future, continued bit for bit (Orbax files via
:mod:`jaxsnn.io.checkpoint_io`: checksums, atomic writes, series of steps).

- :func:`save_checkpoint` / :func:`load_checkpoint` — every ``State`` leaf (V_m, refractory counters,
  spikes in transit, STDP traces and last-spike times, weights, the step counter and the key) plus what
  the recorders gathered. Restored into the same network it continues bit for bit as if it had never
  stopped; a checkpoint of another network is refused naming what differs.
- :func:`simulate_with_checkpoints` / :func:`resume` — a series of checkpoints during a run, and the
  continuation from the newest intact one after a crash.

Selective stores (V_m and chosen weights, NEST's store/restore example) are :mod:`jaxsnn.io.store`.
"""
from __future__ import annotations

import os
import warnings

import jax
import numpy as np

from ..core import recorders
from ..errors import CheckpointError, CheckpointMismatchError, CheckpointNotFoundError, CheckpointWarning, JaxsnnError
from ..run.simulation import Simulation, run_steps, simulate
from . import checkpoint_io as cio

# A complete checkpoint (store format 2) holds the arrays
#   state/<path>      every leaf of sim.state (path: jax.tree_util.keystr(simple=True, separator="/"))
#   params/<path>     every leaf of sim.params, to name what differs when loaded into another network
#   records/<id>/<c>  column c of what recorder <id> gathered
# and the metadata {"kind": "complete", "store_format", "network": fingerprint, "spec": static spec fields,
# "capacities": grown capacities, "records": {id: {"rows", "columns"}}, "time_ms"}.
STORE_FORMAT = 6  # 3: neuron state and params per model (state/neurons/models/<model>/<name>); 4: poisson, dc,
# step_current and noise generators' params per model (params/generators/<model>/<name>); 5: recorder buffers
# per recorder model (state/buffers/<model>/<name>), capacities of the recorders present only; 6: the recorders'
# held generator values (multimeter's and spike_recorder's pending, spike_recorder's multiplicity)
# Capacities a run grows on overflow (simulation._grown), and each recorder model's (under its capacity_name);
# everything else in the spec must match the network it is loaded into. Buffer shapes follow them, so they
# come back from the checkpoint (validated).
GROWABLE = ("slice_capacity", "post_capacity")
# An optional metadata entry, with arrays named "layer/...": what a stateful layer over the simulation keeps
# beside it (jaxsnn.nest: its network description and host state, jaxsnn.nest.checkpoint); loading a
# simulation ignores both.
LAYER = "layer"
_SPEC_FREE = ("differentiable", "neuron_axis")  # choices of the run, not of the network
_INT32_MAX = 2**31 - 1


def _leaf_name(path) -> str:
    return jax.tree_util.keystr(path, simple=True, separator="/")


def _named_leaves(tree, prefix: str) -> dict:
    """{prefix + path: host array} of every leaf (typed PRNG keys as their key data). A split network's
    synapse records (:class:`jaxsnn.run.sharding.SplitRecords`) are named by their place, as an unsplit
    network's arrays: the tree is rebuilt first, which puts each one's assembled table there."""
    tree = jax.tree_util.tree_map(lambda x: x, tree)
    return {prefix + _leaf_name(p): _to_host(leaf) for p, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]}


def _to_host(leaf) -> np.ndarray:
    if isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
        leaf = jax.random.key_data(leaf)
    return np.asarray(leaf)


def _from_host(a: np.ndarray, like):
    if isinstance(like, jax.Array) and jax.dtypes.issubdtype(like.dtype, jax.dtypes.prng_key):
        return jax.random.wrap_key_data(a, impl=jax.random.key_impl(like))
    # a transfer (jnp.asarray compiled a program per leaf shape and dtype), of a copy: on the CPU device_put may
    # share the NumPy buffer, which a run taking the state over (donated) could then overwrite
    return jax.device_put(np.array(a, copy=True))


def fingerprint(sim: Simulation) -> dict:
    """What a checkpoint must match besides its parameter leaves: sizes, resolution, models, precision."""
    lay = sim.layout
    out = {"resolution": sim.spec.time.resolution, "n_neurons": sim.spec.sizes.n_neurons,
           "n_synapses": int(sim.model.synapses.out_syn.shape[0]),
           "topology": {n: cio.sha256(a) for n, a in _named_leaves(sim.model, "model/").items()},
           "populations": [list(p) for p in lay.populations], "synapse_models": list(lay.synapse_models),
           "synapse_params": lay.synapse_params, "float": "float64" if sim.spec.x64 else "float32"}
    if lay.layers:  # positions are part of the network: a checkpoint holds them and must match them
        out["layers"] = [{"first_id": int(first), **layer.to_meta()} for first, layer in lay.layers]
    out["initial_state_sha256"] = lay.initial_state_sha256  # the build's V_m and weights
    return cio._plain(out, "fingerprint")


def _static_spec(spec) -> dict:
    """The spec's fields that describe the network (not the grown capacities, not run choices)."""
    def plain(name, v):  # models, generators and rules (static metadata): name(options)
        if name in ("neuron_models", "generators"):
            return [repr(m) for m in v]
        if name == "recorders":  # without their (grown) capacities
            return [repr(m.with_capacity(None)) for m in spec.models.recorders]
        return repr(v) if name in ("stdp_rule", "stp_rule") and v is not None else v

    return cio._plain({k: plain(k, v) for k, v in spec.fields().items() if k not in GROWABLE and k not in _SPEC_FREE},
                      "spec")


def _capacities(spec) -> dict:
    return cio._plain({**{k: spec.fields()[k] for k in GROWABLE}, **{r.capacity_name: r.capacity
                                                                     for r in spec.models.recorders}}, "capacities")


def _with_capacities(spec, saved, where):
    """``spec`` with the checkpoint's grown capacities: exactly GROWABLE, each an int from this network's
    (freshly built) value up to its largest possible one; a checkpoint can change nothing else."""
    names = GROWABLE + tuple(r.capacity_name for r in spec.models.recorders)
    if not isinstance(saved, dict) or set(saved) != set(names):
        got = sorted(saved) if isinstance(saved, dict) else type(saved).__name__
        raise CheckpointError(f"checkpoint {where}: capacities must be exactly {list(names)}, got {got}")
    kw = {}
    for name in GROWABLE:
        fresh = spec.fields()[name]
        top = max(fresh, spec.sizes.n_neurons * spec.time.slice_steps) if name == "slice_capacity" else _INT32_MAX
        kw[name] = _capacity(name, saved[name], fresh, top, where)
    grown = []
    for r in spec.models.recorders:
        name, fresh, value = r.capacity_name, r.capacity, saved[r.capacity_name]
        if isinstance(fresh, tuple):  # one per node
            if not (isinstance(value, list) and len(value) == len(fresh)):
                raise CheckpointError(f"checkpoint {where}: capacity {name}={value!r} is not a list of "
                                      f"{len(fresh)} integers (one per {r.name})")
            value = tuple(_capacity(f"{name}[{i}]", v, f, _INT32_MAX, where)
                          for i, (v, f) in enumerate(zip(value, fresh)))
        else:
            value = _capacity(name, value, fresh, _INT32_MAX, where)
        grown.append(r.with_capacity(value))
    return spec.replace(**kw, recorders=tuple(grown))


def _capacity(name, value, fresh, top, where) -> int:
    ok = type(value) is int and fresh <= value <= top and (value > 0 or fresh == 0) and (fresh > 0 or value == 0)
    if not ok:
        raise CheckpointError(f"checkpoint {where}: capacity {name}={value!r} is not allowed: an integer from this "
                              f"network's {fresh} to {top}" + (" (0: none)" if fresh == 0 else "")
                              + "; if you built it with a larger capacity, build it with the one the checkpoint "
                              "was made with")
    return value


def _expected_state(like: Simulation, spec):
    """``like.state`` with its recorder buffers sized for ``spec`` (the shapes a checkpoint's state has)."""
    return like.state.replace(buffers=recorders.empty(spec, like.model, like.params.neurons.tau_minus.dtype))


def _recorder_ids(sim: Simulation) -> set:
    return {int(i) for info in sim.layout.recorders.values() for i in info["nodes"]}


def _checkpoint(sim: Simulation) -> tuple[dict, dict]:
    arrays = _named_leaves(sim.state, "state/")
    arrays.update(_named_leaves(sim.params, "params/"))
    records = {}
    for rid, chunks in sim.records.items():
        cols = list(chunks[0]) if chunks else []
        for col in cols:
            arrays[f"records/{rid}/{col}"] = np.concatenate([c[col] for c in chunks])
        records[str(int(rid))] = {"rows": int(sum(len(c[cols[0]]) for c in chunks)) if cols else 0, "columns": cols}
    meta = {"kind": "complete", "store_format": STORE_FORMAT, "network": fingerprint(sim),
            "spec": _static_spec(sim.spec), "capacities": _capacities(sim.spec), "records": records,
            "time_ms": sim.time}
    return arrays, meta


def _load(path, like: Simulation) -> Simulation:
    """``like`` continued from the complete checkpoint at ``path``; CheckpointError (or its
    CheckpointMismatchError for an intact checkpoint of another network) naming what is wrong."""
    path = cio.resolve_path(path)
    record = cio.read_meta(path)
    meta, entries = record["user"], record["arrays"]
    if meta.get("kind") != "complete":
        raise CheckpointError(f"{path} is not a complete checkpoint (kind {meta.get('kind')!r}); "
                              + ("use jaxsnn.load for a selective store." if meta.get("kind") == "selective" else ""))
    if meta.get("store_format") != STORE_FORMAT:
        fmt = meta.get("store_format", 1)
        raise CheckpointError(f"{path} is a complete checkpoint of store format {fmt!r} (written by jaxsnn "
                              f"{record['versions'].get('jaxsnn', '?')}); this jaxsnn continues only store format "
                              f"{STORE_FORMAT}: run the simulation again from its start (or with the jaxsnn that "
                              "wrote it)")
    want_keys = {"kind", "store_format", "network", "spec", "capacities", "records", "time_ms"}
    if set(meta) - {LAYER} != want_keys:  # a layer's part is read by the layer (jaxsnn.nest.checkpoint)
        raise CheckpointError(f"checkpoint {path}: damaged metadata, entries {sorted(set(meta) - {LAYER} ^ want_keys)} "
                              "unexpected or missing")
    want, got = fingerprint(like), meta["network"]
    if not isinstance(got, dict):
        _compare(path, "", got, want)  # names the damage
    for k in ("n_neurons", "n_synapses"):  # sizes first: they explain every other difference
        _compare(path, "", {k: got.get(k)}, {k: want[k]})
    topology = got.get("topology")
    if isinstance(topology, dict) and topology != want["topology"]:
        differ = sorted(k for k in set(topology) | set(want["topology"]) if topology.get(k) != want["topology"].get(k))
        raise CheckpointMismatchError(f"checkpoint {path} is from a different network: its connectivity or devices "
                                      f"differ ({', '.join(differ)})")
    _compare(path, "", {k: v for k, v in got.items() if k != "initial_state_sha256"},
             {k: v for k, v in want.items() if k != "initial_state_sha256"})
    params = _named_leaves(like.params, "params/")
    stored = {n for n in entries if n.startswith("params/")}
    if stored != set(params):
        raise CheckpointMismatchError(f"checkpoint {path} is from a different network: parameter leaves "
                                      f"{sorted(stored - set(params))} only in the checkpoint, "
                                      f"{sorted(set(params) - stored)} only here")
    differ = [n for n, a in params.items() if cio.sha256(a) != entries[n]["sha256"]
              or list(a.shape) != entries[n]["shape"] or a.dtype.str != entries[n]["dtype"]]
    if differ:  # read the differing leaves, to say how they differ
        theirs, _ = cio.read(path, differ)
        raise CheckpointMismatchError(f"checkpoint {path} is from a different network: "
                                      + "; ".join(_difference(n, theirs[n], params[n], like) for n in differ))
    if got.get("initial_state_sha256") != want["initial_state_sha256"]:
        raise CheckpointMismatchError(f"checkpoint {path} is from a different network: it was built with other "
                                      "initial V_m or weights (rebuild it as the checkpointed run was built; to carry "
                                      "weights into another network use jaxsnn.store and restore_into)")
    _compare(path, "spec ", meta["spec"], _static_spec(like.spec))
    spec = _with_capacities(like.spec, meta["capacities"], path)
    expected = _expected_state(like, spec)
    leaves, treedef = jax.tree_util.tree_flatten_with_path(expected)
    names = ["state/" + _leaf_name(p) for p, _ in leaves]
    stored_state = {n for n in entries if n.startswith("state/")}
    if stored_state != set(names):
        _refuse_calcium(path, stored_state, set(names))
        raise CheckpointError(f"checkpoint {path}: its state leaves are not those of this network: "
                              f"{sorted(stored_state - set(names))} only in the checkpoint, "
                              f"{sorted(set(names) - stored_state)} missing")
    records = _record_names(path, meta["records"], entries, like)
    arrays, _ = cio.read(path, names + records + sorted(params))  # params too: all data checksummed on load
    state = []
    for name, (_, leaf) in zip(names, leaves):
        a, want = arrays[name], _to_host(leaf)
        if a.shape != want.shape or a.dtype != want.dtype:
            raise CheckpointError(f"checkpoint {path}: leaf {name!r} is {a.dtype}{list(a.shape)} in the checkpoint, "
                                  f"but this network's is {want.dtype}{list(want.shape)}")
        state.append(_from_host(a, leaf))
    state = jax.tree_util.tree_unflatten(treedef, state)
    if int(state.step) < 0:
        raise CheckpointError(f"checkpoint {path}: step {int(state.step)} is negative")
    out = {}
    for name in records:
        _, rid, col = name.split("/")
        out.setdefault(int(rid), {})[col] = arrays[name]
    return like.replace(model=like.model.replace(spec=spec), state=state,
                        records={rid: (cols,) for rid, cols in out.items()})


def _refuse_calcium(path, stored: set, expected: set) -> None:
    """A checkpoint that differs from the network only in keeping NEST's calcium trace (``build(calcium=True)``,
    every jaxsnn.nest network; checkpoints written before jaxsnn kept it have none): refused, saying so."""
    from ..core.calcium import FIELDS

    calcium = {f"state/plasticity/post/{k}" for k in FIELDS}
    if stored ^ expected != calcium:
        return
    if calcium <= expected:
        raise CheckpointError(f"checkpoint {path} has no calcium trace (Ca), which this network keeps (every "
                              "jaxsnn.nest network, or build(calcium=True)): it was written by a jaxsnn before Ca was "
                              "kept, or of a network built without calcium=True. Its run cannot continue with NEST's "
                              "Ca: run the simulation again from its start, or load it into a network built without "
                              "calcium=True (the functional API).")
    raise CheckpointError(f"checkpoint {path} keeps the calcium trace (Ca) of a network built with calcium=True, which "
                          "this network does not: build it with calcium=True to continue it.")


def _compare(path, what, got, want) -> None:
    if not isinstance(got, dict):
        raise CheckpointError(f"checkpoint {path}: damaged metadata, '{what.strip() or 'network'}' is not a "
                              f"mapping but {got!r:.100}")
    diff = [k for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
    if diff:
        k = diff[0]
        more = f" (also differs: {diff[1:]})" if diff[1:] else ""
        raise CheckpointMismatchError(f"checkpoint {path} is from a different network: {what}{k} is {got.get(k)!r} "
                                      f"in the checkpoint but {want.get(k)!r} here{more}")


def _record_names(path, recs, entries, like) -> list:
    """The record arrays the metadata promises, checked against the stored arrays and this network's recorders."""
    ids = _recorder_ids(like)
    if not isinstance(recs, dict):
        raise CheckpointError(f"checkpoint {path}: damaged metadata, 'records' is not a mapping")
    names = []
    for rid, r in recs.items():
        if not (rid.isdigit() and int(rid) in ids):
            raise CheckpointError(f"checkpoint {path}: records of node {rid!r}, which is no recorder of this network "
                                  f"(recorders: {sorted(ids)})")
        if not (isinstance(r, dict) and set(r) == {"rows", "columns"} and type(r["rows"]) is int
                and isinstance(r["columns"], list) and all(isinstance(c, str) and "/" not in c for c in r["columns"])):
            raise CheckpointError(f"checkpoint {path}: damaged metadata for the records of node {rid}: {r!r:.200}")
        for col in r["columns"]:
            name = f"records/{rid}/{col}"
            e = entries.get(name)
            if e is None or e["shape"][:1] != [r["rows"]]:
                raise CheckpointError(f"checkpoint {path}: the records of node {rid} lack {col!r} or it does not "
                                      f"have their {r['rows']} rows")
            names.append(name)
    extra = sorted(n for n in entries if n.startswith("records/") and n not in names)
    if extra:
        raise CheckpointError(f"checkpoint {path}: record arrays {extra} are not in its list of records")
    return names


def _difference(name, theirs, ours, sim) -> str:
    """e.g. "params/neurons/I_e differs for 20 of 100 neurons (first: node 4, 376.0 in the checkpoint, 400.0 here)"."""
    if theirs.shape != ours.shape or theirs.dtype != ours.dtype:
        return (f"{name} is {theirs.dtype}{list(theirs.shape)} in the checkpoint but "
                f"{ours.dtype}{list(ours.shape)} here")
    if theirs.ndim == 0:
        return f"{name} is {theirs.item()!r} in the checkpoint but {ours.item()!r} here"
    ne = (theirs.reshape(len(theirs), -1).view(np.uint8) != ours.reshape(len(ours), -1).view(np.uint8)).any(axis=1)
    first = int(np.argmax(ne))
    n_syn, n_neu = int(sim.model.synapses.out_syn.shape[0]), sim.spec.sizes.n_neurons
    parts = name.split("/")
    per_model = parts[1:3] == ["neurons", "models"] and len(parts) > 3
    if per_model:  # a model's leaf: over its neurons, in node order
        i = [m.name for m in sim.spec.models.neuron_models].index(parts[3])
        neurons = np.concatenate([np.arange(a, a + n) for a, n in sim.spec.models.neuron_runs[i]])
        what = f"{int(ne.sum())} of {len(ne)} {parts[3]} neurons"
        where = f"node {int(sim.layout.node_of_neuron[neurons[first]])}"
    elif len(ne) == n_syn and n_syn != n_neu:  # per synapse: count by synapse model
        models = np.asarray(sim.layout.synapse_models, dtype=str)[np.asarray(sim.model.synapses.model)[ne]]
        kinds, counts = np.unique(models, return_counts=True)
        what = " and ".join(f"{c} {m}" for m, c in zip(kinds, counts)) + f" connections (of {n_syn})"
        where = f"synapse {first}"
    elif len(ne) == n_neu:
        what, where = f"{int(ne.sum())} of {n_neu} neurons", f"node {int(sim.layout.node_of_neuron[first])}"
    else:
        what, where = f"{int(ne.sum())} of {len(ne)} entries", f"entry {first}"
    return (f"{name} differs for {what} (first: {where}, {theirs[first].tolist()!r} in the checkpoint, "
            f"{ours[first].tolist()!r} here)")


def save_checkpoint(path, sim: Simulation, *, overwrite: bool = False) -> int:
    """Write a complete checkpoint of ``sim`` at ``path`` (str or PathLike; ``~`` and relative paths are
    resolved); returns the bytes written. :class:`~jaxsnn.errors.CheckpointError` if it cannot be written
    (the previous content of ``path`` is then unchanged)."""
    return cio.write(path, *_checkpoint(sim), overwrite=overwrite)


def load_checkpoint(path, like: Simulation) -> Simulation:
    """Continue ``like`` (the same network, freshly built by the user's code) from the checkpoint.

    Any difference in sizes, resolution, synapse models, parameters or precision is a
    :class:`~jaxsnn.errors.CheckpointMismatchError` naming the quantity (e.g. "params/neurons/I_e differs for
    20 of 100 neurons"); damage, missing leaves, bad metadata or a selective store are a
    :class:`~jaxsnn.errors.CheckpointError` saying what is wrong."""
    return _load(path, like)


def simulate_with_checkpoints(sim: Simulation, t: float, directory, every: float, keep: int = 3,
                              progress: bool = False) -> Simulation:
    """``simulate(sim, t)``, writing a complete checkpoint every ``every`` ms of simulated time into
    ``directory`` (named by global step, keeping the last ``keep``). After a crash, :func:`resume`
    continues from the latest intact one and ends bit-identical to an uninterrupted run.

    Past one process (``jax.distributed``), every process calls it and one checkpoint is written per
    step. The call is the directory's only writer while it runs (a second one gets
    :class:`~jaxsnn.errors.CheckpointLockedError`). Intact checkpoints later than ``sim`` are an error
    (resume from them, or use another directory); damaged later ones (those :func:`resume` fell back
    past) are renamed ``<step>.damaged-<n>`` with a :class:`~jaxsnn.errors.CheckpointWarning` and
    written anew."""
    n, k = run_steps(sim, t), sim.steps(every, "every")  # refused before anything is written
    if k < 1:
        raise JaxsnnError(f"every={every!r} must be at least one step ({sim.spec.time.resolution} ms).")
    with cio.CheckpointSeries(directory, keep=keep) as series:
        series.acquire()
        _set_aside_later(series, sim)
        done = 0
        while done < n:
            m = min(k, n - done)
            # one run (NEST's calcium trace is decayed at its end only, as NEST's Simulate does)
            sim = simulate(sim, m * sim.spec.time.resolution, progress=progress, end_run=done + m == n)
            done += m
            series.save(int(sim.state.step), *_checkpoint(sim))
    return sim


def _set_aside_later(series, sim: Simulation) -> None:
    """Damaged checkpoints later than ``sim`` (judged as :func:`resume` judges them) are renamed; intact ones
    are an error (they would be overwritten by another timeline)."""
    step = int(sim.state.step)
    intact = []
    for s in [s for s in series.steps() if s > step]:
        try:
            _load(series._path(s), sim)
            intact.append(s)
        except CheckpointMismatchError:
            raise
        except CheckpointError as exc:
            for i in range(1000):
                aside = series.directory / f"{s}.damaged-{i}"
                if not os.path.lexists(aside):
                    break
            if cio._processes()[0] == 0:  # past one process, process 0 renames for all
                os.rename(series._path(s), aside)
            warnings.warn(CheckpointWarning(f"checkpoint step {s} in {series.directory} is damaged ({exc}); "
                                            f"moved it to {aside.name} and writing step {s} anew"), stacklevel=3)
    if intact:
        raise CheckpointError(f"{series.directory} already holds intact checkpoint step(s) {intact}, later than this "
                              f"simulation's step {step}: continue from them with jaxsnn.resume(directory, like), "
                              "or write to another directory")


def resume(directory, like: Simulation, *, fresh_ok: bool = False) -> Simulation:
    """``like`` continued from the newest intact complete checkpoint in ``directory``.

    Damaged newer checkpoints are skipped with a :class:`~jaxsnn.errors.CheckpointWarning` naming them.
    A directory without any checkpoint (missing, mistyped, empty) is a
    :class:`~jaxsnn.errors.CheckpointNotFoundError`, unless ``fresh_ok=True``: then ``like`` is returned
    as it is (start from t = 0). Nothing is created or changed in ``directory``. A checkpoint of another
    network is a :class:`~jaxsnn.errors.CheckpointMismatchError` (no fallback: the directory is not this
    network's)."""
    series = cio.CheckpointSeries(directory)
    damaged = {}
    for _ in range(100):  # a concurrent writer may prune every step we listed
        steps = [s for s in series.steps() if s not in damaged]
        if not steps:
            break
        for s in reversed(steps):
            try:
                sim = _load(series._path(s), like)
            except CheckpointMismatchError:
                raise
            except CheckpointError as exc:
                if not series._pruned(s):
                    damaged[s] = exc
                continue
            if damaged:
                warnings.warn(CheckpointWarning(
                    f"resume: skipped damaged checkpoint(s) in {series.directory}: "
                    + "; ".join(f"step {k}: {e}" for k, e in sorted(damaged.items(), reverse=True))
                    + f". Resumed from step {s} (t = {sim.time} ms) instead."), stacklevel=2)
            return sim
        if not any(not series._pruned(s) for s in steps):
            continue
        break
    if damaged:
        raise CheckpointError(f"resume: no intact checkpoint in {series.directory}: "
                              + "; ".join(f"step {k}: {e}" for k, e in sorted(damaged.items(), reverse=True)))
    if fresh_ok:
        return like
    state = "does not exist" if not os.path.lexists(series.directory) else "holds no checkpoint step directory"
    raise CheckpointNotFoundError(f"resume: {series.directory} {state}; check the path, or pass fresh_ok=True "
                                  "to start from t = 0 when there is no checkpoint yet")
