"""NEST 3.10 reference cases of networks whose plastic synapses follow two rules at once.

Run with a Python that has nest-simulator 3.10 installed:
    python nest_two_rules.py OUTDIR

``kind: "rules_network"``: ``n_exc`` excitatory then ``n_inh`` inhibitory iaf_psc_alpha neurons (node ids
1..n, initial ``V_m``, the neurons' ``neuron_params``), each driven by a spike_generator (``inputs[i]``: times,
weight ``input_weight``, delay 1 ms), connected by explicit lists (``projections``, in the order they were
connected: ``model``, a CopyModel of ``synapse`` with ``common_params`` and, for a plastic one, its own
weight_recorder; ``connections``: source, target, weight, delay and any per-connection parameter; no
multapses, no autapses). Nothing is drawn by NEST. ``expected``: every spike (``spike_times``,
``spike_senders``, sorted by time then sender), ``final_V_m``, per plastic projection (by ``model``) its
weight_recorder's events sorted by (time, sender, target) and its connections' final state (GetConnections,
sorted by source, target).

Cases: ``net_rules_stdp_vogels`` (Vogels et al. 2011: stdp_synapse on E→E, vogels_sprekeler_synapse on I→E,
static E→I and I→I), ``net_rules_stdp_nn_symm`` (two rules of the STDP family: stdp_synapse on E→E,
stdp_nn_symm_synapse on E→I, static I→E and I→I), ``net_rules_stdp_nn_pre_centered`` (stdp_synapse on E→E,
stdp_nn_pre_centered_synapse on E→I), ``net_rules_nn_restr_vogels`` (stdp_nn_restr_synapse on E→E,
vogels_sprekeler_synapse on I→E), ``net_rules_stdp_pl_vogels`` (stdp_pl_synapse_hom on E→E,
vogels_sprekeler_synapse on I→E) and ``net_rules_stdp_triplet`` (stdp_synapse on E→E, stdp_triplet_synapse on
E→I). The cases are made in this order from one random generator: a new case goes
last, so that the others stay the same.
"""
import json
import os
import sys

import numpy as np
import nest

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nest_synapses import NOT_STATE, poisson_times, rounded  # noqa: E402

GENERATOR = "nest_two_rules.py"
nest.set_verbosity("M_ERROR")


def pairs(rng, sources, targets, indegree):
    """``indegree`` distinct sources (no autapse) for each target: (source ids, target ids)."""
    src, tgt = [], []
    for t in targets:
        pool = [s for s in sources if s != t]
        src += [int(x) for x in rng.choice(pool, size=min(indegree, len(pool)), replace=False)]
        tgt += [int(t)] * min(indegree, len(pool))
    return src, tgt


def projection(rng, model, synapse, sources, targets, indegree, w_range, common=None, per_conn=None):
    src, tgt = pairs(rng, sources, targets, indegree)
    M = len(src)
    conns = dict(source=src, target=tgt, weight=[float(x) for x in rng.uniform(*w_range, M)],
                 delay=[float(x) for x in rng.choice([1.0, 1.5, 2.0, 3.2], M)])
    for k, f in (per_conn or {}).items():
        conns[k] = [float(x) for x in f(rng, M)]
    return dict(model=model, synapse=synapse, common_params=dict(common or {}), connections=conns)


def run(name, rng, projections, n_exc=20, n_inh=6, neuron_params=None, input_rate=1500.0, input_weight=60.0,
        t_sim=500.0, note=""):
    dt = 0.1
    n = n_exc + n_inh
    V0 = rng.uniform(-70.0, -56.0, n)
    inputs = [poisson_times(rng, input_rate, t_sim, dt, t0=0.5) for _ in range(n)]
    projections = [p(rng) for p in projections]
    nest.ResetKernel()
    nest.resolution = dt
    pop = nest.Create("iaf_psc_alpha", n, params={"V_m": V0, **(neuron_params or {})})
    recorders = {}
    for p in projections:
        plastic = p["synapse"] != "static_synapse"
        extra = {}
        if plastic:
            recorders[p["model"]] = extra["weight_recorder"] = nest.Create("weight_recorder")
        nest.CopyModel(p["synapse"], p["model"], dict(p["common_params"], **extra))
    for i in range(n):
        g = nest.Create("spike_generator", params={"spike_times": inputs[i]})
        nest.Connect(g, pop[i], syn_spec={"weight": input_weight, "delay": 1.0})
    for p in projections:
        c = p["connections"]
        syn = {k: np.asarray(v) for k, v in c.items() if k not in ("source", "target")}
        nest.Connect(np.asarray(c["source"]), np.asarray(c["target"]), "one_to_one",
                     dict(syn, synapse_model=p["model"]))
    sr = nest.Create("spike_recorder")
    nest.Connect(pop, sr)
    nest.Simulate(t_sim)
    ev = sr.get("events")
    order = np.lexsort((ev["senders"], ev["times"]))
    weight_recorders, finals = {}, {}
    for model, wr in recorders.items():
        wev = wr.get("events")
        worder = np.lexsort((wev["targets"], wev["senders"], wev["times"]))
        weight_recorders[model] = dict(times=rounded(np.asarray(wev["times"])[worder]),
                                       senders=[int(x) for x in np.asarray(wev["senders"])[worder]],
                                       targets=[int(x) for x in np.asarray(wev["targets"])[worder]],
                                       weights=[float(x) for x in np.asarray(wev["weights"])[worder]])
        status = nest.GetConnections(synapse_model=model).get()
        keys = [k for k, v in status.items() if k not in NOT_STATE and isinstance(v[0], (int, float))]
        corder = np.lexsort((np.asarray(status["target"]), np.asarray(status["source"])))
        final = {k: [float(status[k][i]) for i in corder] for k in keys}
        final.update(source=[int(status["source"][i]) for i in corder],
                     target=[int(status["target"][i]) for i in corder])
        finals[model] = final
    case = dict(
        kind="rules_network", generator=GENERATOR, name=name, note=note, resolution=dt, t_sim=t_sim,
        n_exc=n_exc, n_inh=n_inh, V_m=[float(v) for v in V0], neuron_params=dict(neuron_params or {}),
        inputs=inputs, input_weight=input_weight, projections=projections,
        expected=dict(spike_times=rounded(np.asarray(ev["times"])[order]),
                      spike_senders=[int(x) for x in np.asarray(ev["senders"])[order]],
                      final_V_m=[float(v) for v in pop.get("V_m")],
                      weight_recorder=weight_recorders, final=finals))
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(case, f, separators=(",", ":"))
    print(name, "spikes", len(ev["times"]), {m: len(w["times"]) for m, w in weight_recorders.items()})
    return case


def main():
    rng = np.random.default_rng(20261207)
    E, I = list(range(1, 21)), list(range(21, 27))
    run("net_rules_stdp_vogels", rng, [
        lambda r: projection(r, "ee", "stdp_synapse", E, E, 5, (20.0, 60.0),
                             common={"Wmax": 120.0, "tau_plus": 17.0, "lambda": 0.02, "alpha": 1.1,
                                     "mu_plus": 0.0, "mu_minus": 0.0}),
        lambda r: projection(r, "ie", "vogels_sprekeler_synapse", I, E, 3, (-40.0, -5.0),
                             common={"tau": 25.0, "eta": 1.5, "alpha": 0.2, "Wmax": -150.0, "weight": -20.0},
                             per_conn={"Kplus": lambda r, m: r.uniform(0.0, 1.0, m)}),
        lambda r: projection(r, "ei", "static_synapse", E, I, 5, (20.0, 60.0)),
        lambda r: projection(r, "ii", "static_synapse", I, I, 2, (-40.0, -10.0)),
    ], neuron_params={"tau_minus": 25.0},
        note="Vogels et al. 2011's pairing: stdp_synapse on E->E, vogels_sprekeler_synapse on I->E (inhibitory "
             "weights, per-connection initial Kplus), static E->I and I->I; delays 1 to 3.2 ms")
    run("net_rules_stdp_nn_symm", rng, [
        lambda r: projection(r, "ee", "stdp_synapse", E, E, 5, (20.0, 60.0),
                             common={"Wmax": 120.0, "tau_plus": 17.0, "lambda": 0.02, "alpha": 1.1}),
        lambda r: projection(r, "ei", "stdp_nn_symm_synapse", E, I, 5, (20.0, 60.0),
                             common={"Wmax": 150.0, "tau_plus": 12.0, "alpha": 1.2, "mu_plus": 0.4,
                                     "mu_minus": 0.6},
                             per_conn={"lambda": lambda r, m: r.uniform(0.01, 0.05, m)}),
        lambda r: projection(r, "ie", "static_synapse", I, E, 3, (-60.0, -20.0)),
        lambda r: projection(r, "ii", "static_synapse", I, I, 2, (-40.0, -10.0)),
    ], neuron_params={"tau_minus": 25.0},
        note="two rules of the STDP family: stdp_synapse on E->E (tau_plus 17), stdp_nn_symm_synapse on E->I "
             "(tau_plus 12, per-connection lambda), static I->E and I->I; delays 1 to 3.2 ms")
    run("net_rules_stdp_nn_pre_centered", rng, [
        lambda r: projection(r, "ee", "stdp_synapse", E, E, 5, (20.0, 60.0),
                             common={"Wmax": 120.0, "tau_plus": 17.0, "lambda": 0.02, "alpha": 1.1}),
        lambda r: projection(r, "ei", "stdp_nn_pre_centered_synapse", E, I, 5, (20.0, 60.0),
                             common={"Wmax": 150.0, "tau_plus": 12.0, "alpha": 1.2, "lambda": 0.03},
                             per_conn={"Kplus": lambda r, m: r.uniform(0.0, 1.0, m)}),
        lambda r: projection(r, "ie", "static_synapse", I, E, 3, (-60.0, -20.0)),
        lambda r: projection(r, "ii", "static_synapse", I, I, 2, (-40.0, -10.0)),
    ], neuron_params={"tau_minus": 25.0},
        note="stdp_synapse on E->E with stdp_nn_pre_centered_synapse on E->I (shared sources; first post spike "
             "only, K+ reset after it, per-connection initial Kplus), static I->E and I->I; delays 1 to 3.2 ms")
    run("net_rules_nn_restr_vogels", rng, [
        lambda r: projection(r, "ee", "stdp_nn_restr_synapse", E, E, 5, (20.0, 60.0),
                             common={"Wmax": 120.0, "tau_plus": 17.0, "lambda": 0.03, "alpha": 1.1}),
        lambda r: projection(r, "ie", "vogels_sprekeler_synapse", I, E, 3, (-40.0, -5.0),
                             common={"tau": 25.0, "eta": 1.5, "alpha": 0.2, "Wmax": -150.0, "weight": -20.0},
                             per_conn={"Kplus": lambda r, m: r.uniform(0.0, 1.0, m)}),
        lambda r: projection(r, "ei", "static_synapse", E, I, 5, (20.0, 60.0)),
        lambda r: projection(r, "ii", "static_synapse", I, I, 2, (-40.0, -10.0)),
    ], neuron_params={"tau_minus": 25.0},
        note="stdp_nn_restr_synapse on E->E (restricted nearest-neighbour pairing: depression only after a post "
             "spike) with vogels_sprekeler_synapse on I->E, static E->I and I->I; delays 1 to 3.2 ms")
    run("net_rules_stdp_pl_vogels", rng, [
        lambda r: projection(r, "ee", "stdp_pl_synapse_hom", E, E, 5, (20.0, 60.0),
                             common={"tau_plus": 17.0, "lambda": 0.05, "alpha": 0.12, "mu": 0.4}),
        lambda r: projection(r, "ie", "vogels_sprekeler_synapse", I, E, 3, (-40.0, -5.0),
                             common={"tau": 25.0, "eta": 1.5, "alpha": 0.2, "Wmax": -150.0, "weight": -20.0},
                             per_conn={"Kplus": lambda r, m: r.uniform(0.0, 1.0, m)}),
        lambda r: projection(r, "ei", "static_synapse", E, I, 5, (20.0, 60.0)),
        lambda r: projection(r, "ii", "static_synapse", I, I, 2, (-40.0, -10.0)),
    ], neuron_params={"tau_minus": 25.0},
        note="stdp_pl_synapse_hom on E->E (power-law rule, its K+ decay a product with 1/tau_plus) with "
             "vogels_sprekeler_synapse on I->E, static E->I and I->I; delays 1 to 3.2 ms")
    run("net_rules_stdp_triplet", rng, [
        lambda r: projection(r, "ee", "stdp_synapse", E, E, 5, (20.0, 60.0),
                             common={"Wmax": 120.0, "tau_plus": 17.0, "lambda": 0.02, "alpha": 1.1}),
        lambda r: projection(r, "ei", "stdp_triplet_synapse", E, I, 5, (20.0, 60.0),
                             common={"Wmax": 150.0, "tau_plus": 16.8, "tau_plus_triplet": 101.0, "Aplus": 0.5,
                                     "Aminus": 0.6, "Aplus_triplet": 0.2, "Aminus_triplet": 0.05},
                             per_conn={"Kplus_triplet": lambda r, m: r.uniform(0.0, 1.0, m)}),
        lambda r: projection(r, "ie", "static_synapse", I, E, 3, (-60.0, -20.0)),
        lambda r: projection(r, "ii", "static_synapse", I, I, 2, (-40.0, -10.0)),
    ], neuron_params={"tau_minus": 25.0, "tau_minus_triplet": 90.0},
        note="stdp_synapse on E->E with stdp_triplet_synapse on E->I (shared sources; the targets' triplet trace, "
             "per-connection initial Kplus_triplet), static I->E and I->I; delays 1 to 3.2 ms")


if __name__ == "__main__":
    main()
