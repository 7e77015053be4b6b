"""Statistics of the founding network in jaxsnn over 8 seeds, side by side with NEST's.

    python benchmarks/founding_stats.py [--seeds 8] [--json FILE]

Same definitions as shared/tools/nest_network_stats.py (E rate in 0–1 s and 1–2 s, mean CV of ISIs,
fraction of E neurons firing in the first step, e_syn weight mean and std after 1 s and 2 s). A
statistic passes when the mean over our seeds lies inside NEST's min–max over its seeds, widened on
each side by 5 % of NEST's mean (for the weight mean: 5 % of NEST's mean weight change, w_mean − 1).
"""
import argparse
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _measure import run_child, table  # noqa: E402
from _stats import compare  # noqa: E402

REFERENCE = HERE.parent / "tests" / "reference" / "nest_network_stats.json"  # NEST's statistics


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--json")
    a = ap.parse_args()
    nest = json.loads(REFERENCE.read_text())
    ours = []
    for seed in range(1, a.seeds + 1):
        r = run_child([sys.executable, str(HERE / "jaxsnn_founding.py"), "--t-sim", "2000", "--stats",
                       "--seed", str(seed)])
        ours.append(r)
        print(f"seed {seed}: rate {r['rate_0']:.1f}/{r['rate_1']:.1f} Hz, w {r['w_mean_1']:.4f}", file=sys.stderr)
    rows = compare(ours, nest)
    print(table(rows, ["statistic", "jaxsnn_mean", "jaxsnn_sd", "nest_min", "nest_max", "band_lo", "band_hi", "pass"]))
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps({"rows": rows, "jaxsnn": ours}, indent=1))
    return 0 if all(r["pass"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
