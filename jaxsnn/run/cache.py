"""Opt-in persistent compilation cache: a second process running the same network skips compiling.

JAX's cache only stores programs that took at least ``jax_persistent_cache_min_compile_time_secs``
(1 s by default) to compile; jaxsnn lowers that to 0 so every simulation kernel is cached. The cache
directory is trusted code: JAX loads an entry by its file name (a hash of the program) without
verifying it, so anyone who can write to the directory can run code in your process. A directory
that others can write to (world-writable, or owned by another user) is therefore accepted only with a
:class:`CacheWarning`. Caches are specific to a machine's CPU features: use one directory per machine.
"""
from __future__ import annotations

import os
import stat
import warnings

import jax

from ..errors import bad_value
from ..io.checkpoint_io import resolve_path

ENV = "JAXSNN_COMPILATION_CACHE"


class CacheWarning(UserWarning):
    """The compilation cache directory can be written by other users."""


def enable_compilation_cache(path: str | os.PathLike | None = None, *, max_program_bytes: int | None = None) -> str:
    """Turn the cache on at ``path`` (default: $JAXSNN_COMPILATION_CACHE or ~/.cache/jaxsnn/xla).

    ``path`` may be relative or start with ``~``; it is created if missing (private to you). Returns the
    absolute path used. Warns (:class:`CacheWarning`) if other users can write to it.
    ``max_program_bytes`` bounds the simulation programs stored beside JAX's entries (``jaxsnn-programs/``,
    least recently used out first; default $JAXSNN_PROGRAMS_MAX_BYTES or 1 GiB, see
    :mod:`jaxsnn.run.programs`)."""
    if max_program_bytes is not None:
        from . import programs

        programs.set_max_bytes(max_program_bytes)
    raw = path if path is not None else (os.environ.get(ENV) or "~/.cache/jaxsnn/xla")
    where = resolve_path(raw, "path" if path is not None else ENV)
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise bad_value("path", os.fspath(raw), f"a directory ({where} exists and is not one)") from None
    _warn_if_shared(where)
    jax.config.update("jax_compilation_cache_dir", str(where))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return str(where)


def _warn_if_shared(where) -> None:
    st = os.stat(where)
    others = []
    if st.st_mode & stat.S_IWOTH:
        others.append(f"it is writable by every user (mode {stat.S_IMODE(st.st_mode):o})")
    if hasattr(os, "getuid") and st.st_uid not in (os.getuid(), 0):
        others.append(f"it belongs to another user (uid {st.st_uid})")
    if others:
        warnings.warn(CacheWarning(
            f"compilation cache {where}: {' and '.join(others)}. Anyone who can write to it can make this "
            "process run their code (JAX trusts cache entries by file name); use a directory only you can "
            "write to, e.g. chmod o-w, or the default ~/.cache/jaxsnn/xla."), stacklevel=3)


def disable_compilation_cache() -> None:
    """Turn the persistent cache off again (the default)."""
    jax.config.update("jax_compilation_cache_dir", None)
