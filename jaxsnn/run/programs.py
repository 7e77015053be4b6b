"""Compiled simulation programs kept in the compilation cache folder, found without tracing.

JAX's persistent compilation cache (:mod:`jaxsnn.run.cache`) finds a program by a hash of its lowered
form: every fresh process first traces and lowers the simulation loop (0.1–0.2 s for a one-neuron
network, more for larger ones) only to find the program it already has. This store finds a compiled
program by what determines it *before* tracing:

* the function's name and the pytree structure of its arguments, whose static parts hold the
  :class:`~jaxsnn.core.types.Spec` (every choice the program is built for: sizes, capacities, models);
* the shape, dtype and weak type of every argument leaf, and where it lies: its device, or for a
  network split over devices its sharding (the mesh's devices in order, its axes and the partition);
* the program's devices in order (its device assignment), the number of devices and processes, JAX's
  and jaxlib's versions, the platform, ``XLA_FLAGS`` and every JAX setting. A process with another
  device count or another split misses and compiles its own program; a stored program is loaded onto the
  devices it was compiled for, and only if its argument shardings are the call's.
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

Past one process (``jax.distributed``) nothing is stored or loaded: every process compiles, as JAX does.
:func:`prepare` finds or compiles a program for arguments given as ``jax.ShapeDtypeStruct`` (with their
sharding), before the arrays exist; a later :func:`call` with arrays of those shapes and places runs it.

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
FORMAT = 2  # bump when what a file holds changes
MAX_BYTES = 2**30  # default bound of the stored programs' total size (a program takes 0.5-2 MiB)
ENV_MAX_BYTES = "JAXSNN_PROGRAMS_MAX_BYTES"
STALE_TMP_S = 3600.0  # a temporary file this old was left by a killed writer

_max_bytes: int | None = None  # set_max_bytes's bound; None: $JAXSNN_PROGRAMS_MAX_BYTES or MAX_BYTES

_memo: dict = {}  # (name, treedef, avals, shardings, settings) -> jax.stages.Compiled, this process's
_sources: dict = {}  # module name -> sha256 of its file


def call(jitted, name: str, *args):
    """``jitted(*args)`` through a stored program when the compilation cache is on, else ``jitted(*args)``.

    ``jitted``: a :func:`jaxsnn.core.engine.jit` of a function of ``args`` only (no static arguments),
    ``name``: a name unique to that function."""
    compiled = prepare(jitted, name, *args)
    return jitted(*args) if compiled is None else compiled(*args)


def prepare(jitted, name: str, *args):
    """The compiled program of ``jitted`` for ``args`` (arrays, or ``jax.ShapeDtypeStruct`` with their
    shardings): this process's, else the stored one, else compiled now (and stored). None when the
    compilation cache is off or the program cannot be stored (JAX's own path then)."""
    folder = jax.config.jax_compilation_cache_dir
    if not folder:
        return None
    leaves, treedef = jax.tree_util.tree_flatten(args)
    avals = tuple((np.shape(x), str(x.dtype), bool(getattr(x, "weak_type", False))) for x in leaves)
    where = tuple(_sharding(x) for x in leaves)
    mk = (name, treedef, avals, where, jax.config.jax_enable_x64)
    compiled = _memo.get(mk)
    if compiled is None:
        compiled = _memo[mk] = _load_or_compile(jitted, name, args, treedef, avals, where, folder)
    return compiled or None  # False: not storable


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


def _sharding(x):
    """Where an argument leaf lies: its sharding (a jax array's, or a ShapeDtypeStruct's), None for a
    host value (placed as the program chooses)."""
    return getattr(x, "sharding", None) if isinstance(x, (jax.Array, jax.ShapeDtypeStruct)) else None


def _assignment(where) -> tuple:
    """The program's devices in order: those of the first sharding over several devices (a split
    network's mesh), else of the first sharding, else the default device."""
    found = [s._device_assignment for s in where if s is not None]
    many = [a for a in found if len(a) > 1]
    return tuple(many[0] if many else found[0] if found else jax.devices()[:1])


def _describe(s) -> str:
    """A sharding as text that identifies it in every process (device ids, not objects)."""
    if s is None:
        return "host"
    if isinstance(s, jax.sharding.SingleDeviceSharding):
        return f"device {s._device_assignment[0].id} {s.memory_kind}"
    if isinstance(s, jax.sharding.NamedSharding):
        m = s.mesh
        return repr(("mesh", tuple(int(d.id) for d in m.devices.flat), m.devices.shape, m.axis_names,
                     tuple(str(t) for t in m.axis_types), tuple(s.spec), s.memory_kind))
    return repr(s)  # another kind: its text (with an address it is not stored)


def _load_or_compile(jitted, name, args, treedef, avals, where, folder):
    if jax.process_count() > 1:  # every process compiles, as JAX does (no process reads another's program)
        return False
    text = str(treedef)
    placement = repr(tuple(_describe(s) for s in where))
    if " at 0x" in text + placement:  # a part without a stable repr: its key would differ in every process
        return False
    sources = _static_sources(treedef)
    if sources is None:
        return False
    devices = _assignment(where)
    key = hashlib.sha256("\n".join([str(FORMAT), name, text, repr(avals), placement, _environment(devices),
                                    sources]).encode()).hexdigest()
    path = pathlib.Path(folder) / FOLDER / f"{name}-{key}.pkl"
    compiled = _load(path, treedef, devices, where, avals)
    if compiled is None:
        compiled = _compile(jitted, args)
        _store(path, compiled, treedef)
    return compiled


def _load(path, treedef, devices, where, avals):
    from jax.experimental import serialize_executable

    try:
        with open(path, "rb") as f:
            stored_tree, blob, in_tree, out_tree = pickle.load(f)
        if stored_tree != treedef:  # the same text, not the same structure: compile instead
            return None
        compiled = serialize_executable.deserialize_and_load(blob, in_tree, out_tree, execution_devices=devices)
        if not _placed_as(compiled, where, avals):
            return None
    except Exception:  # missing, truncated, from another version: compiled again and rewritten
        return None
    try:
        os.utime(path)  # used now: the last to go when the store is over its bound
    except OSError:
        pass
    return compiled


def _placed_as(compiled, where, avals) -> bool:
    """Whether the program takes each argument where the call has it (an argument placed elsewhere would
    be refused when run)."""
    got = jax.tree_util.tree_leaves(compiled.input_shardings)  # of the arguments it uses only
    used = sorted(getattr(compiled._executable, "_kept_var_idx", range(len(where))))
    return len(got) == len(used) and all(where[i] is None or where[i].is_equivalent_to(g, len(avals[i][0]))
                                         for i, g in zip(used, got))


def _compile(jitted, args):
    """A fresh compilation of ``jitted`` at ``args``. An executable that JAX read back from its persistent
    cache serializes incompletely (it fails when run), so JAX's caches must miss: the program is traced
    through a new function of a name of its own (its own trace, lowering and persistent-cache key), and
    JAX's cache is not written meanwhile (an entry under that name would never be read)."""
    from ..core.engine import jit, jit_options

    fun = jitted.__wrapped__

    def fresh(*a):
        return fun(*a)

    fresh.__name__ = fresh.__qualname__ = f"{getattr(fun, '__name__', 'program')}_{secrets.token_hex(8)}"
    old = jax.config.jax_persistent_cache_min_compile_time_secs
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1e12)
    try:
        options, kw = jit_options(jitted)
        return jit(fresh, options, **kw).lower(*args).compile()
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


def _environment(devices) -> str:
    import jaxlib

    first = devices[0]
    settings = sorted((k, repr(v)) for k, v in jax.config.values.items())
    return repr((jax.__version__, jaxlib.__version__, first.platform, first.device_kind,
                 tuple(int(d.id) for d in devices), jax.device_count(), jax.process_count(),
                 first.client.platform_version, os.environ.get("XLA_FLAGS", ""), settings))


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
