"""NEST 3.10 reference numbers for multimeters connected to generators (their recordables).

Run with a Python that has nest-simulator 3.10 installed:
    python nest_generator_recordables.py OUTDIR

``kind: "generator_recordables"`` — each case creates ``generators`` (model, params, and for a model whose
``individual_spike_trains`` is False a CopyModel), drives one ``iaf_psc_alpha`` from those with
``drive`` (weight 1, delay 1 ms), connects ``multimeters`` (params, the generators each records) and
simulates ``runs``: a list of (changes, ms), where changes maps a generator's position to the parameters
set before that run. ``expected[i]`` holds multimeter i's events (times in ms, senders as positions in
``generators``, and one column per recordable): NEST's samples, which end one min_delay before the end of
the last run (NEST's multimeter lag).
"""
import json
import os
import sys

import numpy as np
import nest

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
nest.set_verbosity("M_ERROR")
GENERATOR = "nest_generator_recordables.py"

AC = {"amplitude": 300.0, "offset": 100.0, "frequency": 20.0, "phase": 30.0}
SIN = {"rate": 40.0, "amplitude": 30.0, "frequency": 10.0, "phase": 45.0}
GAMMA = {"rate": 40.0, "amplitude": 30.0, "frequency": 10.0, "phase": 0.0, "order": 3.0}
STEPS = {"amplitude_times": [2.0, 7.5, 12.3], "amplitude_values": [50.0, -20.0, 80.0]}


def case(name, generators, drive, multimeters, runs, note=""):
    nest.ResetKernel()
    nest.resolution = 0.1
    nodes = []
    for i, (model, params) in enumerate(generators):
        own = {k: v for k, v in params.items() if k == "individual_spike_trains"}  # CopyModel only
        if own:
            nest.CopyModel(model, f"gen{i}", own)
        nodes.append(nest.Create(f"gen{i}" if own else model,
                                 params={k: v for k, v in params.items() if k not in own}))
    n = nest.Create("iaf_psc_alpha")
    for i in drive:
        nest.Connect(nodes[i], n, syn_spec={"weight": 1.0, "delay": 1.0})
    mms = []
    for params, recorded in multimeters:
        mm = nest.Create("multimeter", params=params)
        for i in recorded:
            nest.Connect(mm, nodes[i])
        mms.append(mm)
    for changes, t in runs:
        for i, p in (changes or {}).items():
            nodes[int(i)].set(p)
        nest.Simulate(t)
    position = {nd.global_id: i for i, nd in enumerate(nodes)}
    expected = []
    for (params, _), mm in zip(multimeters, mms):
        e = mm.get("events")
        cols = dict(times=[round(float(x), 6) for x in e["times"]],
                    senders=[position[int(s)] for s in e["senders"]])
        for q in params["record_from"]:
            cols[q] = [float(x) for x in e[q]]
        expected.append(cols)
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(dict(kind="generator_recordables", generator=GENERATOR, name=name, note=note, resolution=0.1,
                       generators=generators, drive=drive, multimeters=multimeters, runs=runs, expected=expected),
                  f, separators=(",", ":"))


def noise_run(params, n_targets, t_sim, seed=1):
    nest.ResetKernel()
    nest.resolution = 0.1
    nest.rng_seed = seed
    g = nest.Create("noise_generator", params=params)
    if n_targets:
        nest.Connect(g, nest.Create("iaf_psc_alpha", n_targets), syn_spec={"delay": 1.0})
    mm = nest.Create("multimeter", params={"record_from": ["I"], "interval": 0.1})
    nest.Connect(mm, g)
    nest.Simulate(t_sim)
    e = mm.get("events")
    return [round(float(x), 6) for x in e["times"]], [float(x) for x in e["I"]]


def noise_case(seeds):
    """``gen_noise_recordable``: noise_generator's ``I`` (the mean of the currents it sends its targets):
    ``window`` and ``no_targets`` with std 0 (deterministic: every sample), ``stats_<n>`` with n targets:
    per seed the mean and standard deviation of the samples one ``dt`` apart (every 10th)."""
    out = {}
    for name, params, n_t, t_sim in (("window", {"mean": 25.0, "std": 0.0, "dt": 0.5, "start": 2.0, "stop": 7.0},
                                      2, 11.0),
                                     ("no_targets", {"mean": 25.0, "std": 0.0, "dt": 0.5}, 0, 5.0)):
        t, current = noise_run(params, n_t, t_sim)
        out[name] = dict(params=params, n_targets=n_t, t_sim=t_sim, times=t, I=current)
    params = {"mean": 10.0, "std": 20.0, "dt": 1.0}
    for n_t in (1, 4):
        stats = []
        for seed in seeds:
            held = np.array(noise_run(params, n_t, 2001.0, seed)[1])[::10]  # one sample per dt
            stats.append((float(held.mean()), float(held.std(ddof=1))))
        m = np.array(stats)
        out[f"stats_{n_t}"] = dict(params=params, n_targets=n_t, t_sim=2001.0, mean=m[:, 0].tolist(),
                                   std=m[:, 1].tolist())
    with open(os.path.join(OUT, "gen_noise_recordable.json"), "w") as f:
        json.dump(dict(kind="generator_noise_recordable", generator=GENERATOR, name="gen_noise_recordable",
                       resolution=0.1, seeds=list(seeds), expected=out), f, separators=(",", ":"))


def main():
    gens = [("ac_generator", dict(AC, start=5.0, stop=30.0)),
            ("ac_generator", dict(AC, amplitude=50.0, frequency=35.0, phase=-20.0)),
            ("dc_generator", {"amplitude": 42.0, "origin": 2.0, "start": 3.0, "stop": 20.0}),
            ("step_current_generator", dict(STEPS, stop=25.0)),
            ("sinusoidal_poisson_generator", dict(SIN, individual_spike_trains=True)),
            ("sinusoidal_poisson_generator", dict(SIN, rate=20.0, phase=0.0, individual_spike_trains=False,
                                                  start=10.0)),
            ("sinusoidal_gamma_generator", dict(GAMMA, individual_spike_trains=True)),
            ("sinusoidal_gamma_generator", dict(GAMMA, amplitude=20.0, frequency=5.0, phase=90.0, order=2.0,
                                                individual_spike_trains=False, stop=15.0))]
    mms = [({"record_from": ["I"], "interval": 0.1}, [0, 1, 2, 3]),
           ({"record_from": ["rate"], "interval": 0.1}, [4, 5, 6, 7]),
           ({"record_from": ["I"], "interval": 0.7, "offset": 0.3, "start": 4.0, "stop": 33.0}, [0]),
           ({"record_from": ["rate"], "interval": 1.0, "offset": 0.5}, [5]),
           ({"record_from": ["I"], "interval": 0.3, "origin": 1.0, "start": 2.0}, [3, 2])]
    case("gen_recordables", gens, [0, 2, 4, 6], mms, [({}, 41.0)],
         note="every recordable generator, some driving a neuron, others recorded only; multimeter intervals, "
              "offsets and windows")
    case("gen_recordables_split", gens, [0, 2, 4, 6], mms, [({}, 10.3), ({}, 0.1), ({}, 14.6), ({}, 16.0)],
         note="the same network in four Simulate calls, two of them ending inside a min_delay slice: NEST restarts "
              "its oscillators at each call (ac's and sinusoidal_poisson's last bits differ from one run)")
    case("gen_recordables_set", gens, [0, 2, 4, 6], mms,
         [({}, 10.0),
          ({"0": {"amplitude": 500.0, "frequency": 15.0, "phase": 10.0, "offset": 150.0}, "1": {"amplitude": 50.0},
            "2": {"amplitude": -17.5, "stop": 30.0}, "3": {"amplitude_times": [12.0, 20.0],
                                                          "amplitude_values": [5.0, 6.0]},
            "4": {"rate": 60.0, "amplitude": 10.0}, "5": {"rate": 20.0},
            "6": {"rate": 30.0, "phase": 30.0}, "7": {"frequency": 7.0}}, 10.0),
          ({"0": {"stop": 25.0}, "1": {"amplitude": 50.0}, "4": {"frequency": 3.0}, "5": {"phase": 60.0}}, 21.0)],
         note="parameters changed between Simulate calls (at slice boundaries; the oscillators of the generators "
              "not changed are set to their values, which restarts them in NEST and jaxsnn alike)")
    noise_case(range(1, 11))
    print("wrote", sorted(f for f in os.listdir(OUT) if f.startswith(("gen_recordables", "gen_noise"))))


if __name__ == "__main__":
    main()
