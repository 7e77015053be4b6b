"""Opt-in persistent compilation cache: a second process running the same network skips compiling.

JAX's cache only stores programs that took at least ``jax_persistent_cache_min_compile_time_secs``
(1 s by default) to compile; jaxsnn lowers that to 0 so every simulation kernel is cached. The cache
directory is trusted code (anyone who can write to it can run code in your process), and caches are
specific to a machine's CPU features: use one directory per machine.
"""
from __future__ import annotations

import os

import jax

ENV = "JAXSNN_COMPILATION_CACHE"


def enable_compilation_cache(path: str | os.PathLike | None = None) -> str:
    """Turn the cache on at ``path`` (default: $JAXSNN_COMPILATION_CACHE or ~/.cache/jaxsnn/xla)."""
    path = os.fspath(path or os.environ.get(ENV) or os.path.expanduser("~/.cache/jaxsnn/xla"))
    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


def disable_compilation_cache() -> None:
    """Turn the persistent cache off again (the default)."""
    jax.config.update("jax_compilation_cache_dir", None)
