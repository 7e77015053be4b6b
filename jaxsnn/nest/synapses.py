"""PyNEST's SynapseCollection over the kernel of :mod:`jaxsnn.nest`, and where each connection lives.

A connection is named by its place in the description: (index of its ``connect`` call in the
network's connections, row in that call). Connections are only ever appended, so the place stays
valid across rebuilds; the synapse index in a built simulation (synapses sorted by source, then
creation) is derived from it when needed (:func:`synapse_places`).

``SynapseCollection``: ``source``, ``target``, ``weight``, ``delay``, ``synapse_model`` and the
plasticity parameters and state (``tau_plus``, ``lambda``, ``alpha``, ``mu_plus``, ``mu_minus``,
``Wmax``, ``Kplus``) as attributes and through ``get`` (lists, or a frame with ``output="pandas"``),
read from the running simulation. ``set`` between runs changes what NEST lets change:

============================  =====================================================  ======================
connection                    settable                                               how
============================  =====================================================  ======================
neuron → neuron, static       ``weight``, ``delay``                                  weight in place
neuron → neuron, stdp         ``weight``, ``delay``, ``Kplus``, ``tau_plus``,        rebuilt at the next
                              ``lambda``, ``alpha``, ``mu_plus``, ``mu_minus``,      ``Simulate``, the run's
                              ``Wmax``                                               state carried over
generator → neuron            ``weight``, ``delay``                                  rebuilt, carried
============================  =====================================================  ======================

Common properties of ``*_hom`` synapses change with ``SetDefaults`` (as in NEST); connections with
recorders have nothing to set. A delay may not go below the run's min_delay (its slices are fixed).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import checks
from ..build.network import delay_steps
from ..build.registry import NEURONS, synapse
from ..core.types import OUT_TRACE
from ..errors import JaxsnnError, bad_value, unknown_name
from ..models import DEFAULT_SYNAPSE, RECORDERS, SYNAPSES, TRANSMITTERS
from ..models.base import PlasticityRule
from ..models.stdp_synapse import PAIR
from . import connection_info
from .kernel import KERNEL, model_names

COLUMNS = ("source", "target", "weight", "delay", "synapse_model")
PLASTIC = PAIR.columns + ("Kplus",)  # stdp_synapse's per-connection plasticity columns
DTYPES = {"synapse_model": object, "source": np.int64, "target": np.int64}


# ------------------------------------------------------------------------------------ places
def neuron_calls(net) -> list:
    """Indices into ``net._conns`` of the connect calls between neurons (what the lowering makes synapses of)."""
    return [j for j, c in enumerate(net._conns) if c.model not in RECORDERS and len(c.source)
            and net._pop_of(c.source[0]).base in NEURONS and net._pop_of(c.target[0]).base not in TRANSMITTERS]


def synapse_places(net, M: int) -> np.ndarray:
    """int64[M, 2]: the (connect call, row) of each synapse of a build with ``M`` synapses, in the build's
    order (by source, then creation). The built calls are a prefix of today's: connections are only
    appended."""
    calls = neuron_calls(net)
    sizes = np.array([len(net._conns[j].source) for j in calls], np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    n_calls = int(np.searchsorted(starts, M))
    if n_calls >= len(starts) or starts[n_calls] != M:
        raise JaxsnnError(f"the simulation has {M} synapses, which are not the first connect calls of the network "
                          "description; this is a bug in jaxsnn.nest.")
    src = np.concatenate([net._conns[j].source for j in calls[:n_calls]]) if n_calls else np.zeros(0, np.int64)
    flat = np.argsort(src, kind="stable")  # the lowering's order (neuron indices follow node ids)
    k = np.searchsorted(starts, flat, side="right") - 1
    return np.stack([np.asarray(calls, np.int64)[k] if len(k) else np.zeros(0, np.int64), flat - starts[k]], axis=1)


def place_keys(places: np.ndarray) -> np.ndarray:
    return places[:, 0] * 2**32 + places[:, 1]


def synapse_index(places: np.ndarray, sim) -> np.ndarray:
    """The synapse index in ``sim`` of each (call, row); -1 for connections that are not synapses."""
    built = place_keys(synapse_places(KERNEL.net, int(sim.model.synapses.n_synapses)))
    order = np.argsort(built)
    keys = place_keys(places)
    at = np.searchsorted(built[order], keys)
    at = np.minimum(at, max(len(built) - 1, 0))
    found = (built[order][at] == keys) if len(built) else np.zeros(len(keys), bool)
    return np.where(found, order[at] if len(built) else 0, -1)


# ---------------------------------------------------------------------------- collection
class SynapseCollection:
    """Connections selected by ``GetConnections`` (or returned by ``Connect``), in NEST's terms."""

    def __init__(self, places: np.ndarray, generation):
        self._places = np.asarray(places, np.int64).reshape(-1, 2)
        self._generation = generation

    def __len__(self):
        return len(self._places)

    def __iter__(self):
        for k in range(len(self)):
            yield self[k]

    def __getitem__(self, item):
        sel = np.atleast_1d(np.arange(len(self))[item])
        return SynapseCollection(self._places[sel], self._generation)

    def __eq__(self, other):
        return isinstance(other, SynapseCollection) and np.array_equal(self._places, other._places)

    __hash__ = object.__hash__

    def _check(self):
        if self._generation != KERNEL.generation:
            raise JaxsnnError("this SynapseCollection belongs to a kernel that was reset (ResetKernel); get the "
                              "connections again.")

    def _keys(self) -> list:
        keys = list(COLUMNS) + list(connection_info.INFO)
        if any(_plastic(KERNEL.net._conns[j].model) for j in np.unique(self._places[:, 0])) or \
                KERNEL.ensure_simulation().spec.plasticity.has_plastic:
            keys += list(_plastic_columns())
        return keys

    def _columns(self, names) -> dict:
        """Today's values of ``names``: synapses from the running simulation, other connections from the
        description."""
        sim = KERNEL.ensure_simulation()
        index = synapse_index(self._places, sim)
        syn = index >= 0
        cols = {}
        live = None
        if syn.any():
            from ..run import frames

            live = frames.connections(sim, devices=False)  # rows: synapses in index order
        known = connection_info.info(self._places) if set(names) & set(connection_info.INFO) else {}
        for name in names:
            if name in known:  # NEST's bookkeeping, from the connections made
                cols[name] = known[name]
                continue
            out = np.empty(len(self), DTYPES.get(name, float))
            if live is not None:
                if name not in live.columns:
                    if name not in _plastic_columns() and name not in COLUMNS:
                        raise unknown_name("connection property", name, self._keys())
                    out[syn] = np.nan
                else:
                    out[syn] = live[name].to_numpy()[index[syn]]
            for k in np.nonzero(~syn)[0]:
                out[k] = _described(int(self._places[k, 0]), int(self._places[k, 1]), name)
            cols[name] = out
        return cols

    def get(self, keys=None, output: str = ""):
        """PyNEST's ``get``: one name → a list (a value for one connection); several → a dict of lists;
        ``output="pandas"`` → a frame (index: source)."""
        self._check()
        if output not in ("", "pandas"):
            raise bad_value("get: output", output, "'' or 'pandas'")
        single = isinstance(keys, str)
        names = self._keys() if keys is None else ([keys] if single else list(keys))
        cols = self._columns(names)
        if output == "pandas":
            from ..run.frames import frame

            df = frame({k: np.asarray(v).copy() for k, v in cols.items()})
            df.index = self._columns(["source"])["source"]
            return df
        conv = (lambda v: v.tolist()[0]) if len(self) == 1 else (lambda v: v.tolist())
        if single:
            return conv(np.asarray(cols[names[0]]))
        return {k: conv(np.asarray(v)) for k, v in cols.items()}

    def set(self, params=None, **kwargs):
        """Connection properties between runs (see the module docstring): a dict of scalars or one value
        per connection, a list of one dict per connection, or keyword arguments."""
        self._check()
        if params is not None and kwargs:
            raise JaxsnnError("set: pass the properties either as a dict (or list of dicts) or as keywords, not both.")
        params = kwargs if params is None else params
        if isinstance(params, (list, tuple)):
            if len(params) != len(self):
                raise JaxsnnError(f"set: a list of {len(params)} dicts for {len(self)} connections; give one dict "
                                  "per connection.")
            if any(set(d) != set(params[0]) for d in params):
                raise bad_value("set: params", params, "dicts with the same names")
            params = {k: [d[k] for d in params] for k in (params[0] if params else {})}
        if not isinstance(params, dict):
            raise bad_value("set: params", params, "a dict, a list of one dict per connection, or keyword arguments")
        if not params or not len(self):
            return
        values = {name: _values(name, v, len(self)) for name, v in params.items()}
        _check_settable(self._places, values)
        set_connections(self._places, values)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self.set({name: value})

    def __repr__(self):
        return f"SynapseCollection({len(self)} connections)"


def _base(model: str) -> str:
    return KERNEL.net.models.get(model).base if model in KERNEL.net.models else model


def _plastic(model: str) -> bool:
    """Whether connections of synapse model ``model`` (a name or a copy's) have a plasticity rule of their
    own (the rule's columns are theirs per connection)."""
    S = SYNAPSES.get(_base(model))
    return S is not None and isinstance(S.rule, PlasticityRule) and not S.homogeneous()


def _plastic_columns():
    sim = KERNEL.sim
    if sim is not None and sim.spec.plasticity.stdp_rule is not None:  # the network's rule names its columns
        return sim.spec.plasticity.stdp_rule.columns + sim.spec.plasticity.stdp_rule.traces
    return PLASTIC


def _described(j: int, r: int, name: str):
    """A connection's property from the description (connections that are not synapses: from generators,
    to or from recorders: NEST's static_synapse of weight 1 and delay 1 ms)."""
    c = KERNEL.net._conns[j]
    recorder = c.model in RECORDERS
    if name == "source":
        return int(c.source[r])
    if name == "target":
        return int(c.target[r])
    if name == "weight":
        return 1.0 if recorder else float(c.weight[r])
    if name == "delay":
        return 1.0 if recorder else float(c.delay[r]) * KERNEL.net._resolution
    if name == "synapse_model":
        return DEFAULT_SYNAPSE if recorder else c.model
    if name in _plastic_columns():
        return np.nan
    raise unknown_name("connection property", name, list(COLUMNS) + list(connection_info.INFO)
                       + list(_plastic_columns()))


def _values(name, v, n) -> np.ndarray:
    if isinstance(v, (str, dict)) or v is None:
        raise bad_value(f"set: {name}", v, f"a number or {n} of them (one per connection)")
    arr = checks.floats(f"set: {name}", v)
    if arr.shape not in ((), (n,)):
        raise bad_value(f"set: {name}", f"<array of shape {arr.shape}>",
                        f"a number or {n} of them (one per connection)")
    checks.finite(f"set: {name}", arr)
    return np.broadcast_to(arr, (n,))


def _check_settable(places, values):
    """Refuse what NEST refuses (or jaxsnn cannot do) before anything changes."""
    net = KERNEL.net
    for j in np.unique(places[:, 0]):
        c = net._conns[int(j)]
        if c.model in RECORDERS:
            raise JaxsnnError(f"set: connections with a {c.model} have no properties to set (select the other "
                              "connections, e.g. GetConnections(source=..., target=...)).")
        base = _base(c.model)
        generator = net._pop_of(c.source[0]).base not in NEURONS
        S = synapse(base)
        allowed = ("weight", "delay") + S.per_connection()[2:]  # and the per-connection parameters and state
        for name in values:
            if name in S.common:
                raise JaxsnnError(f"set: {name!r} is a common property of {c.model!r} (as in NEST: set it with "
                                  f"SetDefaults({c.model!r}, {{{name!r}: ...}}) or CopyModel).")
            if name not in allowed:
                what = f"connections from a {net._pop_of(c.source[0]).base}" if generator else \
                    f"{c.model!r} connections"
                raise bad_value("set: params", name, f"a property that {what} can change between runs: {list(allowed)}")
    sel = lambda name, mask: values[name][mask]
    if "Kplus" in values:
        checks.first_bad("set: Kplus", values["Kplus"], values["Kplus"] < 0, "Kplus >= 0")
    plastic = {k: v for k, v in values.items() if k in PAIR.columns}
    if plastic:
        PAIR.check(plastic, "set")
    if "weight" in values or "Wmax" in values:
        for k, (j, r) in enumerate(places):
            c = net._conns[int(j)]
            rule, S = synapse(_base(c.model)).rule, synapse(_base(c.model))
            if not isinstance(rule, PlasticityRule) or rule.sign_of is None or rule.sign_of in S.common:
                continue  # weights of this model keep no per-connection parameter's sign
            w = values["weight"][k] if "weight" in values else c.weight[r]
            wmax = values["Wmax"][k] if "Wmax" in values else c.extra["Wmax"][r]
            if (w >= 0) != (wmax >= 0):
                raise JaxsnnError(f"set: weight={w} and Wmax={wmax} must have the same sign (stdp_synapse checks "
                                  "this; 0 counts as positive).")
    if "delay" in values:
        net = KERNEL.net
        steps = delay_steps(np.asarray(values["delay"], float), net._resolution, net._tics_per_step, "set")
        KERNEL.check_delays("set", steps * net._resolution)
        sim = KERNEL.sim
        if sim is not None and (steps < sim.spec.time.slice_steps).any():
            d = float(sel("delay", steps < sim.spec.time.slice_steps)[0])
            raise bad_value("set: delay", d, f"a delay of at least the run's min_delay "
                            f"({sim.spec.time.slice_steps * net._resolution:g} ms; it cannot shrink after Simulate)")


def set_connections(places, values: dict):
    """Write ``values`` (name → one value per connection at ``places``) into the description; weights of
    synapses also into the running simulation (in place), everything else at the next ``Simulate``
    (a rebuild that carries the run's state over, with ``Kplus`` as set)."""
    net, sim = KERNEL.net, KERNEL.sim
    calls = places[:, 0]
    for j in np.unique(calls):
        mine = calls == j
        rows = places[mine, 1]
        c = net._conns[int(j)]
        weight, delay, extra = c.weight, c.delay, dict(c.extra)
        for name, v in values.items():
            if name == "weight":
                weight = np.array(weight, float)
                weight[rows] = v[mine]
            elif name == "delay":
                delay = np.array(delay)
                delay[rows] = delay_steps(np.asarray(v[mine], float), net._resolution, net._tics_per_step, "set")
            else:
                col = np.array(extra.get(name, np.zeros(len(c.source))), float)
                col[rows] = v[mine]
                extra[name] = col
        net._conns[int(j)] = dataclasses.replace(c, weight=weight, delay=delay, extra=extra)
    if sim is None:
        return
    if "Kplus" in values:
        for (j, r), k in zip(places, values["Kplus"]):
            KERNEL.kplus_set[(int(j), int(r))] = float(k)
    index = synapse_index(places, sim)
    in_place = {"weight"}
    if sim.spec.plasticity.stdp_rule is not None and sim.spec.plasticity.stdp_rule.dopamine and (index >= 0).all():
        _set_dopamine_state(sim, index, {k: v for k, v in values.items() if k in sim.spec.plasticity.stdp_rule.traces})
        in_place |= set(sim.spec.plasticity.stdp_rule.traces)
        sim = KERNEL.sim
    rest = set(values) - in_place
    if rest or (index < 0).any():
        KERNEL.changed()
    if "weight" in values and (index >= 0).any():  # also with a rebuild pending: it carries these weights
        KERNEL.sim = _with_weights(sim, index[index >= 0], values["weight"][index >= 0])
    if _refacilitates(sim):  # a facilitation pending on a plastic synapse is NEST's to apply with the values set
        KERNEL.refacilitate.update(map(tuple, places[index >= 0].tolist()))


def _refacilitates(sim) -> bool:
    """Whether ``sim``'s synapses apply facilitations that a change between runs must redo (jaxsnn.nest.pending):
    an STDP-family rule's; not static or short-term synapses, not the dopamine rule (set in place)."""
    rule = sim.spec.plasticity.stdp_rule
    return rule is not None and not rule.dopamine


def _with_weights(sim, e, w):
    """``sim`` with synapses ``e`` transmitting weight ``w``; a plastic one's stored weight (NEST's view) too, the
    other synapses' untouched."""
    import jax.numpy as jnp

    st = sim.state.synapses
    e = jnp.asarray(e)
    w = jnp.asarray(w, st.weight.dtype)
    reported = st.reported.at[e].set(w) if st.reported.shape[0] else st.reported
    return sim.replace(state=sim.state.replace(synapses=st.replace(weight=st.weight.at[e].set(w), reported=reported)))


def common_properties_set(model: str, params: dict):
    """``SetDefaults`` of a synapse model's common properties (a ``*_hom`` model's rule) after ``Simulate``: as in
    NEST its connections follow them from now on (at the next ``Simulate``: a rebuild), a pending facilitation
    included."""
    net = KERNEL.net
    if KERNEL.sim is None or model not in net.models or net.models.get(model).kind != "synapse":
        return
    S = SYNAPSES.get(_base(model))
    if S is None or not set(params) & set(S.common):
        return
    calls = [j for j in neuron_calls(net) if net._conns[j].model == model and len(net._conns[j].source)]
    if calls:
        KERNEL.changed()
        if _refacilitates(KERNEL.sim):
            KERNEL.refacilitate.update((j, r) for j in calls for r in range(len(net._conns[j].source)))


def _set_dopamine_state(sim, index, values):
    """A dopamine synapse's K₊, c and n written into the running simulation (in place, as NEST's set_status of the
    connection): one trace per synapse."""
    import jax.numpy as jnp

    if not values:
        return
    trace = np.asarray(sim.model.synapses.out_syn)[index, OUT_TRACE]
    pl = sim.state.plasticity
    dopa, pre = dict(pl.dopa), pl.pre
    for name, v in values.items():
        old = pre.Kplus if name == "Kplus" else dopa[name]
        new = np.array(old)
        new[trace] = v
        if name == "Kplus":
            pre = pre.replace(Kplus=jnp.asarray(new, old.dtype))
        else:
            dopa[name] = jnp.asarray(new, old.dtype)
    KERNEL.sim = sim.replace(state=sim.state.replace(plasticity=pl.replace(pre=pre, dopa=dopa)))


def get_connections(source=None, target=None, synapse_model=None, synapse_label=None) -> SynapseCollection:
    """NEST's ``GetConnections``: every connection (between neurons, from generators, with recorders),
    filtered by source and target nodes and synapse model; sorted by source, then creation."""
    if synapse_label is not None:
        raise bad_value("GetConnections: synapse_label", synapse_label, "None (synapse labels are not supported)")
    net = KERNEL.net
    KERNEL.number_nodes()
    sim = KERNEL.ensure_simulation()
    if synapse_model is not None:
        known = set(model_names(net.models, "synapse"))
        if synapse_model not in known:
            raise unknown_name("synapse model", synapse_model, known)
    places = [synapse_places(net, int(sim.model.synapses.n_synapses))]
    synapse_calls = set(neuron_calls(net))
    for j, c in enumerate(net._conns):
        if j not in synapse_calls and len(c.source):
            places.append(np.stack([np.full(len(c.source), j, np.int64), np.arange(len(c.source))], axis=1))
    places = np.concatenate(places) if places else np.zeros((0, 2), np.int64)
    j, r = places[:, 0], places[:, 1]
    calls = net._conns
    src, tgt = np.empty(len(places), np.int64), np.empty(len(places), np.int64)
    model = np.empty(len(places), object)
    for a in np.unique(j):
        mine = j == a
        src[mine], tgt[mine] = calls[a].source[r[mine]], calls[a].target[r[mine]]
        model[mine] = DEFAULT_SYNAPSE if calls[a].model in RECORDERS else calls[a].model
    keep = np.ones(len(places), bool)
    if source is not None:
        keep &= np.isin(src, np.asarray(getattr(source, "ids", source)))
    if target is not None:
        keep &= np.isin(tgt, np.asarray(getattr(target, "ids", target)))
    if synapse_model is not None:
        keep &= model == synapse_model
    order = np.lexsort((np.arange(len(places)), src))
    order = order[keep[order]]
    return SynapseCollection(places[order], KERNEL.generation)
