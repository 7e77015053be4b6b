"""One network split over several devices by neuron, as NEST splits it over threads.

Device d owns neurons [d·n, (d+1)·n), n = ⌈N / D⌉ (the last block is padded with neurons that never
spike), and everything that belongs to them as targets: their input ring, STDP archives, Poisson inputs
and incoming synapses with their weights. Each device runs the unsplit engine on its block; at the start
of every slice the devices exchange who spiked in the slice that ended (one all-gather of at most
``slice_capacity`` ids), so that each delivers every spike to its own synapses. All inputs of a neuron
are summed on one device in the same order as on one device, and random numbers derive from global
ids, so the results are bit-identical to an unsplit run (tested) and independent of the number of
devices.

:func:`split` turns a state into per-device states (leading axis: device), :func:`advance` advances
those, and :func:`merge` turns them back into the global layout, which checkpoints, ``connections()``
and the recorders see; :func:`jaxsnn.simulate` splits once per call and merges at its end. On a CPU,
``XLA_FLAGS=--xla_force_host_platform_device_count=<cores>`` makes each core a device.
"""
from __future__ import annotations

import dataclasses
import functools

import jax
import numpy as np

from . import engine
from .structs import IN_SYNAPSE, OUT_ROW, OUT_TARGET, OUT_TRACE, NeuronParams, Params, Spec, State, Synapses

AXIS = "neurons"
NEURON_FIELDS = ("V_rel", "refractory", "refractory_buffer", "Kminus", "last_post", "post_stamps", "post_Kminus",
                 "n_post")  # [N, ...]
STEP_NEURON_FIELDS = ("ring", "spike_history")  # [rows, N]


@dataclasses.dataclass(frozen=True)
class Plan:
    """How a network is split: the per-device parameters, placed on their devices, and (on the host) the
    maps between the global and the per-device layouts."""

    devices: tuple  # the jax devices, in neuron-block order
    n_local: int  # neurons per device, padding included
    out_degree: int  # largest out-degree within one device (about 1/D of the whole): the width of its blocks
    params: Params  # leading axis: device; device d's neurons and the synapses onto them, in local indices
    synapse_of_slot: np.ndarray  # [D, m]: global index of each device synapse (M for padding)
    slot_of_synapse: np.ndarray  # [M]: flat device slot (d · m + local index) of each synapse
    trace_owner: np.ndarray  # [traces]: a device that holds synapses of the trace (so updates it)
    mm_owner: tuple  # per multimeter: [recorded] device of each recorded neuron


def _by_device(devices, spec=(AXIS,)):
    """Placement of arrays with a leading device axis, one part per device (``spec=()``: replicated)."""
    return jax.sharding.NamedSharding(jax.sharding.Mesh(np.array(devices), (AXIS,)), jax.sharding.PartitionSpec(*spec))


def plan(spec: Spec, params: Params, devices: tuple) -> Plan:
    """Split ``params`` over ``devices`` (host work, O(neurons + synapses)); each device's part is placed
    on it once, here, not copied there by every call."""
    D, N = len(devices), spec.n_neurons
    n = -(-N // D)
    nrn, syn, dev = jax.device_get((params.neurons, params.synapses, params.devices))

    def pad(a, size, value=0):
        return np.concatenate([a, np.full((size - len(a),) + a.shape[1:], value, a.dtype)])

    def neurons(d):  # padding: no input, threshold out of reach, so they never spike
        fill = {"V_th": np.finfo(nrn.V_th.dtype).max, "C_m": 1, "tau_m": 1, "tau_minus": 1}
        return NeuronParams(**{k: pad(v[d * n:(d + 1) * n], n, fill.get(k, 0)) for k, v in vars(nrn).items()})

    # synapses onto device d's neurons, in global order (so by source, then creation, as on one device);
    # the large per-synapse arrays are filled in place, device by device
    tgt = syn.out_syn[:, OUT_TARGET]
    M, owner = len(tgt), tgt // n
    by_device = np.argsort(owner, kind="stable").astype(np.int32)
    counts = np.bincount(owner, minlength=D)
    starts = np.concatenate([[0], np.cumsum(counts)])
    groups = [by_device[starts[d]:starts[d + 1]] for d in range(D)]
    m = max(1, int(counts.max(initial=0)))
    synapse_of_slot = np.full((D, m), M, np.int32)
    slot_of_synapse = np.zeros(M, np.int32)
    out_syn = np.zeros((D, m, syn.out_syn.shape[1]), np.int32)
    for d, g in enumerate(groups):
        synapse_of_slot[d, :len(g)] = g
        slot_of_synapse[g] = d * m + np.arange(len(g), dtype=np.int32)
        np.take(syn.out_syn, g, axis=0, out=out_syn[d, :len(g)])
        out_syn[d, :len(g), OUT_TARGET] -= d * n
    in_owner = tgt[syn.in_syn[:, IN_SYNAPSE]] // n
    in_rows = np.argsort(in_owner, kind="stable").astype(np.int32)
    in_starts = np.concatenate([[0], np.cumsum(np.bincount(in_owner, minlength=D))])
    mp = max(1, int(np.diff(in_starts).max(initial=0)))
    in_syn = np.zeros((D, mp, syn.in_syn.shape[1]), np.int32)
    for d in range(D):
        part = in_syn[d, :in_starts[d + 1] - in_starts[d]]
        np.take(syn.in_syn, in_rows[in_starts[d]:in_starts[d + 1]], axis=0, out=part)
        part[:, IN_SYNAPSE] = slot_of_synapse[part[:, IN_SYNAPSE]] - d * m
    del by_device, in_owner, in_rows
    stride = spec.plastic_delays[1] + 2 if spec.has_plastic else 1

    def synapses(d):  # the engine reads neither source nor model; out_syn and in_syn are placed below
        keys = slice(min(N, d * n) * stride, min(N, (d + 1) * n) * stride + 1)
        in_ptr = syn.in_ptr[keys] - syn.in_ptr[keys.start]
        return Synapses(
            source=np.zeros(0, np.int32), model=np.zeros(0, np.int32), out_syn=None,
            out_ptr=np.concatenate([[0], np.cumsum(np.bincount(syn.source[groups[d]], minlength=N))]).astype(np.int32),
            in_ptr=pad(in_ptr, n * stride + 1, in_ptr[-1]), in_syn=None, stdp_table=syn.stdp_table,
            source_trace=syn.source_trace)

    pg_d = [np.nonzero(dev.pg_target // n == d)[0] for d in range(D)]
    sg_d = [np.nonzero(dev.sg_target // n == d)[0] for d in range(D)]
    wp, ws = max(len(g) for g in pg_d), max(len(g) for g in sg_d)

    def generators(d):  # padding: target out of range; spike events far beyond any run
        p, s = pg_d[d], sg_d[d]
        return dev.replace(
            pg_target=pad(dev.pg_target[p] - d * n, wp, n), pg_weight=pad(dev.pg_weight[p], wp),
            pg_delay=pad(dev.pg_delay[p], wp), pg_generator=pad(dev.pg_generator[p], wp),
            pg_stream=pad(dev.pg_stream[p], wp),
            sg_step=pad(dev.sg_step[s], ws, np.iinfo(np.int32).max // 2), sg_target=pad(dev.sg_target[s] - d * n, ws, n),
            sg_weight=pad(dev.sg_weight[s], ws), sg_delay=pad(dev.sg_delay[s], ws),
            mm_index=tuple(np.clip(ix - d * n, 0, n - 1) for ix in dev.mm_index),
            wr_mask=pad(dev.wr_mask[groups[d]], m, False))

    per_device = [Params(neurons(d), synapses(d), generators(d)) for d in range(D)]
    out_degree = max(int(np.diff(p.synapses.out_ptr).max(initial=0)) for p in per_device)
    put = functools.partial(jax.device_put, device=_by_device(devices))
    stacked = jax.tree_util.tree_map(lambda *xs: put(np.stack(xs)), *per_device)
    stacked = stacked.replace(synapses=stacked.synapses.replace(out_syn=put(out_syn), in_syn=put(in_syn)))
    plastic = syn.out_syn[:, OUT_ROW] >= 0
    trace_owner = np.zeros(int(syn.out_syn[plastic, OUT_TRACE].max(initial=-1)) + 1, np.int64)
    trace_owner[syn.out_syn[plastic, OUT_TRACE]] = owner[plastic]
    return Plan(tuple(devices), n, out_degree, stacked, synapse_of_slot, slot_of_synapse, trace_owner,
                tuple(np.asarray(ix) // n for ix in dev.mm_index))


def split(spec: Spec, plan: Plan, state: State) -> State:
    """The global ``state`` as per-device states (leading axis: device), each part on its device."""
    D, n = len(plan.devices), plan.n_local
    st = jax.device_get(state)

    def by_neuron(a, axis):
        a = np.concatenate([a, np.zeros(a.shape[:axis] + (D * n - a.shape[axis],) + a.shape[axis + 1:], a.dtype)],
                           axis)
        return np.moveaxis(a.reshape(a.shape[:axis] + (D, n) + a.shape[axis + 1:]), axis, 0)

    def by_slot(w):
        return np.append(w, np.zeros(1, w.dtype))[plan.synapse_of_slot]

    out = jax.tree_util.tree_map(lambda v: np.broadcast_to(v, (D,) + np.shape(v)), vars(st))  # the same everywhere
    out.update({k: by_neuron(getattr(st, k), 0) for k in NEURON_FIELDS})
    out.update({k: by_neuron(getattr(st, k), 1) for k in STEP_NEURON_FIELDS})
    wr_count = np.zeros(D, np.int32)
    wr_count[0] = st.wr_count  # earlier weight records stay on device 0
    out.update(weight=by_slot(st.weight), weight_reported=by_slot(st.weight_reported), wr_count=wr_count)
    return spread(plan, State(**out))


def merge(spec: Spec, plan: Plan, states: State) -> State:
    """Per-device ``states`` back as one global state, on the first device (where an unsplit run keeps it).
    The weight recorder's buffer is device 0's: merge after the host has taken the records (as
    :func:`jaxsnn.simulate` does)."""
    D, n = len(plan.devices), plan.n_local
    st = jax.device_get(states)

    def by_neuron(a, axis):
        a = np.moveaxis(a, 0, axis)
        return a.reshape(a.shape[:axis] + (D * n,) + a.shape[axis + 2:]).take(np.arange(spec.n_neurons), axis=axis)

    out = jax.tree_util.tree_map(lambda v: v[0], vars(st))  # the same on every device
    out.update({k: by_neuron(getattr(st, k), 0) for k in NEURON_FIELDS})
    out.update({k: by_neuron(getattr(st, k), 1) for k in STEP_NEURON_FIELDS})
    out.update(
        weight=st.weight.reshape(-1)[plan.slot_of_synapse],
        weight_reported=st.weight_reported.reshape(-1)[plan.slot_of_synapse],
        Kplus=st.Kplus[plan.trace_owner, np.arange(st.Kplus.shape[1])],
        mm_values=tuple(v[o, :, np.arange(len(o))].T for v, o in zip(st.mm_values, plan.mm_owner)),
        overflow=np.bitwise_or.reduce(st.overflow))
    return jax.device_put(State(**out), plan.devices[0])


def advance(spec: Spec, plan: Plan, states: State, n_steps) -> State:
    """:func:`jaxsnn.engine.advance` of per-device ``states`` (from :func:`split`)."""
    local = dataclasses.replace(spec, neuron_axis=AXIS, out_degree=plan.out_degree)
    return _compiled(local, plan.devices)(plan.params, states, n_steps)


@functools.lru_cache(maxsize=None)
def _compiled(local: Spec, devices: tuple):
    def on_device(p, st, n_steps):
        one = lambda tree: jax.tree_util.tree_map(lambda x: x[0], tree)
        return jax.tree_util.tree_map(lambda x: x[None], engine.advance(local, one(p), one(st), n_steps))

    parts, same = _by_device(devices), _by_device(devices, ())
    run = jax.shard_map(on_device, mesh=parts.mesh, in_specs=(parts.spec, parts.spec, same.spec),
                        out_specs=parts.spec, check_vma=False)
    # outputs placed as split() places inputs (empty arrays would come back replicated), so that chained
    # calls reuse one compilation
    return jax.jit(run, out_shardings=parts, compiler_options=engine.COMPILER_OPTIONS)


def recorders(spec: Spec, plan: Plan, states: State, source) -> dict:
    """What the host takes from per-device ``states`` after a chunk, as numpy arrays in the global
    layout: the step counters, the overflow flags, the spike history and the recorder buffers. Weight
    events are ordered as one device records them (by slice, sender, step, synapse); ``source`` is
    ``Synapses.source``."""
    h = jax.device_get({k: getattr(states, k) for k in engine.RECORDED})
    out = {k: v[0] for k, v in h.items() if not isinstance(v, tuple)}  # the same on every device
    history = np.moveaxis(h["spike_history"], 0, 1)
    out.update(spike_history=history.reshape(history.shape[0], -1)[:, :spec.n_neurons],
               overflow=np.bitwise_or.reduce(h["overflow"]),
               mm_stamps=tuple(v[0] for v in h["mm_stamps"]),
               mm_values=tuple(v[o, :, np.arange(len(o))].T for v, o in zip(h["mm_values"], plan.mm_owner)))
    if spec.weight_capacity:
        take = [np.arange(int(c)) for c in h["wr_count"]]
        synapse = np.concatenate([plan.synapse_of_slot[d][h["wr_synapse"][d][t]] for d, t in enumerate(take)])
        stamps = np.concatenate([h["wr_stamps"][d][t] for d, t in enumerate(take)])
        weights = np.concatenate([h["wr_weights"][d][t] for d, t in enumerate(take)])
        order = np.lexsort((synapse, stamps, np.asarray(source)[synapse], (stamps - 1) // spec.slice_steps))
        out.update(wr_count=len(order), wr_synapse=synapse[order], wr_stamps=stamps[order], wr_weights=weights[order])
    return out


def spread(plan: Plan, tree):
    """``tree`` (arrays with a leading device axis) placed part by part on the plan's devices."""
    return jax.device_put(tree, _by_device(plan.devices))
