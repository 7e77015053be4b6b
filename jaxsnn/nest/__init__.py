"""PyNEST 3.10's API over jaxsnn: a NEST script runs with ``import nest`` replaced by
``import jaxsnn.nest as nest``.

>>> import jaxsnn.nest as nest
>>> nest.ResetKernel()
>>> nest.resolution = 0.1
>>> neuron = nest.Create("iaf_psc_delta", params={"I_e": 376.0})
>>> sr = nest.Create("spike_recorder")
>>> nest.Connect(neuron, sr)
>>> nest.Simulate(1000.0)
>>> neuron.I_e = 0.0            # takes effect in the next Simulate
>>> nest.Simulate(1000.0)
>>> sr.events["times"]

A stateful shell over the functional core (:mod:`jaxsnn.nest.kernel`): ``Create``, ``Connect``,
``CopyModel``, ``SetDefaults`` and ``set`` extend one :class:`~jaxsnn.Network` description;
``Simulate`` builds it once and advances the :class:`~jaxsnn.Simulation` with :func:`jaxsnn.simulate`.
What is supported and the deliberate differences from NEST: ``docs/nest.md``.

On import the persistent compilation cache is turned on (``~/.cache/jaxsnn/xla``, or
``$JAXSNN_COMPILATION_CACHE``), so that a script run again skips compiling; set
``JAXSNN_COMPILATION_CACHE=off`` before importing to leave it off.
"""
from __future__ import annotations

import os
import sys
import types

import numpy as np

from .. import logic, math, random  # noqa: F401 - NEST's submodules as attributes
from .. import models as _models
from ..build.registry import NEURONS
from ..errors import JaxsnnError, bad_value, unknown_name
from ..models.base import RECORDED_BY, SPIKE_EVENTS
from ..parameters import Parameter  # noqa: F401 - PyNEST's nest.Parameter
from . import collections as _collections
from .collections import NodeCollection, SynapseCollection
from .kernel import KERNEL, READ_ONLY, SETTABLE, VerbosityLevel, model_names, unknown_key, verbosity_level

__all__ = [
    "Cleanup", "Connect", "CopyModel", "Create", "GetConnections", "GetDefaults", "GetKernelStatus", "GetNodes",
    "GetStatus", "Models", "NodeCollection", "NumProcesses", "Prepare", "Rank", "ResetKernel", "Run",
    "SetDefaults", "SetKernelStatus", "SetStatus", "Simulate", "SynapseCollection", "load_checkpoint", "logic",
    "math", "random", "raster_plot", "save_checkpoint", "set_verbosity", "voltage_trace",
    "ConnectionRules", "Disconnect", "GetLocalNodeCollection", "GetLocalVPs", "NESTError", "Parameter",
    "PrintNodes", "SyncProcesses", "get", "get_verbosity", "set", "Install", "NESTErrors", "RunManager",
    "VerbosityLevel", "help", "message",
]

NESTError = JaxsnnError  # PyNEST's exception class: ``except nest.NESTError`` catches jaxsnn's errors


def _cache():
    if os.environ.get("JAXSNN_COMPILATION_CACHE", "").lower() in ("off", "0", "none", "false"):
        return
    from ..run.cache import enable_compilation_cache

    try:
        enable_compilation_cache()
    except (OSError, JaxsnnError):  # a read-only home: run without the cache
        pass


_cache()


# ------------------------------------------------------------------------------------ kernel
def ResetKernel():
    """Everything back to NEST's defaults: no nodes, no models copied, time 0."""
    KERNEL.reset()


def SetKernelStatus(params: dict):
    KERNEL.set_status(params)


def GetKernelStatus(keys=None):
    """The kernel attributes: all (a dict), one name (its value) or a list of names (a tuple)."""
    if keys is None:
        return KERNEL.status()
    if isinstance(keys, str):
        return KERNEL.get(keys)
    return tuple(KERNEL.get(k) for k in keys)


def set_verbosity(level):
    """NEST's older form of ``nest.verbosity = level`` (a VerbosityLevel, its number or 'M_WARNING')."""
    KERNEL.settings["verbosity"] = verbosity_level("set_verbosity: level", level)


def get_verbosity():
    return KERNEL.settings["verbosity"]


def message(message, severity=VerbosityLevel.INFO, *, function=None, filename=None, lineno=None):
    """NEST's log: ``message`` on stderr when ``severity`` reaches the kernel's verbosity."""
    severity = verbosity_level("message: severity", severity)
    if severity >= KERNEL.settings["verbosity"]:
        where = f"{function or 'nest'}: " if function else ""
        print(f"[{severity.name}] {where}{message}", file=sys.stderr)


class _Errors:
    """PyNEST's ``nest.NESTErrors``: each of NEST's error names (``nest.NESTErrors.BadProperty`` …) is
    jaxsnn's :class:`~jaxsnn.JaxsnnError`, so ``except`` clauses written for NEST catch jaxsnn's errors."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return JaxsnnError


NESTErrors = _Errors()


class RunManager:
    """NEST's ``with nest.RunManager(): nest.Run(t) …``: Prepare on entry, Cleanup on exit."""

    def __enter__(self):
        Prepare()
        return self

    def __exit__(self, *exc):
        Cleanup()
        return False


def Install(module_name):
    """NEST's extension modules are compiled C++ for NEST's kernel; none loads into jaxsnn."""
    raise JaxsnnError(f"Install({module_name!r}): NEST extension modules (NESTML models included) cannot be loaded "
                      "into jaxsnn; its models are Python modules (docs/models.md says how to add one).")


def help(obj=None, return_text=False):  # noqa: A001 - PyNEST's name
    """The documentation of a model (its parameter table) or of a function; without an argument, where
    jaxsnn's PyNEST layer is described."""
    registries = (_models.NEURONS, _models.GENERATORS, _models.RECORDERS, _models.SYNAPSES)
    model = next((r[obj] for r in registries if obj in r), None) if isinstance(obj, str) else None
    if obj is None:
        text = __doc__
    elif model is not None:
        text = sys.modules[model.__module__].__doc__
    elif isinstance(obj, str):
        raise unknown_name("help: model", obj, [name for r in registries for name in r])
    else:
        text = getattr(obj, "__doc__", None) or f"no documentation for {obj!r}"
    if return_text:
        return text
    print(text)


def get(*keys):
    """PyNEST's ``nest.get``: the kernel attributes (all, one name, or several)."""
    if not keys:
        return KERNEL.status()
    if len(keys) == 1 and isinstance(keys[0], str):
        return KERNEL.get(keys[0])
    names = keys[0] if len(keys) == 1 else keys
    return {k: KERNEL.get(k) for k in names}


def set(params: dict | None = None, **kwargs):  # noqa: A001 - PyNEST's name
    """PyNEST's ``nest.set``: kernel attributes from a dict or keyword arguments."""
    if params is not None and kwargs:
        raise JaxsnnError("set: pass the kernel attributes either as a dict or as keywords, not both.")
    KERNEL.set_status(kwargs if params is None else params)


def ConnectionRules() -> tuple:
    return KERNEL.get("connection_rules")


def GetLocalVPs() -> tuple:
    """The virtual processes of this process: one (jaxsnn's results do not depend on threads)."""
    return (0,)


def GetLocalNodeCollection(nodes):
    """The nodes of this process: all of them (one process holds the whole description)."""
    return nodes


def SyncProcesses():
    """Accepted: every process advances the same simulation in step."""


def PrintNodes():
    """Print the node ids of each model, as NEST's ``PrintNodes``."""
    for p in KERNEL.net._pops:
        print(f"{p.first} .. {p.first + p.n - 1}\t{p.model}" if p.n > 1 else f"{p.first}\t{p.model}")


def Disconnect(*args, **kwargs):
    """Refused: connections are only ever added in jaxsnn (a run's state is carried by their place)."""
    raise JaxsnnError("Disconnect is not supported by jaxsnn.nest: connections can only be added. Set the "
                      "weights of the connections to remove to 0 instead (SynapseCollection.set(weight=0.0)).")


def NumProcesses() -> int:
    import jax

    return jax.process_count()


def Rank() -> int:
    import jax

    return jax.process_index()


# ------------------------------------------------------------------------------------ models
def Models(mtype: str = "all", sel: str | None = None) -> tuple:
    """Names of the models: ``"all"``, ``"nodes"`` or ``"synapses"``, containing ``sel`` if given."""
    if mtype not in ("all", "nodes", "synapses"):
        raise bad_value("Models: mtype", mtype, "'all', 'nodes' or 'synapses'")
    reg = KERNEL.net.models
    names = []
    if mtype in ("all", "nodes"):
        names += model_names(reg, "neuron") + model_names(reg, "device")
    if mtype in ("all", "synapses"):
        names += model_names(reg, "synapse")
    return tuple(sorted(n for n in names if sel is None or sel in n))


def CopyModel(existing: str, new: str, params: dict | None = None):
    """NEST's ``CopyModel``: ``new`` with ``existing``'s defaults updated by ``params``."""
    _check_default_delay("CopyModel", existing, params)
    KERNEL.net.copy_model(existing, new, params)


def SetDefaults(model: str, params, val=None):
    """NEST's ``SetDefaults``: a dict, or one name and its value; applies to nodes and connections made
    afterwards."""
    if isinstance(params, str):
        params = {params: val}
    _check_default_delay("SetDefaults", model, params)
    KERNEL.net.models.set_defaults(model, params)
    from .synapses import common_properties_set

    common_properties_set(model, params)


def _check_default_delay(where: str, model: str, params) -> None:
    """A synapse model's default delay (ms) must lie within the min_delay/max_delay set or fixed at the first
    Simulate, as a connection's (NEST's BadDelay)."""
    if isinstance(params, dict) and "delay" in params and KERNEL.net.models.get(model).kind == "synapse":
        KERNEL.check_delays(f"{where}({model!r})", np.ravel(np.asarray(params["delay"], float)))


def GetDefaults(model: str, keys=None, output: str = ""):
    """A model's defaults, with NEST's ``model``, ``element_type`` and, for synapses, ``num_connections``,
    ``synapse_modelid``, ``sizeof``, ``has_delay`` and ``requires_symmetric``."""
    m = KERNEL.net.models.get(model)
    d = {k: (tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in m.defaults.items()}
    d["model"] = model
    if m.kind == "synapse":
        from .connection_info import sizeof, synapse_id

        d["element_type"] = "synapse"
        d.update(has_delay=True, requires_symmetric=False, synapse_modelid=synapse_id(model))
        if sizeof(model) is not None:  # NEST reports none for some models
            d["sizeof"] = sizeof(model)
        d["synapse_model"] = model
        d["num_connections"] = KERNEL.num_connections().get(model, 0)
        if d.get(RECORDED_BY) is None:
            d[RECORDED_BY] = NodeCollection._trusted(KERNEL._net, [])
    else:
        d["element_type"] = _collections.element_type(m.base)
        if m.base in NEURONS:
            d["recordables"] = tuple(NEURONS[m.base].recordables)
        elif getattr(_models.GENERATORS.get(m.base), "recordables", ()):
            d["recordables"] = tuple(_models.GENERATORS[m.base].recordables)
    if output == "json":
        import json
        return json.dumps({k: v for k, v in d.items() if isinstance(v, (int, float, str, bool, tuple))})
    if keys is None:
        return d
    if isinstance(keys, str):
        if keys not in d:
            raise unknown_key(f"parameter of {model}", keys, d)
        return d[keys]
    for k in keys:
        if k not in d:
            raise unknown_key(f"parameter of {model}", k, d)
    return [d[k] for k in keys]  # NEST: a list


# ------------------------------------------------------------------------------------- nodes
def Create(model: str, n=1, params=None, positions=None):
    """NEST's ``Create``: ``n`` nodes of ``model`` (``Create(model, params)`` too), with ``params`` a dict
    (scalars, arrays over the nodes, Parameters) or a list of one dict per node."""
    if isinstance(n, (dict, list, tuple)) and params is None:
        n, params = 1, n
    if positions is not None:
        return _create_spatial(model, n, params, positions)
    net = KERNEL.net
    if isinstance(model, str) and model in net.models:
        m = net.models.get(model)
        if m.kind == "device" and params:
            return _create_device(model, n, params)
    ids = net.create(model, n, _truncated(params, n))
    KERNEL.changed(connections=True)
    return NodeCollection._trusted(net, ids.ids)


class TruncationWarning(UserWarning):
    """An array longer than the nodes it is for was cut, as NEST cuts it."""


def _truncated(params, n):
    """NEST uses the first ``n`` values of a longer array in ``Create``'s params (NEST's
    store/restore example relies on it); jaxsnn.nest does too, with a warning (the functional API
    refuses)."""
    if not isinstance(params, dict) or not isinstance(n, (int, np.integer)):
        return params
    out = dict(params)
    for k, v in params.items():
        if isinstance(v, (np.ndarray, list, tuple)) and np.ndim(v) == 1 and len(v) > n:
            import warnings

            warnings.warn(TruncationWarning(f"Create: params[{k!r}] has {len(v)} values for {n} nodes; the first {n} "
                                            "are used (as NEST does)."), stacklevel=3)
            out[k] = np.asarray(v)[:n]
    return out


def _create_device(model, n, params):
    """Devices: NEST's recording properties and spike_generator flags are the layer's; the rest is the
    description's."""
    from . import recording

    net = KERNEL.net
    rows = params if isinstance(params, (list, tuple)) else [params]
    flags = getattr(_models.device(net.models.get(model).base), "host_flags", ())
    own = {*recording.DEFAULTS, *recording.ASCII, "n_events", *flags, "spike_times"}
    if any("spike_times" in d for d in rows):  # the weights and multiplicities go with their times
        own |= {"spike_weights", "spike_multiplicities"}
    base_params = [{k: v for k, v in d.items() if k not in own} for d in rows]
    if isinstance(params, dict):
        base_params = base_params[0]
    nodes = NodeCollection._trusted(net, net.create(model, n, base_params).ids)
    KERNEL.changed(connections=True)
    extra = [{k: v for k, v in d.items() if k in own} for d in rows]
    if isinstance(params, dict):
        if extra[0]:
            _collections.set_nodes(nodes, extra[0])
    elif any(extra):
        _collections.set_nodes(nodes, extra)
    return nodes


def _create_spatial(model, n, params, positions):
    _install_spatial()
    return KERNEL.create_spatial(model, n, params, positions)


def GetNodes(properties: dict | None = None, local_only: bool = False) -> NodeCollection:
    """Every node (with ``properties``: those whose values equal them)."""
    net = KERNEL.net
    ids = np.arange(1, net._n_nodes + 1)
    if properties:
        keep = np.ones(len(ids), bool)
        for k, v in properties.items():
            vals = []
            for i in ids:
                try:
                    vals.append(_collections.node_values([i], k)[0] == v)
                except JaxsnnError:
                    vals.append(False)
            keep &= np.asarray(vals, bool)
        ids = ids[keep]
    return NodeCollection._trusted(net, ids)


def GetStatus(nodes, keys=None, output: str = ""):
    """NEST 2's ``GetStatus``: a tuple with one dict (or value) per node or connection."""
    if isinstance(nodes, SynapseCollection):
        if keys is None:
            return tuple(c.get() for c in nodes)
        return tuple(c.get(keys) for c in nodes) if isinstance(keys, str) else \
            tuple(tuple(c.get(k) for k in keys) for c in nodes)
    out = []
    for node in nodes:
        if keys is None:
            out.append(node.get())
        elif isinstance(keys, str):
            out.append(node.get(keys))
        else:
            out.append(tuple(node.get(k) for k in keys))
    return tuple(out)


def SetStatus(nodes, params, val=None):
    """NEST 2's ``SetStatus``: a dict, a list of dicts, or one name and its value."""
    if isinstance(params, str):
        params = {params: val}
    nodes.set(params)


# -------------------------------------------------------------------------------- connections
def Connect(pre, post, conn_spec=None, syn_spec=None, return_synapsecollection: bool = False):
    """NEST's ``Connect`` (rules, ``syn_spec`` dicts with Parameters, arrays of ids with one_to_one)."""
    net = KERNEL.net
    for x in (pre, post):
        if isinstance(x, NodeCollection):
            x._check()
    before = len(net._conns)
    for part in _by_kind(pre, conn_spec, syn_spec):
        if not _generators_to_recorder(part, post, conn_spec, syn_spec):
            net.connect(_plain(part), _plain(post), conn_spec, _matrix(syn_spec, part, post, conn_spec))
    try:
        for c in net._conns[before:]:  # a recorder's connection has NEST's default delay, 1 ms: checked too
            KERNEL.check_delays("Connect", np.full(len(c.source), 1.0) if c.model in _models.RECORDERS
                                else c.delay * net._resolution)
    except JaxsnnError:
        del net._conns[before:]  # as NEST: a refused Connect makes no connection
        raise
    KERNEL.changed(connections=True)
    if return_synapsecollection:  # the connections of this call: rows of the calls it appended
        places = [np.stack([np.full(len(c.source), j, np.int64), np.arange(len(c.source))], axis=1)
                  for j, c in enumerate(net._conns) if j >= before]
        return SynapseCollection(np.concatenate(places) if places else np.zeros((0, 2), np.int64),
                                 KERNEL.generation)
    return None


def _by_kind(pre, conn_spec, syn_spec) -> list:
    """``pre`` as the calls that connect it: itself, or, where it mixes kinds of devices (e.g. generators of
    several models into one spike_recorder, as NEST allows) and the rule is all_to_all with no arrays in
    ``syn_spec``, one collection per run of nodes of one kind (neurons, or devices of one model): all_to_all
    connects each source alike, so the calls together make the same connections."""
    rule = conn_spec if isinstance(conn_spec, str) else (conn_spec or {}).get("rule", "all_to_all")
    if not isinstance(pre, NodeCollection) or len(pre) < 2 or rule != "all_to_all" or (isinstance(
            syn_spec, dict) and any(isinstance(v, (list, tuple, np.ndarray)) for v in syn_spec.values())):
        return [pre]
    pops = KERNEL.net._pops
    kind = np.array(["neuron" if p.base in NEURONS else p.base for p in pops])[
        np.searchsorted([p.first for p in pops], pre.ids, side="right") - 1]
    if (kind == kind[0]).all():
        return [pre]
    cuts = [0, *(np.nonzero(kind[1:] != kind[:-1])[0] + 1).tolist(), len(kind)]
    return [pre[a:b] for a, b in zip(cuts[:-1], cuts[1:])]


def _generators_to_recorder(pre, post, conn_spec, syn_spec) -> bool:
    """spike_generator or poisson_generator -> spike_recorder: NEST records the generator's own spikes;
    jaxsnn.nest records them on the host (:func:`jaxsnn.nest.recording.record_generators`)."""
    if not (isinstance(pre, NodeCollection) and isinstance(post, NodeCollection) and len(post) == 1):
        return False
    recorder = _models.RECORDERS.get(KERNEL.kind_of(post.ids[0])[1])
    if recorder is None or recorder.records != SPIKE_EVENTS:
        return False
    bases = {KERNEL.kind_of(i)[1] for i in pre.ids}
    if not all(b in _models.GENERATORS and _models.GENERATORS[b].recorded_by_spike_recorders for b in bases):
        return False
    rule = conn_spec if isinstance(conn_spec, str) else (conn_spec or {}).get("rule", "all_to_all")
    if rule != "all_to_all" or syn_spec not in (None, {}, _models.DEFAULT_SYNAPSE):
        raise bad_value("Connect: conn_spec/syn_spec", (conn_spec, syn_spec), "all_to_all with the default "
                        "static_synapse for generators recorded by a spike_recorder")
    rid = int(post.ids[0])
    KERNEL.check_delays("Connect", np.ones(1))  # NEST's default delay of the connection, 1 ms
    for gids, r in KERNEL.generator_recorders:
        if r == rid and np.intersect1d(gids, pre.ids).size:
            raise JaxsnnError(f"Connect: a generator is connected to spike_recorder {rid} twice; connect it once.")
    KERNEL.generator_recorders.append((pre.ids.copy(), rid))
    return True


def _plain(x):
    if isinstance(x, NodeCollection):
        return x
    return np.asarray(x)


def _matrix(syn_spec, pre, post, conn_spec):
    """A 2-D weight or delay array for all_to_all (rows: targets, columns: sources, as NEST) flattened in
    rule order (targets outer, sources inner)."""
    if not isinstance(syn_spec, dict):
        return syn_spec
    rule = conn_spec if isinstance(conn_spec, str) else (conn_spec or {}).get("rule", "all_to_all")
    out = dict(syn_spec)
    for k, v in syn_spec.items():
        if isinstance(v, (list, tuple, np.ndarray)) and np.ndim(v) == 2:
            if rule != "all_to_all":
                raise bad_value(f"Connect: syn_spec[{k!r}]", f"<array of shape {np.shape(v)}>",
                                "a 2-D array only with all_to_all")
            shape = (len(post), len(pre))
            if np.shape(v) != shape:
                raise bad_value(f"Connect: syn_spec[{k!r}]", f"<array of shape {np.shape(v)}>",
                                f"shape (len(post), len(pre)) = {shape}")
            out[k] = np.asarray(v, float).reshape(-1)
    return out


def GetConnections(source=None, target=None, synapse_model=None, synapse_label=None) -> SynapseCollection:
    return _collections.get_connections(source, target, synapse_model, synapse_label)


# ----------------------------------------------------------------------------------- simulate
def Simulate(t: float):
    """Advance the network by ``t`` ms (built at the first call; changes since the last call take effect)."""
    KERNEL.simulate(t)


def Prepare():
    KERNEL.number_nodes()
    KERNEL.ensure_simulation()
    KERNEL.prepared = True


def Run(t: float):
    if not KERNEL.prepared:
        raise JaxsnnError("Run: call Prepare() first (as NEST requires).")
    KERNEL.simulate(t)


def Cleanup():
    KERNEL.prepared = False


# --------------------------------------------------------------------------------- checkpoints
def save_checkpoint(path, *, overwrite: bool = False):
    """The complete state of the running simulation (spikes in transit, traces, recorders, the random
    key) with the network as it is now (parameters set between runs included) and the layer's run state:
    :func:`load_checkpoint` after the same script rebuilt the network resumes bit for bit
    (:mod:`jaxsnn.nest.checkpoint`)."""
    from .checkpoint import save

    save(path, overwrite=overwrite)


def load_checkpoint(path):
    """Continue from a checkpoint of :func:`save_checkpoint` in this kernel, whose network the same
    script built again: the checkpoint's parameters and layer state replace the script's; a network it
    cannot be loaded into (other nodes, models or connections) is refused naming the difference."""
    import warnings

    from ..errors import CheckpointWarning
    from ..io.checkpoint import load_checkpoint as load
    from .checkpoint import load as load_complete

    if load_complete(path):
        return
    KERNEL.sim = None  # a checkpoint without the layer's part (jaxsnn.save_checkpoint): the script's network
    KERNEL.sim = load(path, KERNEL.ensure_simulation())
    warnings.warn(CheckpointWarning(
        f"load_checkpoint: {path} holds the simulation only (written by jaxsnn.save_checkpoint): the network "
        "is continued as this script built it, without the layer's state (n_events = 0, generators' spikes "
        "recorded on the host, ascii rows written); write it with nest.save_checkpoint for all of it"),
        stacklevel=2)


# ------------------------------------------------------------------------- kernel attributes
class _NestModule(types.ModuleType):
    """The module itself: kernel attributes read and written as ``nest.resolution`` etc."""

    def __getattr__(self, name):
        if name in SETTABLE or name in READ_ONLY:
            return KERNEL.get(name)
        if name == "kernel_status":
            return KERNEL.status()
        if name in ("raster_plot", "voltage_trace"):  # matplotlib only when asked for
            import importlib

            return importlib.import_module(f"{__name__}.{name}")
        if not _spatial_installed:  # nest.spatial and the spatial verbs: the spatial module at first use
            _install_spatial()
            return getattr(self, name)
        raise AttributeError(f"module 'jaxsnn.nest' has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name in SETTABLE or name in READ_ONLY:
            KERNEL.set(name, value)
        else:
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _NestModule

_spatial_installed = False


def _install_spatial():
    """NEST's spatial module: nest.spatial, nest.spatial_distributions, the spatial verbs and
    Create(positions=), put on this module when first asked for (importing it costs a small script time)."""
    global _spatial_installed
    if not _spatial_installed:
        from ..spatial import pynest

        pynest.install(sys.modules[__name__], KERNEL, NodeCollection)
        _spatial_installed = True
