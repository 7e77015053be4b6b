"""Describing a network in NEST's vocabulary, and compiling it to pytrees.

>>> net = Network(resolution=0.1, seed=1)
>>> e = net.create("iaf_psc_delta", 80, params={"V_m": jaxsnn.random.normal(-65.0, 5.0)})
>>> pg = net.create("poisson_generator", params={"rate": 8000.0})
>>> net.connect(e, e, {"rule": "fixed_indegree", "indegree": 10}, {"weight": 0.5, "delay": 1.5})
>>> net.connect(pg, e, syn_spec={"weight": 1.0})
>>> sim = net.build()

Every value passed in is checked where it enters (``create``, ``set``, ``copy_model``, ``connect``,
``build``) and stored as a private copy, so changing an array after passing it changes nothing.

A :class:`Network` is a mutable description (like a NEST kernel between ``ResetKernel`` and
``Simulate``); :meth:`Network.build` compiles it into an immutable :class:`~jaxsnn.Simulation`.
Every random draw made here comes from ``jax.random`` with a key derived from ``seed`` and the number
of the call that draws it (or the ``key`` passed to that call).
"""
from __future__ import annotations

import dataclasses
import functools
import math

import jax
import numpy as np

from .. import checks
from .. import random as jrandom
from ..core import threefry
from ..errors import JaxsnnError, bad_value
from ..models import DEFAULT_SYNAPSE, GENERATORS, RECORDERS, TRANSMITTERS
from ..models.base import BY_PORT, FROM_NEURONS, RECORDED_BY, TO_NEURONS
from ..parameters import Context, Parameter
from . import connect as rules
from .description import Connections, Description, Population
from .nodes import NodeCollection
from .registry import (
    CURRENT_GENERATORS,
    LIST_PARAMS,
    NEURONS,
    SPIKE_GENERATORS,
    VECTOR_PARAMS,
    ModelRegistry,
    check_device,
    check_neuron,
    check_params,
    device,
    synapse,
)

NEST_DEFAULT_SEED = 143202461


def _fixed(name: str, how: str):
    """A setting fixed at construction: reading it works, assigning it is an error (NEST, too, refuses
    to change the resolution once nodes exist)."""

    def get(self):
        return getattr(self, "_" + name)

    def refuse(self, value):
        raise JaxsnnError(f"Network.{name} cannot be changed after the Network is constructed (got {value!r}); "
                          f"{how}")

    return property(get, refuse, doc=f"``{name}``, fixed at construction.")


def _all_or_nothing(method):
    """A refused call leaves the numbering of draws as it was, so later random draws do not shift."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        n_draws = self._n_draws
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self._n_draws = n_draws
            raise
    return call


class Network:
    """A network under construction: populations, devices, synapse models and connections.

    **Arguments:**

    - ``resolution``: the time step h in ms (NEST's ``resolution``; delays and ``t_ref`` become whole
      steps of it). Fixed once the Network exists.
    - ``seed``: seeds every random draw of construction and, unless :meth:`build` is given another
      one, of the simulation (an int in 1 … 2³²−1, NEST's ``rng_seed`` range; NEST's default 143202461),
      or a ``jax.random.key`` (one typed key; its draws differ from those of any int seed).
    """

    resolution = _fixed("resolution", "create a new Network(resolution=...) instead.")
    tics_per_step = _fixed("tics_per_step", "it follows from the resolution.")
    seed = _fixed("seed", "construction draws were made with it; pass build(seed=...) to seed the simulation "
                          "differently, or create a new Network(seed=...).")

    def __init__(self, resolution: float = 0.1, seed: int = NEST_DEFAULT_SEED):
        resolution = checks.number("resolution", resolution, "a positive number of ms",
                                   lambda x: 0 < x < math.inf)
        tics = resolution * 1000.0
        if abs(tics - round(tics)) > 1e-9 or round(tics) < 1:
            raise bad_value("resolution", resolution, "a multiple of 0.001 ms (NEST's tic)")
        self._resolution = float(resolution)
        self._tics_per_step = int(round(tics))
        self._seed = _seed_or_key(seed)
        self.models = ModelRegistry(self._resolution, self._tics_per_step)
        self._pops: list[Population] = []
        self._conns: list[Connections] = []
        self._n_nodes = 0
        self._n_draws = 0
        self._recorded: dict[int, np.ndarray] = {}  # recorder id -> neuron ids it is connected to
        self._layers: list = []  # (first id, spatial Layer) of each create(..., positions=...)

    # ----------------------------------------------------------------------------------- models
    def copy_model(self, existing: str, new: str, params: dict | None = None):
        """NEST's ``CopyModel``: ``new`` gets ``existing``'s defaults updated by ``params`` (checked now,
        as NEST checks them, not at the first ``create``)."""
        self.models.copy_model(existing, new, params)

    # ------------------------------------------------------------------------------------ nodes
    def _key(self, key):
        self._n_draws += 1
        if key is not None:
            return key
        if not isinstance(self._seed, jax.Array) and threefry.available():
            # jax.random.fold_in(jax.random.key(seed), n)'s bits without running two XLA programs per call
            return jax.random.wrap_key_data(threefry.fold_in(threefry.seed_words(self._seed), self._n_draws))
        base = self._seed if isinstance(self._seed, jax.Array) else jax.random.key(self._seed)
        return jax.random.fold_in(base, self._n_draws)

    @_all_or_nothing
    def create(self, model: str, n: int | None = None, params: dict | list | None = None, *, positions=None,
               key=None) -> NodeCollection:
        """Create ``n`` nodes of ``model``; node ids continue NEST's 1-based numbering.

        ``positions`` (a :func:`jaxsnn.spatial.grid` or :func:`jaxsnn.spatial.free` spec) makes the nodes a
        spatial layer (:mod:`jaxsnn.spatial`): their number is the grid's size or the number of free
        positions (``n``, if given, must agree; a free layer drawn from a distribution needs ``n``).

        ``params`` is a dict or, as in NEST, a list of ``n`` dicts (one per node; a missing name keeps
        the model's default). In a dict, a neuron parameter may be a scalar, an array of length ``n`` or
        a :mod:`jaxsnn.random` distribution (drawn from ``key``, by default derived from the network's
        seed); a device parameter is a scalar or an array of ``n`` scalars (per node), and a list-valued
        one (``spike_times``, ``spike_weights``, ``record_from``) is one flat list for every node.
        """
        m = self.models.get(model)
        where = f"create({model!r})"
        if m.kind == "synapse":
            raise JaxsnnError(f"create: {model!r} is a synapse model; use it in connect(syn_spec=...).")
        key = self._key(key)
        layer = None
        if positions is not None:
            from ..spatial.positions import layer_for  # spatial builds on this module, not the other way round

            n, layer = layer_for(positions, n, threefry.fold_in_key(key, 2**31 - 1))
        n = 1 if n is None else checks.whole("create: n", n, "a whole number >= 1")
        if n < 1:
            raise bad_value("create: n", n, "a whole number >= 1")
        checks.fits_in_memory(where, 8.0 * n * (len(m.defaults) + 2), f"n={n} nodes")  # float64 per parameter
        first = self._n_nodes + 1
        if layer is not None:  # before the values: a parameter may read the positions (spatial.pos.x)
            self._layers.append((first, layer))
        try:
            pops = self._create_values(m, model, n, params, key, where, first)
        except Exception:
            if layer is not None:
                self._layers.pop()
            raise
        self._pops.extend(pops)
        self._n_nodes += n
        return NodeCollection._trusted(self, np.arange(first, first + n))

    def _create_values(self, m, model, n, params, key, where, first) -> list:
        if m.kind == "neuron":
            base = {name: None for name in m.defaults}
            values = self._neuron_values(m, n, params, key, where, base, np.arange(first, first + n))
            check_neuron(m.base, where, values, self._tics_per_step)
            pops = [Population(model, m.base, first, n, values)]
        else:
            for d in params if isinstance(params, (list, tuple)) else [params or {}]:
                if isinstance(d, dict):
                    device(m.base).check_given(d, where)
            dicts = self._device_values(m, [dict(m.defaults) for _ in range(n)], params, where)
            pops = _regroup(model, m.base, first, dicts)
        return pops

    def _positions(self, ids) -> np.ndarray:
        """Positions of nodes (the parameter algebra's hook for ``jaxsnn.spatial.pos``)."""
        layer, lids = self._layer_of(np.asarray(ids), "jaxsnn.spatial.pos")
        return layer.positions[lids]

    def _layer_of(self, ids: np.ndarray, where: str):
        """The spatial layer that holds every node of ``ids``, and the nodes' indices in it."""
        ids = np.asarray(ids)
        for first, layer in self._layers:
            if len(ids) and first <= ids.min() and ids.max() < first + len(layer.positions):
                return layer, ids - first
        raise JaxsnnError(f"{where}: the nodes are not (all) in one spatial layer; create them with "
                          "positions=jaxsnn.spatial.grid(...) or free(...) (NEST: 'NodeCollection has no "
                          "spatial metadata').")

    @_all_or_nothing
    def set(self, nodes: NodeCollection, params: dict | list | None = None, *, key=None, **kwargs):
        """NEST's ``nodes.set`` / ``SetStatus`` before building: ``params`` (or keyword arguments) is a
        dict of values (scalars, arrays over ``nodes``, :mod:`jaxsnn.random` distributions for neurons)
        or a list of one dict per node; checked as :meth:`create` checks them. Every node keeps the
        values it is not given. Nothing changes if any value is refused. Like ``create`` and ``connect``,
        a call counts in the numbering that derives the keys of later draws."""
        if not isinstance(nodes, NodeCollection) or nodes._net is not self:
            raise bad_value("set: nodes", nodes, "a NodeCollection of this Network")
        if params is not None and kwargs:
            raise JaxsnnError("set: pass the parameters either as a dict (or list of dicts) or as keywords, not both.")
        params = kwargs if params is None else params
        if isinstance(params, (list, tuple)) and len(params) != len(nodes):
            raise JaxsnnError(f"set: params is a list of {len(params)} dicts for {len(nodes)} nodes; give one dict per "
                              "node (NEST: 'list of params must have one dictionary per node').")
        key = self._key(key)
        new_pops = []
        for k, pop in enumerate(self._pops):
            ids = np.arange(pop.first, pop.first + pop.n)
            at = np.isin(ids, nodes.ids)
            if not at.any():
                new_pops.append([pop])
                continue
            mine = np.searchsorted(nodes.ids, ids[at])  # positions of this population's nodes in ``nodes``
            part = ([params[i] for i in mine] if isinstance(params, (list, tuple))
                    else part_for_nodes(params, mine, len(nodes)))
            m = self.models.get(pop.model)
            where = f"set({pop.model!r} nodes)"
            if m.kind == "neuron":
                base = {name: arr[at] for name, arr in pop.params.items()}
                sub = self._neuron_values(m, int(at.sum()), part, threefry.fold_in_key(key, k), where, base, ids[at])
                self._check_port_change(pop, ids[at], sub, where)
                pieces = _set_rows(pop, at, sub)
                for piece in pieces:
                    check_neuron(m.base, where, piece.params, self._tics_per_step)
                new_pops.append(pieces)
            else:
                dicts = [dict(pop.params) for _ in range(pop.n)]
                chosen = self._device_values(m, [dicts[i] for i in np.nonzero(at)[0]], part, where)
                for i, d in zip(np.nonzero(at)[0], chosen):
                    dicts[i] = d
                new_pops.append(_regroup(pop.model, pop.base, pop.first, dicts))
        self._pops = [p for group in new_pops for p in group]

    def _check_port_change(self, pop, ids, new, where):
        """NEST's rule for the number of receptor ports of neurons that receive spike connections (the
        model's ``port_change``: "fixed", or "grow" for no fewer)."""
        m = NEURONS[pop.base]
        if not m.port_params:
            return
        old, now = pop.params[m.port_params[0]].shape[1], new[m.port_params[0]].shape[1]
        if now == old or (m.port_change == "grow" and now > old):
            return
        for c in self._conns:
            if not len(c.source) or c.model in RECORDERS or self._pop_of(int(c.source[0])).base in CURRENT_GENERATORS:
                continue
            hit = np.isin(ids, c.target)
            if hit.any():
                raise JaxsnnError(f"{where}: node {int(ids[np.argmax(hit)])} has a spike connection in, so its number "
                                  f"of receptor ports ({old}) cannot change to {now} (NEST: 'The neuron has "
                                  "connections, therefore the number of ports cannot be reduced.')")

    def _neuron_values(self, m, n, params, key, where, base, ids=None) -> dict:
        """Per-node arrays of every parameter of a neuron model: ``base[name]`` (an array, or ``None``
        for the model default) updated by ``params``; each a private float64 (bool) array."""
        if isinstance(params, (list, tuple)):
            if len(params) != n:
                raise JaxsnnError(f"{where}: params is a list of {len(params)} dicts for {n} nodes; give one dict "
                                  "per node (NEST: 'list of params must have one dictionary per node').")
            rows = [check_params(m, d, where) for d in params]
            given = {}
            for name in m.defaults:
                if any(name in d for d in rows):
                    col = [d.get(name, m.defaults[name] if base[name] is None else base[name][j])
                           for j, d in enumerate(rows)]
                    if any(isinstance(x, Parameter) or np.ndim(x) for x in col):
                        raise bad_value(f"{where}: params[...][{name!r}]", "<not a scalar>",
                                        "a scalar in each per-node dict")
                    given[name] = col
        else:
            given = check_params(m, params or {}, where)
        values = {}
        switches = {k for k, v in NEURONS[m.base].defaults().items() if isinstance(v, bool)}
        lists = NEURONS[m.base].list_params
        ports = NEURONS[m.base].port_params
        for i, (name, default) in enumerate(m.defaults.items()):
            if name not in given and base[name] is not None:
                values[name] = base[name].copy()
                continue
            v = given.get(name, default)
            label = f"{where}: params[{name!r}]"
            if name in lists:
                values[name] = _list_values(label, v, n, empty=name not in ports)
                continue
            if isinstance(v, Parameter):
                if name in switches:
                    raise bad_value(label, v, "True or False (or an array of them)")
                arr = v.evaluate(self._parameter_context(n, threefry.fold_in_key(key, i), label, ids, ids))
            else:
                arr = checks.bools(label, v) if name in switches else checks.floats(label, v)
                arr = jrandom.resolve(arr, n, label, None)
            values[name] = arr
        return values

    def _parameter_context(self, n, key, where, sources, targets) -> Context:
        """What a :class:`~jaxsnn.parameters.Parameter` is evaluated with: ``n`` values from ``key``, the
        node ids per value (a node's own id twice for node parameters; source and target per connection).
        The hook for spatial Parameters: a Network with positions passes them here."""
        return Context(n, key, sources, targets, getattr(self, "_positions", None), where)

    def _device_values(self, m, dicts: list, params, where) -> list:
        """The per-node parameter dicts of devices, ``dicts`` updated by ``params`` and checked."""
        n = len(dicts)
        if isinstance(params, (list, tuple)):
            if len(params) != n:
                raise JaxsnnError(f"{where}: params is a list of {len(params)} dicts for {n} nodes; give one dict "
                                  "per node (NEST: 'list of params must have one dictionary per node').")
            updates = [check_params(m, d, where) for d in params]
        else:
            given = check_params(m, params or {}, where)
            updates = [{} for _ in range(n)]
            for name, v in given.items():
                if isinstance(v, Parameter):
                    raise bad_value(f"{where}: params[{name!r}]", v, "a value or an array of one value per node "
                                    "(device parameters are not drawn)")
                if name in VECTOR_PARAMS or np.ndim(v) == 0 or isinstance(v, str):
                    per = [v] * n
                elif np.ndim(v) == 1 and len(v) == n:
                    per = list(np.array(v, copy=True))
                else:
                    raise bad_value(f"{where}: params[{name!r}]", f"<array of shape {np.shape(v)}>",
                                    f"a scalar or an array of {n} values (one per node)")
                for d, x in zip(updates, per):
                    d[name] = x
        return [check_device(where, m.base, {**d, **u}, self._resolution, self._tics_per_step)
                for d, u in zip(dicts, updates)]

    def _pop_of(self, node_id) -> Population:
        for p in self._pops:
            if p.first <= node_id < p.first + p.n:
                return p
        raise bad_value("node id", int(node_id), f"an id of an existing node (1 … {self._n_nodes})")

    def _pops_of(self, ids: np.ndarray) -> list:
        """The populations holding any of the node ids ``ids`` (valid ids), by first id: one pass over ``ids``
        (a mark per node) instead of a sort of them (a connect call's millions of targets)."""
        hit = np.zeros(self._n_nodes + 1, bool)
        hit[ids] = True
        return [p for p in sorted(self._pops, key=lambda p: p.first) if hit[p.first:p.first + p.n].any()]

    def _kind(self, ids: np.ndarray, what: str) -> str:
        """'neuron', or the base model of the devices, for a set of node ids of one kind."""
        kinds = {"neuron" if p.base in NEURONS else p.base for p in self._pops_of(ids)}
        if len(kinds) != 1:
            raise JaxsnnError(f"connect: {what} mixes node kinds {sorted(kinds)}; connect each kind separately.")
        return kinds.pop()

    def _ids(self, x, what) -> np.ndarray:
        if isinstance(x, NodeCollection):
            if x._net is not self:
                raise bad_value(f"connect: {what}", x, "a NodeCollection of this Network (this one belongs to "
                                "another Network)")
            return x.ids
        return checks.node_ids(f"connect: {what}", x, self._n_nodes)

    # ------------------------------------------------------------------------------ connections
    @_all_or_nothing
    def connect(self, pre, post, conn_spec=None, syn_spec=None, *, key=None):
        """Connect ``pre`` to ``post`` (NEST's ``Connect``).

        ``pre``/``post`` are NodeCollections of this Network, or arrays of node ids with ``"one_to_one"``
        (element i connects ``pre[i]`` to ``post[i]``; ids may repeat: the path a restore uses).
        ``syn_spec`` is a synapse model name (e.g. one made by ``copy_model``) or a dict of
        ``synapse_model``, ``weight`` (mV), ``delay`` (ms) and, for ``stdp_synapse``, per-connection
        plasticity parameters, each a scalar, an array over the connections (in rule order) or a
        :mod:`jaxsnn.random` distribution.
        """
        src_ids, tgt_ids = self._ids(pre, "pre"), self._ids(post, "post")
        if self._layers:
            from ..spatial import rules as spatial_rules  # spatial builds on this module

            if spatial_rules.wants(conn_spec, syn_spec):
                return self._connect_spatial(pre, post, conn_spec, syn_spec, key)
        if isinstance(conn_spec, str) and conn_spec not in rules.RULES and conn_spec in self.models:
            raise bad_value("connect: conn_spec", conn_spec, "a connection rule, but this is a model name; pass a "
                            f"synapse model as syn_spec: connect(pre, post, 'all_to_all', {conn_spec!r})")
        spec = rules.normalise(conn_spec)
        n = rules.expected_count(spec, len(src_ids), len(tgt_ids))
        checks.fits_in_memory("connect", rules.BYTES_PER_CONNECTION * n, f"rule {spec['rule']!r} with {n:.4g} "
                              "connections")
        arrays_path = not isinstance(pre, NodeCollection) or not isinstance(post, NodeCollection)
        if arrays_path and spec["rule"] != "one_to_one":
            raise JaxsnnError("connect: arrays of node ids need the 'one_to_one' rule; pass NodeCollections "
                              f"for rule {spec['rule']!r}.")
        src_kind, tgt_kind = self._kind(src_ids, "pre"), self._kind(tgt_ids, "post")
        if isinstance(syn_spec, str):
            syn_spec = {"synapse_model": syn_spec}
        elif syn_spec is not None and not isinstance(syn_spec, dict):
            raise bad_value("connect: syn_spec", syn_spec, "a synapse model name or a dict")
        key = self._key(key)
        recorder = _recorder_of(src_kind, tgt_kind)
        if recorder:
            _check_recorder_rule(recorder, spec, src_kind, tgt_kind)
        if arrays_path:
            if len(src_ids) != len(tgt_ids):
                raise JaxsnnError(f"one_to_one needs sources and targets of equal size; got {len(src_ids)} "
                                  f"sources and {len(tgt_ids)} targets.")
            s, t = src_ids, tgt_ids
        else:
            ids = np.int32 if self._n_nodes < 2**31 else np.int64  # half the memory of a connection's ids
            s, t = rules.pairs(spec, src_ids.astype(ids), tgt_ids.astype(ids), threefry.fold_in_key(key, 0))
        if recorder:
            self._record(s, t, recorder)
            self._conns.append(Connections(s, t, recorder.name, np.zeros(len(s)), np.zeros(len(s), np.int64), {}))
            return
        if tgt_kind in TRANSMITTERS:  # spikes of neuromodulatory neurons into a volume_transmitter
            if src_kind != "neuron":
                raise JaxsnnError(f"connect: cannot connect {src_kind} to {tgt_kind} (a volume_transmitter collects "
                                  "the spikes of neurons; put a parrot_neuron in between).")
            conn = self._synapses(s, t, syn_spec, src_kind, jax.random.fold_in(key, 1))
            if synapse(self.models.get(conn.model).base).rule is not None:
                raise JaxsnnError(f"connect: connections into a {tgt_kind} use a static synapse, not {conn.model!r}.")
            self._conns.append(conn)
            return
        if tgt_kind != "neuron" or src_kind not in ("neuron",) + SPIKE_GENERATORS + CURRENT_GENERATORS:
            raise JaxsnnError(f"connect: cannot connect {src_kind} to {tgt_kind} (synapses go from neurons or "
                              "generators to neurons; recorders are connected neuron -> spike_recorder and "
                              "multimeter -> neuron).")
        conn = self._synapses(s, t, syn_spec, src_kind, threefry.fold_in_key(key, 1))
        _check_receptor(self, conn, src_kind)  # before it joins: a refused connection is not made
        self._conns.append(conn)

    def _connect_spatial(self, pre, post, conn_spec, syn_spec, key):
        """``connect`` between layers with a mask or spatial parameters (:mod:`jaxsnn.spatial.rules`)."""
        from ..spatial import parameters as sp
        from ..spatial import rules as spatial_rules

        for name, x in (("pre", pre), ("post", post)):
            if not isinstance(x, NodeCollection):
                raise bad_value(f"connect: {name}", x, "a NodeCollection of a spatial layer (a spatial connection)")
        if isinstance(syn_spec, str):
            syn_spec = {"synapse_model": syn_spec}
        elif syn_spec is not None and not isinstance(syn_spec, dict):
            raise bad_value("connect: syn_spec", syn_spec, "a synapse model name or a dict")
        src_kind, tgt_kind = self._kind(pre.ids, "pre"), self._kind(post.ids, "post")
        if src_kind != "neuron" or tgt_kind != "neuron":
            raise JaxsnnError(f"connect: spatial connections join neurons; got {src_kind} -> {tgt_kind} (NEST: "
                              "'Spatial Connect with ... to devices is not possible').")
        key = self._key(key)
        s, t, spos, tpos, geom = spatial_rules.connect(self, pre, post, conn_spec, threefry.fold_in_key(key, 0))
        syn_spec = dict(syn_spec or {})
        for i, name in enumerate(("weight", "delay")):
            if name in syn_spec and sp.is_spatial(syn_spec[name]):
                syn_spec[name] = sp.pair_values(syn_spec[name], spos, tpos, s, t, geom,
                                                threefry.fold_in_key(key, 2 + i), f"connect(syn_spec): {name}")
        conn = self._synapses(s, t, syn_spec, src_kind, threefry.fold_in_key(key, 1))
        _check_receptor(self, conn, src_kind)  # before it joins: a refused connection is not made
        self._conns.append(conn)

    def _record(self, s, t, recorder):
        """Refuse a second connection between a recorder and a neuron: NEST refuses it for a multimeter
        and writes every spike twice for a spike_recorder, which jaxsnn's recorders do not do."""
        rec, nrn = (s, t) if recorder.connects == TO_NEURONS else (t, s)
        pair = rec.astype(np.int64) * (2 ** 32) + nrn
        u, c = np.unique(pair, return_counts=True)
        dup = [int(x) for x in u[c > 1][:1]]
        added = {}
        for r in np.unique(rec):
            mine = np.unique(nrn[rec == r])
            old = self._recorded.get(int(r), np.zeros(0, np.int64))
            again = np.intersect1d(old, mine)
            if len(again) and not dup:
                dup = [int(r) * 2 ** 32 + int(again[0])]
            added[int(r)] = np.union1d(old, mine)
        if dup:
            r, i = divmod(dup[0], 2 ** 32)
            raise JaxsnnError(f"connect: neuron {i} is connected to {recorder.name} {r} twice; connect each neuron "
                              "to a recorder once (NEST refuses this for a multimeter and records every spike twice "
                              "for a spike_recorder).")
        self._recorded.update(added)

    def _synapses(self, s, t, syn_spec, src_kind, key) -> Connections:
        syn_spec = dict(syn_spec or {})
        name = syn_spec.pop("synapse_model", DEFAULT_SYNAPSE)
        m = self.models.get(name, "synapse")
        S = synapse(m.base)
        if src_kind != "neuron" and not S.from_devices:
            raise JaxsnnError(f"connect: {src_kind} connections must use a static synapse, not {name!r}.")
        where = f"connect(syn_spec) for {name!r}"
        check_params(m, syn_spec, where)
        if RECORDED_BY in syn_spec:
            raise JaxsnnError(f"{where}: set 'weight_recorder' with copy_model(..., {{'weight_recorder': wr}}).")
        shared = [k for k in syn_spec if k in S.common]
        if shared:  # NEST: 'Synapse parameter "weight" can only be set via SetDefaults() or CopyModel().'
            raise JaxsnnError(f"{where}: {shared} are common properties of {m.base}; set them "
                              f"with copy_model({m.base!r}, 'my_syn', {{...}}).")
        if getattr(S.rule, "dopamine", False):
            self._check_transmitter(m, where)
        receptor = syn_spec.pop("receptor_type", m.defaults.get("receptor_type", 0))
        n = len(s)
        values = {}
        for i, pname in enumerate(S.per_connection()):
            v, label = syn_spec.get(pname, m.defaults[pname]), f"{where}: {pname}"
            if isinstance(v, Parameter):
                arr = v.evaluate(self._parameter_context(n, threefry.fold_in_key(key, i), label, s, t))
            else:
                arr = checks.floats(label, v)
                # one value for all: a read-only view of it (the description holds 8 bytes, not 8 per connection)
                arr = np.broadcast_to(arr, (n,)) if arr.ndim == 0 else jrandom.resolve(arr, n, label, None)
            checks.finite(label, arr[:1] if _constant(arr) else arr)
            values[pname] = arr
        delay = delay_steps(values.pop("delay"), self._resolution, self._tics_per_step, where)
        S.check(values, where)
        weight = values.pop("weight")
        if src_kind == "neuron":  # the many connections (a generator's are read by its model as float64)
            weight = _compact(weight)
        if receptor:
            values["receptor_type"] = receptor
        return Connections(s, t, name, weight, delay, values)

    def _check_transmitter(self, m, where):
        """A neuromodulated synapse model names one volume_transmitter of this network (NEST checks it at Connect)."""
        vt = m.defaults.get("volume_transmitter")
        if vt is None:
            raise JaxsnnError(f"{where}: no volume transmitter has been assigned to the dopamine synapse; set it with "
                              f"copy_model({m.base!r}, 'my_syn', {{'volume_transmitter': vt}}).")
        ids = np.asarray(getattr(vt, "ids", vt), np.int64).reshape(-1)
        if getattr(vt, "_net", self) is not self or self._kind(ids, "volume_transmitter") not in TRANSMITTERS:
            raise bad_value(f"{where}: volume_transmitter", vt, "a volume_transmitter node of this network (NEST: "
                            "'Property volume_transmitter must be set to a node of type volume_transmitter')")

    # ------------------------------------------------------------------------------------ build
    def description(self) -> Description:
        """What the network holds now, frozen (:class:`~jaxsnn.build.description.Description`): what
        :func:`jaxsnn.build` lowers."""
        return Description(self._resolution, self._tics_per_step, self._n_nodes, tuple(self._pops),
                           tuple(self._conns), self.models.catalogue(), tuple(self._layers))

    def build(self, seed=None, **options):
        """Compile to an immutable :class:`~jaxsnn.Simulation` at time 0: :func:`jaxsnn.build` (``seed``:
        an int in 1 … 2³²−1 or a ``jax.random.key`` for the simulation's random streams, default the
        network's seed; ``differentiable``, ``chunk_steps``, ``devices`` and capacities as documented there)."""
        from ..run.simulation import build  # the runner builds on this description, not the other way round

        sim = build(self, seed=seed, **options)
        self._built = True  # NodeCollection.set now refuses: it would change only later builds
        return sim


def _seed_or_key(seed):
    """An int seed (checked as NEST's rng_seed) or one concrete typed ``jax.random.key``."""
    if not jax.dtypes.issubdtype(getattr(seed, "dtype", None), jax.dtypes.prng_key):
        return checks.seed("seed", seed)
    if np.shape(seed) != () or isinstance(seed, jax.core.Tracer):
        raise bad_value("seed", f"<key array of shape {np.shape(seed)}>", "one concrete jax.random.key (or an int)")
    return seed


def _recorder_of(src_kind: str, tgt_kind: str):
    """The recorder model of a connection that records (neuron -> spike_recorder, multimeter -> neuron), or
    None."""
    for kind, direction in ((tgt_kind, FROM_NEURONS), (src_kind, TO_NEURONS)):
        model = RECORDERS.get(kind)
        if model is not None and model.connects == direction:
            return model
    return None


def _check_recorder_rule(recorder, spec, src_kind, tgt_kind):
    want = ("neuron", recorder.name) if recorder.connects == FROM_NEURONS else (recorder.name, "neuron")
    # a recorder connected to nodes may also sample the generators that have recordables (as NEST allows)
    sampled = recorder.connects == TO_NEURONS and src_kind == recorder.name and tgt_kind in GENERATORS \
        and GENERATORS[tgt_kind].recordables
    # and a recorder of spikes records the trains of generators that send it one as to a target
    sent = recorder.connects == FROM_NEURONS and tgt_kind == recorder.name and src_kind in GENERATORS \
        and GENERATORS[src_kind].spikes_recorded
    if (src_kind, tgt_kind) != want and not (sampled or sent):
        if recorder.connects == TO_NEURONS:
            which = sorted(n for n, G in GENERATORS.items() if G.recordables)
            how = f"samples neurons and the generators with recordables: {', '.join(which)}"
        else:
            which = sorted(n for n, G in GENERATORS.items() if G.spikes_recorded)
            how = f"records neurons and the generators {', '.join(which)}"
        raise JaxsnnError(f"connect: cannot connect {src_kind} to {tgt_kind} (a {recorder.name} {how}).")
    if spec["rule"] in recorder.refused_rules:  # NEST 3.10 refuses them too (IllegalConnection)
        raise bad_value(f"connect: conn_spec['rule'] for {src_kind} -> {tgt_kind}", spec["rule"],
                        recorder.allowed_rules + "; NEST refuses it too")


def _list_values(label, v, n, empty: bool) -> np.ndarray:
    """A list parameter (tau_syn: one value per receptor port, gif's tau_sfa: one per element): one list
    for every node or one list per node (a [nodes, length] array), as a [n, length] float64 array;
    ``empty``: whether the list may be empty (ports may not)."""
    what = "a list of numbers" if empty else "a non-empty list of numbers (one per receptor port)"
    if isinstance(v, Parameter):
        raise bad_value(label, v, f"{what} (not a distribution)")
    arr = checks.floats(label, v)
    if arr.ndim == 1 and (len(arr) or empty):
        return np.tile(arr, (n, 1))
    if arr.ndim == 2 and arr.shape[0] == n and (arr.shape[1] or empty):
        return arr.copy()
    raise bad_value(label, checks._show(v), f"{what}, or {n} such lists of one length (one per node)")


def part_for_nodes(params: dict, positions: np.ndarray, n: int) -> dict:
    """The part of a ``set`` dict for the nodes at ``positions`` of a collection of ``n`` nodes: arrays of
    length ``n`` over scalar parameters are cut; scalars, lists of list parameters and distributions
    pass whole."""
    if not isinstance(params, dict):
        raise bad_value("set: params", params, "a dict or a list of one dict per node")
    out = {}
    for name, v in params.items():
        if name in LIST_PARAMS and np.ndim(v) == 2 and len(v) == n:  # one list per node
            out[name] = np.array(v, copy=True)[positions]
        elif name in VECTOR_PARAMS or name in LIST_PARAMS or isinstance(v, (Parameter, str)) or np.ndim(v) == 0:
            out[name] = v
        elif np.ndim(v) == 1 and len(v) == n:
            out[name] = np.array(v, copy=True)[positions]
        else:
            raise bad_value(f"set: params[{name!r}]", f"<array of shape {np.shape(v)}>",
                            f"a scalar or an array of {n} values (one per node)")
    return out


def _same(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for k, x in a.items():
        y = b[k]
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and np.array_equal(x, y)):
                return False
        elif x is not y and x != y:
            return False
    return True


def _set_rows(pop: Population, at: np.ndarray, sub: dict) -> list:
    """``pop`` with the values ``sub`` at the nodes ``at`` (bool per node); one population, or where a list
    parameter changes its length (gif's tau_sfa: one list per node, each of its own length) the runs of
    nodes with one length each."""
    if all(sub[name].shape[1:] == arr.shape[1:] for name, arr in pop.params.items()):
        values = {name: arr.copy() for name, arr in pop.params.items()}
        for name, arr in values.items():
            arr[at] = sub[name]
        return [dataclasses.replace(pop, params=values)]
    row = np.cumsum(at) - 1  # a node's row in ``sub``
    edges = np.flatnonzero(np.diff(at.astype(np.int8))) + 1
    pieces = []
    for a, b in zip(np.r_[0, edges], np.r_[edges, pop.n]):
        params = {name: (sub[name][row[a]:row[b - 1] + 1] if at[a] else arr[a:b]).copy()
                  for name, arr in pop.params.items()}
        pieces.append(dataclasses.replace(pop, first=pop.first + int(a), n=int(b - a), params=params))
    return pieces


def _regroup(model, base, first, dicts) -> list:
    """Devices as populations: runs of consecutive nodes with equal parameters share one (compile reads
    one parameter dict per population)."""
    runs = []  # [first index, count, params]
    for i, d in enumerate(dicts):
        if runs and _same(runs[-1][2], d):
            runs[-1][1] += 1
        else:
            runs.append([i, 1, d])
    return [Population(model, base, first + i, n, d) for i, n, d in runs]


def delay_steps(delay_ms: np.ndarray, h: float, tics_per_step: int, where: str) -> np.ndarray:
    """Delays in whole steps as NEST rounds a connection's delay (``Time::delay_ms_to_steps``:
    ``floor(d · steps_per_ms + 0.5)`` straight from ms, not through tics: 0.64999999 ms at h = 0.1 is 6
    steps); below one step, or beyond ``checks.MAX_DELAY_STEPS`` (the input ring and step arithmetic are
    int32), is an error."""
    if _constant(delay_ms):  # one delay for all (a broadcast view): rounded once
        return np.broadcast_to(delay_steps(delay_ms[:1], h, tics_per_step, where), delay_ms.shape)
    steps_per_ms = 1 / (tics_per_step / 1000.0)  # NEST's Range::STEPS_PER_MS
    steps = np.floor(np.asarray(delay_ms, np.float64) * steps_per_ms + 0.5)
    checks.first_bad(f"{where}: delay", np.asarray(delay_ms), steps < 1,
                     f"a delay of at least the resolution ({h} ms)")
    checks.first_bad(f"{where}: delay", np.asarray(delay_ms), steps > checks.MAX_DELAY_STEPS,
                     f"a delay of at most {checks.MAX_DELAY_STEPS} steps ({checks.MAX_DELAY_STEPS * h:.6g} ms; the "
                     "input ring holds the longest delay and is indexed in int32)")
    return steps.astype(np.int32)  # checks.MAX_DELAY_STEPS fits


def _compact(w: np.ndarray) -> np.ndarray:
    """Per-connection float64 values that are all float32 numbers (drawn in JAX's default float32
    precision), held as float32: the same numbers in half the memory (4 bytes per connection less in a
    description of drawn weights); other values (drawn with x64 enabled, given by the user) as they are."""
    if not (isinstance(w, np.ndarray) and w.dtype == np.float64 and w.ndim == 1 and len(w) > 1) or _constant(w):
        return w
    narrow = w.astype(np.float32)
    return narrow if np.array_equal(narrow, w) else w


def _constant(a) -> bool:
    """Whether ``a`` is one value seen many times: a 1-d view with stride 0 (``np.broadcast_to``)."""
    return isinstance(a, np.ndarray) and a.ndim == 1 and len(a) > 1 and a.strides[0] == 0


def _check_receptor(net, conn, src_kind):
    """receptor_type: 0 everywhere; otherwise one the target models accept from this kind of source
    (their ``receptors``: e.g. iaf_psc_exp's filtered current input 1, parrot_neuron's unrepeated 1)."""
    r = conn.extra.get("receptor_type", 0)
    kind = "current" if src_kind in CURRENT_GENERATORS else "neuron" if src_kind == "neuron" else "generator"
    pops = net._pops_of(conn.target)
    if kind != "current":  # spikes onto a neuron with receptor ports: NEST's 1-based ports
        for p in pops:
            m = NEURONS[p.base]
            if m.inputs == BY_PORT and not 1 <= r <= p.params[m.port_params[0]].shape[1]:
                raise bad_value("connect(syn_spec): receptor_type", r,
                                f"a port 1 … {p.params[m.port_params[0]].shape[1]} of the target {p.base} (its "
                                f"n_synapses; NEST: 'Receptor type {r} in {p.base} does not accept SpikeEvent.')")
        pops = [p for p in pops if NEURONS[p.base].inputs != BY_PORT]
    if not r:
        return
    bases = sorted({p.base for p in pops})
    allowed = {b: NEURONS[b].receptors.get(kind, (0,)) for b in bases}
    if not all(r in a for a in allowed.values()):
        raise bad_value("connect(syn_spec): receptor_type", r, "a receptor every target accepts from a "
                        f"{kind} source ({', '.join(f'{b}: {list(a)}' for b, a in allowed.items())})")
