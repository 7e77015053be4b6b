"""spike_generator: spikes at given times (NEST's ``spike_generator``, ``precise_times`` False,
``allow_offgrid_times`` False).

Each time is rounded to the nearest tic (1 µs, half up) and must then lie on the grid of the
resolution, at step 1 or later; times are sorted. An event at stamp t (``origin + start < t <= origin
+ stop``) reaches each target after the connection's delay with weight connection weight × spike weight
× multiplicity (a parrot_neuron counts the multiplicity, ignoring weights). The events are a table of
its own (one row per spike and connection: emission step, target, delay, receptor, weight), sorted by
slice, generator node id, then step (:meth:`SpikeGenerator.sliced`), and pushed a slice ahead in that
order, NEST's (:meth:`SpikeGenerator.push_into`: only the slice's events; the differentiable build adds
all, masked). Between runs the events change by a rebuild (``jaxsnn.nest``), not by ``Simulation.set``.

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

import dataclasses

import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import checks
from ..core.generators import ring_add_routed
from ..core.types import BY_PORT, BY_SIGN, COUNTS
from ..errors import bad_value
from ._interface import window
from .base import SPIKES, WINDOW, Generator, Param

NOT_IN_ANY_RUN = np.iinfo(np.int32).max // 2  # the emission step of a padding event (split runs)


@dataclasses.dataclass(frozen=True)
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
    interface = True
    replicated = False  # an event reaches its own target only
    events = True
    padding = {"step": NOT_IN_ANY_RUN}
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

    @classmethod
    def lower(cls, desc, neuron_of_node):
        """Per connection and spike inside the window (after origin) an event: its emission step (stamp −
        1), generator (index among the model's nodes) and node id, target, delay, receptor_type, and as its
        weight the connection weight × spike weight × multiplicity (onto a counting target: the
        multiplicity), sorted by generator node id, then step, stably (connections in connect order)."""
        from . import NEURONS

        h = desc.resolution
        conns = [c for c in desc.connections if len(c.source) and desc.base_of(c.source[0]) == cls.name]
        nodes = np.unique(np.concatenate([c.source for c in conns])) if conns else np.zeros(0, np.int64)
        ps = [desc.population_of(int(g)).params for g in nodes]
        rows = []  # (node, step, target, delay, receptor, weight)
        for c in conns:
            receptor = c.extra.get("receptor_type", 0)
            for gid in np.unique(c.source):
                p = desc.population_of(gid).params
                lo, hi = _window(p, h)
                # NEST: a spike time is relative to origin (the repeated-stimulation idiom moves origin)
                stamps = np.round((p["origin"] + np.asarray(p["spike_times"], float)) / h).astype(np.int64)
                sw = np.asarray(p["spike_weights"], float) if len(p["spike_weights"]) else np.ones(len(stamps))
                mult = np.asarray(p.get("spike_multiplicities", ()), float)
                mult = mult if len(mult) else np.ones(len(stamps))
                keep = (lo < stamps) & (stamps <= hi)
                for j in np.nonzero(c.source == gid)[0]:
                    counts = NEURONS[desc.base_of(c.target[j])].inputs == COUNTS
                    for stamp, ww, m in zip(stamps[keep], sw[keep], mult[keep]):  # NEST: weight × multiplicity
                        value = m if counts else c.weight[j] * ww * m  # a parrot counts, ignoring weights
                        rows.append((gid, stamp - 1, neuron_of_node[c.target[j]], c.delay[j], receptor, value))
        ev = np.array(rows, float).reshape(-1, 6)
        ev = ev[np.lexsort((ev[:, 1], ev[:, 0]))]  # by generator, then step; stable
        i64 = lambda a: a.astype(np.int64)  # noqa: E731
        top = dict(target=i64(ev[:, 2]), delay=i64(ev[:, 3]), receptor=i64(ev[:, 4]), step=i64(ev[:, 1]),
                   node=i64(ev[:, 0]), generator=np.searchsorted(nodes, i64(ev[:, 0])),
                   stream=np.zeros(len(ev), np.int64),
                   window=np.array([window(p, h) for p in ps], np.int64).reshape(-1, 2))
        return cls(), top, {"weight": ev[:, 5]}, {}, (tuple(int(n) for n in nodes), tuple(ps))

    @classmethod
    def sliced(cls, top, par, L):
        """The events by slice of ``L`` steps, then generator node id, then step (NEST's order of pushing
        them), so that a slice's events are one range."""
        order = np.argsort(np.asarray(top["step"]) // L, kind="stable")
        return ({k: (np.asarray(v)[order] if k not in ("window",) else v) for k, v in top.items()},
                {k: np.asarray(v)[order] for k, v in par.items()})

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        """Between runs the events stay as built (their parameters change by a rebuild)."""
        b_top, b_par = built
        return cls(), {"step": b_top["step"]}, {k: v for k, v in b_par.items() if k != "weight"}, {}

    def push_into(self, spec, top, par, state, ring, route, step):
        """The events emitted during the slice starting at ``step`` into ``ring`` (one range of the table:
        by generator node id, then step), routed by sign or port as any event; returns (state, ring)."""
        if not top["step"].shape[0]:  # no events (e.g. spike times set only later): nothing to index
            return state, ring
        L = spec.time.slice_steps
        w = par["weight"].astype(ring.dtype)
        port = None
        # receptor_type − 1 onto a multi-receptor neuron
        if any(m.inputs == BY_PORT for m in spec.models.neuron_models):
            port = jnp.where(route[jnp.minimum(top["target"], route.shape[0] - 1)] == BY_PORT, top["receptor"] - 1, 0)
        if spec.autodiff.differentiable:  # all events, masked: a fixed amount of work
            now = (top["step"] // L == step // L) & (top["target"] < ring.shape[1])
            rows = jnp.where(now, (top["step"] + top["delay"]) % spec.sizes.ring, ring.shape[0])
            return state, ring_add_routed(spec, route, ring, rows, top["target"], w, port=port)
        lo = jnp.searchsorted(top["step"] // L, step // L, side="left")
        hi = jnp.searchsorted(top["step"] // L, step // L, side="right")

        def push(i, ring):
            row = (top["step"][i] + top["delay"][i]) % spec.sizes.ring
            if spec.models.routed:
                row = jnp.where((route[top["target"][i]] == BY_SIGN) & (w[i] <= 0), row + spec.sizes.ring, row)
            if port is not None:
                row = row + spec.sizes.ring * port[i]
            return ring.at[row, top["target"][i]].add(w[i])

        return state, lax.fori_loop(lo, hi, push, ring)


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
