"""NEST 3.10 reference numbers for the rate-modulated, correlated and pulse generators.

Run with a Python that has nest-simulator 3.10 installed:
    python nest_generators.py OUTDIR [--only-set]

``kind: "generator_exact"`` — deterministic generators, compared value by value: ``ac_generator`` (its
recordable ``I`` at every step and the V_m of an ``iaf_psc_exp`` it drives) and ``pulsepacket_generator``
with ``sdev`` 0 (the spike times its parrot targets emit).

``kind: "generator_stats"`` — stochastic generators, compared statistically: for each seed in ``seeds``
(``nest.rng_seed``, one thread) one generator with ``params`` drives ``n_targets`` parrot_neurons (delay
1 ms) for ``t_sim`` ms. ``expected.per_seed[i]`` holds the statistics of the parrots' spikes (emission
time = parrot time − 1 ms): ``rate`` (Hz, mean over targets), ``rate_sd`` (across targets), ``cv`` (mean
ISI coefficient of variation over targets), ``fano`` (spike-count Fano factor over ``bin`` ms bins, mean
over targets), ``corr`` (mean pairwise correlation coefficient of the binned counts), ``shared`` (fraction
of spikes emitted by all targets in the same step), ``phase_rates`` (Hz in ``n_phase`` bins of one period,
for periodic generators), ``dead_time_min`` (shortest ISI, ms). ``expected.mean`` / ``expected.sem`` are
the means over seeds and their standard errors, the bounds the tests use. ``rate_recordable`` (when the
generator has one): the multimeter's ``rate`` for the first seed, every step.
"""
import json
import os
import sys

import importlib.util

import numpy as np
import nest

# the statistics are jaxsnn.testing.spike_statistics' (numpy only), loaded by path: NEST's python has no JAX
_spec = importlib.util.spec_from_file_location(
    "spike_statistics", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "jaxsnn",
                                     "testing", "spike_statistics.py"))
_stats = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_stats)
spike_stats = _stats.spike_stats

OUT = sys.argv[1]
ONLY = sys.argv[2:] == ["--only-set"]  # just the between-runs case
os.makedirs(OUT, exist_ok=True)
nest.set_verbosity("M_ERROR")
GENERATOR = "nest_generators.py"


def dump(case):
    with open(os.path.join(OUT, f"{case['name']}.json"), "w") as f:
        json.dump(case, f, separators=(",", ":"))


def stats_case(name, model, params, n_targets, t_sim, seeds, bin_ms=10.0, period=None, rate_recordable=False,
               note=""):
    per_seed, rate_trace = [], None
    for k, seed in enumerate(seeds):
        nest.ResetKernel()
        nest.resolution = 0.1
        nest.rng_seed = seed
        model_params = {k: v for k, v in params.items() if k == "individual_spike_trains"}  # CopyModel only
        if model_params:
            nest.CopyModel(model, "gen", model_params)
        g = nest.Create("gen" if model_params else model,
                        params={k: v for k, v in params.items() if k not in model_params})
        p = nest.Create("parrot_neuron", n_targets)
        sr = nest.Create("spike_recorder")
        nest.Connect(g, p, syn_spec={"delay": 1.0})
        nest.Connect(p, sr)
        mm = None
        if rate_recordable and k == 0:
            mm = nest.Create("multimeter", params={"record_from": ["rate"], "interval": 0.1})
            nest.Connect(mm, g)
        nest.Simulate(t_sim)
        ev = sr.get("events")
        per_seed.append(spike_stats(ev["times"], ev["senders"], p.tolist(), t_sim, bin_ms, period))
        if mm is not None:
            e = mm.get("events")
            rate_trace = dict(times=[round(float(x), 6) for x in e["times"]], rate=[float(x) for x in e["rate"]])
    keys = [k for k in per_seed[0] if k != "phase_rates"]
    arr = {k: np.array([s[k] for s in per_seed]) for k in keys}
    expected = dict(per_seed=per_seed, mean={k: float(np.nanmean(v)) for k, v in arr.items()},
                    sem={k: float(np.nanstd(v, ddof=1) / np.sqrt(len(v))) for k, v in arr.items()})
    if period:
        ph = np.array([s["phase_rates"] for s in per_seed])
        expected["phase_rates_mean"] = ph.mean(axis=0).tolist()
    if rate_trace:
        expected["rate_recordable"] = rate_trace
    dump(dict(kind="generator_stats", generator=GENERATOR, name=name, note=note, model=model, params=params,
              n_targets=n_targets, resolution=0.1, t_sim=t_sim, seeds=list(seeds), bin=bin_ms, period=period,
              n_phase=20, delay=1.0, expected=expected))


def ac_case(name, params, t_sim, weight=1.0, neuron_params=None, note=""):
    nest.ResetKernel()
    nest.resolution = 0.1
    n = nest.Create("iaf_psc_exp", params=dict(neuron_params or {}))
    g = nest.Create("ac_generator", params=params)
    nest.Connect(g, n, syn_spec={"weight": weight, "delay": 1.0})
    mg = nest.Create("multimeter", params={"record_from": ["I"], "interval": 0.1})
    mn = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    sr = nest.Create("spike_recorder")
    nest.Connect(mg, g)
    nest.Connect(mn, n)
    nest.Connect(n, sr)
    nest.Simulate(t_sim)
    eg, en = mg.get("events"), mn.get("events")
    dump(dict(kind="generator_exact", generator=GENERATOR, name=name, note=note, model="ac_generator",
              params=params, weight=weight, delay=1.0, neuron="iaf_psc_exp", neuron_params=dict(neuron_params or {}),
              resolution=0.1, t_sim=t_sim,
              expected=dict(I_times=[round(float(x), 6) for x in eg["times"]], I=[float(x) for x in eg["I"]],
                            V_m_times=[round(float(x), 6) for x in en["times"]], V_m=[float(x) for x in en["V_m"]],
                            spike_times=[round(float(x), 6) for x in sr.get("events")["times"]])))


def ac_set_case(name, params, runs, weight=1.0, note=""):
    """An ac_generator whose parameters change between Simulate calls: ``runs`` is a list of (changes,
    ms): set the changes (none before the first), then simulate; V_m of the driven iaf_psc_exp."""
    nest.ResetKernel()
    nest.resolution = 0.1
    n = nest.Create("iaf_psc_exp")
    g = nest.Create("ac_generator", params=params)
    nest.Connect(g, n, syn_spec={"weight": weight, "delay": 1.0})
    mn = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    sr = nest.Create("spike_recorder")
    nest.Connect(mn, n)
    nest.Connect(n, sr)
    for changes, t in runs:
        if changes:
            g.set(changes)
        nest.Simulate(t)
    en = mn.get("events")
    dump(dict(kind="generator_exact", generator=GENERATOR, name=name, note=note, model="ac_generator",
              params=params, runs=runs, weight=weight, delay=1.0, neuron="iaf_psc_exp", neuron_params={},
              resolution=0.1, t_sim=sum(t for _, t in runs),
              expected=dict(V_m_times=[round(float(x), 6) for x in en["times"]], V_m=[float(x) for x in en["V_m"]],
                            spike_times=[round(float(x), 6) for x in sr.get("events")["times"]])))


def pulsepacket_case(name, params, n_targets, t_sim, note=""):
    nest.ResetKernel()
    nest.resolution = 0.1
    g = nest.Create("pulsepacket_generator", params=params)
    p = nest.Create("parrot_neuron", n_targets)
    sr = nest.Create("spike_recorder")
    nest.Connect(g, p, syn_spec={"delay": 1.0})
    nest.Connect(p, sr)
    nest.Simulate(t_sim)
    ev = sr.get("events")
    order = np.lexsort((ev["senders"], ev["times"]))
    dump(dict(kind="generator_exact", generator=GENERATOR, name=name, note=note, model="pulsepacket_generator",
              params=params, n_targets=n_targets, delay=1.0, resolution=0.1, t_sim=t_sim,
              expected=dict(spike_times=[round(float(x), 6) for x in np.asarray(ev["times"])[order]],
                            spike_senders=[int(x) for x in np.asarray(ev["senders"])[order]])))


def main():
    seeds = list(range(1, 11))
    ac_set_case("gen_ac_generator_set", {"amplitude": 300.0, "offset": 100.0, "frequency": 20.0, "phase": 30.0},
                [({}, 100.0), ({"amplitude": 500.0, "frequency": 15.0, "phase": 10.0, "offset": 150.0}, 100.0),
                 ({"stop": 250.0}, 100.0)],
                note="amplitude, frequency, phase, offset and stop changed between Simulate calls")
    if ONLY:
        return
    ac_case("gen_ac_generator", {"amplitude": 300.0, "offset": 100.0, "frequency": 20.0, "phase": 30.0}, 300.0,
            note="sub- and suprathreshold oscillating current into iaf_psc_exp")
    ac_case("gen_ac_generator_window", {"amplitude": 500.0, "offset": 50.0, "frequency": 7.5, "phase": 0.0,
                                        "start": 20.0, "stop": 180.0}, 250.0, weight=1.5,
            note="start/stop window and a connection weight")
    pulsepacket_case("gen_pulsepacket_sdev0", {"pulse_times": [10.0, 55.5, 120.0], "activity": 4, "sdev": 0.0}, 3,
                     200.0, note="sdev 0: every spike at the pulse time")
    stats_case("gen_sinusoidal_poisson", "sinusoidal_poisson_generator",
               {"rate": 40.0, "amplitude": 30.0, "frequency": 10.0, "phase": 45.0, "individual_spike_trains": True},
               20, 5000.0, seeds, period=100.0, rate_recordable=True, note="individual trains")
    stats_case("gen_sinusoidal_poisson_shared", "sinusoidal_poisson_generator",
               {"rate": 40.0, "amplitude": 30.0, "frequency": 10.0, "phase": 0.0, "individual_spike_trains": False},
               10, 5000.0, seeds, period=100.0, note="one train shared by all targets")
    stats_case("gen_sinusoidal_gamma", "sinusoidal_gamma_generator",
               {"rate": 40.0, "amplitude": 30.0, "frequency": 10.0, "phase": 0.0, "order": 3.0,
                "individual_spike_trains": True}, 20, 5000.0, seeds, period=100.0, rate_recordable=True,
               note="gamma order 3, individual trains")
    stats_case("gen_sinusoidal_gamma_shared", "sinusoidal_gamma_generator",
               {"rate": 40.0, "amplitude": 20.0, "frequency": 5.0, "phase": 90.0, "order": 2.0,
                "individual_spike_trains": False}, 10, 5000.0, seeds, period=200.0, note="shared train")
    stats_case("gen_inhomogeneous_poisson", "inhomogeneous_poisson_generator",
               {"rate_times": [100.0, 1100.0, 2100.0, 3100.0], "rate_values": [10.0, 50.0, 0.0, 25.0]},
               20, 4100.0, seeds, note="piecewise constant rate")
    stats_case("gen_mip", "mip_generator", {"rate": 50.0, "p_copy": 0.3}, 10, 5000.0, seeds,
               note="copies of a mother train with probability p_copy: correlation p_copy")
    stats_case("gen_gamma_sup", "gamma_sup_generator", {"rate": 30.0, "gamma_shape": 5, "n_proc": 20}, 20, 5000.0,
               seeds, note="superposition of 20 gamma processes of order 5")
    stats_case("gen_ppd_sup", "ppd_sup_generator", {"rate": 30.0, "dead_time": 5.0, "n_proc": 10,
                                                    "frequency": 0.0, "relative_amplitude": 0.0}, 20, 5000.0, seeds,
               note="superposition of 10 Poisson processes with dead time 5 ms")
    stats_case("gen_ppd_sup_modulated", "ppd_sup_generator", {"rate": 30.0, "dead_time": 3.0, "n_proc": 1,
                                                              "frequency": 5.0, "relative_amplitude": 0.8},
               20, 5000.0, seeds, period=200.0, note="one process, dead time 3 ms, rate modulated at 5 Hz")
    print("wrote", sorted(f for f in os.listdir(OUT) if f.startswith("gen_")))


if __name__ == "__main__":
    main()
