"""Construction time and memory of large networks, jaxsnn against NEST 3.10, phase by phase.

    python benchmarks/construction.py [--network brunel|microcircuit] [--scale 1.0] [--devices D]
                                      [--threads 2] [--no-nest] [--t-sim 10] [--runs 1] [--before DIR]
                                      [--json FILE]

Networks: ``brunel``, the network of NEST's ``brunel_delta_nest.py`` example (10,000 E + 2,500 I
``iaf_psc_delta`` neurons, fixed in-degrees 1,000 and 250, J = 0.1 mV, g = 5, all delays 1.5 ms, one
poisson_generator at η = 2; 15.6 M synapses at ``--scale 1``, which scales the neuron numbers, not the
in-degrees), or ``microcircuit``, the Potjans–Diesmann model of ``microcircuit.py`` (``--scale``: neurons and
in-degrees). Each simulator runs in a fresh process (NEST with ``--threads`` threads, jaxsnn split over
``--devices`` CPU devices) and times its phases: create, connect, and for jaxsnn the lowering (host CSR
and device arrays, and on several devices each device's part: ``net.build()``), the XLA compilation and the
first step; for NEST the first ``Simulate`` of one step (where NEST builds its connection tables). Then
``--t-sim`` ms of simulation. Reported: seconds per phase, peak memory (the kernel's account of the whole
process), the resident memory after each phase, and for jaxsnn where the bytes per synapse are held (host
and device). ``--runs N``: N fresh processes per simulator, alternating, and their medians; ``--before DIR``:
the jaxsnn of another checkout (e.g. the code before a change) measured in the same run, alternating too.
``--cache DIR [--warm]``: jaxsnn with its persistent compilation cache in DIR (``--warm``: filled by one
unmeasured process first), the construction a user sees from the second run of a script on.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _measure import median, run_child, self_peak_rss_mib, set_cpu_devices, table  # noqa: E402

BRUNEL = dict(NE=10000, NI=2500, CE=1000, CI=250, J=0.1, g=5.0, eta=2.0, delay=1.5, theta=20.0, tau_m=20.0)
BRUNEL_NEURON = {"C_m": 1.0, "tau_m": 20.0, "t_ref": 2.0, "E_L": 0.0, "V_reset": 10.0, "V_m": 0.0, "V_th": 20.0}


def rss_mib():
    """Resident memory of this process now (MiB)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def brunel_sizes(scale):
    b = BRUNEL
    NE, NI = int(round(b["NE"] * scale)), int(round(b["NI"] * scale))
    nu_th = b["theta"] / (b["J"] * b["CE"] * b["tau_m"])
    return NE, NI, b["eta"] * nu_th * 1000.0 * b["CE"]


class Phases:
    """Seconds, resident and peak memory at the end of each phase, and XLA compile seconds within it."""

    def __init__(self):
        self.rows, self.t, self.compile = [], time.perf_counter(), 0.0
        self.c0 = 0.0

    def listen(self, ev, d, **kw):
        if ev.endswith("backend_compile_duration"):
            self.compile += d

    def done(self, name):
        now = time.perf_counter()
        self.rows.append({"phase": name, "s": now - self.t, "xla_compile_s": self.compile - self.c0,
                          "rss_mib": rss_mib(), "peak_mib": self_peak_rss_mib()})
        self.t, self.c0 = time.perf_counter(), self.compile


def jaxsnn_child(a):
    set_cpu_devices(a.devices)
    import jax

    import jaxsnn

    if a.cache:
        jaxsnn.enable_compilation_cache(a.cache)

    ph = Phases()
    jax.monitoring.register_event_duration_secs_listener(ph.listen)
    ph.done("import")
    if a.network == "brunel":
        b = BRUNEL
        NE, NI, rate = brunel_sizes(a.scale)
        net = jaxsnn.Network(resolution=0.1, seed=a.seed)
        E = net.create("iaf_psc_delta", NE, params=BRUNEL_NEURON)
        I = net.create("iaf_psc_delta", NI, params=BRUNEL_NEURON)
        pg = net.create("poisson_generator", params={"rate": rate})
        sr = net.create("spike_recorder")
        ph.done("create")
        net.connect(pg, E + I, "all_to_all", {"weight": b["J"], "delay": b["delay"]})
        net.connect(E, E + I, {"rule": "fixed_indegree", "indegree": b["CE"]}, {"weight": b["J"], "delay": b["delay"]})
        net.connect(I, E + I, {"rule": "fixed_indegree", "indegree": b["CI"]},
                    {"weight": -b["g"] * b["J"], "delay": b["delay"]})
        net.connect(E[:50], sr)
        ph.done("connect")
    else:
        import microcircuit

        m = microcircuit.model(a.scale)
        net, pops, srs, tm = microcircuit.build_jaxsnn(m, a.seed)
        ph.rows.append({"phase": "create", "s": tm["create_s"]})
        ph.done("connect")
        ph.rows[-1]["s"] -= tm["create_s"]
    sim = net.build(devices=a.devices)
    # (not sim.model: a split network's records would be assembled on the host to be waited for)
    jax.block_until_ready((sim.model.synapses.out_ptr, sim.params, sim.state))
    if sim._plan:
        jax.block_until_ready(sim._plan[-1].model)
    ph.done("lower (host CSR, device arrays, split)")
    sim = jaxsnn.simulate(sim, 0.1)
    jax.block_until_ready(sim.state)
    ph.done("first step (XLA compile)")
    sim = jaxsnn.simulate(sim, a.t_sim)
    jax.block_until_ready(sim.state)
    ph.done(f"simulate {a.t_sim:g} ms")
    M = int(sim.model.synapses.n_synapses)
    out = {"phases": ph.rows, "synapses": M, "neurons": int(sim.spec.sizes.n_neurons),
           "bytes_per_synapse": where_bytes(net, sim, M)}
    print(json.dumps(out))


def nbytes(tree):
    """Bytes of the arrays in ``tree``; a split network's records (held as the devices' parts, counted there)
    are not assembled on the host to be counted: that would add their size to the peak being measured."""
    import jax
    import numpy as np

    from jaxsnn.run.sharding import SplitRecords

    leaves = jax.tree_util.tree_leaves(tree, is_leaf=lambda x: isinstance(x, SplitRecords))
    return sum(x.nbytes for x in leaves if isinstance(x, (np.ndarray, jax.Array)))


def where_bytes(net, sim, M):
    """Bytes per synapse held by each part after the first run (host: numpy; device: jax arrays)."""
    import jax
    import numpy as np

    conns = [c for c in net._conns if len(c.source)]
    held = lambda a: a.itemsize if a.ndim == 1 and len(a) > 1 and a.strides[0] == 0 else a.nbytes  # views of one
    host_desc = sum(held(a) for c in conns for a in (c.source, c.target, c.weight, c.delay)
                    + tuple(v for v in c.extra.values() if isinstance(v, np.ndarray)))
    layout = sum(held(v) for v in vars(sim.layout).values() if isinstance(v, np.ndarray)) + sum(
        v.nbytes for v in sim.layout.device_connections.values())
    plan = sim._plan[-1] if sim._plan else None
    plan_host = sum(v.nbytes for v in vars(plan).values() if isinstance(v, np.ndarray)) if plan else 0
    buffers = {s.data.unsafe_buffer_pointer(): s.data.nbytes for x in jax.live_arrays() for s in x.addressable_shards}
    live = sum(buffers.values())  # (arrays may share a buffer)
    per = lambda b: round(b / max(M, 1), 2)
    return {"description (host)": per(host_desc), "layout (host)": per(layout), "split: owner (host)": per(plan_host),
            "model (device)": per(nbytes(sim.model)), "params (device)": per(nbytes(sim.params)),
            "state (device)": per(nbytes(sim.state)), "split: parts (device)": per(
                nbytes((plan.model, plan.params)) if plan else 0), "all live jax arrays": per(live)}


def nest_child(a):
    import nest

    ph = Phases()
    ph.done("import")
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.local_num_threads = a.threads
    nest.resolution = 0.1
    nest.rng_seed = a.seed
    ph.t = time.perf_counter()
    if a.network == "brunel":
        b = BRUNEL
        NE, NI, rate = brunel_sizes(a.scale)
        E = nest.Create("iaf_psc_delta", NE, params=BRUNEL_NEURON)
        I = nest.Create("iaf_psc_delta", NI, params=BRUNEL_NEURON)
        pg = nest.Create("poisson_generator", params={"rate": rate})
        sr = nest.Create("spike_recorder")
        ph.done("create")
        nest.CopyModel("static_synapse", "excitatory", {"weight": b["J"], "delay": b["delay"]})
        nest.CopyModel("static_synapse", "inhibitory", {"weight": -b["g"] * b["J"], "delay": b["delay"]})
        nest.Connect(pg, E + I, syn_spec="excitatory")
        nest.Connect(E, E + I, {"rule": "fixed_indegree", "indegree": b["CE"]}, "excitatory")
        nest.Connect(I, E + I, {"rule": "fixed_indegree", "indegree": b["CI"]}, "inhibitory")
        nest.Connect(E[:50], sr)
        ph.done("connect")
    else:
        import microcircuit

        m = microcircuit.model(a.scale)
        pops, srs, tm = microcircuit.build_nest(nest, m, a.seed, a.threads)
        ph.rows.append({"phase": "create", "s": tm["create_s"]})
        ph.done("connect")
        ph.rows[-1]["s"] -= tm["create_s"]
    nest.Simulate(0.1)
    ph.done("first step (connection tables)")
    nest.Simulate(a.t_sim)
    ph.done(f"simulate {a.t_sim:g} ms")
    print(json.dumps({"phases": ph.rows, "synapses": int(nest.num_connections)}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", choices=("brunel", "microcircuit"), default="brunel")
    ap.add_argument("--scale", type=float, default=None, help="default: 1 for brunel, 0.1 for microcircuit")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--devices", type=int, default=os.cpu_count())
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--t-sim", type=float, default=10.0)
    ap.add_argument("--no-nest", action="store_true")
    ap.add_argument("--nest", help="a python that can import nest")
    ap.add_argument("--runs", type=int, default=1, help="fresh processes per simulator (alternating); medians")
    ap.add_argument("--before", help="another jaxsnn checkout (its root directory) measured in the same run")
    ap.add_argument("--cache", help="jaxsnn's persistent compilation cache in this directory (jaxsnn.enable_"
                    "compilation_cache): the programs compiled by the first process are read by the next ones")
    ap.add_argument("--warm", action="store_true", help="with --cache: one jaxsnn process before the measured "
                    "ones fills the cache (a user's second run of a script)")
    ap.add_argument("--child", choices=("jaxsnn", "nest"), help=argparse.SUPPRESS)
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.scale is None:
        a.scale = 1.0 if a.network == "brunel" else 0.1
    if a.child:
        return (jaxsnn_child if a.child == "jaxsnn" else nest_child)(a)
    import microcircuit

    common = ["--network", a.network, "--scale", str(a.scale), "--seed", str(a.seed), "--t-sim", str(a.t_sim)]
    mine = [sys.executable, __file__, "--child", "jaxsnn", "--devices", str(a.devices)] + common
    if a.cache:
        mine += ["--cache", os.path.abspath(a.cache)]
    runs = {"jaxsnn": (mine, os.path.dirname(HERE))}
    if a.before:  # the same script's child, importing jaxsnn from the other checkout
        runs["jaxsnn before"] = (mine, os.path.abspath(a.before))
    nest = None if a.no_nest else microcircuit.nest_python(a.nest)
    if nest:
        runs["NEST"] = ([nest, __file__, "--child", "nest", "--threads", str(a.threads)] + common, None)
    every = {name: [] for name in runs}
    if a.cache and a.warm:  # each jaxsnn once, unmeasured, to fill the cache
        for name, (argv, path) in runs.items():
            if name != "NEST":
                run_child(argv, env={"PYTHONPATH": path} if path else None)
    for _ in range(a.runs):  # fresh processes, the simulators alternating
        for name, (argv, path) in runs.items():
            r = run_child(argv, env={"PYTHONPATH": path} if path else None)
            built = [p for p in r["phases"] if p["phase"] != "import" and not p["phase"].startswith("simulate")]
            r["construction_s"] = sum(p["s"] for p in built)
            every[name].append(r)
    results = {}
    for name, rs in every.items():
        # the run of median construction time, with the medians and every run's numbers
        r = sorted(rs, key=lambda r: r["construction_s"])[(len(rs) - 1) // 2]
        r.update(construction_s_runs=[x["construction_s"] for x in rs],
                 phase_s_runs={p["phase"]: [next(q["s"] for q in x["phases"] if q["phase"] == p["phase"]) for x in rs]
                               for p in r["phases"]},
                 peak_mib_runs=[x["child_peak_rss_mib"] for x in rs],
                 construction_s_median=median([x["construction_s"] for x in rs]),
                 peak_mib_median=median([x["child_peak_rss_mib"] for x in rs]))
        results[name] = r
        print(f"{name} ({r['synapses']} synapses; the run of median construction time of {len(rs)}):")
        print(table(r["phases"], ["phase", "s", "xla_compile_s", "rss_mib", "peak_mib"]))
        print("each run's phases (s): " + "; ".join(f"{k} {', '.join(f'{v:.2f}' for v in vs)}"
                                                     for k, vs in r["phase_s_runs"].items() if k != "import"))
        print(f"construction (create to first step): median {r['construction_s_median']:.2f} s "
              f"(runs {', '.join(f'{x:.2f}' for x in r['construction_s_runs'])}); peak median "
              f"{r['peak_mib_median']:.0f} MiB (runs {', '.join(f'{x:.0f}' for x in r['peak_mib_runs'])})\n")
    if "bytes_per_synapse" in results["jaxsnn"]:
        print("jaxsnn bytes per synapse:")
        for k, v in results["jaxsnn"]["bytes_per_synapse"].items():
            print(f"  {k:32s} {v:8.2f}")
    for name in [n for n in results if n != "NEST"]:
        if "NEST" in results:
            c, m = (results[name][k] / results["NEST"][k] for k in ("construction_s_median", "peak_mib_median"))
            print(f"{name} / NEST (medians): construction {c:.2f}, peak memory {m:.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"args": vars(a), "results": results, "cpus": os.cpu_count()}, f, indent=1)


if __name__ == "__main__":
    main()
