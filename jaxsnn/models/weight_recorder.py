"""weight_recorder: the weight each selected synapse transmits at every presynaptic spike (NEST's
``weight_recorder``; a synapse model records to it when copied with ``{"weight_recorder": wr}``).

At every event a synapse delivers (hook ``EVENT``) the engine hands it the synapses and the weights they
transmit; it appends (stamp, synapse, weight) of the recorded synapses to one buffer shared by all weight
recorders (``capacity`` entries per chunk, ``build(weight_capacity=...)``, default 16,384);
``senders``/``targets`` narrow the synapses recorded. A full buffer makes :func:`jaxsnn.simulate` double
it and recompute the chunk. Recorded synapses are always delivered event by event (never by a dense
projection).

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

import dataclasses

import jax.numpy as jnp
import numpy as np

from .. import checks
from ..core.recorders import append
from .base import EVENT, RECORDED_BY, WEIGHTS, Param, Recorder, stamps_ms


@dataclasses.dataclass(frozen=True)
class WeightRecorder(Recorder):
    """Topology: ``mask`` bool[synapses] (recorded by some weight recorder). Buffers: ``count`` (int32),
    ``stamps``, ``synapse`` (int32[capacity]) and ``weights`` [capacity]; the host info ``synapse_recorder``
    says per synapse which weight recorder (index into ``nodes``) records it, -1: none."""

    name = "weight_recorder"
    parameters = {
        "senders": Param(None, "", "record synapses from these nodes only"),
        "targets": Param(None, "", "record synapses onto these nodes only"),
    }
    vector_params = ("senders", "targets")
    hook = EVENT
    capacity_name = "weight_capacity"
    capacity_option = True
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
    def lower(cls, desc, net, capacity):
        nodes = desc.nodes_of(cls.name)
        if not nodes:
            return None
        syn, node_of_neuron = net["synapses"], net["node_of_neuron"]
        syn_rec = np.full(len(syn["tgt"]), -1, np.int32)
        ends = {"src": syn["sources"](), "tgt": syn["tgt"]}
        for k, r in enumerate(nodes):
            p = desc.population_of(r).params
            for mi, name in enumerate(syn["models"]):
                recorder = desc.models[name].defaults.get(RECORDED_BY)
                if recorder is None or r not in recorder.ids:
                    continue
                sel = syn["mdl"] == mi
                for end, ids in (("src", p["senders"]), ("tgt", p["targets"])):
                    if ids is not None:
                        sel &= np.isin(node_of_neuron[ends[end]], np.asarray(getattr(ids, "ids", ids)))
                syn_rec[sel] = k
        capacity = int(capacity or 16384)
        return cls(capacity=capacity), {"mask": syn_rec >= 0}, {"nodes": tuple(nodes), "synapse_recorder": syn_rec}

    def empty(self, top, dtype):
        cap, i32 = self.capacity, np.int32
        return {"count": np.zeros((), i32), "stamps": np.zeros(cap, i32), "synapse": np.zeros(cap, i32),
                "weights": np.zeros(cap, dtype)}

    def record(self, spec, top, buf, e, mask, w, stamp):
        (a, b, c), n, o = append((buf["stamps"], buf["synapse"], buf["weights"]), buf["count"], self.capacity,
                                 mask & top["mask"][e], (jnp.broadcast_to(stamp, e.shape), e, w))
        return {**buf, "count": n, "stamps": a, "synapse": b, "weights": c}, o

    def recorded_synapses(self, top):
        return np.asarray(top["mask"], bool)

    def split(self, top, part):
        return {**top, "mask": part.synapses(np.asarray(top["mask"]), False)}

    def spread(self, buf, D):
        """Earlier records stay on device 0."""
        out = super().spread(buf, D)
        count = np.zeros(D, np.int32)
        count[0] = buf["count"]
        return {**out, "count": count}

    def gathered(self, buf, top, part):
        """The devices' records in the order one device records them (by slice, sender, step, synapse; with
        ``part.by_rank``, by slice, the rank of the sender's spike in the slice, sender, synapse)."""
        take = [np.arange(int(c)) for c in buf["count"]]
        synapse = np.concatenate([part.synapses_on(d)[buf["synapse"][d][t]] for d, t in enumerate(take)])
        stamps = np.concatenate([buf["stamps"][d][t] for d, t in enumerate(take)])
        w = np.concatenate([buf["weights"][d][t] for d, t in enumerate(take)])
        # a parrot's spike of multiplicity m is m events of one sender and step, each over all its synapses:
        # the repeat goes before the synapse (a synapse's records are all on one device, in its order)
        by_synapse = np.lexsort((np.arange(len(synapse)), stamps, synapse))
        new_group = np.ones(len(synapse), bool)
        new_group[1:] = (np.diff(synapse[by_synapse]) != 0) | (np.diff(stamps[by_synapse]) != 0)
        starts = np.maximum.accumulate(np.where(new_group, np.arange(len(synapse)), 0))
        repeat = np.empty(len(synapse), np.int64)
        repeat[by_synapse] = np.arange(len(synapse)) - starts
        slices = (stamps - 1) // part.slice_steps
        order = np.lexsort((synapse, repeat, stamps, part.source[synapse], slices))
        if part.by_rank:  # one device delivers the r-th spikes of all senders of a slice together, r = 0, 1, ...:
            # by slice, rank of the sender's spike in it (a synapse's r-th record of the slice), sender, synapse
            by_synapse = np.lexsort((np.arange(len(synapse)), stamps, slices, synapse))
            new_group[1:] = (np.diff(synapse[by_synapse]) != 0) | (np.diff(slices[by_synapse]) != 0)
            starts = np.maximum.accumulate(np.where(new_group, np.arange(len(synapse)), 0))
            rank = np.empty(len(synapse), np.int64)
            rank[by_synapse] = np.arange(len(synapse)) - starts
            order = np.lexsort((synapse, part.source[synapse], rank, slices))
        return {"count": np.int32(len(order)), "synapse": synapse[order], "stamps": stamps[order],
                "weights": w[order], "full": np.bitwise_or.reduce(buf["full"])}

    def drain(self, spec, layout, top, buf, host) -> dict:
        out, c = {}, int(buf["count"])
        if c:
            info = layout.recorders[self.name]
            syn, stamps, weights = buf["synapse"][:c], buf["stamps"][:c], buf["weights"][:c]
            for k, rid in enumerate(info["nodes"]):
                sel = info["synapse_recorder"][syn] == k
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
    def ascii_columns(cls, events, precision: int = 3) -> list:
        """weights (``precision`` decimals), targets, and NEST's receptors and ports (0 where the events have
        none: the functional API's)."""
        n = len(events["weights"])
        ints = lambda k: np.asarray(events.get(k, np.zeros(n, np.int64))).astype(np.int64).astype(str)  # noqa: E731
        return [("weights", np.char.mod(f"%.{precision}f", np.asarray(events["weights"]))),
                ("targets", ints("targets")), ("receptors", ints("receptors")), ("ports", ints("ports"))]


MODEL = WeightRecorder
