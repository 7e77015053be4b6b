"""Stored simulation programs (jaxsnn.run.programs): a warm process runs the compiled program without
tracing the simulation loop, and gets the bits it would get without the store."""
import json
import pathlib
import subprocess
import sys

import pytest

from .conftest import ROOT, cpu_devices

SCRIPT = """
import json, sys
import numpy as np
import jaxsnn
from jaxsnn.core import engine

folder, n, no_trace = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
if folder != "off":
    jaxsnn.enable_compilation_cache(folder)
if no_trace:  # a stored program must be found without tracing the loop
    def refuse(*a, **k):
        raise AssertionError("the simulation loop was traced")
    engine._steps = refuse
net = jaxsnn.Network(seed=7)
e = net.create("iaf_psc_delta", n, params={"I_e": 370.0})
pg = net.create("poisson_generator", params={"rate": 8000.0})
net.connect(pg, e, syn_spec={"weight": 1.5})
net.connect(e, e, {"rule": "fixed_indegree", "indegree": 2}, {"weight": 2.0, "delay": 1.5})
sr = net.create("spike_recorder")
net.connect(e, sr)
sim = jaxsnn.simulate(jaxsnn.simulate(net.build(devices=1), 30.0), 20.0)
ev = sim.events(sr)
print(json.dumps({"times": ev.times.tolist(), "senders": ev.senders.tolist(),
                  "V_m": sim.get().V_m.tolist()}))
"""


def run(folder, n=5, no_trace=False):
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(folder), str(n), "1" if no_trace else "0"],
                       capture_output=True, text=True, env=cpu_devices(1, PYTHONPATH=str(ROOT)), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def stored(folder):
    return sorted(p.name for p in (pathlib.Path(folder) / "jaxsnn-programs").glob("*.pkl"))


@pytest.mark.slow
def test_a_stored_program_runs_untraced_with_the_same_bits(tmp_path):
    plain = run("off")
    assert len(plain["times"]) > 10  # the network spikes
    first = run(tmp_path)  # compiles and stores
    assert len(stored(tmp_path)) == 1
    second = run(tmp_path, no_trace=True)  # loads: the loop is never traced
    assert first == plain and second == plain
    assert len(stored(tmp_path)) == 1
    other = run(tmp_path, n=6)  # another shape: another program
    assert len(stored(tmp_path)) == 2 and len(other["V_m"]) == 6


@pytest.mark.slow
def test_a_damaged_program_is_compiled_again(tmp_path):
    plain = run(tmp_path)
    [name] = stored(tmp_path)
    path = tmp_path / "jaxsnn-programs" / name
    path.write_bytes(path.read_bytes()[:1000])
    assert run(tmp_path) == plain
    assert path.stat().st_size > 1000  # rewritten whole
    assert run(tmp_path, no_trace=True) == plain


class Foreign:
    """Static data defined outside jaxsnn: its module's source belongs in the key."""

    def __repr__(self):
        return "Foreign()"


def test_the_key_covers_code_outside_jaxsnn():
    import jax

    from jaxsnn.run import programs

    plain = jax.tree_util.tree_structure(({"x": 1}, (2, 3)))
    foreign = jax.tree_util.tree_structure(({"x": 1}, jax.tree_util.Partial(Foreign.__repr__)))
    assert programs._static_sources(plain).splitlines()[0].startswith("jaxsnn:")
    assert len(programs._static_sources(plain).splitlines()) == 1
    assert any(line.startswith(f"{__name__}:") for line in programs._static_sources(foreign).splitlines())
