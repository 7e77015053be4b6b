"""The founding network over several ``jax.distributed`` processes on this machine, against one process.

    python benchmarks/distributed.py [--t-sim 1000] [--runs 3] [--layouts 1x1,1x2,2x1] [--json FILE]

A layout ``PxD`` is P processes (localhost, gloo) of D CPU devices each; every run of every layout
starts fresh processes (``jaxsnn_founding.py --coordinator``), layouts alternating run by run after one
warm-up round. Reports medians of build, compile (planning the split and compiling, the first step)
and wall seconds per simulated second (process 0's figures), and the slice's spike exchange: each
device all-gathers ``2 · slice_capacity + 1`` int32 from every device per slice (the minimum delay).
On one machine the processes share its cores: this measures the cost of the runtime, not a speed-up;
``docs/distributed.md`` models more hosts.
"""
import argparse
import json
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _measure import median  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(processes, devices, t_sim, seed, timeout=900):
    """One run of ``processes`` x ``devices``; process 0's JSON line."""
    port = free_port()
    argv = [sys.executable, os.path.join(HERE, "jaxsnn_founding.py"), "--t-sim", str(t_sim), "--seed", str(seed),
            "--devices", str(devices)]
    if processes > 1:
        argv += ["--coordinator", f"127.0.0.1:{port}", "--processes", str(processes)]
    procs = [subprocess.Popen(argv + (["--rank", str(r)] if processes > 1 else []), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for r in range(processes)]
    outs = [p.communicate(timeout=timeout) for p in procs]
    for p, (_, err) in zip(procs, outs):
        if p.returncode:
            raise RuntimeError(f"{processes}x{devices} failed (exit {p.returncode}):\n{err[-3000:]}")
    return json.loads(outs[0][0].strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--layouts", default="1x1,1x2,2x1", help="comma-separated PxD: P processes of D devices")
    ap.add_argument("--json", help="write the numbers here")
    a = ap.parse_args()
    layouts = [tuple(int(x) for x in lay.split("x")) for lay in a.layouts.split(",")]
    rows = {lay: [] for lay in layouts}
    for i in range(a.runs + 1):  # run 0 is the warm-up
        for lay in layouts:
            r = run(*lay, a.t_sim, 1 + i)
            print(f"{lay[0]}x{lay[1]} run {i}: {r['wall_per_sim_s']:.3f} s per simulated s", file=sys.stderr,
                  flush=True)
            if i:
                rows[lay].append(r)
    base = median([r["wall_per_sim_s"] for r in rows[layouts[0]]])
    out = []
    print(f"{'layout':>8} {'build s':>8} {'compile s':>9} {'s/sim s':>8} {'vs ' + a.layouts.split(',')[0]:>8}")
    for (p, d), rs in rows.items():
        m = {k: median([r[k] for r in rs]) for k in ("build_s", "compile_s", "wall_per_sim_s")}
        out.append({"processes": p, "devices_per_process": d, **m, "ratio": m["wall_per_sim_s"] / base,
                    "runs": len(rs)})
        print(f"{p}x{d:<6} {m['build_s']:8.2f} {m['compile_s']:9.2f} {m['wall_per_sim_s']:8.3f} "
              f"{m['wall_per_sim_s'] / base:8.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
