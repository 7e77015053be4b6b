"""Demo: the balanced E/I network of NEST's store/restore example, with STDP, in jaxsnn.

    python examples/ei_network.py [--scale 1.0] [--t-sim 1000] [--out DIR]

Builds the network (2000·scale E and 500·scale I iaf_psc_delta neurons, plastic e_syn), simulates
``t_sim`` ms, prints the E rate and the e_syn weight statistics, checks that two half-length runs give
the same spikes and weights as one run, and with ``--out`` draws a raster and a weight histogram.
"""
import argparse
import pathlib
import time

import numpy as np

import jaxsnn
from jaxsnn.testing.ei_network import EINetwork


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.2, help="network size relative to NEST's example")
    ap.add_argument("--t-sim", type=float, default=1000.0, help="ms")
    ap.add_argument("--out", type=pathlib.Path, help="write ei_network.png here")
    args = ap.parse_args(argv)

    ein = EINetwork(scale=args.scale)
    sim = ein.build()
    t0 = time.perf_counter()
    one = jaxsnn.simulate(sim, args.t_sim, progress=True)
    wall = time.perf_counter() - t0
    ev = one.events(ein.sr)
    w = one.connections("e_syn").weight
    n_syn = len(one.connections(devices=False))
    print(f"{ein.n} neurons, {n_syn} synapses, {args.t_sim:.0f} ms in {wall:.1f} s (incl. compile)")
    rate = len(ev) / ein.nE / (args.t_sim / 1000)
    print(f"E rate {rate:.1f} Hz; e_syn weight mean {w.mean():.4f}, std {w.std():.4f}")

    half = jaxsnn.simulate(jaxsnn.simulate(sim, args.t_sim / 2), args.t_sim / 2)
    same = (half.events(ein.sr).equals(ev) and np.array_equal(half.connections().weight, one.connections().weight))
    print(f"two half runs == one run (spikes and weights, bit for bit): {same}")

    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        args.out.mkdir(parents=True, exist_ok=True)
        fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
        first = ev[ev.senders <= 100]
        a.plot(first.times, first.senders, ".", ms=2)
        a.set(xlabel="time (ms)", ylabel="neuron id", title="first 100 E neurons")
        b.hist(w, bins=np.arange(0.7, 1.4, 0.01), histtype="step")
        b.set(xlabel="weight (mV)", ylabel="count", title="e_syn weights")
        fig.tight_layout()
        fig.savefig(args.out / "ei_network.png", dpi=100)
        print(f"wrote {args.out / 'ei_network.png'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
