"""NEST 3.10 reference numbers for spike_recorders connected to spiking generators.

Run with a Python that has nest-simulator 3.10 installed:
    python nest_generator_spike_recording.py OUTDIR

Writes ``gen_spike_recording.json`` (``kind: "generator_spike_recording"``). For each generator in
``cases`` (model, params; ``individual_spike_trains`` through CopyModel) and each seed in ``seeds``
(``nest.rng_seed``, one thread): one generator drives ``n_targets`` parrot_neurons (delay ``delay`` ms) and
is connected to a spike_recorder; ``t_sim`` ms. ``expected[name]``:

- ``count`` (per seed): the spikes the recorder got from the generator; ``rate`` (Hz) per seed and its
  mean and standard error over seeds (``rate_mean``, ``rate_sem``), and the targets' mean rate (``target_rate``);
- ``same_as_targets`` (per seed): whether the recorded train equals every target's train (the parrots'
  spike times minus the delay): NEST's semantics, the recorder is one more target;
- ``senders``: the node ids the recorder saw as senders, as positions (0: the generator);
- ``times`` and ``senders_order``: the recorded events of the first seed, for deterministic generators.
"""
import json
import os
import sys

import numpy as np
import nest

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
nest.set_verbosity("M_ERROR")

SEEDS = list(range(1, 11))
N_TARGETS, T_SIM, DELAY = 4, 2000.0, 1.0
CASES = {
    "pulsepacket_sdev0": ("pulsepacket_generator", {"pulse_times": [10.0, 55.5, 120.0], "activity": 4, "sdev": 0.0,
                                                    "start": 50.0}),
    "pulsepacket": ("pulsepacket_generator", {"pulse_times": [100.0 * k + 20.0 for k in range(20)], "activity": 10,
                                              "sdev": 2.0}),
    "sinusoidal_poisson": ("sinusoidal_poisson_generator", {"rate": 60.0, "amplitude": 40.0, "frequency": 10.0,
                                                            "individual_spike_trains": True}),
    "sinusoidal_poisson_shared": ("sinusoidal_poisson_generator", {"rate": 60.0, "amplitude": 40.0,
                                                                   "frequency": 10.0,
                                                                   "individual_spike_trains": False}),
    "sinusoidal_gamma": ("sinusoidal_gamma_generator", {"rate": 60.0, "amplitude": 30.0, "frequency": 10.0,
                                                        "order": 3.0, "individual_spike_trains": True}),
    "sinusoidal_gamma_shared": ("sinusoidal_gamma_generator", {"rate": 60.0, "amplitude": 30.0, "frequency": 10.0,
                                                               "order": 3.0, "individual_spike_trains": False}),
    "inhomogeneous_poisson": ("inhomogeneous_poisson_generator", {"rate_times": [100.0, 900.0, 1500.0],
                                                                  "rate_values": [80.0, 20.0, 50.0]}),
    "mip": ("mip_generator", {"rate": 60.0, "p_copy": 0.5}),
    "gamma_sup": ("gamma_sup_generator", {"rate": 20.0, "gamma_shape": 3, "n_proc": 5}),
    "ppd_sup": ("ppd_sup_generator", {"rate": 20.0, "dead_time": 3.0, "n_proc": 5}),
}


def run(model, params, seed):
    nest.ResetKernel()
    nest.resolution = 0.1
    nest.rng_seed = seed
    own = {k: v for k, v in params.items() if k == "individual_spike_trains"}
    if own:
        nest.CopyModel(model, "gen", own)
    g = nest.Create("gen" if own else model, params={k: v for k, v in params.items() if k not in own})
    p = nest.Create("parrot_neuron", N_TARGETS)
    sr, sp = nest.Create("spike_recorder"), nest.Create("spike_recorder")
    nest.Connect(g, p, syn_spec={"delay": DELAY})
    nest.Connect(g, sr)
    nest.Connect(p, sp)
    nest.Simulate(T_SIM)
    e, f = sr.get("events"), sp.get("events")
    rec = np.sort(np.round(e["times"], 6))
    targets = [np.sort(np.round(f["times"][f["senders"] == i] - DELAY, 6)) for i in p.tolist()]
    # the targets' trains up to T_SIM - DELAY: spikes later than that reach them after the run
    cut = rec[rec <= T_SIM - DELAY + 1e-9]
    same = all(len(t) == len(cut) and np.allclose(t, cut, atol=1e-9) for t in targets)
    order = np.lexsort((e["senders"], e["times"]))
    return dict(count=len(rec), same=bool(same), senders=sorted({int(s) - g.global_id for s in e["senders"]}),
                target_count=float(np.mean([len(t) for t in targets])),
                times=[round(float(x), 6) for x in np.asarray(e["times"])[order]])


def main():
    out = {}
    for name, (model, params) in CASES.items():
        per = [run(model, params, s) for s in SEEDS]
        rates = np.array([r["count"] for r in per]) / (T_SIM / 1000.0)
        out[name] = dict(model=model, params=params, count=[r["count"] for r in per],
                         rate=rates.tolist(), rate_mean=float(rates.mean()),
                         rate_sem=float(rates.std(ddof=1) / np.sqrt(len(rates))),
                         target_rate=float(np.mean([r["target_count"] for r in per]) / ((T_SIM - DELAY) / 1000.0)),
                         same_as_targets=[r["same"] for r in per],
                         senders=sorted({s for r in per for s in r["senders"]}),
                         times=per[0]["times"] if name.endswith("sdev0") else None)
    with open(os.path.join(OUT, "gen_spike_recording.json"), "w") as f:
        json.dump(dict(kind="generator_spike_recording", generator="nest_generator_spike_recording.py",
                       name="gen_spike_recording", resolution=0.1, n_targets=N_TARGETS, t_sim=T_SIM, delay=DELAY,
                       seeds=SEEDS, expected=out), f, separators=(",", ":"))
    for name, v in out.items():
        print(name, v["rate_mean"], v["rate_sem"], v["target_rate"], v["same_as_targets"][:3], v["senders"])


if __name__ == "__main__":
    main()
