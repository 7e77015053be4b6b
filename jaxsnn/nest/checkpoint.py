"""Complete checkpoints of :mod:`jaxsnn.nest`: the simulation and everything the layer keeps on the host.

``save_checkpoint(path)`` writes one complete checkpoint (:mod:`jaxsnn.io.checkpoint`: checksums, an
atomic write) holding, besides the simulation's state and parameters,

- the network description as it is now: every node's parameters (``set`` between runs: neurons,
  generators' rates and windows, spike times, step-current schedules, recorder windows), every
  connection's weight, delay and plasticity parameters, the models' defaults (``SetDefaults``,
  ``CopyModel``) and the count of random draws made (later ``set``/``Create`` draws continue it);
- the generators' tables of the running simulation (a schedule re-laid at the time of a change holds the
  amplitude of now and the future times only: a fresh build cannot make it);
- the layer's run state: recording settings (``record_to``, ``label``, ``time_in_steps``), events dropped
  by ``n_events = 0``, rows written to ascii files, spike_generator flags, generators' spikes recorded.

``load_checkpoint(path)``, after a script built the same network in a fresh kernel, checks what cannot be
loaded (the kernel's resolution, seed and delay bounds, the nodes and their models, the connect calls,
their synapse models, sources and targets), refusing with the first difference (:class:`CheckpointMismatchError`);
then puts the checkpoint's description in place of the script's (whatever the script set or did not set
between its runs), builds it and loads the state: the continuation is the uninterrupted script's, bit for bit.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import jax
import numpy as np

from ..build.description import Connections, Population
from ..build.registry import Model, ModelRegistry
from ..errors import CheckpointError, CheckpointMismatchError
from ..io import checkpoint as ck
from ..io import checkpoint_io as cio
from .kernel import KERNEL

# the layer's run state kept on the host (Kernel attributes), restored by load_checkpoint
HOST = ("files", "recording", "cleared", "flags", "generator_events", "deliveries", "frozen_delays")
# kernel settings a checkpoint must share with the kernel it is loaded into (the network's construction)
FIXED_SETTINGS = ("resolution", "rng_seed", "delay_extrema")
SIZES = ("slice_steps", "ring", "post_history")  # the lengths a carried run keeps (steps, spikes)
_KEPT = object()  # a model default that a checkpoint cannot hold (a Parameter): the loading script's stays


# ------------------------------------------------------------------------------------ encoding
def _encode(v, arrays: dict, name: str):
    """``v`` as plain JSON with type tags, its arrays put in ``arrays`` under ``name``: floats exact (JSON
    writes Python's shortest round-trip repr), tuples and lists kept apart, dicts with any scalar keys."""
    if isinstance(v, np.ndarray) and v.dtype.kind in "biuf":
        arrays[name] = v
        return {"a": name}
    if isinstance(v, np.generic) and v.dtype.kind in "biuf":
        v = v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return {"v": v}
    if isinstance(v, (tuple, list)):
        return {"t" if isinstance(v, tuple) else "l": [_encode(x, arrays, f"{name}/{i}") for i, x in enumerate(v)]}
    if isinstance(v, Mapping):
        return {"d": [[_encode(k, arrays, f"{name}/k{i}"), _encode(x, arrays, f"{name}/{i}")]
                      for i, (k, x) in enumerate(v.items())]}
    if hasattr(v, "ids") and hasattr(v, "_net"):  # a NodeCollection (a volume_transmitter, weight_recorder)
        return {"n": [int(i) for i in v.ids]}
    raise TypeError(f"{name}: a {type(v).__name__} ({v!r:.80}) cannot be stored in a checkpoint")


def _decode(e, arrays: dict):
    if "a" in e:
        return arrays[e["a"]]
    if "v" in e:
        return e["v"]
    if "t" in e or "l" in e:
        items = [_decode(x, arrays) for x in e.get("t", e.get("l"))]
        return tuple(items) if "t" in e else items
    if "d" in e:
        return {_decode(k, arrays): _decode(x, arrays) for k, x in e["d"]}
    if "n" in e:
        from .collections import NodeCollection

        return NodeCollection._trusted(KERNEL.net, np.asarray(e["n"], np.int64))
    return _KEPT


def _fields(obj, arrays, name) -> dict:
    return {f.name: _encode(getattr(obj, f.name), arrays, f"{name}/{f.name}") for f in dataclasses.fields(obj)}


def _models(reg, arrays) -> dict:
    """The models whose defaults differ from the built-in ones (copies, SetDefaults): name -> (base, kind,
    defaults); a default that cannot be stored (a Parameter) is marked and left to the loading script."""
    fresh, out = ModelRegistry(reg.resolution, reg.tics_per_step)._models, {}
    for name, m in reg._models.items():
        if name in fresh and _same(m, fresh[name]):
            continue
        defaults = {}
        for k, v in m.defaults.items():
            try:
                defaults[k] = _encode(v, arrays, f"layer/models/{name}/{k}")
            except TypeError:
                defaults[k] = {"kept": type(v).__name__}
        out[name] = {"base": m.base, "kind": m.kind, "defaults": defaults}
    return out


def _same(a: Model, b: Model) -> bool:
    try:
        return bool(a == b)
    except ValueError:  # arrays among the defaults
        return False


# ---------------------------------------------------------------------------------------- save
def layer(sim) -> tuple[dict, dict]:
    """(arrays, metadata) of the layer's part of a checkpoint of ``sim``, the kernel's running simulation."""
    net, arrays = KERNEL.net, {}
    host = {k: getattr(KERNEL, k) for k in HOST}
    host["generator_events"] = {rid: [tuple(np.concatenate(col) for col in zip(*chunks))]
                                for rid, chunks in host["generator_events"].items() if chunks}
    meta = {"settings": _encode({k: KERNEL.settings.get(k) for k in FIXED_SETTINGS}, arrays, "layer/settings"),
            "n_nodes": net._n_nodes, "n_draws": net._n_draws,
            "populations": [_fields(p, arrays, f"layer/pop/{i}") for i, p in enumerate(net._pops)],
            "connections": [_fields(c, arrays, f"layer/conn/{j}") for j, c in enumerate(net._conns)],
            "generator_recorders": _encode(KERNEL.generator_recorders, arrays, "layer/generator_recorders"),
            "models": _models(net.models, arrays), "model_order": list(net.models._models),
            "host": _encode(host, arrays, "layer/host"),
            "tables": {name: sorted(top) for name, top in sim.model.generators.items()}}
    for name, top in sim.model.generators.items():
        for k, a in top.items():
            arrays[f"layer/tables/{name}/{k}"] = np.asarray(jax.device_get(a))
    return arrays, meta


def save(path, *, overwrite: bool = False) -> int:
    """``nest.save_checkpoint``: the running simulation (built or rebuilt now if the description changed)
    and the layer's part, in one checkpoint; returns the bytes written."""
    sim = KERNEL.ensure_simulation()
    arrays, meta = ck._checkpoint(sim)
    mine, meta["layer"] = layer(sim)
    return cio.write(path, {**arrays, **mine}, meta, overwrite=overwrite)


# ---------------------------------------------------------------------------------------- load
def load(path) -> bool:
    """``nest.load_checkpoint``: the kernel's network (built by the same script) continued from the
    checkpoint at ``path``, its description and host state the checkpoint's; False if the checkpoint has
    no layer part (written by ``jaxsnn.save_checkpoint``: nothing done)."""
    from ..run.post_log import POST_LOG

    path = cio.resolve_path(path)
    record = cio.read_meta(path)
    saved = record["user"].get("layer") if isinstance(record["user"], dict) else None
    if saved is None:
        return False
    names = [n for n in record["arrays"] if n.startswith("layer/")]
    arrays, _ = cio.read(path, names)
    before = _snapshot()
    try:
        _check(path, saved, arrays)
        _restore(saved, arrays)
        KERNEL.sim = None
        G = record["user"]["spec"].get("post_log") or POST_LOG  # the record as long as the checkpointed run's
        like = _laid_out(KERNEL.build(G if type(G) is int else POST_LOG), record["user"]["spec"])
        like = _with_tables(path, record, saved, arrays, like)
        KERNEL.sim = ck.load_checkpoint(path, like)
    except BaseException as exc:
        _revert(before)
        if isinstance(exc, (KeyError, TypeError, IndexError, AttributeError)):  # metadata of the right checksum
            # but not of this layer's making (written by hand or by another program)
            raise CheckpointError(f"checkpoint {path}: damaged layer metadata ({type(exc).__name__}: {exc})") from exc
        raise
    KERNEL.rebuild = KERNEL.connections_changed = False
    KERNEL.kplus_set, KERNEL.refacilitate = {}, set()
    return True


def _differ(path, what, theirs, ours) -> CheckpointMismatchError:
    return CheckpointMismatchError(f"checkpoint {path} is from a different network: {what} is {theirs} in the "
                                   f"checkpoint but {ours} here")


def _check(path, saved, arrays) -> None:
    """Refuses (naming the first difference) a checkpoint whose network is not this kernel's: what the
    checkpoint cannot fill in."""
    net = KERNEL.net
    settings = _decode(saved["settings"], arrays)
    for k in FIXED_SETTINGS:
        if not _equal(settings.get(k), KERNEL.settings.get(k)):
            raise _differ(path, f"kernel attribute {k}", repr(settings.get(k)), repr(KERNEL.settings.get(k)))
    if saved["n_nodes"] != net._n_nodes:
        raise _differ(path, "the number of nodes", saved["n_nodes"], net._n_nodes)
    theirs = _node_models([_decode(e["model"], arrays) for e in saved["populations"]],
                          [_decode(e["n"], arrays) for e in saved["populations"]])
    ours = _node_models([p.model for p in net._pops], [p.n for p in net._pops])
    if theirs != ours:
        i = next(k for k, (a, b) in enumerate(zip(theirs, ours)) if a != b)
        raise _differ(path, f"node {i + 1}'s model", repr(theirs[i]), repr(ours[i]))
    _check_connections(path, saved["connections"], arrays, net._conns)
    _check_calcium(path, saved["populations"], arrays)
    gr = [(np.asarray(g), int(r)) for g, r in _decode(saved["generator_recorders"], arrays)]
    ours = [(np.asarray(g), int(r)) for g, r in KERNEL.generator_recorders]
    if len(gr) != len(ours) or any(a != c or not np.array_equal(g, h) for (g, a), (h, c) in zip(gr, ours)):
        raise _differ(path, "the generators connected to spike_recorders (generator ids, recorder id)",
                      [(g.tolist(), r) for g, r in gr], [(g.tolist(), r) for g, r in ours])


def _check_calcium(path, populations, arrays) -> None:
    """A checkpoint written before jaxsnn kept NEST's calcium trace (its neurons have no Ca, tau_Ca, beta_Ca) cannot
    continue with NEST's Ca: refused, saying so."""
    from ..models import NEURONS
    from ..models.base import CALCIUM

    for e in populations:
        if _decode(e["base"], arrays) in NEURONS and not set(CALCIUM) <= set(_decode(e["params"], arrays)):
            raise CheckpointError(f"checkpoint {path} was written by a jaxsnn that did not keep NEST's calcium trace "
                                  "(Ca, tau_Ca, beta_Ca): its run cannot continue with NEST's Ca; run the script again "
                                  "from its start")


def _node_models(models, ns) -> list:
    return [m for m, n in zip(models, ns) for _ in range(n)]


def _check_connections(path, saved, arrays, conns) -> None:
    if len(saved) != len(conns):
        raise _differ(path, "the number of connect calls (Connect, one per kind of source)", len(saved), len(conns))
    for j, (e, c) in enumerate(zip(saved, conns)):
        model, src, tgt = (_decode(e[k], arrays) for k in ("model", "source", "target"))
        where = f"connect call {j + 1}"
        if model != c.model:
            raise _differ(path, f"{where}'s synapse model", repr(model), repr(c.model))
        if len(src) != len(c.source):
            raise _differ(path, f"{where}'s number of connections ({model})", len(src), len(c.source))
        for name, a, b in (("source", src, c.source), ("target", tgt, c.target)):
            if not np.array_equal(a, b):
                k = int(np.argmax(np.asarray(a) != np.asarray(b)))
                raise _differ(path, f"{where}'s {name} of connection {k} ({model})", f"node {int(a[k])}",
                              f"node {int(b[k])}")


def _equal(a, b) -> bool:
    return np.array_equal(a, b) if isinstance(a, (tuple, list, np.ndarray)) else a == b


def _restore(saved, arrays) -> None:
    """The checkpoint's description, models, draws count and host state in the kernel."""
    net = KERNEL.net
    net._pops = [Population(**{k: _decode(v, arrays) for k, v in e.items()}) for e in saved["populations"]]
    net._conns = [Connections(**{k: _decode(v, arrays) for k, v in e.items()}) for e in saved["connections"]]
    net._n_draws = int(saved["n_draws"])
    _restore_models(net.models, saved["models"], saved["model_order"], arrays)
    host = _decode(saved["host"], arrays)
    for k in HOST:
        setattr(KERNEL, k, host[k])
    KERNEL.__dict__.pop("connection_info", None)  # synapse ids follow the models' order


def _restore_models(reg, saved, order, arrays) -> None:
    """The registry as the checkpoint's: its changed models, the built-in defaults for the others, in the
    checkpoint's order (NEST's synapse ids follow it); copies only the loading script made stay, last."""
    fresh = ModelRegistry(reg.resolution, reg.tics_per_step)._models
    for name in list(reg._models):
        if name in fresh and name not in saved:
            reg._models[name] = fresh[name]
    for name, e in saved.items():
        mine = reg._models.get(name) or fresh.get(e["base"])
        defaults = {k: _decode(v, arrays) for k, v in e["defaults"].items()}
        defaults = {k: (mine.defaults.get(k) if v is _KEPT and mine is not None else v) for k, v in defaults.items()}
        reg._models[name] = Model(name, e["base"], e["kind"], defaults)
    rank = {name: i for i, name in enumerate(order)}
    reg._models = dict(sorted(reg._models.items(), key=lambda kv: rank.get(kv[0], len(rank))))


def _snapshot() -> tuple:
    net = KERNEL.net
    return (list(net._pops), list(net._conns), net._n_draws, dict(net.models._models),
            {k: getattr(KERNEL, k) for k in HOST}, KERNEL.sim)


def _revert(before) -> None:
    net = KERNEL.net
    net._pops, net._conns, net._n_draws, net.models._models, host, KERNEL.sim = before
    for k, v in host.items():
        setattr(KERNEL, k, v)


def _laid_out(sim, spec: dict):
    """``sim`` (a fresh build) laid out as the checkpointed run: a run carried over a change between runs
    keeps its min_delay slice and never shrinks its rings and spike archives (:mod:`jaxsnn.nest.carry`),
    so a delay shortened before saving leaves them longer than a fresh build's."""
    now = sim.spec.fields()
    sizes = {k: spec.get(k) for k in SIZES}
    if all(sizes[k] == now[k] for k in SIZES) or not all(type(v) is int and v >= 0 for v in sizes.values()):
        return sim  # the same, or damaged (the load names the difference)
    from .carry import carry

    return carry(sim, sim, sizes=sizes)


def _with_tables(path, record, saved, arrays, like):
    """``like`` (the build of the checkpoint's description, at step 0) with the generators' tables of the
    checkpointed run: those a change between runs re-laid at its time (a step current's schedule, a
    spike_generator's events) differ from a fresh build's; their connections' entries must agree. The
    generators' parameters are the checkpoint's (a schedule's amplitudes go with its entries), and the
    build's digest of its initial V_m and weights the checkpoint's: this network's description was
    checked above and replaced by the checkpoint's, its initial values are then the checkpointed run's."""
    from ..run.generators import CONNECTION_KEYS

    tables, names = saved["tables"], []
    if sorted(tables) != sorted(like.model.generators):
        raise _differ(path, "the generator models with connections", sorted(tables), sorted(like.model.generators))
    model_gen, params_gen = dict(like.model.generators), dict(like.params.generators)
    for name, keys in tables.items():
        top = {k: arrays[f"layer/tables/{name}/{k}"] for k in keys}
        for k in CONNECTION_KEYS:
            if k in top and not np.array_equal(top[k], np.asarray(like.model.generators[name][k])):
                raise CheckpointMismatchError(  # the connect calls were found equal: a bug, not the user's
                    f"checkpoint {path}: the connections of its {name}s are laid out differently here ({k}); "
                    "this is a bug in jaxsnn.nest")
        model_gen[name] = {k: jax.device_put(a) for k, a in top.items()}
        names += [f"params/generators/{name}/{k}" for k in like.params.generators[name]]
    theirs, _ = cio.read(path, [n for n in names if n in record["arrays"]])
    for name in tables:
        params_gen[name] = {k: jax.device_put(theirs.get(f"params/generators/{name}/{k}", np.asarray(v)))
                            for k, v in like.params.generators[name].items()}
    layout = dataclasses.replace(like.layout, initial_state_sha256=record["user"]["network"]["initial_state_sha256"])
    return like.replace(model=like.model.replace(generators=model_gen), params=like.params.replace(
        generators=params_gen), layout=layout)

