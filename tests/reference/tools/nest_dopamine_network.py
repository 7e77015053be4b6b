"""NEST 3.10 reference cases for stdp_dopamine_synapse and volume_transmitter in a small network.

Run with a Python that has nest-simulator 3.10 installed:
    python nest_dopamine_network.py OUTDIR

``kind: "dopamine_network"``: spike generators drive ``n_pre`` presynaptic parrots, ``n_dopa`` dopamine parrots
(through ``dopa_inputs``: generator index, parrot index; two generators on one parrot give spikes of
multiplicity 2) and ``n_post`` neurons of ``post_model`` (a static drive of weight ``post_drive_weight``).
The dopamine parrots are connected to one volume_transmitter (``vt_delays``, one per parrot); a CopyModel
of stdp_dopamine_synapse (``common_params``, the transmitter, a weight_recorder) joins pre parrots to post
neurons by the explicit ``connections`` (source/target: indices into pre/post; weight, delay, Kplus, c, n per
connection). Nodes are created in this order: pre generators, post generators, dopamine generators, pre
parrots, post neurons, dopamine parrots, volume_transmitter, weight_recorder, spike_recorder.
``expected``: the weight_recorder's events, every post spike, the post neurons' final V_m and every plastic
connection's final state (GetConnections, sorted by source, target).
"""
import json
import os
import sys

import numpy as np
import nest

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
nest.set_verbosity("M_ERROR")


def grid(t, dt=0.1):
    return float(np.round(np.round(t / dt) * dt, 10))


def poisson_times(rng, rate_hz, t_sim, dt=0.1, t0=1.0):
    n = rng.poisson(rate_hz * (t_sim - t0 - 5) / 1000.0)
    return [grid(x, dt) for x in np.unique(np.round(rng.uniform(t0, t_sim - 5, n) / dt) * dt)]


def case(name, seed, t_sim=600.0, dt=0.1, n_pre=4, n_post=2, n_dopa=2, common=None, vt_params=None,
         vt_delays=(1.0, 1.5), delays=(1.0, 2.0), post_model="iaf_psc_alpha", post_params=None, post_drive_weight=1500.0,
         note=""):
    rng = np.random.default_rng(seed)
    pre_in = [poisson_times(rng, 40.0, t_sim) for _ in range(n_pre)]
    post_in = [poisson_times(rng, 40.0, t_sim) for _ in range(n_post)]
    dopa_in = [poisson_times(rng, 15.0, t_sim) for _ in range(n_dopa + 1)]
    dopa_in[-1] = sorted(set(dopa_in[-1][:6] + dopa_in[0][:6]))  # coincident with parrot 0's: multiplicity 2
    dopa_map = [(g, g) for g in range(n_dopa)] + [(n_dopa, 0)]
    conns = [dict(source=i, target=j, weight=float(rng.uniform(30.0, 80.0)), delay=float(delays[(i + j) % len(delays)]),
                  Kplus=float(rng.uniform(0.0, 1.0)) if i == 0 else 0.0, c=0.5 if j == 1 else 0.0,
                  n=0.02 if i == 1 else 0.0)
             for i in range(n_pre) for j in range(n_post)]
    nest.ResetKernel()
    nest.resolution = dt
    gpre = [nest.Create("spike_generator", params={"spike_times": t}) for t in pre_in]
    gpost = [nest.Create("spike_generator", params={"spike_times": t}) for t in post_in]
    gdopa = [nest.Create("spike_generator", params={"spike_times": t}) for t in dopa_in]
    pre = nest.Create("parrot_neuron", n_pre)
    post = nest.Create(post_model, n_post, params=dict(post_params or {}))
    dopa = nest.Create("parrot_neuron", n_dopa)
    vt = nest.Create("volume_transmitter", params=dict(vt_params or {}))
    wr = nest.Create("weight_recorder")
    sr = nest.Create("spike_recorder")
    for g, p in zip(gpre, pre):
        nest.Connect(g, p, syn_spec={"delay": 1.0})
    for g, p in zip(gpost, post):
        nest.Connect(g, p, syn_spec={"delay": 1.0, "weight": post_drive_weight})
    for g, p in dopa_map:
        nest.Connect(gdopa[g], dopa[p], syn_spec={"delay": 1.0})
    for p, d in zip(dopa, vt_delays):
        nest.Connect(p, vt, syn_spec={"delay": d})
    nest.CopyModel("stdp_dopamine_synapse", "dopa", dict(common or {}, volume_transmitter=vt, weight_recorder=wr))
    for c in conns:
        nest.Connect(pre[c["source"]], post[c["target"]], syn_spec=dict(
            synapse_model="dopa", weight=c["weight"], delay=c["delay"], Kplus=c["Kplus"], c=c["c"], n=c["n"]))
    nest.Connect(post, sr)
    nest.Simulate(t_sim)
    wev, sev = wr.get("events"), sr.get("events")
    order = np.lexsort((wev["targets"], wev["senders"], wev["times"]))
    sorder = np.lexsort((sev["senders"], sev["times"]))
    st = nest.GetConnections(pre, post).get(["source", "target", "weight", "Kplus", "c", "n"], output="pandas")
    st = st.sort_values(["source", "target"])
    out = dict(
        kind="dopamine_network", generator="nest_dopamine_network.py", name=name, note=note,
        synapse="stdp_dopamine_synapse", resolution=dt,
        t_sim=t_sim, n_pre=n_pre, n_post=n_post, n_dopa=n_dopa, post_model=post_model,
        post_params=dict(post_params or {}), post_drive_weight=post_drive_weight, pre_inputs=pre_in,
        post_inputs=post_in, dopa_inputs=dopa_in, dopa_map=dopa_map, vt_delays=list(vt_delays),
        vt_params=dict(vt_params or {}), common_params=dict(common or {}), connections=conns,
        expected=dict(
            weight_recorder=dict(times=[round(float(x), 6) for x in wev["times"][order]],
                                 senders=[int(x) for x in wev["senders"][order]],
                                 targets=[int(x) for x in wev["targets"][order]],
                                 weights=[float(x) for x in wev["weights"][order]]),
            spike_times=[round(float(x), 6) for x in sev["times"][sorder]],
            spike_senders=[int(x) for x in sev["senders"][sorder]],
            final_V_m=[float(x) for x in post.get("V_m")],
            final={k: [int(x) if k in ("source", "target") else float(x) for x in st[k]] for k in st.columns}))
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(name, len(out["expected"]["weight_recorder"]["times"]), "transmitted,", len(out["expected"]["spike_times"]),
          "post spikes")


case("net_stdp_dopamine", 7, common={"A_plus": 0.8, "A_minus": 1.2, "tau_c": 150.0, "tau_n": 80.0, "b": 0.02,
                                     "Wmax": 120.0, "tau_plus": 15.0},
     note="4 pre parrots -> 2 iaf_psc_alpha, 2 dopamine parrots (one with multiplicity-2 spikes), deliver_interval 1")
case("net_stdp_dopamine_interval", 8, vt_params={"deliver_interval": 3}, vt_delays=(2.0, 1.0), delays=(1.0, 1.5, 3.0),
     common={"A_plus": 1.5, "A_minus": 1.0, "tau_c": 300.0, "tau_n": 100.0, "b": 0.0, "Wmin": 20.0, "Wmax": 90.0},
     post_params={"tau_minus": 30.0}, note="deliver_interval 3, Wmin/Wmax bounds, delays 1-3 ms, post tau_minus 30")
