"""The founding network at 1x, 2x, 4x and 10x the neurons (in-degrees fixed): time and memory.

    python benchmarks/scaling.py [--scales 1 2 4 10] [--t-sim 1000] [--runs 3] [--devices D] [--json FILE]

The network is split over ``D`` CPU devices (default: one per core). ``run_peak_rss_mib`` is the peak
memory up to the end of the simulation; ``peak_rss_mib`` (the whole process) also covers building the
frames of all events and of all connections afterwards.
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
    ap.add_argument("--scales", type=float, nargs="+", default=[1, 2, 4, 10])
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--devices", type=int, default=os.cpu_count(), help="JAX devices the CPU is split into")
    ap.add_argument("--json")
    a = ap.parse_args()
    rows = []
    for k in a.scales:
        rs = [run_child([sys.executable, os.path.join(HERE, "jaxsnn_founding.py"), "--t-sim", str(a.t_sim),
                         "--scale", str(k), "--devices", str(a.devices)]) for _ in range(a.runs)]
        rows.append({"scale": k, "neurons": rs[0]["nE"] + rs[0]["nI"],
                     "wall_per_sim_s": median([r["wall_per_sim_s"] for r in rs]),
                     "compile_s": median([r["compile_s"] for r in rs]),
                     "peak_rss_mib": median([r["child_peak_rss_mib"] for r in rs]),
                     "run_peak_rss_mib": round(median([r["run_peak_rss_mib"] for r in rs]), 1),  # as the whole peak
                     "rate_E": median([r["rate_E"] for r in rs])})
        rows[-1]["time_vs_1x"] = rows[-1]["wall_per_sim_s"] / rows[0]["wall_per_sim_s"]
        print(rows[-1], file=sys.stderr, flush=True)
    print(table(rows, ["scale", "neurons", "wall_per_sim_s", "time_vs_1x", "compile_s", "run_peak_rss_mib",
                       "peak_rss_mib", "rate_E"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
