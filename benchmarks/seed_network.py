"""jaxsnn vs NEST 3.10 on the founding network (NEST's store/restore example), side by side.

    python benchmarks/seed_network.py [--t-sim 1000|10000] [--runs 5] [--devices D] [--nest PYTHON] [--cache DIR]
                                      [--json FILE]

Alternates the two simulators run by run (each run a fresh process, after one warm-up run of each),
and reports medians of wall seconds per simulated second, the ratio jaxsnn / NEST, jaxsnn's compile
time (separately; the persistent compilation cache is off unless ``--cache DIR``, which the warm-up run
fills, so that the timed runs load the compiled simulation) and the peak memory of each process.
jaxsnn splits the network over ``D`` CPU devices (default: one per core), NEST runs with as many threads
as cores, when ``--nest`` (default: the python of /work/nestvenv or
$NEST_PYTHON) can import nest; otherwise only jaxsnn is measured.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _measure import median, run_child, table  # noqa: E402


def nest_python(arg):
    for cand in [arg, os.environ.get("NEST_PYTHON"), "/work/nestvenv/bin/python", sys.executable]:
        ok = cand and os.path.exists(cand)
        if ok and subprocess.run([cand, "-c", "import nest"], capture_output=True).returncode == 0:
            return cand
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--nest", help="a python that can import nest")
    ap.add_argument("--devices", type=int, default=os.cpu_count(), help="JAX devices the CPU is split into")
    ap.add_argument("--cache", help="jaxsnn's persistent compilation cache directory; the warm-up run fills it "
                    "(default: off, every run compiles)")
    ap.add_argument("--json", help="write the numbers here")
    a = ap.parse_args()
    nest = nest_python(a.nest)
    jx = [sys.executable, os.path.join(HERE, "jaxsnn_founding.py"), "--t-sim", str(a.t_sim), "--scale", str(a.scale),
          "--devices", str(a.devices)] + (["--cache", a.cache] if a.cache else [])
    ns = ([nest, os.path.join(HERE, "nest_founding.py"), "--t-sim", str(a.t_sim), "--scale", str(a.scale)]
          if nest else None)
    rows = []
    for i in range(a.runs + 1):  # run 0 is the warm-up
        for name, argv in (("jaxsnn", jx), ("NEST", ns)):
            if argv is None:
                continue
            r = run_child(argv + ["--seed", str(1 + i)])
            r["simulator"], r["run"] = name, i
            if i:
                rows.append(r)
            print(f"{name:6s} run {i}: {r['wall_per_sim_s']:.3f} s per simulated s, "
                  f"peak {r['child_peak_rss_mib']:.0f} MiB",
                  file=sys.stderr, flush=True)
    summary = {}
    for name in ("jaxsnn", "NEST"):
        rs = [r for r in rows if r["simulator"] == name]
        if rs:
            summary[name] = {"wall_per_sim_s": median([r["wall_per_sim_s"] for r in rs]),
                             "peak_rss_mib": median([r["child_peak_rss_mib"] for r in rs]),
                             "compile_s": median([r["compile_s"] for r in rs]) if name == "jaxsnn" else None,
                             "rate_E": median([r["rate_E"] for r in rs]), "runs": len(rs)}
    if "NEST" in summary:
        summary["ratio_jaxsnn_over_nest"] = summary["jaxsnn"]["wall_per_sim_s"] / summary["NEST"]["wall_per_sim_s"]
    print(table([{"simulator": k, **v} for k, v in summary.items() if isinstance(v, dict)],
                ["simulator", "wall_per_sim_s", "compile_s", "peak_rss_mib", "rate_E", "runs"]))
    if "ratio_jaxsnn_over_nest" in summary:
        print(f"ratio jaxsnn / NEST (median wall per simulated second): {summary['ratio_jaxsnn_over_nest']:.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"summary": summary, "runs": rows, "t_sim": a.t_sim, "cpus": os.cpu_count(), "devices": a.devices,
                       "cache": a.cache},
                      f, indent=1)


if __name__ == "__main__":
    main()
