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

Writes ``DIR/store_restore_network.png`` and ``DIR/summary.json`` with ``--out``.
"""
import argparse
import json
import pathlib
import tempfile
import textwrap
import time

import numpy as np

import jaxsnn
from jaxsnn.ei_network import EINetwork

OTHER_SEED = 987654321


def stats(sim, ein, t0, t1):
    ev = sim.events(ein.sr)
    ev = ev[(ev.times > t0) & (ev.times <= t1)]
    w = sim.connections("e_syn").weight.to_numpy()
    return ev, {"spikes": int(len(ev)), "rate_E": len(ev) / ein.nE / ((t1 - t0) / 1000),
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
    work = pathlib.Path(tempfile.mkdtemp(prefix="jaxsnn_store_restore_"))
    runs, summary = {}, {"runs": {}}

    print("*** Initial simulation ***")
    ein = EINetwork(scale=args.scale)
    initial = jaxsnn.simulate(ein.build(), T, progress=True)
    runs["Initial simulation"] = (ein, initial, 0.0, T)

    print("*** Storing simulation ***")
    t = time.perf_counter()
    summary["store_bytes"] = jaxsnn.store(work / "ein_1000", initial, {"e": ein.e_neurons, "i": ein.i_neurons},
                                          ("e_syn", "i_syn"))
    summary["store_s"] = time.perf_counter() - t
    t = time.perf_counter()
    summary["checkpoint_bytes"] = jaxsnn.save_checkpoint(work / "ckpt_1000", initial)
    summary["checkpoint_s"] = time.perf_counter() - t

    print("*** Continuing simulation ***")
    continued = jaxsnn.simulate(initial, T, progress=True)
    runs["Continued simulation"] = (ein, continued, T, 2 * T)

    print("*** Reloading and resuming simulation (three times: seed, same seed, other seed) ***")
    t = time.perf_counter()
    stored = jaxsnn.load(work / "ein_1000")
    summary["restore_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ein_r, sim_r = restore(stored, ein.seed, args.scale)
    summary["rebuild_s"] = time.perf_counter() - t
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
    summary["checkpoint_restore_s"] = time.perf_counter() - t
    runs["Resumed from complete checkpoint"] = (ein_c, jaxsnn.simulate(resumed, T, progress=True), T, 2 * T)

    events = {}
    for name, (e, sim, t0, t1) in runs.items():
        events[name], summary["runs"][name] = stats(sim, e, t0, t1)
    same = lambda a, b: events[a].reset_index(drop=True).equals(events[b].reset_index(drop=True))
    w = {name: sim.connections("e_syn").weight.to_numpy() for name, (_, sim, _, _) in runs.items()}
    summary["same_seed_identical"] = same("Reloaded simulation", "Reloaded simulation (same seed)") and np.array_equal(
        w["Reloaded simulation"], w["Reloaded simulation (same seed)"])
    summary["other_seed_differs"] = not same("Reloaded simulation", "Reloaded simulation (different seed)")
    summary["resume_equals_continuation"] = same("Continued simulation", "Resumed from complete checkpoint") and \
        np.array_equal(w["Continued simulation"], w["Resumed from complete checkpoint"]) and np.array_equal(
            runs["Continued simulation"][1].get().V_m, runs["Resumed from complete checkpoint"][1].get().V_m)
    print(json.dumps(summary, indent=1))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
        plot(runs, events, w, args.out / "store_restore_network.png")
    ok = summary["same_seed_identical"] and summary["other_seed_differs"] and summary["resume_equals_continuation"]
    return 0 if ok else 1


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
                  color=colors[k], alpha=0.7, lw=2, label=name)
    axes[0].set_ylabel("neuron id")
    axes[-1].set_xlabel("Time [ms]")
    hist.set(xlabel="Weight w [mV]", ylabel="p(w)")
    text = fig.add_subplot(gs[2:, 0])
    text.set_axis_off()
    text.text(0, 1, textwrap.dedent("""\
        Storing, loading and continuing a simulation of a balanced E-I network
        with STDP in excitatory synapses (jaxsnn).

        Top left: initial simulation for 1000 ms. Network state (V_m per
        population, connections with delays, synaptic weights) is stored at the
        end, and a complete checkpoint is written.

        Right, from the top: the continuation (t = 1000-2000 ms) from the full
        state, spikes in transit included; the network rebuilt from the store
        (time restarts at 0; STDP traces and spikes in transit are not stored,
        so dynamics differ from the continuation); the same with the same seed:
        identical spikes; with another seed: different spikes; resumed from the
        complete checkpoint: identical to the continuation, bit for bit (what
        NEST cannot do).

        Above: e_syn weights at the end of each run (every 41st synapse);
        identical runs overlay."""), transform=text.transAxes, fontsize=8, va="top")
    fig.suptitle("Storing and reloading a network simulation")
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
