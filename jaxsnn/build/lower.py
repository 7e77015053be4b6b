"""The host build: a frozen :class:`~jaxsnn.build.description.Description` of a network lowered to
``(model, params, state, layout)``. It reads the description only, never the Network.

The layout is chosen for event-driven simulation: synapses sorted by source (one contiguous range per
presynaptic neuron), plastic synapses additionally indexed by target and delay, generators flattened
over their connections, recorders as masks and fixed-size buffers that the host empties after every
chunk of steps (so device memory never grows with the length of a run). Host work only (numpy); the
arrays it makes are the inputs of :mod:`jaxsnn.core`.
"""
from __future__ import annotations

import dataclasses
import hashlib

import jax
import numpy as np

from ..core import engine, host, stdp, stp
from ..core.host import put
from ..core.types import (
    BY_PORT,
    OUT_DELAY,
    OUT_ROW,
    OUT_TARGET,
    OUT_TRACE,
    Autodiff,
    Capacities,
    Model,
    Models,
    NeuronParams,
    NeuronTopology,
    Params,
    PlasticitySpec,
    Sizes,
    Spec,
    State,
    Synapses,
    Timing,
)
from ..errors import JaxsnnError, bad_value
from ..models import DEFAULT_SYNAPSE, GENERATORS, RECORDERS, SYNAPSES, TRANSMITTERS
from ..models.base import RECORDING, ROW, Generator, PlasticityRule, PlasticityRules, ShortTermRule, solitary
from .description import Description
from .registry import (
    NEURONS,
    SPIKE_GENERATORS,
)


@dataclasses.dataclass(frozen=True)
class Layout:
    """Host-side facts needed to translate between node ids and the compiled arrays."""

    n_nodes: int
    neuron_of_node: np.ndarray  # node id -> neuron index (-1 for devices), index 0 unused
    node_of_neuron: np.ndarray  # neuron index -> node id
    populations: tuple  # (model, base, first id, n) in creation order
    synapse_models: tuple  # model names, indexed by Synapses.model
    synapse_params: dict  # model name -> plasticity parameters (as NEST's GetDefaults)
    device_connections: dict  # generator and recorder connections as NEST's GetConnections lists them
    initial_state_sha256: str  # digest of the built V_m and weights: a checkpoint must be of this build
    layers: tuple = ()  # (first id, jaxsnn.spatial Layer) of each population created with positions
    generators: dict = dataclasses.field(default_factory=dict)  # per model of Spec.models.generators: (node ids,
    # their parameters), in the order of the model's generator index
    recorders: dict = dataclasses.field(default_factory=dict)  # per model of Spec.models.recorders: its host facts
    # (Recorder.lower): "nodes", the node ids in buffer order, and what its drain and events read

    def recorder_of(self, node_id: int):
        """The name of the recorder model of ``node_id``, or None."""
        return next((name for name, info in self.recorders.items() if node_id in info["nodes"]), None)


@dataclasses.dataclass(frozen=True)
class Compiled:
    model: Model
    params: Params
    state: State
    layout: Layout


def compile_network(desc: Description, seed, *, slice_capacity: int | None = None, chunk_steps: int = 10000,
                    differentiable: bool = False, calcium: bool = False, **capacities) -> Compiled:
    """Lower ``desc``; ``seed`` (int or JAX key) seeds the simulation's random streams. The capacities are
    initial sizes (:func:`jaxsnn.simulate` grows them when exceeded); ``capacities``: a recorder model's
    under its ``capacity_name`` (None: the model's default). ``calcium``: keep NEST's calcium trace
    (:mod:`jaxsnn.core.calcium`); without it, Ca, tau_Ca and beta_Ca must have NEST's defaults."""
    x64 = bool(jax.config.jax_enable_x64)
    fdt = np.float64 if x64 else np.float32
    pops = [p for p in desc.populations if p.base in NEURONS]
    neuron_of_node, node_of_neuron = _neuron_index(desc, pops)
    nrn = _neurons(desc, pops, fdt)
    if differentiable:
        for m in nrn["models"]:
            if not m.differentiable:
                raise bad_value("build: differentiable", True, f"False: {m.name} passes no gradients through its "
                                "spikes")
    rsteps = nrn["refractory_steps"]
    syn = _synapse_tables(desc, neuron_of_node, len(node_of_neuron), fdt)
    # hashed in a thread while the lowering goes on (hashlib releases the GIL): the initial V_m and weights as
    # the state will hold them (engine.init takes both as they are)
    digest = host.in_background(_initial_digest, nrn["state"], syn["weight"])
    gen = _interface_generators(desc, neuron_of_node, fdt)
    vt = _transmitter_connections(desc, neuron_of_node)
    syn["vt_delay"] = vt["delay"]
    L = _slice_length(desc, syn, gen, rsteps, len(node_of_neuron))
    generator_of_node = {int(i): (name, g) for name, (ids, _) in gen["plug_nodes"].items() for g, i in enumerate(ids)}
    generator_connections = {name: {k: np.asarray(t[k]) for k in ("node", "target")}
                             for name, t in gen["plug_topology"].items()}
    rec = _recorders(desc, dict(neuron_of_node=neuron_of_node, node_of_neuron=node_of_neuron, models=nrn["models"],
                                synapses=syn, chunk_steps=chunk_steps, generator_of_node=generator_of_node,
                                generator_connections=generator_connections, slice_steps=L), capacities)
    spec = _spec(desc, syn, gen, rec, rsteps, L, nrn, x64=x64, differentiable=differentiable,
                 slice_capacity=slice_capacity,
                 deliver_slices=int(vt["interval"].max(initial=1)) if syn["rule"] is not None and syn["rule"].dopamine
                 else 0)
    if differentiable:
        refused = [m for m in syn["models"] if not SYNAPSES[desc.models[m].base].differentiable()]
        if refused:
            bases = sorted({desc.models[m].base for m in refused})
            usable = sorted(n for n, S in SYNAPSES.items() if S.rule is not None and S.differentiable())
            raise JaxsnnError(f"build(differentiable=True): {', '.join(bases)} is not differentiable in jaxsnn; build "
                              f"without differentiable=True, or use {' or '.join(usable)}.")
    plug_top, plug_par = _sliced(gen, L, fdt)
    transmitters, dopa = _transmitters(desc, syn, vt, spec, fdt)
    model = Model(spec=spec, neurons=nrn["topology"], synapses=syn["topology"], generators=plug_top,
                  transmitters=transmitters, recorders=rec["topology"])
    params = Params(neurons=nrn["params"], stdp=put(syn["table"], fdt), generators=plug_par,
                    stp=put(syn["stp_table"], fdt) if syn["stp_rule"] is not None else None)
    stp_state = None if syn["stp_state"] is None else {
        k: put(v, np.int32 if k in ("t_last", "sid") else fdt) for k, v in syn["stp_state"].items()}
    state = engine.init(model, params, seed, nrn["state"], to_device(syn["weight"]),
                        put(syn["kplus"], fdt), gen["plug_state"], stp_state,
                        None if syn["kplus3"] is None else put(syn["kplus3"], fdt), dopa)
    state = _with_calcium(state, pops, calcium, fdt)
    layout = Layout(desc.n_nodes, neuron_of_node, node_of_neuron,
                    tuple((p.model, p.base, p.first, p.n) for p in desc.populations), syn["models"], syn["syn_params"],
                    _device_connections(desc), digest.result(), tuple(desc.layers),
                    gen["plug_nodes"], rec["info"])
    return Compiled(model, params, state, layout)


def _initial_digest(neurons: dict, weight) -> str:
    """SHA-256 of the initial neuron state (per model, ``state.neurons.models``) and weights: a checkpoint must
    be of a build with the same."""
    h = hashlib.sha256()
    for a in jax.tree_util.tree_leaves(neurons) + [weight]:
        h.update(np.ascontiguousarray(np.asarray(a)).reshape(-1).view(np.uint8))  # its bytes, not a copy of them
    return h.hexdigest()


def _with_calcium(state, pops, keep: bool, fdt):
    """``state`` keeping NEST's calcium trace (``keep``); without it, values other than NEST's defaults would be
    ignored: refused."""
    from ..core.calcium import initial
    from ..models.base import CALCIUM

    if not keep:
        for name, p in CALCIUM.items():
            v = _cat(pops, name)
            if (v != p.default).any():
                raise bad_value(f"{name} (of node {_node_of(pops, int(np.argmax(v != p.default)))})", float(
                    v[np.argmax(v != p.default)]), f"NEST's default {p.default} in a network built without "
                    "calcium=True (build(calcium=True) keeps NEST's calcium trace Ca)")
        return state
    post = state.plasticity.post.replace(**initial(_cat(pops, "Ca"), _cat(pops, "tau_Ca"), _cat(pops, "beta_Ca"),
                                                   fdt))
    return state.replace(plasticity=state.plasticity.replace(post=post))


def _node_of(pops, k: int) -> int:
    """The node id of neuron index ``k`` of ``pops``."""
    for p in pops:
        if k < p.n:
            return p.first + k
        k -= p.n
    raise IndexError(k)


def _cat(pops, name):
    return np.concatenate([p.params[name] for p in pops]) if pops else np.zeros(0)


def _neuron_index(desc, pops):
    """node id -> neuron index (-1: not a neuron) and back."""
    neuron_of_node = np.full(desc.n_nodes + 1, -1, np.int64)
    ranges = [np.arange(p.first, p.first + p.n) for p in pops]
    node_of_neuron = np.concatenate(ranges) if ranges else np.zeros(0, np.int64)
    neuron_of_node[node_of_neuron] = np.arange(len(node_of_neuron))
    return neuron_of_node, node_of_neuron


def _neurons(desc, pops, fdt) -> dict:
    """Each model present, configured for its neurons' parameters (:meth:`NeuronModel.configure`), its
    runs of neurons (consecutive populations of one model), params, host constants and initial state
    (over its neurons, in node order); the routes, the refractory steps of every neuron and the union of
    the recordables."""
    h, tps = desc.resolution, desc.tics_per_step
    finite = np.finfo(fdt)  # NEST's V_min default, -DBL_MAX, is -inf in float32: clip it instead

    def device(a, clip=True):
        a = np.asarray(a)
        if a.dtype == bool:
            return put(a)
        if np.issubdtype(a.dtype, np.integer):
            return put(a, np.int32)
        return put(np.clip(a, finite.min, finite.max) if clip else a, fdt)

    names = list(dict.fromkeys(p.base for p in pops))  # models in the order of their first neuron
    runs = {b: [] for b in names}
    at = 0
    for p in pops:
        r = runs[p.base]
        if r and r[-1][0] + r[-1][1] == at:  # continues the model's last run
            r[-1] = (r[-1][0], r[-1][1] + p.n)
        else:
            r.append((at, p.n))
        at += p.n
    models, params, consts, state = [], {}, {}, {}
    rsteps, route = np.zeros(at, np.int32), np.zeros(at, np.int32)
    for b in names:
        mine = [p for p in pops if p.base == b]
        host = {k: np.concatenate([p.params[k] for p in mine]) for k in NEURONS[b].parameters
                if k not in NEURONS[b].list_params}
        host.update(_list_params(NEURONS[b], mine), node_id=np.concatenate([np.arange(p.first, p.first + p.n)
                                                                             for p in mine]))
        m = NEURONS[b].configure(host)
        k = m.host_constants(host, h, tps)
        models.append(m)
        params[b] = {name: device(host[name]) for name in m.float_params}
        consts[b] = {name: device(v) for name, v in k.items()}
        state[b] = {name: device(v, clip=False) for name, v in m.init(host).items()}
        where = np.concatenate([np.arange(a, a + n) for a, n in runs[b]])
        rsteps[where] = k.get("refractory_steps", 0)
        route[where] = m.inputs
    return dict(models=tuple(models), runs=tuple(tuple(runs[b]) for b in names), refractory_steps=rsteps,
                state=state,
                params=NeuronParams(tau_minus=device(_cat(pops, "tau_minus")), models=params,
                                    tau_minus_triplet=device(_cat(pops, "tau_minus_triplet"))),
                topology=NeuronTopology(route=put(route, np.int32), constants=consts))


def _list_params(model, pops) -> dict:
    """The list parameters of ``model``'s populations (:attr:`NeuronModel.list_params`) as [neurons,
    longest] arrays, each padded as the model says (port parameters with their last value: valid, and
    never reached, as connect refuses receptor_type > n_synapses), and for each length variable (e.g.
    ``n_synapses``) each neuron's own length (int32)."""
    out = {}
    for name, (length, fill) in model.list_params.items():
        own = np.concatenate([np.full(p.n, p.params[name].shape[1], np.int32) for p in pops])
        width = int(own.max(initial=0))
        how = {"mode": "edge"} if fill is None else {"constant_values": fill}
        out[name] = np.concatenate([np.pad(p.params[name], ((0, 0), (0, width - p.params[name].shape[1])), **how)
                                    for p in pops])
        out.setdefault(length, own)
    return out


def _synapse_connections(desc):
    kind = lambda c: desc.population_of(c.source[0]).base
    return [c for c in desc.connections if c.model not in RECORDERS and len(c.source)
            and kind(c) in NEURONS and desc.population_of(c.target[0]).base not in TRANSMITTERS]


def _transmitter_connections(desc, neuron_of_node) -> dict:
    """The volume transmitters (node ids ascending; their deliver_interval) and the connections into them
    (source neuron index, delay in steps, transmitter index)."""
    nodes = _nodes_of(desc, TRANSMITTERS, lambda m: True)
    index = {n: i for i, n in enumerate(nodes)}
    conns = [c for c in desc.connections if len(c.source) and desc.population_of(c.target[0]).base in TRANSMITTERS]
    cat = lambda f: np.concatenate([f(c) for c in conns]).astype(np.int64) if conns else np.zeros(0, np.int64)
    return dict(nodes=nodes, interval=np.array([desc.population_of(n).params["deliver_interval"] for n in nodes],
                                               np.int64).reshape(-1),
                src=cat(lambda c: neuron_of_node[c.source]),
                delay=cat(lambda c: np.broadcast_to(c.delay, len(c.source))),
                vt=cat(lambda c: np.array([index[int(t)] for t in c.target])))


def _transmitters(desc, syn, vt, spec, fdt) -> tuple:
    """A neuromodulated rule's topology (``Model.transmitters``) and initial state (``Plasticity.dopa``,
    :mod:`jaxsnn.core.dopamine`); ({}, None) for any other network."""
    rule = syn["rule"]
    if rule is None or not rule.dopamine:
        return {}, None
    plastic = syn["plastic"]
    index = {n: i for i, n in enumerate(vt["nodes"])}
    of_model = np.array([index[int(np.asarray(getattr(v, "ids", v)).reshape(-1)[0])] if v is not None else -1
                         for v in (desc.models[m].defaults.get("volume_transmitter") for m in syn["models"])], np.int64)
    of_trace = np.zeros(int(plastic.sum()), np.int64)
    of_trace[syn["trace"][plastic]] = of_model[syn["mdl"][plastic]]
    V, K = len(vt["nodes"]), int(vt["interval"].max(initial=1)) * spec.time.slice_steps + 1
    i32 = lambda a: put(np.asarray(a), np.int32)  # noqa: E731
    top = dict(of_trace=i32(of_trace), src=i32(vt["src"]), delay=i32(vt["delay"]), vt=i32(vt["vt"]),
               interval=i32(vt["interval"]))
    P = len(of_trace)
    state = dict(c=put(syn["dopa_init"]["c"], fdt), n=put(syn["dopa_init"]["n"], fdt), t_update=i32(np.zeros(P)),
                 idx=i32(np.zeros(P)), vt_stamp=i32(np.zeros((V, K))), vt_mult=put(np.zeros((V, K)), fdt),
                 vt_count=i32(np.ones(V)), vt_ring=put(np.zeros((V, spec.sizes.ring)), fdt))
    return top, state


def _stdp_rows(desc, conns, M):
    """Per synapse its model index and rule row (-1: static, >= 0: a row of the plasticity table, <= -2:
    row -2 - r of the short-term table), the plasticity table [rows, ROW], the model names, each
    homogeneous model's parameters, the plasticity rule, and the short-term table and rule."""
    models = tuple(dict.fromkeys(c.model for c in conns))
    rule, stp_rule = stdp_rule(desc, models, PlasticityRule), stdp_rule(desc, models, ShortTermRule)  # one each
    kind = lambda S: "stp" if isinstance(S.rule, ShortTermRule) else "stdp"
    hom, syn_params = {"stdp": {}, "stp": {}}, {}  # kind -> {model: row}; model -> its common parameters
    tables = {"stdp": [], "stp": []}
    for c in conns:  # first the homogeneous models' rows, one per (copied) model
        m = desc.models[c.model]
        S = SYNAPSES[m.base]
        if S.rule is not None and S.homogeneous() and c.model not in hom[kind(S)]:
            hom[kind(S)][c.model] = len(tables[kind(S)])
            syn_params[c.model] = {k: m.defaults[k] for k in S.rule.columns}
            tables[kind(S)].append(_row(rule, S, m.defaults))
    mdl, row = np.empty(M, np.int32), np.empty(M, np.int32)
    per_conn, at = {"stdp": [], "stp": []}, 0
    for c in conns:  # then one row per connection of the other plastic models
        m, part = desc.models[c.model], slice(at, at + len(c.source))
        S = SYNAPSES[m.base]
        at = part.stop
        mdl[part] = models.index(c.model)
        if S.rule is None:
            row[part] = -1
            continue
        k = kind(S)
        if S.homogeneous():
            r = np.full(len(c.source), hom[k][c.model], np.int64)
        else:
            first = len(tables[k]) + sum(len(x) for x in per_conn[k])
            r = first + np.arange(len(c.source))
            per_conn[k].append(np.stack([np.broadcast_to(x, len(c.source)) for x in _row(rule, S, c.extra)], axis=1))
        row[part] = r if k == "stdp" else -2 - r
    for k in tables:
        if per_conn[k]:
            tables[k] = tables[k] + np.concatenate(per_conn[k]).tolist()
    stp_table = np.asarray(tables["stp"], float).reshape(-1, len(stp_rule.columns)) if stp_rule else np.zeros((0, 0))
    width = rule.width if rule is not None else ROW
    return (mdl, row, np.asarray(tables["stdp"], float).reshape(-1, width), models, syn_params, rule, stp_table,
            stp_rule)


def _row(rule, S, values) -> list:
    """A row of the network's table of synapse model ``S`` (``S.row``); with several plasticity rules, padded
    to the network's width and ended by the index of S's rule (:class:`~jaxsnn.models.base.PlasticityRules`)."""
    row = S.row(values)
    if isinstance(S.rule, PlasticityRule) and len(rule.rules) > 1:
        row = row + [1.0] * (rule.width - 1 - len(row)) + [float(rule.rules.index(S.rule))]
    return row


def stdp_rule(desc, models, family=PlasticityRule):
    """The rule of ``family`` (PlasticityRule or ShortTermRule) that a network's synapses follow (None:
    none does); plasticity rules that combine (:func:`~jaxsnn.models.base.solitary`) become one
    :class:`~jaxsnn.models.base.PlasticityRules`, in the order their models were first connected; two rules of
    which one runs only alone, or two short-term rules, are refused, naming their models."""
    by_rule = {}
    for name in models:
        S = SYNAPSES[desc.models[name].base]
        if isinstance(S.rule, family):
            by_rule.setdefault(S.rule, set()).add(S.name)
    if len(by_rule) > 1:
        alone = solitary(by_rule) if family is PlasticityRule else next(iter(by_rule))
        if alone is None:
            return PlasticityRules(rules=tuple(by_rule))
        bases = sorted(set().union(*by_rule.values()))
        first = sorted(by_rule[alone])
        raise JaxsnnError(f"connect: one network uses {bases}; jaxsnn runs {' and '.join(first)} only in networks "
                          "whose other plastic synapses follow the same rule (its pairing or arithmetic does not "
                          "combine with another rule yet).")
    return next(iter(by_rule), None)


def _synapse_tables(desc, neuron_of_node, N, fdt=np.float64) -> dict:
    """Neuron-to-neuron synapses sorted by source (CSR), the CSR of plastic ones by (target, delay), the
    K₊ traces and the initial weights (in ``fdt``, the simulation's float type).

    One pass, at most a few int32 arrays of M entries at a time besides the result: the order by source
    (:func:`by_source`), then each column gathered in that order straight into the array the device gets
    (on a CPU the device array is that memory, not a copy of it: :func:`to_device`); a column equal for
    all synapses (the model, the plasticity row of a static network) is filled, not gathered."""
    conns = _synapse_connections(desc)
    M = sum(len(c.source) for c in conns)
    if M >= 2**31:
        raise bad_value("connect", f"{M} synapses between neurons", "fewer than 2**31 (synapses are indexed in int32)")
    col = lambda f, dtype: _concat((f(c) for c in conns), M, dtype)  # one connection's temporaries at a time
    neuron32 = neuron_of_node.astype(np.int32)
    ids = lambda f: _neuron_ids(conns, f, neuron32, M)  # noqa: E731
    order, counts = by_source(ids(lambda c: c.source), N)
    out_ptr = np.concatenate([[0], np.cumsum(counts)])
    sources = lambda: np.repeat(np.arange(N, dtype=np.int32), counts)  # of every synapse, when needed
    mdl_u, row_u, table, models, syn_params, rule, stp_table, stp_rule = _stdp_rows(desc, conns, M)
    # the model index in one byte where it fits (networks use a few synapse models)
    mdl = _in_order(mdl_u.astype(np.uint8) if len(models) <= 255 else mdl_u, order)
    row = _in_order(row_u, order, view=True)  # one -1 for all in a static network
    del mdl_u, row_u
    plastic = row >= 0
    src = sources() if plastic.any() else None  # only plastic synapses' bookkeeping reads every source
    ruled = plastic.any() or stp_rule is not None  # some synapse has a rule row (plasticity or short-term)
    out_syn = aligned((M, 4 if ruled else 2), np.int32)  # no rule row or trace without a rule
    delays = [c.delay for c in conns]
    if _looked_up(delays):
        take_into(ids(lambda c: c.target), order, out_syn[:, OUT_TARGET])
        _per_synapse(delays, np.int32, order, M, out_syn[:, OUT_DELAY])
    else:  # (target, delay) of each synapse gathered as one 8-byte item: one random access instead of two
        pairs = np.empty((M, 2), np.int32)
        _neuron_ids(conns, lambda c: c.target, neuron32, M, pairs[:, OUT_TARGET])
        _concat(delays, M, np.int32, pairs[:, OUT_DELAY])
        take_into(pairs.view(np.int64).reshape(M), order, out_syn.view(np.int64)[:, 0])  # columns 0, 1
        del pairs
    if ruled:
        out_syn[:, OUT_ROW] = row
    w = _per_synapse([c.weight for c in conns], fdt, order, M)  # in the simulation's precision: rounding commutes
    # with the gather; aligned, so that the initial weights become the device's (no copy)
    has_kplus = any("Kplus" in c.extra for c in conns)
    kplus = col(lambda c: c.extra.get("Kplus", np.zeros(len(c.source))), np.float64)[order] if has_kplus else \
        np.zeros(M)[:0]
    stp_state = None
    if stp_rule is not None:  # the short-term state per synapse: initial values from the connections
        stp_state = {k: col(_extra(k), np.float64)[order] for k in stp_rule.state}
        t0 = stp_rule.t_last0
        stp_state["t_last"] = np.full(M, stp.NEVER if t0 < 0 else round(t0 / desc.resolution), np.int32)
        if stp_rule.stochastic:  # the key of its draws: a global id that travels with the synapse
            stp_state["sid"] = np.arange(M, dtype=np.int32)
        stp_rule = stp_rule.configure(stp_table, stp_state)
    kplus3 = col(_extra("Kplus_triplet"), np.float64)[order] if rule is not None and rule.triplet else None
    dopa_init = {k: col(_extra(k), np.float64)[order][row >= 0] for k in rule.traces[1:]} \
        if rule is not None and rule.dopamine else None  # c and n, in trace order (one trace per plastic synapse)
    port = _ports(desc, conns, M, order)
    has_receptor1 = any(c.extra.get("receptor_type", 0) == 1 for c in conns)
    receptor1 = col(lambda c: np.full(len(c.source), c.extra.get("receptor_type", 0) == 1), bool)[order] \
        if has_receptor1 else None
    del order
    tgt, dly = out_syn[:, OUT_TARGET], out_syn[:, OUT_DELAY]
    plastic_delays = (int(dly[plastic].min()), int(dly[plastic].max())) if plastic.any() else ()
    in_perm = np.nonzero(plastic)[0].astype(np.int32)
    in_perm = in_perm[np.lexsort((dly[in_perm], tgt[in_perm]))]
    stride = plastic_delays[1] + 2 if plastic_delays else 1
    # CSR over the key target * stride + delay: the plastic synapses of a target with delays in [a, b)
    # are in_syn[in_ptr[key(a)] : in_ptr[key(b)]]
    in_ptr = np.searchsorted(tgt[in_perm].astype(np.int64) * stride + dly[in_perm], np.arange(N * stride + 1))
    trace, kplus, per_source = _traces(src, row, table, kplus if has_kplus else None, M,
                                       per_synapse=rule is not None and rule.per_synapse_traces,
                                       rule_index=rule.rule_index(table) if rule is not None and len(rule.rules) > 1
                                       else None)
    if kplus3 is not None:  # the second presynaptic trace, one per synapse (as K+: trace = its position)
        kplus3 = kplus3[plastic]
    if ruled:
        out_syn[:, OUT_TRACE] = trace
    trace_per_source = per_source and len(table) == 1
    source_trace = np.full(N, -1, np.int64)
    if trace_per_source:
        source_trace[src[plastic]] = trace[plastic]
    i32 = lambda a: put(a, np.int32)  # noqa: E731
    topology = Synapses(
        model=to_device(mdl), out_syn=to_device(out_syn),
        out_ptr=i32(out_ptr), in_ptr=i32(in_ptr),
        in_syn=i32(np.stack([in_perm, in_perm if src is None else src[in_perm], dly[in_perm], row[in_perm],
                             trace[in_perm]], axis=1)),
        source_trace=i32(source_trace), receptor1=put(receptor1) if receptor1 is not None else None,
        port=None if port is None else i32(port))
    for a in (mdl, out_syn):  # the device's memory from now on: never written again
        a.flags.writeable = False
    return dict(topology=topology, sources=sources, counts=counts, tgt=tgt, dly=dly, mdl=mdl, weight=w,
                kplus=kplus, kplus3=kplus3, table=table, trace=trace, dopa_init=dopa_init,
                rule=rule, stp_table=stp_table, stp_rule=stp_rule, stp_state=stp_state,
                models=models, syn_params=syn_params, plastic=plastic, plastic_delays=plastic_delays,
                out_degree=int(counts.max()) if M else 0,
                in_degree=int(np.bincount(tgt[in_perm]).max()) if len(in_perm) else 0,
                trace_per_source=trace_per_source)


FEW_CONNECTIONS = 16  # up to this many connect calls, a column of one value per call is looked up by call


def _per_synapse(cols: list, dtype, order, M, out=None) -> np.ndarray:
    """The column blocks ``cols`` (one array over its synapses per connection block) one after the other, in
    ``order``, in ``out`` (default: a new aligned array of ``dtype``). Where each block holds one value (a
    broadcast view: a shared weight or delay) and the blocks are few (:func:`_looked_up`), each synapse's block is
    found from its position (one comparison with each block's start) and its value looked up, instead of gathering
    an array of M values at random positions (and filled where all blocks hold the same value)."""
    if not _looked_up(cols):
        return _in_order(_concat(cols, M, dtype), order) if out is None else take_into(_concat(cols, M, dtype),
                                                                                        order, out)
    out = aligned(M, dtype) if out is None else out
    sized = [(len(a), np.asarray(a[:1], dtype)) for a in cols if len(a)]
    values = np.concatenate([v for _, v in sized]) if sized else np.zeros(0, dtype)
    if len(values) and (values == values[0]).all():
        out[:] = values[0]
        return out
    starts = np.cumsum([k for k, _ in sized])[:-1]
    block = np.zeros(M, np.uint8)
    for at in range(0, M, TAKE_BLOCK):  # the block of each synapse: how many block starts precede its position
        part = order[at:at + TAKE_BLOCK]
        for b in starts:
            block[at:at + TAKE_BLOCK] += part >= b
    return take_into(values, block, out)


def _looked_up(cols: list) -> bool:
    """Whether :func:`_per_synapse` looks the column blocks ``cols`` up by connect call (few calls, one value
    each) instead of gathering them."""
    return len(cols) <= FEW_CONNECTIONS and all(len(a) <= 1 or (a.ndim == 1 and a.strides[0] == 0) for a in cols)


def _extra(name):
    """A connection's per-connection values of ``name`` (0 where the connection has none)."""
    return lambda c: c.extra.get(name, np.zeros(len(c.source)))


def _by_port_nodes(desc) -> np.ndarray | None:
    """bool per node id (1-based): a neuron whose model takes spikes by receptor port; None if there is none."""
    pops = [p for p in desc.populations if p.base in NEURONS and NEURONS[p.base].inputs == BY_PORT]
    if not pops:
        return None
    out = np.zeros(desc.n_nodes + 1, bool)
    for p in pops:
        out[p.first:p.first + p.n] = True
    return out


def connection_ports(by_port, c) -> np.ndarray:
    """The ring channel of each of connection block ``c``'s events: receptor_type − 1 onto a BY_PORT
    target (NEST's 1-based ports), 0 onto any other."""
    r = np.asarray(c.extra.get("receptor_type", 0))
    return np.where(by_port[np.asarray(c.target)], np.broadcast_to(r, np.shape(c.target)) - 1, 0).astype(np.int32)


def _ports(desc, conns, M, order):
    by_port = _by_port_nodes(desc)
    if by_port is None:
        return None
    return _concat([connection_ports(by_port, c) for c in conns], M, np.int32)[order]


def _neuron_ids(conns, f, neuron_of_node, M, out=None) -> np.ndarray:
    """The neuron index (int32) of the node ids ``f(c)`` of every connection block, one block after the other,
    looked up block by block straight into the result (``out``, default a new array; indexing with the ids
    would make an array of ``neuron_of_node``'s type and then a cast copy of it, per block)."""
    out = np.empty(M, np.int32) if out is None else out
    at = 0
    for c in conns:
        nodes = f(c)
        take_into(neuron_of_node, nodes, out[at:at + len(nodes)])
        at += len(nodes)
    return out


def _concat(arrays, M, dtype, out=None) -> np.ndarray:
    """``arrays`` one after the other in one new array of ``dtype`` (or ``out``; no intermediate copies)."""
    out = np.empty(M, dtype) if out is None else out
    at = 0
    for a in arrays:
        out[at:at + len(a)] = a
        at += len(a)
    return out


def by_source(src: np.ndarray, N: int) -> tuple[np.ndarray, np.ndarray]:
    """The stable order of ``src`` (int indices < N < 2**31, fewer than 2**32 of them) and the count of each
    index. Pieces of ``src`` (:data:`SORT_PIECE` positions) are counted and sorted on every core (NumPy
    releases the GIL in both: :func:`~jaxsnn.core.host.shared`), then merged: each index's positions in the
    first piece, then in the second, and so on. A piece: up to 2**16 indices, NumPy's stable sort of 16-bit
    integers (a radix sort: two passes); beyond, one in-place sort of the 64-bit keys (index << 32 |
    position), which are distinct, so that the fastest (unstable) sort gives the stable order (about twice as
    fast as a stable argsort of int32, half as fast as the radix sort)."""
    # one piece where the pieces would not be shared between threads: no merge
    piece = SORT_PIECE if host.shares(len(src) // SORT_PIECE) else max(1, len(src))
    starts = list(range(0, len(src), piece)) or [0]
    done = host.shared(lambda k: _count_and_sort(src[starts[k]:starts[k] + piece], N), len(starts))
    counts = sum(c for c, _ in done)
    if len(done) == 1:
        return done[0][1].astype(np.int32, copy=False), counts
    # element i of piece k's order, of index s, goes to i + (where s begins) + (s's positions in earlier pieces)
    # - (where s begins in piece k): one shift per index and piece
    shifts, before = [], np.cumsum(counts) - counts
    for c, _ in done:
        shifts.append(before - (np.cumsum(c) - c))
        before = before + c
    order = np.empty(len(src), np.int32)

    def merge(k):
        (c, o), done[k] = done[k], None  # each piece's order freed once merged
        o += starts[k]
        pos = np.repeat(shifts[k], c)
        pos += np.arange(len(o))
        order[pos] = o

    host.shared(merge, len(starts))
    host.release()  # the pieces' temporaries, freed into the threads' own malloc arenas (50 MB for Brunel)
    return order, counts


SORT_PIECE = 1 << 20  # positions per piece of by_source (its temporaries: 16 bytes per position of a piece)


def _count_and_sort(src, N):
    """The count of each index of ``src`` and its stable order (:func:`by_source`)."""
    counts = np.zeros(N, np.int64)
    for at in range(0, len(src), TAKE_BLOCK):  # (bincount makes a 64-bit copy of its whole input first)
        counts += np.bincount(src[at:at + TAKE_BLOCK], minlength=N)
    if N <= 2**16:
        return counts, np.argsort(src.astype(np.uint16), kind="stable")
    key = src.astype(np.int64)
    key <<= 32
    key |= np.arange(len(src), dtype=np.int64)
    key.sort()
    key &= 0xFFFFFFFF
    return counts, key.astype(np.int32)


def _in_order(a: np.ndarray, order: np.ndarray, view: bool = False) -> np.ndarray:
    """``a[order]`` in a new 64-byte aligned array (:func:`to_device`); filled, not gathered, where ``a`` is one
    value throughout (``view=True``: then a read-only view of that one value)."""
    if view and len(a) and a.min() == a.max():
        return np.broadcast_to(a[:1], len(a))
    out = aligned(len(a), a.dtype)
    if len(a) and a.min() == a.max():
        out[:] = a[0]
    else:
        take_into(a, order, out)
    return out


TAKE_BLOCK = 1 << 20


def take_into(a: np.ndarray, index: np.ndarray, out: np.ndarray, axis: int = 0) -> np.ndarray:
    """``out[...] = a.take(index, axis)`` block by block: NumPy's ``take`` into ``out`` first converts the
    whole index array to 64-bit (and in its default mode also gathers into a temporary copy of ``out``),
    three times the memory of the result for int32 indices."""
    def block(k):
        part = slice(k * TAKE_BLOCK, (k + 1) * TAKE_BLOCK)
        np.take(a, index[part], axis=axis, out=out[(slice(None),) * axis + (part,)], mode="clip")

    host.shared(block, -(-len(index) // TAKE_BLOCK))  # blocks on every core (np.take releases the GIL)
    return out


def aligned(shape, dtype) -> np.ndarray:
    """An uninitialised array whose data starts at a multiple of 64 bytes: JAX's CPU client then uses it as the
    device buffer instead of copying it (:func:`to_device`)."""
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    raw = np.empty(size + 64, np.uint8)
    at = -raw.ctypes.data % 64
    return raw[at:at + size].view(dtype).reshape(shape)


def to_device(a: np.ndarray) -> jax.Array:
    """``a`` on the default device; on a CPU without a copy when it is 64-byte aligned (:func:`aligned`), so the
    caller must never write to ``a`` again."""
    return jax.device_put(a, may_alias=True)


def _traces(src, row, table, kplus, M, per_synapse=False, rule_index=None):
    """K+ trace of every synapse: one per distinct (source, tau_plus, initial K+, rule: ``rule_index`` per
    table row, None: one rule) of the plastic synapses
    (0 for static ones; ``kplus`` None: every initial K+ is 0), or one per plastic synapse (``per_synapse``:
    a rule whose trace depends on the target's spikes); returns (trace index per synapse, initial K+ per
    trace, whether each source has one trace)."""
    trace, plastic = np.zeros(M, np.int32), row >= 0
    if not plastic.any():
        return trace, np.zeros(0), False
    tau = table[row[plastic], stdp.TAU_PLUS]
    k0 = np.zeros(len(tau)) if kplus is None else kplus[plastic]
    if per_synapse:
        trace[plastic] = np.arange(int(plastic.sum()), dtype=np.int32)
        return trace, k0, False
    per_source = bool((tau == tau[0]).all() and (k0 == k0[0]).all()) and rule_index is None
    if per_source:  # the usual case, fast
        uniq, inv = np.unique(src[plastic], return_inverse=True)
        first = np.full(len(uniq), k0[0])
    else:
        key = [src[plastic], tau, k0] + ([] if rule_index is None else [rule_index[row[plastic]]])
        uniq, inv = np.unique(np.stack(key, axis=1), axis=0, return_inverse=True)
        first = uniq[:, 2]
    trace[plastic] = inv.reshape(-1)
    return trace, first, per_source


def _nodes_of(desc, models, which):
    """Node ids (ascending) of every node whose base model is one of ``models`` (name -> class) for which
    ``which(class)`` holds: the lowering asks the models what they are, never for a name."""
    return tuple(sorted(i for name, m in models.items() if which(m) for i in desc.nodes_of(name)))


def _sliced(gen, L, fdt) -> tuple:
    """The generators' topology (int32) and params with the tables that follow the slice length ``L``
    (:meth:`~jaxsnn.models.base.Generator.sliced`: spike_generator's events by slice)."""
    top, par = dict(gen["plug_topology"]), dict(gen["plug_params"])
    for m in gen["plug_models"]:
        if type(m).sliced.__func__ is Generator.sliced.__func__:  # nothing follows the slice length
            continue
        t, p = m.sliced({k: np.asarray(v) for k, v in top[m.name].items()},
                        {k: np.asarray(v) for k, v in par[m.name].items()}, L)
        top[m.name] = {k: put(v, np.int32) for k, v in t.items()}
        par[m.name] = {k: put(v, fdt) for k, v in p.items()}
    return top, par


def _interface_generators(desc, neuron_of_node, fdt) -> dict:
    """Every generator model of the device interface present (its :meth:`~jaxsnn.models.base.Generator.lower`):
    the configured models (static), their topology (int32), params and initial state (floats) on the
    device, and their connections' delays and receptors (for the slice length and the current rows)."""
    models, top, par, state, delays, receptors, n_current, nodes = [], {}, {}, {}, [], [], 0, {}
    for name, G in GENERATORS.items():
        if not G.interface or not desc.nodes_of(name):
            continue
        m, t, p, s, nodes[name] = G.lower(desc, neuron_of_node)
        if not len(nodes[name][0]):  # neither connected nor recorded
            continue
        models.append(m)
        top[m.name] = {k: put(v, np.int32) for k, v in t.items()}
        par[m.name] = {k: put(np.asarray(v, float), fdt) for k, v in p.items()}
        state[m.name] = {k: put(v) if np.asarray(v).dtype.kind in "iub" else put(v, fdt)
                         for k, v in s.items()}
        delays.append(np.asarray(t["delay"])[np.asarray(t["target"]) < RECORDING])  # recorders take no delay
        if m.emits == "current":
            n_current += len(t["target"])
            receptors.append(np.asarray(t["receptor"]))
    return dict(plug_models=tuple(models), plug_topology=top, plug_params=par, plug_state=state, plug_nodes=nodes,
                plug_delay=np.concatenate(delays) if delays else np.zeros(0, np.int64), plug_currents=n_current,
                plug_rows=int(max([r.max(initial=0) for r in receptors], default=0)) + 1)


def _recorders(desc, net: dict, capacities: dict) -> dict:
    """Each recorder model with nodes, configured (:meth:`~jaxsnn.models.base.Recorder.lower`): the models,
    their topology (placed) and host facts."""
    models, top, info = [], {}, {}
    for R in RECORDERS.values():
        out = R.lower(desc, net, capacities.get(R.capacity_name))
        if out is None:
            continue
        m, t, info[R.name] = out
        models.append(m)
        top[R.name] = jax.tree_util.tree_map(put, t)
    return dict(models=tuple(models), topology=top, info=info)


def _device_connections(desc) -> dict:
    """Generator -> neuron, neuron -> volume_transmitter and recorder connections (source, target, weight,
    delay in ms, model): what
    NEST's GetConnections reports for them (recorders: a static_synapse of weight 1 and delay 1 ms)."""
    cols = {k: [] for k in ("source", "target", "weight", "delay", "synapse_model")}
    for c in desc.connections:
        recorder = c.model in RECORDERS
        if not len(c.source) or not recorder and desc.population_of(c.source[0]).base not in SPIKE_GENERATORS \
                and desc.population_of(c.target[0]).base not in TRANSMITTERS:
            continue
        n = len(c.source)
        cols["source"].append(c.source)
        cols["target"].append(c.target)
        cols["weight"].append(np.ones(n) if recorder else np.asarray(c.weight, float))
        cols["delay"].append(np.ones(n) if recorder else c.delay * desc.resolution)
        cols["synapse_model"].append(np.full(n, DEFAULT_SYNAPSE if recorder else c.model, dtype=object))
    dtypes = {"source": np.int64, "target": np.int64, "weight": float, "delay": float, "synapse_model": object}
    return {k: np.concatenate(v).astype(dtypes[k]) if v else np.zeros(0, dtypes[k]) for k, v in cols.items()}


def _delays(syn, gen):
    return [a for a in (syn["dly"], gen["plug_delay"], syn.get("vt_delay", ())) if len(a)]


def _slice_length(desc, syn, gen, rsteps, N) -> int:
    """NEST's min_delay in steps: the shortest delay of any connection, recorders' (1 ms) included;
    capped by the shortest inter-spike interval of neurons with outgoing synapses and of targets of
    plastic ones, so that these spike at most once per slice (not with stdp_dopamine_synapse, whose volume
    transmitters work per min_delay: its spikes are delivered in layers,
    :func:`jaxsnn.core.engine._deliver_repeats`)."""
    delays = _delays(syn, gen)
    max_delay = int(max([1] + [a.max() for a in delays]))
    recorded = any(c.model in RECORDERS for c in desc.connections)
    recorder = [round(1.0 / desc.resolution)] if recorded else []
    if syn["rule"] is not None and syn["rule"].dopamine:  # NEST's min_delay itself: its transmitters deliver
        return int(max(1, min([a.min() for a in delays] + recorder + [max_delay])))  # per min_delay
    once_per_slice = np.zeros(N, bool)
    once_per_slice[syn["tgt"][syn["plastic"]]] = True
    once_per_slice[syn["counts"] > 0] = True
    min_isi = [int(rsteps[once_per_slice].min()) + 1] if once_per_slice.any() else []
    return int(max(1, min([a.min() for a in delays] + recorder + min_isi + [max_delay])))


def _spec(desc, syn, gen, rec, rsteps, L, nrn, *, x64, differentiable, slice_capacity, deliver_slices=0) -> Spec:
    h, N = desc.resolution, len(rsteps)
    max_delay = int(max([1] + [a.max() for a in _delays(syn, gen)]))
    plastic_delays = syn["plastic_delays"]
    plastic_target = np.zeros(N, bool)
    plastic_target[syn["tgt"][syn["plastic"]]] = True
    rc_min = int(rsteps[plastic_target].min()) if plastic_target.any() else 0
    slice_capacity = int(slice_capacity or max(256, N * L // 16))
    window_slices = -(-(plastic_delays[1] - plastic_delays[0] + L) // L) if plastic_delays else 1
    table = syn["table"]
    rules = syn["rule"].rules if syn["rule"] is not None else ()
    of_rule = syn["rule"].rule_index(table) if rules else np.zeros(0, np.int64)
    unit_mu = tuple(tuple(bool(len(table[of_rule == i])) and r.columns[k:k + 1] == (name,)  # stdp_synapse's
                          and bool(np.all(table[of_rule == i, k] == 1.0)) for i, r in enumerate(rules))  # columns
                    for k, name in ((stdp.MU_PLUS, "mu_plus"), (stdp.MU_MINUS, "mu_minus")))
    if len(rules) <= 1:  # one rule: (mu_plus == 1, mu_minus == 1)
        unit_mu = tuple(u[0] if u else False for u in unit_mu)
    return Spec(
        time=Timing(resolution=h, tics_per_step=desc.tics_per_step, slice_steps=L),
        sizes=Sizes(n_neurons=N, ring=max_delay + L,
                    history=max_delay + 2 * L,  # the STDP window reaches back prev - longest delay
                    min_isi=int(rsteps.min()) + 1 if N else 1, out_degree=syn["out_degree"]),
        capacities=Capacities(slice_capacity=slice_capacity, post_capacity=slice_capacity * window_slices),
        models=Models(neuron_models=nrn["models"], neuron_runs=nrn["runs"], generators=gen["plug_models"],
                      n_currents=gen["plug_currents"], current_rows=gen["plug_rows"] if gen["plug_currents"] else 1,
                      recorders=rec["models"]),
        plasticity=PlasticitySpec(
            plastic_delays=plastic_delays, in_degree=syn["in_degree"],
            # a dopamine synapse reads post spikes back to its last update, up to deliver_slices slices earlier
            post_history=((plastic_delays[1] + L + deliver_slices * L) // (rc_min + 1) + 2) if plastic_delays else 0,
            stdp_rule=syn["rule"], stdp_single_row=len(table) == 1, stdp_unit_mu=unit_mu,
            trace_per_source=syn["trace_per_source"], stp_rule=syn["stp_rule"],
            stp_single_row=len(syn["stp_table"]) == 1),
        autodiff=Autodiff(differentiable=differentiable), x64=x64)
