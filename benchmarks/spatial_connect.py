"""Time to build spatial connections: a side × side grid onto itself with a local circular mask.

Three connects per run: ``pairwise_bernoulli`` with p = 1 (every candidate), with a Gaussian kernel, and
``fixed_indegree`` (50 per node) inside the mask. Candidates come from NEST's tree walk, so the time
grows with the connections made, not with all pairs.

    python benchmarks/spatial_connect.py [--side 100] [--radius 0.1] [--runs 3] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import jaxsnn
from jaxsnn import spatial


def one_run(side: int, radius: float, seed: int) -> dict:
    out = {}
    mask = {"circular": {"radius": radius}}
    specs = {
        "bernoulli_p1": {"rule": "pairwise_bernoulli", "p": 1.0, "mask": mask},
        "bernoulli_gaussian": {"rule": "pairwise_bernoulli", "mask": mask,
                               "p": jaxsnn.spatial_distributions.gaussian(spatial.distance, std=radius / 2)},
        "fixed_indegree_50": {"rule": "fixed_indegree", "indegree": 50, "mask": mask},
    }
    for name, spec in specs.items():
        net = jaxsnn.Network(seed=seed)
        layer = net.create("iaf_psc_alpha", positions=spatial.grid([side, side], extent=[1.0, 1.0], edge_wrap=True))
        t0 = time.perf_counter()
        net.connect(layer, layer, spec)
        out[name] = {"seconds": time.perf_counter() - t0, "connections": len(net._conns[-1].source)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", type=int, default=100)
    ap.add_argument("--radius", type=float, default=0.1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=str, default=None)
    a = ap.parse_args()
    runs = [one_run(a.side, a.radius, a.seed + r) for r in range(a.runs)]
    summary = {name: {"median_s": statistics.median(r[name]["seconds"] for r in runs),
                      "connections": runs[-1][name]["connections"]} for name in runs[0]}
    res = {"side": a.side, "radius": a.radius, "runs": runs, "summary": summary}
    print(json.dumps(summary, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
