"""The Potjans–Diesmann cortical microcircuit in jaxsnn and NEST 3.10, side by side.

    python benchmarks/microcircuit.py [--scale 0.1] [--drive poisson|dc] [--t-presim 500] [--t-sim 1000]
                                      [--devices D] [--threads 2] [--no-nest] [--x64] [--json FILE]

The model of Potjans & Diesmann (2014, Cereb. Cortex 24:785), written here from the published tables:
eight populations (L2/3, L4, L5, L6; excitatory and inhibitory) of ``iaf_psc_exp`` neurons (C_m 250 pF,
τ_m 10 ms, τ_syn 0.5 ms, E_L = V_reset = −65 mV, V_th −50 mV, t_ref 2 ms), 77,169 neurons and about
0.3 G synapses at full scale. Between populations the connections are ``fixed_total_number`` (autapses
excluded, multapses allowed), as many as the published connection probabilities give under random
drawing with replacement, K = ln(1 − p) / ln(1 − 1/(N_pre N_post)). Weights are normal around the
PSC of a 0.15 mV PSP (87.8 pA; inhibitory ×(−4); L4e → L2/3e ×2), relative sd 0.1, redrawn until
they keep their sign; delays normal, 1.5 ± 0.75 ms excitatory and 0.75 ± 0.375 ms inhibitory, redrawn
below the resolution. Drive: per population K_ext Poisson inputs at 8 Hz (one poisson_generator per
population at K_ext · 8 Hz), or the equivalent DC (``--drive dc``).

``--scale s`` multiplies both the neuron numbers and the in-degrees by s (so the synapses by s²); below 1
the weights grow by 1/√s and a DC current per population restores the mean input of the full-scale network
(computed from the full-scale rates ``FULL_RATES``), the usual down-scaling that keeps the rates.

Reported for each simulator (each in a fresh process; NEST with ``--threads`` threads, or as many as it needs:
NEST holds at most 134,217,726 connections of one synapse model per thread, so the full-scale model's 0.3 G
static synapses need 3 threads at least; jaxsnn split over
``--devices`` CPU devices): construction time (first ``create`` to the end of the first step, jaxsnn's
compile time apart), wall seconds per simulated second over ``--t-sim`` after ``--t-presim``, peak
memory, and per population the rate and the mean coefficient of variation of the inter-spike intervals
against the full-scale rates.
"""
import argparse
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _measure import run_child, self_peak_rss_mib, set_cpu_devices, table  # noqa: E402

POPS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
N_FULL = (20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948)
# connection probabilities, row: target population, column: source population (Potjans & Diesmann, Table 5)
P = ((0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0),
     (0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0),
     (0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0),
     (0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0),
     (0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0),
     (0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0),
     (0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252),
     (0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443))
K_EXT = (1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100)
BG_RATE = 8.0  # Hz per external input
# full-scale rates (Hz) of the Poisson-driven model: the reference the down-scaling correction uses
FULL_RATES = (0.943, 3.026, 4.368, 5.882, 7.733, 8.664, 1.096, 7.851)
# initial V_m (mV) per population, mean and sd: close to each population's stationary distribution
V0_MEAN = (-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43)
V0_SD = (5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48)
NEURON = {"C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 0.5, "tau_syn_in": 0.5, "E_L": -65.0, "V_th": -50.0,
          "V_reset": -65.0, "t_ref": 2.0}
PSP_E, PSP_REL_SD, G = 0.15, 0.1, -4.0  # mV; relative sd of the weights; inhibitory / excitatory
DELAY_E, DELAY_I, DELAY_REL_SD = 1.5, 0.75, 0.5  # ms
RESOLUTION = 0.1
NEST_MAX_PER_THREAD = 134_217_726  # NEST 3.10's limit of connections per thread and synapse model


def psc_of_psp(psp):
    """The amplitude (pA) of an exponential PSC whose PSP in the neuron above peaks at ``psp`` mV."""
    tm, ts, C = NEURON["tau_m"], NEURON["tau_syn_ex"], NEURON["C_m"]
    sub = 1.0 / (ts - tm)
    pre = tm * ts / C * sub
    frac = (tm / ts) ** sub
    return psp / (pre * (frac ** tm - frac ** ts))


def model(scale, drive="poisson"):
    """Everything both simulators build from: sizes, synapse numbers, weight and delay matrices, drive."""
    import numpy as np

    n_full = np.array(N_FULL, float)
    prod = np.outer(n_full, n_full)
    k_full = np.log(1.0 - np.array(P)) / np.log((prod - 1.0) / prod)  # synapses at full scale [target, source]
    n = np.round(n_full * scale).astype(int)
    n_syn = np.round(k_full * scale * scale).astype(int)
    w_e = psc_of_psp(PSP_E)
    w = np.tile([w_e, G * w_e] * 4, (8, 1))
    w[0, 2] *= 2.0  # L4e -> L2/3e
    w_ext = w_e
    k_ext = np.round(np.array(K_EXT) * scale)
    dc = np.zeros(8)
    tau_syn = NEURON["tau_syn_ex"]
    if scale < 1:  # stronger weights keep the fluctuations; a DC restores the mean of the missing inputs
        indegree_full = k_full / n_full[:, None]
        mean_rec = (w * indegree_full * np.array(FULL_RATES)).sum(axis=1)
        dc += 1e-3 * tau_syn * (1.0 - math.sqrt(scale)) * mean_rec
        if drive == "poisson":
            dc += 1e-3 * tau_syn * (1.0 - math.sqrt(scale)) * w_ext * np.array(K_EXT) * BG_RATE
        w = w / math.sqrt(scale)
        w_ext = w_ext / math.sqrt(scale)
    if drive == "dc":
        dc += 1e-3 * tau_syn * w_ext * k_ext * BG_RATE
    d = np.tile([DELAY_E, DELAY_I] * 4, (8, 1))
    return dict(n=n.tolist(), n_syn=n_syn.tolist(), w=w.tolist(), w_ext=float(w_ext), k_ext=k_ext.tolist(),
                dc=dc.tolist(), d=d.tolist(), drive=drive)


def build_jaxsnn(m, seed, record=True):
    """The network in jaxsnn; returns (net, populations, spike recorders, timings of create and connect)."""
    import jaxsnn

    inf = float("inf")
    net = jaxsnn.Network(resolution=RESOLUTION, seed=seed)
    t0 = time.perf_counter()
    pops = [net.create("iaf_psc_exp", m["n"][i], params={**NEURON, "I_e": m["dc"][i],
                                                       "V_m": jaxsnn.random.normal(V0_MEAN[i], V0_SD[i])})
            for i in range(8)]
    srs = [net.create("spike_recorder") for _ in range(8)] if record else []
    t1 = time.perf_counter()
    for i in range(8):  # target
        for j in range(8):  # source
            if not m["n_syn"][i][j]:
                continue
            w, d = m["w"][i][j], m["d"][i][j]
            wp = jaxsnn.math.redraw(jaxsnn.random.normal(w, abs(w) * PSP_REL_SD), min=0.0 if w > 0 else -inf,
                                    max=inf if w > 0 else 0.0)
            dp = jaxsnn.math.redraw(jaxsnn.random.normal(d, d * DELAY_REL_SD), min=RESOLUTION, max=inf)
            net.connect(pops[j], pops[i], {"rule": "fixed_total_number", "N": m["n_syn"][i][j],
                                           "allow_autapses": False}, {"weight": wp, "delay": dp})
    if m["drive"] == "poisson":
        for i in range(8):
            pg = net.create("poisson_generator", params={"rate": BG_RATE * m["k_ext"][i]})
            net.connect(pg, pops[i], "all_to_all", {"weight": m["w_ext"], "delay": 1.5})
    for p, sr in zip(pops, srs):
        net.connect(p, sr)
    t2 = time.perf_counter()
    return net, pops, srs, {"create_s": t1 - t0, "connect_s": t2 - t1}


def build_nest(nest, m, seed, threads, record=True):
    """The same network in NEST 3.10."""
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.local_num_threads = threads
    nest.resolution = RESOLUTION
    nest.rng_seed = seed
    t0 = time.perf_counter()
    pops = []
    for i in range(8):
        p = nest.Create("iaf_psc_exp", m["n"][i], params={**NEURON, "I_e": m["dc"][i]})
        p.V_m = nest.random.normal(V0_MEAN[i], V0_SD[i])
        pops.append(p)
    srs = [nest.Create("spike_recorder") for _ in range(8)] if record else []
    t1 = time.perf_counter()
    inf = float("inf")
    for i in range(8):
        for j in range(8):
            if not m["n_syn"][i][j]:
                continue
            w, d = m["w"][i][j], m["d"][i][j]
            wp = nest.math.redraw(nest.random.normal(w, abs(w) * PSP_REL_SD), min=0.0 if w > 0 else -inf,
                                  max=inf if w > 0 else 0.0)
            dp = nest.math.redraw(nest.random.normal(d, d * DELAY_REL_SD), min=RESOLUTION, max=inf)
            nest.Connect(pops[j], pops[i], {"rule": "fixed_total_number", "N": m["n_syn"][i][j],
                                            "allow_autapses": False, "allow_multapses": True},
                         {"synapse_model": "static_synapse", "weight": wp, "delay": dp})
    if m["drive"] == "poisson":
        for i in range(8):
            pg = nest.Create("poisson_generator", params={"rate": BG_RATE * m["k_ext"][i]})
            nest.Connect(pg, pops[i], "all_to_all", {"weight": m["w_ext"], "delay": 1.5})
    for p, sr in zip(pops, srs):
        nest.Connect(p, sr)
    t2 = time.perf_counter()
    return pops, srs, {"create_s": t1 - t0, "connect_s": t2 - t1}


def statistics(senders, times, first_id, n, t0, t1):
    """Rate (Hz) and mean CV of the inter-spike intervals (neurons with at least 3 spikes) in (t0, t1]."""
    import numpy as np

    keep = (times > t0) & (times <= t1)
    s, t = np.asarray(senders)[keep], np.asarray(times)[keep]
    rate = len(s) / n / ((t1 - t0) * 1e-3)
    order = np.lexsort((t, s))
    s, t = s[order], t[order]
    cvs = []
    if len(s):
        bounds = np.flatnonzero(np.diff(s)) + 1
        for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(s)]):
            if b - a >= 3:
                isi = np.diff(t[a:b])
                cvs.append(isi.std() / isi.mean())
    return rate, float(np.mean(cvs)) if cvs else float("nan")


def jaxsnn_child(a):
    set_cpu_devices(a.devices)
    import jax

    if a.x64:
        jax.config.update("jax_enable_x64", True)
    import jaxsnn

    compile_s = [0.0]
    jax.monitoring.register_event_duration_secs_listener(
        lambda ev, d, **kw: compile_s.__setitem__(0, compile_s[0] + d) if ev.endswith("backend_compile_duration")
        else None)
    m = model(a.scale, a.drive)
    t_start = time.perf_counter()
    net, pops, srs, tm = build_jaxsnn(m, a.seed)
    t0 = time.perf_counter()
    sim = net.build(devices=a.devices, chunk_steps=int(round(a.chunk / RESOLUTION)))
    tm["build_s"] = time.perf_counter() - t0
    c0 = compile_s[0]
    t0 = time.perf_counter()
    sim = jaxsnn.simulate(sim, RESOLUTION)
    jax.block_until_ready(sim.state)
    tm["first_step_s"] = time.perf_counter() - t0
    tm["compile_s"] = compile_s[0]
    tm["compile_first_step_s"] = compile_s[0] - c0
    tm["construction_s"] = time.perf_counter() - t_start
    tm["peak_after_build_mib"] = self_peak_rss_mib()
    sim = jaxsnn.simulate(sim, a.t_presim - RESOLUTION)
    jax.block_until_ready(sim.state)
    t0 = time.perf_counter()
    sim = jaxsnn.simulate(sim, a.t_sim)
    jax.block_until_ready(sim.state)
    tm["sim_s"] = time.perf_counter() - t0
    out = dict(tm, wall_per_sim_s=tm["sim_s"] / (a.t_sim * 1e-3), n_neurons=sum(m["n"]),
               n_synapses=int(sum(map(sum, m["n_syn"]))), rates=[], cvs=[])
    for p, sr in zip(pops, srs):
        ev = sim.events(sr)
        r, cv = statistics(ev["senders"].to_numpy(), ev["times"].to_numpy(), p.ids[0], len(p), a.t_presim,
                           a.t_presim + a.t_sim)
        out["rates"].append(r)
        out["cvs"].append(cv)
    out["peak_self_mib"] = self_peak_rss_mib()
    print(json.dumps(out))


def nest_child(a):
    import nest

    m = model(a.scale, a.drive)
    t_start = time.perf_counter()
    threads = max(a.threads, -(-sum(map(sum, m["n_syn"])) // NEST_MAX_PER_THREAD))
    pops, srs, tm = build_nest(nest, m, a.seed, threads)
    tm["threads"] = threads
    t0 = time.perf_counter()
    nest.Simulate(RESOLUTION)  # NEST builds its connection tables here
    tm["first_step_s"] = time.perf_counter() - t0
    tm["construction_s"] = time.perf_counter() - t_start
    tm["peak_after_build_mib"] = self_peak_rss_mib()
    nest.Simulate(a.t_presim - RESOLUTION)
    t0 = time.perf_counter()
    nest.Simulate(a.t_sim)
    tm["sim_s"] = time.perf_counter() - t0
    out = dict(tm, wall_per_sim_s=tm["sim_s"] / (a.t_sim * 1e-3), n_neurons=sum(m["n"]),
               n_synapses=int(nest.num_connections), rates=[], cvs=[])
    for p, sr in zip(pops, srs):
        ev = sr.get("events")
        r, cv = statistics(ev["senders"], ev["times"], p[0].global_id, len(p), a.t_presim, a.t_presim + a.t_sim)
        out["rates"].append(r)
        out["cvs"].append(cv)
    out["peak_self_mib"] = self_peak_rss_mib()
    print(json.dumps(out))


def nest_python(arg):
    import subprocess

    for cand in [arg, os.environ.get("NEST_PYTHON"), "/work/nestvenv/bin/python"]:
        ok = cand and os.path.exists(cand)
        if ok and subprocess.run([cand, "-c", "import nest"], capture_output=True).returncode == 0:
            return cand
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--drive", choices=("poisson", "dc"), default="poisson")
    ap.add_argument("--t-presim", type=float, default=500.0)
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--chunk", type=float, default=1000.0, help="ms per device call of jaxsnn")
    ap.add_argument("--seed", type=int, default=55)
    ap.add_argument("--devices", type=int, default=os.cpu_count())
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--x64", action="store_true")
    ap.add_argument("--no-nest", action="store_true", help="measure jaxsnn only")
    ap.add_argument("--nest", help="a python that can import nest")
    ap.add_argument("--child", choices=("jaxsnn", "nest"), help=argparse.SUPPRESS)
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.child == "jaxsnn":
        return jaxsnn_child(a)
    if a.child == "nest":
        return nest_child(a)
    common = ["--scale", str(a.scale), "--drive", a.drive, "--t-presim", str(a.t_presim), "--t-sim", str(a.t_sim),
              "--seed", str(a.seed), "--chunk", str(a.chunk)]
    runs = {"jaxsnn": [sys.executable, __file__, "--child", "jaxsnn", "--devices", str(a.devices)] + common
            + (["--x64"] if a.x64 else [])}
    nest = None if a.no_nest else nest_python(a.nest)
    if nest:
        runs["NEST"] = [nest, __file__, "--child", "nest", "--threads", str(a.threads)] + common
    results = {}
    for name, argv in runs.items():
        env = {"PYTHONPATH": os.path.dirname(HERE)} if name == "jaxsnn" else None
        results[name] = run_child(argv, env=env)
        print(f"{name}: done", file=sys.stderr, flush=True)
    rows = [{"simulator": k, "construction_s": r["construction_s"], "compile_s": r.get("compile_s", ""),
             "wall_per_sim_s": r["wall_per_sim_s"], "peak_mib": r["child_peak_rss_mib"], "synapses": r["n_synapses"]}
            for k, r in results.items()]
    print(table(rows, ["simulator", "construction_s", "compile_s", "wall_per_sim_s", "peak_mib", "synapses"]))
    pop_rows = [{"population": POPS[i], "full-scale rate": FULL_RATES[i],
                 **{f"{k} rate": r["rates"][i] for k, r in results.items()},
                 **{f"{k} CV": r["cvs"][i] for k, r in results.items()}} for i in range(8)]
    print(table(pop_rows, list(pop_rows[0])))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"args": vars(a), "results": results, "cpus": os.cpu_count()}, f, indent=1)


if __name__ == "__main__":
    main()
