"""step_current_generator: a piecewise constant current (NEST's ``step_current_generator``).

The amplitude is 0 pA until the first of ``amplitude_times``, then ``amplitude_values[i]`` from time
``amplitude_times[i]`` on; NEST applies an amplitude of time T (in steps) in step T − 1. Times lie on the
grid (or, with ``allow_offgrid_times``, are moved to the next grid point) and increase strictly. The
current reaches its targets as a dc_generator's does. The schedule is a table of entries: entry e sets
the amplitude of generator ``entry_gen[e]`` to ``amplitude[e]`` from step ``entry_step[e]`` on (entries
sorted by generator, then step; each generator's first entry is at step -1).
Between runs ``amplitude_times`` and ``amplitude_values`` may change, always together: as in NEST, times
at or before the current time are skipped and the amplitude held now continues until the first time
in the future.

Parameters (NEST's names and units):

===================  =======  ====================================================
name                 default  doc
===================  =======  ====================================================
amplitude_times      ()       ms, times of the changes (> 0, strictly increasing)
amplitude_values     ()       pA, the amplitude from each time on
allow_offgrid_times  False    move times off the grid to the next grid point
origin               0 ms     global time offset of start and stop
start                0 ms     active after origin + start (exclusive)
stop                 inf ms   active until origin + stop (inclusive)
===================  =======  ====================================================
"""
from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import checks
from ..errors import JaxsnnError, bad_value
from ._interface import current_active, generators_active
from .base import CURRENT, WINDOW, Generator, Param, check_stop, flat_floats

TOGETHER = ("amplitude_times", "amplitude_values")


@dataclasses.dataclass(frozen=True)
class StepCurrentGenerator(Generator):
    name = "step_current_generator"
    parameters = {
        "amplitude_times": Param((), "ms", "times of the changes (> 0, strictly increasing)"),
        "amplitude_values": Param((), "pA", "the amplitude from each time on"),
        "allow_offgrid_times": Param(False, "", "move times off the grid to the next grid point"),
        **WINDOW,
    }
    vector_params = TOGETHER
    emits = CURRENT
    interface = True
    replicated = False  # a connection's current depends on its generator's parameters (and its own stream)
    settable = TOGETHER + ("origin", "start", "stop")
    recordables = ("I",)
    holds_between_runs = True  # the amplitude held now continues (tables() reads it from ``built``)

    @classmethod
    def check_given(cls, given: dict, where: str) -> None:
        if len(set(TOGETHER) & set(given)) == 1:
            raise JaxsnnError(f"{where}: amplitude_times and amplitude_values: Amplitude times and values must be "
                              "reset together.")

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        check_stop(v, where)
        t = flat_floats(f"{where}: amplitude_times", v["amplitude_times"], "times in ms")
        a = flat_floats(f"{where}: amplitude_values", v["amplitude_values"], "currents in pA")
        checks.finite(f"{where}: amplitude_values", a)
        checks.first_bad(f"{where}: amplitude_times", t, np.isinf(t), "finite times in ms")
        if len(t) != len(a):
            raise bad_value(f"{where}: amplitude_values", f"<{len(a)} values>",
                            f"one value per amplitude time ({len(t)}): Amplitude times and values have to be "
                            "the same size.")
        if (t <= 0).any() or np.isnan(t).any():
            raise bad_value(f"{where}: amplitude_times", float(t[np.argmax(~(t > 0))]),
                            "times > 0: Amplitude can only be changed at strictly positive times (t > 0).")
        tps = round(h * 1000)
        tics = np.floor(t * 1000 + 0.5).astype(np.int64)
        if not v["allow_offgrid_times"] and (tics % tps).any():
            raise bad_value(f"{where}: amplitude_times", float(t[np.argmax(tics % tps != 0)]),
                            f"times on the grid of the resolution ({h} ms), or allow_offgrid_times=True: "
                            "step_current_generator: Time point is not representable in current resolution.")
        checks.first_bad(f"{where}: amplitude_times", t, t / h > checks.MAX_SPIKE_STEP + 1,
                         f"at most {checks.MAX_SPIKE_STEP} steps ({checks.MAX_SPIKE_STEP * h:.6g} ms): the schedule's "
                         "steps are int32, and a later time would wrap around")
        steps = steps_of(t, tps, v["allow_offgrid_times"])
        checks.first_bad(f"{where}: amplitude_times", t, steps > checks.MAX_SPIKE_STEP,
                         f"at most {checks.MAX_SPIKE_STEP} steps ({checks.MAX_SPIKE_STEP * h:.6g} ms): the schedule's "
                         "steps are int32, and a later time would wrap around")
        if (np.diff(steps) <= 0).any():
            raise bad_value(f"{where}: amplitude_times", t.tolist(), "step_current_generator: amplitude times must be "
                            "at strictly increasing time steps.")
        v["amplitude_times"], v["amplitude_values"] = t, a
        return v

    @classmethod
    def schedule(cls, p, tics_per_step, now=0, held=0.0):
        """(from step, pA) entries: the amplitude held at step ``now`` (0 pA at the start), then one per time
        after ``now``."""
        steps = steps_of(p["amplitude_times"], tics_per_step, p["allow_offgrid_times"])
        return [(-1, float(held))] + [(int(T) - 1, float(v)) for T, v in zip(steps, p["amplitude_values"]) if T > now]

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        """The entries of every generator's schedule; between runs (``built``: the tables so far) the
        amplitude each generator holds now continues until its first time after now (NEST)."""
        now = round(t_ms / h)
        gen, step, value, ptr = [], [], [], []
        for g, p in enumerate(ps):
            held = 0.0
            if built is not None:
                b_top, b_par = built
                mine = (np.asarray(b_top["entry_gen"]) == g) & (np.asarray(b_top["entry_step"]) <= now - 1)
                held = float(np.asarray(b_par["amplitude"])[mine][-1]) if mine.any() else 0.0
            entries = cls.schedule(p, tics_per_step, now=now, held=held)
            ptr.append(len(step))
            gen += [g] * len(entries)
            step += [k for k, _ in entries]
            value += [v for _, v in entries]
        i64 = lambda a: np.asarray(a, np.int64)  # noqa: E731
        return cls(), dict(entry_gen=i64(gen), entry_step=i64(step), entry_ptr=i64(ptr)), \
            dict(amplitude=np.asarray(value, float)), {}

    @staticmethod
    def amplitudes(top, par, k):
        """[L, G]: each generator's amplitude in steps k ([L, 1]): its last entry with ``entry_step <= k``."""
        n_gen = top["window"].shape[0]
        reached = (top["entry_step"][None, :] <= k).astype(jnp.int32)  # [L, E]
        count = jax.vmap(lambda x: jax.ops.segment_sum(x, top["entry_gen"], n_gen))(reached)  # [L, G]
        at = jnp.clip(top["entry_ptr"][None, :] + count - 1, 0, top["entry_step"].shape[0] - 1)
        return jnp.where(count > 0, par["amplitude"][at], 0.0)

    def observe(self, spec, top, par, state, key, step):
        """``I`` (pA): the amplitude in the active steps, 0 elsewhere."""
        k = step + jnp.arange(spec.time.slice_steps)[:, None]  # [L, 1]
        return {"I": jnp.where(generators_active(top, k, True), self.amplitudes(top, par, k), 0.0)}

    def push(self, spec, top, par, state, key, step):
        """The amplitude of step k: its generator's last entry with ``entry_step <= k``."""
        k = step + jnp.arange(spec.time.slice_steps)[:, None]  # [L, 1]
        amp = self.amplitudes(top, par, k)[:, top["generator"]]  # [L, C]
        return state, jnp.where(current_active(top, k), amp, 0.0), jnp.zeros((), jnp.int32)


def steps_of(times, tics_per_step, offgrid) -> np.ndarray:
    """Times as steps: on the grid (tics rounded half up, then up to steps), or with allow_offgrid_times
    NEST's Time::ms_stamp (the first grid point >= t)."""
    out = []
    for t in np.asarray(times, float):
        if offgrid:
            n = int(t * 1000)
            n -= n % tics_per_step
            if n / tics_per_step * (tics_per_step / 1000) < t:
                n += tics_per_step
            out.append(n // tics_per_step)
        else:
            tics = math.floor(t * 1000 + 0.5)
            out.append(-(-tics // tics_per_step))
    return np.asarray(out, np.int64)


MODEL = StepCurrentGenerator
