"""NEST 3.10 reference cases for the STDP family in networks: stdp_nn_symm_synapse, stdp_nn_restr_synapse,
stdp_nn_pre_centered_synapse, vogels_sprekeler_synapse and stdp_triplet_synapse.

Run with a Python that has nest-simulator 3.10 installed:
    python nest_stdp_family.py OUTDIR                 (the synapse and network cases)
    python nest_stdp_family.py OUTDIR multiplicity    (parrot multiplicity cases, nest_models.py's kind)

Two kinds of case per model (``tests/reference/README.md``):

- ``kind: "synapse"`` (as ``nest_synapses.py`` makes them) with a receiving neuron: a parrot sends Poisson
  spikes through one plastic connection to an iaf_psc_alpha that its own train and the plastic input make
  fire; its spikes and V_m at every step are recorded;
- ``kind: "synapse_network"``: ``n_neurons`` iaf_psc_alpha neurons (node ids 1..n, initial ``V_m``, the
  neurons' ``neuron_params``), each driven by a spike_generator (``inputs[i]``: times, weight ``input_weight``,
  delay 1 ms), recurrently connected by an explicit list of plastic connections (``connections``: source,
  target, weight, delay and any per-connection parameter, no multapses or autapses) of a copy of
  ``synapse`` with ``common_params`` and a weight_recorder. Nothing is drawn by NEST. ``expected``: every
  spike (``spike_times``, ``spike_senders``, sorted by time then sender), ``final_V_m``, the
  weight_recorder's events sorted by (time, sender, target) and every plastic connection's final state
  (GetConnections, sorted by source, target).
"""
import json
import os
import sys

import numpy as np
import nest

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nest_synapses import NOT_STATE, poisson_times, rounded, synapse_case  # noqa: E402

GENERATOR = "nest_stdp_family.py"
nest.set_verbosity("M_ERROR")


def network_case(name, synapse, rng, common=None, per_conn=None, n=24, indegree=6, w_range=(20.0, 60.0),
                 neuron_params=None, input_rate=1500.0, input_weight=60.0, t_sim=400.0, note=""):
    """``per_conn``: name -> function(rng, size) of the per-connection values beyond weight and delay."""
    dt = 0.1
    V0 = rng.uniform(-70.0, -56.0, n)
    src, tgt = [], []
    for i in range(n):
        s = rng.choice([j for j in range(n) if j != i], size=indegree, replace=False)
        src += [int(x) + 1 for x in s]
        tgt += [i + 1] * indegree
    M = len(src)
    conns = dict(source=src, target=tgt, weight=[float(x) for x in rng.uniform(*w_range, M)],
                 delay=[float(x) for x in rng.choice([1.0, 1.5, 2.0, 3.2], M)])
    for k, f in (per_conn or {}).items():
        conns[k] = [float(x) for x in f(rng, M)]
    inputs = [poisson_times(rng, input_rate, t_sim, dt, t0=0.5) for _ in range(n)]
    nest.ResetKernel()
    nest.resolution = dt
    pop = nest.Create("iaf_psc_alpha", n, params={"V_m": V0, **(neuron_params or {})})
    wr = nest.Create("weight_recorder")
    nest.CopyModel(synapse, "plastic", dict(common or {}, weight_recorder=wr))
    for i in range(n):
        g = nest.Create("spike_generator", params={"spike_times": inputs[i]})
        nest.Connect(g, pop[i], syn_spec={"weight": input_weight, "delay": 1.0})
    syn = {k: np.asarray(v) for k, v in conns.items() if k not in ("source", "target")}
    nest.Connect(np.asarray(src), np.asarray(tgt), "one_to_one", dict(syn, synapse_model="plastic"))
    sr = nest.Create("spike_recorder")
    nest.Connect(pop, sr)
    nest.Simulate(t_sim)
    ev = sr.get("events")
    order = np.lexsort((ev["senders"], ev["times"]))
    wev = wr.get("events")
    worder = np.lexsort((wev["targets"], wev["senders"], wev["times"]))
    status = nest.GetConnections(synapse_model="plastic").get()
    keys = [k for k, v in status.items() if k not in NOT_STATE and isinstance(v[0], (int, float))]
    corder = np.lexsort((np.asarray(status["target"]), np.asarray(status["source"])))
    final = {k: [float(status[k][i]) for i in corder] for k in keys}
    final.update(source=[int(status["source"][i]) for i in corder], target=[int(status["target"][i]) for i in corder])
    case = dict(
        kind="synapse_network", generator=GENERATOR, name=name, note=note, synapse=synapse, resolution=dt,
        t_sim=t_sim, n_neurons=n, V_m=[float(v) for v in V0], neuron_params=dict(neuron_params or {}),
        common_params=dict(common or {}), connections=conns, inputs=inputs, input_weight=input_weight,
        expected=dict(
            spike_times=rounded(np.asarray(ev["times"])[order]),
            spike_senders=[int(x) for x in np.asarray(ev["senders"])[order]],
            final_V_m=[float(v) for v in pop.get("V_m")],
            weight_recorder=dict(times=rounded(np.asarray(wev["times"])[worder]),
                                 senders=[int(x) for x in np.asarray(wev["senders"])[worder]],
                                 targets=[int(x) for x in np.asarray(wev["targets"])[worder]],
                                 weights=[float(x) for x in np.asarray(wev["weights"])[worder]]),
            final=final))
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(case, f, separators=(",", ":"))
    print(name, "spikes", len(ev["times"]), "weight events", len(wev["times"]))
    return case


def multiplicity_cases(rng):
    """``kind: "stdp_multiplicity"`` (``nest_models.py``'s schema and runner) for rules whose pairing treats the
    repeats of a parrot's spike of multiplicity m apart: only the first repeat of a post spike pairs
    (pre_centered), each repeat's archived K-,3 grows by 1 (triplet)."""
    from nest_models import poisson_grid_times, run_stdp

    for model, syn in (("stdp_nn_pre_centered_synapse", {"Wmax": 10.0, "lambda": 0.05, "alpha": 1.1, "mu_plus": 0.4,
                                                          "mu_minus": 0.4}),
                       ("stdp_triplet_synapse", {"Wmax": 10.0, "Aplus": 0.05, "Aminus": 0.06, "Aplus_triplet": 0.03,
                                                 "Aminus_triplet": 0.01})):
        pre = poisson_grid_times(rng, 60.0, 5.0, 480.0, 0.1) + [100.0, 100.0, 300.0, 300.0, 300.0]
        post = poisson_grid_times(rng, 60.0, 5.0, 480.0, 0.1) + [150.0, 150.0, 305.0, 305.0, 420.0, 420.0]
        tag = model.replace("_synapse", "").replace("stdp_", "")
        case = dict(kind="stdp_multiplicity", generator=GENERATOR, name=f"stdp_{tag}_parrot_multiplicity",
                    note=f"{model} between parrots whose input repeats times: spikes of multiplicity 2 and 3",
                    synapse=model, resolution=0.1, t_sim=500.0, syn_params=syn, weight=3.0, delay=1.0,
                    post_tau_minus=20.0, pre_input_times=sorted(pre), post_input_times=sorted(post))
        case["expected"] = run_stdp(case)
        with open(os.path.join(OUT, f"{case['name']}.json"), "w") as f:
            json.dump(case, f, separators=(",", ":"))
        print(case["name"], len(case["expected"]["weight_recorder_times"]))


def main():
    rng = np.random.default_rng(20261208)
    T = 1000.0

    def trains(rate_pre, rate_post):
        return poisson_times(rng, rate_pre, T), poisson_times(rng, rate_post, T)

    nn = {"lambda": 0.05, "alpha": 1.2, "mu_plus": 0.4, "mu_minus": 0.6, "Wmax": 300.0}
    for model, tag in (("stdp_nn_symm_synapse", "symm"), ("stdp_nn_restr_synapse", "restr"),
                       ("stdp_nn_pre_centered_synapse", "pre_centered")):
        pre, post = trains(60.0, 20.0)
        synapse_case(f"syn_stdp_nn_{tag}_onto_alpha", model, pre, post, T, weight=150.0, delay=1.5, syn_params=nn,
                     post_model="iaf_psc_alpha", post_params={"tau_minus": 25.0}, post_drive_weight=900.0,
                     note="receiving iaf_psc_alpha: its spikes and V_m are checked")
        per_conn = {"lambda": lambda r, m: r.uniform(0.01, 0.05, m)}
        if tag == "pre_centered":
            per_conn["Kplus"] = lambda r, m: r.uniform(0.0, 2.0, m)
        network_case(f"net_stdp_nn_{tag}", model, rng, per_conn=per_conn,
                     common={"alpha": 1.1, "mu_plus": 0.5, "mu_minus": 0.5, "Wmax": 120.0, "tau_plus": 17.0},
                     neuron_params={"tau_minus": 25.0},
                     note="recurrent iaf_psc_alpha network, per-connection lambda (and Kplus), delays 1 to 3.2 ms")
    pre, post = trains(60.0, 20.0)
    synapse_case("syn_vogels_sprekeler_onto_alpha", "vogels_sprekeler_synapse", pre, post, T, weight=-150.0, delay=1.5,
                 syn_params={"eta": 2.0, "alpha": 0.3, "Wmax": -400.0, "tau": 20.0}, post_model="iaf_psc_alpha",
                 post_params={"tau_minus": 20.0}, post_drive_weight=1100.0,
                 note="inhibitory plastic input onto a driven iaf_psc_alpha")
    network_case("net_vogels_sprekeler", "vogels_sprekeler_synapse", rng, w_range=(-40.0, -5.0),
                 common={"eta": 1.5, "alpha": 0.2, "Wmax": -150.0, "tau": 20.0, "weight": -20.0},
                 per_conn={"Kplus": lambda r, m: r.uniform(0.0, 1.0, m)}, neuron_params={"tau_minus": 20.0},
                 input_weight=90.0, note="recurrent inhibitory plasticity, per-connection initial Kplus")
    tri = {"Aplus": 0.5, "Aminus": 0.6, "Aplus_triplet": 0.3, "Aminus_triplet": 0.05, "Wmax": 300.0}
    pre, post = trains(60.0, 20.0)
    synapse_case("syn_stdp_triplet_onto_alpha", "stdp_triplet_synapse", pre, post, T, weight=150.0, delay=1.5,
                 syn_params=tri, post_model="iaf_psc_alpha",
                 post_params={"tau_minus": 30.0, "tau_minus_triplet": 90.0}, post_drive_weight=900.0,
                 note="receiving iaf_psc_alpha with its own tau_minus_triplet")
    network_case("net_stdp_triplet", "stdp_triplet_synapse", rng,
                 common={"Aplus": 0.4, "Aminus": 0.5, "Aplus_triplet": 0.2, "Aminus_triplet": 0.05, "Wmax": 120.0,
                         "tau_plus_triplet": 80.0},
                 per_conn={"Kplus": lambda r, m: r.uniform(0.0, 1.0, m),
                           "Kplus_triplet": lambda r, m: r.uniform(0.0, 1.0, m)},
                 neuron_params={"tau_minus": 25.0, "tau_minus_triplet": 100.0},
                 note="recurrent network, per-connection initial Kplus and Kplus_triplet")


def restr_multiplicity_case(rng):
    """stdp_nn_restr_synapse between parrots whose input repeats times (``kind: "stdp_multiplicity"``): a pre spike of
    multiplicity m is m sends at one time, of which only the first finds the post spikes since the last one."""
    from nest_models import poisson_grid_times, run_stdp

    syn = {"Wmax": 10.0, "lambda": 0.05, "alpha": 1.1, "mu_plus": 0.4, "mu_minus": 0.4}
    pre = poisson_grid_times(rng, 60.0, 5.0, 480.0, 0.1) + [100.0, 100.0, 200.0, 200.0, 300.0, 300.0, 300.0]
    post = poisson_grid_times(rng, 60.0, 5.0, 480.0, 0.1) + [96.0, 150.0, 150.0, 196.5, 305.0, 305.0, 420.0, 420.0]
    case = dict(kind="stdp_multiplicity", generator=GENERATOR, name="stdp_nn_restr_parrot_multiplicity",
                note="stdp_nn_restr_synapse between parrots whose input repeats times: spikes of multiplicity 2 and 3, "
                     "some of them after a post spike",
                synapse="stdp_nn_restr_synapse", resolution=0.1, t_sim=500.0, syn_params=syn, weight=3.0, delay=1.0,
                post_tau_minus=20.0, pre_input_times=sorted(pre), post_input_times=sorted(post))
    case["expected"] = run_stdp(case)
    with open(os.path.join(OUT, f"{case['name']}.json"), "w") as f:
        json.dump(case, f, separators=(",", ":"))
    print(case["name"], len(case["expected"]["weight_recorder_times"]))


if __name__ == "__main__":
    if sys.argv[2:] == ["multiplicity"]:
        multiplicity_cases(np.random.default_rng(20261209))
    elif sys.argv[2:] == ["restr_multiplicity"]:
        restr_multiplicity_case(np.random.default_rng(20261210))
    else:
        main()
