"""Arrays made on the host and put on the device.

``jnp.asarray(numpy_array)`` and ``jnp.zeros(shape)`` each run a small XLA program, compiled once per
shape and dtype in every fresh process (or read from the persistent cache): a few tens of ms each,
most of the build of a small network. ``jax.device_put`` of a numpy array compiles nothing, so the
build makes its arrays with numpy and puts them on the device with :func:`put`.
"""
from __future__ import annotations

import concurrent.futures
import os
import threading

import jax
import numpy as np

# threads of the build's long NumPy calls (shared): the cores this process may run on (affinity, not the machine's)
THREADS = max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
_POOL = None
_SHARED = None


def put(a, dtype=None) -> jax.Array:
    """``a`` (array-like) converted on the host to ``dtype`` and put on the default device."""
    return jax.device_put(np.asarray(a, dtype))


def filled(shape, dtype, value=0) -> jax.Array:
    """An array of ``shape`` and ``dtype`` holding ``value`` everywhere, on the default device."""
    return jax.device_put(np.full(shape, value, dtype))


def in_background(work, *args) -> concurrent.futures.Future:
    """``work(*args)`` in a thread of its own while the caller goes on (work that releases the GIL: hashing,
    large NumPy calls); the Future of its result."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():  # a forked child's copy of the pool has no threads
        _POOL = (os.getpid(), concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="jaxsnn-host"))
    return _POOL[1].submit(work, *args)


def shared(work, n: int) -> list:
    """``[work(i) for i in range(n)]``, the items taken in turn by this thread and :data:`THREADS` - 1 others,
    whichever is free taking the next: for items of long NumPy calls that release the GIL (sorts, gathers,
    tens of ms each), which then run on several cores at once (from two items per thread on). On a busy machine
    a thread that the OS does not run holds up the others by at most the item it has taken (a fixed split would
    wait for its whole share)."""
    # fewer than two items per thread: in this one (a busy machine's scheduler can keep the other thread's last
    # item waiting longer than the few items gain; nested calls too: the pool would wait on itself)
    if THREADS < 2 or n < 2 * THREADS or threading.current_thread().name.startswith("jaxsnn-shared"):
        return [work(i) for i in range(n)]
    global _SHARED
    if _SHARED is None or _SHARED[0] != os.getpid():
        _SHARED = (os.getpid(), concurrent.futures.ThreadPoolExecutor(THREADS - 1, thread_name_prefix="jaxsnn-shared"))
    out, items, lock = [None] * n, iter(range(n)), threading.Lock()

    def take():
        while True:
            with lock:
                i = next(items, None)
            if i is None:
                return
            out[i] = work(i)

    helpers = [_SHARED[1].submit(take) for _ in range(THREADS - 1)]
    take()
    for h in helpers:
        h.result()
    return out
