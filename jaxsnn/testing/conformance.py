"""Run a NEST reference case with jaxsnn and compare our output with the case's ``expected``.

    python -m jaxsnn.testing.conformance CASE.json [--x64] [--output OUT.json]

For every key of ``expected`` it prints ``PASS`` or ``FAIL`` with the largest deviation, and exits with
1 if any key fails (0 if all pass, 2 on an unusable case). A case without ``expected`` prints our output
as JSON instead; ``--output`` writes it to a file in either case. The criteria are those of
``tests/test_conformance.py``: spike times, senders, sample times and connectivity identical; in float64
(``--x64``) V_m bit-identical in the neuron cases and within 1e-9 mV in the network case, STDP weights
and K+ within 1e-12 relative, the network's weights within 1e-9 mV; in float32 (the default) V_m within
1e-3 mV, STDP values within 1e-5 relative, the network's weights within 1e-4 mV.

Cases follow the schema of ``tests/reference/README.md`` (kinds ``neuron``, ``stdp``, ``network``,
``model``, ``recorder_pair``, ``noise_stats``; for ``noise_stats`` our statistics under the case's keys,
from jaxsnn's own random streams).
One NEST convention is reproduced here, not in the engine: the multimeter's lag of one min_delay
slice at the end of a run (our multimeter is complete). STDP weights need nothing special: like NEST,
jaxsnn processes the spikes of a min_delay slice at the start of the next one, so after a run the
weights are those after the last *delivered* presynaptic spike, exactly as NEST reports them.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from ..errors import JaxsnnError
from ..models import (
    NEURONS,
    SYNAPSES,
    iaf_psc_alpha,
    iaf_psc_delta,
    multimeter,
    noise_generator,
    parrot_neuron,
    spike_generator,
    spike_recorder,
    weight_recorder,
)
from ..models.base import COUNTS, RECORDED_BY

# the models of NEST's cases, by their names in the registry
DELTA, PARROT = iaf_psc_delta.MODEL.name, parrot_neuron.MODEL.name
SG, SR, MM, WR, NOISE = (m.MODEL.name for m in (spike_generator, spike_recorder, multimeter, weight_recorder,
                                               noise_generator))
VM = next(iter(multimeter.MODEL.aliases))  # NEST's voltmeter: a multimeter recording V_m


KINDS = ("neuron", "stdp", "network", "model", "recorder_pair", "noise_stats", "stdp_multiplicity", "synapse",
         "synapse_network", "dopamine_network", "rules_network")
RECORDER_DELAY = 1.0  # ms: NEST's default delay of recorder connections, which counts for min_delay


SPLIT_KINDS = ("synapse", "dopamine_network")  # the kinds that run_case splits over a given number of devices


def run_case(case: dict, devices: int | None = None) -> dict:
    """Simulate ``case`` and return our values for the keys of ``case["expected"]``. ``devices``: split the
    network over that many devices (:meth:`jaxsnn.Network.build`; the kinds of ``SPLIT_KINDS``); None: as
    ``build`` splits by default."""
    kind = case.get("kind")
    if kind not in KINDS:
        raise ValueError(f"case kind {kind!r} is not supported; supported kinds: {', '.join(KINDS)}.")
    if devices is not None:
        if kind not in SPLIT_KINDS:
            raise ValueError(f"devices={devices!r} for a case of kind {kind!r}: only kinds {', '.join(SPLIT_KINDS)} "
                             "run on a given number of devices.")
        return {"synapse": _synapse, "dopamine_network": _dopamine_network}[kind](case, devices)
    return {"neuron": _neuron, "stdp": _stdp, "network": _network, "model": _model, "recorder_pair": _recorder_pair,
            "noise_stats": _noise_stats, "stdp_multiplicity": _stdp_multiplicity, "synapse": _synapse,
            "synapse_network": _synapse_network, "dopamine_network": _dopamine_network,
            "rules_network": _rules_network}[kind](case)


def _neuron(case):
    import jaxsnn

    net = jaxsnn.Network(resolution=case["resolution"])
    n = net.create(case.get("model", DELTA), 1, params=case["params"])
    for inp in case["inputs"]:
        sg = net.create(SG, params={"spike_times": inp["times"], "spike_weights": inp["weights"]})
        net.connect(sg, n, syn_spec={"weight": 1.0, "delay": inp["delay"]})
    sr = net.create(SR)
    mm = net.create(MM, params={"interval": case["resolution"]})
    net.connect(n, sr)
    net.connect(mm, n)
    sim = jaxsnn.simulate(net.build(), case["t_sim"])
    lag = min([RECORDER_DELAY] + [inp["delay"] for inp in case["inputs"]])
    v = sim.events(mm)
    v = v[v.times <= case["t_sim"] - lag + 1e-9]
    return {"spike_times": _ms(sim.events(sr).times), "V_m_times": _ms(v.times), "V_m": v.V_m.tolist()}


def _driven(net, times, h, params=None):
    """An iaf_psc_delta that spikes exactly at ``times`` (as NEST's parrot_neuron in the cases)."""
    n = net.create(DELTA, 1, params={"t_ref": 0.0, "V_th": 1e9, "V_reset": -70.0, **(params or {})})
    if len(times):
        g = net.create(SG, params={"spike_times": [round(t - h, 10) for t in times],
                                                  "spike_weights": [1e12] * len(times)})
        net.connect(g, n, syn_spec={"weight": 1.0, "delay": h})
    return n


def _stdp(case):
    import jaxsnn

    h = case["resolution"]
    net = jaxsnn.Network(resolution=h)
    wr = net.create(WR)
    pre = _driven(net, case["pre_spike_times"], h)
    post = _driven(net, case["post_spike_times"], h, {"tau_minus": case["post_tau_minus"]})
    syn = {"weight": case["weight"], "delay": case["delay"], "synapse_model": "plastic"}
    common = SYNAPSES[case["synapse"]].common  # a homogeneous model's parameters: copy_model's
    net.copy_model(case["synapse"], "plastic", {**{k: v for k, v in case["syn_params"].items() if k in common},
                                                RECORDED_BY: wr})
    syn.update({k: v for k, v in case["syn_params"].items() if k not in common})
    net.connect(pre, post, "one_to_one", syn)
    sim = jaxsnn.simulate(net.build(), case["t_sim"])
    c = sim.connections("plastic")
    rec = sim.events(wr)
    return {"weight_recorder_times": _ms(rec.times), "weight_recorder_weights": rec.weights.tolist(),
            "final_weight": float(c.weight.iloc[0]),
            "final_Kplus": float(np.asarray(sim.state.plasticity.pre.Kplus)[0])}


def _synapse(case, devices=None):
    """One connection of ``case["synapse"]`` between a parrot and a parrot or neuron, as NEST's case was made
    (``tests/reference/tools/nest_synapses.py``)."""
    import jaxsnn

    h = case["resolution"]
    net = jaxsnn.Network(resolution=h)
    sg_pre = net.create(SG, params={"spike_times": case["pre_input_times"]})
    sg_post = net.create(SG, params={"spike_times": case["post_input_times"]})
    pre = net.create(PARROT)
    post = net.create(case["post_model"], params=case["post_params"])
    wr = net.create(WR)
    model_params = {**case["common_params"], RECORDED_BY: wr}
    if case.get("dopa_input_times") is not None:  # dopamine spikes through a parrot into a volume_transmitter
        sg_dopa = net.create(SG, params={"spike_times": case["dopa_input_times"]})
        dopa = net.create(PARROT)
        vt = net.create("volume_transmitter", params=case.get("vt_params", {}))
        net.connect(sg_dopa, dopa, syn_spec={"delay": 1.0})
        net.connect(dopa, vt)
        model_params["volume_transmitter"] = vt
    net.copy_model(case["synapse"], "plastic", model_params)
    syn = {**case["syn_params"], "synapse_model": "plastic", "delay": case["delay"]}
    if "weight" not in SYNAPSES[case["synapse"]].common:  # else a common property
        syn["weight"] = case["weight"]
    parrot_post = NEURONS[case["post_model"]].inputs == COUNTS  # a parrot: receptor 1, not repeated
    if parrot_post:
        syn["receptor_type"] = 1
    net.connect(sg_pre, pre, syn_spec={"delay": 1.0})
    net.connect(sg_post, post, syn_spec={"delay": 1.0, "weight": 1.0 if parrot_post else case["post_drive_weight"]})
    net.connect(pre, post, syn_spec=syn)
    sr = net.create(SR)
    net.connect(post, sr)
    mm = None
    if not parrot_post:
        mm = net.create(MM, params={"interval": h})
        net.connect(mm, post)
    sim = jaxsnn.simulate(net.build(devices=devices), case["t_sim"])
    c = sim.connections("plastic")
    rec = sim.events(wr)
    final = {k: float(c[k].iloc[0]) for k in case["expected"]["final"] if k in c}
    out = {"weight_recorder_times": _ms(rec.times), "weight_recorder_weights": rec.weights.tolist(),
           "final_weight": float(c.weight.iloc[0]), "final": final}
    if mm is not None:
        v = sim.events(mm)
        v = v[v.times <= case["t_sim"] - min(RECORDER_DELAY, case["delay"]) + 1e-9]
        out.update(post_spike_times=_ms(sim.events(sr).times), V_m_times=_ms(v.times), V_m=v.V_m.tolist())
    return out


def case_network(case: dict):
    """The network of a ``synapse_network`` or ``dopamine_network`` case as :func:`run_case` simulates it, before
    ``build``: ``(net, neurons, spike_recorder, weight_recorder)``, with ``neurons`` those whose spikes are
    recorded and the plastic connections' model named ``"plastic"`` (``"dopa"`` for the dopamine kind). Tests
    that run such a network in other ways (split runs, checkpoints) share the compiled program of the case."""
    builders = {"synapse_network": _synapse_network_nodes, "dopamine_network": _dopamine_network_nodes}
    if case.get("kind") not in builders:
        raise ValueError(f"case kind {case.get('kind')!r} has no network to build here; kinds: {', '.join(builders)}.")
    return builders[case["kind"]](case)


def _synapse_network(case):
    """A recurrent iaf_psc_alpha network whose explicit connections are of ``case["synapse"]``, as NEST's
    case was made (``tests/reference/tools/nest_stdp_family.py``)."""
    import jaxsnn

    net, pop, sr, wr = _synapse_network_nodes(case)
    sim = jaxsnn.simulate(net.build(), case["t_sim"])
    ev = sim.events(sr).sort_values(["times", "senders"], kind="stable")
    we = sim.events(wr).sort_values(["times", "senders", "targets"], kind="stable")
    fin = sim.connections("plastic").sort_values(["source", "target"], kind="stable")
    final = {k: (fin[k].astype(int) if k in ("source", "target") else fin[k]).tolist()
             for k in case["expected"]["final"] if k in fin}
    return {"spike_times": _ms(ev.times), "spike_senders": ev.senders.astype(int).tolist(),
            "final_V_m": sim.get(pop).V_m.tolist(),
            WR: {"times": _ms(we.times), "senders": we.senders.astype(int).tolist(),
                 "targets": we.targets.astype(int).tolist(), "weights": we.weights.tolist()},
            "final": final}


def _synapse_network_nodes(case):
    import jaxsnn

    net = jaxsnn.Network(resolution=case["resolution"])
    pop = net.create(iaf_psc_alpha.MODEL.name, case["n_neurons"], params={"V_m": np.asarray(case["V_m"]),
                                                                           **case["neuron_params"]})
    wr = net.create(WR)
    net.copy_model(case["synapse"], "plastic", {**case["common_params"], RECORDED_BY: wr})
    for i, times in enumerate(case["inputs"]):
        g = net.create(SG, params={"spike_times": times})
        net.connect(g, pop[i], syn_spec={"weight": case["input_weight"], "delay": 1.0})
    c = case["connections"]
    per_connection = {k: np.asarray(v) for k, v in c.items() if k not in ("source", "target")}
    net.connect(np.asarray(c["source"]), np.asarray(c["target"]), "one_to_one",
                {"synapse_model": "plastic", **per_connection})
    sr = net.create(SR)
    net.connect(pop, sr)
    return net, pop, sr, wr


def rules_network(case):
    """The network of a ``rules_network`` case (several plastic projections, each a copy of its synapse model with
    its own weight_recorder), nodes made in the order of ``tests/reference/tools/nest_two_rules.py``: (network,
    population, {projection model: its weight_recorder})."""
    import jaxsnn

    net = jaxsnn.Network(resolution=case["resolution"])
    pop = net.create(iaf_psc_alpha.MODEL.name, case["n_exc"] + case["n_inh"],
                     params={"V_m": np.asarray(case["V_m"]), **case["neuron_params"]})
    recorders = {}
    for p in case["projections"]:
        extra = {}
        if SYNAPSES[p["synapse"]].rule is not None:
            recorders[p["model"]] = extra[RECORDED_BY] = net.create(WR)
        net.copy_model(p["synapse"], p["model"], {**p["common_params"], **extra})
    for i, times in enumerate(case["inputs"]):
        net.connect(net.create(SG, params={"spike_times": times}), pop[i],
                    syn_spec={"weight": case["input_weight"], "delay": 1.0})
    for p in case["projections"]:
        c = p["connections"]
        per = {k: np.asarray(v) for k, v in c.items() if k not in ("source", "target")}
        net.connect(np.asarray(c["source"]), np.asarray(c["target"]), "one_to_one",
                    {"synapse_model": p["model"], **per})
    return net, pop, recorders


def _rules_network(case):
    """A ``rules_network`` case: every spike, final V_m, and per plastic projection its weight_recorder's events
    and its connections' final state (the keys of ``synapse_network``, one level down, by projection model)."""
    import jaxsnn

    net, pop, recorders = rules_network(case)
    sr = net.create(SR)
    net.connect(pop, sr)
    sim = jaxsnn.simulate(net.build(), case["t_sim"])
    ev = sim.events(sr).sort_values(["times", "senders"], kind="stable")
    out = {"spike_times": _ms(ev.times), "spike_senders": ev.senders.astype(int).tolist(),
           "final_V_m": sim.get(pop).V_m.tolist(), WR: {}, "final": {}}
    for model, wr in recorders.items():
        we = sim.events(wr).sort_values(["times", "senders", "targets"], kind="stable")
        out[WR][model] = {"times": _ms(we.times), "senders": we.senders.astype(int).tolist(),
                          "targets": we.targets.astype(int).tolist(), "weights": we.weights.tolist()}
        fin = sim.connections(model).sort_values(["source", "target"], kind="stable")
        out["final"][model] = {k: (fin[k].astype(int) if k in ("source", "target") else fin[k]).tolist()
                               for k in case["expected"]["final"][model] if k in fin}
    return out


def _dopamine_network(case, devices=None):
    """stdp_dopamine_synapse connections from pre parrots to post neurons, dopamine parrots into a volume_transmitter,
    nodes made in the order of ``tests/reference/tools/nest_dopamine_network.py``."""
    import jaxsnn

    net, post, sr, wr = _dopamine_network_nodes(case)
    sim = jaxsnn.simulate(net.build(devices=devices), case["t_sim"])
    ev = sim.events(sr).sort_values(["times", "senders"], kind="stable")
    we = sim.events(wr).sort_values(["times", "senders", "targets"], kind="stable")
    fin = sim.connections("dopa").sort_values(["source", "target"], kind="stable")
    final = {k: (fin[k].astype(int) if k in ("source", "target") else fin[k]).tolist()
             for k in case["expected"]["final"]}
    return {"spike_times": _ms(ev.times), "spike_senders": ev.senders.astype(int).tolist(),
            "final_V_m": sim.get(post).V_m.tolist(),
            WR: {"times": _ms(we.times), "senders": we.senders.astype(int).tolist(),
                 "targets": we.targets.astype(int).tolist(), "weights": we.weights.tolist()}, "final": final}


def _dopamine_network_nodes(case):
    import jaxsnn

    net = jaxsnn.Network(resolution=case["resolution"])
    gen = lambda times: net.create(SG, params={"spike_times": times})
    gpre, gpost, gdopa = ([gen(t) for t in case[k]] for k in ("pre_inputs", "post_inputs", "dopa_inputs"))
    pre = net.create(PARROT, case["n_pre"])
    post = net.create(case["post_model"], case["n_post"], params=case["post_params"])
    dopa = net.create(PARROT, case["n_dopa"])
    vt = net.create("volume_transmitter", params=case["vt_params"])
    wr, sr = net.create(WR), net.create(SR)
    for i, g in enumerate(gpre):
        net.connect(g, pre[i], syn_spec={"delay": 1.0})
    for i, g in enumerate(gpost):
        net.connect(g, post[i], syn_spec={"delay": 1.0, "weight": case["post_drive_weight"]})
    for g, p in case["dopa_map"]:
        net.connect(gdopa[g], dopa[p], syn_spec={"delay": 1.0})
    for i, d in enumerate(case["vt_delays"]):
        net.connect(dopa[i], vt, syn_spec={"delay": d})
    net.copy_model("stdp_dopamine_synapse", "dopa",
                   {**case["common_params"], "volume_transmitter": vt, RECORDED_BY: wr})
    c = case["connections"]
    col = lambda k: np.asarray([x[k] for x in c])
    net.connect(np.asarray(pre.ids)[col("source")], np.asarray(post.ids)[col("target")], "one_to_one",
                {"synapse_model": "dopa", **{k: col(k) for k in ("weight", "delay", "Kplus", "c", "n")}})
    net.connect(post, sr)
    return net, post, sr, wr


def _network(case):
    import jaxsnn

    h = case["resolution"]
    net = jaxsnn.Network(resolution=h)
    net.copy_model(case["e_syn"]["model"], "e_syn", case["e_syn"]["params"])
    net.copy_model(case["i_syn"]["model"], "i_syn", case["i_syn"].get("params", {}))
    pop = net.create(DELTA, case["n_neurons"], params={"V_m": np.asarray(case["V_m"])})
    sr = net.create(SR)
    for i, inp in enumerate(case["inputs"]):
        g = net.create(SG, params={"spike_times": inp["times"], "spike_weights": inp["weights"]})
        net.connect(g, pop[i], syn_spec={"weight": 1.0, "delay": 1.0})
    for name in ("e_syn", "i_syn"):
        c = case["connections"][name]
        net.connect(np.asarray(c["source"]), np.asarray(c["target"]), "one_to_one",
                    {"synapse_model": name, "weight": np.asarray(c["weight"]), "delay": np.asarray(c["delay"])})
    net.connect(pop, sr)
    sim = jaxsnn.simulate(net.build(), case["t_sim"])
    ev = sim.events(sr).sort_values(["times", "senders"], kind="stable")
    w = sim.connections("e_syn").sort_values(["source", "target", "delay", "weight"], kind="stable")
    return {"spike_times": _ms(ev.times), "spike_senders": ev.senders.astype(int).tolist(),
            "final_V_m": sim.get(pop).V_m.tolist(),
            "e_syn_final": {k: (w[k].astype(int) if k in ("source", "target") else w[k]).tolist()
                            for k in ("source", "target", "delay", "weight")}}


def _model(case):
    """One node of ``case["model"]`` with current generators, spike inputs, a probe, and runs in segments."""
    import jaxsnn

    h = case["resolution"]
    net = jaxsnn.Network(resolution=h)
    node = net.create(case["model"], 1, params=case["params"])
    gens = []
    for cur in case.get("currents", []):
        g = net.create(cur["model"], params=cur["params"])
        syn = {"weight": cur["weight"], "delay": cur["delay"]}
        if cur.get("receptor_type"):
            syn["receptor_type"] = cur["receptor_type"]
        net.connect(g, node, syn_spec=syn)
        gens.append(g)
    for inp in case.get("inputs", []):
        p = {"spike_times": inp["times"]}
        if "weights" in inp:
            p["spike_weights"] = inp["weights"]
        if "multiplicities" in inp:
            p["spike_multiplicities"] = inp["multiplicities"]
        sg = net.create(SG, params=p)
        syn = {"weight": inp.get("conn_weight", 1.0), "delay": inp["delay"]}
        if inp.get("receptor_type"):  # a receptor port (1-based) of a multi-receptor model
            syn["receptor_type"] = inp["receptor_type"]
        net.connect(sg, node, syn_spec=syn)
    sr = net.create(SR)
    net.connect(node, sr)
    rec = case.get("recordables", [])
    if rec:
        mm = net.create(MM, params={"interval": h, "record_from": rec})
        net.connect(mm, node)
    if "probe" in case:
        pr = case["probe"]
        probe = net.create(DELTA, 1, params=pr.get("params", {}))
        net.connect(node, probe, syn_spec={"weight": pr["weight"], "delay": pr["delay"]})
        mm_probe = net.create(MM, params={"interval": h})
        net.connect(mm_probe, probe)
    sim = net.build()
    # NEST's multimeter data end one min_delay (all connections' delays, recorders' 1 ms) before the end
    delays = [RECORDER_DELAY] + [x["delay"] for x in case.get("currents", []) + case.get("inputs", [])]
    lag = min(delays + ([case["probe"]["delay"]] if "probe" in case else []))
    # NEST's slices lie on a grid of min_delay from t = 0: the data missing at the end are those of the last,
    # possibly partial, slice (one whole min_delay when t_sim is a multiple of it)
    n, md = round(case["t_sim"] / h), round(lag / h)
    lag = (n % md or md) * h
    for seg in case["segments"]:
        for label, p in seg.get("set", {}).items():
            sim = _set(net, sim, node if label == "neuron" else gens[int(label.removeprefix("current"))], p)
        sim = jaxsnn.simulate(sim, seg["t"])
    out = {"spike_times": _ms(sim.events(sr).times)}
    if rec:
        v = sim.events(mm)
        v = v[v.times <= case["t_sim"] - lag + 1e-9]
        out["times"] = _ms(v.times)
        out.update({r: v[r].tolist() for r in rec})
    if "probe" in case:
        v = sim.events(mm_probe)
        v = v[v.times <= case["t_sim"] - lag + 1e-9]
        out["probe_times"], out["probe_V_m"] = _ms(v.times), v.V_m.tolist()
    return out


def _set(net, sim, nodes, params):
    """NEST's SetStatus between runs: in place where the built Simulation can take it, else (a parameter
    that enters the constants computed at build) in the Network and a new build that carries the run on."""
    from ..nest.carry import carry

    try:
        return sim.set(nodes, params)
    except JaxsnnError:
        net.set(nodes, params)
        return carry(sim, net.build())


def _recorder_pair(case):
    """A voltmeter and a multimeter recording V_m with the same interval and offset."""
    import jaxsnn

    net = jaxsnn.Network(resolution=case["resolution"])
    node = net.create(case["model"], 1, params=case["params"])
    vm = net.create(VM, params=case["voltmeter"])
    mm = net.create(MM, params={**case["voltmeter"], "record_from": ["V_m"]})
    net.connect(vm, node)
    net.connect(mm, node)
    sim = jaxsnn.simulate(net.build(), case["t_sim"])
    lag = RECORDER_DELAY
    out = {"voltmeter_defaults": {"record_from": list(net.models.get(VM).defaults["record_from"]),
                                  "interval": net.models.get(VM).defaults["interval"]}}
    for name, r in ((VM, vm), (MM, mm)):
        v = sim.events(r)
        v = v[v.times <= case["t_sim"] - lag + 1e-9]
        out[f"{name}_times"], out[f"{name}_V_m"] = _ms(v.times), v.V_m.tolist()
    return out


def _noise_stats(case):
    """For each seed: one noise_generator onto ``n_targets`` neurons of each model; across-neuron mean
    and (unbiased) variance of V_m at the recorded times, and the first neuron's trace."""
    import jaxsnn

    h = case["resolution"]
    out = {"seeds": {}}
    for seed in case["seeds"]:
        net = jaxsnn.Network(resolution=h, seed=int(seed))
        noise = net.create(NOISE, params=case["noise"])
        pops = {m: net.create(m, case["n_targets"], params=case["params"]) for m in case["models"]}
        mms = {}
        for m, pop in pops.items():
            net.connect(noise, pop, syn_spec={"weight": 1.0, "delay": case["delay"]})
            mms[m] = net.create(MM, params={"interval": case.get("interval", h)})
            net.connect(mms[m], pop)
        sim = jaxsnn.simulate(net.build(), case["t_sim"])
        res = {}
        for m, mm in mms.items():
            ev = sim.events(mm)
            ev = ev[ev.times <= case["t_sim"] - min(RECORDER_DELAY, case["delay"]) + 1e-9]  # NEST's lag
            times = np.unique(ev.times.to_numpy())
            V = ev.V_m.to_numpy().reshape(len(times), -1)
            res[m] = {"times": _ms(times), "V_m_mean": V.mean(axis=1).tolist(),
                      "V_m_var": V.var(axis=1, ddof=1).tolist(),
                      "first_neuron_V_m": V[:, 0].tolist()}
        out["seeds"][str(seed)] = res
    return out


def _stdp_multiplicity(case):
    """Two parrots fed by spike generators with repeated times; the plastic connection pre -> post on
    the post parrot's receptor 1 (not repeated) and pre -> probe (an iaf_psc_delta) with the same model."""
    import jaxsnn

    h = case["resolution"]
    net = jaxsnn.Network(resolution=h)
    g_pre = net.create(SG, params={"spike_times": case["pre_input_times"]})
    g_post = net.create(SG, params={"spike_times": case["post_input_times"]})
    pre, post = net.create(PARROT), net.create(PARROT, params={"tau_minus": case["post_tau_minus"]})
    wr = net.create(WR)
    probe = net.create(DELTA, 1, params={"V_th": 1e6})
    net.connect(g_pre, pre, syn_spec={"delay": 1.0})
    net.connect(g_post, post, syn_spec={"delay": 1.0})
    net.copy_model(case["synapse"], "plastic", {**case["syn_params"], RECORDED_BY: wr})
    syn = {"synapse_model": "plastic", "weight": case["weight"], "delay": case["delay"]}
    net.connect(pre, post, syn_spec={**syn, "receptor_type": 1})
    net.connect(pre, probe, syn_spec=syn)
    sr_pre, sr_post = net.create(SR), net.create(SR)
    net.connect(pre, sr_pre)
    net.connect(post, sr_post)
    mm = net.create(MM, params={"interval": h})
    net.connect(mm, probe)
    sim = jaxsnn.simulate(net.build(), case["t_sim"])
    rec = sim.events(wr)
    c = sim.connections("plastic", target=post)
    v = sim.events(mm)
    v = v[v.times <= case["t_sim"] - min(RECORDER_DELAY, case["delay"]) + 1e-9]
    ids = {int(post.ids[0]): 4, int(probe.ids[0]): 6}  # NEST's node ids in the case
    out = {"pre_spike_times": _ms(sim.events(sr_pre).times), "post_spike_times": _ms(sim.events(sr_post).times),
           "weight_recorder_times": _ms(rec.times), "weight_recorder_targets": [ids[int(t)] for t in rec.targets],
           "weight_recorder_weights": rec.weights.tolist(), "final_weight": float(c.weight.iloc[0]),
           "probe_times": _ms(v.times), "probe_V_m": v.V_m.tolist()}
    if "Kplus" in c:  # NEST's view of the trace (GetConnections'); the nearest-neighbour models without one have none
        out["final_Kplus"] = float(c.Kplus.iloc[0])
    return out


def _ms(times):
    return [round(float(t), 6) for t in times]


# ------------------------------------------------------------------------------ comparison with NEST
EXACT = ("exact", 0.0, 0.0)


def criteria(kind: str, x64: bool) -> dict:
    """Per key of ``expected``: (how, rtol, atol); ``how`` is "exact" (identical) or "close"."""
    close = lambda rtol, atol: ("close", rtol, atol)
    if kind == "neuron":
        return {"spike_times": EXACT, "V_m_times": EXACT, "V_m": EXACT if x64 else close(0.0, 1e-3)}
    if kind == "stdp":
        r = close(1e-12 if x64 else 1e-5, 0.0)
        return {"weight_recorder_times": EXACT, "weight_recorder_weights": r, "final_weight": r, "final_Kplus": r}
    V = EXACT if x64 else close(0.0, 1e-3)
    if kind == "model":  # tests/test_conformance_models.py's criteria
        I = EXACT if x64 else close(1e-3, 1e-3)
        return {"spike_times": EXACT, "times": EXACT, "V_m": V, "I_syn_ex": I, "I_syn_in": I, "U_m": V,
                "probe_times": EXACT, "probe_V_m": V}
    if kind == "stdp_multiplicity":
        r = close(1e-12 if x64 else 1e-5, 0.0)
        return {"pre_spike_times": EXACT, "post_spike_times": EXACT, "weight_recorder_times": EXACT,
                "weight_recorder_targets": EXACT, "weight_recorder_weights": r, "final_weight": r,
                "final_Kplus": r, "probe_times": EXACT, "probe_V_m": close(0.0, 1e-12 if x64 else 1e-3)}
    if kind == "synapse":
        r = close(1e-12 if x64 else 1e-5, 0.0)
        state = ("weight", "Kplus", "Kplus_triplet", "x", "y", "u", "c", "n")
        params = ("U", "tau_psc", "tau_rec", "tau_fac", "tau_plus", "lambda", "alpha", "mu_plus", "mu_minus", "Wmax",
                  "tau", "eta", "tau_plus_triplet", "Aplus", "Aminus", "Aplus_triplet", "Aminus_triplet")  # as set
        return {"weight_recorder_times": EXACT, "weight_recorder_weights": r, "final_weight": r,
                "final/delay": EXACT, **{f"final/{k}": r for k in state + params}, "post_spike_times": EXACT,
                "V_m_times": EXACT, "V_m": close(0.0, 1e-12 if x64 else 1e-3)}
    if kind == "synapse_network":
        r = close(1e-12 if x64 else 1e-5, 0.0)
        names = ("weight", "Kplus", "Kplus_triplet", "tau_plus", "lambda", "alpha", "mu_plus", "mu_minus", "Wmax",
                 "tau", "eta", "tau_plus_triplet", "Aplus", "Aminus", "Aplus_triplet", "Aminus_triplet")
        return {"spike_times": EXACT, "spike_senders": EXACT, "final_V_m": close(0.0, 1e-12 if x64 else 1e-3),
                "weight_recorder/times": EXACT, "weight_recorder/senders": EXACT, "weight_recorder/targets": EXACT,
                "weight_recorder/weights": r, "final/source": EXACT, "final/target": EXACT, "final/delay": EXACT,
                **{f"final/{k}": r for k in names}}
    if kind == "rules_network":  # synapse_network's, per projection: weight_recorder/<model>/times is .../times
        return criteria("synapse_network", x64)
    if kind == "dopamine_network":
        r = close(1e-12 if x64 else 1e-5, 0.0)
        return {"spike_times": EXACT, "spike_senders": EXACT, "final_V_m": close(0.0, 1e-12 if x64 else 1e-3),
                "weight_recorder/times": EXACT, "weight_recorder/senders": EXACT, "weight_recorder/targets": EXACT,
                "weight_recorder/weights": r, "final/source": EXACT, "final/target": EXACT,
                **{f"final/{k}": r for k in ("weight", "Kplus", "c", "n")}}
    if kind == "recorder_pair":
        return {"multimeter_times": EXACT, "voltmeter_times": EXACT, "multimeter_V_m": V, "voltmeter_V_m": V,
                "voltmeter_defaults/record_from": ("equal", 0.0, 0.0), "voltmeter_defaults/interval": EXACT}
    w = close(0.0, 1e-9 if x64 else 1e-4)
    return {"spike_times": EXACT, "spike_senders": EXACT, "final_V_m": close(0.0, 1e-9 if x64 else 1e-3),
            "e_syn_final/source": EXACT, "e_syn_final/target": EXACT, "e_syn_final/delay": EXACT,
            "e_syn_final/weight": w}


def _flat(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update({f"{k}/{kk}": vv for kk, vv in _flat(v).items()})
        else:
            out[k] = v
    return out


def _criterion(crit: dict, key: str):
    """The criterion of ``key``; a key one level deeper (a projection's: weight_recorder/<model>/times) has that of
    the key without its middle level."""
    parts = key.split("/")
    return crit.get(key, crit.get(f"{parts[0]}/{parts[-1]}") if len(parts) == 3 else None)


def compare(case: dict, out: dict, x64: bool) -> dict:
    """{key: (passed, detail)} for every key of ``case["expected"]``; keys we have no criterion for fail."""
    exp, got, crit = _flat(case["expected"]), _flat(out), criteria(case["kind"], x64)
    result = {}
    for key, want in exp.items():
        if _criterion(crit, key) is None or key not in got:
            result[key] = (False, "no criterion for this key" if _criterion(crit, key) is None
                           else "missing from our output")
            continue
        how, rtol, atol = _criterion(crit, key)
        if how == "equal":  # not numbers (e.g. names)
            ok = list(np.atleast_1d(got[key])) == list(np.atleast_1d(want))
            result[key] = (ok, "equal" if ok else f"{got[key]!r}, NEST has {want!r}")
            continue
        a, b = np.asarray(got[key], float), np.asarray(want, float)
        if a.shape != b.shape:
            result[key] = (False, f"{a.size} values, NEST has {b.size}")
            continue
        dev = float(np.max(np.abs(a - b))) if a.size else 0.0
        if how == "exact":
            ok = bool(np.array_equal(a, b))
            detail = "identical" if ok else f"{int(np.sum(a != b))} of {a.size} differ (max |diff| {dev:.3g})"
        else:
            ok = bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))
            bound = f"atol {atol:g}" if atol else f"rtol {rtol:g}"
            detail = f"max |diff| {dev:.3g} ({bound})"
        result[key] = (ok, detail)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m jaxsnn.testing.conformance", description=__doc__.splitlines()[0])
    ap.add_argument("case", help="a case JSON file")
    ap.add_argument("--x64", action="store_true", help="simulate in float64 (bit-exact with NEST)")
    ap.add_argument("--output", help="also write our output as JSON to this file")
    args = ap.parse_args(argv)
    import jax

    if args.x64:
        jax.config.update("jax_enable_x64", True)
    with open(args.case) as f:
        case = json.load(f)
    try:
        out = run_case(case)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.output:
        with open(args.output, "w") as f:
            json.dump(out, f)
    if "expected" not in case:
        json.dump(out, sys.stdout)
        print()
        return 0
    x64 = bool(jax.config.jax_enable_x64)
    result = compare(case, out, x64)
    for key, (ok, detail) in result.items():
        print(f"{'PASS' if ok else 'FAIL'}  {key}: {detail}")
    failed = [k for k, (ok, _) in result.items() if not ok]
    print(f"{'FAIL' if failed else 'PASS'}: {len(result) - len(failed)} of {len(result)} keys agree with NEST "
          f"({'float64' if x64 else 'float32'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
