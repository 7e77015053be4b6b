"""NEST 3.10 reference cases for synapse models beyond static_synapse and stdp_synapse(_hom).

Run with a Python that has nest-simulator 3.10 installed:
    python nest_synapses.py OUTDIR

Every case is ``kind: "synapse"`` (the ``stdp`` case schema, extended; ``tests/reference/README.md``):
a spike_generator drives a parrot_neuron (pre), another one drives the receiving node (post; a parrot,
or a neuron model that the plastic connection and its own drive make fire), and one connection of
``synapse`` (its common properties through CopyModel, its per-connection ones in the syn_spec) joins
pre to post. A weight_recorder on the connection gives the weight transmitted at each presynaptic
spike; GetConnections at the end gives the final weight and synapse state.
"""
import json
import os
import sys

import numpy as np
import nest

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
nest.set_verbosity("M_ERROR")
GENERATOR = "nest_synapses.py"
HOM_WEIGHT = ("static_synapse_hom_w", "tsodyks_synapse_hom")  # the weight is a common property
# GetConnections keys that are not synapse parameters or state
NOT_STATE = {"source", "target", "target_thread", "port", "synapse_id", "synapse_model", "sizeof",
             "receptor", "weight_recorder", "volume_transmitter", "has_delay", "requires_symmetric"}


def grid(t, dt=0.1):
    return float(np.round(np.round(t / dt) * dt, 10))


def poisson_times(rng, rate_hz, t_sim, dt=0.1, t0=1.0):
    n = rng.poisson(rate_hz * (t_sim - t0 - 5) / 1000.0)
    t = np.unique(np.round(rng.uniform(t0, t_sim - 5, n) / dt) * dt)
    return [grid(x, dt) for x in t]


def rounded(times):
    return [round(float(x), 6) for x in times]


def synapse_case(name, synapse, pre_times, post_times, t_sim, common=None, syn_params=None, weight=1.0, delay=1.0,
                 post_model="parrot_neuron", post_params=None, post_drive_weight=1.0, dopa_times=None,
                 vt_params=None, dt=0.1, note=""):
    """One ``synapse`` connection pre → post; ``common``: CopyModel parameters (hom models' common properties),
    ``syn_params``: per-connection parameters. A parrot post gets the plastic connection on receptor 1 (not
    repeated) and its own train on receptor 0; a neuron post gets its train through a static synapse of weight
    ``post_drive_weight`` and the plastic connection on receptor 0 (its V_m is recorded at every step)."""
    nest.ResetKernel()
    nest.resolution = dt
    common, syn_params, post_params = dict(common or {}), dict(syn_params or {}), dict(post_params or {})
    sg_pre = nest.Create("spike_generator", params={"spike_times": pre_times})
    sg_post = nest.Create("spike_generator", params={"spike_times": post_times})
    pre = nest.Create("parrot_neuron")
    post = nest.Create(post_model, params=post_params)
    wr = nest.Create("weight_recorder")
    model_params = dict(common, weight_recorder=wr)
    if dopa_times is not None:
        sg_dopa = nest.Create("spike_generator", params={"spike_times": dopa_times})
        dopa = nest.Create("parrot_neuron")
        vt = nest.Create("volume_transmitter", params=dict(vt_params or {}))
        nest.Connect(sg_dopa, dopa, syn_spec={"delay": 1.0})
        nest.Connect(dopa, vt)
        model_params["volume_transmitter"] = vt
    nest.CopyModel(synapse, "plastic", model_params)
    syn = dict(syn_params, synapse_model="plastic", delay=delay)
    if synapse not in HOM_WEIGHT and "weight" not in common:
        syn["weight"] = weight
    parrot_post = post_model == "parrot_neuron"
    if parrot_post:
        syn["receptor_type"] = 1
    nest.Connect(sg_pre, pre, syn_spec={"delay": 1.0})
    nest.Connect(sg_post, post, syn_spec={"delay": 1.0, "weight": 1.0 if parrot_post else post_drive_weight})
    nest.Connect(pre, post, syn_spec=syn)
    srp, srq = nest.Create("spike_recorder"), nest.Create("spike_recorder")
    nest.Connect(pre, srp)
    nest.Connect(post, srq)
    mm = None
    if not parrot_post:
        mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": dt})
        nest.Connect(mm, post)
    nest.Simulate(t_sim)
    wev = wr.get("events")
    status = nest.GetConnections(pre, post).get()
    final = {k: float(v) for k, v in status.items() if k not in NOT_STATE and isinstance(v, (int, float))}
    expected = dict(
        weight_recorder_times=rounded(wev["times"]),
        weight_recorder_weights=[float(x) for x in wev["weights"]],
        final_weight=float(status.get("weight", common.get("weight", 1.0))),
        final=final,
    )
    if mm is not None:
        ev = mm.get("events")
        expected.update(post_spike_times=rounded(srq.get("events")["times"]), V_m_times=rounded(ev["times"]),
                        V_m=[float(x) for x in ev["V_m"]])
    case = dict(
        kind="synapse", generator=GENERATOR, name=name, note=note, synapse=synapse, resolution=dt, t_sim=t_sim,
        common_params=common, syn_params=syn_params, weight=weight, delay=delay,
        post_model=post_model, post_params=post_params, post_drive_weight=post_drive_weight,
        pre_input_times=pre_times, post_input_times=post_times,
        pre_spike_times=rounded(srp.get("events")["times"]),
        post_spike_times=rounded(srq.get("events")["times"]) if parrot_post else None,
        expected=expected,
    )
    if dopa_times is not None:
        case.update(dopa_input_times=dopa_times, vt_params=dict(vt_params or {}))
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(case, f, separators=(",", ":"))
    return case


def stochastic_case(name, synapse, pre_times, n_conn, seeds, syn_params=None, weight=1.0, t_sim=None, note=""):
    """``kind: "synapse_stats"``: one pre parrot, ``n_conn`` connections of ``synapse`` to as many post parrots
    (receptor 1: not repeated), for each seed in ``seeds`` (``nest.rng_seed``, one thread). The weight_recorder
    gives each transmitted event; a spike not transmitted counts as weight 0. ``expected``: per presynaptic
    spike k, the mean and variance over connections and seeds of the transmitted weight (``mean_weight``,
    ``var_weight``), the fraction transmitted (``p_sent``), and per seed the mean over connections and spikes
    (``per_seed_mean``)."""
    t_sim = t_sim or (max(pre_times) + 10.0)
    W = []
    for seed in seeds:
        nest.ResetKernel()
        nest.resolution = 0.1
        nest.rng_seed = seed
        sg = nest.Create("spike_generator", params={"spike_times": pre_times})
        pre = nest.Create("parrot_neuron")
        post = nest.Create("parrot_neuron", n_conn)
        wr = nest.Create("weight_recorder")
        nest.CopyModel(synapse, "plastic", {"weight_recorder": wr})
        nest.Connect(sg, pre, syn_spec={"delay": 1.0})
        nest.Connect(pre, post, "all_to_all", syn_spec=dict(syn_params or {}, synapse_model="plastic", weight=weight,
                                                            receptor_type=1))
        nest.Simulate(t_sim)
        ev = wr.get("events")
        k = np.searchsorted(np.round(np.asarray(pre_times) + 1.0, 6), np.round(ev["times"], 6))
        w = np.zeros((n_conn, len(pre_times)))
        w[np.asarray(ev["targets"]) - post[0].global_id, k] = ev["weights"]
        W.append(w)
    W = np.array(W)  # [seeds, conn, spikes]
    case = dict(kind="synapse_stats", generator=GENERATOR, name=name, note=note, synapse=synapse,
                syn_params=dict(syn_params or {}), weight=weight, delay=1.0, resolution=0.1, t_sim=t_sim,
                pre_input_times=pre_times, pre_spike_times=rounded(np.asarray(pre_times) + 1.0), n_conn=n_conn,
                seeds=list(seeds),
                expected=dict(mean_weight=W.mean(axis=(0, 1)).tolist(), var_weight=W.var(axis=(0, 1)).tolist(),
                              p_sent=(W > 0).mean(axis=(0, 1)).tolist(), per_seed_mean=W.mean(axis=(1, 2)).tolist()))
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(case, f, separators=(",", ":"))


def main():
    rng = np.random.default_rng(20261207)
    T = 1000.0

    def trains(rate_pre=30.0, rate_post=30.0, t_sim=T):
        return poisson_times(rng, rate_pre, t_sim), poisson_times(rng, rate_post, t_sim)

    # --- stdp_pl_synapse_hom (hpc_benchmark's E->E synapse)
    pre, post = trains()
    synapse_case("syn_stdp_pl_hom_default", "stdp_pl_synapse_hom", pre, post, T, weight=45.0,
                 note="default common properties (lambda 0.1, mu 0.4), weight 45")
    pre, post = trains(40.0, 40.0)
    synapse_case("syn_stdp_pl_hom_hpc", "stdp_pl_synapse_hom", pre, post, T, weight=45.61,
                 common={"alpha": 0.0513, "lambda": 0.1, "mu": 0.4, "tau_plus": 15.0}, delay=1.5,
                 post_params={"tau_minus": 30.0}, note="hpc_benchmark's parameters, delay 1.5 ms")
    pre, post = trains(50.0, 20.0)
    synapse_case("syn_stdp_pl_hom_onto_delta", "stdp_pl_synapse_hom", pre, post, T, weight=2.0,
                 common={"alpha": 0.5, "lambda": 0.05, "mu": 0.4}, post_model="iaf_psc_delta",
                 post_params={"tau_minus": 25.0}, post_drive_weight=16.0,
                 note="receiving iaf_psc_delta: its V_m and spikes are checked")
    # --- short-term plasticity
    pre, _ = trains(40.0, 0.0)
    synapse_case("syn_tsodyks2_depressing", "tsodyks2_synapse", pre, [], T, weight=10.0,
                 syn_params={"U": 0.5, "tau_rec": 200.0, "tau_fac": 0.0}, note="depressing (tau_fac 0)")
    pre, _ = trains(40.0, 0.0)
    synapse_case("syn_tsodyks2_facilitating", "tsodyks2_synapse", pre, [], T, weight=10.0,
                 syn_params={"U": 0.1, "u": 0.1, "tau_rec": 100.0, "tau_fac": 500.0}, note="facilitating")
    pre, post = trains(60.0, 10.0)
    synapse_case("syn_tsodyks2_onto_exp", "tsodyks2_synapse", pre, post, T, weight=400.0,
                 syn_params={"U": 0.3, "u": 0.3, "x": 0.8, "tau_rec": 150.0, "tau_fac": 80.0}, delay=2.0,
                 post_model="iaf_psc_exp", post_drive_weight=5000.0, note="receiving iaf_psc_exp")
    pre, _ = trains(40.0, 0.0)
    synapse_case("syn_tsodyks_depressing", "tsodyks_synapse", pre, [], T, weight=10.0,
                 syn_params={"U": 0.5, "tau_psc": 3.0, "tau_rec": 400.0, "tau_fac": 0.0}, note="depressing")
    pre, _ = trains(40.0, 0.0)
    synapse_case("syn_tsodyks_facilitating", "tsodyks_synapse", pre, [], T, weight=10.0,
                 syn_params={"U": 0.1, "tau_psc": 2.0, "tau_rec": 100.0, "tau_fac": 1000.0, "u": 0.1, "x": 0.9,
                             "y": 0.05}, note="facilitating, non-default initial x, y, u")
    pre, post = trains(60.0, 10.0)
    synapse_case("syn_tsodyks_onto_exp", "tsodyks_synapse", pre, post, T, weight=500.0,
                 syn_params={"U": 0.4, "tau_psc": 2.0, "tau_rec": 300.0, "tau_fac": 50.0}, delay=1.5,
                 post_model="iaf_psc_exp", post_params={"tau_syn_ex": 2.0}, post_drive_weight=5000.0,
                 note="receiving iaf_psc_exp with tau_syn_ex = tau_psc")
    pre, _ = trains(40.0, 0.0)
    synapse_case("syn_tsodyks_hom", "tsodyks_synapse_hom", pre, [], T, weight=10.0,
                 common={"U": 0.2, "tau_psc": 3.0, "tau_rec": 300.0, "tau_fac": 200.0, "weight": 10.0},
                 syn_params={"u": 0.2}, note="common weight, U, tau_psc, tau_rec, tau_fac by CopyModel")
    # --- static_synapse_hom_w
    pre, post = trains(50.0, 20.0)
    synapse_case("syn_static_hom_w_onto_delta", "static_synapse_hom_w", pre, post, 500.0,
                 common={"weight": 3.5}, delay=2.0, post_model="iaf_psc_delta", post_drive_weight=12.0,
                 note="common weight 3.5 by CopyModel")
    # --- nearest-neighbour STDP
    for model, tag in (("stdp_nn_symm_synapse", "symm"), ("stdp_nn_restr_synapse", "restr"),
                       ("stdp_nn_pre_centered_synapse", "pre_centered")):
        pre, post = trains(30.0, 30.0)
        synapse_case(f"syn_stdp_nn_{tag}", model, pre, post, T, weight=50.0,
                     syn_params={"lambda": 0.02, "alpha": 1.1, "mu_plus": 0.5, "mu_minus": 0.5, "Wmax": 97.0},
                     post_params={"tau_minus": 33.0}, note="random pre/post trains, non-integer mu")
        pre, post = trains(40.0, 40.0)
        synapse_case(f"syn_stdp_nn_{tag}_delay", model, pre, post, T, weight=20.0, delay=2.5,
                     syn_params={"tau_plus": 15.0}, note="default rule parameters, delay 2.5 ms")
    # --- triplet STDP (post neuron's tau_minus_triplet)
    pre, post = trains(30.0, 30.0)
    synapse_case("syn_stdp_triplet", "stdp_triplet_synapse", pre, post, T, weight=5.0,
                 syn_params={"Aplus": 0.05, "Aminus": 0.07, "Aplus_triplet": 0.02, "Aminus_triplet": 0.01,
                             "Wmax": 20.0}, post_params={"tau_minus": 33.7, "tau_minus_triplet": 125.0},
                 note="triplet rule with the post neuron's tau_minus_triplet")
    pre, post = trains(40.0, 40.0)
    synapse_case("syn_stdp_triplet_default", "stdp_triplet_synapse", pre, post, T, weight=1.0, delay=2.0,
                 note="default parameters, delay 2 ms")
    # --- vogels_sprekeler (symmetric inhibitory STDP; the post neuron's tau_minus = tau)
    pre, post = trains(30.0, 30.0)
    synapse_case("syn_vogels_sprekeler", "vogels_sprekeler_synapse", pre, post, T, weight=0.5,
                 syn_params={"eta": 0.01, "alpha": 0.2, "Wmax": 2.0}, note="positive weights")
    pre, post = trains(30.0, 30.0)
    synapse_case("syn_vogels_sprekeler_negative", "vogels_sprekeler_synapse", pre, post, T, weight=-0.5,
                 syn_params={"eta": 0.01, "alpha": 0.2, "Wmax": -2.0, "tau": 20.0}, delay=1.5,
                 note="negative weight and Wmax (magnitude rule)")
    # --- stdp_dopamine_synapse with a volume_transmitter
    pre, post = trains(30.0, 30.0)
    dopa = poisson_times(rng, 10.0, T)
    synapse_case("syn_stdp_dopamine", "stdp_dopamine_synapse", pre, post, T, weight=35.0,
                 common={"A_plus": 1.0, "A_minus": 1.5, "tau_c": 200.0, "tau_n": 100.0, "b": 0.01, "Wmax": 100.0},
                 dopa_times=dopa, note="dopamine spikes through a parrot into the volume_transmitter")
    pre, post = trains(30.0, 30.0)
    dopa = poisson_times(rng, 20.0, T)
    synapse_case("syn_stdp_dopamine_interval", "stdp_dopamine_synapse", pre, post, T, weight=35.0, delay=2.0,
                 common={"tau_c": 300.0, "tau_n": 150.0, "A_minus": 0.8, "Wmin": 20.0, "Wmax": 60.0}, dopa_times=dopa,
                 vt_params={"deliver_interval": 3}, note="deliver_interval 3, Wmin/Wmax bounds")
    # --- stochastic synapses: statistics over connections and seeds
    regular = [grid(10.0 + 25.0 * k) for k in range(20)]
    stochastic_case("syn_bernoulli_stats", "bernoulli_synapse", regular, 100, range(1, 11),
                    syn_params={"p_transmit": 0.3}, weight=2.0, note="p_transmit 0.3")
    stochastic_case("syn_quantal_stp_stats", "quantal_stp_synapse", regular, 100, range(1, 11),
                    syn_params={"U": 0.4, "u": 0.4, "n": 5, "a": 5, "tau_rec": 200.0, "tau_fac": 50.0}, weight=1.5,
                    note="5 release sites, depressing at 40 Hz")
    print("wrote", sorted(f for f in os.listdir(OUT) if f.startswith("syn_")))


if __name__ == "__main__":
    main()
