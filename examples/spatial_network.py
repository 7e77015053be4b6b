"""A spatially structured network: two layers on a torus, distance-dependent connections, and a check
that the connections made follow the kernel they were drawn from.

An excitatory layer (a grid) and an inhibitory layer (nodes at random places) live on the same unit
square with wrapped edges. Each excitatory node reaches the nodes around it with a probability that
falls off as a Gaussian of the distance, inside a circular mask; inhibitory nodes reach further, with
an exponential kernel. Delays grow with distance.

The script draws (1) both layers, (2) the targets of the centre node over the kernel and the mask, and
(3) the fraction of candidate pairs connected at each distance next to the kernel itself, then runs
the network for a while and reports the rates.

    python examples/spatial_network.py --out OUTDIR [--side 30] [--t-sim 500]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import jaxsnn  # noqa: E402
from jaxsnn import spatial  # noqa: E402

kernels = jaxsnn.spatial_distributions
P_EE, STD_E, RADIUS_E = 0.6, 0.08, 0.25  # peak probability, Gaussian width and mask radius (layer units)
P_IE, BETA_I, RADIUS_I = 0.5, 0.15, 0.4


def build(side: int, seed: int):
    net = jaxsnn.Network(resolution=0.1, seed=seed)
    ex = net.create("iaf_psc_alpha", positions=spatial.grid([side, side], extent=[1.0, 1.0], edge_wrap=True),
                    params={"V_m": jaxsnn.random.uniform(-70.0, -55.0)})
    n_in = side * side // 4
    inh = net.create("iaf_psc_alpha", n_in, positions=spatial.free(jaxsnn.random.uniform(-0.5, 0.5), extent=[1.0, 1.0],
                                                                    edge_wrap=True))
    p_e = P_EE * kernels.gaussian(spatial.distance, std=STD_E)
    mask_e = spatial.create_mask("circular", {"radius": RADIUS_E})
    delay = 1.0 + 4.0 * spatial.distance  # ms: about 4 ms across the mask
    p_i = P_IE * kernels.exponential(spatial.distance, beta=BETA_I)
    for target in (ex, inh):  # a spatial connection joins two layers
        net.connect(ex, target, {"rule": "pairwise_bernoulli", "p": p_e, "mask": mask_e},
                    {"weight": 30.0, "delay": delay})
        net.connect(inh, target, {"rule": "pairwise_bernoulli", "p": p_i, "mask": {"circular": {"radius": RADIUS_I}}},
                    {"weight": -60.0, "delay": delay})
    drive = net.create("poisson_generator", params={"rate": 15000.0})
    rec = net.create("spike_recorder")
    layers = (ex, inh)  # as in NEST, two layers do not join into one collection
    for layer in layers:
        net.connect(drive, layer, syn_spec={"weight": 15.0})
    for layer in layers:
        net.connect(layer, rec)
    return net, ex, inh, p_e, mask_e, rec


def probability_by_distance(p_e, seed, side):
    """Connected fraction of candidate pairs per distance bin, from one E→E projection built twice:
    with p = 1 (every candidate in the mask) and with the kernel."""
    bins = np.linspace(0.0, RADIUS_E, 11)
    counts, kernel_sum = {}, None
    for p in (1.0, p_e):
        net = jaxsnn.Network(seed=seed)
        layer = net.create("iaf_psc_alpha", positions=spatial.grid([side, side], extent=[1.0, 1.0], edge_wrap=True))
        net.connect(layer, layer, {"rule": "pairwise_bernoulli", "p": p, "mask": {"circular": {"radius": RADIUS_E}}})
        conns = net._conns[-1]
        pos = spatial.get_position(layer)
        disp = pos[conns.target - layer.ids[0]] - pos[conns.source - layer.ids[0]]
        disp -= np.round(disp)  # wrapped edges, extent 1
        d = np.sqrt((disp ** 2).sum(axis=1))
        counts[p is p_e] = np.histogram(d, bins)[0]
        if isinstance(p, float):  # the kernel averaged over the candidates of each bin: what the fraction should be
            kernel_sum = np.histogram(d, bins, weights=P_EE * np.exp(-d ** 2 / (2 * STD_E ** 2)))[0]
    n = np.maximum(counts[False], 1)
    frac, expected = counts[True] / n, kernel_sum / n
    err = np.sqrt(expected * (1 - expected) / n)
    return bins, frac, expected, err


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--side", type=int, default=30, help="excitatory grid is side x side")
    ap.add_argument("--t-sim", type=float, default=500.0, help="ms")
    ap.add_argument("--seed", type=int, default=12345)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    net, ex, inh, p_e, mask_e, rec = build(a.side, a.seed)
    t_build = time.perf_counter() - t0

    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    plt.sca(axes[0])
    spatial.plot_layer(ex, fig=fig, nodecolor="tab:blue", nodesize=6)
    pos_i = spatial.get_position(inh)
    axes[0].scatter(pos_i[:, 0], pos_i[:, 1], s=10, c="tab:red")
    axes[0].set_title("layers: excitatory grid (blue), inhibitory free (red)")

    centre = spatial.find_center_element(ex)
    plt.sca(axes[1])
    spatial.plot_targets(centre, ex, fig=fig, mask=mask_e, probability_parameter=p_e, tgt_size=8)
    axes[1].set_title("targets of the centre node, kernel and mask")

    bins, frac, expected, err = probability_by_distance(p_e, a.seed, a.side)
    mid = (bins[1:] + bins[:-1]) / 2
    r = np.linspace(0, RADIUS_E, 200)
    axes[2].errorbar(mid, frac, yerr=err, fmt="o", label="connected / candidates")
    axes[2].plot(r, P_EE * np.exp(-r ** 2 / (2 * STD_E ** 2)), label="kernel p(d)")
    axes[2].plot(mid, expected, "x", c="k", label="kernel averaged over each bin")
    axes[2].set_xlabel("distance (layer units)")
    axes[2].set_ylabel("connection probability")
    axes[2].set_title("probability by distance")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(a.out / "spatial_network.png", dpi=90)

    t0 = time.perf_counter()
    sim = jaxsnn.simulate(net.build(), a.t_sim)
    t_sim = time.perf_counter() - t0
    ev = sim.events(rec)
    rate = {name: float(np.isin(ev.senders, nodes.ids).sum() / len(nodes) / (a.t_sim / 1000.0))
            for name, nodes in (("excitatory", ex), ("inhibitory", inh))}
    worst = float(np.max(np.abs(frac - expected) / np.maximum(err, 1e-3)))
    summary = {"seed": a.seed, "side": a.side, "n_connections": int(sum(len(c.source) for c in net._conns)),
               "rates_hz": rate, "probability_by_distance": {"bin_centres": mid.tolist(), "measured": frac.tolist(),
                                                             "kernel": expected.tolist(),
                                                             "worst_deviation_in_sd": worst},
               "timings_s": {"build": t_build, "simulate": t_sim}}
    (a.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: summary[k] for k in ("n_connections", "rates_hz")}), f"kernel within {worst:.1f} sd")


if __name__ == "__main__":
    main()
