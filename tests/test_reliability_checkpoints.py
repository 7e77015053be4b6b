"""Adversarial tests of everything jaxsnn reads from or writes to disk (see docs/reliability.md).

Damaged and hostile metadata, special files, concurrent writers and readers, kill -9 during periodic
checkpoints, full disks, resume fallback, mistyped directories and paths as users write them. Every
blocking hazard runs under a timeout, so a regression fails instead of hanging.
"""
import json
import os
import random
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import jax
import numpy as np
import pytest

import jaxsnn
from jaxsnn.errors import (
    CheckpointError,
    CheckpointExistsError,
    CheckpointLockedError,
    CheckpointMismatchError,
    CheckpointNotFoundError,
    CheckpointWarning,
    JaxsnnError,
)
from jaxsnn.io import checkpoint_io as cio
from jaxsnn.run.cache import CacheWarning

from .networks import outcome, small_network

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
       "JAX_PLATFORMS": "cpu"}


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def net():
    """(fresh simulation, spike recorder, multimeter, the same simulated for 20 ms)."""
    sim, sr, mm = small_network()
    return sim, sr, mm, jaxsnn.simulate(sim, 20.0)


@pytest.fixture(scope="module")
def saved(net, tmp_path_factory):
    """A complete checkpoint of the 20 ms simulation (copy it before damaging it)."""
    path = tmp_path_factory.mktemp("saved") / "ck"
    jaxsnn.save_checkpoint(path, net[3])
    return path


def _copy(src, tmp_path, name="ck"):
    dst = tmp_path / name
    shutil.copytree(src, dst, symlinks=True)
    return dst


def _forge(path, edit):
    """Rewrite meta.json with ``edit(record)`` applied and a valid checksum: consistent, but wrong."""
    record = json.loads((path / "meta.json").read_text())
    edit(record)
    record["meta_sha256"] = cio._meta_digest(record)
    (path / "meta.json").write_text(json.dumps(record))


def _finishes(fn, timeout=20.0):
    """Run ``fn`` in a thread; return what it raised (or None). Fails if it takes longer than ``timeout``."""
    box = {}

    def target():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["exc"] = exc
    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"{fn} still blocked after {timeout} s"
    return box.get("exc")


def _release_fifo(fifo):
    """Unblock a reader stuck opening ``fifo`` (only after a regression), so that the test can end."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


def _flip_data_byte(path):
    big = max((p for p in (path / "arrays").rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    data = bytearray(big.read_bytes())
    data[len(data) // 2] ^= 0x10
    big.write_bytes(bytes(data))


def _tiny_cio(tmp_path, name="ck"):
    path = tmp_path / name
    cio.write(path, {"w": np.arange(1000, dtype=np.float64), "ids": np.arange(7)}, {"step": 1})
    return path


# ------------------------------------------------------------------------------------------ hierarchy
def test_checkpoint_errors_are_jaxsnn_errors():
    assert issubclass(CheckpointError, JaxsnnError) and issubclass(CheckpointError, ValueError)
    assert jaxsnn.CheckpointError is CheckpointError and cio.CheckpointError is CheckpointError
    assert issubclass(CheckpointNotFoundError, FileNotFoundError) and issubclass(CheckpointExistsError, FileExistsError)
    for cls in (CheckpointMismatchError, CheckpointLockedError, CheckpointNotFoundError, CheckpointExistsError):
        assert issubclass(cls, CheckpointError)


# ------------------------------------------------------------------------------------------ metadata
def _flips_are_refused_or_harmless(path, positions):
    meta = path / "meta.json"
    original_bytes = meta.read_bytes()
    original = cio.read_meta(path)
    refused = 0
    for pos in positions:
        byte, bit = divmod(pos, 8)
        data = bytearray(original_bytes)
        data[byte] ^= 1 << bit
        meta.write_bytes(bytes(data))
        try:
            got = cio.read_meta(path)
        except CheckpointError:
            refused += 1
            continue
        assert got == original, f"bit {bit} of byte {byte} ({chr(original_bytes[byte])!r}) changed the content"
    meta.write_bytes(original_bytes)
    return refused


def test_sampled_bit_flips_of_checkpoint_metadata_are_refused_or_harmless(saved, tmp_path):
    path = _copy(saved, tmp_path)
    n_bits = 8 * (path / "meta.json").stat().st_size
    positions = random.Random(0).sample(range(n_bits), min(n_bits, 3000))
    refused = _flips_are_refused_or_harmless(path, positions)
    assert refused >= 0.9 * len(positions)  # the rest: case of hex digits in \\u escapes, whitespace, ...


def test_sampled_bit_flips_of_store_metadata_are_refused_or_harmless(net, tmp_path):
    sim = net[3]
    jaxsnn.store(tmp_path / "st", sim, {"all": sim_nodes(sim)}, ("e_syn",))
    n_bits = 8 * (tmp_path / "st" / "meta.json").stat().st_size
    positions = random.Random(1).sample(range(n_bits), min(n_bits, 3000))
    refused = _flips_are_refused_or_harmless(tmp_path / "st", positions)
    assert refused >= 0.9 * len(positions)


def sim_nodes(sim):
    return jaxsnn.NodeCollection(None, sim.layout.node_of_neuron)


def test_store_with_flipped_resolution_is_refused(net, tmp_path):
    sim = net[3]
    jaxsnn.store(tmp_path / "st", sim, {"all": sim_nodes(sim)})
    meta = tmp_path / "st" / "meta.json"
    text = meta.read_text()
    assert '"resolution": 0.1' in text
    meta.write_text(text.replace('"resolution": 0.1', '"resolution": 1.1'))  # one bit: '0' -> '1'
    with pytest.raises(CheckpointError, match="checksum"):
        jaxsnn.load(tmp_path / "st")


def _set_capacity(name, value):
    return lambda r: r["user"]["capacities"].__setitem__(name, value)


@pytest.mark.parametrize("edit, expect", [
    (_set_capacity("slice_steps", 3), r"capacities must be exactly"),
    (_set_capacity("record_capacity", [1]), r"capacity record_capacity\[0\]=1 is not allowed"),
    (_set_capacity("record_capacity", 16384), r"record_capacity=16384 is not a list of 1"),
    (_set_capacity("slice_capacity", 2**40), r"capacity slice_capacity=1099511627776 is not allowed"),
    (_set_capacity("post_capacity", 256.0), r"capacity post_capacity=256.0 is not allowed"),
    (_set_capacity("record_capacity", [True]), r"capacity record_capacity\[0\]=True is not allowed"),
    (_set_capacity("multimeter_rows", [1, 2]), r"multimeter_rows=\[1, 2\] is not a list of 1"),
    (lambda r: r["user"]["spec"].__setitem__("slice_steps", 3), r"different network: spec slice_steps is 3"),
    (lambda r: r["user"].__setitem__("records", {"999": r["user"]["records"]["102"]}), r"node '999', which is no recorder"),
    (lambda r: r["user"]["records"].pop("102"), r"record arrays \['records/102/senders', 'records/102/stamps'\] are not in"),
    (lambda r: r["arrays"].__setitem__("records/102/sendrs", r["arrays"].pop("records/102/senders")),
     r"records of node 102 lack 'senders'"),
    (lambda r: r["arrays"].pop("state/plasticity/pre/Kplus"), r"\['state/plasticity/pre/Kplus'\] missing"),
    (lambda r: r["user"].pop("store_format"), r"store format 1"),
    (lambda r: r["user"].__setitem__("network", []), r"'network' is not a mapping but \[\]"),
    (lambda r: r["user"].__setitem__("spec", 5), r"'spec' is not a mapping but 5"),
    (lambda r: r["user"].__setitem__("records", {"102": {"rows": -1, "columns": "senders"}}), r"damaged metadata for the records of node 102"),
    (lambda r: r["user"].__setitem__("kind", "selective"), r"not a complete checkpoint"),
    (lambda r: r["arrays"]["state/neurons/models/iaf_psc_delta/V_rel"].__setitem__("shape", [2**40]), r"in the array data, but the metadata says"),
    (lambda r: r["arrays"]["state/neurons/models/iaf_psc_delta/V_rel"].__setitem__("shape", [2**60, 2**60]), r"shape .* is not a list of at most"),
    (lambda r: r["arrays"]["state/neurons/models/iaf_psc_delta/V_rel"].__setitem__("dtype", "|O"), r"dtype '\|O' is not a numeric"),
    (lambda r: r["arrays"]["state/neurons/models/iaf_psc_delta/V_rel"].__setitem__("key", 5), r"key 5 is neither null"),
    (lambda r: r["arrays"]["state/neurons/models/iaf_psc_delta/V_rel"].__setitem__("key", r["arrays"]["state/step"]["key"]), r"used twice"),
    (lambda r: r.__setitem__("arrays", []), r"'arrays' is a list, not a mapping"),
    (lambda r: r.__setitem__("format_version", True), r"no integer format_version"),
    (lambda r: r.__setitem__("format_version", 3), r"checkpoint format 3 is newer"),
    (lambda r: r.__setitem__("extra", 1), r"\['extra'\] unexpected"),
])
def test_consistent_but_wrong_metadata_is_refused(net, saved, tmp_path, edit, expect):
    path = _copy(saved, tmp_path)
    _forge(path, edit)
    err = _finishes(lambda: jaxsnn.load_checkpoint(path, net[0]))
    assert isinstance(err, CheckpointError), repr(err)
    assert re.search(expect, str(err)), str(err)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"format_version": 2, "a": ' * 50_000,
                                  "\ud800", "\xff\xfe", "", "null", '{"format_version": 1e400}'])
def test_garbage_metadata_is_a_checkpoint_error(tmp_path, text):
    path = _tiny_cio(tmp_path)
    (path / "meta.json").write_bytes(text.encode("utf-8", "surrogatepass"))
    with pytest.raises(CheckpointError, match="meta"):
        cio.read(path)


def test_duplicate_keys_are_refused(tmp_path):
    path = _tiny_cio(tmp_path)
    text = (path / "meta.json").read_text()
    (path / "meta.json").write_text(text.replace('{\n "format_version"', '{"user": {"evil": 1},\n "format_version"', 1))
    with pytest.raises(CheckpointError, match="duplicate key 'user'"):  # even though the last one wins intact
        cio.read(path)


def test_format_1_reads_with_a_warning(tmp_path):
    path = _tiny_cio(tmp_path)
    record = json.loads((path / "meta.json").read_text())
    record.pop("meta_sha256")
    record["format_version"] = 1
    (path / "meta.json").write_text(json.dumps(record))
    with pytest.warns(CheckpointWarning, match="format 1 has no metadata checksum"):
        arrays, meta = cio.read(path)
    assert meta == {"step": 1} and arrays["w"].tolist() == list(range(1000))


# ------------------------------------------------------------------------------------------ special files
@pytest.mark.parametrize("make, expect", [
    (lambda p: p.symlink_to("/dev/zero"), "character device"),
    (lambda p: os.mkfifo(p), "FIFO"),
    (lambda p: p.mkdir(), "directory"),
    (lambda p: os.truncate(p, cio.MAX_META_BYTES + 1) if p.touch() is None else None, "more than"),
    (lambda p: socket.socket(socket.AF_UNIX).bind(str(p)), "socket"),
])
def test_special_meta_file_is_refused_unread(tmp_path, make, expect):
    path = _tiny_cio(tmp_path)
    meta = path / "meta.json"
    meta.unlink()
    make(meta)
    try:
        err = _finishes(lambda: cio.read(path))
    finally:
        if stat.S_ISFIFO(os.lstat(meta).st_mode):
            _release_fifo(meta)
    assert isinstance(err, CheckpointError) and expect in str(err), repr(err)


@pytest.mark.parametrize("target", ["manifest.ocdbt", "_METADATA", "d"])
def test_fifo_in_orbax_data_is_refused(tmp_path, target):
    path = _tiny_cio(tmp_path)
    victim = next(p for p in (path / "arrays").rglob(target if target != "d" else "d/*") if p.is_file())
    victim.unlink()
    os.mkfifo(victim)
    try:
        err = _finishes(lambda: cio.read(path))
    finally:
        _release_fifo(victim)
    assert isinstance(err, CheckpointError) and "FIFO" in str(err), repr(err)


def test_link_in_orbax_data_and_file_as_checkpoint_are_refused(tmp_path):
    path = _tiny_cio(tmp_path)
    victim = path / "arrays" / "_METADATA"
    victim.rename(tmp_path / "elsewhere")
    victim.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(CheckpointError, match="symbolic link"):
        cio.read(path)
    (tmp_path / "plain").write_text("{}")
    with pytest.raises(CheckpointError, match="a checkpoint is a directory"):
        cio.read(tmp_path / "plain")


def test_fifo_meta_in_a_complete_checkpoint(net, saved, tmp_path):
    path = _copy(saved, tmp_path)
    (path / "meta.json").unlink()
    os.mkfifo(path / "meta.json")
    try:
        err = _finishes(lambda: jaxsnn.load_checkpoint(path, net[0]))
    finally:
        _release_fifo(path / "meta.json")
    assert isinstance(err, CheckpointError) and "FIFO" in str(err)


# ------------------------------------------------------------------------------------------ mismatches
def _tiny_net(I_e=376.0, e_delay=2.0):
    net = jaxsnn.Network(seed=3)
    net.copy_model("stdp_synapse_hom", "e_syn", {"Wmax": 4.0})
    n = net.create("iaf_psc_delta", 100, params={"I_e": I_e})
    net.connect(n[:60], n, {"rule": "fixed_indegree", "indegree": 5},
                {"synapse_model": "e_syn", "weight": 1.0, "delay": e_delay})
    net.connect(n[60:], n, {"rule": "fixed_indegree", "indegree": 2}, {"weight": -2.0, "delay": 1.0})
    return net.build()


def test_mismatch_names_the_quantity(tmp_path):
    jaxsnn.save_checkpoint(tmp_path / "ck", _tiny_net())
    I_e = np.full(100, 376.0)
    I_e[10:30] = 400.0
    with pytest.raises(CheckpointMismatchError, match=r"params/neurons/models/iaf_psc_delta/I_e differs for 20 of 100 iaf_psc_delta neurons "
                                                      r"\(first: node 11, 376.0 in the checkpoint, 400.0 here\)"):
        jaxsnn.load_checkpoint(tmp_path / "ck", _tiny_net(I_e=I_e))
    with pytest.raises(CheckpointMismatchError, match=r"connectivity or devices differ \(.*model/synapses/out_syn"):
        jaxsnn.load_checkpoint(tmp_path / "ck", _tiny_net(e_delay=3.0))


# ------------------------------------------------------------------------------------------ concurrency
WRITER = textwrap.dedent("""
    import sys, time
    import numpy as np
    from jaxsnn.io.checkpoint_io import CheckpointSeries
    from jaxsnn.errors import CheckpointLockedError
    directory, first, n, keep, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    series = CheckpointSeries(directory, keep=keep)
    try:
        series.acquire()
    except CheckpointLockedError as exc:
        print("LOCKED", exc, flush=True)
        sys.exit(3)
    print("WRITING", flush=True)
    for step in range(first, first + n):
        series.save(step, {"v": np.full(20_000, step, np.int64)}, {"step": step})
        time.sleep(pause)
    print("DONE", flush=True)
""")


def _writer(directory, first, n, keep=3, pause=0.0):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(directory), str(first), str(n), str(keep), str(pause)],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_second_writer_in_one_process_is_refused(tmp_path):
    a, b = cio.CheckpointSeries(tmp_path / "run"), cio.CheckpointSeries(tmp_path / "run")
    a.save(1, {"v": np.arange(3)}, {})
    with pytest.raises(CheckpointLockedError, match=rf"another checkpoint writer \(pid {os.getpid()}"):
        b.save(2, {"v": np.arange(3)}, {})
    a.close()
    b.save(2, {"v": np.arange(3)}, {})
    b.close()
    assert cio.CheckpointSeries(tmp_path / "run").steps() == [1, 2]


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_two_writer_processes(tmp_path):
    run = tmp_path / "run"
    first = _writer(run, 1, 30, pause=0.05)
    try:
        assert first.stdout.readline().strip() == "WRITING"
        second = _writer(run, 1, 30)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 3, err[-2000:]
        assert out.startswith("LOCKED") and f"pid {first.pid}" in out
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0 and "DONE" in out, err[-2000:]
    finally:
        first.kill()
    series = cio.CheckpointSeries(run)
    assert series.steps() == [28, 29, 30]
    assert [series.restore(s)[1]["step"] for s in series.steps()] == [28, 29, 30]
    # a killed writer releases the lock: a new writer gets in at once
    killed = _writer(run, 100, 1000)
    try:
        assert killed.stdout.readline().strip() == "WRITING"
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=60)
    finally:
        killed.kill()
    with cio.CheckpointSeries(run) as series:
        series.acquire()


def test_checkpoint_removed_while_read_is_not_damage(tmp_path, monkeypatch):
    path = _tiny_cio(tmp_path)
    check = cio._check_tree

    def prune_first(root):  # the writer prunes the step between the metadata and the data read
        shutil.rmtree(root.parent)
        return check(root)
    monkeypatch.setattr(cio, "_check_tree", prune_first)
    with pytest.raises(CheckpointNotFoundError, match="removed while it was read"):
        cio.read(path)


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_reader_during_continuous_saves_with_keep_1(tmp_path):
    run = tmp_path / "run"
    writer = _writer(run, 1, 150, keep=1)
    loads = 0
    try:
        assert writer.stdout.readline().strip() == "WRITING"
        series = cio.CheckpointSeries(run)
        deadline = time.monotonic() + 120
        while writer.poll() is None and time.monotonic() < deadline:
            try:
                arrays, meta = series.restore()
            except CheckpointNotFoundError:
                assert loads == 0, "only before the first step may there be none"
                continue
            assert (arrays["v"] == meta["step"]).all()
            loads += 1
        _, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err[-2000:]
    finally:
        writer.kill()
    assert loads >= 20


def test_reader_lists_again_when_the_writer_prunes_the_listed_step(tmp_path, monkeypatch):
    # the writer saves step 2 and prunes step 1 (keep=1) right after the reader listed the directory:
    # the reader must find step 2, not "no complete checkpoint" (step 1 is gone when it is checked)
    writer = cio.CheckpointSeries(tmp_path / "run", keep=1)
    writer.save(1, {"v": np.full(3, 1)}, {"step": 1})
    reader, listdir, saved = cio.CheckpointSeries(tmp_path / "run"), os.listdir, []

    def list_then_save(path):
        names = listdir(path)
        if not saved:
            saved.append(2)
            writer.save(2, {"v": np.full(3, 2)}, {"step": 2})
        return names
    monkeypatch.setattr(cio.os, "listdir", list_then_save)
    arrays, meta = reader.restore()
    writer.close()
    assert saved == [2] and meta == {"step": 2} and (arrays["v"] == 2).all()
    assert reader.steps() == [2]


# ------------------------------------------------------------------------------------------ kill -9, resume
KILLED_RUN = textwrap.dedent("""
    import sys
    import jaxsnn
    from tests.networks import small_network
    directory, cache, t = sys.argv[1], sys.argv[2], float(sys.argv[3])
    jaxsnn.enable_compilation_cache(cache)
    sim = jaxsnn.resume(directory, small_network()[0], fresh_ok=True)
    print("FROM", sim.time, flush=True)
    jaxsnn.simulate_with_checkpoints(sim, t - sim.time, directory, every=5.0, keep=2)
    print("DONE", flush=True)
""")


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability:
# test_store.py::test_complete_checkpoint_resumes_bit_for_bit (a run resumed from its checkpoint)
def test_repeated_kill_9_resumes_bit_for_bit(net, tmp_path):
    T = 120.0
    run, cache = tmp_path / "run", tmp_path / "cache"
    rng = random.Random(1)
    series = cio.CheckpointSeries(run)
    starts = []
    for _ in range(3):
        before = series.latest_step() or 0
        child = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(run), str(cache), str(T)], env=ENV,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        try:
            starts.append(float(child.stdout.readline().split()[1]))
            deadline = time.monotonic() + 120
            while (series.latest_step() or 0) <= before and child.poll() is None:
                assert time.monotonic() < deadline, "no new checkpoint"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.3))  # somewhere in the next simulate or save
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=60)
        finally:
            child.kill()
    assert starts[0] == 0.0 and starts[1] > 0 and starts[2] > starts[1]
    sim, sr, mm, _ = net
    resumed = jaxsnn.resume(run, sim)
    assert 0 < resumed.time < T
    done = jaxsnn.simulate_with_checkpoints(resumed, T - resumed.time, run, every=5.0, keep=2)
    whole = jaxsnn.simulate(sim, T)
    for a, b in zip(outcome(whole, sr, mm), outcome(done, sr, mm)):
        np.testing.assert_array_equal(a, b)
    assert series.steps() == [1150, 1200]


# ------------------------------------------------------------------------------------------ resume
@pytest.fixture
def series_dir(net, tmp_path):
    """Steps 100, 200, 300 of the small network (10, 20, 30 ms)."""
    jaxsnn.simulate_with_checkpoints(net[0], 30.0, tmp_path / "run", every=10.0, keep=3)
    return tmp_path / "run"


@pytest.mark.parametrize("damage", [
    _flip_data_byte,
    lambda p: (p / "meta.json").unlink(),
    lambda p: os.truncate(p / "meta.json", 100),
    lambda p: shutil.rmtree(p / "arrays"),
])
def test_resume_falls_back_past_a_damaged_latest(net, series_dir, damage):
    sim, sr, mm, _ = net
    damage(series_dir / "300")
    with pytest.warns(CheckpointWarning, match=r"skipped damaged checkpoint\(s\) .*step 300: .*Resumed from step 200"):
        resumed = jaxsnn.resume(series_dir, sim)
    assert resumed.time == 20.0
    with pytest.warns(CheckpointWarning, match="step 300 .* is damaged .* moved it to 300.damaged-0"):
        done = jaxsnn.simulate_with_checkpoints(resumed, 10.0, series_dir, every=10.0, keep=3)
    assert sorted(os.listdir(series_dir)) == [".lock", "100", "200", "300", "300.damaged-0"]
    whole = jaxsnn.simulate(sim, 30.0)
    for a, b in zip(outcome(whole, sr, mm), outcome(done, sr, mm)):
        np.testing.assert_array_equal(a, b)
    assert jaxsnn.resume(series_dir, sim).time == 30.0


def test_resume_with_every_checkpoint_damaged(net, series_dir):
    for step in ("100", "200", "300"):
        _flip_data_byte(series_dir / step)
    with pytest.raises(CheckpointError, match=r"no intact checkpoint .*step 300: .*step 200: .*step 100: "):
        jaxsnn.resume(series_dir, net[0])


def test_resume_into_another_network_does_not_fall_back(series_dir):
    with pytest.raises(CheckpointMismatchError, match="different network"):
        jaxsnn.resume(series_dir, small_network(seed=2)[0])


def test_intact_later_checkpoints_are_not_overwritten(net, series_dir):
    with pytest.raises(CheckpointError, match=r"already holds intact checkpoint step\(s\) \[100, 200, 300\]"):
        jaxsnn.simulate_with_checkpoints(net[0], 10.0, series_dir, every=10.0)


def test_resume_refuses_a_directory_without_checkpoints(net, tmp_path):
    sim = net[0]
    with pytest.raises(CheckpointNotFoundError, match=r"typo does not exist; check the path, or pass fresh_ok=True"):
        jaxsnn.resume(tmp_path / "typo", sim)
    assert not (tmp_path / "typo").exists()
    assert jaxsnn.resume(tmp_path / "typo", sim, fresh_ok=True) is sim
    assert not (tmp_path / "typo").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointNotFoundError, match="holds no checkpoint"):
        jaxsnn.resume(tmp_path / "empty", sim)


# ------------------------------------------------------------------------------------------ full disks
@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (needs root); skipped where it cannot be mounted."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True, check=False)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.decode().strip()}); the RLIMIT_FSIZE test covers it")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def test_full_disk_fails_cleanly(net, small_disk):
    series = cio.CheckpointSeries(small_disk / "run", keep=2)
    series.save(1, {"v": np.arange(1000.0)}, {"step": 1})
    rng = np.random.default_rng(0)
    for i in range(20):  # random doubles compress by ~20%: 1.6 to 3.2 MB never fit
        with pytest.raises(CheckpointError, match=r"cannot write checkpoint .*No space left on device \(errno 28\)"):
            series.save(2 + i, {"v": rng.random(int(rng.integers(200_000, 400_000)))}, {"step": 2 + i})
        assert sorted(os.listdir(small_disk / "run")) == [".lock", "1"]  # no staging leftovers
    arrays, meta = series.restore()
    assert meta == {"step": 1} and arrays["v"].tolist() == list(np.arange(1000.0))
    free = os.statvfs(small_disk)
    (small_disk / "filler").write_bytes(b"x" * (free.f_bavail * free.f_frsize - 8192))  # leave 8 KiB
    with pytest.raises(CheckpointError, match="No space left on device"):
        jaxsnn.save_checkpoint(small_disk / "ck", net[3])
    assert sorted(os.listdir(small_disk)) == ["filler", "run"]


FSIZE = textwrap.dedent("""
    import json, os, resource, signal, sys
    import numpy as np
    from jaxsnn.io.checkpoint_io import CheckpointSeries
    from jaxsnn.errors import CheckpointError
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes beyond the limit fail with EFBIG instead
    series = CheckpointSeries(sys.argv[1], keep=2)
    series.save(1, {"v": np.arange(1000.0)}, {"step": 1})
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    errors, rng = [], np.random.default_rng(0)
    for i in range(10):
        try:
            series.save(2 + i, {"v": rng.random(50_000 + 10_000 * i)}, {"step": 2 + i})
            errors.append("saved")
        except CheckpointError as exc:
            errors.append("CheckpointError: " + str(exc))
        except Exception as exc:
            errors.append("raw " + type(exc).__name__ + ": " + str(exc)[:200])
        errors[-1] += " | " + " ".join(sorted(os.listdir(sys.argv[1])))
    print(json.dumps(errors))
""")


def test_file_size_limit_fails_cleanly(tmp_path):
    """Like a full disk, without root: RLIMIT_FSIZE makes every large write fail (EFBIG)."""
    r = subprocess.run([sys.executable, "-c", FSIZE, str(tmp_path / "run")], env=ENV, capture_output=True,
                       text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    for outcome_ in json.loads(r.stdout.strip().splitlines()[-1]):
        assert outcome_.startswith("CheckpointError: cannot write checkpoint"), outcome_
        assert "File too large" in outcome_ and outcome_.endswith("| .lock 1"), outcome_
    assert cio.CheckpointSeries(tmp_path / "run").restore()[1] == {"step": 1}


# ------------------------------------------------------------------------------------------ paths
def test_paths_as_users_write_them(net, tmp_path, monkeypatch):
    sim, _, _, sim20 = net
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    jaxsnn.save_checkpoint("rel/ck", sim20)
    assert jaxsnn.load_checkpoint(Path("rel") / "ck", sim).time == 20.0
    jaxsnn.save_checkpoint("~/ck", sim20)
    assert (home / "ck" / "meta.json").is_file()
    assert jaxsnn.load_checkpoint("~/ck", sim).time == 20.0
    jaxsnn.store("~/st", sim20, {"all": sim_nodes(sim20)})
    assert jaxsnn.load(Path("~/st")).V_m("all").shape == (100,)
    jaxsnn.simulate_with_checkpoints(sim, 10.0, "~/run", every=10.0)
    assert jaxsnn.resume("~/run", sim).time == 10.0
    assert jaxsnn.resume("run2", sim, fresh_ok=True) is sim
    cio.write("arrays", {"a": np.arange(3)}, {"k": 1})
    assert cio.read("arrays")[1] == {"k": 1} and cio.read_meta(Path("arrays"))["user"] == {"k": 1}
    cio.CheckpointSeries("~/series").save(1, {"a": np.arange(3)}, {})
    assert cio.CheckpointSeries(home / "series").steps() == [1]
    old = (jax.config.jax_compilation_cache_dir, jax.config.jax_persistent_cache_min_compile_time_secs)
    try:
        assert jaxsnn.enable_compilation_cache("~/xla") == str(home / "xla")
    finally:
        jax.config.update("jax_compilation_cache_dir", old[0])
        jax.config.update("jax_persistent_cache_min_compile_time_secs", old[1])
    assert sorted(os.listdir(work)) == ["arrays", "rel"]  # no literal "~" anywhere
    assert not list(tmp_path.rglob("~"))
    with pytest.raises(TypeError, match="path must be a str or os.PathLike"):
        jaxsnn.save_checkpoint(3, sim20)
    with pytest.raises(JaxsnnError, match="path=''"):
        jaxsnn.load_checkpoint("", sim)


def test_overwrite_guard_and_missing_checkpoint_errors(net, tmp_path):
    jaxsnn.save_checkpoint(tmp_path / "ck", net[3])
    with pytest.raises(CheckpointExistsError, match="overwrite=True"):
        jaxsnn.save_checkpoint(tmp_path / "ck", net[3])
    with pytest.raises(CheckpointNotFoundError, match="no checkpoint there"):
        jaxsnn.load_checkpoint(tmp_path / "nope", net[0])


# ------------------------------------------------------------------------------------------ compilation cache
def test_world_writable_cache_directory_warns(tmp_path):
    shared, private = tmp_path / "shared", tmp_path / "private"
    shared.mkdir()
    shared.chmod(0o777)
    old = (jax.config.jax_compilation_cache_dir, jax.config.jax_persistent_cache_min_compile_time_secs)
    try:
        with pytest.warns(CacheWarning, match="writable by every user"):
            jaxsnn.enable_compilation_cache(shared)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            jaxsnn.enable_compilation_cache(private)
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
    finally:
        jax.config.update("jax_compilation_cache_dir", old[0])
        jax.config.update("jax_persistent_cache_min_compile_time_secs", old[1])
