"""A conductance-based E/I network (COBA, Brette et al. 2007: iaf_cond_exp) and its AdEx variant
(aeif_cond_exp), in NEST 3.10 and jaxsnn, side by side.

    python benchmarks/cobaAdEx.py [--model iaf_cond_exp|aeif_cond_exp ...] [--n 4000] [--t-sim 1000]
                                  [--runs 3] [--threads 2] [--nest PYTHON] [--json FILE]

4,000 neurons (80 % excitatory), each with 80 excitatory and 20 inhibitory inputs drawn at random (2 %),
weights 6 nS / −67 nS (COBA's), delays 1 ms, tau_syn 5 / 10 ms, V_m drawn in [−60, −50] mV, and a
constant I_e just above rheobase keeps the network active (no generator events: the cost is the neurons'
and the synapses'). The connections and initial V_m are drawn once with numpy and given to both
simulators, so both simulate the same deterministic network (chaotic: spike trains diverge, rates agree).
Runs alternate simulator by simulator, each a fresh
process (NEST with ``--threads`` threads, jaxsnn on the CPU in float64, one device), one warm-up run of
each first; reported: medians of wall seconds per simulated second (jaxsnn: the second Simulate of the
process, i.e. compiled; its first-call time separately), the ratio jaxsnn / NEST, spike rates.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

PARAMS = {
    "iaf_cond_exp": {"E_L": -60.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0, "C_m": 200.0, "g_L": 10.0,
                     "E_ex": 0.0, "E_in": -80.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "I_e": 110.0},
    "aeif_cond_exp": {"E_L": -60.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0, "C_m": 200.0, "g_L": 10.0,
                      "E_ex": 0.0, "E_in": -80.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "I_e": 110.0,
                      "a": 2.0, "b": 20.0, "tau_w": 100.0, "Delta_T": 2.0, "V_peak": 0.0},
}
W_EX, W_IN, DELAY = 6.0, -67.0, 1.0


def network(n: int, seed: int = 1):
    """(sources, targets, weights, delays, V_m) with node ids 1..n."""
    rng = np.random.default_rng(seed)
    n_e = int(0.8 * n)
    src_e = rng.integers(1, n_e + 1, (n, 80))
    src_i = rng.integers(n_e + 1, n + 1, (n, 20))
    src = np.concatenate([src_e, src_i], axis=1).reshape(-1)
    tgt = np.repeat(np.arange(1, n + 1), 100)
    w = np.where(src <= n_e, W_EX, W_IN)
    return src, tgt, w.astype(float), np.full(len(src), DELAY), rng.uniform(-60.0, -50.0, n)


def child_nest(model, n, t_sim, threads, seed):
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.local_num_threads = threads
    nest.rng_seed = seed
    src, tgt, w, d, v0 = network(n)
    t0 = time.perf_counter()
    pop = nest.Create(model, n, params=PARAMS[model])
    pop.V_m = v0
    nest.Connect(src, tgt, "one_to_one", syn_spec={"weight": w, "delay": d})
    sr = nest.Create("spike_recorder")
    nest.Connect(pop, sr)
    nest.Simulate(1.0)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    nest.Simulate(t_sim)
    wall = time.perf_counter() - t0
    return dict(build_s=build, wall_per_sim_s=wall / (t_sim / 1000.0), rate_hz=sr.n_events / n / ((t_sim + 1) / 1e3))


def child_jaxsnn(model, n, t_sim, seed):
    sys.path.insert(0, os.path.dirname(HERE))
    import jax

    jax.config.update("jax_enable_x64", True)
    import jaxsnn

    src, tgt, w, d, v0 = network(n)
    t0 = time.perf_counter()
    net = jaxsnn.Network(resolution=0.1, seed=seed)
    pop = net.create(model, n, params=dict(PARAMS[model], V_m=v0))
    net.connect(src, tgt, "one_to_one", {"weight": w, "delay": d})
    sr = net.create("spike_recorder")
    net.connect(pop, sr)
    sim = net.build()
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim = jaxsnn.simulate(sim, t_sim)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim = jaxsnn.simulate(sim, t_sim)
    wall = time.perf_counter() - t0
    spikes = len(sim.events(sr))
    return dict(build_s=build, first_call_s=first, wall_per_sim_s=wall / (t_sim / 1000.0),
                rate_hz=spikes / n / (2 * t_sim / 1e3))


def nest_python(arg):
    for cand in [arg, os.environ.get("NEST_PYTHON"), "/work/nestvenv/bin/python", sys.executable]:
        if cand and os.path.exists(cand) and subprocess.run([cand, "-c", "import nest"],
                                                            capture_output=True).returncode == 0:
            return cand
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", nargs="+", default=["iaf_cond_exp", "aeif_cond_exp"], choices=list(PARAMS))
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--nest")
    ap.add_argument("--json")
    ap.add_argument("--child", choices=["nest", "jaxsnn"])
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.child:
        r = (child_nest(a.model[0], a.n, a.t_sim, a.threads, a.seed) if a.child == "nest"
             else child_jaxsnn(a.model[0], a.n, a.t_sim, a.seed))
        print(json.dumps(r))
        return
    sys.path.insert(0, HERE)
    from _measure import median, run_child

    nest = nest_python(a.nest)
    summary, rows = {}, []
    for model in a.model:
        base = ["--model", model, "--n", str(a.n), "--t-sim", str(a.t_sim), "--threads", str(a.threads)]
        sims = [("jaxsnn", [sys.executable, __file__, "--child", "jaxsnn"] + base)]
        if nest:
            sims.append(("NEST", [nest, __file__, "--child", "nest"] + base))
        for i in range(a.runs + 1):
            for name, argv in sims:
                r = dict(run_child(argv + ["--seed", str(1 + i)]), simulator=name, model=model, run=i)
                print(f"{model} {name:6s} run {i}: {r['wall_per_sim_s']:.3f} s per simulated s, "
                      f"{r['rate_hz']:.1f} Hz", file=sys.stderr, flush=True)
                if i:
                    rows.append(r)
        s = {name: {"wall_per_sim_s": median([r["wall_per_sim_s"] for r in rows
                                              if r["model"] == model and r["simulator"] == name]),
                    "rate_hz": median([r["rate_hz"] for r in rows if r["model"] == model and r["simulator"] == name]),
                    "runs": a.runs} for name, _ in sims}
        s["jaxsnn"]["first_call_s"] = median([r["first_call_s"] for r in rows
                                              if r["model"] == model and r["simulator"] == "jaxsnn"])
        if "NEST" in s:
            s["ratio_jaxsnn_over_nest"] = s["jaxsnn"]["wall_per_sim_s"] / s["NEST"]["wall_per_sim_s"]
        summary[model] = s
        print(model, json.dumps(s), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"summary": summary, "runs": rows, "n": a.n, "t_sim": a.t_sim, "threads": a.threads}, f, indent=1)


if __name__ == "__main__":
    main()
