"""Safe checkpoint I/O for named numpy arrays plus JSON metadata, stored through Orbax.

On-disk layout of one checkpoint directory::

    <path>/
      meta.json    JSON record, see below
      arrays/      Orbax StandardCheckpointHandler (OCDBT + zarr, zstd) of {"a0": ..., "a1": ...}

The JSON record (format 2) is ``{"format_version": 2, "versions": {package: version},
"arrays": {name: {"key", "dtype", "shape", "sha256"}}, "user": <the caller's meta>,
"meta_sha256": <SHA-256 of the rest>}``. The digest is taken over the canonical JSON form of
the other four entries (sorted keys, no whitespace), so it covers content, not formatting.
Array names are arbitrary strings; Orbax only sees the generated keys "a0", "a1", ...
Zero-size arrays have no data on disk (Orbax cannot store them) and ``"key": null``;
without any non-empty array there is no ``arrays/``. Format 1 (jaxsnn 0.1) is the same record
without ``meta_sha256``; it is still read, with a :class:`CheckpointWarning`.

Guarantees:

* Paths: every function takes ``str`` or ``os.PathLike``, expands ``~`` and makes relative
  paths absolute against the current directory (:func:`resolve_path`).
* Atomic: a checkpoint is built in a hidden staging directory next to ``path``
  (``.<name>.tmp-<random>/``) and appears at ``path`` by a single rename, so a process
  killed at any moment (SIGKILL included) leaves ``path`` absent or complete, never
  partial. ``overwrite=True`` moves the old checkpoint aside only after the new one is
  complete; a kill between those two renames leaves ``path`` absent and the intact old
  checkpoint at ``.<name>.tmp-<random>/old``. A failed write (disk full, read-only, ...)
  removes its staging directory and raises :class:`CheckpointError`; ``path`` is unchanged.
* Synchronous: everything is on disk (as far as process crashes go) when ``write``
  returns. Durability against power loss is not promised (directories are not fsynced).
* Integrity: Orbax does not detect bit flips, so every array's SHA-256 is stored and
  verified on read, as are dtype and shape; the metadata is checksummed too and validated
  against a strict schema (types, ranges, consistency with Orbax's own array metadata)
  before anything is allocated. Any read failure becomes :class:`CheckpointError`. The
  checksums detect damage, not forgery: whoever can write the files can recompute them.
* Safe loading: only JSON and Orbax array data are read; no pickle, no code is run. Only
  regular files are opened (a FIFO, device or socket is refused without being read; links
  are refused inside ``arrays/``), and ``meta.json`` is read only up to
  :data:`MAX_META_BYTES`.
* Series (:class:`CheckpointSeries`): one writer per directory, enforced by an advisory lock
  (``<directory>/.lock``, released when the writer closes or dies). The writer prunes a step only
  after the newer one is committed; readers take no lock, never mistake a step pruned while they read
  it for damage, and never find no step while the writer keeps one (a listing made stale by pruning is
  taken again). The lock file is opened without
  following links and used only if it is a regular file of this user with one name, so a planted
  link or hard link cannot make the writer change a file outside the directory.

Past one process (``jax.distributed``), every process calls ``write`` with the same arrays and one
checkpoint is written, through Orbax's multi-process save, on a file system all processes share; see
``_write_together``. Every process may read it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import math
import operator
import os
import re
import shutil
import stat
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import (
    CheckpointError,
    CheckpointExistsError,
    CheckpointLockedError,
    CheckpointNotFoundError,
    CheckpointWarning,
    bad_value,
)

__all__ = ["FORMAT_VERSION", "MAX_META_BYTES", "CheckpointError", "CheckpointSeries", "read", "read_meta",
           "resolve_path", "sha256", "write"]

FORMAT_VERSION = 2  # 2: metadata checksum; 1 (jaxsnn 0.1): none, read with a warning
MAX_META_BYTES = 64 * 2**20  # meta.json larger than this is refused unread
_MAX_DIM = 2**48  # no real array has a longer axis; bounds the integer arithmetic of shapes
_MAX_NDIM = 32
_DTYPE_KINDS = "biufc"  # bool, signed/unsigned int, float, complex: all Orbax stores.
_KEY_RE = re.compile(r"a[0-9]{1,9}")
_STEP_RE = re.compile(r"[0-9]{1,18}")
_SHA_RE = re.compile(r"[0-9a-f]{64}")
_RECORD_KEYS = {1: {"format_version", "versions", "arrays", "user"},
                2: {"format_version", "versions", "arrays", "user", "meta_sha256"}}
_ENTRY_KEYS = {"key", "dtype", "shape", "sha256"}
_LOCK = ".lock"
_LISTINGS = 100  # listings of a series' directory that may each be made stale by the writer's pruning
_HELD_BY_FIRST = object()  # a series' lock in the processes of a jax.distributed run other than process 0


def resolve_path(path: str | os.PathLike, name: str = "path") -> Path:
    """``path`` as an absolute :class:`~pathlib.Path`: ``~`` expanded, relative to the current directory.

    Symbolic links are kept (a checkpoint replaced through a link replaces the link's target's entry).
    Raises TypeError for a non-path and :class:`~jaxsnn.JaxsnnError` for an empty one."""
    try:
        p = os.fspath(path)
    except TypeError:
        raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__} {path!r}") from None
    if not isinstance(p, str):
        raise TypeError(f"{name} must be a str or os.PathLike giving a str, got {type(p).__name__} {p!r}")
    if not p or "\0" in p:
        raise bad_value(name, path, "a non-empty path without NUL characters")
    return Path(os.path.expanduser(p)).absolute()


def write(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any],
          *, overwrite: bool = False) -> int:
    """Write ``arrays`` and ``meta`` as a checkpoint directory at ``path``.

    Arrays are stored C-contiguous in native byte order. ``meta`` must hold plain JSON
    types: numpy scalars are converted to Python scalars and tuples to lists; anything
    else (numpy arrays included) raises TypeError naming the key. Raises
    :class:`CheckpointExistsError` (a ``FileExistsError``) if ``path`` exists, unless
    ``overwrite`` (then it is replaced atomically, see the module docstring), and
    :class:`CheckpointError` if writing fails (the previous content of ``path`` is kept).
    Returns the checkpoint's size in bytes (sum of file sizes).
    """
    path = resolve_path(path)
    index, count = _processes()
    if count == 1 and not overwrite and os.path.lexists(path):
        raise _exists(path)
    record, tree = _prepare(arrays, meta)
    if count > 1:
        return _write_together(path, record, tree, overwrite, index)
    staging = None
    try:
        staging = _staging(path)
        size = _commit(path, staging, record, tree, overwrite)
    except CheckpointError:
        raise
    except Exception as exc:  # OSError, tensorstore's ValueError on a full disk, ...
        raise _failed(path, exc) from exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return size


def _exists(path: Path) -> CheckpointExistsError:
    return CheckpointExistsError(f"{path}: a checkpoint (or another file) is already there; "
                                 "pass overwrite=True to replace it")


def _failed(path: Path, exc: BaseException) -> CheckpointError:
    return CheckpointError(f"cannot write checkpoint {path}: {_describe(exc)}; what was at {path} before is unchanged")


def _staging(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    (staging / "new").mkdir()
    return staging


def _save_arrays(new: Path, tree: dict) -> None:
    if tree:  # Orbax refuses an empty tree.
        import orbax.checkpoint as ocp  # on first use: it costs ~30 MiB and 0.5 s to import
        with ocp.Checkpointer(ocp.StandardCheckpointHandler()) as ckptr:
            ckptr.save(new / "arrays", args=ocp.args.StandardSave(tree))


def _commit(path: Path, staging: Path, record: dict, tree: dict, overwrite: bool, arrays_saved: bool = False) -> int:
    """Write the staged checkpoint (its arrays unless already saved) and move it to ``path``; its size."""
    new, old = staging / "new", staging / "old"
    (new / "meta.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    if not arrays_saved:
        _save_arrays(new, tree)
    if os.path.lexists(path):
        if not overwrite:
            raise CheckpointExistsError(f"{path}: a checkpoint appeared there while this one was written")
        os.rename(path, old)
    try:
        os.rename(new, path)
    except BaseException:
        if os.path.lexists(old):
            os.rename(old, path)
        raise
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def _processes() -> tuple[int, int]:
    """(this process's index, the number of processes) of the JAX distributed runtime, if JAX is in use."""
    import sys

    jax = sys.modules.get("jax")
    return (jax.process_index(), jax.process_count()) if jax is not None else (0, 1)


def _from_first(value: np.ndarray) -> np.ndarray:
    """Process 0's ``value`` (a fixed-shape array), on every process."""
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.broadcast_one_to_all(value))


def _write_together(path: Path, record: dict, tree: dict, overwrite: bool, index: int) -> int:
    """``write`` called by every process of a ``jax.distributed`` run with the same arrays (the same
    checkpoint): one checkpoint on a file system they share. Process 0 stages it and names the staging
    directory to the others; all take part in Orbax's multi-process save (which lets process 0 write host
    arrays); process 0 commits, and tells the others whether it succeeded."""
    name, problem, staging = np.zeros(256, np.uint8), "", None
    if index == 0:
        try:
            if not overwrite and os.path.lexists(path):
                raise _exists(path)
            staging = _staging(path)
            raw = staging.name.encode()
            name[:len(raw)] = np.frombuffer(raw, np.uint8)
        except Exception as exc:
            problem = str(exc) if isinstance(exc, CheckpointError) else str(_failed(path, exc))
    name = _from_first(name)
    if not name.any():
        raise CheckpointError(problem or f"cannot write checkpoint {path}: process 0 could not start it (see its "
                              "error)")
    shared = path.parent / bytes(name[name > 0]).decode()
    size = np.zeros(2, np.int64)
    try:
        _save_arrays(shared / "new", tree)
        saved = True
    except Exception as exc:
        saved, problem = False, str(_failed(path, exc))
    if index == 0:
        try:
            if saved:
                size[:] = 1, _commit(path, staging, record, tree, overwrite, arrays_saved=True)
        except Exception as exc:
            problem = str(exc) if isinstance(exc, CheckpointError) else str(_failed(path, exc))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    size = _from_first(size)
    if not size[0]:
        raise CheckpointError(problem or f"cannot write checkpoint {path}: process 0 could not finish it (see its "
                              "error); what was there before is unchanged")
    return int(size[1])


def read(path: str | os.PathLike, names: Iterable[str] | None = None
         ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read all arrays, or only ``names``, into host numpy arrays; return (arrays, meta).

    ``meta`` is the dict given to ``write`` (after its JSON conversion); ``read_meta`` gives
    the full record. A partial read does not read the other arrays' data. Every returned
    array is checked against the stored dtype, shape and SHA-256. Raises CheckpointError
    on any damage or unknown name (:class:`CheckpointNotFoundError` if there is no checkpoint).
    """
    path = resolve_path(path)
    record = read_meta(path)
    entries = record["arrays"]
    names = list(entries) if names is None else [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if not isinstance(n, str) or n not in entries]
    if unknown:
        raise CheckpointError(f"{path}: no array(s) {unknown}; available: {list(entries)}")
    keys = [entries[n]["key"] for n in names if entries[n]["key"] is not None]
    try:
        data = _restore_arrays(path, names, keys, entries) if keys else {}
    except CheckpointError as exc:
        if not os.path.lexists(path):  # pruned or deleted while read: not damage
            raise CheckpointNotFoundError(f"{path}: the checkpoint was removed while it was read (pruned by "
                                          "the writer of its series?)") from exc
        raise
    out = {}
    for n in names:
        e = entries[n]
        a = data[e["key"]] if e["key"] is not None else np.empty(e["shape"], e["dtype"])
        _verify(path, n, a, e)
        out[n] = a
    return out, record["user"]


def read_meta(path: str | os.PathLike) -> dict[str, Any]:
    """Return the validated JSON metadata record of a checkpoint, without reading array data.

    Keys: ``format_version``, ``versions``, ``arrays`` (name -> key/dtype/shape/sha256) and
    ``user`` (the ``meta`` given to ``write``). Raises :class:`CheckpointNotFoundError` if
    ``path`` does not exist, :class:`CheckpointError` if it is not a checkpoint directory or its
    metadata is missing, not a regular file, too large, garbled, fails its checksum or schema,
    or is of a newer format.
    """
    path = resolve_path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise CheckpointNotFoundError(f"{path}: no checkpoint there (no such file or directory)") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot access the checkpoint: {_describe(exc)}") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise CheckpointError(f"{path} is not a checkpoint: a checkpoint is a directory, this is a "
                              f"{_kind(st.st_mode)}")
    raw = _read_regular(path / "meta.json", MAX_META_BYTES)
    try:
        record = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:  # JSON, UTF-8 and duplicate-key errors; absurd nesting
        raise CheckpointError(f"{path}: cannot read metadata meta.json: {_describe(exc)}") from exc
    _validate(path, record)
    return record


def sha256(a: np.ndarray) -> str:
    """The SHA-256 stored for an array: of its bytes, C order, native byte order."""
    a = np.asarray(a)
    a = np.asarray(a, dtype=a.dtype.newbyteorder("="), order="C")
    return hashlib.sha256(a.reshape(-1).view(np.uint8)).hexdigest()


class CheckpointSeries:
    """Numbered checkpoints of one run, ``<directory>/<step>/``, keeping the ``keep`` highest.

    Each step is written with ``write``, so a step directory exists only once complete:
    a process killed during ``save`` leaves the previous steps intact, and its hidden
    staging directory is ignored and removed by the next ``save``.

    One writer per directory: the first ``save`` (or :meth:`acquire`) takes an exclusive
    lock on ``<directory>/.lock`` and holds it until :meth:`close` (or the end of a ``with``
    block, or the process); another writer gets :class:`CheckpointLockedError`. The lock is
    advisory (``flock``): it binds jaxsnn writers, is released by the kernel when the writer
    dies, and is not reliable on every network file system. Readers (``steps``, ``restore``)
    take no lock and never modify the directory; constructing a series creates nothing.
    Past one process (``jax.distributed``), the run's processes are one writer: every process
    calls ``save`` (one checkpoint per step), process 0 holds the lock, tidies and prunes.
    """

    def __init__(self, directory: str | os.PathLike, keep: int = 3):
        try:
            keep = operator.index(keep)
        except TypeError:
            raise bad_value("keep", keep, "an integer >= 1 (checkpoints kept)") from None
        if keep < 1:
            raise bad_value("keep", keep, "an integer >= 1 (checkpoints kept)")
        self.directory = resolve_path(directory, "directory")
        self.keep = keep
        self._lock_fd = None

    # ------------------------------------------------------------------ reading
    def steps(self) -> list[int]:
        """Complete steps, ascending ([] if the directory does not exist).

        The steps of one listing of the directory. A step that the writer prunes between the listing and
        the check that it is a directory makes the listing stale: the writer commits a newer step before
        it prunes an older one, so the directory is listed again (that listing holds the newer step), and
        a reader never sees no step while the writer keeps one."""
        for _ in range(_LISTINGS):
            try:
                names = [n for n in os.listdir(self.directory) if _STEP_RE.fullmatch(n)]
            except FileNotFoundError:
                return []
            except OSError as exc:
                raise CheckpointError(f"cannot list checkpoint directory {self.directory}: {_describe(exc)}") from exc
            steps = [int(n) for n in names if os.path.isdir(self.directory / n)]
            if len(steps) == len(names) or all(os.path.lexists(self.directory / n) for n in names):
                return sorted(steps)  # nothing listed has vanished (a file named like a step is no step)
        raise CheckpointError(f"{self.directory}: a listed step was pruned before it was checked in each of "
                              f"{_LISTINGS} listings (a writer saving faster than the directory can be listed)")

    def latest_step(self) -> int | None:
        """The highest complete step, or None."""
        steps = self.steps()
        return steps[-1] if steps else None

    def restore(self, step: int | None = None, names: Iterable[str] | None = None
                ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """``read`` the given step (default: latest) -> (arrays, meta).

        :class:`CheckpointNotFoundError` if there is none (or the step was pruned by the writer
        while being read); a step pruned while the latest was read makes it read the new latest."""
        if step is not None:
            step = self._step(step)
            try:
                return read(self._path(step), names)
            except CheckpointError as exc:
                if self._pruned(step):
                    raise CheckpointNotFoundError(f"{self._path(step)}: step {step} was removed (pruned by the "
                                                  "series' writer) while it was read") from exc
                raise
        for _ in range(100):  # a fast writer may prune the latest step again and again
            latest = self.latest_step()
            if latest is None:
                raise CheckpointNotFoundError(f"{self.directory}: no complete checkpoint there")
            try:
                return read(self._path(latest), names)
            except CheckpointError:
                if not self._pruned(latest):
                    raise
        raise CheckpointError(f"{self.directory}: every latest step was pruned while it was read (100 tries)")

    # ------------------------------------------------------------------ writing
    def acquire(self) -> CheckpointSeries:
        """Become the directory's only writer (created if missing); :class:`CheckpointLockedError` if taken."""
        if self._lock_fd is not None:
            return self
        index, count = _processes()
        if count > 1:  # one run of several processes is one writer: process 0 holds the lock for all
            problem = ""
            if index == 0:
                try:
                    self._lock()
                except CheckpointError as exc:
                    problem = str(exc)
            if not _from_first(np.array([0 if problem else 1]))[0]:
                raise CheckpointLockedError(problem or f"{self.directory}: process 0 could not become its writer "
                                            "(see its error)")
            if index:
                self._lock_fd = _HELD_BY_FIRST
            return self
        return self._lock()

    def _lock(self) -> CheckpointSeries:
        try:
            import fcntl
        except ImportError:  # no flock (Windows): no lock
            fcntl = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CheckpointError(f"cannot write checkpoints to {self.directory}: {_describe(exc)}") from exc
        fd = _open_lock(self.directory / _LOCK)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            raise CheckpointLockedError(
                f"{self.directory} is being written by another checkpoint writer ({holder}; lock file "
                f"{self.directory / _LOCK}): one writer per directory at a time. Wait for it to finish, "
                "stop it, or write to another directory.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {os.uname().nodename}\n".encode(), 0)
        self._lock_fd = fd
        return self

    def close(self) -> None:
        """Release the writer lock (the lock file stays; deleting it would let two writers in)."""
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None and fd is not _HELD_BY_FIRST:
            os.close(fd)  # closing releases the flock

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:  # at interpreter exit os may be gone; the kernel releases the lock anyway
            self.close()
        except (TypeError, AttributeError, OSError):  # no contextlib here: at exit it may be gone too
            pass

    def save(self, step: int, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> int:
        """Write ``step`` (:class:`CheckpointExistsError` if present), then prune to ``keep`` steps; return bytes.

        Takes the writer lock first (see the class docstring)."""
        step = self._step(step)
        self.acquire()
        first = _processes()[0] == 0  # past one process, process 0 tidies and prunes; all write
        for p in self.directory.iterdir() if first else ():  # leftovers of crashed saves (only we write here)
            if p.name.startswith(".") and ".tmp-" in p.name:
                shutil.rmtree(p, ignore_errors=True)
        nbytes = write(self._path(step), arrays, meta)
        for old in self.steps()[:-self.keep] if first else ():
            try:
                trash = Path(tempfile.mkdtemp(prefix=f".{old}.tmp-", dir=self.directory))
                os.rename(self._path(old), trash / "old")  # a step vanishes atomically
                shutil.rmtree(trash, ignore_errors=True)
            except OSError as exc:
                raise CheckpointError(f"step {step} was saved, but pruning step {old} from {self.directory} "
                                      f"failed: {_describe(exc)}") from exc
        return nbytes

    def _step(self, step) -> int:
        try:
            step = operator.index(step)  # numpy ints are fine, floats are not
        except TypeError:
            raise TypeError(f"step must be an integer, got {type(step).__name__} {step!r}") from None
        if step < 0:
            raise bad_value("step", step, "an integer >= 0")
        return step

    def _path(self, step: int) -> Path:
        return self.directory / str(step)

    def _pruned(self, step: int) -> bool:
        return not os.path.lexists(self._path(step))


# ---------------------------------------------------------------------------------------- helpers
def _prepare(arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]
             ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Build the JSON record and the Orbax tree {key: C-contiguous native-endian array}."""
    if not isinstance(arrays, Mapping):
        raise TypeError(f"arrays must be a mapping of name -> array, got {type(arrays).__name__}")
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a mapping, got {type(meta).__name__}")
    entries, tree = {}, {}
    for i, (name, value) in enumerate(arrays.items()):
        if not isinstance(name, str):
            raise TypeError(f"array names must be str, got {name!r}")
        a = np.asarray(value)
        if a.dtype.kind not in _DTYPE_KINDS:
            raise TypeError(f"array {name!r}: unsupported dtype {a.dtype}")
        a = np.asarray(a, dtype=a.dtype.newbyteorder("="), order="C")
        key = f"a{i}" if a.size else None
        if key is not None:
            tree[key] = a
        entries[name] = {"key": key, "dtype": a.dtype.str, "shape": list(a.shape), "sha256": sha256(a)}
    record = {"format_version": FORMAT_VERSION, "versions": _versions(),
              "arrays": entries, "user": _plain(meta, "meta")}
    record["meta_sha256"] = _meta_digest(record)
    return record, tree


def _meta_digest(record: dict) -> str:
    """SHA-256 of the record without its digest, in canonical JSON (content, not formatting)."""
    body = {k: v for k, v in record.items() if k != "meta_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _plain(obj: Any, where: str) -> Any:
    """Copy ``obj`` as plain JSON types (numpy scalars -> Python); TypeError names the key."""
    if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: key {k!r} is not a str (JSON keys must be str)")
            out[k] = _plain(v, f"{where}[{k!r}]")
        return out
    if isinstance(obj, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    raise TypeError(f"{where} is a {type(obj).__name__}, which is not JSON-serialisable; "
                    "use plain Python types (put arrays in `arrays`)")


def _read_regular(file: Path, limit: int) -> bytes:
    """The bytes of ``file`` if it is a regular file (links followed) of at most ``limit`` bytes.

    Anything else (FIFO, device, socket, directory) is refused before it is opened; opening is
    non-blocking and the type is checked again on the open descriptor (the file may be swapped)."""
    try:
        st = os.stat(file)
        if not stat.S_ISREG(st.st_mode):
            raise CheckpointError(f"{file} is a {_kind(st.st_mode)}, not a regular file; refusing to read it")
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise CheckpointError(f"{file.parent}: damaged checkpoint, its metadata file {file.name} is missing") from None
    except OSError as exc:
        raise CheckpointError(f"cannot read {file}: {_describe(exc)}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise CheckpointError(f"{file} is a {_kind(st.st_mode)}, not a regular file; refusing to read it")
        if st.st_size > limit:
            raise CheckpointError(f"{file} is {st.st_size} bytes, more than the {limit} bytes checkpoint "
                                  "metadata may have; refusing to read it")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise CheckpointError(f"{file} grew beyond {limit} bytes while it was read; refusing it")
        return b"".join(chunks)
    except OSError as exc:
        raise CheckpointError(f"cannot read {file}: {_describe(exc)}") from exc
    finally:
        os.close(fd)


def _open_lock(file: Path) -> int:
    """A descriptor of the lock file ``file``, created if missing, opened without following a link and
    only if it is a regular file of this user with no other name (so writing the pid into it changes
    nothing outside the checkpoint directory); CheckpointError naming what it is otherwise."""
    flags = (os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
             | getattr(os, "O_CLOEXEC", 0))
    refuse = "; refusing to use it as the checkpoint writer's lock file. Remove it (it is not jaxsnn's) and retry."
    try:
        if os.path.islink(file):  # O_NOFOLLOW refuses it too (ELOOP); this names it
            raise CheckpointError(f"{file} is a link (to {os.readlink(file)}){refuse}")
        fd = os.open(file, flags, 0o644)
    except CheckpointError:
        raise
    except OSError as exc:
        if os.path.islink(file):  # planted between the check and the open
            raise CheckpointError(f"{file} is a link{refuse}") from None
        raise CheckpointError(f"cannot open the checkpoint writer's lock file {file}: {_describe(exc)}") from exc
    st = os.fstat(fd)
    problem = (f"is a {_kind(st.st_mode)}" if not stat.S_ISREG(st.st_mode)
               else f"belongs to user id {st.st_uid}, not to this user ({os.getuid()})"
               if hasattr(os, "getuid") and st.st_uid != os.getuid()
               else f"has {st.st_nlink} names (a hard link to another file)" if st.st_nlink != 1 else None)
    if problem:
        os.close(fd)
        raise CheckpointError(f"{file} {problem}{refuse}")
    os.set_blocking(fd, True)
    return fd


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO (named pipe)"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISLNK, "symbolic link"), (stat.S_ISREG, "regular file")):
        if test(mode):
            return name
    return "special file"


def _no_duplicates(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ValueError(f"duplicate key {dup!r}")
    return out


def _check_tree(root: Path) -> None:
    """Refuse Orbax's directory unless it holds only directories and regular files (no FIFO blocks a read)."""
    if root.is_symlink():
        raise CheckpointError(f"{root.parent}: its array data directory {root.name}/ is a link (to "
                              f"{os.readlink(root)}); a checkpoint holds its data itself. Refusing to read it.")
    if not root.is_dir():
        raise CheckpointError(f"{root.parent}: damaged checkpoint, its array data directory {root.name}/ is missing")
    n = 0

    def fail(exc):
        raise CheckpointError(f"{root.parent}: cannot list the array data: {_describe(exc)}") from exc
    for d, dirs, files in os.walk(root, onerror=fail):
        for name in dirs + files:
            p = os.path.join(d, name)
            try:
                mode = os.lstat(p).st_mode
            except OSError as exc:
                fail(exc)
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                raise CheckpointError(f"{p} is a {_kind(mode)}; a checkpoint's array data holds only regular "
                                      "files and directories. Refusing to read it.")
            n += 1
            if n > 1_000_000:
                raise CheckpointError(f"{root} holds more than a million files; not a jaxsnn checkpoint")


def _restore_arrays(path: Path, names: list[str], keys: list[str],
                    entries: dict[str, Any]) -> dict[str, np.ndarray]:
    """Read ``keys`` from the Orbax item as numpy arrays; any failure -> CheckpointError.

    The declared shapes and dtypes are checked against Orbax's own metadata before any
    memory is allocated for them."""
    import orbax.checkpoint as ocp

    _check_tree(path / "arrays")
    by_key = {e["key"]: (n, e) for n, e in entries.items()}
    try:
        with ocp.Checkpointer(ocp.PyTreeCheckpointHandler()) as ckptr:
            stored = ckptr.metadata(path / "arrays").item_metadata.tree
            for k in keys:
                n, e = by_key[k]
                m = stored.get(k) if isinstance(stored, Mapping) else None
                if m is None:
                    raise CheckpointError(f"{path}: damaged checkpoint, the array data lacks array {n!r} ({k})")
                if list(m.shape) != e["shape"] or np.dtype(m.dtype) != np.dtype(e["dtype"]):
                    raise CheckpointError(f"{path}: array {n!r} is {np.dtype(m.dtype)}{list(m.shape)} in the array "
                                          f"data, but the metadata says {np.dtype(e['dtype'])}{e['shape']}")
            item = {k: np.empty(by_key[k][1]["shape"], by_key[k][1]["dtype"]) for k in keys}
            restore_args = {k: ocp.RestoreArgs(restore_type=np.ndarray) for k in keys}
            return ckptr.restore(path / "arrays", args=ocp.args.PyTreeRestore(
                item=item, restore_args=restore_args, partial_restore=True))
    except CheckpointError:
        raise
    except MemoryError as exc:
        nbytes = sum(math.prod(by_key[k][1]["shape"]) * np.dtype(by_key[k][1]["dtype"]).itemsize for k in keys)
        raise CheckpointError(f"{path}: not enough memory to read array(s) {names} ({nbytes} bytes)") from exc
    except Exception as exc:
        raise CheckpointError(f"{path}: cannot read array(s) {names}: {_describe(exc)}") from exc


def _validate(path: Path, record: Any) -> None:
    """Check the metadata record's checksum, schema and version; CheckpointError naming what is wrong."""
    if not isinstance(record, dict) or type(record.get("format_version")) is not int:
        raise CheckpointError(f"{path}: metadata meta.json is not a jaxsnn checkpoint record "
                              "(no integer format_version)")
    version = record["format_version"]
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {version} is newer than the formats this jaxsnn reads "
                              f"(1 to {FORMAT_VERSION}); upgrade jaxsnn to read it")
    if version < 1:
        raise CheckpointError(f"{path}: checkpoint format {version} does not exist (known: 1 to {FORMAT_VERSION})")
    expected = _RECORD_KEYS[version]
    if set(record) != expected:
        raise CheckpointError(f"{path}: damaged metadata (format {version}): entries "
                              f"{sorted(set(record) - expected)} unexpected, {sorted(expected - set(record))} missing")
    if version >= 2:
        digest = record["meta_sha256"]
        if not (isinstance(digest, str) and _SHA_RE.fullmatch(digest)) or digest != _meta_digest(record):
            raise CheckpointError(f"{path}: damaged metadata: meta.json does not match its checksum meta_sha256")
    else:
        warnings.warn(CheckpointWarning(
            f"{path}: checkpoint format 1 has no metadata checksum: its meta.json is validated but damage to it "
            "may go unnoticed; save it again to upgrade it to format 2"), stacklevel=4)
    versions, user, entries = record["versions"], record["user"], record["arrays"]
    if not (isinstance(versions, dict) and all(isinstance(v, str) for v in versions.values())):
        raise CheckpointError(f"{path}: damaged metadata: 'versions' is not a mapping of package -> version")
    if not isinstance(user, dict):
        raise CheckpointError(f"{path}: damaged metadata: 'user' is a {type(user).__name__}, not a mapping")
    if not isinstance(entries, dict):
        raise CheckpointError(f"{path}: damaged metadata: 'arrays' is a {type(entries).__name__}, not a mapping")
    keys = set()
    for name, e in entries.items():
        problem = _entry_problem(e)
        if problem is None and e["key"] is not None:
            problem = f"key {e['key']!r} used twice" if e["key"] in keys else None
            keys.add(e["key"])
        if problem:
            raise CheckpointError(f"{path}: damaged metadata for array {name!r}: {problem} (entry {e!r:.300})")


def _entry_problem(e: Any) -> str | None:
    """What is wrong with one array entry of the record, or None."""
    if not isinstance(e, dict) or set(e) != _ENTRY_KEYS:
        return f"not a mapping with exactly the entries {sorted(_ENTRY_KEYS)}"
    key, dtype, shape, digest = e["key"], e["dtype"], e["shape"], e["sha256"]
    if not (key is None or (isinstance(key, str) and _KEY_RE.fullmatch(key))):
        return f"key {key!r} is neither null nor 'a<number>'"
    try:
        dt = np.dtype(dtype) if isinstance(dtype, str) else None
    except (TypeError, ValueError, SyntaxError):
        dt = None
    if dt is None or dt.kind not in _DTYPE_KINDS or dt.str != dtype:
        return f"dtype {dtype!r} is not a numeric numpy dtype string"
    if not (isinstance(shape, list) and len(shape) <= _MAX_NDIM
            and all(type(n) is int and 0 <= n <= _MAX_DIM for n in shape)):
        return f"shape {shape!r} is not a list of at most {_MAX_NDIM} integers from 0 to {_MAX_DIM}"
    if (math.prod(shape) == 0) != (key is None):
        return "zero-size arrays (and only they) have no key"
    if not (isinstance(digest, str) and _SHA_RE.fullmatch(digest)):
        return "sha256 is not 64 lower-case hex digits"
    return None


def _verify(path: Path, name: str, a: np.ndarray, e: dict[str, Any]) -> None:
    """Compare a restored array with its metadata entry; CheckpointError naming what differs."""
    if a.dtype != np.dtype(e["dtype"]) or list(a.shape) != e["shape"]:
        raise CheckpointError(f"{path}: array {name!r} is {a.dtype}{list(a.shape)}, "
                              f"metadata says {np.dtype(e['dtype'])}{e['shape']}")
    digest = sha256(a)
    if digest != e["sha256"]:
        raise CheckpointError(f"{path}: array {name!r} is corrupted: sha256 {digest[:16]}... "
                              f"differs from the stored {e['sha256'][:16]}...")


def _describe(exc: BaseException) -> str:
    """First line of the error, led by the OS error it carries (tensorstore hides ENOSPC in a long message)."""
    text = str(exc).strip()
    first = text.splitlines()[0][:300] if text else ""
    code = re.search(r"os_error_code='([0-9]+)'", text)
    cause = f"{os.strerror(int(code[1]))} (errno {code[1]}); " if code and not isinstance(exc, OSError) else ""
    return f"{cause}{type(exc).__name__}: {first}"


@functools.cache
def _versions() -> dict[str, str]:
    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "unknown"
    return {d: version(d) for d in ("jaxsnn", "jax", "orbax-checkpoint", "numpy")}
