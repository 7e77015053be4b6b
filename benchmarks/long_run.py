"""A long run of the founding network with every E spike recorded, in bounded memory.

    python benchmarks/long_run.py [--t-sim 100000] [--progress] [--devices D] [--json FILE]

Recorded spikes leave the device after every chunk of steps, so device memory does not grow with the
run; the host keeps the events (that memory is what is recorded). Prints the peak RSS sampled after
each 10 s of simulated time, the spike count and the wall time; ``--progress`` shows a progress line
per chunk (compare the wall time with and without it for its cost). The network is split over ``D``
CPU devices (default: one per core).
"""
import argparse
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _measure import set_cpu_devices  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--t-sim", type=float, default=100_000.0)
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--devices", type=int, default=os.cpu_count())
    ap.add_argument("--json", help="write the numbers here")
    a = ap.parse_args()
    set_cpu_devices(a.devices)
    import jaxsnn
    from jaxsnn.testing.ei_network import EINetwork

    ein = EINetwork()
    sim = ein.build()
    sim = jaxsnn.simulate(sim, 10.0)  # compile
    t0 = time.perf_counter()
    rss = []
    done = 0.0
    while done < a.t_sim:
        step = min(10_000.0, a.t_sim - done)
        sim = jaxsnn.simulate(sim, step, progress=a.progress)
        done += step
        rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    wall = time.perf_counter() - t0
    n = len(sim.events(ein.sr))
    out = {"t_sim": a.t_sim, "wall_s": wall, "wall_per_sim_s": wall / (a.t_sim / 1000), "spikes_E": n,
           "peak_rss_mib_every_10s": [round(x) for x in rss], "progress": a.progress}
    print(json.dumps(out))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
