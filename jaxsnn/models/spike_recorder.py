"""spike_recorder: the spikes (sender, time) of the neurons connected to it (NEST's ``spike_recorder``).

At each slice start (hook ``SLICE``) the engine hands it the previous slice's spikes; it appends those of
its neurons whose stamp t lies in the window ``origin + start < t <= origin + stop`` to its row of the
buffers (``capacity`` entries per recorder and chunk, ``build(record_capacity=...)``; default: every
recorded neuron firing at 100 Hz through a chunk, at least 16,384). The host empties the buffers after
every chunk (:meth:`SpikeRecorder.drain`); a full row makes :func:`jaxsnn.simulate` double the capacity
and recompute the chunk. A parrot_neuron's spike of multiplicity m is recorded m times, as in NEST.

``events``: ``senders`` (node ids) and ``times`` (ms), in time order, then sender.

Parameters (NEST's names and units):

========  =======  ====================================
name      default  doc
========  =======  ====================================
origin    0 ms     global time offset of start and stop
start     0 ms     active after origin + start (exclusive)
stop      inf ms   active until origin + stop (inclusive)
========  =======  ====================================
"""
from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from ..core.events import set_where
from ._interface import window
from .base import FROM_NEURONS, SLICE, SPIKE_EVENTS, WINDOW, Recorder, stamps_ms


@dataclasses.dataclass(frozen=True)
class SpikeRecorder(Recorder):
    """Topology: ``mask`` bool[recorders, neurons] (the neurons each records), ``window`` int32[recorders,
    2] (stamps t with lo < t <= hi). Buffers: ``count`` int32[recorders], ``senders`` and ``stamps``
    int32[recorders, capacity], and ``until`` (int32): the spikes of earlier steps are recorded already (the
    host took those of the unfinished slice from the spike history)."""

    name = "spike_recorder"
    parameters = dict(WINDOW)
    hook = SLICE
    capacity_name = "record_capacity"
    capacity_option = True
    carried = ("until",)
    connects = FROM_NEURONS
    refused_rules = ("fixed_indegree", "fixed_outdegree", "fixed_total_number", "pairwise_bernoulli")
    records = SPIKE_EVENTS

    @classmethod
    def lower(cls, desc, net, capacity):
        nodes = desc.nodes_of(cls.name)
        if not nodes:
            return None
        mask = np.zeros((len(nodes), len(net["node_of_neuron"])), bool)
        for c in desc.connections:
            if c.model == cls.name:
                for k, r in enumerate(nodes):
                    mask[k, net["neuron_of_node"][c.source[c.target == r]]] = True
        h = desc.resolution
        wins = np.array([window(desc.population_of(r).params, h) for r in nodes], np.int64).reshape(-1, 2)
        recorded_max = int(mask.sum(axis=1).max(initial=0))
        capacity = int(capacity or max(16384, recorded_max * net["chunk_steps"] * h * 0.1))  # 100 Hz
        return cls(capacity=capacity), {"mask": mask, "window": wins.astype(np.int32)}, {"nodes": tuple(nodes)}

    def empty(self, top, dtype):
        n, cap, i32 = top["mask"].shape[0], self.capacity, np.int32
        return {"count": np.zeros(n, i32), "senders": np.zeros((n, cap), i32), "stamps": np.zeros((n, cap), i32),
                "until": np.zeros((), i32)}

    def record(self, spec, top, buf, senders, steps, count, step):
        """The recorders' [recorders, capacity] buffers are written as one flat array, each recorder's
        entries at its row's offset, in place: building the rows apart and stacking them would copy the
        whole buffers (sized for a chunk) every slice, which for a network with one step per slice and
        several recorders costs more than the network."""
        if top["mask"].shape[1] == 0:  # no neurons (generators only): nothing to record on the device
            return {**buf, "until": jnp.maximum(buf["until"], step)}, jnp.zeros((), bool)
        valid = (jnp.arange(senders.shape[0]) < count) & (steps >= buf["until"])
        stamps = steps + 1
        cap = self.capacity
        flat_s, flat_t = buf["senders"].reshape(-1), buf["stamps"].reshape(-1)
        counts, over = [], jnp.zeros((), bool)
        for k in range(top["mask"].shape[0]):
            lo, hi = top["window"][k, 0], top["window"][k, 1]
            mask = valid & top["mask"][k, senders] & (lo < stamps) & (stamps <= hi)
            pos = buf["count"][k] + jnp.cumsum(mask, dtype=jnp.int32) - 1
            keep = mask & (pos < cap)  # past its row: dropped (the recorder is marked full)
            flat_s = set_where(flat_s, k * cap + pos, senders.astype(flat_s.dtype), keep)
            flat_t = set_where(flat_t, k * cap + pos, stamps.astype(flat_t.dtype), keep)
            new = buf["count"][k] + jnp.sum(mask, dtype=jnp.int32)
            counts.append(jnp.minimum(new, cap))
            over = over | (new > cap)
        return {**buf, "count": jnp.stack(counts), "senders": flat_s.reshape(buf["senders"].shape),
                "stamps": flat_t.reshape(buf["stamps"].shape), "until": jnp.maximum(buf["until"], step)}, over

    def emptied(self, buf, step):
        return {**super().emptied(buf, step), "until": np.full(np.shape(buf["until"]), step, np.int32)}

    def drain(self, spec, layout, top, buf, host) -> dict:
        """Buffered spikes plus those of the unfinished slice, which are not in the buffers yet: they are
        taken from the spike history."""
        out = {}
        s, since = int(host.step), int(buf["until"])
        late_steps, late_senders = np.nonzero(host.transit.spike_history[np.arange(since, s) % spec.sizes.history])
        if getattr(host.transit, "spike_count", None) is not None:  # parrots: a spike of multiplicity m, m times
            m = host.transit.spike_count[(since + late_steps) % spec.sizes.history, late_senders]
            late_steps, late_senders = np.repeat(late_steps, m), np.repeat(late_senders, m)
        for k, rid in enumerate(layout.recorders[self.name]["nodes"]):
            c = int(buf["count"][k])
            senders = np.concatenate([buf["senders"][k, :c], late_senders])
            stamps = np.concatenate([buf["stamps"][k, :c], since + late_steps + 1])
            lo, hi = top["window"][k]
            keep = np.arange(len(senders)) < c
            keep[c:] = top["mask"][k][late_senders] & (lo < stamps[c:]) & (stamps[c:] <= hi)
            if keep.any():
                out[rid] = {"senders": layout.node_of_neuron[senders[keep]], "stamps": stamps[keep]}
        return out

    @classmethod
    def events(cls, sim, rid, columns) -> dict:
        stamps = columns.get("stamps", np.zeros(0, np.int64)).astype(np.int64)
        senders = columns.get("senders", np.zeros(0, np.int64))
        order = np.lexsort((senders, stamps))
        return {"senders": senders[order], "times": stamps_ms(sim.spec, stamps[order])}


MODEL = SpikeRecorder
