"""Compiled simulation programs kept in the compilation cache folder, found without tracing.

JAX's persistent compilation cache (:mod:`jaxsnn.run.cache`) finds a program by a hash of its lowered
form: every fresh process first traces and lowers the simulation loop (0.1–0.2 s for a one-neuron
network, more for larger ones) only to find the program it already has. This store finds a compiled
program by what determines it *before* tracing:

* the function's name and the pytree structure of its arguments, whose static parts hold the
  :class:`~jaxsnn.core.types.Spec` (every choice the program is built for: sizes, capacities, models);
* the shape, dtype and weak type of every argument leaf and the device;
* JAX's and jaxlib's versions, the platform, ``XLA_FLAGS`` and every JAX setting;
* the source of jaxsnn and of the module of every class or function in the static parts (a model
  defined outside jaxsnn changes the key when its file changes).

A hit deserializes the executable (``jax.experimental.serialize_executable``) and checks that the
stored argument structure equals the call's (exactly, by ``==``, not by its text). A miss compiles the
program afresh, past JAX's cache: an executable that JAX read back from its cache serializes
incompletely (it fails when run), so only programs compiled in this process are stored. Static
parts whose text names a memory address (an object without a stable ``repr``) are not stored.

Size bound: the store's programs together take at most :func:`max_bytes` bytes (default
:data:`MAX_BYTES`, 1 GiB; ``$JAXSNN_PROGRAMS_MAX_BYTES``, :func:`set_max_bytes` or
``enable_compilation_cache(max_program_bytes=...)`` choose another). After each program is stored, the
least recently used ones go first (a program found in the store counts as used: its file's modification
time is renewed) until the rest fit; the program just stored is kept, and a program larger than the whole
bound is not stored. Temporary files left by a process killed while it wrote one are removed after an hour.
A program removed while another process reads it is still read whole (POSIX keeps an open file); one
removed before it is read is compiled again.

Like JAX's cache, the folder is trusted: a stored program is code that runs in this process.
"""
from __future__ import annotations

import hashlib
import operator
import os
import pathlib
import pickle
import secrets
import sys
import tempfile
import time

import jax
import numpy as np

from ..errors import bad_value

FOLDER = "jaxsnn-programs"
FORMAT = 1  # bump when what a file holds changes
MAX_BYTES = 2**30  # default bound of the stored programs' total size (a program takes 0.5-2 MiB)
ENV_MAX_BYTES = "JAXSNN_PROGRAMS_MAX_BYTES"
STALE_TMP_S = 3600.0  # a temporary file this old was left by a killed writer

_max_bytes: int | None = None  # set_max_bytes's bound; None: $JAXSNN_PROGRAMS_MAX_BYTES or MAX_BYTES

_memo: dict = {}  # (name, treedef, avals, device, settings) -> jax.stages.Compiled, this process's
_sources: dict = {}  # module name -> sha256 of its file


def call(jitted, name: str, *args):
    """``jitted(*args)`` through a stored program when the compilation cache is on, else ``jitted(*args)``.

    ``jitted``: a :func:`jaxsnn.core.engine.jit` of a function of ``args`` only (no static arguments),
    ``name``: a name unique to that function."""
    folder = jax.config.jax_compilation_cache_dir
    if not folder:
        return jitted(*args)
    leaves, treedef = jax.tree_util.tree_flatten(args)
    device = _device(leaves)
    avals = tuple((np.shape(x), str(x.dtype), bool(getattr(x, "weak_type", False))) for x in leaves)
    mk = (name, treedef, avals, device.id, jax.config.jax_enable_x64)
    compiled = _memo.get(mk)
    if compiled is None:
        compiled = _memo[mk] = _load_or_compile(jitted, name, args, treedef, avals, device, folder)
    if compiled is False:  # not storable: JAX's own path
        return jitted(*args)
    return compiled(*args)


def set_max_bytes(limit: int | None) -> None:
    """Bound the store's total size to ``limit`` bytes (an integer >= 0; 0 stores nothing), from the next
    program stored on; None goes back to ``$JAXSNN_PROGRAMS_MAX_BYTES`` or :data:`MAX_BYTES`."""
    global _max_bytes
    _max_bytes = None if limit is None else _bytes(limit, "max_program_bytes")


def max_bytes() -> int:
    """The store's size bound in bytes: :func:`set_max_bytes`'s, else ``$JAXSNN_PROGRAMS_MAX_BYTES``'s,
    else :data:`MAX_BYTES`."""
    if _max_bytes is not None:
        return _max_bytes
    raw = os.environ.get(ENV_MAX_BYTES, "").strip()
    return _bytes(raw, ENV_MAX_BYTES) if raw else MAX_BYTES


def _bytes(value, name: str) -> int:
    try:
        n = int(value) if isinstance(value, str) else None if isinstance(value, bool) else operator.index(value)
    except (TypeError, ValueError):
        n = None
    if n is None or n < 0:
        raise bad_value(name, value, "a whole number of bytes >= 0 (the stored programs' total size)")
    return n


def _device(leaves):
    for x in leaves:
        if isinstance(x, jax.Array):
            return next(iter(x.devices()))
    return jax.devices()[0]


def _load_or_compile(jitted, name, args, treedef, avals, device, folder):
    text = str(treedef)
    if " at 0x" in text:  # a static part without a stable repr: its key would differ in every process
        return False
    sources = _static_sources(treedef)
    if sources is None:
        return False
    key = hashlib.sha256("\n".join([str(FORMAT), name, text, repr(avals), _environment(device), sources])
                         .encode()).hexdigest()
    path = pathlib.Path(folder) / FOLDER / f"{name}-{key}.pkl"
    compiled = _load(path, treedef, device)
    if compiled is None:
        compiled = _compile(jitted, args)
        _store(path, compiled, treedef)
    return compiled


def _load(path, treedef, device):
    from jax.experimental import serialize_executable

    try:
        with open(path, "rb") as f:
            stored_tree, blob, in_tree, out_tree = pickle.load(f)
        if stored_tree != treedef:  # the same text, not the same structure: compile instead
            return None
        compiled = serialize_executable.deserialize_and_load(blob, in_tree, out_tree, execution_devices=[device])
    except Exception:  # missing, truncated, from another version: compiled again and rewritten
        return None
    try:
        os.utime(path)  # used now: the last to go when the store is over its bound
    except OSError:
        pass
    return compiled


def _compile(jitted, args):
    """A fresh compilation of ``jitted`` at ``args``. An executable that JAX read back from its persistent
    cache serializes incompletely (it fails when run), so JAX's caches must miss: the program is traced
    through a new function of a name of its own (its own trace, lowering and persistent-cache key), and
    JAX's cache is not written meanwhile (an entry under that name would never be read)."""
    from ..core.engine import jit

    fun = jitted.__wrapped__

    def fresh(*a):
        return fun(*a)

    fresh.__name__ = fresh.__qualname__ = f"{getattr(fun, '__name__', 'program')}_{secrets.token_hex(8)}"
    old = jax.config.jax_persistent_cache_min_compile_time_secs
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1e12)
    try:
        return jit(fresh).lower(*args).compile()
    finally:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", old)


def _store(path, compiled, treedef):
    from jax.experimental import serialize_executable

    try:
        blob, in_tree, out_tree = serialize_executable.serialize(compiled)
        data = pickle.dumps((treedef, blob, in_tree, out_tree), protocol=pickle.HIGHEST_PROTOCOL)
        limit = max_bytes()
        if len(data) > limit:  # it alone exceeds the bound
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as f:
            f.write(data)
        os.replace(f.name, path)  # whole files only: another process may be reading
        _prune(path.parent, limit, keep=path)
    except Exception:  # not serializable or not writable: this process keeps its program all the same
        pass


def _prune(folder: pathlib.Path, limit: int, keep: pathlib.Path | None = None) -> None:
    """Remove the least recently used programs of ``folder`` (oldest modification time first; the
    name breaks ties) until the rest take at most ``limit`` bytes; ``keep`` stays. Temporary files
    older than :data:`STALE_TMP_S` go too. Files removed meanwhile by another process are skipped."""
    programs, now = [], time.time()
    for p in folder.iterdir():
        try:
            st = p.lstat()
            if p.suffix == ".tmp" and now - st.st_mtime > STALE_TMP_S:
                p.unlink()
            elif p.suffix == ".pkl" and p.is_file():
                programs.append((st.st_mtime_ns, p.name, st.st_size, p))
        except FileNotFoundError:
            continue
    total = sum(size for _, _, size, _ in programs)
    for _, _, size, p in sorted(programs):
        if total <= limit:
            break
        if p != keep:
            p.unlink(missing_ok=True)
            total -= size


def _environment(device) -> str:
    import jaxlib

    settings = sorted((k, repr(v)) for k, v in jax.config.values.items())
    return repr((jax.__version__, jaxlib.__version__, device.platform, device.device_kind, device.id,
                 device.client.platform_version, os.environ.get("XLA_FLAGS", ""), settings))


def _static_sources(treedef) -> str | None:
    """sha256 over jaxsnn's source and the files of the modules of every class and function in the
    static parts of ``treedef``; None if one of them has no file."""
    modules = {"jaxsnn"}
    _collect(treedef, modules, set())
    parts = []
    for m in sorted(modules):
        h = _source_hash(m)
        if h is None:
            return None
        parts.append(f"{m}:{h}")
    return "\n".join(parts)


def _collect(treedef, modules, seen):
    try:
        kind, aux = treedef.node_data()
    except Exception:  # a leaf
        return
    _module_of(kind, modules)
    _walk(aux, modules, seen, 0)
    for child in treedef.children():
        _collect(child, modules, seen)


_PLAIN = (int, float, complex, str, bytes, bool, type(None), np.generic, np.dtype)


def _walk(obj, modules, seen, depth):
    if isinstance(obj, _PLAIN) or id(obj) in seen or depth > 8:
        return
    seen.add(id(obj))
    _module_of(type(obj), modules)
    if callable(obj) and not isinstance(obj, type):
        _module_of(obj, modules)
    if isinstance(obj, (tuple, list, set, frozenset)):
        items = obj
    elif isinstance(obj, dict):
        items = [*obj.keys(), *obj.values()]
    elif hasattr(obj, "__dict__"):
        items = list(vars(obj).values())
    else:
        items = [getattr(obj, s) for s in getattr(type(obj), "__slots__", ()) if hasattr(obj, s)]
    for x in items:
        _walk(x, modules, seen, depth + 1)


def _module_of(obj, modules):
    m = getattr(obj, "__module__", None)
    if not m or m == "builtins" or m.split(".")[0] in ("jaxsnn", "jax", "jaxlib", "numpy", "functools"):
        return
    modules.add(m)


def _source_hash(module: str) -> str | None:
    if module not in _sources:
        _sources[module] = _hash_module(module)
    return _sources[module]


def _hash_module(module: str) -> str | None:
    h = hashlib.sha256()
    if module == "jaxsnn":
        root = pathlib.Path(__file__).resolve().parents[1]
        for p in sorted(root.rglob("*.py")):
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
        return h.hexdigest()
    file = getattr(sys.modules.get(module), "__file__", None)
    if not file or not os.path.isfile(file):
        return None
    h.update(pathlib.Path(file).read_bytes())
    return h.hexdigest()
