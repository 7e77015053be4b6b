"""Many founding networks in one compiled call: over seeds or over the Poisson rate.

    python benchmarks/ensemble.py [--n 8] [--t-sim 1000] [--over seeds|rates] [--vmap] [--devices D] [--json FILE]

Reports the median wall time (3 runs, fresh processes) of one network and of ``n`` networks in one
compiled call (``jaxsnn.advance_ensemble``; ``--vmap``: the members of a device batched, not one
after another), and their ratio (goal: n = 8 at most 3x one). Both
run with the CPU split into ``D`` devices (default: one per core), over which the members are spread.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _measure import median, run_child, table  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--over", choices=("seeds", "rates"), default="seeds")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--vmap", action="store_true")
    ap.add_argument("--devices", type=int, default=os.cpu_count())
    ap.add_argument("--json")
    a = ap.parse_args()
    base = [sys.executable, os.path.join(HERE, "jaxsnn_founding.py"), "--t-sim", str(a.t_sim),
            "--devices", str(a.devices)]
    rows = []
    for n in (1, a.n):
        rs = [run_child(base + ["--ensemble", str(n), "--vary", a.over] + ["--vmap"] * a.vmap) for _ in range(a.runs)]
        rows.append({"networks": n, "simulate_s": median([r["simulate_s"] for r in rs]),
                     "compile_s": median([r["compile_s"] for r in rs]),
                     "peak_rss_mib": median([r["child_peak_rss_mib"] for r in rs]),
                     "all_differ": all(r["V_m_differs"] for r in rs), "overflow": max(max(r["overflow"]) for r in rs)})
    ratio = rows[1]["simulate_s"] / rows[0]["simulate_s"]
    print(table(rows, ["networks", "simulate_s", "compile_s", "peak_rss_mib", "all_differ", "overflow"]))
    how = "batched" if a.vmap else "one after another"
    print(f"{a.n} networks / 1 network (over {a.over}, {how} on {a.devices} CPU devices): {ratio:.2f}x the time")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rows": rows, "ratio": ratio, "over": a.over, "vmap": a.vmap, "devices": a.devices}, f, indent=1)


if __name__ == "__main__":
    main()
