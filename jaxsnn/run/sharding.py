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
same on every device, and so is a neuromodulated rule's state ``state.plasticity.dopa``: every device builds
the volume transmitters' lists alike from the slice's spikes (which it receives anyway) and updates its own
synapses' c and n; :func:`merge` takes each synapse's from its device.

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
import jax.numpy as jnp
import numpy as np

from ..build.lower import aligned, to_device
from ..core import engine
from ..core.host import release
from ..core.types import IN_SYNAPSE, OUT_ROW, OUT_TARGET, OUT_TRACE, Model, NeuronState, Params, Spec, State
from ..models.base import RECORDING
from . import programs

AXIS = "neurons"
tree_map = jax.tree_util.tree_map


@dataclasses.dataclass(frozen=True)
class Plan:
    """How a network is split: the per-device model and parameters, placed on their devices, and (on
    the host) which device holds each synapse. The per-device model is the only copy of the synapse
    records (:class:`SplitRecords`)."""

    devices: tuple  # the jax devices, in neuron-block order
    n_local: int  # neurons per device, padding included
    out_degree: int  # largest out-degree within one device (about 1/D of the whole): the width of its blocks
    model: Model  # leading axis: device; device d's neurons and the synapses onto them, in local indices
    params: Params
    owner: np.ndarray  # uint8 (uint16 past 255 devices) [M]: the device of each synapse (its target's)
    slots: int  # synapse slots per device (the most synapses on one device, at least 1)
    in_counts: np.ndarray  # [D]: plastic synapses (rows of in_syn) per device
    trace_owner: np.ndarray  # [traces]: a device that holds synapses of the trace (so updates it)
    recorders: dict  # per recorder model: its global topology (host), which its gathered/merged read
    model_parts: tuple = ()  # per neuron model: [D + 1] bounds of each device's part of its neurons (model order)

    def synapses_on(self, d: int) -> np.ndarray:
        """Global indices of device d's synapses, in its slot order (global order)."""
        return np.flatnonzero(self.owner == d).astype(np.int32)


@dataclasses.dataclass(frozen=True)
class Part:
    """What a recorder model reads to cut its topology for device ``d`` (:meth:`Recorder.split`) and to
    gather the devices' buffers (:meth:`Recorder.gathered`)."""

    n: int  # neurons per device (padding included)
    d: int = 0
    group: np.ndarray | None = None  # which synapses are device d's (in global order)
    m: int = 0  # synapse slots per device
    synapses_on: object = None  # d -> global indices of device d's synapses, in its slot order
    source: np.ndarray | None = None  # global source neuron of each synapse
    slice_steps: int = 1
    first: int = 0  # a device of this process: what every device holds alike is read from it
    by_rank: bool = False  # a slice's spikes delivered by their rank among their sender's (stdp_dopamine_synapse)

    def neurons(self, ix):
        """Global neuron indices ``ix`` as device d's local ones (others clipped into its block: a device
        reads only its own neurons' values, the host takes each from its owner)."""
        return np.clip(np.asarray(ix) - self.d * self.n, 0, self.n - 1).astype(np.int32)

    def synapses(self, a, fill=0):
        """A per-synapse array cut to device d's synapses, padded to its slots with ``fill``."""
        return _pad(np.asarray(a)[self.group], self.m, fill)


class SplitRecords:
    """A split network's per-synapse records (``Synapses.out_syn`` or ``in_syn``) in the global layout,
    held only as the devices' parts (:attr:`Plan.model`): keeping both would cost a split network 8 to 20
    more bytes per synapse. Reading it (``np.asarray``, indexing, ``jax.device_get``) assembles the global
    table on the host; ``shape``, ``dtype`` and ``len`` need no assembly. As a pytree, its one leaf is the
    assembled table."""

    def __init__(self, plan: Plan, name: str, shape: tuple, dtype):
        self.plan, self.name, self.shape, self.dtype = plan, name, tuple(shape), np.dtype(dtype)

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape)))

    def __len__(self):
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        a = (_global_out_syn if self.name == "out_syn" else _global_in_syn)(self.plan)
        return a if dtype is None else a.astype(dtype)

    def __getitem__(self, key):
        keys = key if isinstance(key, tuple) else (key,)
        if any(isinstance(k, jax.core.Tracer) for k in keys):  # inside a trace that holds the model as a constant
            return jnp.asarray(np.asarray(self))[key]
        return np.asarray(self)[key]

    def __jax_array__(self):
        return jnp.asarray(np.asarray(self))

    def __repr__(self):
        return f"SplitRecords({self.name}, shape={self.shape}, dtype={self.dtype.name})"


# a pytree whose one leaf is the assembled table: jax.jit, tree_map and device_get of a split network's
# model see the global table (as for an unsplit one), at the cost of assembling it
jax.tree_util.register_pytree_node(SplitRecords, lambda r: ((np.asarray(r),), None), lambda _, leaves: leaves[0])


def global_synapses(plan: Plan, synapses):
    """``synapses`` (the global :class:`~jaxsnn.core.types.Synapses`) with its records held by ``plan``."""
    rec = lambda name: SplitRecords(plan, name, getattr(synapses, name).shape, getattr(synapses, name).dtype)
    return synapses.replace(out_syn=rec("out_syn"), in_syn=rec("in_syn"))


def restored(synapses):
    """``synapses`` with its records back as arrays on the home device (for a run on one device)."""
    if not isinstance(synapses.out_syn, SplitRecords):
        return synapses
    return synapses.replace(out_syn=to_device(np.asarray(synapses.out_syn)),
                            in_syn=jax.device_put(np.asarray(synapses.in_syn), home()))


def _global_out_syn(plan: Plan) -> np.ndarray:
    parts = fetch(plan.model.synapses.out_syn)
    out = aligned((len(plan.owner), parts.shape[-1]), parts.dtype)
    for d in range(len(plan.devices)):
        mine = plan.owner == d
        part = parts[d, :np.count_nonzero(mine)]
        _expand_into(part, mine, out)
        for lo in range(0, len(mine), BLOCK):  # back to global target indices
            out[lo:lo + BLOCK][mine[lo:lo + BLOCK], OUT_TARGET] += d * plan.n_local
    return out


def _global_in_syn(plan: Plan) -> np.ndarray:
    """The devices' in_syn parts one after the other: device d's targets follow device d − 1's, and each part
    is in (target, delay) order, as the global table is."""
    parts = fetch(plan.model.synapses.in_syn)
    out = []
    for d, c in enumerate(plan.in_counts):
        part = parts[d, :c].copy()
        part[:, IN_SYNAPSE] = plan.synapses_on(d)[part[:, IN_SYNAPSE]]
        out.append(part)
    return np.concatenate(out) if out else parts.reshape(0, parts.shape[-1])


SLOT_ALIGN = 16  # synapse slots per device a multiple of 16: each device's part of a [D, slots] array of 4- or
# 8-byte values starts 64-byte aligned, so that a CPU device takes it without a copy
BLOCK = 1 << 20  # synapses per block of the host's masked copies (bounds their temporaries)


def _compress_into(a, mask, out):
    """``out[:] = a[mask]`` block by block (a boolean index of M entries makes an int64 index first); the rows
    of a table as one item each (about twice as fast as selecting rows of a 2-d array)."""
    if a.ndim == 2 and a.shape[1] and a.flags.c_contiguous and out.flags.c_contiguous:
        row = np.dtype((np.void, a.shape[1] * a.itemsize))
        _compress_into(a.view(row).reshape(-1), mask, out.view(row).reshape(-1))
        return out
    at = 0
    for lo in range(0, len(mask), BLOCK):
        part = a[lo:lo + BLOCK][mask[lo:lo + BLOCK]]
        out[at:at + len(part)] = part
        at += len(part)
    return out


def _expand_into(part, mask, out):
    """``out[mask] = part`` block by block."""
    at = 0
    for lo in range(0, len(mask), BLOCK):
        m = mask[lo:lo + BLOCK]
        k = int(np.count_nonzero(m))
        out[lo:lo + BLOCK][m] = part[at:at + k]
        at += k
    return out


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
    part is placed on it once, here, not copied there by every call. The synapse records of ``model``
    are read on the host (without a copy on a CPU); :func:`global_synapses` then lets the plan's parts
    hold them alone."""
    spec = model.spec
    D, N = len(devices), spec.sizes.n_neurons
    n = -(-N // D)
    syn = model.synapses
    top, par = fetch((model.replace(synapses=syn.replace(out_syn=None, in_syn=None)), params))
    host = lambda a: np.asarray(a if isinstance(a, SplitRecords) else fetch(a))  # noqa: E731
    out_syn, in_syn = host(syn.out_syn), host(syn.in_syn)
    # synapses onto device d's neurons, in global order (so by source, then creation, as on one device)
    owner = _owner(out_syn[:, OUT_TARGET], n, D)
    counts = np.array([np.count_nonzero(owner == d) for d in range(D)])  # (bincount: an int64 copy first)
    m = -(-max(1, int(counts.max(initial=0))) // SLOT_ALIGN) * SLOT_ALIGN
    in_owner = owner[in_syn[:, IN_SYNAPSE]]
    in_counts = np.array([np.count_nonzero(in_owner == d) for d in range(D)], np.int64)
    mparts = _model_parts(spec, D, n)
    out_parts = aligned((D, m, out_syn.shape[1]), np.int32)
    in_parts = np.zeros((D, max(1, int(in_counts.max(initial=0))), in_syn.shape[1]), np.int32)
    parts = []
    ptr = np.asarray(top.synapses.out_ptr)
    for d in range(D):
        mine = owner == d
        local = out_parts[d]
        _compress_into(out_syn, mine, local[:counts[d]])
        local[:counts[d], OUT_TARGET] -= d * n
        local[counts[d]:] = 0
        if len(in_syn):  # in_syn's synapse: the slot on device d (its rank among the device's synapses)
            rows = in_parts[d, :in_counts[d]]
            _compress_into(in_syn, in_owner == d, rows)
            rows[:, IN_SYNAPSE] = np.cumsum(mine, dtype=np.int32)[rows[:, IN_SYNAPSE]] - 1
        parts.append(_part(spec, top, par, d, n, mine, _csr(mine, ptr), m, D, mparts))
        del mine
    out_degree = max(int(np.diff(mp.synapses.out_ptr).max(initial=0)) for mp, _ in parts)
    put = functools.partial(_place, devices)
    models = tree_map(lambda *xs: put(np.stack(xs)), *[mp for mp, _ in parts])
    # the records' parts become the devices' memory (on a CPU: aligned host memory, no copy)
    models = models.replace(synapses=models.synapses.replace(out_syn=_place(devices, out_parts, alias=True),
                                                             in_syn=put(in_parts)))
    stacked = tree_map(lambda *xs: put(np.stack(xs)), *[pp for _, pp in parts])
    trace_owner = np.zeros(0, np.int64)
    if out_syn.shape[1] > OUT_TRACE:  # (a table without these columns: no plastic synapse, no trace)
        plastic = out_syn[:, OUT_ROW] >= 0
        trace = out_syn[plastic, OUT_TRACE]
        trace_owner = np.zeros(int(trace.max(initial=-1)) + 1, np.int64)
        trace_owner[trace] = owner[plastic]
    return Plan(tuple(devices), n, out_degree, models, stacked, owner, m, in_counts, trace_owner,
                top.recorders, tuple(b for _, b in mparts))


def _csr(mine, ptr):
    """CSR pointers over the synapses ``mine`` selects, for the global CSR ``ptr`` (by source): how many of
    them come before each source's first synapse. Each source's count is one sum over its range (``reduceat``,
    over runs of sources of about :data:`BLOCK` synapses: it casts its input to int32 first), then a running
    sum over the sources, instead of a running count over the synapses."""
    ptr = np.asarray(ptr, np.int64)
    N = len(ptr) - 1
    per = np.zeros(N, np.int64)
    edges = np.unique(np.concatenate([np.searchsorted(ptr[:-1], np.arange(0, int(ptr[-1]), BLOCK), side="right") - 1,
                                      [N]]))
    for s0, s1 in zip(edges[:-1], edges[1:]):  # sources s0 … s1 - 1
        some = s0 + np.flatnonzero(ptr[s0:s1] < ptr[s0 + 1:s1 + 1])  # with synapses: reduceat sums to the next
        if len(some):
            per[some] = np.add.reduceat(mine[ptr[s0]:ptr[s1]].view(np.uint8), ptr[some] - ptr[s0], dtype=np.int32)
    out = np.zeros(N + 1, np.int64)
    np.cumsum(per, out=out[1:])
    return out


def _owner(target, n, D):
    """The device of each synapse (its target's block), one byte each (two past 255 devices)."""
    out = np.empty(len(target), np.uint8 if D <= 256 else np.uint16)
    for lo in range(0, len(target), BLOCK):
        out[lo:lo + BLOCK] = target[lo:lo + BLOCK] // n
    return out


def _part(spec, top, par, d, n, synapses_of_d, out_ptr, m, D, mparts):
    """Device d's model (without out_syn/in_syn, placed separately) and params, in local indices
    (``synapses_of_d``: which synapses are device d's, ``out_ptr``: its CSR over them)."""
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
    # the engine does not read the model; the device's CSR: its synapses (in global order, so by source)
    # before each source's first global synapse
    synapses = syn.replace(model=np.zeros(0, syn.model.dtype), out_syn=None, in_syn=None,
                           out_ptr=out_ptr.astype(np.int32), in_ptr=_pad(in_ptr, n * stride + 1, in_ptr[-1]),
                           receptor1=None if syn.receptor1 is None else _pad(syn.receptor1[synapses_of_d], m, False),
                           port=None if syn.port is None else _pad(syn.port[synapses_of_d], m))
    part = Part(n=n, d=d, group=synapses_of_d, m=m)
    rec = {r.name: r.split(top.recorders[r.name], part) for r in spec.models.recorders}
    generators, gpar = _generators_part(spec, top.generators, par.generators, d, n, D)
    model = top.replace(neurons=ntop, synapses=synapses, recorders=rec, generators=generators)
    params = par.replace(neurons=neurons, generators=gpar)
    return model, params


PER_CONNECTION = ("target", "delay", "receptor", "stream", "generator", "node")  # a generator's connection arrays


def _generators_part(spec, top, par, d, n, D):
    """Device d's part of the generators of the device interface. A ``replicated`` model's every connection
    runs on every device (the same draws and state on each; those onto another device's neurons point past
    the local ones and are dropped); another's connections into recorders (every device records alike:
    first, in their order, the same on every device) and onto device d's neurons only (padding: target
    past the local neurons, weight 0, the model's ``padding`` for its own per-connection entries), in
    their order."""
    out_top, out_par = {}, dict(par)
    for m in spec.models.generators:
        t = {k: np.asarray(v) for k, v in top[m.name].items()}
        owner = t["target"] // n
        if m.replicated:
            out_top[m.name] = {**t, "target": np.where(owner == d, t["target"] - d * n, n).astype(np.int32)}
            continue
        rec = t["target"] >= RECORDING
        mine = np.concatenate([np.nonzero(rec)[0], np.nonzero((owner == d) & ~rec)[0]])
        w = max(1, max(int(np.sum(rec | (owner == e))) for e in range(D)))
        pad = {"target": n, **m.padding}
        local = np.where(rec, t["target"], t["target"] - d * n)  # a recorder's target stays past every neuron
        out_top[m.name] = {k: (_pad(local[mine], w, n) if k == "target" else _pad(v[mine], w, pad.get(k, 0)))
                           if k in PER_CONNECTION or k in m.padding else v for k, v in t.items()}
        out_par[m.name] = {**par[m.name], "weight": _pad(np.asarray(par[m.name]["weight"])[mine], w)}
    return out_top, out_par


def split(spec: Spec, plan: Plan, state: State, synapses: bool = True) -> State:
    """The global ``state`` as per-device states (leading axis: device), each part on its device;
    ``synapses=False``: without the synapse state (None; :func:`split_synapses`)."""
    D, n = len(plan.devices), plan.n_local
    st = fetch(state.replace(synapses=None))

    def by_neuron(a, axis):
        a = np.concatenate([a, np.zeros(a.shape[:axis] + (D * n - a.shape[axis],) + a.shape[axis + 1:], a.dtype)],
                           axis)
        return np.moveaxis(a.reshape(a.shape[:axis] + (D, n) + a.shape[axis + 1:]), axis, 0)

    same = lambda tree: per_device(tree, D)
    sizes = [max(1, int(np.diff(b).max())) for b in plan.model_parts]
    names = [m.name for m in spec.models.neuron_models]
    models = {b: tree_map(lambda a, i=i: np.stack([_model_split(a, plan.model_parts[i], d, sizes[i])
                                                    for d in range(D)]), st.neurons.models[b])
              for i, b in enumerate(names)}
    out = same(st).replace(
        neurons=NeuronState(models=models, current=None if st.neurons.current is None
                            else by_neuron(st.neurons.current, 1)),
        transit=tree_map(lambda a: by_neuron(a, 1), st.transit),
        synapses=None,
        plasticity=st.plasticity.replace(pre=same(st.plasticity.pre), dopa=same(st.plasticity.dopa),
                                         post=tree_map(lambda a: by_neuron(a, 0), st.plasticity.post)),
        buffers=spread_buffers(spec, st.buffers, D))
    out = spread(plan, out)
    return out.replace(synapses=split_synapses(plan, state.synapses)) if synapses else out


def spread_buffers(spec: Spec, buffers: dict, D: int) -> dict:
    """The recorders' (host) ``buffers`` as ``D`` devices' (:meth:`~jaxsnn.models.base.Recorder.spread`)."""
    return {r.name: r.spread(jax.device_get(buffers[r.name]), D) for r in spec.models.recorders}


def split_synapses(plan: Plan, synapses):
    """The global synapse state ``synapses`` as per-device parts ([D, slots], each device's synapses in
    its slot order), each on its device."""
    D = len(plan.devices)

    def by_slot(w):
        if not w.shape[0]:
            return np.zeros((D, 0), w.dtype)
        out = aligned((D, plan.slots) + w.shape[1:], w.dtype)
        for d in range(D):
            mine = plan.owner == d
            out[d, np.count_nonzero(mine):] = 0
            _compress_into(w, mine, out[d])
        return out

    # new aligned arrays: on a CPU the devices take them without a copy
    return _place(plan.devices, tree_map(by_slot, fetch(synapses)), alias=True)


def merge(spec: Spec, plan: Plan, states: State, synapses=None) -> State:
    """Per-device ``states`` back as one global state, on the first device (where an unsplit run keeps it).
    The recorders' buffers are merged by their models (:meth:`~jaxsnn.models.base.Recorder.merged`): merge
    after the host has taken the records (as :func:`jaxsnn.simulate` does). ``synapses``: the global synapse
    state, when the run cannot have changed it (taken as it is instead of gathered from the parts)."""
    D, n = len(plan.devices), plan.n_local
    st = fetch(states.replace(synapses=None))

    def by_neuron(a, axis):
        a = np.moveaxis(a, 0, axis)
        whole = a.reshape(a.shape[:axis] + (D * n,) + a.shape[axis + 2:])
        return whole.take(np.arange(spec.sizes.n_neurons), axis=axis)

    first = lambda tree: tree_map(lambda v: v[0], tree)

    def by_slot(w):
        if not w.shape[1]:
            return w[0]
        out = aligned((len(plan.owner),) + w.shape[2:], w.dtype)
        for d in range(D):
            _expand_into(w[d], plan.owner == d, out)
        return out

    Kplus = st.plasticity.pre.Kplus
    part = Part(n=n)
    counts = [np.diff(b) for b in plan.model_parts]
    models = {m.name: tree_map(lambda a, c=c: np.concatenate([a[d, :c[d]] for d in range(D)]),
                               st.neurons.models[m.name]) for m, c in zip(spec.models.neuron_models, counts)}
    out = first(st).replace(
        overflow=np.bitwise_or.reduce(st.overflow),
        neurons=NeuronState(models=models, current=None if st.neurons.current is None
                            else by_neuron(st.neurons.current, 1)),
        transit=tree_map(lambda a: by_neuron(a, 1), st.transit),
        plasticity=st.plasticity.replace(
            pre=first(st.plasticity.pre).replace(**{  # each trace from the device that owns its synapses
                name: trace[plan.trace_owner, np.arange(trace.shape[1])]
                for name, trace in (("Kplus", Kplus), ("Kplus_triplet", st.plasticity.pre.Kplus_triplet))
                if trace is not None}),
            post=tree_map(lambda a: by_neuron(a, 0), st.plasticity.post),
            dopa=_merged_dopa(plan, st.plasticity.dopa)),
        buffers={r.name: r.merged(st.buffers[r.name], plan.recorders[r.name], part) for r in spec.models.recorders})
    if synapses is None:  # new aligned arrays: on a CPU the device takes them without a copy
        synapses = jax.device_put(tree_map(by_slot, fetch(states.synapses)), home(), may_alias=True)
    return jax.device_put(out, home()).replace(synapses=synapses)


def _merged_dopa(plan: Plan, dopa):
    """A neuromodulated rule's state (:mod:`jaxsnn.core.dopamine`) from the devices: each synapse's (one trace
    each) from the device that holds it; the volume transmitters' lists and input, which every device computes
    alike from the same spikes, from the first."""
    if dopa is None:
        return None
    traces = np.arange(len(plan.trace_owner))
    return {k: v[plan.trace_owner, traces] if k in PER_TRACE else v[0] for k, v in dopa.items()}


PER_TRACE = ("c", "n", "t_update", "idx")  # the per-synapse part of Plasticity.dopa


def advance(spec: Spec, plan: Plan, states: State, n_steps) -> State:
    """:func:`jaxsnn.advance` of per-device ``states`` (from :func:`split`); ``n_steps`` a host integer."""
    run, args, name = _call(spec, plan, states, np.int32(n_steps))
    out = programs.call(run, name, *args)
    # synapses that never change go in apart and do not come back (engine.advance_fixed: no copy)
    return out.replace(synapses=states.synapses) if name == FIXED else out


FIXED = "split_advance_fixed"  # the stored programs' names (jaxsnn.run.programs)


def _call(spec, plan, states, n_steps):
    local = spec.replace(neuron_axis=AXIS, out_degree=plan.out_degree)
    model = plan.model.replace(spec=local)
    fixed = engine.fixed_synapses(spec)
    run = _compiled(local, plan.devices, fixed)
    if fixed:
        return run, (model, plan.params, states.replace(synapses=None), states.synapses, n_steps), FIXED
    return run, (model, plan.params, states, n_steps), "split_advance"


_READY = set()  # what compile_ahead compiled: (program, argument structure and shapes)


def compile_ahead(spec: Spec, plan: Plan, states: State, synapses) -> None:
    """Compile :func:`advance` for per-device ``states`` from :func:`split` with ``synapses=False``, given the
    global synapse state ``synapses``: before the per-device copy of the synapse state exists, so that
    XLA's working memory adds to less (a network's peak memory is often set here). Once per program and
    shapes; :func:`advance` then finds the program compiled (with the compilation cache on, the stored
    program when there is one: nothing is traced)."""
    D, where = len(plan.devices), _by_device(plan.devices)
    abstract = tree_map(lambda w: jax.ShapeDtypeStruct((D, plan.slots if w.shape[0] else 0) + w.shape[1:], w.dtype,
                                                       sharding=where), synapses)
    run, args, name = _call(spec, plan, states.replace(synapses=abstract), np.int32(0))
    if programs.prepare(run, name, *args) is not None:
        release()
        return
    leaves, tree = jax.tree_util.tree_flatten(args)
    key = (run, tree, tuple((np.shape(x), np.result_type(x)) for x in leaves))
    if key not in _READY:
        run.lower(*args).compile()
        _READY.add(key)
        release()  # the compiler's working memory


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
    return engine.jit(run, engine.STATIC_OPTIONS if fixed else engine.COMPILER_OPTIONS, out_shardings=parts)


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
    part = Part(n=plan.n_local, synapses_on=plan.synapses_on, source=synapses.source,
                slice_steps=spec.time.slice_steps, first=k,
                by_rank=bool(getattr(spec.plasticity.stdp_rule, "dopamine", False)))
    buffers = {}
    for r in spec.models.recorders:
        buf = host.buffers[r.name]
        buffers[r.name] = {**r.gathered(buf, plan.recorders[r.name], part),
                           "full": np.bitwise_or.reduce(np.asarray(buf["full"]).reshape(-1))}
    count = host.transit.spike_count
    if count is not None:
        count = np.moveaxis(count, 0, 1)
        count = count.reshape(count.shape[0], -1)[:, :spec.sizes.n_neurons]
    return first(host).replace(
        overflow=np.bitwise_or.reduce(host.overflow),
        transit=host.transit.replace(spike_history=history.reshape(history.shape[0], -1)[:, :spec.sizes.n_neurons],
                                     spike_count=count),
        buffers=buffers)


def per_device(tree, D: int):
    """``tree`` repeated along a new leading device axis (host arrays, no copies)."""
    return tree_map(lambda v: np.broadcast_to(v, (D,) + np.shape(v)), tree)


def spread(plan: Plan, tree):
    """``tree`` (arrays with a leading device axis) placed part by part on the plan's devices; past one
    process, each process places its own devices' parts (``tree`` is the same on every process)."""
    return _place(plan.devices, tree)


def _place(devices, tree, alias=False):
    """``alias=True``: the devices may use the arrays' memory (on a CPU, 64-byte aligned ones: no copy); the
    caller never writes them again."""
    where = _by_device(devices)
    if where.is_fully_addressable:
        return jax.device_put(tree, where, may_alias=alias or None)

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
