"""One network split over several devices by neuron, as NEST splits it over threads.

Device d owns neurons [d·n, (d+1)·n), n = ⌈N / D⌉ (the last block is padded with neurons that never
spike), and everything that belongs to them as targets: their input ring, STDP archives, Poisson inputs
and incoming synapses with their weights. Each device runs the unsplit engine on its block; at the start
of every slice the devices exchange who spiked in the slice that ended (one all-gather of at most
``slice_capacity`` ids), so that each delivers every spike to its own synapses. All inputs of a neuron
are summed on one device in the same order as on one device, and random numbers derive from global
ids, so the results are bit-identical to an unsplit run (tested) and independent of the number of
devices.

Which state is split how follows from its group: ``state.plasticity.post`` by neuron (axis 0),
``state.transit`` and the current input ``state.neurons.current`` by neuron (axis 1), each model's state
``state.neurons.models[name]`` by the model's own neurons (device d holds the model's neurons in its
block, padded to the same count on every device with copies of a real neuron whose results are
dropped: the engine runs each model on that static count, :class:`~jaxsnn.core.types.NeuronTopology`
``index``), ``state.synapses`` by synapse slot; the presynaptic traces, the counters and the key are the
same on every device.

:func:`split` turns a state into per-device states (leading axis: device), :func:`advance` advances
those, and :func:`merge` turns them back into the global layout, which checkpoints, ``connections()``
and the recorders see; :func:`jaxsnn.simulate` splits once per call and merges at its end. On a CPU,
``XLA_FLAGS=--xla_force_host_platform_device_count=<cores>`` makes each core a device.

Past one process (``jax.distributed.initialize``), ``jax.devices()`` lists every process's devices and
the split is the same over all of them: each process places its own devices' parts (every process
holds the same global state between runs), the slices' all-gathers cross processes, and :func:`fetch`
exchanges the parts where the host needs them (recorders after a chunk, the state at the end of a
run), so every process ends with the same complete state and records. The bits do not depend on the
number of processes any more than on the number of devices.
"""
from __future__ import annotations

import dataclasses
import functools

import jax
import numpy as np

from ..build.lower import take_into
from ..core import engine
from ..core.types import IN_SYNAPSE, OUT_TARGET, Model, NeuronState, Params, Spec, State

AXIS = "neurons"
tree_map = jax.tree_util.tree_map


@dataclasses.dataclass(frozen=True)
class Plan:
    """How a network is split: the per-device model and parameters, placed on their devices, and (on
    the host) the maps between the global and the per-device layouts."""

    devices: tuple  # the jax devices, in neuron-block order
    n_local: int  # neurons per device, padding included
    out_degree: int  # largest out-degree within one device (about 1/D of the whole): the width of its blocks
    model: Model  # leading axis: device; device d's neurons and the synapses onto them, in local indices
    params: Params
    synapse_of_slot: np.ndarray  # [D, m]: global index of each device synapse (M for padding)
    slot_of_synapse: np.ndarray  # [M]: flat device slot (d · m + local index) of each synapse
    trace_owner: np.ndarray  # [traces]: a device that holds synapses of the trace (so updates it)
    mm_owner: tuple  # per multimeter: [recorded] device of each recorded neuron
    model_parts: tuple = ()  # per neuron model: [D + 1] bounds of each device's part of its neurons (model order)


def _model_parts(spec: Spec, D: int, n: int) -> tuple:
    """Per neuron model, the global indices of its neurons and the bounds of each device's part of them
    (its neurons are in node order, so the part in a device's block of indices is one range)."""
    out = []
    for runs in spec.models.neuron_runs:
        where = np.concatenate([np.arange(a, a + k) for a, k in runs])
        out.append((where, np.searchsorted(where, np.arange(D + 1) * n)))
    return tuple(out)


def _model_split(a, bounds, d, size):
    """Device d's part of a per-model array ``a`` (model order, axis 0), padded to ``size`` with copies of
    the model's first neuron (valid values; their results are never read)."""
    part = a[bounds[d]:bounds[d + 1]]
    return np.concatenate([part, np.repeat(a[:1], size - len(part), axis=0)])


def _by_device(devices, spec=(AXIS,)):
    """Placement of arrays with a leading device axis, one part per device (``spec=()``: replicated)."""
    return jax.sharding.NamedSharding(jax.sharding.Mesh(np.array(devices), (AXIS,)), jax.sharding.PartitionSpec(*spec))


def _pad(a, size, value=0):
    return np.concatenate([a, np.full((size - len(a),) + a.shape[1:], value, a.dtype)])


def plan(model: Model, params: Params, devices: tuple) -> Plan:
    """Split ``model`` and ``params`` over ``devices`` (host work, O(neurons + synapses)); each device's
    part is placed on it once, here, not copied there by every call."""
    spec = model.spec
    D, N = len(devices), spec.sizes.n_neurons
    n = -(-N // D)
    top, par = fetch((model, params))
    syn = top.synapses
    # synapses onto device d's neurons, in global order (so by source, then creation, as on one device)
    tgt = syn.out_syn[:, OUT_TARGET]
    M, owner = len(tgt), tgt // n
    groups, m = _groups(owner, D)
    synapse_of_slot = np.full((D, m), M, np.int32)
    slot_of_synapse = np.zeros(M, np.int32)
    for d, g in enumerate(groups):
        synapse_of_slot[d, :len(g)] = g
        slot_of_synapse[g] = d * m + np.arange(len(g), dtype=np.int32)
    out_syn, in_syn = _split_records(syn, groups, m, slot_of_synapse, n, D)
    mparts = _model_parts(spec, D, n)
    parts = [_part(spec, top, par, d, n, groups[d], m, D, mparts) for d in range(D)]
    out_degree = max(int(np.diff(mp.synapses.out_ptr).max(initial=0)) for mp, _ in parts)
    put = functools.partial(_place, devices)
    models = tree_map(lambda *xs: put(np.stack(xs)), *[mp for mp, _ in parts])
    models = models.replace(synapses=models.synapses.replace(out_syn=put(out_syn), in_syn=put(in_syn)))
    stacked = tree_map(lambda *xs: put(np.stack(xs)), *[pp for _, pp in parts])
    plastic = syn.stdp_row >= 0
    trace_owner = np.zeros(int(syn.trace[plastic].max(initial=-1)) + 1, np.int64)
    trace_owner[syn.trace[plastic]] = owner[plastic]
    return Plan(tuple(devices), n, out_degree, models, stacked, synapse_of_slot, slot_of_synapse, trace_owner,
                tuple(np.asarray(ix) // n for ix in top.recorders.sample_index), tuple(b for _, b in mparts))


def _groups(owner, D):
    """Synapse indices of each device, in global order, and the largest count (at least 1)."""
    by_device = np.argsort(owner, kind="stable").astype(np.int32)
    counts = np.bincount(owner, minlength=D)
    starts = np.concatenate([[0], np.cumsum(counts)])
    return [by_device[starts[d]:starts[d + 1]] for d in range(D)], max(1, int(counts.max(initial=0)))


def _split_records(syn, groups, m, slot_of_synapse, n, D):
    """out_syn and in_syn per device ([D, m, 4], [D, mp, 5]) in local indices, filled in place."""
    out_syn = np.zeros((D, m, syn.out_syn.shape[1]), np.int32)
    for d, g in enumerate(groups):
        take_into(syn.out_syn, g, out_syn[d, :len(g)])
        out_syn[d, :len(g), OUT_TARGET] -= d * n
    in_owner = syn.out_syn[syn.in_syn[:, IN_SYNAPSE], OUT_TARGET] // n
    in_rows = np.argsort(in_owner, kind="stable").astype(np.int32)
    in_starts = np.concatenate([[0], np.cumsum(np.bincount(in_owner, minlength=D))])
    mp = max(1, int(np.diff(in_starts).max(initial=0)))
    in_syn = np.zeros((D, mp, syn.in_syn.shape[1]), np.int32)
    for d in range(D):
        part = in_syn[d, :in_starts[d + 1] - in_starts[d]]
        take_into(syn.in_syn, in_rows[in_starts[d]:in_starts[d + 1]], part)
        part[:, IN_SYNAPSE] = slot_of_synapse[part[:, IN_SYNAPSE]] - d * m
    return out_syn, in_syn


def _part(spec, top, par, d, n, group, m, D, mparts):
    """Device d's model (without out_syn/in_syn, placed separately) and params, in local indices."""
    N, syn = spec.sizes.n_neurons, top.synapses
    mine = lambda a, fill=0: _pad(a[d * n:(d + 1) * n], n, fill)
    # padding neurons (beyond N) belong to no model: never updated, they never spike
    sizes = [max(1, int(np.diff(b).max())) for _, b in mparts]
    split = lambda tree, i: tree_map(lambda a: _model_split(a, mparts[i][1], d, sizes[i]), tree)
    names = [x.name for x in spec.models.neuron_models]
    triplet = par.neurons.tau_minus_triplet
    neurons = par.neurons.replace(tau_minus=mine(par.neurons.tau_minus, 1),
                                  tau_minus_triplet=None if triplet is None else mine(triplet, 1),
                                  models={b: split(par.neurons.models[b], i) for i, b in enumerate(names)})
    index = tuple(_pad(w[b[d]:b[d + 1]] - d * n, size, n).astype(np.int32)
                  for (w, b), size in zip(mparts, sizes))
    ntop = top.neurons.replace(route=mine(top.neurons.route), index=index,
                               constants={b: split(top.neurons.constants[b], i) for i, b in enumerate(names)})
    stride = spec.plasticity.plastic_delays[1] + 2 if spec.plasticity.has_plastic else 1
    keys = slice(min(N, d * n) * stride, min(N, (d + 1) * n) * stride + 1)
    in_ptr = syn.in_ptr[keys] - syn.in_ptr[keys.start]
    # the engine does not read the model; the device's CSR: its synapses (``group``, in global order, so by
    # source) before each source's first global synapse
    synapses = syn.replace(model=np.zeros(0, syn.model.dtype), out_syn=None, in_syn=None,
                           out_ptr=np.searchsorted(group, syn.out_ptr).astype(np.int32),
                           in_ptr=_pad(in_ptr, n * stride + 1, in_ptr[-1]),
                           receptor1=None if syn.receptor1 is None else _pad(syn.receptor1[group], m, False),
                           port=None if syn.port is None else _pad(syn.port[group], m))
    rec = top.recorders.replace(sample_index=tuple(np.clip(ix - d * n, 0, n - 1) for ix in top.recorders.sample_index),
                                weight_mask=_pad(top.recorders.weight_mask[group], m, False)
                                if top.recorders.weight_mask.shape[0] else top.recorders.weight_mask)
    generators, gpar = _generators_part(spec, top.generators, par.generators, d, n, D)
    model = top.replace(neurons=ntop, synapses=synapses, recorders=rec, generators=generators)
    params = par.replace(neurons=neurons, generators=gpar)
    return model, params


PER_CONNECTION = ("target", "delay", "receptor", "stream", "generator", "node")  # a generator's connection arrays


def _generators_part(spec, top, par, d, n, D):
    """Device d's part of the generators of the device interface. A ``replicated`` model's every connection
    runs on every device (the same draws and state on each; those onto another device's neurons point past
    the local ones and are dropped); another's connections onto device d's neurons only (padding: target
    past the local neurons, weight 0, the model's ``padding`` for its own per-connection entries), in
    their order."""
    out_top, out_par = {}, dict(par)
    for m in spec.models.generators:
        t = {k: np.asarray(v) for k, v in top[m.name].items()}
        owner = t["target"] // n
        if m.replicated:
            out_top[m.name] = {**t, "target": np.where(owner == d, t["target"] - d * n, n).astype(np.int32)}
            continue
        mine = np.nonzero(owner == d)[0]
        w = max(1, max(int(np.sum(owner == e)) for e in range(D)))
        pad = {"target": n, **m.padding}
        out_top[m.name] = {k: (_pad(v[mine] - d * n, w, n) if k == "target" else _pad(v[mine], w, pad.get(k, 0)))
                           if k in PER_CONNECTION or k in m.padding else v for k, v in t.items()}
        out_par[m.name] = {**par[m.name], "weight": _pad(np.asarray(par[m.name]["weight"])[mine], w)}
    return out_top, out_par


def split(spec: Spec, plan: Plan, state: State) -> State:
    """The global ``state`` as per-device states (leading axis: device), each part on its device."""
    D, n = len(plan.devices), plan.n_local
    st = fetch(state)

    def by_neuron(a, axis):
        a = np.concatenate([a, np.zeros(a.shape[:axis] + (D * n - a.shape[axis],) + a.shape[axis + 1:], a.dtype)],
                           axis)
        return np.moveaxis(a.reshape(a.shape[:axis] + (D, n) + a.shape[axis + 1:]), axis, 0)

    def by_slot(w):
        return np.append(w, np.zeros(1, w.dtype))[plan.synapse_of_slot] if w.shape[0] else np.zeros((D, 0), w.dtype)

    same = lambda tree: per_device(tree, D)
    weights = st.buffers.weights
    sizes = [max(1, int(np.diff(b).max())) for b in plan.model_parts]
    names = [m.name for m in spec.models.neuron_models]
    models = {b: tree_map(lambda a, i=i: np.stack([_model_split(a, plan.model_parts[i], d, sizes[i])
                                                    for d in range(D)]), st.neurons.models[b])
              for i, b in enumerate(names)}
    wr_count = np.zeros(D, np.int32)
    wr_count[0] = weights.count  # earlier weight records stay on device 0
    out = same(st).replace(
        neurons=NeuronState(models=models, current=None if st.neurons.current is None
                            else by_neuron(st.neurons.current, 1)),
        transit=tree_map(lambda a: by_neuron(a, 1), st.transit),
        synapses=tree_map(by_slot, st.synapses),
        plasticity=st.plasticity.replace(pre=same(st.plasticity.pre),
                                         post=tree_map(lambda a: by_neuron(a, 0), st.plasticity.post)),
        buffers=same(st.buffers).replace(weights=same(weights).replace(count=wr_count)))
    return spread(plan, out)


def merge(spec: Spec, plan: Plan, states: State) -> State:
    """Per-device ``states`` back as one global state, on the first device (where an unsplit run keeps it).
    The weight recorder's buffer is device 0's: merge after the host has taken the records (as
    :func:`jaxsnn.simulate` does)."""
    D, n = len(plan.devices), plan.n_local
    st = fetch(states)

    def by_neuron(a, axis):
        a = np.moveaxis(a, 0, axis)
        whole = a.reshape(a.shape[:axis] + (D * n,) + a.shape[axis + 2:])
        return whole.take(np.arange(spec.sizes.n_neurons), axis=axis)

    first = lambda tree: tree_map(lambda v: v[0], tree)
    by_slot = lambda w: w.reshape(-1)[plan.slot_of_synapse] if w.shape[1] else w[0]
    Kplus = st.plasticity.pre.Kplus
    samples = st.buffers.samples
    counts = [np.diff(b) for b in plan.model_parts]
    models = {m.name: tree_map(lambda a, c=c: np.concatenate([a[d, :c[d]] for d in range(D)]),
                               st.neurons.models[m.name]) for m, c in zip(spec.models.neuron_models, counts)}
    out = first(st).replace(
        overflow=np.bitwise_or.reduce(st.overflow),
        neurons=NeuronState(models=models, current=None if st.neurons.current is None
                            else by_neuron(st.neurons.current, 1)),
        transit=tree_map(lambda a: by_neuron(a, 1), st.transit),
        synapses=tree_map(by_slot, st.synapses),
        plasticity=st.plasticity.replace(
            pre=first(st.plasticity.pre).replace(**{  # each trace from the device that owns its synapses
                name: trace[plan.trace_owner, np.arange(trace.shape[1])]
                for name, trace in (("Kplus", Kplus), ("Kplus_triplet", st.plasticity.pre.Kplus_triplet))
                if trace is not None}),
            post=tree_map(lambda a: by_neuron(a, 0), st.plasticity.post)),
        buffers=first(st.buffers).replace(samples=first(samples).replace(
            values=tuple(v[o, :, np.arange(len(o))].T for v, o in zip(samples.values, plan.mm_owner)))))
    return jax.device_put(out, home())


def advance(spec: Spec, plan: Plan, states: State, n_steps) -> State:
    """:func:`jaxsnn.advance` of per-device ``states`` (from :func:`split`)."""
    local = spec.replace(neuron_axis=AXIS, out_degree=plan.out_degree)
    model = plan.model.replace(spec=local)
    if not engine.fixed_synapses(spec):
        return _compiled(local, plan.devices, False)(model, plan.params, states, n_steps)
    # synapses that never change go in apart and do not come back (engine.advance_fixed: no copy)
    new = _compiled(local, plan.devices, True)(model, plan.params, states.replace(synapses=None), states.synapses,
                                               n_steps)
    return new.replace(synapses=states.synapses)


@functools.cache
def _compiled(local: Spec, devices: tuple, fixed: bool):
    def advance_on_device(model, p, st, *rest):
        one = lambda tree: tree_map(lambda x: x[0], tree)
        if fixed:
            synapses, n_steps = rest
            out = engine.advance_fixed(one(model), one(p), one(st), one(synapses), n_steps)
        else:
            (n_steps,) = rest
            out = engine.advance(one(model), one(p), one(st), n_steps)
        return tree_map(lambda x: x[None], out)

    parts, same = _by_device(devices), _by_device(devices, ())
    in_specs = (parts.spec,) * (4 if fixed else 3) + (same.spec,)
    run = jax.shard_map(advance_on_device, mesh=parts.mesh, in_specs=in_specs, out_specs=parts.spec, check_vma=False)
    # outputs placed as split() places inputs (empty arrays would come back replicated), so that chained
    # calls reuse one compilation
    return engine.jit(run, out_shardings=parts)


def recorded(spec: Spec, plan: Plan, states: State, synapses, complete: bool = True) -> State:
    """What the host takes from per-device ``states`` after a chunk, as a host state in the global
    layout without neurons, synapses, plasticity and ring: the counters, the overflow flags, the spike
    history and the recorder buffers. Weight events are ordered as one device records them (by slice,
    sender, step, synapse); ``synapses``: the global :class:`~jaxsnn.core.types.Synapses`.
    ``complete=False``: only what this process's devices recorded (the other devices' parts read as empty),
    without exchanging anything."""
    host = fetch(states.replace(neurons=None, synapses=None, plasticity=None,
                                transit=states.transit.replace(ring=None, current=None)), complete)
    if not complete:  # every process must see every overflow, to grow the same capacities
        host = host.replace(overflow=fetch(states.overflow))
    # what every device holds alike (step, counters): from a device of this process
    k = 0 if complete else next(d for d, dev in enumerate(plan.devices) if dev.process_index == jax.process_index())
    first = lambda tree: tree_map(lambda v: v[k], tree)
    history = np.moveaxis(host.transit.spike_history, 0, 1)
    samples, wb = host.buffers.samples, host.buffers.weights
    weights = first(wb)
    if spec.recording.weight_capacity:
        take = [np.arange(int(c)) for c in wb.count]
        synapse = np.concatenate([plan.synapse_of_slot[d][wb.synapse[d][t]] for d, t in enumerate(take)])
        stamps = np.concatenate([wb.stamps[d][t] for d, t in enumerate(take)])
        w = np.concatenate([wb.weights[d][t] for d, t in enumerate(take)])
        # a parrot's spike of multiplicity m is m events of one sender and step, each over all its synapses:
        # the repeat goes before the synapse (a synapse's records are all on one device, in its order)
        by_synapse = np.lexsort((np.arange(len(synapse)), stamps, synapse))
        new_group = np.ones(len(synapse), bool)
        new_group[1:] = (np.diff(synapse[by_synapse]) != 0) | (np.diff(stamps[by_synapse]) != 0)
        starts = np.maximum.accumulate(np.where(new_group, np.arange(len(synapse)), 0))
        repeat = np.empty(len(synapse), np.int64)
        repeat[by_synapse] = np.arange(len(synapse)) - starts
        order = np.lexsort((synapse, repeat, stamps, synapses.source[synapse], (stamps - 1) // spec.time.slice_steps))
        weights = weights.replace(count=len(order), synapse=synapse[order], stamps=stamps[order], weights=w[order])
    count = host.transit.spike_count
    if count is not None:
        count = np.moveaxis(count, 0, 1)
        count = count.reshape(count.shape[0], -1)[:, :spec.sizes.n_neurons]
    return first(host).replace(
        overflow=np.bitwise_or.reduce(host.overflow),
        transit=host.transit.replace(spike_history=history.reshape(history.shape[0], -1)[:, :spec.sizes.n_neurons],
                                     spike_count=count),
        buffers=first(host.buffers).replace(
            weights=weights,
            samples=first(samples).replace(
                values=tuple(v[o, :, np.arange(len(o))].T for v, o in zip(samples.values, plan.mm_owner)))))


def per_device(tree, D: int):
    """``tree`` repeated along a new leading device axis (host arrays, no copies)."""
    return tree_map(lambda v: np.broadcast_to(v, (D,) + np.shape(v)), tree)


def spread(plan: Plan, tree):
    """``tree`` (arrays with a leading device axis) placed part by part on the plan's devices; past one
    process, each process places its own devices' parts (``tree`` is the same on every process)."""
    return _place(plan.devices, tree)


def _place(devices, tree):
    where = _by_device(devices)
    if where.is_fully_addressable:
        return jax.device_put(tree, where)

    def place(a):  # without device_put's check that every process passed the same value (a collective)
        if isinstance(a, jax.Array) and jax.dtypes.issubdtype(a.dtype, jax.dtypes.prng_key):
            return jax.random.wrap_key_data(place(jax.random.key_data(a)), impl=jax.random.key_impl(a))
        a = np.asarray(a)
        return jax.make_array_from_callback(a.shape, where, lambda index: a[index])

    return tree_map(place, tree)


def local_neurons(plan: Plan, n_neurons: int) -> np.ndarray:
    """Which neurons this process's devices hold (all of them without ``plan``)."""
    if not plan:
        return np.ones(n_neurons, bool)
    mine = np.array([d.process_index == jax.process_index() for d in plan.devices])
    return mine[np.arange(n_neurons) // plan.n_local]


def home():
    """Where an unsplit run keeps its state: the first device of this process."""
    return jax.local_devices()[0]


def fetch(tree, complete: bool = True):
    """Host copies of the per-device arrays of ``tree``. Within one process, a plain transfer; past one
    process (``jax.distributed``), each process holds only its own devices' parts, so the parts are
    exchanged (one all-gather per call) and every process gets the whole; ``complete=False`` keeps only
    this process's parts and fills the others' with zeros (no exchange)."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    if all(not isinstance(x, jax.Array) or x.is_fully_addressable for x in leaves):
        return jax.device_get(tree)
    keys = [isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key) for x in leaves]
    data = [jax.random.key_data(x) if k else x for x, k in zip(leaves, keys)]
    if complete:
        from jax.experimental import multihost_utils

        data = multihost_utils.process_allgather(data, tiled=True)
    else:
        data = [_local_part(x) for x in data]
    out = [jax.random.wrap_key_data(np.asarray(a), impl=jax.random.key_impl(x)) if k else np.asarray(a)
           for a, x, k in zip(data, leaves, keys)]
    return jax.tree_util.tree_unflatten(treedef, out)


def _local_part(x):
    """A global array as a host array holding this process's shards, zeros elsewhere."""
    if not isinstance(x, jax.Array) or x.is_fully_addressable:
        return np.asarray(x)
    out = np.zeros(x.shape, x.dtype)
    for s in x.addressable_shards:
        out[s.index] = np.asarray(s.data)
    return out
