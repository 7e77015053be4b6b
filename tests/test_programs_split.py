"""Stored programs of networks split over devices (jaxsnn.run.programs, jaxsnn.run.sharding): a warm
process finds its split program without tracing, with the bits of an unsplit run; the key holds the
program's devices and shardings, so a process with another device count or another placement of the
same shapes never loads a program made for a different one."""
import json
import pathlib
import subprocess
import sys

import pytest

from .conftest import ROOT, cpu_devices

NETWORK = """
import json, sys
import numpy as np
import jax
import jaxsnn
from jaxsnn.core import engine

folder, devices, no_trace, api = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
if no_trace:  # a stored program must be found without tracing the loop
    def refuse(*a, **k):
        raise AssertionError("the simulation loop was traced")
    engine._steps = refuse
if api == "nest":  # PyNEST's way: 1,000 neurons and more are split over every device
    import jaxsnn.nest as nest
    if folder == "off":
        jaxsnn.disable_compilation_cache()
    else:
        jaxsnn.enable_compilation_cache(folder)
    nest.ResetKernel()
    nest.rng_seed = 7
    e = nest.Create("iaf_psc_delta", 1000, params={"I_e": 370.0})
    pg = nest.Create("poisson_generator", params={"rate": 8000.0})
    nest.Connect(pg, e, syn_spec={"weight": 1.5})
    nest.Connect(e, e, {"rule": "fixed_indegree", "indegree": 2}, {"weight": 2.0, "delay": 1.5})
    sr = nest.Create("spike_recorder")
    nest.Connect(e, sr)
    nest.Simulate(20.0)
    nest.Simulate(10.0)
    ev = sr.events
    split = len(nest.kernel.KERNEL.sim._plan[-1].devices) if nest.kernel.KERNEL.sim._plan else 1
    out = {"times": ev["times"].tolist(), "senders": ev["senders"].tolist(), "V_m": list(e.V_m)}
else:
    if folder != "off":
        jaxsnn.enable_compilation_cache(folder)
    net = jaxsnn.Network(seed=7)
    e = net.create("iaf_psc_delta", 40, params={"I_e": 370.0})
    pg = net.create("poisson_generator", params={"rate": 8000.0})
    net.connect(pg, e, syn_spec={"weight": 1.5})
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": 2}, {"weight": 2.0, "delay": 1.5})
    sr = net.create("spike_recorder")
    net.connect(e, sr)
    sim = jaxsnn.simulate(net.build(devices=devices), 20.0)
    split = len(sim._plan[-1].devices) if sim._plan else 1
    sim = jaxsnn.simulate(sim, 10.0)
    ev = sim.events(sr)
    out = {"times": ev.times.tolist(), "senders": ev.senders.tolist(), "V_m": sim.get().V_m.tolist()}
print(json.dumps({**out, "split": split}))
"""


def run(folder, host, devices=0, no_trace=False, api="functional"):
    """The network in a fresh process with ``host`` CPU devices, split over ``devices``."""
    r = subprocess.run([sys.executable, "-c", NETWORK, str(folder), str(devices), "1" if no_trace else "0", api],
                       capture_output=True, text=True, env=cpu_devices(host, PYTHONPATH=str(ROOT)), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def stored(folder, prefix=""):
    return sorted(p.name for p in (pathlib.Path(folder) / "jaxsnn-programs").glob(f"{prefix}*.pkl"))


def same(a, b):
    return {k: v for k, v in a.items() if k != "split"} == {k: v for k, v in b.items() if k != "split"}


@pytest.mark.slow
def test_a_split_network_finds_its_stored_program_untraced_with_one_devices_bits(tmp_path):
    plain = run("off", host=1, devices=1)
    assert len(plain["times"]) > 10 and plain["split"] == 1  # the network spikes
    first = run(tmp_path, host=2, devices=2)  # compiles and stores the split program
    assert first["split"] == 2 and same(first, plain)
    assert len(stored(tmp_path, "split_")) == 1
    second = run(tmp_path, host=2, devices=2, no_trace=True)  # loads it: the loop is never traced
    assert same(second, plain) and len(stored(tmp_path, "split_")) == 1
    # one device of a process with two: its own program, stored and found untraced too
    one = run(tmp_path, host=2, devices=1)
    assert same(one, plain) and len(stored(tmp_path)) == 2
    assert same(run(tmp_path, host=2, devices=1, no_trace=True), plain)
    # the same split in a process with another device count: a miss (a program of its own), never a load
    other = run(tmp_path, host=3, devices=2)
    assert other["split"] == 2 and same(other, plain) and len(stored(tmp_path, "split_")) == 2


@pytest.mark.slow
def test_a_pynest_script_finds_its_split_program_untraced(tmp_path):
    first = run(tmp_path, host=2, api="nest")
    assert first["split"] == 2 and len(first["times"]) > 100
    programs = stored(tmp_path, "split_")  # (two: the slice's spike list grows during the first run)
    assert programs
    second = run(tmp_path, host=2, no_trace=True, api="nest")  # each found untraced
    assert second == first and stored(tmp_path, "split_") == programs
    assert same(run("off", host=1, api="nest"), first)  # one device's bits


PLACEMENTS = """
import json, sys
import numpy as np
import jax
import jax.numpy as jnp
import jaxsnn
from jaxsnn.core import engine
from jaxsnn.run import programs

jaxsnn.enable_compilation_cache(sys.argv[1])
traced = []
P = jax.sharding.PartitionSpec

def program(x):
    traced.append(1)
    return x * 2.0 + jnp.arange(x.shape[0], dtype=x.dtype)

def exchange(x):  # each device adds the other's first value
    traced.append(1)
    return x + jax.lax.psum(x[:1], "n") - x[:1]

def placements():
    out = {}
    for order in ((0, 1), (1, 0)):  # one mesh per device order: the same shapes, other programs
        devices = [jax.devices()[i] for i in order]
        mesh = jax.sharding.Mesh(np.array(devices), ("n",))
        where = jax.sharding.NamedSharding(mesh, P("n"))
        x = jax.device_put(jnp.arange(6.0), where)
        split = engine.jit(jax.shard_map(exchange, mesh=mesh, in_specs=P("n"), out_specs=P("n")), out_shardings=where)
        out[f"split {order}"] = np.asarray(programs.call(split, "split_exchange", x)).tolist()
        out[f"whole {order}"] = np.asarray(programs.call(engine.jit(program), "whole", x)).tolist()
        # the jit's own output sharding holds for the stored program (JAX alone would replicate the sum)
        spread = engine.jit(lambda x: jnp.zeros(4) + x.sum(), out_shardings=where)
        y = programs.call(spread, "spread", x)
        out[f"spread {order}"] = [list(y.sharding.spec), np.asarray(y).tolist()]
        if order == (0, 1):  # the same devices, another sharding: every device holds all of x
            x = jax.device_put(jnp.arange(6.0), jax.sharding.NamedSharding(mesh, P()))
            out["replicated"] = np.asarray(programs.call(engine.jit(program), "whole", x)).tolist()
    x = jax.device_put(jnp.arange(6.0), jax.devices()[1])  # one device: the second
    out["device 1"] = np.asarray(programs.call(engine.jit(program), "whole", x)).tolist()
    return out

first = placements()
compiled = len(traced)
programs._memo.clear()  # this process's programs forgotten: each is read from its file
second = placements()
print(json.dumps({"first": first, "second": second, "compiled": compiled, "traced": len(traced)}))
"""


def test_the_key_holds_the_devices_and_shardings(tmp_path):
    """Programs of the same function and shapes on other devices or shardings are stored apart, and each
    is read back for its own placement (dropping the shardings or the devices from the key fails here); a
    stored program keeps its jit's output shardings."""
    r = subprocess.run([sys.executable, "-c", PLACEMENTS, str(tmp_path)], capture_output=True, text=True,
                       env=cpu_devices(2, PYTHONPATH=str(ROOT)), timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    first = got["first"]
    assert first["split (0, 1)"] == first["split (1, 0)"] == [3.0, 4.0, 5.0, 3.0, 4.0, 5.0]
    for k in ("whole (0, 1)", "whole (1, 0)", "replicated", "device 1"):
        assert first[k] == [3.0 * v for v in x]
    assert first["spread (0, 1)"] == first["spread (1, 0)"] == [["n"], [15.0] * 4]
    assert len(stored(tmp_path)) == 8
    assert got["second"] == first and got["traced"] == got["compiled"]  # every program read back, none traced
