"""Handing memory freed by large temporaries back to the operating system.

Building a network allocates and frees temporaries of a few bytes per synapse (sort keys, gathers,
hashes, XLA's compiler) in many pieces; glibc's allocator keeps what it freed inside its heap for reuse,
so the process would keep the whole build's peak as its resident size. :func:`release` asks it to
return free pages (``malloc_trim``) after each phase of a build, so that the next phase's peak starts
from what is live. Elsewhere (other C libraries, other systems) it does nothing.
"""
from __future__ import annotations

import ctypes
import functools


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
    """Return the allocator's free memory to the system (glibc); a no-op where that is not possible."""
    trim = _trim()
    if trim is not None:
        trim(0)
