"""NEST reference timing of the "founding network" (NEST's store/restore example).

Run with the NEST venv (kept apart from the project venv):

    /work/nestvenv/bin/python benchmarks/nest_founding.py --t-sim 1000 [--threads N] [--seed S]
        [--scale K] [--stats]

Builds the network exactly as ``EINetwork.build`` in examples/store_restore_network.py:
nE = 2000*K iaf_psc_delta, nI = 500*K, V_m ~ normal(-65, 5); e_syn = stdp_synapse_hom with
Wmax 2.0 (weight 1.0, fixed in-degree 200 from E), i_syn = static (weight -4.0, in-degree 50
from I), onto all neurons; poisson_generator 800 Hz all_to_all (weight 1.0); spike_recorder
on E. In-degrees stay fixed when --scale K grows the populations.

Prints ONE JSON line: build_s, simulate_s (wall time of Simulate only), wall_per_sim_s
(= simulate_s per simulated second), n_spikes_E, rate_E (Hz), w_mean/w_std of all e_syn
weights at the end, peak_rss_mib (own ru_maxrss right after Simulate, i.e. build + simulation;
peak_rss_total_mib includes reading the weights out), nest version, threads, ...

--stats simulates in 1000 ms chunks (NEST's Simulate(a)+Simulate(b) equals Simulate(a+b))
and adds, per 1 s window k, the statistics of shared/tools/nest_network_stats.py:
rate_k, cv_isi_mean_k, psth_fano_k, w_mean_k, w_std_k, w_q_k, wall_k, plus frac_first_step.
simulate_s is then the sum of the chunk times; statistics are computed outside the timing.
"""
import argparse
import json
import os
import time

import _stats
import nest
import numpy as np
from _measure import self_peak_rss_mib


def build(scale):
    """EINetwork.__init__ + build of the example, with populations times `scale` (as EINetwork rounds them)."""
    nI = int(round(500 * scale))
    nE = 4 * nI
    JE, JI = 1.0, -4.0
    nest.CopyModel("stdp_synapse_hom", "e_syn", {"Wmax": 2 * JE})
    nest.CopyModel("static_synapse", "i_syn")
    nrn_params = {"V_m": nest.random.normal(-65.0, 5.0)}
    e = nest.Create("iaf_psc_delta", n=nE, params=nrn_params)
    i = nest.Create("iaf_psc_delta", n=nI, params=nrn_params)
    neurons = e + i
    pg = nest.Create("poisson_generator", {"rate": 800.0})
    sr = nest.Create("spike_recorder")
    nest.Connect(e, neurons, {"rule": "fixed_indegree", "indegree": 200},
                 {"synapse_model": "e_syn", "weight": JE})
    nest.Connect(i, neurons, {"rule": "fixed_indegree", "indegree": 50},
                 {"synapse_model": "i_syn", "weight": JI})
    nest.Connect(pg, neurons, "all_to_all", {"weight": JE})
    nest.Connect(e, sr)
    return e, i, sr


def e_weights(e, chunk=100):
    """All e_syn weights. Read per block of `chunk` source neurons: one GetConnections(...)
    .get("weight") over all 500k synapses costs ~3 KB/synapse of transient memory (1.4 GB
    peak, more than the whole simulation); chunked it is also ~2x faster (~4 us/synapse)."""
    return np.concatenate([
        np.asarray(nest.GetConnections(source=e[a:a + chunk], synapse_model="e_syn").get("weight"),
                   dtype=float) for a in range(0, len(e), chunk)])


def window_stats(sr, e, t0, t1, k):
    """Statistics of window (t0, t1] ms, exactly as in nest_network_stats.py."""
    ev = sr.get("events")
    return _stats.window_stats(ev["times"], ev["senders"], e_weights(e), len(e), t0, t1, k)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--t-sim", type=float, default=1000.0, help="simulated time [ms]")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="default: all cores")
    ap.add_argument("--seed", type=int, default=None, help="nest.rng_seed (default: NEST's)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply nE and nI by K")
    ap.add_argument("--stats", action="store_true", help="per-second statistics (1 s chunks)")
    a = ap.parse_args()

    if hasattr(nest, "VerbosityLevel"):  # NEST >= 3.10 deprecates set_verbosity
        nest.verbosity = nest.VerbosityLevel.WARNING
    else:
        nest.set_verbosity("M_WARNING")
    nest.ResetKernel()
    nest.local_num_threads = a.threads
    if a.seed is not None:
        nest.rng_seed = a.seed

    tb = time.perf_counter()
    e, i, sr = build(a.scale)
    nE, nI = len(e), len(i)
    build_s = time.perf_counter() - tb

    r = {}
    if a.stats:
        assert a.t_sim % 1000 == 0, "--stats needs t_sim a multiple of 1000 ms"
        simulate_s = 0.0
        for k in range(int(a.t_sim // 1000)):
            ts = time.perf_counter()
            nest.Simulate(1000.0)
            r[f"wall_{k}"] = round(time.perf_counter() - ts, 3)
            simulate_s += r[f"wall_{k}"]
            r.update(window_stats(sr, e, 1000.0 * k, 1000.0 * (k + 1), k))
        t = np.asarray(sr.get("events")["times"])
        r["frac_first_step"] = float((t <= 0.1 + 1e-9).sum() / nE)
    else:
        ts = time.perf_counter()
        nest.Simulate(a.t_sim)
        simulate_s = time.perf_counter() - ts

    peak_sim = self_peak_rss_mib()  # before the (memory-hungry) weight read-out
    n_spk = int(sr.get("n_events"))
    w = e_weights(e)
    out = dict(build_s=round(build_s, 3), simulate_s=round(simulate_s, 3),
               wall_per_sim_s=round(simulate_s / (a.t_sim / 1000.0), 3),
               n_spikes_E=n_spk, rate_E=n_spk / nE / (a.t_sim / 1000.0),
               w_mean=float(w.mean()), w_std=float(w.std()), n_e_syn=int(w.size),
               peak_rss_mib=round(peak_sim, 1), peak_rss_total_mib=round(self_peak_rss_mib(), 1),
               nest=nest.build_info["version"], threads=nest.local_num_threads,
               seed=nest.rng_seed, t_sim=a.t_sim, scale=a.scale, nE=nE, nI=nI, **r)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
