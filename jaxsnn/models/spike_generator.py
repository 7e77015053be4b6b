"""spike_generator: spikes at given times (NEST's ``spike_generator``, ``precise_times`` False,
``allow_offgrid_times`` False).

Each time is rounded to the nearest tic (1 µs, half up) and must then lie on the grid of the
resolution, at step 1 or later; times are sorted. An event at stamp t (``origin + start < t <= origin
+ stop``) reaches each target after the connection's delay with weight connection weight × spike weight
× multiplicity (a parrot_neuron counts the multiplicity, ignoring weights). The events are pushed a
slice ahead, by slice, generator, then step (:func:`jaxsnn.core.generators.push_spike_events`).

Parameters (NEST's names and units):

====================  =======  ====================================================
name                  default  doc
====================  =======  ====================================================
spike_times           ()       ms, one flat list for every generator of the call
spike_weights         ()       one per spike time, or none (weight 1)
spike_multiplicities  ()       one whole number >= 0 per spike time, or none (1)
origin                0 ms     global time offset of start and stop
start                 0 ms     active after origin + start (exclusive)
stop                  inf ms   active until origin + stop (inclusive)
====================  =======  ====================================================
"""
from __future__ import annotations

import numpy as np

from ..build import checks
from ..errors import bad_value
from .base import SPIKES, WINDOW, Generator, Param


class SpikeGenerator(Generator):
    name = "spike_generator"
    parameters = {
        "spike_times": Param((), "ms", "one flat list for every generator of the call"),
        "spike_weights": Param((), "", "one per spike time, or none (weight 1)"),
        "spike_multiplicities": Param((), "", "one whole number >= 0 per spike time, or none (1)"),
        **WINDOW,
    }
    vector_params = ("spike_times", "spike_weights", "spike_multiplicities")
    emits = SPIKES
    host_flags = ("allow_offgrid_times", "shift_now_spikes", "precise_times")
    recorded_by_spike_recorders = True

    @classmethod
    def own_spikes(cls, p, h, now, n_steps, counts) -> np.ndarray:
        """Its spike times (after origin, inside its window), each repeated by its multiplicity."""
        lo, hi = _window(p, h)
        stamps = np.round((p["origin"] + np.asarray(p["spike_times"], float)) / h).astype(np.int64)
        keep = (lo < stamps) & (stamps <= hi) & (now < stamps) & (stamps <= now + n_steps)
        mult = np.asarray(p.get("spike_multiplicities", ()), float)
        reps = mult[keep].astype(np.int64) if len(mult) else np.ones(int(keep.sum()), np.int64)
        return np.repeat(stamps[keep], reps)

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        v["spike_times"], v["spike_weights"] = _spike_times(where, v, h, tics_per_step)
        m = np.asarray(v.get("spike_multiplicities", ()), float).ravel()
        t = v["spike_times"]
        if len(m) and (len(m) != len(t) or (m < 0).any() or (m != np.round(m)).any()):
            raise bad_value(f"{where}: spike_multiplicities", m.tolist(),
                            f"one whole number >= 0 per spike time ({len(t)})")
        if "spike_multiplicities" in v:
            v["spike_multiplicities"] = tuple(m.tolist())
        return v


def _spike_times(where, v, h, tics_per_step):
    """NEST's rule for spike_generator times (precise_times False, allow_offgrid_times False): a time is
    rounded to the nearest tic (1 µs, half up) and must then lie on the grid, in steps 1 … 2**31 - 2
    (so 1.0004 ms becomes 1.0 ms and 1.0005 ms is an error at h = 0.1 ms, as in NEST)."""
    raw_t, raw_w = v["spike_times"], v["spike_weights"]
    for name, raw in (("spike_times", raw_t), ("spike_weights", raw_w)):
        if np.ndim(raw) > 1 or (isinstance(raw, (list, tuple)) and any(np.ndim(x) for x in raw)):
            raise bad_value(f"{where}: {name}", _short(raw), "one flat list for every generator of the call; "
                            "for per-generator values pass params=[{...}, {...}] (one dict per node), as in NEST")
    t = checks.floats(f"{where}: spike_times", raw_t).reshape(-1)
    w = checks.floats(f"{where}: spike_weights", raw_w).reshape(-1)
    if np.isnan(t).any() or np.isinf(t).any():
        raise bad_value(f"{where}: spike_times", float(t[~np.isfinite(t)][0]), "finite times in ms")
    if (np.diff(t) < 0).any():
        raise bad_value(f"{where}: spike_times", _short(t.tolist()), "times sorted in non-descending order")
    tic = checks.tics(t)
    steps = tic // tics_per_step
    off = (tic % tics_per_step != 0) | (steps < 1)
    if off.any():
        raise bad_value(f"{where}: spike_times", float(t[np.argmax(off)]),
                        f"times > 0 ms on the grid of the resolution ({h} ms), to the nearest µs")
    checks.first_bad(f"{where}: spike_times", t, steps > checks.MAX_SPIKE_STEP,
                     f"at most {checks.MAX_SPIKE_STEP} steps ({checks.MAX_SPIKE_STEP * h} ms; stamps are int32)")
    if len(w) and len(w) != len(t):
        raise bad_value(f"{where}: spike_weights", f"<{len(w)} weights>",
                        f"one weight per spike time ({len(t)}) or none")
    checks.finite(f"{where}: spike_weights", w)
    return 0.001 * tic, w  # NEST's Time::get_ms of the grid time


def _window(p, h):
    """The active window (lo, hi] in steps; hi may be inf."""
    hi = p["origin"] + p["stop"]
    return round((p["origin"] + p["start"]) / h), (np.inf if not np.isfinite(hi) else round(hi / h))


def _short(x):
    s = repr(x)
    return x if len(s) < 80 else s[:77] + "..."


MODEL = SpikeGenerator
