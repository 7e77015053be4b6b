"""spike_recorder: the spikes (sender, time) of the neurons connected to it (NEST's ``spike_recorder``).

At each slice start (hook ``SLICE``) the engine hands it the previous slice's spikes; it appends those of
its neurons whose stamp t lies in the window ``origin + start < t <= origin + stop`` to its segment of
the buffers (``capacity``: entries per chunk, one per recorder; ``build(record_capacity=...)`` gives every
recorder the same; default: each recorder's own neurons and generator connections at 100 Hz through a
chunk, at least 16,384 entries). Each recorder is sized by what it records, not by the largest
recorder's: a network recording each of its populations apart holds its spikes' buffers once, not once
per population. The host empties the buffers after every chunk (:meth:`SpikeRecorder.drain`); a full
segment makes :func:`jaxsnn.simulate` double the capacities and recompute the chunk. A parrot_neuron's
spike of multiplicity m is recorded m times, as in NEST.

Generators connected to it (those whose model has ``spikes_recorded``: pulsepacket, sinusoidal_poisson,
sinusoidal_gamma, inhomogeneous_poisson, mip, gamma_sup, ppd_sup) send it a train as to any target, with
the generator as sender, as NEST's recorder gets it: the train every target gets where the generator has
one (pulsepacket, individual_spike_trains False), a train of its own where each target has its own
(individual_spike_trains True, mip's copies, gamma_sup's and ppd_sup's superpositions). The engine hands
it the counts a generator emits in each step of a slice when it pushes the slice (``pending``); the
next slice start records those of the finished slice (a count of m: m spikes, with the stamp k + 1 of
step k, the time a target's parrot spikes minus the delay), the host those of an unfinished one.

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
from .base import EMITTED, FROM_NEURONS, RECORDING, SLICE, SPIKE_EVENTS, WINDOW, Recorder, stamps_ms


@dataclasses.dataclass(frozen=True)
class SpikeRecorder(Recorder):
    """Topology: ``mask`` bool[recorders, neurons] (the neurons each records), ``window`` int32[recorders,
    2] (stamps t with lo < t <= hi), and for generators' trains ``generator_column`` (per model in
    ``generator_models``: its connections into recorders), ``generator_recorder`` and ``generator_sender``
    (per such connection: the recorder's index and the generator's node id). Buffers: ``count``
    int32[recorders], ``senders`` (neuron index, or −1 − node id of a generator), ``stamps`` and
    ``multiplicity`` int32[sum(capacity)] (recorder k's entries from ``offsets()[k]``, ``capacity[k]`` of
    them; ``multiplicity`` only where generators' trains are recorded, a neuron's spike counting once),
    ``until`` (int32): the spikes of earlier steps are
    recorded already (the host took those of the unfinished slice from the spike history and
    ``pending``), and ``pending`` int32[slice_steps, connections into recorders]: the counts the
    generators emit in the slice pushed last."""

    name = "spike_recorder"
    parameters = dict(WINDOW)
    hook = SLICE
    capacity_name = "record_capacity"
    capacity_option = True
    carried = ("until", "pending")
    connects = FROM_NEURONS
    refused_rules = ("fixed_indegree", "fixed_outdegree", "fixed_total_number", "pairwise_bernoulli")
    records = SPIKE_EVENTS
    generator_models: tuple = ()  # the generator models whose trains it records, in the order of the columns
    slice_steps: int = 1

    @classmethod
    def lower(cls, desc, net, capacity):
        nodes = desc.nodes_of(cls.name)
        if not nodes:
            return None
        mask = np.zeros((len(nodes), len(net["node_of_neuron"])), bool)
        for c in desc.connections:
            if c.model == cls.name:
                for k, r in enumerate(nodes):
                    sources = net["neuron_of_node"][c.source[c.target == r]]
                    mask[k, sources[sources >= 0]] = True  # (generators' trains below)
        h = desc.resolution
        wins = np.array([window(desc.population_of(r).params, h) for r in nodes], np.int64).reshape(-1, 2)
        models, columns, recorder, sender = [], [], [], []
        place = {r: k for k, r in enumerate(nodes)}
        for name, conns in net.get("generator_connections", {}).items():
            into = np.nonzero(np.isin(conns["target"] - RECORDING, nodes) & (conns["target"] >= RECORDING))[0]
            if len(into):
                models.append(name)
                columns.append(into.astype(np.int32))
                recorder += [place[int(t) - RECORDING] for t in conns["target"][into]]
                sender += conns["node"][into].tolist()
        if capacity:
            capacities = (int(capacity),) * len(nodes)
        else:  # each recorder's neurons and generator connections at 100 Hz through a chunk
            sources = mask.sum(axis=1) + np.bincount(np.asarray(recorder, np.int64), minlength=len(nodes))
            capacities = tuple(max(16384, int(k * net["chunk_steps"] * h * 0.1)) for k in sources)
        top = {"mask": mask, "window": wins.astype(np.int32), "generator_column": tuple(columns),
               "generator_recorder": np.asarray(recorder, np.int32), "generator_sender": np.asarray(sender, np.int32)}
        m = cls(capacity=capacities, generator_quantities=tuple((n, EMITTED) for n in models),
                generator_models=tuple(models), slice_steps=net.get("slice_steps", 1))
        return m, top, {"nodes": tuple(nodes)}

    def offsets(self) -> tuple:
        """Where each recorder's segment of the flat buffers starts."""
        return tuple(int(x) for x in np.cumsum((0,) + self.capacity[:-1]))

    def empty(self, top, dtype):
        n, total, i32 = top["mask"].shape[0], sum(self.capacity), np.int32
        return {"count": np.zeros(n, i32), "senders": np.zeros(total, i32), "stamps": np.zeros(total, i32),
                "multiplicity": np.ones(total if self.generator_models else 0, i32), "until": np.zeros((), i32),
                "pending": np.zeros((self.slice_steps, len(top["generator_sender"])), i32)}

    def split(self, top, part):
        """On a device of a split run a model whose connections are cut per device (not ``replicated``) has
        its connections into recorders first, in their order (:func:`jaxsnn.run.sharding`)."""
        from . import GENERATORS  # the registry imports this module

        cols = tuple(c if GENERATORS[m].replicated else np.arange(len(c), dtype=np.int32)
                     for m, c in zip(self.generator_models, top["generator_column"]))
        return {**top, "generator_column": cols}

    def take_generators(self, spec, top, buf, values, step):
        """Hold the counts the generators send it in the slice just pushed."""
        parts = [values[m][EMITTED][:, c] for m, c in zip(self.generator_models, top["generator_column"])]
        return {**buf, "pending": jnp.concatenate(parts, axis=1).astype(jnp.int32)}

    def record(self, spec, top, buf, senders, steps, count, step):
        """The recorders' segments of one flat array are written in place: building them apart and
        concatenating would copy the whole buffers (sized for a chunk) every slice, which for a network
        with one step per slice and several recorders costs more than the network. All recorders at once
        (a [recorders, entries] mask, one cumulative sum and one scatter per buffer): a loop over the
        recorders would put one cumulative sum and two or three scatters per recorder into the compiled
        program, whose compilation (a user's first run) grew with them (8 recorders: a third of the loop's
        machine code)."""
        valid = (jnp.arange(senders.shape[0]) < count) & (steps >= buf["until"])
        K = top["window"].shape[0]
        start = jnp.asarray(np.asarray(self.offsets(), np.int32))[:, None]
        cap = jnp.asarray(np.asarray(self.capacity, np.int32))[:, None]
        lo, hi = top["window"][:, 0:1], top["window"][:, 1:2]
        stamps = steps + 1
        # which recorder records which neuron (no neurons, generators alone: none, and nothing to look up)
        records = top["mask"][:, senders] if top["mask"].shape[1] else jnp.zeros((K,) + valid.shape, bool)
        mask = valid[None, :] & records & (lo < stamps[None, :]) & (stamps[None, :] <= hi)
        new = buf["count"] + jnp.sum(mask, axis=1, dtype=jnp.int32)
        flat = {"senders": buf["senders"], "stamps": buf["stamps"], "multiplicity": buf["multiplicity"]}
        gen = self.generator_models
        rows = {"senders": senders, "stamps": stamps}
        if gen:
            rows["multiplicity"] = jnp.ones_like(senders)
        flat = _append(flat, rows, mask, buf["count"][:, None], start, cap)
        if gen:  # the generators' counts of the slice that ended (steps step - L … step - 1), one entry per count > 0
            L = self.slice_steps
            g_steps = (step - L + jnp.arange(L))[:, None]
            g_count = buf["pending"]
            g_valid = ((g_count > 0) & (g_steps >= buf["until"])).reshape(-1)
            g_senders = jnp.broadcast_to(-1 - top["generator_sender"][None, :], g_count.shape).reshape(-1)
            g_stamps = jnp.broadcast_to(g_steps + 1, g_count.shape).reshape(-1)
            g_rec = jnp.broadcast_to(top["generator_recorder"][None, :], g_count.shape).reshape(-1)
            g_mask = (g_valid[None, :] & (g_rec[None, :] == jnp.arange(K, dtype=g_rec.dtype)[:, None])
                      & (lo < g_stamps[None, :]) & (g_stamps[None, :] <= hi))
            rows = {"senders": g_senders, "stamps": g_stamps, "multiplicity": g_count.reshape(-1)}
            flat = _append(flat, rows, g_mask, new[:, None], start, cap)
            new = new + jnp.sum(g_mask, axis=1, dtype=jnp.int32)
        capacity = cap[:, 0]
        return {**buf, "count": jnp.minimum(new, capacity), **flat,
                "until": jnp.maximum(buf["until"], step)}, jnp.any(new > capacity)

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
        g_steps, g_cols, g_counts = self._late_generator_spikes(buf, since, s)
        for k, (rid, start) in enumerate(zip(layout.recorders[self.name]["nodes"], self.offsets())):
            c = int(buf["count"][k])
            senders = np.concatenate([buf["senders"][start:start + c], late_senders]).astype(np.int64)
            stamps = np.concatenate([buf["stamps"][start:start + c], since + late_steps + 1])
            held = buf["multiplicity"][start:start + c] if self.generator_models else np.ones(c, np.int64)
            many = np.concatenate([held, np.ones(len(late_senders), np.int64)])
            lo, hi = top["window"][k]
            keep = np.arange(len(senders)) < c
            keep[c:] = top["mask"][k][late_senders] & (lo < stamps[c:]) & (stamps[c:] <= hi)
            if len(g_cols):  # the generators' spikes of the unfinished slice
                mine = (np.asarray(top["generator_recorder"])[g_cols] == k) & (lo < g_steps + 1) & (g_steps + 1 <= hi)
                senders = np.concatenate([senders, -1 - np.asarray(top["generator_sender"], np.int64)[g_cols]])
                stamps = np.concatenate([stamps, g_steps + 1])
                many = np.concatenate([many, g_counts])
                keep = np.concatenate([keep, mine])
            if keep.any():
                senders, stamps, many = senders[keep], stamps[keep], many[keep]
                nodes = -1 - senders  # generators' node ids
                if len(layout.node_of_neuron):  # (a network of generators alone has no neuron to look up)
                    nodes = np.where(senders < 0, nodes, layout.node_of_neuron[np.maximum(senders, 0)])
                out[rid] = {"senders": np.repeat(nodes, many), "stamps": np.repeat(stamps, many)}
        return out

    def _late_generator_spikes(self, buf, since, s):
        """(steps, connection columns, counts) of the generators' spikes in steps since … s − 1 of the slice
        held in ``pending`` (a run that ended inside a slice; the next slice start records the rest)."""
        if not self.generator_models or s <= since:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        L = self.slice_steps
        first = (s - 1) // L * L  # the slice the pending counts belong to
        rows, cols = np.nonzero(np.asarray(buf["pending"]))
        steps = first + rows
        keep = (steps >= since) & (steps < s)
        return steps[keep], cols[keep], np.asarray(buf["pending"])[rows, cols][keep].astype(np.int64)

    @classmethod
    def events(cls, sim, rid, columns) -> dict:
        stamps = columns.get("stamps", np.zeros(0, np.int64)).astype(np.int64)
        senders = columns.get("senders", np.zeros(0, np.int64))
        order = np.lexsort((senders, stamps))
        return {"senders": senders[order], "times": stamps_ms(sim.spec, stamps[order])}


MODEL = SpikeRecorder


def _append(flat, rows, mask, count, start, cap):
    """Each recorder k's entries ``rows`` where ``mask[k]`` (bool[recorders, entries]), in order, written
    into its segment of the ``flat`` buffers (from ``start[k]``, ``cap[k]`` long) after its ``count[k]``
    entries; past its segment: dropped (the recorder is marked full)."""
    pos = count + jnp.cumsum(mask, axis=1, dtype=jnp.int32) - 1
    keep = (mask & (pos < cap)).reshape(-1)
    index = (start + pos).reshape(-1)
    out = dict(flat)
    for name, values in rows.items():
        every = jnp.broadcast_to(values[None, :].astype(flat[name].dtype), mask.shape).reshape(-1)
        out[name] = set_where(flat[name], index, every, keep)
    return out
