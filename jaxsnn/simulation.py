"""A compiled network at one moment of simulated time, and how to advance it.

:class:`Simulation` bundles the static :class:`~jaxsnn.structs.Spec`, the ``params`` and ``state``
pytrees, the host-side :class:`~jaxsnn.compile.Layout` and what the recorders have gathered so far.
It is immutable: :func:`simulate` returns a new one. The loop runs on the device in chunks of
``chunk_steps`` steps; after each chunk the recorder buffers are moved to the host, and any exceeded
capacity is grown and the chunk recomputed from its start (nothing is dropped). With several devices
(``devices``), the neurons are split over them (:mod:`jaxsnn.sharding`), with the same results.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from . import engine, sharding
from .errors import CapacityError, JaxsnnError, bad_value
from .nodes import NodeCollection
from .structs import OUT_DELAY, OUT_TARGET, Params, Spec, State

if TYPE_CHECKING:
    import pandas as pd


def frame(columns: dict, index=None) -> pd.DataFrame:
    """A pandas frame of ``columns`` (indexed by node id ``index`` if given), which it takes over without
    copying them (pass arrays nothing else holds): for 6 M connections that saves ~200 MiB. pandas is
    imported here, on first use: it costs ~30 MiB and 0.3 s that a simulation does not need."""
    import pandas as pd

    return pd.DataFrame(columns, index=None if index is None else pd.Index(index, name="global_id"), copy=False)


@dataclasses.dataclass(frozen=True)
class Simulation:
    spec: Spec
    params: Params
    state: State
    layout: object
    chunk_steps: int = 10000
    records: dict = dataclasses.field(default_factory=dict)  # recorder node id -> tuple of column dicts
    devices: int | None = None  # devices to split the neurons over; None: all of jax.devices()
    plan: tuple = dataclasses.field(default=(), repr=False, compare=False)  # (params, sharding.Plan) or ()

    # ------------------------------------------------------------------------------------ time
    @property
    def time(self) -> float:
        """Simulated time in ms (steps × resolution)."""
        return int(self.state.step) * self.spec.resolution

    def steps(self, t_ms: float, name: str = "t") -> int:
        n = t_ms / self.spec.resolution
        if not (np.isfinite(n) and n >= 0 and abs(n - round(n)) < 1e-9):
            raise bad_value(name, t_ms, f"a duration >= 0 that is a whole number of steps of {self.spec.resolution} ms")
        return int(round(n))

    # ----------------------------------------------------------------------------------- views
    def _neurons(self, nodes) -> np.ndarray:
        ids = np.arange(1, self.layout.n_nodes + 1) if nodes is None else np.asarray(getattr(nodes, "ids", nodes))
        idx = self.layout.neuron_of_node[ids]
        if (idx < 0).any():
            raise bad_value("nodes", int(ids[np.argmax(idx < 0)]), "neuron node ids")
        return ids, idx

    def get(self, nodes=None, names=("V_m",)) -> pd.DataFrame:
        """Neuron parameters and state as a frame indexed by node id (NEST's ``get(..., output="pandas")``)."""
        ids, idx = self._neurons(nodes if nodes is not None else NodeCollection(None, self.layout.node_of_neuron))
        p, st = self.params.neurons, self.state
        cols = {}
        for name in ([names] if isinstance(names, str) else names):
            if name == "V_m":
                v = np.asarray(st.V_rel + p.E_L)
            elif name == "refractory_steps_left":
                v = np.asarray(st.refractory)
            elif hasattr(p, name) and name not in ("P33", "P30"):
                v = np.asarray(getattr(p, name))
            else:
                raise bad_value("names", name, "V_m, refractory_steps_left or an iaf_psc_delta parameter")
            cols[name] = v[idx]
        return frame(cols, index=ids)

    def connections(self, synapse_model=None, source=None, target=None) -> pd.DataFrame:
        """Neuron-to-neuron connections: ``source``, ``target``, ``weight``, ``delay``, ``synapse_model``.

        ``weight`` follows NEST: for plastic synapses it is the weight after the last presynaptic spike
        (facilitation by later post spikes shows up at the next pre spike). Rows are sorted by source,
        then creation order (NEST's order is unspecified).
        """
        syn, lay = self.params.synapses, self.layout
        m, src, out_syn = np.asarray(syn.model), np.asarray(syn.source), np.asarray(syn.out_syn)
        tgt = out_syn[:, OUT_TARGET]
        sel = np.ones(len(m), bool)
        if synapse_model is not None:
            if synapse_model not in lay.synapse_models:
                raise bad_value("synapse_model", synapse_model, f"one of {list(lay.synapse_models)}")
            sel &= m == lay.synapse_models.index(synapse_model)
        for name, nodes, neuron in (("source", source, src), ("target", target, tgt)):
            if nodes is not None:
                ids = np.asarray(getattr(nodes, "ids", nodes)).reshape(-1)
                if ids.size and not np.issubdtype(ids.dtype, np.integer):
                    raise bad_value(name, nodes, "node ids (integers or a NodeCollection)")
                ids = ids[(ids >= 1) & (ids <= lay.n_nodes)].astype(np.int64)
                sel &= np.isin(neuron, lay.neuron_of_node[ids])
        # every column a new array the frame owns; no copies of whole columns when nothing is left out
        pick = (lambda a: a) if sel.all() else (lambda a: a[sel])
        names = np.asarray(lay.synapse_models, dtype=object)
        return frame({
            "source": lay.node_of_neuron[pick(src)], "target": lay.node_of_neuron[pick(tgt)],
            "weight": np.array(pick(np.asarray(self.state.weight_reported))),
            "delay": pick(out_syn[:, OUT_DELAY]) * self.spec.resolution,
            "synapse_model": names[pick(m)] if len(names) else np.zeros(0, object)})

    def _columns(self, recorder) -> dict:
        rid = int(getattr(recorder, "ids", [recorder])[0])
        chunks = self.records.get(rid, ())
        if not chunks:
            return {}
        return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}

    def events(self, recorder) -> pd.DataFrame:
        """Spike events of a spike_recorder (``senders``, ``times`` in ms), in time order, then sender."""
        rid = int(getattr(recorder, "ids", [recorder])[0])
        if rid not in self.layout.spike_recorders:
            raise bad_value("recorder", rid, f"a spike_recorder node id {list(self.layout.spike_recorders)}")
        c = self._columns(rid)
        stamps = c.get("stamps", np.zeros(0, np.int64)).astype(np.int64)
        senders = c.get("senders", np.zeros(0, np.int64))
        order = np.lexsort((senders, stamps))
        return frame({"senders": senders[order],
                      "times": 0.001 * (stamps[order] * self.spec.tics_per_step)})

    def multimeter(self, recorder) -> pd.DataFrame:
        """Samples of a multimeter: ``times``, ``senders``, ``V_m`` (long format, as NEST's events)."""
        rid = int(getattr(recorder, "ids", [recorder])[0])
        if rid not in self.layout.multimeters:
            raise bad_value("recorder", rid, f"a multimeter node id {list(self.layout.multimeters)}")
        k = self.layout.multimeters.index(rid)
        c = self._columns(rid)
        senders = self.layout.node_of_neuron[np.asarray(self.params.devices.mm_index[k])]
        stamps = c.get("stamps", np.zeros(0, np.int64))
        vals = c.get("V_m", np.zeros((0, len(senders))))
        return frame({"times": np.repeat(0.001 * (stamps.astype(np.int64) * self.spec.tics_per_step), len(senders)),
                      "senders": np.tile(senders, len(stamps)), "V_m": vals.reshape(-1)})

    def weights(self, recorder) -> pd.DataFrame:
        """Events of a weight_recorder: ``times``, ``senders``, ``targets``, ``weights`` (transmitted)."""
        rid = int(getattr(recorder, "ids", [recorder])[0])
        if rid not in self.layout.weight_recorders:
            raise bad_value("recorder", rid, f"a weight_recorder node id {list(self.layout.weight_recorders)}")
        c = self._columns(rid)
        syn = c.get("synapse", np.zeros(0, np.int64))
        lay = self.layout
        return frame({
            "times": 0.001 * (c.get("stamps", np.zeros(0, np.int64)).astype(np.int64) * self.spec.tics_per_step),
            "senders": lay.node_of_neuron[np.asarray(self.params.synapses.source)[syn]],
            "targets": lay.node_of_neuron[np.asarray(self.params.synapses.target)[syn]],
            "weights": c.get("weights", np.zeros(0))})

    def replace(self, **kw) -> "Simulation":
        return dataclasses.replace(self, **kw)


def simulate(sim: Simulation, t: float, *, progress: bool = False) -> Simulation:
    """Advance ``sim`` by ``t`` ms (a whole number of steps) and return the new :class:`Simulation`.

    Results depend only on the global step, never on how a run is split: ``simulate(simulate(s, a), b)``
    equals ``simulate(s, a + b)`` bit for bit. ``progress=True`` prints a progress line per chunk.
    """
    n = sim.steps(t)
    sim = _planned(sim)
    if sim.plan:  # split once; chunks advance the per-device states
        sim = sim.replace(state=sharding.split(sim.spec, sim.plan[1], sim.state))
    done, t0 = 0, time.perf_counter()
    while done < n:
        k = min(sim.chunk_steps, n - done)
        sim = _chunk(sim, k)
        done += k
        if progress:
            el = time.perf_counter() - t0
            print(f"\r[jaxsnn] {done * sim.spec.resolution:.1f}/{n * sim.spec.resolution:.1f} ms "
                  f"({100 * done / n:.0f} %, {el:.1f} s)", end="" if done < n else "\n", file=sys.stderr, flush=True)
    if sim.plan:
        sim = sim.replace(state=sharding.merge(sim.spec, sim.plan[1], sim.state))
    return sim


def _planned(sim: Simulation) -> Simulation:
    """``sim`` with a sharding plan for its devices (kept while its params are the same object)."""
    available = jax.devices()
    n = len(available) if sim.devices is None else sim.devices
    if not (isinstance(n, (int, np.integer)) and 1 <= n <= len(available)):
        raise bad_value("devices", sim.devices, f"a number of devices from 1 to {len(available)} (jax.devices()), "
                        "or None for all")
    n = min(int(n), max(1, sim.spec.n_neurons))
    if n == 1:
        return sim.replace(plan=())
    if not (sim.plan and sim.plan[0] is sim.params and len(sim.plan[1].devices) == n):
        sim = sim.replace(plan=(sim.params, sharding.plan(sim.spec, sim.params, tuple(available[:n]))))
    return sim


def _chunk(sim: Simulation, k: int) -> Simulation:
    """Run ``k`` steps; on overflow grow the capacity and recompute the chunk from its start.

    ``sim.state`` is split over devices when ``sim.plan`` is set (see :func:`simulate`)."""
    from .compile import empty_buffers

    spec, state = sim.spec, sim.state
    for _ in range(32):
        if sim.plan:
            new = sharding.advance(spec, sim.plan[1], state, jnp.int32(k))
            # to the host in one transfer; slicing device arrays by counts would compile a program per count
            h = sharding.recorders(spec, sim.plan[1], new, sim.params.synapses.source)
        else:
            new = engine.advance_jit(spec, sim.params, state, jnp.int32(k))
            h = jax.device_get({name: getattr(new, name) for name in engine.RECORDED})
        flags = int(h["overflow"])
        if not flags:
            break
        spec = _grown(spec, flags)
        buffers = empty_buffers(spec, sim.params, sim.state.V_rel.dtype)
        if sim.plan:  # one copy per device
            buffers = sharding.spread(sim.plan[1], jax.tree_util.tree_map(
                lambda v: np.broadcast_to(v, (len(sim.plan[1].devices),) + v.shape), buffers))
        state = state.replace(**buffers)
    else:
        raise CapacityError(f"capacities still exceeded after growing them (overflow flags {flags}).")
    records = dict(sim.records)
    lay = sim.layout
    sr_mask, sr_window = jax.device_get((sim.params.devices.sr_mask, sim.params.devices.sr_window))
    # spikes of the unfinished slice are not in the buffers yet: take them from the spike history
    s, since = int(h["step"]), int(h["recorded_until"])
    if lay.spike_recorders:
        late_steps, late_senders = np.nonzero(h["spike_history"][np.arange(since, s) % spec.history])
    for k_, rid in enumerate(lay.spike_recorders):
        c = int(h["sr_count"][k_])
        senders = np.concatenate([h["sr_senders"][k_, :c], late_senders])
        stamps = np.concatenate([h["sr_stamps"][k_, :c], since + late_steps + 1])
        lo, hi = sr_window[k_]
        keep = np.arange(len(senders)) < c
        keep[c:] = sr_mask[k_][late_senders] & (lo < stamps[c:]) & (stamps[c:] <= hi)
        if keep.any():
            chunk = {"senders": lay.node_of_neuron[senders[keep]], "stamps": stamps[keep]}
            records[rid] = records.get(rid, ()) + (chunk,)
    for k_, rid in enumerate(lay.multimeters):
        c = int(h["mm_count"][k_])
        if c:
            chunk = {"stamps": h["mm_stamps"][k_][:c], "V_m": h["mm_values"][k_][:c]}
            records[rid] = records.get(rid, ()) + (chunk,)
    c = int(h["wr_count"])
    if c:
        syn, stamps, weights = h["wr_synapse"][:c], h["wr_stamps"][:c], h["wr_weights"][:c]
        for k_, rid in enumerate(lay.weight_recorders):
            sel = lay.synapse_recorder[syn] == k_
            records[rid] = records.get(rid, ()) + ({"stamps": stamps[sel], "synapse": syn[sel], "weights": weights[sel]},)
    # emptied buffers placed as the state is (a different placement would compile the loop again)
    emptied = {k: np.zeros(getattr(new, k).shape, np.int32) for k in ("sr_count", "mm_count", "wr_count")}
    emptied["recorded_until"] = np.full(new.recorded_until.shape, s, np.int32)
    new = new.replace(**(sharding.spread(sim.plan[1], emptied) if sim.plan else jax.device_put(emptied)))
    return sim.replace(spec=spec, state=new, records=records)


def _grown(spec: Spec, flags: int) -> Spec:
    kw = {}
    if flags & engine.OVERFLOW_SLICE:
        kw["slice_capacity"] = min(spec.n_neurons * spec.slice_steps, 2 * spec.slice_capacity)
    if flags & engine.OVERFLOW_POST:
        kw["post_capacity"] = 2 * spec.post_capacity
    if flags & engine.OVERFLOW_RECORDER:
        kw["record_capacity"] = 2 * spec.record_capacity
    if flags & engine.OVERFLOW_MULTIMETER:
        kw["multimeter_rows"] = tuple(2 * r for r in spec.multimeter_rows)
    if flags & engine.OVERFLOW_WEIGHTS:
        kw["weight_capacity"] = 2 * spec.weight_capacity
    if flags & engine.SPEC_MISMATCH:
        raise JaxsnnError("the plasticity parameters in params differ from those the network was built with "
                          "(mu_plus or mu_minus no longer 1); build the network with the parameters you use.")
    if flags & engine.OVERFLOW_POISSON:
        raise JaxsnnError("a poisson_generator rate exceeds what the compiled network covers; rebuild the "
                          "network with the highest rate you will use.")
    return dataclasses.replace(spec, **kw)
