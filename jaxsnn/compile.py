"""Compile a :class:`~jaxsnn.Network` description into ``Spec``, ``Params`` and ``State``.

The layout is chosen for event-driven simulation: synapses sorted by source (one contiguous range per
presynaptic neuron), plastic synapses additionally indexed by target and delay, generators flattened
over their connections, recorders as masks and fixed-size buffers that the host empties after every
chunk of steps (so device memory never grows with the length of a run).
"""
from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from . import iaf_psc_delta, rng
from .models import STDP_PARAMS
from .network import GENERATORS, Network
from .structs import Devices, NeuronParams, Params, Spec, State, Synapses

SIM_STREAM = 0x5EED  # folds the seed into the key of the simulation's random streams
BIG = np.iinfo(np.int32).max // 2


@dataclasses.dataclass(frozen=True)
class Layout:
    """Host-side facts needed to translate between node ids and the compiled arrays."""

    n_nodes: int
    neuron_of_node: np.ndarray  # node id -> neuron index (-1 for devices), index 0 unused
    node_of_neuron: np.ndarray  # neuron index -> node id
    populations: tuple  # (model, base, first id, n) in creation order
    synapse_models: tuple  # model names, indexed by Synapses.model
    synapse_params: dict  # model name -> plasticity parameters (as NEST's GetDefaults)
    spike_recorders: tuple  # node ids, in Devices.sr_mask order
    multimeters: tuple  # node ids
    weight_recorders: tuple  # node ids
    synapse_recorder: np.ndarray  # per synapse: index into weight_recorders or -1


def _window(p, h):
    lo = round((p["origin"] + p["start"]) / h)
    hi = p["origin"] + p["stop"]
    return lo, (BIG if not math.isfinite(hi) else round(hi / h))


def compile_network(net: Network, seed: int, *, slice_capacity: int | None = None,
                    record_capacity: int | None = None, chunk_steps: int = 10000, weight_capacity: int = 16384,
                    devices: int | None = None):
    """Compile ``net``; the keyword options are initial capacities (they grow when exceeded; a growth
    recomputes a chunk and compiles again), the number of steps per device call (recorders are emptied to
    the host after each) and the number of devices to split the neurons over (default: all of
    ``jax.devices()``; see :mod:`jaxsnn.sharding`). ``record_capacity`` defaults to the spikes of every
    recorded neuron firing at 100 Hz through a chunk (at least 16,384)."""
    from .simulation import Simulation

    h = net.resolution
    x64 = bool(jax.config.jax_enable_x64)
    fdt = np.float64 if x64 else np.float32
    pops = net._pops
    neuron_pops = [p for p in pops if p.base == "iaf_psc_delta"]
    N = sum(p.n for p in neuron_pops)
    neuron_of_node = np.full(net._n_nodes + 1, -1, np.int64)
    node_of_neuron = np.zeros(N, np.int64)
    i = 0
    for p in neuron_pops:
        neuron_of_node[p.first:p.first + p.n] = np.arange(i, i + p.n)
        node_of_neuron[i:i + p.n] = np.arange(p.first, p.first + p.n)
        i += p.n

    def cat(name):
        return np.concatenate([p.params[name] for p in neuron_pops]) if neuron_pops else np.zeros(0)

    P33, P30 = iaf_psc_delta.propagators(cat("tau_m"), cat("C_m"), h)
    RC = iaf_psc_delta.refractory_steps(cat("t_ref"), net.tics_per_step)
    finite = np.finfo(fdt)  # NEST's V_min default, -DBL_MAX, is -inf in float32: clip it instead
    nrn = NeuronParams(
        **{k: jnp.asarray(np.clip(cat(k), finite.min, finite.max), fdt)
           for k in ("E_L", "C_m", "tau_m", "t_ref", "V_th", "V_reset", "I_e", "V_min", "tau_minus")},
        refractory_input=jnp.asarray(cat("refractory_input"), bool),
        P33=jnp.asarray(P33, fdt), P30=jnp.asarray(P30, fdt), refractory_steps=jnp.asarray(RC, jnp.int32))

    # ---------------------------------------------------------------------- neuron -> neuron synapses
    def kind(c):
        return net._pop_of(c.source[0]).base if len(c.source) else None

    syn_conns = [c for c in net._conns if c.model not in ("spike_recorder", "multimeter") and len(c.source)
                 and kind(c) == "iaf_psc_delta"]
    models = tuple(dict.fromkeys(c.model for c in syn_conns))
    table, syn_params = [], {}
    # per synapse, filled in place in int32 (memory: a few arrays of M entries at a time, not dozens)
    M = sum(len(c.source) for c in syn_conns)
    src, tgt, dly, mdl, row = (np.empty(M, np.int32) for _ in range(5))
    w, kplus = np.empty(M), np.zeros(M)
    per_conn = []  # per-connection rule parameters (stdp_synapse), in synapse order
    at = 0
    for c in syn_conns:
        m, part = net.models.get(c.model), slice(at, at + len(c.source))
        at = part.stop
        src[part], tgt[part] = neuron_of_node[c.source], neuron_of_node[c.target]
        dly[part], mdl[part], w[part] = c.delay, models.index(c.model), c.weight
        if "Kplus" in c.extra:
            kplus[part] = c.extra["Kplus"]
        if m.base == "stdp_synapse_hom":
            if c.model not in syn_params:
                syn_params[c.model] = {k: m.defaults[k] for k in STDP_PARAMS}
                table.append([m.defaults[k] for k in STDP_PARAMS])
            row[part] = list(syn_params).index(c.model)
        elif m.base == "stdp_synapse":
            row[part] = -2  # per-connection rows, appended below
            per_conn.append(np.stack([c.extra[k] for k in STDP_PARAMS], axis=1))
        else:
            row[part] = -1
    if per_conn:
        extra = np.concatenate(per_conn)
        row[row == -2] = len(table) + np.arange(len(extra))
        table = table + extra.tolist()
    order = np.argsort(src, kind="stable").astype(np.int32)  # outgoing synapses of a neuron are contiguous
    src, tgt, dly, mdl, w, kplus, row = src[order], tgt[order], dly[order], mdl[order], w[order], kplus[order], row[order]
    del order
    out_ptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=N))])
    plastic = row >= 0
    plastic_delays = (int(dly[plastic].min()), int(dly[plastic].max())) if plastic.any() else ()
    in_perm = np.nonzero(plastic)[0].astype(np.int32)
    in_perm = in_perm[np.lexsort((dly[in_perm], tgt[in_perm]))]
    stride = plastic_delays[1] + 2 if plastic_delays else 1
    # CSR over the key target * stride + delay: the plastic synapses of a target with delays in [a, b)
    # are in_syn[in_ptr[key(a)] : in_ptr[key(b)]]
    in_ptr = np.searchsorted(tgt[in_perm].astype(np.int64) * stride + dly[in_perm], np.arange(N * stride + 1))
    in_degree = int(np.bincount(tgt[in_perm]).max()) if len(in_perm) else 0
    table = np.asarray(table, float).reshape(-1, 6)
    trace, kplus, per_source = _traces(src, row, table, kplus)
    trace_per_source = per_source and len(table) == 1
    source_trace = np.full(N, -1, np.int64)
    if trace_per_source:
        source_trace[src[plastic]] = trace[plastic]
    i32 = lambda a: jnp.asarray(a, jnp.int32)
    synapses = Synapses(
        source=i32(src), model=i32(mdl), out_syn=i32(np.stack([tgt, dly, row, trace], axis=1)),
        out_ptr=i32(out_ptr), in_ptr=i32(in_ptr),
        in_syn=i32(np.stack([in_perm, src[in_perm], dly[in_perm], row[in_perm], trace[in_perm]], axis=1)),
        stdp_table=jnp.asarray(table, fdt), source_trace=i32(source_trace))

    # ------------------------------------------------------------------------------------ devices
    gen_conns = [c for c in net._conns if len(c.source) and kind(c) in GENERATORS]
    pg_nodes = tuple(p.first + k for p in pops if p.base == "poisson_generator" for k in range(p.n))
    pg_t, pg_w, pg_d, pg_g = [], [], [], []
    sg_ev = []  # (step, generator id, target, weight, delay)
    for c in gen_conns:
        if kind(c) == "poisson_generator":
            pg_t.append(neuron_of_node[c.target])
            pg_w.append(c.weight)
            pg_d.append(c.delay)
            pg_g.append(np.array([pg_nodes.index(s) for s in c.source]))
        else:
            for gid in np.unique(c.source):
                p = net._pop_of(gid).params
                lo, hi = _window(p, h)
                stamps = np.round(p["spike_times"] / h).astype(np.int64)
                sw = p["spike_weights"] if len(p["spike_weights"]) else np.ones(len(stamps))
                keep = (lo < stamps) & (stamps <= hi)
                for j in np.nonzero(c.source == gid)[0]:
                    for st_, ww in zip(stamps[keep], sw[keep]):
                        sg_ev.append((st_ - 1, gid, neuron_of_node[c.target[j]], c.weight[j] * ww, c.delay[j]))
    sg = np.array(sg_ev, dtype=float).reshape(-1, 5)
    cat_ = (lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt))
    pg_params = [net._pop_of(g).params for g in pg_nodes]
    pg_rate = np.array([p["rate"] for p in pg_params], float)
    pg_target = cat_(pg_t, np.int64)
    n_terms = rng.n_terms_for(float(pg_rate.max()) * h * 1e-3) if len(pg_target) else 0

    def nodes_of(base):
        return tuple(p.first + k for p in pops if p.base == base for k in range(p.n))

    sr_nodes, mm_nodes, wr_nodes = nodes_of("spike_recorder"), nodes_of("multimeter"), nodes_of("weight_recorder")
    sr_mask = np.zeros((len(sr_nodes), N), bool)
    mm_index = [[] for _ in mm_nodes]
    for c in net._conns:
        if c.model == "spike_recorder":
            for k, r in enumerate(sr_nodes):
                sr_mask[k, neuron_of_node[c.source[c.target == r]]] = True
        elif c.model == "multimeter":
            for k, r in enumerate(mm_nodes):
                mm_index[k].extend(neuron_of_node[c.target[c.source == r]].tolist())
    syn_rec = np.full(M, -1, np.int32)
    for k, r in enumerate(wr_nodes):
        p = net._pop_of(r).params
        for mi, name in enumerate(models):
            rec = net.models.get(name).defaults.get("weight_recorder")
            if rec is not None and r in rec.ids:
                sel = mdl == mi
                if p["senders"] is not None:
                    sel &= np.isin(node_of_neuron[src], np.asarray(getattr(p["senders"], "ids", p["senders"])))
                if p["targets"] is not None:
                    sel &= np.isin(node_of_neuron[tgt], np.asarray(getattr(p["targets"], "ids", p["targets"])))
                syn_rec[sel] = k
    delays = [a for a in (dly, *pg_d, sg[:, 4]) if len(a)]
    max_delay = int(max([1] + [a.max() for a in delays]))
    # NEST's min_delay: the shortest delay of any connection, recorders' (1 ms) included; capped by the
    # shortest inter-spike interval of neurons with outgoing synapses and of targets of plastic ones, so
    # that these spike at most once per slice
    recorder_delay = [round(1.0 / h)] if any(c.model in ("spike_recorder", "multimeter") for c in net._conns) else []
    plastic_target = np.zeros(N, bool)
    plastic_target[tgt[plastic]] = True
    once_per_slice = plastic_target.copy()
    once_per_slice[src] = True
    min_isi = [int(RC[once_per_slice].min()) + 1] if once_per_slice.any() else []
    slice_steps = int(max(1, min([a.min() for a in delays] + recorder_delay + min_isi + [max_delay])))
    # spike-generator events are pushed at the start of their slice, by generator, then step (NEST's order)
    sg = sg[np.lexsort((sg[:, 0], sg[:, 1], sg[:, 0] // slice_steps))] if len(sg) else sg
    mm_interval = [round(net._pop_of(r).params["interval"] / h) for r in mm_nodes]

    def windows(device_params):  # int32[n, 2] active windows (lo, hi] in steps
        return jnp.asarray(np.array([_window(p, h) for p in device_params], np.int64).reshape(-1, 2), jnp.int32)

    generators = Devices(
        pg_target=jnp.asarray(pg_target, jnp.int32), pg_weight=jnp.asarray(cat_(pg_w, np.float64), fdt),
        pg_delay=jnp.asarray(cat_(pg_d, np.int64), jnp.int32), pg_generator=jnp.asarray(cat_(pg_g, np.int64), jnp.int32),
        pg_stream=jnp.arange(len(pg_target), dtype=jnp.uint32), pg_rate=jnp.asarray(pg_rate, fdt),
        pg_window=windows(pg_params),
        sg_step=jnp.asarray(sg[:, 0], jnp.int32), sg_target=jnp.asarray(sg[:, 2], jnp.int32),
        sg_weight=jnp.asarray(sg[:, 3], fdt), sg_delay=jnp.asarray(sg[:, 4], jnp.int32),
        sr_mask=jnp.asarray(sr_mask),
        sr_window=windows(net._pop_of(r).params for r in sr_nodes),
        mm_index=tuple(jnp.asarray(ix, jnp.int32) for ix in mm_index),
        mm_interval=jnp.asarray(mm_interval, jnp.int32),
        mm_window=windows(net._pop_of(r).params for r in mm_nodes),
        wr_mask=jnp.asarray(syn_rec >= 0))

    recorded_max = int(sr_mask.sum(axis=1).max(initial=0))  # neurons of the busiest spike recorder
    rc_min = int(RC[plastic_target].min()) if plastic_target.any() else 0
    spec = Spec(
        resolution=h, tics_per_step=net.tics_per_step, n_neurons=N, ring=max_delay + slice_steps,
        slice_steps=slice_steps, min_isi=int(RC.min()) + 1 if N else 1,
        history=max_delay + 2 * slice_steps,  # the STDP window reaches back prev - longest delay
        post_history=((plastic_delays[1] + slice_steps) // (rc_min + 1) + 2) if plastic_delays else 0,
        slice_capacity=int(slice_capacity or max(256, N * slice_steps // 16)),
        out_degree=int(np.diff(out_ptr).max()) if len(src) else 0,
        in_degree=in_degree,
        post_capacity=int(slice_capacity or max(256, N * slice_steps // 16)) * (
            -(-(plastic_delays[1] - plastic_delays[0] + slice_steps) // slice_steps) if plastic_delays else 1),
        plastic_delays=plastic_delays, stdp_single_row=len(table) == 1,
        stdp_unit_mu=tuple(bool(len(table)) and bool(np.all(table[:, k] == 1.0)) for k in (3, 4)),
        trace_per_source=trace_per_source,
        has_refractory_input=bool(cat("refractory_input").any()),
        n_poisson_terms=n_terms, has_spike_generators=bool(len(sg)), n_spike_recorders=len(sr_nodes),
        record_capacity=int(record_capacity or max(16384, recorded_max * chunk_steps * h * 0.1)),  # 100 Hz
        multimeter_rows=tuple(chunk_steps // iv + 1 for iv in mm_interval),
        weight_capacity=int(weight_capacity) if len(wr_nodes) else 0, x64=x64)
    params = Params(nrn, synapses, generators)
    V_rel = jnp.asarray(cat("V_m") - cat("E_L"), fdt)
    state = init_state(spec, params, seed, V_rel, jnp.asarray(w, fdt), jnp.asarray(kplus, fdt))
    layout = Layout(net._n_nodes, neuron_of_node, node_of_neuron,
                    tuple((p.model, p.base, p.first, p.n) for p in pops), models, syn_params,
                    sr_nodes, mm_nodes, wr_nodes, syn_rec)
    return Simulation(spec, params, state, layout, chunk_steps=chunk_steps, devices=devices)


def _traces(src, row, table, kplus):
    """K+ trace of every synapse: one per distinct (source, tau_plus, initial K+) of the plastic synapses
    (0 for static ones); returns (trace index per synapse, initial K+ per trace, whether each source has
    one trace)."""
    trace, plastic = np.zeros(len(src), np.int32), row >= 0
    if not plastic.any():
        return trace, np.zeros(0), False
    tau, k0 = table[row[plastic], 0], kplus[plastic]
    per_source = bool((tau == tau[0]).all() and (k0 == k0[0]).all())
    if per_source:  # the usual case, fast
        uniq, inv = np.unique(src[plastic], return_inverse=True)
        first = np.full(len(uniq), k0[0])
    else:
        uniq, inv = np.unique(np.stack([src[plastic], tau, k0], axis=1), axis=0, return_inverse=True)
        first = uniq[:, 2]
    trace[plastic] = inv.reshape(-1)
    return trace, first, per_source


def simulation_key(seed) -> jax.Array:
    """Key words of the simulation streams for an integer seed or a JAX key."""
    is_key = jax.dtypes.issubdtype(getattr(seed, "dtype", None), jax.dtypes.prng_key)
    key = seed if is_key else jax.random.key(seed)  # an int, possibly traced (vmap over seeds)
    return rng.key_words(jax.random.fold_in(key, SIM_STREAM))


def init_state(spec: Spec, params: Params, seed, V_rel, weight, Kplus) -> State:
    """A state at time 0: neurons at ``V_rel``, nothing in transit, empty STDP archives and recorders."""
    N, R, H = spec.n_neurons, spec.ring, spec.post_history
    fdt = V_rel.dtype
    i32 = jnp.int32
    return State(
        step=jnp.zeros((), i32), rng=simulation_key(seed), V_rel=V_rel,
        refractory=jnp.zeros(N, i32), refractory_buffer=jnp.zeros(N, fdt), ring=jnp.zeros((R, N), fdt),

        spike_history=jnp.zeros((spec.history, N), bool), recorded_until=jnp.zeros((), i32),
        Kminus=jnp.zeros(N, fdt), last_post=jnp.zeros(N, i32),
        post_stamps=jnp.full((N, H), -BIG, i32), post_Kminus=jnp.zeros((N, H), fdt), n_post=jnp.zeros(N, i32),
        weight=weight, weight_reported=weight, Kplus=Kplus, t_last=jnp.zeros(N, i32),
        **empty_buffers(spec, params, fdt), overflow=jnp.zeros((), i32))


def empty_buffers(spec: Spec, params: Params, fdt) -> dict:
    """Recorder buffers of the sizes in ``spec``, empty."""
    i32 = jnp.int32
    n_sr, cap = spec.n_spike_recorders, spec.record_capacity
    return dict(
        sr_count=jnp.zeros(n_sr, i32), sr_senders=jnp.zeros((n_sr, cap), i32), sr_stamps=jnp.zeros((n_sr, cap), i32),
        mm_count=jnp.zeros(len(spec.multimeter_rows), i32),
        mm_values=tuple(jnp.zeros((rows, ix.shape[0]), fdt) for rows, ix in zip(spec.multimeter_rows, params.devices.mm_index)),
        mm_stamps=tuple(jnp.zeros(rows, i32) for rows in spec.multimeter_rows),
        wr_count=jnp.zeros((), i32), wr_stamps=jnp.zeros(spec.weight_capacity, i32),
        wr_synapse=jnp.zeros(spec.weight_capacity, i32), wr_weights=jnp.zeros(spec.weight_capacity, fdt))
