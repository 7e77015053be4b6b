"""Past one process: a network split over the devices of two processes (``jax.distributed`` on localhost,
CPU, gloo) gives one process's bits, and checkpoints cross process counts in both directions."""
import os
import signal
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from .conftest import ROOT, cpu_devices

# Run by every process: python -c SCRIPT <role> <process id> <processes> <port> <folder>
SCRIPT = textwrap.dedent("""
    import sys
    import jax
    role, pid, nproc, port, folder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    if nproc > 1:
        jax.distributed.initialize(f"127.0.0.1:{port}", nproc, pid, initialization_timeout=60)
    import numpy as np
    import jaxsnn

    net = jaxsnn.Network(seed=5)
    wr = net.create("weight_recorder")
    net.copy_model("stdp_synapse_hom", "e_syn", {"Wmax": 4.0, "lambda": 0.05, "weight_recorder": wr})
    e = net.create("iaf_psc_delta", 31, params={"V_m": jaxsnn.random.normal(-65.0, 5.0)})
    i = net.create("iaf_psc_delta", 8, params={"V_m": jaxsnn.random.normal(-65.0, 5.0)})
    pg = net.create("poisson_generator", params={"rate": 12000.0})
    sg = net.create("spike_generator", params={"spike_times": [5.0, 7.3], "spike_weights": [30.0, 30.0]})
    sr, mm = net.create("spike_recorder"), net.create("multimeter", params={"interval": 0.5})
    net.connect(e, e + i, {"rule": "fixed_indegree", "indegree": 6},
                {"synapse_model": "e_syn", "weight": 2.0, "delay": jaxsnn.random.uniform(1.0, 6.0)})
    net.connect(i, e + i, {"rule": "fixed_indegree", "indegree": 3}, {"weight": -6.0, "delay": 1.5})
    net.connect(pg, e + i, syn_spec={"weight": 1.0})
    net.connect(sg, e[25:] + i[-2:], syn_spec={"weight": 1.0, "delay": 2.0})
    net.connect(e + i, sr)
    net.connect(mm, e[:2] + e[29:31] + i[-2:])  # neurons of both processes

    def dump(sim, name):
        out = {f"{k}/{c}": np.asarray(v) for k, r in (("sr", sr), ("mm", mm), ("wr", wr))
               for c, v in sim.events(r).items()}
        out["V_m"] = sim.get().V_m.to_numpy()
        out["weight"] = sim.connections().weight.to_numpy()
        out["x64"] = np.array(jax.config.jax_enable_x64)  # jaxsnn then builds in float64
        np.savez(f"{folder}/{name}.npz", **out)

    half = 15.0
    sim = jaxsnn.simulate(net.build(), half)
    assert len(jax.devices()) == nproc and (nproc == 1 or len(sim._plan[-1].devices) == nproc)
    jaxsnn.save_checkpoint(f"{folder}/{role}.ckpt", sim)  # every process calls it: one checkpoint
    dump(jaxsnn.simulate(sim, half), f"{role}-{pid}")
    other = {"one": None, "two": "one.ckpt", "back": "two.ckpt"}[role]
    if other:
        dump(jaxsnn.simulate(jaxsnn.load_checkpoint(f"{folder}/{other}", net.build()), half), f"{role}-from-{pid}")
    if role == "two":  # a series of checkpoints written by every process, resumed by one
        run = jaxsnn.simulate_with_checkpoints(net.build(), 2 * half, f"{folder}/series", every=half)
        dump(run, f"two-series-{pid}")
    if role == "back":
        resumed = jaxsnn.resume(f"{folder}/series", net.build())
        assert resumed.time == 2 * half
        dump(resumed, f"back-resumed-{pid}")
    if nproc > 1:  # each process its own neurons' events, and keeps no others' spikes
        own = jaxsnn.simulate(net.build(gather=False), 2 * half)
        from jaxsnn.run.frames import node_ids
        kept = own.records[int(node_ids(sr)[0])]
        assert sum(len(c["senders"]) for c in kept) == len(own.events(sr))
        dump(own, f"{role}-own-{pid}")
    print("ok", flush=True)
""")


# A NEST-style script, the same for every process (NEST's MPI scripts ask Rank() and NumProcesses())
PYNEST = textwrap.dedent("""
    import sys
    import jax
    role, pid, nproc, port, folder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    if nproc > 1:
        jax.distributed.initialize(f"127.0.0.1:{port}", nproc, pid, initialization_timeout=60)
    import numpy as np
    import jaxsnn.nest as nest

    assert (nest.Rank(), nest.NumProcesses()) == (pid, nproc)
    assert nest.GetKernelStatus("mpi_rank") == pid and nest.GetKernelStatus("num_processes") == nproc
    nest.ResetKernel()
    nest.rng_seed = 12
    e = nest.Create("iaf_psc_alpha", 24, params={"V_m": nest.random.uniform(-70.0, -55.0)})
    pg = nest.Create("poisson_generator", params={"rate": 9000.0})
    sr, vm = nest.Create("spike_recorder"), nest.Create("voltmeter")
    nest.Connect(e, e, {"rule": "fixed_indegree", "indegree": 4}, {"weight": 30.0, "delay": 1.5})
    nest.Connect(pg, e, syn_spec={"weight": 20.0})
    nest.Connect(e, sr)
    nest.Connect(vm, e[:2] + e[-2:])
    nest.Simulate(20.0)
    nest.Simulate(10.0)
    from jaxsnn.nest import KERNEL
    assert nproc == 1 or len(KERNEL.sim._plan[-1].devices) == nproc  # split over the processes
    ev, vv = sr.get("events"), vm.get("events")
    np.savez(f"{folder}/{role}-{pid}.npz", senders=ev["senders"], times=ev["times"], vm_senders=vv["senders"],
             vm_times=vv["times"], V_m=vv["V_m"], final=np.asarray(e.get("V_m")))
    print("ok", flush=True)
""")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_processes(role, n, folder, timeout=300, script=SCRIPT, x64=False):
    """Run ``script`` as ``n`` processes of one jax.distributed run; fail with their output unless all end well."""
    port = str(free_port())
    env = cpu_devices(1, PYTHONPATH=str(ROOT), JAX_ENABLE_X64=str(x64))
    procs = [subprocess.Popen([sys.executable, "-c", script, role, str(p), str(n), port, str(folder)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
             for p in range(n)]
    outputs, late = [], False
    for p in procs:
        try:
            outputs.append(p.communicate(timeout=timeout)[0])
        except subprocess.TimeoutExpired:  # JAX's distributed runtime catches SIGTERM: kill
            late = True
            for q in procs:
                if q.poll() is None:
                    os.killpg(q.pid, signal.SIGKILL)
            outputs.append(p.communicate()[0])
    report = "\n".join(f"--- process {i} of {role!r} (exit {p.returncode}):\n{o[-3000:]}"
                       for i, (p, o) in enumerate(zip(procs, outputs)))
    assert not late, f"timed out after {timeout} s\n{report}"
    assert all(p.returncode == 0 and o.rstrip().endswith("ok") for p, o in zip(procs, outputs)), report


def load(folder, name):
    with np.load(folder / f"{name}.npz") as f:
        return dict(f)


def assert_same(a, b, what):
    assert a.keys() == b.keys(), what
    for k in a:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), f"{what}: {k} differs"


@pytest.mark.slow  # 1-2 min: four processes each compile the network
@pytest.mark.parametrize("x64", [False, True])
def test_two_processes_give_one_process_bits_and_checkpoints_cross(tmp_path, x64):
    run_processes("one", 1, tmp_path, x64=x64)  # the reference, and a checkpoint written by one process
    run_processes("two", 2, tmp_path, x64=x64)  # the same split over 2 processes; one checkpoint; loads one's
    run_processes("back", 1, tmp_path, x64=x64)  # loads the checkpoint of two processes
    one = load(tmp_path, "one-0")
    assert one["x64"] == x64
    assert len(one["sr/times"]) > 200 and len(one["wr/times"]) > 50 and len(one["mm/times"]) == 6 * 60
    assert sorted(os.listdir(tmp_path / "series")) == [".lock", "150", "300"]
    for name in ("two-0", "two-1", "two-from-0", "two-from-1", "back-from-0", "two-series-0", "two-series-1",
                 "back-resumed-0"):
        assert_same(one, load(tmp_path, name), name)
    # gather=False: each process has its own neurons' events (neurons 1-20, node ids 2-21, are process 0's); together all
    own = [load(tmp_path, f"two-own-{p}") for p in (0, 1)]
    for rec, key in (("sr", "senders"), ("mm", "senders"), ("wr", "targets")):
        mine = [o[f"{rec}/{key}"] <= 21 for o in own]
        assert mine[0].all() and not mine[1].any() and len(own[0][f"{rec}/times"]) and len(own[1][f"{rec}/times"])
        for c in [k for k in one if k.startswith(rec + "/")]:
            together = np.concatenate([own[0][c], own[1][c]])
            assert np.array_equal(np.sort(together), np.sort(one[c])), c
    assert_same({k: v for k, v in one.items() if "/" not in k}, {k: v for k, v in own[0].items() if "/" not in k},
                "state under gather=False")


@pytest.mark.slow  # about 40 s: three processes each compile the network
def test_a_pynest_script_runs_under_two_processes_as_under_one(tmp_path):
    run_processes("one", 1, tmp_path, script=PYNEST)
    run_processes("two", 2, tmp_path, script=PYNEST)
    one = load(tmp_path, "one-0")
    # 4 neurons sampled at 1 … 29 ms: as NEST's, the voltmeter shows a run's last min_delay (1 ms) at the next Simulate
    assert len(one["times"]) > 50 and len(one["vm_times"]) == 4 * 29
    for p in (0, 1):
        assert_same(one, load(tmp_path, f"two-{p}"), f"process {p}")
