"""PyNEST's NodeCollection and SynapseCollection over the kernel of :mod:`jaxsnn.nest`.

``NodeCollection``: attribute get and set (``n.V_m``, ``n.I_e = 376.0``, ``sr.events``,
``sr.n_events = 0``), ``get(keys, output="pandas")``, ``set(dict | list of dicts | **kwargs)``,
iteration into one-node collections, ``global_id``, ``tolist``, slicing, ``+``, ``==``, ``in``. A value
read from one node is a scalar; from several, a tuple (``get`` of several names: a dict of them).

``SynapseCollection`` (:mod:`jaxsnn.nest.synapses`): the connections ``GetConnections`` selected.
"""
from __future__ import annotations

import numpy as np

from ..build.network import part_for_nodes
from ..build.nodes import NodeCollection as _BaseCollection
from ..build.registry import NEURONS
from ..errors import JaxsnnError, bad_value
from ..models import GENERATORS, RECORDERS, device
from . import recording as _recording
from .connection_info import thread_local_ids, thread_of
from .kernel import KERNEL, nest_error, unknown_key
from .neuron_status import archiver_values
from .synapses import SynapseCollection, get_connections  # noqa: F401 - PyNEST's names here too

NODE_KEYS = ("global_id", "model", "element_type", "local", "frozen", "thread", "vp", "node_uses_wfr",
             "thread_local_id", "model_id")
# NEST's ArchivingNode keys every neuron reports (jaxsnn.nest.neuron_status)
ARCHIVER_KEYS = ("t_spike", "archiver_length", "synaptic_elements")  # (Ca, tau_Ca, beta_Ca: parameters)
RECORDING_KEYS = ("record_to", "label", "time_in_steps", "n_events", "events")  # every recorder's


def element_type(base: str) -> str:
    if base in NEURONS:
        return "neuron"
    if base in RECORDERS:
        return "recorder"
    return "stimulator"


class NodeCollection(_BaseCollection):
    """A set of nodes of the kernel, with PyNEST's interface (see the module docstring)."""

    __slots__ = ()
    _join_error = nest_error("BadProperty")

    def _check(self):
        if self._net is not KERNEL._net:
            raise JaxsnnError("this NodeCollection belongs to a kernel that was reset (ResetKernel); create the "
                              "nodes again.")

    def __iter__(self):
        return (type(self)._trusted(self._net, [i]) for i in self.ids)

    def __contains__(self, node):
        ids = np.asarray(getattr(node, "ids", node)).reshape(-1)
        return bool(ids.size) and bool(np.isin(ids, self.ids).all())

    def __eq__(self, other):
        return isinstance(other, _BaseCollection) and np.array_equal(self.ids, other.ids)

    __hash__ = _BaseCollection.__hash__

    @property
    def global_id(self):
        return self._one([int(i) for i in self.ids])

    def _one(self, values):
        return values[0] if len(self.ids) == 1 else tuple(values)

    # ------------------------------------------------------------------------------ get / set
    def get(self, *keys, output: str = ""):
        """PyNEST's ``get``: no key → a dict of everything; one name → its value(s); a list of names →
        a dict; ``output="pandas"`` → a frame indexed by node id (``"json"`` → a JSON string)."""
        self._check()
        if output not in ("", "pandas", "json"):
            raise bad_value("get: output", output, "'', 'pandas' or 'json'")
        if len(keys) == 1 and isinstance(keys[0], (list, tuple)):
            names, single = list(keys[0]), False
        elif len(keys) == 1 and isinstance(keys[0], str):
            names, single = [keys[0]], True
        elif not keys:
            names, single = _all_keys(self.ids), False
        elif all(isinstance(k, str) for k in keys):  # get("V_m", "I_e") as PyNEST allows
            names, single = list(keys), False
        else:
            raise bad_value("get: keys", keys, "parameter names (strings or one list of them)")
        cols = {name: node_values(self.ids, name) for name in names}
        if output == "pandas":
            from ..run.frames import frame

            df = frame({k: list(v) if v.dtype == object else v for k, v in cols.items()})
            df.index = self.ids.copy()
            return df
        if output == "json":
            import json

            return json.dumps({k: _plain(v) for k, v in cols.items()})
        if single:
            return self._one(_python(cols[names[0]]))
        return {k: self._one(_python(v)) for k, v in cols.items()}

    def set(self, params=None, **kwargs):
        """PyNEST's ``set``: a dict (a scalar, one value per node or a Parameter for each name), a list
        of one dict per node, or keyword arguments; takes effect at the next ``Simulate``."""
        self._check()
        if params is not None and kwargs:
            raise JaxsnnError("set: pass the parameters either as a dict (or list of dicts) or as keywords, not both.")
        set_nodes(self, kwargs if params is None else params)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        self._check()
        if name == "spatial":
            raise AttributeError("spatial: these nodes have no positions (jaxsnn has no spatial layers yet)")
        return self.get(name)

    def __setattr__(self, name, value):
        if name in ("_net", "ids"):
            object.__setattr__(self, name, value)
            return
        self.set({name: value})

    def __repr__(self):
        if not len(self.ids):
            return "NodeCollection(<empty>)"
        models = sorted({KERNEL.kind_of(i)[0] for i in self.ids[:1000]}) if self._net is KERNEL._net else ["?"]
        return f"NodeCollection(metadata=None, model={','.join(models)}, size={len(self.ids)}, first={self.ids[0]}" \
               + (f", last={self.ids[-1]})" if len(self.ids) > 1 else ")")


def _python(v) -> list:
    """Values as PyNEST gives them: Python numbers (``-70.0``, not ``np.float64(-70.0)``); objects as they are."""
    return list(v) if v.dtype == object else v.tolist()


def _plain(v):
    if v.dtype == object:
        return [x.tolist() if hasattr(x, "tolist") else ({k: _plain(np.asarray(y)) for k, y in x.items()}
                                                         if isinstance(x, dict) else x) for x in v]
    return v.tolist()


def _all_keys(ids) -> list:
    bases = {KERNEL.kind_of(i) for i in ids}
    keys = set(NODE_KEYS)
    for model, base in bases:
        keys |= set(KERNEL.net.models.get(model).defaults)
        if base in NEURONS or getattr(GENERATORS.get(base), "recordables", ()):
            keys |= {"recordables"}
        if base in NEURONS:
            keys |= set(ARCHIVER_KEYS)
        if base in RECORDERS:
            keys |= set(RECORDING_KEYS)
            if all(_recording.value(int(i), "record_to") == "ascii" for i in ids if KERNEL.kind_of(i)[1] in RECORDERS):
                keys = (keys - {"events"}) | {*_recording.ASCII, "filenames"}  # the ascii backend's (as NEST)
        keys |= set(getattr(device(base), "host_flags", ()))
    return sorted(keys)


# --------------------------------------------------------------------------------- reading
def node_values(ids, name) -> np.ndarray:
    """One value per node of ``name`` (a float array where all are numbers, else an object array)."""
    net = KERNEL.net
    out = []
    pops = {}
    for i in ids:
        p = net._pop_of(int(i))
        pops.setdefault(id(p), (p, []))[1].append(int(i))
    for p, members in pops.values():
        out.append((members, _population_values(p, np.asarray(members), name)))
    values = [None] * len(ids)
    pos = {int(i): k for k, i in enumerate(ids)}
    for members, vals in out:
        for i, v in zip(members, vals):
            values[pos[i]] = v
    try:
        arr = np.asarray(values, dtype=float)
        if arr.ndim == 1 and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values):
            if all(isinstance(v, (int, np.integer)) for v in values):
                return arr.astype(np.int64)
            return arr
    except (TypeError, ValueError):
        pass
    obj = np.empty(len(values), object)
    obj[:] = values
    return obj


def _population_values(p, members, name) -> list:
    k = members - p.first
    base = p.base
    if name == "global_id":
        return list(members)
    if name == "model":
        return [p.model] * len(k)
    if name == "element_type":
        return [element_type(base)] * len(k)
    if name in ("local",):
        return [True] * len(k)
    if name in ("frozen", "node_uses_wfr"):
        return [False] * len(k)
    if name in ("thread", "vp") and base in NEURONS:  # NEST's: node id % virtual processes
        return thread_of(members).tolist()
    if name == "thread_local_id":
        return thread_local_ids(members).tolist()
    if name in ("thread", "vp"):
        return [0] * len(k)
    if name == "model_id":
        return [list(KERNEL.net.models._models).index(p.model)] * len(k)
    if name == "recordables" and getattr(GENERATORS.get(base), "recordables", ()):
        return [tuple(GENERATORS[base].recordables)] * len(k)
    if base in NEURONS:
        if name == "recordables":
            return [tuple(NEURONS[base].recordables)] * len(k)
        if name in ARCHIVER_KEYS:
            return archiver_values(members, name)
        model = NEURONS[base]
        dynamic = name in model.recordables or (name in model.parameters and model.parameters[name].state)
        if dynamic and KERNEL.sim is not None and members.max() <= KERNEL.sim.layout.n_nodes:  # else created
            # since the last run: not simulated yet, its initial value
            df = KERNEL.sim.get(members, [name])
            return list(df[name].to_numpy())
        if name in p.params:
            v = p.params[name][k]
            return [bool(x) for x in v] if v.dtype == bool else list(v.astype(float))
        raise unknown_key(f"parameter of {p.model}", name, list(p.params) + list(NODE_KEYS) + ["recordables"]
                          + list(ARCHIVER_KEYS))
    from . import recording

    if base in RECORDERS and (name in RECORDING_KEYS or name in recording.ASCII or name == "filenames"):
        return [recording.value(int(i), name) for i in members]
    if name in getattr(device(base), "host_flags", ()):
        return [recording.generator_flags(int(i))[name] for i in members]
    if name in p.params:
        v = p.params[name]
        if name == "spike_times" or name in ("amplitude_times", "amplitude_values", "spike_weights",
                                             "spike_multiplicities"):
            v = np.asarray(v, float)
        elif name == "record_from":
            v = tuple(v)
        elif name in ("senders", "targets"):
            v = v if v is not None else NodeCollection._trusted(KERNEL._net, [])
        return [v] * len(k)
    known = list(p.params) + list(NODE_KEYS)
    if base in RECORDERS:
        known += list(RECORDING_KEYS)
    raise unknown_key(f"parameter of {p.model}", name, known)


# --------------------------------------------------------------------------------- writing
def set_nodes(nodes, params):
    """Apply ``params`` (dict or list of dicts) to ``nodes``: to the description, and to the running
    simulation in place where it can take it (else it is rebuilt at the next Simulate)."""
    from . import recording

    if isinstance(params, (list, tuple)):
        if len(params) != len(nodes):
            raise JaxsnnError(f"set: params is a list of {len(params)} dicts for {len(nodes)} nodes; give one dict "
                              "per node (NEST: 'list of params must have one dictionary per node').")
        for node, d in zip(nodes, params):
            set_nodes(node, d)
        return
    if not isinstance(params, dict):
        raise bad_value("set: params", params, "a dict, a list of one dict per node, or keyword arguments")
    if not params:
        return
    groups = {}
    for i in nodes.ids:
        model, base = KERNEL.kind_of(i)
        groups.setdefault(base if base in NEURONS else f"{base}:{model}", []).append(int(i))
    for key, members in groups.items():
        base = key if key in NEURONS else key.split(":")[0]
        sub = _restrict(params, np.searchsorted(nodes.ids, members), len(nodes))
        sel = type(nodes)._trusted(nodes._net, members)
        if base in NEURONS:
            _set_neurons(sel, sub)
            continue
        rest = dict(sub)
        if base in RECORDERS:
            rest = recording.set_recording(sel, rest)
        if getattr(device(base), "host_flags", ()):
            rest = recording.set_generator_flags(sel, rest, device(base).host_flags)
        if rest:
            _set_devices(sel, base, rest)


def _restrict(params: dict, positions, n) -> dict:
    """The part of a set dict for the nodes at ``positions`` of a collection of ``n``: the functional
    API's rule (:func:`jaxsnn.build.network.part_for_nodes`), with dicts and NodeCollections (device
    parameters) passed whole."""
    whole = {k for k, v in params.items() if isinstance(v, (dict, _BaseCollection))}
    cut = part_for_nodes({k: v for k, v in params.items() if k not in whole}, positions, n)
    return {k: params[k] if k in whole else cut[k] for k in params}


def _set_neurons(nodes, params):
    given = [k for k in ARCHIVER_KEYS if k in params]
    if given:
        raise nest_error("UnaccessedDictionaryEntry")(  # NEST's error for them
            f"set: {given[0]}={params[given[0]]!r} is not allowed: no value: t_spike and archiver_length are "
            "read-only (NEST refuses them too); synaptic_elements belong to structural plasticity, which "
            "jaxsnn does not have.")
    net, sim = KERNEL.net, KERNEL.sim
    net.set(nodes, params)
    if sim is None:
        return
    values = {name: np.asarray(node_values_description(nodes.ids, name)) for name in params}
    settable = {k for m in sim.spec.models.neuron_models for k in m.settable}
    inplace = {k: v for k, v in values.items() if k in settable}
    if len(inplace) < len(values):
        KERNEL.changed()  # not settable in place (e.g. refractory_input): rebuilt at the next Simulate
    if inplace:
        try:
            KERNEL.sim = sim.set(nodes.ids, inplace)
        except JaxsnnError:
            KERNEL.changed()  # e.g. a shorter t_ref: the rebuild checks whether the run can continue


def node_values_description(ids, name):
    net = KERNEL.net
    return [net._pop_of(int(i)).params[name][int(i) - net._pop_of(int(i)).first] for i in ids]


def _set_devices(nodes, base, params):
    net, sim = KERNEL.net, KERNEL.sim
    net.set(nodes, params)
    if sim is None:
        return
    settable = getattr(GENERATORS.get(base), "settable", ())
    if base in sim.layout.generators and set(params) <= set(settable) and not KERNEL.rebuild:
        KERNEL.sim = _generators_in_place(sim, base)
        return
    if base in GENERATORS or base in RECORDERS:
        KERNEL.changed()
        return
    raise JaxsnnError(f"set: {base} parameters cannot change between runs.")


def _generators_in_place(sim, base):
    """The generators of model ``base`` as described now, in the running simulation: their tables rebuilt
    at the current time (:func:`jaxsnn.run.generators.retable`, NEST's pre_run_hook; no rebuild, no
    recompilation unless a table must grow; the repeated-stimulation idiom moves origin every trial)."""
    from ..run.generators import retable

    nodes, old = sim.layout.generators[base]
    new = [dict(KERNEL.net._pop_of(int(i)).params) for i in nodes]
    state = {k: np.asarray(v) for k, v in sim.state.generators[base].items()}
    return retable(sim, base, new, state, list(old), int(sim.state.step) * sim.spec.time.resolution)
