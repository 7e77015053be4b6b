"""One child run of the founding network in jaxsnn, printing one JSON line (see seed_network.py).

    python benchmarks/jaxsnn_founding.py --t-sim 1000 [--seed S] [--scale K] [--devices D] [--ensemble N [--vmap]]
                                               [--stats] [--calcium] [--cache DIR]
                                               [--coordinator HOST:PORT --processes P --rank R]

The CPU is split into ``D`` JAX devices (default: one per core), over which the network's neurons are
split (``--ensemble``: over which the members are spread). ``compile_s`` is the first simulated step
(planning the split and compiling). ``--ensemble N`` simulates N networks (seeds S, S+1, ...) in one
compiled call (advance_ensemble; ``--vmap``: batched on each device). ``--stats`` adds the statistics of
shared/reference/nest_network_stats.json per simulated second; ``--calcium`` keeps NEST's calcium trace (as
every ``jaxsnn.nest`` network does). ``--cache DIR`` turns jaxsnn's persistent
compilation cache on at DIR (a second run loads the compiled simulation instead of compiling it).
``--coordinator``: one of ``P`` processes of a ``jax.distributed`` run (``benchmarks/distributed.py``
starts them), each with ``D`` devices; every process prints its line.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _stats  # noqa: E402
from _measure import self_peak_rss_mib, set_cpu_devices  # noqa: E402


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=143202461)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--devices", type=int, default=os.cpu_count())
    ap.add_argument("--ensemble", type=int, default=0, help="simulate this many networks in one call")
    ap.add_argument("--vary", choices=("seeds", "rates"), default="seeds",
                    help="ensemble members differ in seed, or in Poisson rate (800 Hz ± 5 %% steps)")
    ap.add_argument("--vmap", action="store_true",
                    help="ensemble members batched with vmap (default: one after another)")
    ap.add_argument("--stats", action="store_true")
    ap.add_argument("--calcium", action="store_true", help="keep NEST's calcium trace Ca (as jaxsnn.nest does)")
    ap.add_argument("--cache", help="persistent compilation cache directory (default: off)")
    ap.add_argument("--coordinator", help="HOST:PORT of process 0 of a jax.distributed run")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--rank", type=int, default=0)
    return ap.parse_args()


if __name__ == "__main__":  # before JAX is imported
    set_cpu_devices(parse().devices)

import jax  # noqa: E402

import jaxsnn  # noqa: E402
from jaxsnn.testing.ei_network import EINetwork  # noqa: E402


def window_stats(sim, ein, t0, t1, k):
    ev = sim.events(ein.sr)
    w = sim.connections("e_syn").weight.to_numpy()
    return _stats.window_stats(ev.times.to_numpy(), ev.senders.to_numpy(), w, ein.nE, t0, t1, k)


def main():
    a = parse()
    if a.coordinator:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(a.coordinator, a.processes, a.rank, initialization_timeout=120)
    if a.cache:
        jaxsnn.enable_compilation_cache(a.cache)
    tb = time.perf_counter()
    ein = EINetwork(scale=a.scale, seed=a.seed)
    sim = ein.build(calcium=True) if a.calcium else ein.build()
    build_s = time.perf_counter() - tb
    out = {"build_s": build_s, "jax": jax.__version__, "devices": len(jax.devices()), "scale": a.scale,
           "processes": jax.process_count(), "rank": jax.process_index(),
           "seed": a.seed, "t_sim": a.t_sim, "nE": ein.nE, "nI": ein.nI}
    n = sim.steps(a.t_sim)
    if a.ensemble:
        pg_rate = sim.params.generators["poisson_generator"]["rate"]
        if a.vary == "seeds":
            keys = jax.vmap(jaxsnn.simulation_key)(a.seed + np.arange(a.ensemble))
            rates = np.repeat(np.asarray(pg_rate)[None], a.ensemble, axis=0)
        else:
            keys = np.repeat(np.asarray(sim.state.key)[None], a.ensemble, axis=0)
            rates = np.asarray(pg_rate)[None] * (1 + 0.05 * np.arange(a.ensemble))[:, None]

        states = jax.vmap(lambda k: sim.state.replace(key=k))(keys).replace(step=sim.state.step)
        params = sim.params.with_generator("poisson_generator", rate=rates.astype(np.asarray(pg_rate).dtype))
        axes = jax.tree_util.tree_map(lambda _: None, sim.params)
        axes = axes.with_generator("poisson_generator", rate=0)
        run = jaxsnn.jit(lambda p, st: jaxsnn.advance_ensemble(sim.model, p, st, n, axes, vmap=a.vmap))
        tc = time.perf_counter()
        compiled = run.lower(params, states).compile()
        out["compile_s"] = time.perf_counter() - tc
        ts = time.perf_counter()
        res = jax.block_until_ready(compiled(params, states))
        out["simulate_s"] = time.perf_counter() - ts
        out["ensemble"] = a.ensemble
        out["overflow"] = np.asarray(res.overflow).tolist()
        out["V_m_differs"] = len({r.tobytes() for r in np.asarray(res.neurons["iaf_psc_delta"]["V_rel"])}) == a.ensemble
    else:
        first = 0
        if not a.stats:  # (--stats: windows from t = 0)
            tc = time.perf_counter()  # plan and compile: one step (the number of steps is traced)
            sim = jaxsnn.simulate(sim, sim.spec.time.resolution)
            out["compile_s"] = time.perf_counter() - tc
            first = len(sim.events(ein.sr))
        ts = time.perf_counter()
        if a.stats:
            for k in range(int(a.t_sim // 1000)):
                sim = jaxsnn.simulate(sim, 1000.0)
                out.update(window_stats(sim, ein, 1000.0 * k, 1000.0 * (k + 1), k))
            t = sim.events(ein.sr).times.to_numpy()
            out["frac_first_step"] = float((t <= 0.1 + 1e-9).sum() / ein.nE)
        else:
            sim = jaxsnn.simulate(sim, a.t_sim)
        out["simulate_s"] = time.perf_counter() - ts
        out["run_peak_rss_mib"] = self_peak_rss_mib()  # before the frames below (events, connections)
        ev = sim.events(ein.sr)
        out["rate_E"] = (len(ev) - first) / ein.nE / (a.t_sim / 1000)
        out["w_mean"] = float(sim.connections("e_syn").weight.mean())
    out["wall_per_sim_s"] = out["simulate_s"] / (a.t_sim / 1000)
    out["peak_rss_mib"] = self_peak_rss_mib()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
