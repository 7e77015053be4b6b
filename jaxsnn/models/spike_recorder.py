"""spike_recorder: the spikes (sender, time) of the neurons connected to it (NEST's ``spike_recorder``).

At each slice start the engine appends the previous slice's spikes of the selected neurons whose stamp t
lies in the window ``origin + start < t <= origin + stop`` to the recorder's buffer
(:func:`jaxsnn.core.recorders.record_spikes`, ``spec.recording.record_capacity`` entries per chunk); the host
empties the buffers after every chunk (:meth:`SpikeRecorder.drain`). A full buffer sets
``Overflow.SPIKE_RECORDER`` and :func:`jaxsnn.simulate` doubles the capacity and recomputes the chunk.
A parrot_neuron's spike of multiplicity m is recorded m times, as in NEST.

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

import numpy as np

from ..core.status import Overflow
from .base import FROM_NEURONS, SPIKE_EVENTS, WINDOW, Recorder, stamps_ms


class SpikeRecorder(Recorder):
    name = "spike_recorder"
    parameters = dict(WINDOW)
    capacity = "record_capacity"
    status_bit = Overflow.SPIKE_RECORDER
    connects = FROM_NEURONS
    refused_rules = ("fixed_indegree", "fixed_outdegree", "fixed_total_number", "pairwise_bernoulli")
    layout_nodes = "spike_recorders"
    records = SPIKE_EVENTS

    @classmethod
    def drain(cls, spec, layout, top, host) -> dict:
        """Buffered spikes plus those of the unfinished slice, which are not in the buffers yet: they are
        taken from the spike history."""
        out = {}
        if not layout.spike_recorders:
            return out
        s, since = int(host.step), int(host.buffers.recorded_until)
        late_steps, late_senders = np.nonzero(host.transit.spike_history[np.arange(since, s) % spec.sizes.history])
        if getattr(host.transit, "spike_count", None) is not None:  # parrots: a spike of multiplicity m, m times
            m = host.transit.spike_count[(since + late_steps) % spec.sizes.history, late_senders]
            late_steps, late_senders = np.repeat(late_steps, m), np.repeat(late_senders, m)
        sp = host.buffers.spikes
        for k, rid in enumerate(layout.spike_recorders):
            c = int(sp.count[k])
            senders = np.concatenate([sp.senders[k, :c], late_senders])
            stamps = np.concatenate([sp.stamps[k, :c], since + late_steps + 1])
            lo, hi = top.spike_window[k]
            keep = np.arange(len(senders)) < c
            keep[c:] = top.spike_mask[k][late_senders] & (lo < stamps[c:]) & (stamps[c:] <= hi)
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
