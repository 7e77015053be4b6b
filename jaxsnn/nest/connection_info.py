"""NEST's bookkeeping keys of a connection: ``port``, ``receptor``, ``sizeof``, ``synapse_id``,
``target_thread`` (``GetConnections(...).get()``), and the ``ports``/``receptors`` of weight_recorder events.

jaxsnn keeps no such tables; they follow from the connections made, as NEST 3.10 derives them:

- ``synapse_id``: the synapse model's index in NEST's model registry (not its place in the alphabetical
  ``nest.synapse_models``); copies made with CopyModel count on from 77 in the order they were made.
- ``target_thread``: the thread of the target, ``node id % total_num_virtual_procs``; a connection to a
  recorder lives on the thread of its source (NEST keeps a recorder on every thread).
- ``port``: the connection's index in its connector. Between neurons: one connector per (target thread,
  synapse model) with the connections sorted by source; from a device: one per (device, thread, model),
  in the order made; to a device: one per (source, model), in the order made. NEST sorts with an unstable
  sort, so which of one source's connections takes which of its ports is NEST's sort's choice: jaxsnn gives
  them in the order made (each source's set of ports is NEST's).
- ``receptor``: the receptor port: ``receptor_type`` as connected; from a multimeter the 1-based count of
  multimeters connected to that neuron so far (NEST's data-logger index); 0 to a spike_recorder.
- ``sizeof``: bytes of NEST's connection object (NEST reports none for some models: None).

Values measured with NEST 3.10 (``tests/test_nest_status_keys.py``).
"""
from __future__ import annotations

import numpy as np

from ..build.registry import NEURONS
from ..models import DEFAULT_SYNAPSE, RECORDERS
from .kernel import KERNEL

INFO = ("port", "receptor", "sizeof", "synapse_id", "target_thread")

# NEST 3.10's synapse model ids and connection sizes (bytes) of the synapse models jaxsnn has; None: NEST
# reports no sizeof for that model
_NEST_SYNAPSES = {
    "bernoulli_synapse": (0, 40), "bernoulli_synapse_hpc": (1, 24),
    "quantal_stp_synapse": (23, None), "quantal_stp_synapse_hpc": (24, None),
    "static_synapse": (29, 32), "static_synapse_hpc": (30, 16),
    "static_synapse_hom_w": (32, 24), "static_synapse_hom_w_hpc": (33, 8),
    "stdp_dopamine_synapse": (35, None), "stdp_dopamine_synapse_hpc": (36, None),
    "stdp_nn_pre_centered_synapse": (38, 96), "stdp_nn_pre_centered_synapse_hpc": (39, 80),
    "stdp_nn_restr_synapse": (41, 88), "stdp_nn_restr_synapse_hpc": (42, 72),
    "stdp_nn_symm_synapse": (44, 88), "stdp_nn_symm_synapse_hpc": (45, 72),
    "stdp_pl_synapse_hom": (47, 48), "stdp_pl_synapse_hom_hpc": (48, 32),
    "stdp_synapse": (50, 96), "stdp_synapse_hpc": (51, 80),
    "stdp_synapse_hom": (56, 48), "stdp_synapse_hom_hpc": (57, 32),
    "stdp_triplet_synapse": (59, None), "stdp_triplet_synapse_hpc": (60, None),
    "tsodyks2_synapse": (62, 80), "tsodyks2_synapse_hpc": (63, 64),
    "tsodyks_synapse": (65, 96), "tsodyks_synapse_hpc": (66, 80),
    "tsodyks_synapse_hom": (68, None), "tsodyks_synapse_hom_hpc": (69, None),
    "vogels_sprekeler_synapse": (74, 80), "vogels_sprekeler_synapse_hpc": (75, 64),
}
FIRST_COPY_ID = 77  # NEST 3.10 has 77 built-in synapse models: copies number on from there


def synapse_id(model: str) -> int:
    """NEST's ``synapse_modelid`` of synapse model ``model`` (a built-in name or a copy's)."""
    if model in _NEST_SYNAPSES:
        return _NEST_SYNAPSES[model][0]
    copies = [m.name for m in KERNEL.net.models._models.values() if m.kind == "synapse" and m.name != m.base
              and m.name not in _NEST_SYNAPSES]
    return FIRST_COPY_ID + copies.index(model)


def sizeof(model: str):
    """Bytes of NEST's connection object of ``model`` (a copy: its built-in model's); None where NEST has none."""
    m = KERNEL.net.models.get(model)
    return _NEST_SYNAPSES.get(model, _NEST_SYNAPSES.get(m.base, (0, None)))[1]


def thread_of(node_ids) -> np.ndarray:
    """NEST's thread (= virtual process in one process) of nodes: ``node id % total_num_virtual_procs``."""
    return np.asarray(node_ids, np.int64) % int(KERNEL.settings["total_num_virtual_procs"])


def thread_local_ids(members) -> np.ndarray:
    """NEST's thread_local_id of nodes: a node's index among the nodes of its thread, in id order, where
    devices (generators, recorders) are on every thread and a neuron on thread ``node id % virtual processes``;
    devices report thread 0's. -1 for nodes created after NEST last numbered them (``Kernel.number_nodes``)."""
    members = np.asarray(members, np.int64)
    n = min(KERNEL.numbered, int(KERNEL.net._n_nodes))
    vps = int(KERNEL.settings["total_num_virtual_procs"])
    ids = np.arange(1, n + 1)
    neuron = np.zeros(n, bool)
    for p in KERNEL.net._pops:
        if p.base in NEURONS and p.first <= n:
            neuron[p.first - 1:min(p.first - 1 + p.n, n)] = True
    devices_before = np.concatenate([[0], np.cumsum(~neuron)])  # [i - 1]: devices among ids < i
    thread = np.where(neuron, ids % vps, 0)  # a device: thread 0's copy
    out = np.full(len(members), -1, np.int64)
    known = members <= n
    for t in np.unique(thread[members[known] - 1]):
        on_t = ids[neuron & (thread == t)]  # the neurons of thread t, ascending
        k = known & (thread[np.minimum(members, max(n, 1)) - 1] == t)
        out[k] = devices_before[members[k] - 1] + np.searchsorted(on_t, members[k])
    return out


def _all_connections(net):
    """Every connect call's rows as flat arrays: call, row, source, target, model name."""
    calls = [(j, c) for j, c in enumerate(net._conns) if len(c.source)]
    if not calls:
        z = np.zeros(0, np.int64)
        return z, z, z, z, np.zeros(0, object)
    call = np.concatenate([np.full(len(c.source), j, np.int64) for j, c in calls])
    row = np.concatenate([np.arange(len(c.source)) for _, c in calls])
    src = np.concatenate([np.asarray(c.source, np.int64) for _, c in calls])
    tgt = np.concatenate([np.asarray(c.target, np.int64) for _, c in calls])
    model = np.concatenate([np.full(len(c.source), DEFAULT_SYNAPSE if c.model in RECORDERS else c.model, object)
                            for _, c in calls])
    return call, row, src, tgt, model


def _is_neuron(net, ids) -> np.ndarray:
    pops = net._pops
    firsts = np.array([p.first for p in pops])
    neuron = np.array([p.base in NEURONS for p in pops])
    return neuron[np.searchsorted(firsts, ids, side="right") - 1] if len(ids) else np.zeros(0, bool)


def info(places: np.ndarray) -> dict:
    """``INFO``'s columns (int arrays, ``sizeof`` an object array) of the connections at ``places``
    ((connect call, row) pairs)."""
    call, row, every = _every_connection()
    where = _lookup(call, row, places)
    return {k: v[where] for k, v in every.items()}


def _every_connection():
    """``INFO``'s columns of every connection, kept until a connection is added or the threads change
    (connections are only appended and their sources, targets and models never change): GetStatus asks once
    per connection."""
    net = KERNEL.net
    key = (KERNEL.generation, id(net), len(net._conns), sum(len(c.source) for c in net._conns),
           int(KERNEL.settings["total_num_virtual_procs"]), len(net.models._models))
    cached = KERNEL.__dict__.get("connection_info")
    if cached is not None and cached[0] == key:
        return cached[1]
    call, row, src, tgt, model = _all_connections(net)
    from_neuron, to_neuron = _is_neuron(net, src), _is_neuron(net, tgt)
    ids = {m: synapse_id(m) for m in set(model.tolist())}
    syn = np.array([ids[m] for m in model], np.int64)
    thread = np.where(to_neuron, thread_of(tgt), thread_of(src))
    # connector of each connection: neuron -> neuron (thread, model); from a device (device, thread, model); to a
    # device (source, model); sorted by source (between neurons), else in the order made
    kind = np.where(~from_neuron, 2, np.where(to_neuron, 0, 1))
    owner = np.where(kind == 0, 0, src)
    order = np.lexsort((row, call, src, owner, thread, syn, kind))
    connector = np.stack([kind, syn, thread, owner], axis=1)[order]
    start = np.ones(len(order), bool)
    start[1:] = (connector[1:] != connector[:-1]).any(axis=1)
    first = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    port = np.empty(len(order), np.int64)
    port[order] = np.arange(len(order)) - first
    sizes = {m: sizeof(m) for m in ids}
    size = np.empty(len(model), object)
    size[:] = [sizes[m] for m in model]
    every = (call, row, {"port": port, "receptor": _receptors(net, call, row, src, tgt), "sizeof": size,
                         "synapse_id": syn, "target_thread": thread})
    KERNEL.connection_info = (key, every)
    return every


def _receptors(net, call, row, src, tgt) -> np.ndarray:
    """The receptor port of each connection (see the module docstring)."""
    out = np.zeros(len(call), np.int64)
    loggers = {}  # neuron -> multimeters connected to it so far
    for j in np.unique(call):
        c = net._conns[int(j)]
        mine = call == j
        if c.model == "multimeter":  # NEST's data-logger index of the neuron, 1-based
            k = np.empty(int(mine.sum()), np.int64)
            for i, t in enumerate(tgt[mine].tolist()):
                loggers[t] = k[i] = loggers.get(t, 0) + 1
            out[mine] = k
        elif c.model not in RECORDERS:
            r = np.asarray(c.extra.get("receptor_type", 0))
            out[mine] = r[row[mine]] if r.ndim else int(r)
    return out


def _lookup(call, row, places) -> np.ndarray:
    """Index into the flat arrays of each (call, row) of ``places``."""
    keys = call * 2**32 + row
    order = np.argsort(keys)
    return order[np.searchsorted(keys[order], places[:, 0] * 2**32 + places[:, 1])]
