"""pandas views of a :class:`~jaxsnn.Simulation`: NEST's ``get``, ``GetConnections`` and ``events``.

Frames follow NEST's conventions: 1-based node ids, times in ms, ``source``/``target``/``weight``
columns. pandas is imported on first use: it costs ~30 MiB and 0.3 s that a simulation does not need.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..core import stdp
from ..core.types import OUT_DELAY, OUT_ROW, OUT_TARGET, OUT_TRACE
from ..errors import JaxsnnError, bad_value
from ..models.base import ARCHIVING, CALCIUM

if TYPE_CHECKING:
    import pandas as pd



def frame(columns: dict, index=None) -> pd.DataFrame:
    """A frame of ``columns`` (indexed by node id ``index`` if given), which it takes over without
    copying them (pass arrays nothing else holds): for 6 M connections that saves ~200 MiB."""
    import pandas as pd

    return pd.DataFrame(columns, index=None if index is None else pd.Index(index, name="global_id"), copy=False)


def node_ids(nodes, name="nodes") -> np.ndarray:
    ids = np.asarray(getattr(nodes, "ids", nodes)).reshape(-1)
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise bad_value(name, nodes, "node ids (integers or a NodeCollection)")
    return ids.astype(np.int64)


def neuron_index(layout, nodes, name="nodes") -> tuple[np.ndarray, np.ndarray]:
    """(node ids, neuron indices) of ``nodes``; every id must be a neuron."""
    ids = node_ids(nodes, name)
    bad = (ids < 1) | (ids > layout.n_nodes)
    if not bad.any():
        bad = layout.neuron_of_node[np.clip(ids, 0, layout.n_nodes)] < 0
    if bad.any():
        raise bad_value(name, int(ids[np.argmax(bad)]), f"node ids of neurons (1 … {layout.n_nodes})")
    return ids, layout.neuron_of_node[ids]


def model_positions(spec) -> tuple[np.ndarray, np.ndarray]:
    """Per neuron index, its model (index into ``spec.models.neuron_models``) and its position among the model's
    neurons (where its entries are in ``params.neurons.models[name]`` and ``state.neurons.models[name]``)."""
    model, pos = np.zeros(spec.sizes.n_neurons, np.int64), np.zeros(spec.sizes.n_neurons, np.int64)
    for i, runs in enumerate(spec.models.neuron_runs):
        at = 0
        for a, n in runs:
            model[a:a + n], pos[a:a + n] = i, at + np.arange(n)
            at += n
    return model, pos


def neuron_values(sim, name, idx) -> np.ndarray | None:
    """``name`` (a parameter, state variable or recordable in NEST's units) of the neurons ``idx``; NaN
    for neurons whose model lacks it; None if no model of them has it."""
    spec, p, st = sim.spec, sim.params.neurons, sim.state.neurons
    if name == "t_spike":
        return last_spike_ms(sim)[idx]
    if name in CALCIUM:  # NEST's calcium trace, where the network keeps it (jaxsnn.core.calcium)
        return calcium_values(sim, name)[idx]
    if name in ARCHIVING:  # held once for all neurons (params.neurons.tau_minus, .tau_minus_triplet)
        return np.asarray(getattr(p, name))[idx]
    model, pos = model_positions(spec)
    out, found, ints = None, np.zeros(len(idx), bool), True
    for i, m in enumerate(spec.models.neuron_models):
        sel = model[idx] == i
        if not sel.any():
            continue
        pm = p.models[m.name]
        switches = {k: v for k, v in sim.model.neurons.constants[m.name].items() if k in m.parameters}
        values = {**switches, **pm, **m.observe(pm, st.models[m.name])}
        if name not in values:
            continue
        v = np.asarray(values[name])[pos[idx[sel]]]
        if name in m.list_params:  # a list per node, of its own length (e.g. NEST's n_synapses)
            own = np.asarray(values[m.list_params[name][0]])[pos[idx[sel]]]
            rows = np.empty(len(v), object)
            rows[:] = [row[:k].copy() for row, k in zip(v, own)]
            v = rows
        if out is None:
            out = np.full(len(idx), np.nan) if v.dtype != bool else np.zeros(len(idx), bool)
            out = out.astype(np.result_type(out.dtype, v.dtype))
        out[sel], found[sel] = v, True
        ints &= v.dtype.kind in "iu"
    if not found.any():
        return None
    return out.astype(np.int64) if ints and found.all() else out  # counts stay ints (NEST's n_synapses)


def calcium_values(sim, name: str) -> np.ndarray:
    """``Ca``, ``tau_Ca`` or ``beta_Ca`` of every neuron (NEST's value: Ca as the last run left it, decayed to its
    end); refused in a network built without ``calcium=True``."""
    post = sim.state.plasticity.post
    if post.Ca is None:
        raise JaxsnnError(f"{name!r}: this network does not keep NEST's calcium trace; build it with "
                          "build(calcium=True) (every jaxsnn.nest network keeps it).")
    return np.asarray(getattr(post, name), np.float64)


def recent_spikes(sim) -> tuple[np.ndarray, np.ndarray]:
    """The steps that ``spike_history`` still holds (the last ``spec.sizes.history`` before now) and which
    neurons spiked in each (bool[steps, N]): the spikes of the slice the engine has not archived yet are among
    them."""
    state, H = sim.state, sim.spec.sizes.history
    now = int(state.step)
    steps = np.arange(max(0, now - H), now)
    return steps, np.asarray(state.transit.spike_history)[steps % H] > 0


def last_stamps(sim) -> np.ndarray:
    """Each neuron's last spike stamp (step + 1; 0: none): the archived one (``plasticity.post.last_post``, up
    to the last slice the engine processed) or a later one in ``spike_history`` (:func:`recent_spikes`)."""
    steps, recent = recent_spikes(sim)
    latest = np.where(recent.any(axis=0), steps[len(steps) - 1 - np.argmax(recent[::-1], axis=0)] + 1, 0) \
        if len(steps) else 0
    return np.maximum(np.asarray(sim.state.plasticity.post.last_post, np.int64), latest)


def stamp_ms(stamps: np.ndarray, tics_per_step: int) -> np.ndarray:
    """NEST's ``t_spike`` of spike stamps (step + 1; 0: none): tics · 0.001 ms (NEST's arithmetic), -1.0 for
    none."""
    return np.where(stamps > 0, 0.001 * (stamps * tics_per_step).astype(np.float64), -1.0)


def last_spike_ms(sim) -> np.ndarray:
    """NEST's ``t_spike`` of every neuron: the time of its last spike in ms (:func:`stamp_ms`), -1.0 before its
    first."""
    return stamp_ms(last_stamps(sim), sim.spec.time.tics_per_step)


def get(sim, nodes=None, names=("V_m",)) -> pd.DataFrame:
    """Neuron parameters and state as a frame indexed by node id (NEST's ``get(..., output="pandas")``);
    NaN where a neuron's model lacks the quantity."""
    ids, idx = neuron_index(sim.layout, sim.layout.node_of_neuron if nodes is None else nodes)
    cols = {}
    for name in ([names] if isinstance(names, str) else names):
        v = neuron_values(sim, name, idx)
        if v is None:
            known = set(ARCHIVING) | {"t_spike"} | {k for m in sim.spec.models.neuron_models
                                     for k in (*m.parameters, *m.recordables, "refractory_steps_left")}
            raise bad_value("names", name, f"one of {sorted(known)}")
        cols[name] = v
    return frame(cols, index=ids)


def connections(sim, synapse_model=None, source=None, target=None, devices=True) -> pd.DataFrame:
    """NEST's ``GetConnections``: ``source``, ``target``, ``weight``, ``delay``, ``synapse_model``, and for
    networks with plastic synapses NEST's ``alpha``, ``lambda``, ``tau_plus``, ``Wmax``, ``mu_plus``,
    ``mu_minus`` and ``Kplus`` (NaN on static rows).

    ``weight`` follows NEST: for plastic synapses it is the weight after the last presynaptic spike
    (facilitation by later post spikes shows up at the next pre spike). Connections from generators and
    to or from recorders are included as NEST includes them (``devices=False`` leaves them out). Rows
    are sorted by source, then creation order (NEST's order is unspecified).
    """
    lay = sim.layout
    for name, nodes in (("source", source), ("target", target)):
        if nodes is not None:
            ids = node_ids(nodes, name)
            bad = (ids < 1) | (ids > lay.n_nodes)
            if bad.any():
                raise bad_value(name, int(ids[np.argmax(bad)]), f"node ids (1 … {lay.n_nodes})")
    known = set(lay.synapse_models) | set(lay.device_connections["synapse_model"])
    if synapse_model is not None and synapse_model not in known:
        raise bad_value("synapse_model", synapse_model, f"one of {sorted(known)}")
    filters = (synapse_model, source, target)
    cols = _neuron_connections(sim, *filters)
    dev = _selected(lay.device_connections, *filters) if devices else {}
    if dev and len(dev["source"]):  # only then a copy of the neuron rows
        cols = {k: np.concatenate([v, dev[k] if k in dev else np.full(len(dev["source"]), np.nan)])
                for k, v in cols.items()}
        order = np.argsort(cols["source"], kind="stable")
        cols = {k: v[order] for k, v in cols.items()}
    return frame(cols)


def _selection(synapse_model, source, target, model_names, sources, targets):
    """Rows to keep (None: all) for the filters of :func:`connections`."""
    sel = None
    for ok in ((None if synapse_model is None else model_names == synapse_model),
               (None if source is None else np.isin(sources, node_ids(source, "source"))),
               (None if target is None else np.isin(targets, node_ids(target, "target")))):
        if ok is not None:
            sel = ok if sel is None else sel & ok
    return sel


def _selected(cols, synapse_model, source, target) -> dict:
    sel = _selection(synapse_model, source, target, cols["synapse_model"], cols["source"], cols["target"])
    return cols if sel is None else {k: v[sel] for k, v in cols.items()}


def _neuron_connections(sim, synapse_model=None, source=None, target=None) -> dict:
    """Neuron-to-neuron connections passing the filters, sorted by source: new arrays the frame owns
    (no copies of whole columns when nothing is left out)."""
    syn, lay = sim.model.synapses, sim.layout
    m, out_syn = np.asarray(syn.model), np.asarray(syn.out_syn)
    src, tgt = lay.node_of_neuron[np.asarray(syn.source)], lay.node_of_neuron[out_syn[:, OUT_TARGET]]
    names = np.asarray(lay.synapse_models, dtype=object)
    model_names = names[m] if len(names) else np.zeros(0, object)
    sel = _selection(synapse_model, source, target, model_names, src, tgt)
    pick = (lambda a: a) if sel is None else (lambda a: a[sel])
    st = sim.state.synapses
    weight = st.reported if st.reported.shape[0] else st.weight
    rows = pick(out_syn)
    cols = {"source": pick(src), "target": pick(tgt), "weight": np.array(pick(np.asarray(weight))),
            "delay": rows[:, OUT_DELAY] * sim.spec.time.resolution, "synapse_model": pick(model_names)}
    if sim.spec.plasticity.has_plastic:
        row, plastic = rows[:, OUT_ROW], rows[:, OUT_ROW] >= 0
        table = np.asarray(sim.params.stdp)
        network_rule = sim.spec.plasticity.stdp_rule
        of_rule = network_rule.rule_index(table)[np.maximum(row, 0)] if len(table) else np.zeros(len(row), np.int64)
        pl = sim.state.plasticity
        for i, rule in enumerate(network_rule.rules):  # each rule names its columns for its own synapses
            mine = plastic & (of_rule == i)
            # the rule's parameters: the columns of params.stdp
            for k, name in enumerate(rule.columns):
                cols[name] = np.where(mine, table[np.maximum(row, 0), k], cols.get(name, np.nan))
            # the presynaptic traces (Kplus, ...) of PreTraces, a dopamine synapse's c and n (Plasticity.dopa)
            for name in rule.traces:
                trace = np.asarray(getattr(pl.pre, name) if hasattr(pl.pre, name) else pl.dopa[name])
                if rule.resets_trace:  # NEST's lazy view
                    trace = np.asarray(stdp.reported_trace(trace))
                cols[name] = np.where(mine, trace[rows[:, OUT_TRACE]], cols.get(name, np.nan))
    rule = sim.spec.plasticity.stp_rule
    if rule is not None:  # the short-term rule's parameters and state (NaN for other synapses)
        row, mine = -2 - rows[:, OUT_ROW], rows[:, OUT_ROW] <= -2
        table = np.asarray(sim.params.stp)
        for k, name in enumerate(rule.columns):
            cols[name] = np.where(mine, table[np.maximum(row, 0), k], np.nan)
        for name in rule.state:
            cols[name] = np.where(mine, pick(np.asarray(sim.state.synapses.stp[name])), np.nan)
    return cols


def _columns(sim, rid) -> dict:
    chunks = sim.records.get(rid, ())
    if not chunks:
        return {}
    return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}


def _own(sim, cols: dict) -> dict:
    """The rows of events of this process's neurons (``build(gather=False)``): an event belongs to the
    neuron it was recorded at, the ``targets`` of a weight event, else the ``senders``."""
    from .sharding import local_neurons

    nodes = np.asarray(cols["targets" if "targets" in cols else "senders"], np.int64)
    mine = local_neurons(sim._plan[-1] if sim._plan else None, sim.spec.sizes.n_neurons)
    keep = mine[sim.layout.neuron_of_node[nodes]] if len(nodes) else np.zeros(0, bool)
    return {k: np.asarray(v)[keep] for k, v in cols.items()}


def events(sim, recorder) -> pd.DataFrame:
    """What a recorder gathered, as NEST's ``events`` (the columns are the recorder model's ``events``):

    - spike_recorder: ``senders``, ``times`` (ms), in time order, then sender;
    - multimeter: ``times``, ``senders`` and one column per recorded quantity (``V_m``, ``I_syn_ex``,
      ``I_syn_in``; long format);
    - weight_recorder: ``times``, ``senders``, ``targets``, ``weights`` (as transmitted).

    Past one process with ``build(gather=False)``: only the events of this process's neurons.
    """
    return frame(event_columns(sim, recorder))


def event_columns(sim, recorder) -> dict:
    """The columns of :func:`events` as arrays (no pandas)."""
    from ..models import RECORDERS

    rid = int(node_ids(recorder, "recorder")[0]) if np.size(getattr(recorder, "ids", recorder)) else 0
    lay = sim.layout
    name = lay.recorder_of(rid)
    if name is not None:
        cols = RECORDERS[name].events(sim, rid, _columns(sim, rid))
        return cols if sim.gather else _own(sim, cols)
    known = sorted(i for info in lay.recorders.values() for i in info["nodes"])
    names = list(RECORDERS)
    raise bad_value("recorder", recorder, f"the node id of a {', '.join(names[:-1])} or {names[-1]} {known}")
