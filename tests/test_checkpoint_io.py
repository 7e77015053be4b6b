"""Tests for jaxsnn.io.checkpoint_io: round trips, corruption detection, atomicity, series."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import orbax.checkpoint as ocp
import pytest

from jaxsnn.io import checkpoint_io as cio
from jaxsnn.io.checkpoint_io import CheckpointError, CheckpointSeries

REPO_ROOT = Path(__file__).resolve().parents[1]


def _arrays():
    rng = np.random.default_rng(0)
    return {"big/w": rng.random(400_000), "small.x": np.arange(10, dtype=np.int32)}


def _largest_file(path):
    return max((p for p in Path(path).rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)


def _listing(directory):
    return sorted(p.name for p in Path(directory).iterdir())


def _assert_bit_exact(got, expected):
    assert list(got) == list(expected)
    for name, a in expected.items():
        a = np.asarray(a)
        assert isinstance(got[name], np.ndarray), name
        assert got[name].dtype == a.dtype.newbyteorder("="), name
        assert got[name].shape == a.shape, name
        assert got[name].tobytes() == a.astype(a.dtype.newbyteorder("=")).tobytes(), name


def test_round_trip_is_bit_exact(tmp_path):
    f32 = np.array([1.5, -0.0, np.nan, np.inf, np.finfo(np.float32).tiny], np.float32)
    arrays = {
        "f32": f32,
        "f64/2d": np.random.default_rng(1).normal(size=(30, 7)),
        "i32.sources": np.arange(-5, 1000, dtype=np.int32),
        "i64": np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max]),
        "bool": np.array([True, False, True]),
        "u32": np.array([0, 1, 2**32 - 1], np.uint32),
        "scalar f64": np.array(3.25),
        "scalar i32": np.array(-7, np.int32),
        "scalar bool": np.array(True),
        "empty": np.zeros((0, 3), np.float32),
        "strided": np.arange(20, dtype=np.int64)[::3],
        "big-endian": np.arange(4, dtype=">f8"),
        "ünïcode name": np.ones(2, np.float32),
    }
    nbytes = cio.write(tmp_path / "ck", arrays, {"step": 1})
    assert nbytes > 0
    got, meta = cio.read(tmp_path / "ck")
    _assert_bit_exact(got, arrays)
    assert meta == {"step": 1}


def test_metadata_round_trip_with_versions(tmp_path):
    import jax

    user = {"dt_ms": 0.1, "model": "LIF", "n": np.int64(3), "f": np.float32(0.5),
            "flag": np.bool_(True), "nested": {"ids": (1, 2), "none": None}}
    cio.write(tmp_path / "ck", {"w": np.ones(3, np.float32)}, user)
    meta = cio.read_meta(tmp_path / "ck")
    assert set(meta) == {"format_version", "versions", "arrays", "user", "meta_sha256"}
    assert meta["format_version"] == cio.FORMAT_VERSION == 2
    assert len(meta["meta_sha256"]) == 64
    assert meta["versions"]["jax"] == jax.__version__
    assert meta["versions"]["numpy"] == np.__version__
    assert meta["versions"]["orbax-checkpoint"] == ocp.__version__
    assert isinstance(meta["versions"]["jaxsnn"], str)
    # numpy scalars are converted to Python scalars, tuples become lists (documented).
    assert meta["user"] == {"dt_ms": 0.1, "model": "LIF", "n": 3, "f": 0.5, "flag": True,
                            "nested": {"ids": [1, 2], "none": None}}
    assert type(meta["user"]["n"]) is int and type(meta["user"]["flag"]) is bool
    assert meta["arrays"]["w"]["dtype"] == "<f4" and meta["arrays"]["w"]["shape"] == [3]
    assert len(meta["arrays"]["w"]["sha256"]) == 64
    assert cio.read(tmp_path / "ck")[1] == meta["user"]


@pytest.mark.parametrize("bad, where", [({"a": np.arange(3)}, "meta['a']"),
                                        ({"a": {"b": {1, 2}}}, "meta['a']['b']"),
                                        ({"a": {1: "x"}}, "key 1")])
def test_non_json_meta_raises_type_error_naming_key(tmp_path, bad, where):
    with pytest.raises(TypeError) as err:
        cio.write(tmp_path / "ck", {"w": np.ones(2)}, bad)
    assert where in str(err.value)
    assert _listing(tmp_path) == []


@pytest.mark.parametrize("where", [0.25, 0.5, 0.75])
def test_bit_flip_is_detected(tmp_path, where):
    path = tmp_path / "ck"
    cio.write(path, _arrays(), {})
    data = _largest_file(path)
    with open(data, "r+b") as fh:
        fh.seek(int(data.stat().st_size * where))
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0x08]))
    with pytest.raises(CheckpointError, match="big/w"):
        cio.read(path)
    # The damage is local: an untouched array can still be read on its own.
    assert cio.read(path, ["small.x"])[0]["small.x"].tolist() == list(range(10))


def test_truncated_data_file(tmp_path):
    path = tmp_path / "ck"
    cio.write(path, _arrays(), {})
    data = _largest_file(path)
    os.truncate(data, data.stat().st_size // 2)
    with pytest.raises(CheckpointError, match="big/w"):
        cio.read(path)


def test_deleted_data_file(tmp_path):
    path = tmp_path / "ck"
    cio.write(path, _arrays(), {})
    _largest_file(path).unlink()
    with pytest.raises(CheckpointError, match="big/w"):
        cio.read(path)


@pytest.mark.parametrize("damage", ["delete", "garble", "not-a-record"])
def test_missing_or_garbled_metadata(tmp_path, damage):
    path = tmp_path / "ck"
    cio.write(path, _arrays(), {})
    meta_file = path / "meta.json"
    if damage == "delete":
        meta_file.unlink()
    else:
        meta_file.write_text('{"format_version": 1, "arr' if damage == "garble" else "[1, 2]")
    for call in (cio.read_meta, cio.read):
        with pytest.raises(CheckpointError, match="metadata"):
            call(path)


@pytest.mark.parametrize("field, value, expect", [
    ("sha256", "0" * 64, "'big/w' is corrupted"),
    ("dtype", "<f4", "big/w"),
    ("shape", [10], "big/w"),
    ("key", "a7", "big/w"),
])
def test_metadata_disagreeing_with_data(tmp_path, field, value, expect):
    path = tmp_path / "ck"
    cio.write(path, _arrays(), {})
    record = json.loads((path / "meta.json").read_text())
    record["arrays"]["big/w"][field] = value
    record["meta_sha256"] = cio._meta_digest(record)  # consistent metadata that lies about the data
    (path / "meta.json").write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match=expect):
        cio.read(path)


def test_missing_checkpoint_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        cio.read(tmp_path / "nope")


def test_newer_format_version_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(cio, "FORMAT_VERSION", 3)
    monkeypatch.setitem(cio._RECORD_KEYS, 3, cio._RECORD_KEYS[2])
    cio.write(tmp_path / "ck", _arrays(), {})
    monkeypatch.undo()
    with pytest.raises(CheckpointError, match="checkpoint format 3 is newer"):
        cio.read(tmp_path / "ck")


def test_unknown_name_lists_available(tmp_path):
    cio.write(tmp_path / "ck", _arrays(), {})
    with pytest.raises(CheckpointError, match=r"\['nope'\]; available: \['big/w', 'small.x'\]"):
        cio.read(tmp_path / "ck", ["small.x", "nope"])
    assert issubclass(CheckpointError, ValueError)


def test_partial_read_returns_only_requested(tmp_path):
    arrays = {"a": np.arange(5), "b/c": np.ones((2, 2), np.float32), "d.e": np.zeros(3, bool)}
    cio.write(tmp_path / "ck", arrays, {"k": 1})
    got, meta = cio.read(tmp_path / "ck", ["d.e", "a"])
    assert list(got) == ["d.e", "a"]
    _assert_bit_exact(got, {"d.e": arrays["d.e"], "a": arrays["a"]})
    assert meta == {"k": 1}


def test_write_to_existing_path_raises(tmp_path):
    path = tmp_path / "ck"
    cio.write(path, {"a": np.arange(3)}, {"v": 1})
    with pytest.raises(cio.CheckpointExistsError, match="ck"):
        cio.write(path, {"a": np.arange(4)}, {"v": 2})
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(FileExistsError):
        cio.write(tmp_path / "empty_dir", {"a": np.arange(4)}, {})
    assert cio.read(path)[0]["a"].tolist() == [0, 1, 2]
    assert _listing(tmp_path) == ["ck", "empty_dir"]


def test_overwrite_replaces_and_leaves_no_temp(tmp_path):
    path = tmp_path / "ck"
    cio.write(path, {"a": np.arange(3)}, {"v": 1})
    cio.write(path, {"b": np.arange(4)}, {"v": 2}, overwrite=True)
    got, meta = cio.read(path)
    assert list(got) == ["b"] and meta == {"v": 2}
    assert _listing(tmp_path) == ["ck"]


def _fail_in_orbax_serialize(monkeypatch):
    async def boom(self, *args, **kwargs):
        raise OSError("simulated disk failure while writing array data")
    monkeypatch.setattr(ocp.type_handlers.NumpyHandler, "serialize", boom)


def _fail_on_final_rename(monkeypatch):
    real_rename = os.rename

    def rename(src, dst, *args, **kwargs):
        if Path(src).name == "new":
            raise OSError("simulated failure of the final rename")
        return real_rename(src, dst, *args, **kwargs)
    monkeypatch.setattr(os, "rename", rename)


@pytest.mark.parametrize("inject", [_fail_in_orbax_serialize, _fail_on_final_rename])
def test_failed_overwrite_keeps_old_checkpoint(tmp_path, monkeypatch, inject):
    path = tmp_path / "ck"
    old = {"a": np.arange(100_000, dtype=np.float32)}
    cio.write(path, old, {"v": 1})
    inject(monkeypatch)
    with pytest.raises(CheckpointError, match="simulated") as err:
        cio.write(path, {"a": np.zeros(100_000, np.float32)}, {"v": 2}, overwrite=True)
    assert "is unchanged" in str(err.value)
    monkeypatch.undo()
    got, meta = cio.read(path)
    _assert_bit_exact(got, old)
    assert meta == {"v": 1}
    assert _listing(tmp_path) == ["ck"]


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    _fail_in_orbax_serialize(monkeypatch)
    with pytest.raises(CheckpointError, match="simulated"):
        cio.write(tmp_path / "ck", {"a": np.arange(10)}, {})
    assert _listing(tmp_path) == []


def test_series_keeps_last_k(tmp_path):
    series = CheckpointSeries(tmp_path / "run", keep=2)
    assert series.latest_step() is None and series.steps() == []
    with pytest.raises(FileNotFoundError):
        series.restore()
    for step in (10, 20, 30, 40):
        series.save(step, {"v": np.full(5, step, np.int32)}, {"step": step})
    assert series.steps() == [30, 40] and series.latest_step() == 40
    assert _listing(tmp_path / "run") == [".lock", "30", "40"]
    arrays, meta = series.restore()
    assert arrays["v"].tolist() == [40] * 5 and meta == {"step": 40}
    assert series.restore(30, names=["v"])[0]["v"][0] == 30
    with pytest.raises(FileExistsError):
        series.save(40, {"v": np.zeros(5)}, {})
    series.save(np.int64(50), {"v": np.zeros(5)}, {})
    assert series.steps() == [40, 50]
    with pytest.raises(TypeError):
        series.save(60.0, {"v": np.zeros(5)}, {})


def test_series_ignores_and_cleans_stale_temp_dirs(tmp_path):
    run = tmp_path / "run"
    series = CheckpointSeries(run)
    series.save(1, {"v": np.arange(3)}, {})
    (run / ".2.tmp-deadbeef" / "new.orbax-checkpoint-tmp").mkdir(parents=True)
    (run / "notes.txt").write_text("user file, must survive")
    assert CheckpointSeries(run).latest_step() == 1
    series.save(2, {"v": np.arange(4)}, {})
    assert _listing(run) == [".lock", "1", "2", "notes.txt"]


_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    from jaxsnn.io.checkpoint_io import CheckpointSeries
    big = {"w": np.random.default_rng(0).random(40_000_000, dtype=np.float32)}  # 160 MB
    print("saving", flush=True)
    CheckpointSeries(sys.argv[1]).save(2, big, {"step": 2})
    print("saved", flush=True)
""")


def _orbax_started(run):
    return any(run.glob(".2.tmp-*/new*"))


def _data_partly_written(run):
    return any(p.is_file() and p.stat().st_size > 32 * 2**20 for p in run.glob(".2.tmp-*/**/*"))


@pytest.mark.parametrize("kill_when", [_orbax_started, _data_partly_written])
def test_sigkill_during_save_keeps_previous_step(tmp_path, kill_when):
    run = tmp_path / "run"
    step1 = {"v": np.arange(1000, dtype=np.float32), "ids": np.arange(7)}
    CheckpointSeries(run).save(1, step1, {"step": 1})

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [
        str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(run)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if kill_when(run):
                    break
            except OSError:  # the tree changed under the glob
                pass
            assert child.poll() is None, "child exited before the kill point"
            assert time.monotonic() < deadline, "kill point never reached"
            time.sleep(0.002)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert b"saved" not in child.stdout.read(), "save finished before the kill"
    assert not (run / "2").exists()
    assert list(run.glob(".2.tmp-*")), "expected the crashed save's staging directory"

    series = CheckpointSeries(run)
    assert series.steps() == [1] and series.latest_step() == 1
    arrays, meta = series.restore()
    _assert_bit_exact(arrays, step1)
    assert meta == {"step": 1}
    series.save(2, {"v": np.zeros(3)}, {"step": 2})
    assert _listing(run) == [".lock", "1", "2"]
