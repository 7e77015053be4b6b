"""NEST's hpc_benchmark network in jaxsnn and NEST 3.10, side by side.

    python benchmarks/hpc_benchmark.py [--scale 0.1] [--k-scale 0.1] [--t-sim 250] [--presim 50] [--runs 3]
                                       [--threads 2] [--x64] [--nest PYTHON] [--json FILE]

The network of NEST's ``hpc_benchmark.py`` example, written here from its published parameters: NE = 9000 ·
scale excitatory and NI = 2250 · scale inhibitory ``iaf_psc_alpha`` neurons (E_L 0, V_th 20, V_reset 0 mV,
t_ref 0.5 ms, τ_syn 0.3258 ms, V_m drawn from N(5.7, 7.2) mV), fixed in-degrees CE = 9000 and CI = 2250
*independent of the scale* (autapses excluded, multapses allowed), J_E = 0.14 mV EPSP peak converted to pA,
g = −5, all delays 1.5 ms; E→E synapses are ``stdp_pl_synapse_hom`` (α 0.0513, λ 0.1, μ 0.4, τ₊ 15 ms,
τ₋ 30 ms), the others static; one poisson_generator at η = 1.685 times the threshold rate of CE inputs
drives every neuron. The published in-degrees do not shrink with the network: below scale ~0.2 the E→E
graph becomes a dense multigraph (at 0.05 NEST runs away to 450 Hz). ``--k-scale`` (default 0.1, with the
default scale 0.1) scales the in-degrees down and J_E up by the same factor, which keeps the mean
recurrent input and the external drive of the full network (its regime: E rates ~15 Hz); 1 is the original.
Each simulator runs ``--presim`` ms (equilibration, and jaxsnn's compilation), then ``--t-sim`` ms timed;
reported: wall seconds per simulated second (median over ``--runs`` fresh processes, after one warm-up
run each), the excitatory rate in the timed window, and the mean and standard deviation
of the E→E weights at the end; for jaxsnn also the compilations and capacity growths of each phase (a
growth recomputes the chunk and compiles it again: a run with one in its timed window measures a compile).
jaxsnn builds with ``--slice-capacity`` NE + NI by default: every neuron here has outgoing synapses, so it
spikes at most once per slice and that bound cannot overflow; the engine's default (``--slice-capacity 0``,
max(256, N·L/16) = 421 here) is exceeded by the population bursts this strongly coupled network has in some
seeds, which then grow it inside the timed window. NEST runs with ``--threads`` threads; jaxsnn splits the
CPU into as many devices. The two networks are statistically, not bitwise, the same (different random streams).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _measure import median, run_child, self_peak_rss_mib, set_cpu_devices, table  # noqa: E402

TAU_SYN = 0.32582722403722841
MODEL = {"E_L": 0.0, "C_m": 250.0, "tau_m": 10.0, "t_ref": 0.5, "V_th": 20.0, "V_reset": 0.0,
         "tau_syn_ex": TAU_SYN, "tau_syn_in": TAU_SYN, "tau_minus": 30.0, "V_m": 5.7}
STDP = {"alpha": 0.0513, "lambda": 0.1, "mu": 0.4, "tau_plus": 15.0}
DELAY, JE, G, ETA, V_MEAN, V_SIGMA = 1.5, 0.14, -5.0, 1.685, 5.7, 7.2


def psp_to_pa(tau_m, tau_syn, C_m):
    """pA of an alpha current whose PSP peaks at 1 mV (the benchmark's conversion; Lambert W₋₁ by Newton)."""
    a = tau_m / tau_syn
    b = 1.0 / tau_syn - 1.0 / tau_m
    x = -math.exp(-1.0 / a) / a  # W₋₁(x) for x in (-1/e, 0): solve w e^w = x for w < -1
    w = -2.0
    for _ in range(100):
        w -= (w * math.exp(w) - x) / (math.exp(w) * (w + 1.0))
    t_rise = 1.0 / b * (-w - 1.0 / a)
    v_max = (math.e / (tau_syn * C_m * b)
             * ((math.exp(-t_rise / tau_m) - math.exp(-t_rise / tau_syn)) / b - t_rise * math.exp(-t_rise / tau_syn)))
    return 1.0 / v_max


def sizes(scale, k_scale=1.0):
    """NE, NI, CE, CI, J_E (pA) and the Poisson rate. The original keeps the in-degrees at 9000 and 2250 at
    every scale; ``k_scale`` < 1 scales them down and J_E up by 1/k_scale, so that the mean recurrent input
    J·K and the external drive (which does not depend on CE) stay those of the full network."""
    NE, NI = int(9000 * scale), int(2250 * scale)
    CE, CI = int(9000 * k_scale), int(2250 * k_scale)
    JE_pA = psp_to_pa(MODEL["tau_m"], TAU_SYN, MODEL["C_m"]) * JE / k_scale
    nu_thresh = MODEL["V_th"] / (CE * MODEL["tau_m"] / MODEL["C_m"] * JE_pA * math.exp(1.0) * TAU_SYN)
    return NE, NI, CE, CI, JE_pA, nu_thresh * ETA * CE * 1000.0


def nest_child(a):
    import nest
    import numpy as np

    NE, NI, CE, CI, JE_pA, rate = sizes(a.scale, a.k_scale)
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.local_num_threads = a.threads
    nest.resolution = 0.1
    nest.rng_seed = a.seed
    tb = time.perf_counter()
    E = nest.Create("iaf_psc_alpha", NE, params=MODEL)
    I = nest.Create("iaf_psc_alpha", NI, params=MODEL)
    E.V_m = nest.random.normal(V_MEAN, V_SIGMA)
    I.V_m = nest.random.normal(V_MEAN, V_SIGMA)
    pg = nest.Create("poisson_generator", params={"rate": rate})
    sr = nest.Create("spike_recorder")
    nest.SetDefaults("static_synapse_hpc", {"delay": DELAY})
    nest.CopyModel("static_synapse_hpc", "syn_ex", {"weight": JE_pA})
    nest.CopyModel("static_synapse_hpc", "syn_in", {"weight": G * JE_pA})
    nest.SetDefaults("stdp_pl_synapse_hom_hpc", dict(STDP, delay=DELAY, weight=JE_pA))
    nest.Connect(pg, E + I, "all_to_all", {"synapse_model": "syn_ex"})
    indeg = lambda k: {"rule": "fixed_indegree", "indegree": k, "allow_autapses": False, "allow_multapses": True}
    nest.Connect(E, E, indeg(CE), {"synapse_model": "stdp_pl_synapse_hom_hpc"})
    nest.Connect(I, E, indeg(CI), {"synapse_model": "syn_in"})
    nest.Connect(E, I, indeg(CE), {"synapse_model": "syn_ex"})
    nest.Connect(I, I, indeg(CI), {"synapse_model": "syn_in"})
    nest.Connect(E, sr)
    build_s = time.perf_counter() - tb
    nest.Simulate(a.presim)
    n0 = sr.n_events
    ts = time.perf_counter()
    nest.Simulate(a.t_sim)
    simulate_s = time.perf_counter() - ts
    w = np.asarray(nest.GetConnections(E, E).get("weight"), float)
    return dict(build_s=build_s, simulate_s=simulate_s, presim_spikes_E=n0,
                rate_E=(sr.n_events - n0) / NE / (a.t_sim / 1000),
                w_mean=float(w.mean()), w_std=float(w.std()), n_ee=len(w))


class CompileCounter:
    """XLA compilations (count and seconds) and persistent-cache hits since the last :meth:`take`, from JAX's
    monitoring events (every compilation passes through them, jaxsnn's stored programs included)."""

    def __init__(self, jax):
        self.n = self.s = self.hits = 0
        jax.monitoring.register_event_duration_secs_listener(self._duration)
        jax.monitoring.register_event_listener(self._event)

    def _duration(self, event, secs, **kw):
        if event == "/jax/core/compile/backend_compile_duration":
            self.n, self.s = self.n + 1, self.s + secs

    def _event(self, event, **kw):
        if event == "/jax/compilation_cache/cache_hits":
            self.hits += 1

    def take(self):
        out = dict(compiles=self.n, compile_s=round(self.s, 3), cache_hits=self.hits)
        self.n = self.s = self.hits = 0
        return out


def capacities(sim):
    """The capacities that :func:`jaxsnn.simulate` grows on overflow (each growth recomputes a chunk and
    compiles its program again): the slice's spike list, the STDP window's post spikes, each recorder's."""
    spec = sim.spec
    out = dict(slice_capacity=spec.capacities.slice_capacity, post_capacity=spec.capacities.post_capacity)
    for i, r in enumerate(spec.models.recorders):
        c = r.capacity
        out[f"{r.capacity_name}_{i}"] = list(c) if isinstance(c, tuple) else c
    return out


def growths(before, after):
    """{capacity: [before, after]} of those that grew."""
    return {k: [before[k], after[k]] for k in before if after[k] != before[k]}


def jaxsnn_child(a):
    sys.path.insert(0, os.path.dirname(HERE))
    import jax
    import numpy as np

    import jaxsnn
    from jaxsnn import random

    NE, NI, CE, CI, JE_pA, rate = sizes(a.scale, a.k_scale)
    if a.x64:
        jax.config.update("jax_enable_x64", True)
    tb = time.perf_counter()
    net = jaxsnn.Network(resolution=0.1, seed=a.seed)
    E = net.create("iaf_psc_alpha", NE, params={**MODEL, "V_m": random.normal(V_MEAN, V_SIGMA)})
    I = net.create("iaf_psc_alpha", NI, params={**MODEL, "V_m": random.normal(V_MEAN, V_SIGMA)})
    pg = net.create("poisson_generator", params={"rate": rate})
    sr = net.create("spike_recorder")
    net.copy_model("static_synapse_hpc", "syn_ex", {"weight": JE_pA, "delay": DELAY})
    net.copy_model("static_synapse_hpc", "syn_in", {"weight": G * JE_pA, "delay": DELAY})
    net.copy_model("stdp_pl_synapse_hom_hpc", "stdp_ee", dict(STDP, delay=DELAY, weight=JE_pA))
    net.connect(pg, E + I, "all_to_all", {"synapse_model": "syn_ex"})
    indeg = lambda k: {"rule": "fixed_indegree", "indegree": k, "allow_autapses": False, "allow_multapses": True}
    net.connect(E, E, indeg(CE), {"synapse_model": "stdp_ee"})
    net.connect(I, E, indeg(CI), {"synapse_model": "syn_in"})
    net.connect(E, I, indeg(CE), {"synapse_model": "syn_ex"})
    net.connect(I, I, indeg(CI), {"synapse_model": "syn_in"})
    net.connect(E, sr)
    sim = net.build(slice_capacity=a.slice_capacity or None)
    build_s = time.perf_counter() - tb
    compiles = CompileCounter(jax)
    built = capacities(sim)
    tc = time.perf_counter()
    sim = jaxsnn.simulate(sim, a.presim)  # compiles (the number of steps is traced: one program for both runs)
    presim_s = time.perf_counter() - tc
    presim = dict(compiles.take(), growths=growths(built, capacities(sim)))
    n0 = len(sim.events(sr))
    before = capacities(sim)
    ts = time.perf_counter()
    sim = jaxsnn.simulate(sim, a.t_sim)
    simulate_s = time.perf_counter() - ts
    timed = dict(compiles.take(), growths=growths(before, capacities(sim)))
    jaxsnn.check(sim.state)
    w = sim.connections("stdp_ee").weight.to_numpy()
    return dict(build_s=build_s, presim_s=presim_s, simulate_s=simulate_s, devices=len(jax.devices()),
                presim_spikes_E=n0, presim=presim, timed=timed, capacities=capacities(sim),
                rate_E=(len(sim.events(sr)) - n0) / NE / (a.t_sim / 1000), w_mean=float(np.mean(w)),
                w_std=float(np.std(w)), n_ee=len(w))


def nest_python(arg):
    for cand in [arg, os.environ.get("NEST_PYTHON"), "/work/nestvenv/bin/python"]:
        if cand and os.path.exists(cand) and \
                subprocess.run([cand, "-c", "import nest"], capture_output=True).returncode == 0:
            return cand
    return None


def parse():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--k-scale", type=float, default=0.1,
                    help="in-degrees x k_scale, J_E / k_scale (1: the published network, whose fixed in-degrees "
                         "make a small network a dense multigraph that runs away at scale 0.05)")
    ap.add_argument("--t-sim", type=float, default=250.0)
    ap.add_argument("--presim", type=float, default=50.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="NEST's threads and jaxsnn's CPU devices")
    ap.add_argument("--devices", type=int, help="jaxsnn's CPU devices (default: --threads)")
    ap.add_argument("--slice-capacity", type=int,
                    help="jaxsnn's initial slice_capacity (default NE + NI, the most a slice can hold here; 0: the "
                         "engine's default, grown on overflow, which recomputes the chunk and compiles again)")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--x64", action="store_true", help="jaxsnn in float64 (default float32)")
    ap.add_argument("--nest", help="a python that can import nest")
    ap.add_argument("--child", choices=("nest", "jaxsnn"), help=argparse.SUPPRESS)
    ap.add_argument("--json", help="write the numbers here")
    return ap.parse_args()


def main():
    a = parse()
    a.devices = a.devices or a.threads
    if a.slice_capacity is None:
        NE, NI = sizes(a.scale, a.k_scale)[:2]
        a.slice_capacity = NE + NI
    if a.child:
        if a.child == "jaxsnn":
            set_cpu_devices(a.devices)
        out = (nest_child if a.child == "nest" else jaxsnn_child)(a)
        out.update(wall_per_sim_s=out["simulate_s"] / (a.t_sim / 1000), peak_rss_mib=self_peak_rss_mib())
        print(json.dumps(out), flush=True)
        return
    common = ["--scale", str(a.scale), "--k-scale", str(a.k_scale), "--t-sim", str(a.t_sim), "--presim",
              str(a.presim), "--threads", str(a.threads), "--devices", str(a.devices),
              "--slice-capacity", str(a.slice_capacity)] + (["--x64"] if a.x64 else [])
    nest = nest_python(a.nest)
    argvs = {"jaxsnn": [sys.executable, __file__, "--child", "jaxsnn", *common],
             "NEST": [nest, __file__, "--child", "nest", *common] if nest else None}
    rows = []
    for i in range(a.runs + 1):  # run 0 is the warm-up
        for name, argv in argvs.items():
            if argv is None:
                continue
            r = run_child(argv + ["--seed", str(a.seed + i)])
            r.update(simulator=name, run=i)
            if i or a.runs == 0:
                rows.append(r)
            timed = "" if "timed" not in r else (f"; timed window: {r['timed']['compiles']} compiles "
                                                 f"({r['timed']['compile_s']:.1f} s), growths {r['timed']['growths']}")
            print(f"{name:6s} run {i}: {r['wall_per_sim_s']:.2f} s per simulated s, rate_E {r['rate_E']:.2f} Hz, "
                  f"w {r['w_mean']:.3f} ± {r['w_std']:.3f} pA{timed}", file=sys.stderr, flush=True)
    summary = {}
    for name in argvs:
        rs = [r for r in rows if r["simulator"] == name]
        if rs:
            summary[name] = {k: median([r[k] for r in rs]) for k in
                             ("wall_per_sim_s", "rate_E", "w_mean", "w_std", "peak_rss_mib", "build_s")}
            summary[name].update(runs=len(rs), n_ee=rs[0]["n_ee"])
            if "timed" in rs[0]:  # runs whose timed window compiled or grew a capacity: not the steady state
                summary[name]["runs_compiling_in_timed_window"] = sum(
                    bool(r["timed"]["compiles"] or r["timed"]["growths"]) for r in rs)
    if "NEST" in summary:
        summary["ratio_jaxsnn_over_nest"] = summary["jaxsnn"]["wall_per_sim_s"] / summary["NEST"]["wall_per_sim_s"]
    NE, NI, CE, CI, JE_pA, rate = sizes(a.scale, a.k_scale)
    print(f"hpc_benchmark at scale {a.scale}: NE {NE}, NI {NI}, CE {CE}, CI {CI}, J_E {JE_pA:.3f} pA, "
          f"poisson {rate:.0f} Hz; {a.t_sim} ms timed after {a.presim} ms")
    print(table([{"simulator": k, **v} for k, v in summary.items() if isinstance(v, dict)],
                ["simulator", "wall_per_sim_s", "rate_E", "w_mean", "w_std", "peak_rss_mib", "runs"]))
    if "ratio_jaxsnn_over_nest" in summary:
        print(f"ratio jaxsnn / NEST (median wall per simulated second): {summary['ratio_jaxsnn_over_nest']:.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"summary": summary, "runs": rows, "scale": a.scale, "t_sim": a.t_sim, "presim": a.presim,
                       "threads": a.threads, "devices": a.devices,
                       "slice_capacity": a.slice_capacity, "k_scale": a.k_scale, "x64": a.x64,
                       "cpus": os.cpu_count()}, f, indent=1)


if __name__ == "__main__":
    main()
