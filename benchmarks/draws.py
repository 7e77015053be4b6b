"""Construction (``create`` + ``connect``) of Brunel's network and the 10 % microcircuit, where the random
draws are made: seconds and the XLA programs compiled or loaded from the cache in that phase.

    python benchmarks/draws.py [--network brunel microcircuit] [--runs 5] [--before DIR] [--cache DIR]
                               [--threads 2] [--json FILE]
    python benchmarks/draws.py --raw [--runs 5]

Each measurement is a fresh process (``_measure.run_child``); with ``--before DIR`` (the root of another
jaxsnn checkout) both versions run in turns and their medians are compared in the same run. ``--cache DIR``:
JAX's persistent compilation cache in DIR, filled by one unmeasured process per version first (a warm cache,
the construction a user sees from the second run of a script on); without it every process compiles what it
draws with (a cold cache). Reported: wall seconds and the process's CPU seconds (all its threads: on a shared
machine the work done, less disturbed by the other users than the wall time), medians. ``--threads``: the
threads of the host's draws (``jaxsnn.core.host.THREADS``).
``--raw``: the draws alone in one process, in turns: the host's (1 and 2 threads) against JAX's compiled
program run block by block (compiled before timing), seconds (medians) for the sizes of the two networks.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _measure import median, run_child  # noqa: E402


def child(a):
    import jax

    import jaxsnn

    if a.cache:
        jaxsnn.enable_compilation_cache(a.cache)
    try:
        from jaxsnn.core import host

        host.THREADS = a.threads
    except (ImportError, AttributeError):
        pass
    names = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda ev, d, **kw: names.append(kw.get("fun_name")) if ev.endswith("backend_compile_duration") else None)
    t0, c0 = time.perf_counter(), time.process_time()
    if a.network[0] == "brunel":
        from construction import BRUNEL, BRUNEL_NEURON, brunel_sizes

        b = BRUNEL
        NE, NI, rate = brunel_sizes(1.0)
        net = jaxsnn.Network(resolution=0.1, seed=12)
        E = net.create("iaf_psc_delta", NE, params=BRUNEL_NEURON)
        I = net.create("iaf_psc_delta", NI, params=BRUNEL_NEURON)
        pg = net.create("poisson_generator", params={"rate": rate})
        net.connect(pg, E + I, "all_to_all", {"weight": b["J"], "delay": b["delay"]})
        net.connect(E, E + I, {"rule": "fixed_indegree", "indegree": b["CE"]}, {"weight": b["J"], "delay": b["delay"]})
        net.connect(I, E + I, {"rule": "fixed_indegree", "indegree": b["CI"]},
                    {"weight": -b["g"] * b["J"], "delay": b["delay"]})
    else:
        import microcircuit

        microcircuit.build_jaxsnn(microcircuit.model(0.1), 12)
    s, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"construct_s": s, "cpu_s": cpu, "programs": len(names), "names": sorted(set(names))}))


def raw(runs):
    import jax
    import numpy as np

    from jaxsnn import random as jr
    from jaxsnn.core import host as jaxsnn_host

    key = jax.random.key(3)
    dt = jax.dtypes.canonicalize_dtype(float)
    cases = {  # name: (host draw, the same blocks by JAX's program)
        "randint 15.6 M (Brunel's fixed_indegree)": (
            lambda: jr.in_blocks(jax.random.randint, key, (15_625_000,), 0, 12_500),
            lambda: jr.in_blocks(lambda k, s, *a: jax.random.randint(k, s, *a), key, (15_625_000,), 0, 12_500)),
        "uniform 3 M": (lambda: jr.in_blocks(jax.random.uniform, key, (3_000_000,)),
                        lambda: jr.in_blocks(lambda k, s: jax.random.uniform(k, s), key, (3_000_000,))),
        "normal 3 M (JAX: jax.random.normal)": (
            lambda: jr.normal(1.0, 0.1).sample(key, 3_000_000),
            lambda: jr.in_blocks(lambda k, s: 1.0 + 0.1 * jax.random.normal(k, s, dt), key, (3_000_000,))),
    }
    for name, (host, jx) in cases.items():
        jx()  # compiled once, as with a warm cache
        t = {"host 1 thread": [], "host 2 threads": [], "JAX blocks": []}
        for _ in range(runs):
            for label, f, th in (("host 1 thread", host, 1), ("host 2 threads", host, 2), ("JAX blocks", jx, 2)):
                jaxsnn_host.THREADS = th
                t0 = time.perf_counter()
                np.asarray(f())
                t[label].append(time.perf_counter() - t0)
        print(f"{name:40s} " + "  ".join(f"{k} {median(v):.3f} s" for k, v in t.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", nargs="+", default=["brunel", "microcircuit"], choices=("brunel", "microcircuit"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--before")
    ap.add_argument("--cache")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--raw", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a)
    if a.raw:
        return raw(a.runs)
    roots = {"after": os.path.dirname(HERE)}
    if a.before:
        roots = {"before": os.path.abspath(a.before), **roots}
    out = {}
    for net in a.network:
        def one(version, net=net):
            argv = [sys.executable, os.path.join(HERE, "draws.py"), "--child", "--network", net,
                    "--threads", str(a.threads)] + (["--cache", os.path.join(a.cache, version)] if a.cache else [])
            # the benchmark helpers come from this checkout, jaxsnn from the version measured
            return run_child(argv, env={"PYTHONPATH": roots[version]}, timeout=1800)

        if a.cache:
            for v in roots:
                one(v)
        runs = {v: [] for v in roots}
        for _ in range(a.runs):
            for v in roots:
                runs[v].append(one(v))
        out[net] = {v: {"construct_s": median([r["construct_s"] for r in rs]),
                        "cpu_s": median([r["cpu_s"] for r in rs]),
                        "all_s": [round(r["construct_s"], 3) for r in rs],
                        "programs": rs[-1]["programs"], "names": rs[-1]["names"]} for v, rs in runs.items()}
        for v, r in out[net].items():
            print(f"{net:12s} {v:6s} construct {r['construct_s']:.3f} s (median of {a.runs}: {r['all_s']}), "
                  f"CPU {r['cpu_s']:.3f} s (all threads), "
                  f"{r['programs']} programs {r['names']}")
        if "before" in out[net]:
            print(f"{net:12s} after/before {out[net]['after']['construct_s'] / out[net]['before']['construct_s']:.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
