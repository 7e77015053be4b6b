"""weight_recorder: the weight each selected synapse transmits at every presynaptic spike (NEST's
``weight_recorder``; a synapse model records to it when copied with ``{"weight_recorder": wr}``).

At each presynaptic spike the engine appends (stamp, synapse, weight) of the recorded synapses to one
buffer shared by all weight recorders (:func:`jaxsnn.core.recorders.record_weights`,
``spec.recording.weight_capacity`` entries per chunk); ``senders``/``targets`` narrow the synapses recorded.
A full buffer sets ``Overflow.WEIGHT_RECORDER`` and :func:`jaxsnn.simulate` doubles it and recomputes.

``events``: ``times`` (ms), ``senders``, ``targets``, ``weights`` (as transmitted).

Parameters (NEST's names):

=======  =======  ========================================
name     default  doc
=======  =======  ========================================
senders  None     record synapses from these nodes only
targets  None     record synapses onto these nodes only
=======  =======  ========================================
"""
from __future__ import annotations

import numpy as np

from ..build import checks
from ..core.status import Overflow
from .base import WEIGHTS, Param, Recorder, stamps_ms


class WeightRecorder(Recorder):
    name = "weight_recorder"
    parameters = {
        "senders": Param(None, "", "record synapses from these nodes only"),
        "targets": Param(None, "", "record synapses onto these nodes only"),
    }
    vector_params = ("senders", "targets")
    capacity = "weight_capacity"
    status_bit = Overflow.WEIGHT_RECORDER
    layout_nodes = "weight_recorders"
    records = WEIGHTS

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        for name in ("senders", "targets"):
            x = v[name]
            if x is not None and not hasattr(x, "ids"):
                v[name] = checks.node_ids(f"{where}: {name}", x, None)
            elif x is not None:
                checks.node_ids(f"{where}: {name}", x.ids, None)
        return v

    @classmethod
    def drain(cls, spec, layout, top, host) -> dict:
        out, wb = {}, host.buffers.weights
        c = int(wb.count)
        if c:
            syn, stamps, weights = wb.synapse[:c], wb.stamps[:c], wb.weights[:c]
            for k, rid in enumerate(layout.weight_recorders):
                sel = layout.synapse_recorder[syn] == k
                out[rid] = {"stamps": stamps[sel], "synapse": syn[sel], "weights": weights[sel]}
        return out

    @classmethod
    def events(cls, sim, rid, columns) -> dict:
        lay, top = sim.layout, sim.model.synapses
        syn = columns.get("synapse", np.zeros(0, np.int64))
        return {"times": stamps_ms(sim.spec, columns.get("stamps", np.zeros(0, np.int64))),
                "senders": lay.node_of_neuron[np.asarray(top.source)[syn]],
                "targets": lay.node_of_neuron[np.asarray(top.target)[syn]],
                "weights": columns.get("weights", np.zeros(0))}

    @classmethod
    def no_events(cls, p) -> dict:
        return {"senders": np.zeros(0, np.int64), "times": np.zeros(0), "targets": np.zeros(0, np.int64),
                "weights": np.zeros(0)}

    @classmethod
    def ascii_columns(cls, events) -> list:
        """weights (3 decimals), targets, and NEST's receptors and ports (0: jaxsnn records no ports)."""
        n = len(events["weights"])
        return [("weights", np.char.mod("%.3f", np.asarray(events["weights"]))),
                ("targets", np.asarray(events["targets"]).astype(str)), ("receptors", np.full(n, "0")),
                ("ports", np.full(n, "0"))]


MODEL = WeightRecorder
