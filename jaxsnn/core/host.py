"""Arrays made on the host and put on the device.

``jnp.asarray(numpy_array)`` and ``jnp.zeros(shape)`` each run a small XLA program, compiled once per
shape and dtype in every fresh process (or read from the persistent cache): a few tens of ms each,
most of the build of a small network. ``jax.device_put`` of a numpy array compiles nothing, so the
build makes its arrays with numpy and puts them on the device with :func:`put`.

Also the host's threads (one pool, :func:`shared`, :func:`in_background`) and :func:`release` of the memory
that a build's temporaries freed.
"""
from __future__ import annotations

import concurrent.futures
import ctypes
import functools
import os
import threading

import jax
import numpy as np

# threads of the host's long NumPy calls (the build's sorts and gathers, the draws of jaxsnn.random): the cores
# this process may run on (affinity, not the machine's), at most two
THREADS = max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
_POOL = None
_NAME = "jaxsnn-host"


def put(a, dtype=None) -> jax.Array:
    """``a`` (array-like) converted on the host to ``dtype`` and put on the default device."""
    return jax.device_put(np.asarray(a, dtype))


def filled(shape, dtype, value=0) -> jax.Array:
    """An array of ``shape`` and ``dtype`` holding ``value`` everywhere, on the default device."""
    return jax.device_put(np.full(shape, value, dtype))


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    """The process's one pool of :data:`THREADS` threads (:func:`in_background`, :func:`shared`), made anew in a
    forked child (whose copy of a pool has no threads) or when :data:`THREADS` was changed (benchmarks)."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid() or _POOL[1]._max_workers != THREADS:
        _POOL = (os.getpid(), concurrent.futures.ThreadPoolExecutor(THREADS, thread_name_prefix=_NAME))
    return _POOL[1]


def in_background(work, *args) -> concurrent.futures.Future:
    """``work(*args)`` in a thread of the pool while the caller goes on (work that releases the GIL: hashing,
    large NumPy calls); the Future of its result."""
    return _pool().submit(work, *args)


def shares(n: int) -> bool:
    """Whether :func:`shared` spreads ``n`` items over threads: from two items per thread on (with fewer, a busy
    machine's scheduler can keep another thread's last item waiting longer than the few items gain), and not
    from inside a thread of the pool (nested: the pool would wait on itself)."""
    return THREADS > 1 and n >= 2 * THREADS and not threading.current_thread().name.startswith(_NAME)


def shared(work, n: int) -> list:
    """``[work(i) for i in range(n)]``, the items taken in turn by this thread and :data:`THREADS` - 1 others
    where :func:`shares` says so, whichever is free taking the next: for items of long NumPy calls that release
    the GIL (sorts, gathers, draws, tens of ms each), which then run on several cores at once. On a busy machine
    a thread that the OS does not run holds up the others by at most the item it has taken (a fixed split would
    wait for its whole share)."""
    if not shares(n):
        return [work(i) for i in range(n)]
    out, items, lock = [None] * n, iter(range(n)), threading.Lock()

    def take():
        while True:
            with lock:
                i = next(items, None)
            if i is None:
                return
            out[i] = work(i)

    helpers = [_pool().submit(take) for _ in range(THREADS - 1)]
    take()
    for h in helpers:
        if not h.cancel():  # a helper still queued (behind in_background's work) has nothing left to take
            h.result()
    return out


@functools.cache
def _trim():
    # the process's own symbols first: ctypes.util.find_library runs ldconfig in a subprocess (~20 ms)
    for lib in (None, "libc.so.6"):
        try:
            return ctypes.CDLL(lib).malloc_trim
        except (OSError, AttributeError):  # not glibc
            pass
    return None


def release() -> None:
    """Return the allocator's free memory to the system (glibc's ``malloc_trim``); a no-op where that is not
    possible. Building a network allocates and frees temporaries of a few bytes per synapse (sort keys, gathers,
    hashes, XLA's compiler) in many pieces; glibc keeps what it freed inside its heap for reuse, so the process
    would keep the whole build's peak as its resident size: called after each phase of a build, so that the
    next phase's peak starts from what is live."""
    trim = _trim()
    if trim is not None:
        trim(0)
