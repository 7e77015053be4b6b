"""Stored simulation programs (jaxsnn.run.programs): a warm process runs the compiled program without
tracing the simulation loop, and gets the bits it would get without the store."""
import json
import os
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


def test_the_store_drops_the_least_recently_used_programs_beyond_its_bound(tmp_path):
    from jaxsnn.run import programs

    def program(name, size, mtime):
        (tmp_path / name).write_bytes(b"x" * size)
        os.utime(tmp_path / name, (mtime, mtime))
    old = programs.time.time() - 2 * programs.STALE_TMP_S
    for name, mtime in [("a.pkl", old), ("b.pkl", old + 1), ("c.pkl", old + 2), ("d.pkl", old + 3)]:
        program(name, 100, mtime)
    program("killed.tmp", 100, old)  # left by a writer killed long ago
    program("writing.tmp", 100, programs.time.time())  # being written now
    programs._prune(tmp_path, 250, keep=tmp_path / "a.pkl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pkl", "d.pkl", "writing.tmp"]
    programs._prune(tmp_path, 250)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pkl", "d.pkl", "writing.tmp"]
    programs._prune(tmp_path, 0, keep=tmp_path / "d.pkl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.pkl", "writing.tmp"]


def test_stored_programs_stay_within_the_bound_and_a_used_one_stays(tmp_path, monkeypatch):
    import jax
    import numpy as np

    from jaxsnn.core.engine import jit
    from jaxsnn.run import programs

    folder, x = tmp_path / programs.FOLDER, np.arange(3.0)
    jitted = jit(lambda v: v * 2.0 + 1.0)
    names = [f"bound_{i}_{tmp_path.name}" for i in range(4)]
    stored = {}

    def call(i):
        programs._memo.clear()  # as in a new process: the store is read
        before = {p.name for p in folder.glob("*.pkl")} if folder.exists() else set()
        assert (np.asarray(programs.call(jitted, names[i], x)) == x * 2.0 + 1.0).all()
        stored.update({p.name.split("-")[0]: p for p in folder.glob("*.pkl") if p.name not in before})
    monkeypatch.setattr(programs, "_max_bytes", None)
    monkeypatch.setenv(programs.ENV_MAX_BYTES, str(10**9))
    old = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", str(tmp_path))
    try:
        call(0)
        call(1)
        for i, name in enumerate(names[:2]):
            os.utime(stored[name], (1000 + i, 1000 + i))  # program 0 stored first
        size = sum(p.stat().st_size for p in stored.values())
        monkeypatch.setenv(programs.ENV_MAX_BYTES, str(size + size // 4))  # two programs and a half
        call(0)  # found: used now, so program 1 is the least recently used
        assert stored[names[0]].stat().st_mtime > 2000
        call(2)
        assert sorted(p.name for p in folder.glob("*.pkl")) == sorted(stored[n].name for n in (names[0], names[2]))
        programs.set_max_bytes(10)  # smaller than any program: none is stored
        call(3)
        assert names[3] not in stored and len(list(folder.glob("*.pkl"))) == 2
    finally:
        jax.config.update("jax_compilation_cache_dir", old)
        programs._memo.clear()


def test_the_bound_is_checked(monkeypatch):
    from jaxsnn.errors import JaxsnnError
    from jaxsnn.run import programs

    monkeypatch.setattr(programs, "_max_bytes", None)
    monkeypatch.delenv(programs.ENV_MAX_BYTES, raising=False)
    assert programs.max_bytes() == programs.MAX_BYTES == 2**30
    for bad in (-1, 1.5, "lots", True):
        with pytest.raises(JaxsnnError, match="max_program_bytes=.* whole number of bytes"):
            programs.set_max_bytes(bad)
    monkeypatch.setenv(programs.ENV_MAX_BYTES, "-5")
    with pytest.raises(JaxsnnError, match="JAXSNN_PROGRAMS_MAX_BYTES='-5'"):
        programs.max_bytes()
    monkeypatch.setenv(programs.ENV_MAX_BYTES, "12345")
    assert programs.max_bytes() == 12345
    programs.set_max_bytes(7)
    assert programs.max_bytes() == 7
    programs.set_max_bytes(None)
    assert programs.max_bytes() == 12345


def test_enable_compilation_cache_sets_the_bound(tmp_path, monkeypatch):
    import jax

    import jaxsnn
    from jaxsnn.errors import JaxsnnError
    from jaxsnn.run import programs

    monkeypatch.setattr(programs, "_max_bytes", None)
    names = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs",
             "jax_persistent_cache_min_entry_size_bytes")
    old = [getattr(jax.config, n) for n in names]
    try:
        jaxsnn.enable_compilation_cache(tmp_path, max_program_bytes=12345)
        assert programs.max_bytes() == 12345
        with pytest.raises(JaxsnnError, match="max_program_bytes=-1 "):
            jaxsnn.enable_compilation_cache(tmp_path, max_program_bytes=-1)
        assert programs.max_bytes() == 12345
    finally:
        for n, v in zip(names, old):
            jax.config.update(n, v)
