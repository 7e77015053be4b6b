"""Store and restore a network simulation: NEST's store/restore example, in jaxsnn.

    python examples/store_restore_network.py [--out DIR] [--t-sim 1000] [--scale 1.0]

A balanced E/I network with plastic excitatory synapses is simulated for 1 s, its membrane potentials
and weights are stored (a *selective* store, as in NEST), and a *complete* checkpoint is written.
Then six runs of ``t_sim`` each:

1. the initial simulation;
2. the continuation of the initial simulation (the full network state, spikes in transit included);
3. the network rebuilt from the selective store (time restarts at 0; connectivity, delays, V_m per
   population and weights are restored; STDP traces and spikes in transit are not);
4. the same with the same seed: identical spikes, bit for bit;
5. the same with another seed: different spikes;
6. the network resumed from the complete checkpoint: identical to the continuation (2), bit for bit.

Writes ``DIR/store_restore_network.png`` and ``DIR/summary.json`` (seed, precision, versions, results
and timings apart) with ``--out``. Exits with 1 if any of the three bit-for-bit claims does not hold.
"""
import argparse
import json
import pathlib
import tempfile
import textwrap
import time
from importlib import metadata

import jax
import numpy as np

import jaxsnn
from jaxsnn.testing.ei_network import EINetwork

OTHER_SEED = 987654321


def stats(sim, ein, t0, t1):
    ev = sim.events(ein.sr)
    ev = ev[(ev.times > t0) & (ev.times <= t1)]
    w = sim.connections("e_syn").weight.to_numpy()
    return ev, {"spikes": len(ev), "rate_E": len(ev) / ein.nE / ((t1 - t0) / 1000),
                "w_mean": float(w.mean()), "w_std": float(w.std())}


def restore(stored, seed, scale):
    ein = EINetwork(scale=scale, seed=seed)
    sim = ein.rebuild(stored.V_m("e"), stored.V_m("i"), stored.connections("e_syn"), stored.connections("i_syn"))
    return ein, sim


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=pathlib.Path, help="directory for the figure and summary.json")
    ap.add_argument("--t-sim", type=float, default=1000.0, help="ms per run")
    ap.add_argument("--scale", type=float, default=1.0, help="network size relative to NEST's example")
    args = ap.parse_args(argv)
    T = args.t_sim
    t_start = time.perf_counter()
    tmp = tempfile.TemporaryDirectory(prefix="jaxsnn_store_restore_")  # removed at the end, also on errors
    work = pathlib.Path(tmp.name)
    runs, results, timings = {}, {"runs": {}}, {}

    print("*** Initial simulation ***")
    ein = EINetwork(scale=args.scale)
    initial = jaxsnn.simulate(ein.build(), T, progress=True)
    runs["Initial simulation"] = (ein, initial, 0.0, T)

    print("*** Storing simulation ***")
    t = time.perf_counter()
    results["store_bytes"] = jaxsnn.store(work / "ein_1000", initial, {"e": ein.e_neurons, "i": ein.i_neurons},
                                          ("e_syn", "i_syn"))
    timings["store"] = time.perf_counter() - t
    t = time.perf_counter()
    results["checkpoint_bytes"] = jaxsnn.save_checkpoint(work / "ckpt_1000", initial)
    timings["checkpoint"] = time.perf_counter() - t

    print("*** Continuing simulation ***")
    continued = jaxsnn.simulate(initial, T, progress=True)
    runs["Continued simulation"] = (ein, continued, T, 2 * T)

    print("*** Reloading and resuming simulation (three times: seed, same seed, other seed) ***")
    t = time.perf_counter()
    stored = jaxsnn.load(work / "ein_1000")
    timings["load_store"] = time.perf_counter() - t
    t = time.perf_counter()
    ein_r, sim_r = restore(stored, ein.seed, args.scale)
    timings["rebuild_from_store"] = time.perf_counter() - t
    runs["Reloaded simulation"] = (ein_r, jaxsnn.simulate(sim_r, T, progress=True), 0.0, T)
    ein_s, sim_s = restore(jaxsnn.load(work / "ein_1000"), ein.seed, args.scale)
    runs["Reloaded simulation (same seed)"] = (ein_s, jaxsnn.simulate(sim_s, T, progress=True), 0.0, T)
    ein_o, sim_o = restore(jaxsnn.load(work / "ein_1000"), OTHER_SEED, args.scale)
    runs["Reloaded simulation (different seed)"] = (ein_o, jaxsnn.simulate(sim_o, T, progress=True), 0.0, T)

    print("*** Resuming from the complete checkpoint ***")
    ein_c = EINetwork(scale=args.scale)
    template = ein_c.build()
    t = time.perf_counter()
    resumed = jaxsnn.load_checkpoint(work / "ckpt_1000", template)
    timings["load_checkpoint"] = time.perf_counter() - t
    runs["Resumed from complete checkpoint"] = (ein_c, jaxsnn.simulate(resumed, T, progress=True), T, 2 * T)

    events = {}
    for name, (e, sim, t0, t1) in runs.items():
        events[name], results["runs"][name] = stats(sim, e, t0, t1)
    same = lambda a, b: events[a].reset_index(drop=True).equals(events[b].reset_index(drop=True))
    w = {name: sim.connections("e_syn").weight.to_numpy() for name, (_, sim, _, _) in runs.items()}
    results["same_seed_identical"] = same("Reloaded simulation", "Reloaded simulation (same seed)") and np.array_equal(
        w["Reloaded simulation"], w["Reloaded simulation (same seed)"])
    results["other_seed_differs"] = not same("Reloaded simulation", "Reloaded simulation (different seed)")
    results["resume_equals_continuation"] = same("Continued simulation", "Resumed from complete checkpoint") and \
        np.array_equal(w["Continued simulation"], w["Resumed from complete checkpoint"]) and np.array_equal(
            runs["Continued simulation"][1].get().V_m, runs["Resumed from complete checkpoint"][1].get().V_m)
    timings["total"] = time.perf_counter() - t_start
    summary = {"seed": ein.seed, "other_seed": OTHER_SEED,
               "precision": "float64" if jax.config.jax_enable_x64 else "float32",
               "scale": args.scale, "t_sim_ms": T, "versions": versions(), "results": results,
               "timings_s": {k: round(v, 3) for k, v in timings.items()}}
    print(json.dumps(summary, indent=1))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
        plot(runs, events, w, args.out / "store_restore_network.png")
    ok = results["same_seed_identical"] and results["other_seed_differs"] and results["resume_equals_continuation"]
    tmp.cleanup()
    return 0 if ok else 1


def versions():
    """Versions of jaxsnn and of the packages its results depend on."""
    return {"jaxsnn": jaxsnn.__version__, "jax": jax.__version__, "numpy": np.__version__,
            "orbax": metadata.version("orbax-checkpoint")}


CAPTIONS = [
    ("Top left: the initial simulation from a random start; at its end V_m and weights are stored and a "
     "complete checkpoint is written."),
    ("Weight histogram: the e_syn weights at the end of each run, in the colour of that run's raster; "
     "identical runs overlay."),
    "Right, first: the continuation of the initial simulation from its full state, spikes in transit included.",
    ("Right, second: the network rebuilt from the store, where time restarts at 0 without STDP traces or "
     "spikes in transit, so it differs from the continuation."),
    "Right, third: the same rebuild with the same seed gives identical spikes, bit for bit.",
    "Right, fourth: the same rebuild with another seed gives different spikes.",
    ("Right, last: resumed from the complete checkpoint it is identical to the continuation, bit for bit "
     "(NEST's store cannot do this)."),
]


def plot(runs, events, weights, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import gridspec

    fig = plt.figure(figsize=(11, 8))
    gs = gridspec.GridSpec(5, 2, bottom=0.07, top=0.92, left=0.07, right=0.98, wspace=0.2, hspace=0.55)
    axes = [fig.add_subplot(gs[0, 0])] + [fig.add_subplot(gs[n, 1]) for n in range(5)]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    hist = fig.add_subplot(gs[1, 0])
    for k, (name, (_, _, t0, t1)) in enumerate(runs.items()):
        ev = events[name]
        ev = ev[ev.senders <= 100]
        axes[k].plot(ev.times, ev.senders, ".", ms=1.5, color=colors[k])
        axes[k].set_xlim(t0, t1)
        axes[k].set_title(name, fontsize=9)
        hist.hist(weights[name][::41], bins=np.arange(0.7, 1.4, 0.01), histtype="step", density=True,
                  color=colors[k], alpha=0.7, lw=2, ls=("-", "--")[k % 2], label=name)
    axes[0].set_ylabel("neuron id")
    axes[-1].set_xlabel("Time [ms]")
    hist.set(xlabel="Weight w [mV]", ylabel="p(w)")
    hist.legend(fontsize=6, loc="upper right", frameon=False)
    text = fig.add_subplot(gs[2:, 0])
    text.set_axis_off()
    body = "\n\n".join("\n".join(textwrap.wrap(c, 76)) for c in CAPTIONS)
    text.text(0, 1, body, transform=text.transAxes, fontsize=8, va="top", linespacing=1.3)
    fig.suptitle("Storing and reloading a network simulation")
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
