"""Checks of user-given values at the host boundary (create, set, copy_model, connect, build).

Every function takes the value as the user gave it and returns a PRIVATE copy in the type jaxsnn
stores (float64 or bool arrays, Python scalars), so changing the user's array afterwards changes
nothing; a value of the wrong type or outside what NEST (or the arithmetic) allows is a
:class:`~jaxsnn.errors.JaxsnnError` naming the argument, the value and what is allowed.
"""
from __future__ import annotations

import math
import os

import numpy as np

from .errors import JaxsnnError, bad_value

SEED_MAX = 2 ** 32 - 1  # NEST's rng_seed: 1 … 2**32 - 1 (measured: 2**32 - 1 accepted, 2**32 refused)
MAX_T_REF_STEPS = 2 ** 31 - 2  # refractory counters are int32 and the compiler adds 1
MAX_DELAY_STEPS = 2 ** 29 - 1  # the input ring (max delay + a slice) and the STDP history stay int32
MAX_SPIKE_STEP = 2 ** 31 - 2  # spike_generator stamps are int32 steps
MAX_WINDOW_STEPS = 2 ** 30 - 1  # device windows: int32, with 2**30 - 1 standing for stop = inf


def _show(value):
    arr = np.asarray(value) if not isinstance(value, (str, bytes)) else None
    if arr is not None and arr.ndim and arr.size > 6:
        return f"<array of shape {arr.shape}>"
    return value


def floats(where: str, value) -> np.ndarray:
    """``value`` (a number or an array of numbers) as a new float64 array; strings, bools and objects
    are an error (NumPy would turn "10" into 10.0 and True into 1.0)."""
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise bad_value(where, value, "a number (float), not a " + type(value).__name__)
    try:
        arr = np.array(value, copy=True)
    except (TypeError, ValueError):
        raise bad_value(where, _show(value), "a number or an array of numbers") from None
    if arr.dtype.kind not in "iuf":
        raise bad_value(where, _show(value), f"numbers (got {arr.dtype} values)")
    return arr.astype(np.float64, copy=False)  # the copy above is the private one


def bools(where: str, value) -> np.ndarray:
    """``value`` as a new bool array; only real booleans (True/False, NumPy bool arrays) are allowed:
    NEST refuses 1, NaN and "False" for a bool parameter."""
    if isinstance(value, (bool, np.bool_)):
        return np.array(value, dtype=bool)
    arr = np.array(value, copy=True) if isinstance(value, (list, tuple, np.ndarray)) else None
    if arr is None or arr.dtype != bool:
        raise bad_value(where, _show(value), "True or False (or an array of them)")
    return arr


def flag(where: str, value) -> bool:
    """A scalar boolean option such as ``allow_autapses``."""
    if not isinstance(value, (bool, np.bool_)):
        raise bad_value(where, value, "True or False")
    return bool(value)


def number(where: str, value, allowed: str, ok=lambda x: True) -> float:
    """A scalar float option (not a bool or a string, not NaN) satisfying ``ok``."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise bad_value(where, value, allowed)
    x = float(value)
    if math.isnan(x) or not ok(x):
        raise bad_value(where, value, allowed)
    return x


def whole(where: str, value, allowed: str = "a whole number >= 0") -> int:
    """A scalar integer option (not a bool, not a float)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise bad_value(where, value, allowed)
    return int(value)


def seed(where: str, value) -> int:
    """NEST's rng_seed: an integer in 1 … 2**32 - 1 (bools and floats refused, as NEST does); a 0-d
    integer array (NumPy or a concrete JAX one) counts as its integer."""
    if getattr(value, "shape", None) == () and np.issubdtype(getattr(value, "dtype", object), np.integer):
        value = int(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or not 1 <= value <= SEED_MAX:
        raise bad_value(where, value, "an integer in 1 … 2**32 - 1 (NEST's rng_seed)")
    return int(value)


def node_ids(where: str, value, n_nodes: int | None) -> np.ndarray:
    """A new 1-d int64 array of node ids, each in 1 … ``n_nodes`` (no bound when ``None``)."""
    arr = np.array(value, copy=True)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise bad_value(where, _show(value), "a 1-d array of integer node ids")
    arr = arr.astype(np.int64, copy=False)
    bad = (arr < 1) if n_nodes is None else ((arr < 1) | (arr > n_nodes))
    if bad.any():
        top = "" if n_nodes is None else f" … {n_nodes}"
        raise bad_value(where, int(arr[np.argmax(bad)]), f"node ids of existing nodes (1{top}; ids start at 1)")
    return arr


def finite(where: str, arr: np.ndarray, allow_pos_inf=False, allow_neg_inf=False):
    arr = np.asarray(arr).reshape(-1)
    if arr.dtype.kind in "biu" or (arr.dtype.kind == "f" and np.isfinite(arr).all()):  # the usual cases: no copy
        return
    arr = arr.astype(np.float64, copy=False)
    bad = np.isnan(arr)
    bad |= np.isposinf(arr) & (not allow_pos_inf)
    bad |= np.isneginf(arr) & (not allow_neg_inf)
    if bad.any():
        x = float(arr[np.argmax(bad)])
        what = "a finite number" + (" or +inf" if allow_pos_inf else "") + (" or -inf" if allow_neg_inf else "")
        raise bad_value(where, x, what + (", not NaN" if math.isnan(x) else ""))


def first_bad(where: str, arr: np.ndarray, bad: np.ndarray, allowed: str):
    arr, bad = np.asarray(arr).reshape(-1), np.asarray(bad).reshape(-1)
    if bad.any():
        raise bad_value(where, float(arr[np.argmax(bad)]), allowed)


def tics(ms: np.ndarray) -> np.ndarray:
    """NEST's Time(ms): the nearest tic (1 µs), rounding half up."""
    return np.floor(np.asarray(ms, np.float64) * 1000.0 + 0.5)


def host_memory() -> int | None:
    """This machine's physical memory in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def fits_in_memory(where: str, n_bytes: float, what: str) -> None:
    """Refuse, before allocating, what needs more bytes than the machine has (a raw MemoryError otherwise)."""
    total = host_memory()
    if total is not None and n_bytes > total:
        raise JaxsnnError(f"{where}: {what} needs at least {n_bytes:.3g} bytes ({n_bytes / 2**30:.3g} GiB) of host "
                          f"memory, more than this machine has ({total / 2**30:.3g} GiB); make it smaller or split "
                          "it over several networks.")
