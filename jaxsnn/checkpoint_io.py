"""Safe checkpoint I/O for named numpy arrays plus JSON metadata, stored through Orbax.

On-disk layout of one checkpoint directory::

    <path>/
      meta.json    JSON record, see below
      arrays/      Orbax StandardCheckpointHandler (OCDBT + zarr, zstd) of {"a0": ..., "a1": ...}

The JSON record is ``{"format_version": 1, "versions": {package: version},
"arrays": {name: {"key", "dtype", "shape", "sha256"}}, "user": <the caller's meta>}``.
Array names are arbitrary strings; Orbax only sees the generated keys "a0", "a1", ...
Zero-size arrays have no data on disk (Orbax cannot store them) and ``"key": null``;
without any non-empty array there is no ``arrays/``.

Guarantees:

* Atomic: a checkpoint is built in a hidden staging directory next to ``path``
  (``.<name>.tmp-<random>/``) and appears at ``path`` by a single rename, so a process
  killed at any moment (SIGKILL included) leaves ``path`` absent or complete, never
  partial. ``overwrite=True`` moves the old checkpoint aside only after the new one is
  complete; a kill between those two renames leaves ``path`` absent and the intact old
  checkpoint at ``.<name>.tmp-<random>/old``.
* Synchronous: everything is on disk (as far as process crashes go) when ``write``
  returns. Durability against power loss is not promised (directories are not fsynced).
* Integrity: Orbax does not detect bit flips, so every array's SHA-256 is stored and
  verified on read, as are dtype and shape; any read failure becomes ``CheckpointError``.
* Safe loading: only JSON and Orbax array data are read; no pickle, no code is run.

Single process only: the arrays are host numpy arrays written by one process.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import importlib.metadata
import json
import operator
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMAT_VERSION", "CheckpointError", "CheckpointSeries", "read", "read_meta", "write"]

FORMAT_VERSION = 1
_DTYPE_KINDS = "biufc"  # bool, signed/unsigned int, float, complex: all Orbax stores.
_KEY_RE = re.compile(r"a[0-9]+")
_STEP_RE = re.compile(r"[0-9]+")


class CheckpointError(ValueError):
    """A checkpoint is missing, damaged, inconsistent or from a newer format."""


def write(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any],
          *, overwrite: bool = False) -> int:
    """Write ``arrays`` and ``meta`` as a checkpoint directory at ``path``.

    Arrays are stored C-contiguous in native byte order. ``meta`` must hold plain JSON
    types: numpy scalars are converted to Python scalars and tuples to lists; anything
    else (numpy arrays included) raises TypeError naming the key. Raises FileExistsError
    if ``path`` exists, unless ``overwrite`` (then it is replaced atomically, see the
    module docstring). Returns the checkpoint's size in bytes (sum of file sizes).
    """
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(errno.EEXIST, "checkpoint already exists", str(path))
    record, tree = _prepare(arrays, meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        new, old = staging / "new", staging / "old"
        new.mkdir()
        (new / "meta.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
        if tree:  # Orbax refuses an empty tree.
            import orbax.checkpoint as ocp  # on first use: it costs ~30 MiB and 0.5 s to import
            with ocp.Checkpointer(ocp.StandardCheckpointHandler()) as ckptr:
                ckptr.save(new / "arrays", args=ocp.args.StandardSave(tree))
        if os.path.lexists(path):
            if not overwrite:
                raise FileExistsError(errno.EEXIST, "checkpoint already exists", str(path))
            os.rename(path, old)
        try:
            os.rename(new, path)
        except BaseException:
            if os.path.lexists(old):
                os.rename(old, path)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def read(path: str | os.PathLike, names: Iterable[str] | None = None
         ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read all arrays, or only ``names``, into host numpy arrays; return (arrays, meta).

    ``meta`` is the dict given to ``write`` (after its JSON conversion); ``read_meta`` gives
    the full record. A partial read does not read the other arrays' data. Every returned
    array is checked against the stored dtype, shape and SHA-256. Raises CheckpointError
    on any damage or unknown name.
    """
    path = Path(path)
    record = read_meta(path)
    entries = record["arrays"]
    names = list(entries) if names is None else [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in entries]
    if unknown:
        raise CheckpointError(f"{path}: no array(s) {unknown}; available: {list(entries)}")
    keys = [entries[n]["key"] for n in names if entries[n]["key"] is not None]
    data = _restore_arrays(path, names, keys, entries) if keys else {}
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
    ``user`` (the ``meta`` given to ``write``). Raises FileNotFoundError if ``path`` is not
    a directory, CheckpointError if the metadata is missing, garbled or too new.
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no checkpoint directory", str(path))
    try:
        record = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError covers JSON and UTF-8 decoding errors
        raise CheckpointError(f"{path}: cannot read metadata: {_describe(exc)}") from exc
    _validate(path, record)
    return record


class CheckpointSeries:
    """Numbered checkpoints of one run, ``<directory>/<step>/``, keeping the ``keep`` highest.

    Each step is written with ``write``, so a step directory exists only once complete:
    a process killed during ``save`` leaves the previous steps intact, and its hidden
    staging directory is ignored and removed by the next ``save``. Use one writing
    process per directory; readers never modify it.
    """

    def __init__(self, directory: str | os.PathLike, keep: int = 3):
        if keep < 1:
            raise ValueError(f"keep must be >= 1, got {keep}")
        self.directory = Path(directory)
        self.keep = keep
        self.directory.mkdir(parents=True, exist_ok=True)

    def steps(self) -> list[int]:
        """Complete steps, ascending."""
        return sorted(int(p.name) for p in self.directory.iterdir()
                      if _STEP_RE.fullmatch(p.name) and p.is_dir())

    def latest_step(self) -> int | None:
        """The highest complete step, or None."""
        steps = self.steps()
        return steps[-1] if steps else None

    def save(self, step: int, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> int:
        """Write ``step`` (FileExistsError if present), then prune to ``keep`` steps; return bytes."""
        step = operator.index(step)  # TypeError for non-integers; numpy ints are fine
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        for p in self.directory.iterdir():  # leftovers of crashed saves / deletions
            if p.name.startswith(".") and ".tmp-" in p.name:
                shutil.rmtree(p, ignore_errors=True)
        nbytes = write(self._path(step), arrays, meta)
        for old in self.steps()[:-self.keep]:
            trash = Path(tempfile.mkdtemp(prefix=f".{old}.tmp-", dir=self.directory))
            os.rename(self._path(old), trash / "old")  # a step vanishes atomically
            shutil.rmtree(trash)
        return nbytes

    def restore(self, step: int | None = None, names: Iterable[str] | None = None
                ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """``read`` the given step (default: latest) -> (arrays, meta). FileNotFoundError if none."""
        if step is None:
            step = self.latest_step()
            if step is None:
                raise FileNotFoundError(errno.ENOENT, "no complete checkpoint", str(self.directory))
        return read(self._path(step), names)

    def _path(self, step: int) -> Path:
        return self.directory / str(step)


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
        entries[name] = {"key": key, "dtype": a.dtype.str, "shape": list(a.shape),
                         "sha256": _sha256(a)}
    record = {"format_version": FORMAT_VERSION, "versions": _versions(),
              "arrays": entries, "user": _plain(meta, "meta")}
    return record, tree


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


def _restore_arrays(path: Path, names: list[str], keys: list[str],
                    entries: dict[str, Any]) -> dict[str, np.ndarray]:
    """Read ``keys`` from the Orbax item as numpy arrays; any failure -> CheckpointError."""
    import orbax.checkpoint as ocp

    by_key = {e["key"]: e for e in entries.values()}
    item = {k: np.empty(by_key[k]["shape"], by_key[k]["dtype"]) for k in keys}
    restore_args = {k: ocp.RestoreArgs(restore_type=np.ndarray) for k in keys}
    try:
        with ocp.Checkpointer(ocp.PyTreeCheckpointHandler()) as ckptr:
            return ckptr.restore(path / "arrays", args=ocp.args.PyTreeRestore(
                item=item, restore_args=restore_args, partial_restore=True))
    except Exception as exc:
        raise CheckpointError(f"{path}: cannot read array(s) {names}: {_describe(exc)}") from exc


def _validate(path: Path, record: Any) -> None:
    """Check the metadata record's structure and version; CheckpointError otherwise."""
    if not isinstance(record, dict) or not isinstance(record.get("format_version"), int):
        raise CheckpointError(f"{path}: metadata is not a jaxsnn checkpoint record")
    if record["format_version"] > FORMAT_VERSION:
        raise CheckpointError(f"{path}: format_version {record['format_version']} is newer than "
                              f"the supported {FORMAT_VERSION}; upgrade jaxsnn to read it")
    entries = record.get("arrays")
    if not isinstance(entries, dict) or not isinstance(record.get("user"), dict):
        raise CheckpointError(f"{path}: metadata lacks 'arrays' or 'user'")
    for name, e in entries.items():
        try:
            ok = ((e["key"] is None or _KEY_RE.fullmatch(e["key"]))
                  and np.dtype(e["dtype"]).kind in _DTYPE_KINDS
                  and all(isinstance(n, int) and n >= 0 for n in e["shape"])
                  and isinstance(e["sha256"], str))
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            raise CheckpointError(f"{path}: malformed metadata for array {name!r}: {e!r}")


def _verify(path: Path, name: str, a: np.ndarray, e: dict[str, Any]) -> None:
    """Compare a restored array with its metadata entry; CheckpointError naming what differs."""
    if a.dtype != np.dtype(e["dtype"]) or list(a.shape) != e["shape"]:
        raise CheckpointError(f"{path}: array {name!r} is {a.dtype}{list(a.shape)}, "
                              f"metadata says {np.dtype(e['dtype'])}{e['shape']}")
    digest = _sha256(a)
    if digest != e["sha256"]:
        raise CheckpointError(f"{path}: array {name!r} is corrupted: sha256 {digest[:16]}... "
                              f"differs from the stored {e['sha256'][:16]}...")


def _sha256(a: np.ndarray) -> str:
    return hashlib.sha256(np.asarray(a, order="C").reshape(-1).view(np.uint8)).hexdigest()


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


@functools.cache
def _versions() -> dict[str, str]:
    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "unknown"
    return {d: version(d) for d in ("jaxsnn", "jax", "orbax-checkpoint", "numpy")}
