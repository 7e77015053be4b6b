"""ac_generator: a sine-wave current (NEST's ``ac_generator``).

    I(t) = offset + amplitude · sin(ω t + φ),   ω = 2π · frequency / 1000 (1/ms), φ = 2π · phase / 360

NEST does not evaluate the sine: it rotates the pair (y₀, y₁) = amplitude · (cos, sin)(ω t₀ + φ) by ωh
every step before using y₁ (:mod:`jaxsnn.core.oscillator`, the same products rounded apart), so the value
of step k is the (k + 1)-th rotation from t₀ = 0. The engine keeps (y₀, y₁) per generator in
``state.generators["ac_generator"]`` and rotates them ``slice_steps`` times per slice; cos ωh and sin ωh
are the host's (the C library's, NEST's bits). Connection c adds ``weight[c] · I`` (pA) in every active
step k (``origin + start < k + 2 <= origin + stop``, as every current generator) after its delay; the
neuron reads it at the end of step k + d. Exact to NEST 3.10 in float64 in a run from t = 0. NEST restarts
the oscillator at the start of each ``Simulate`` call (from the current time); jaxsnn continues it, so a
run split into several calls gives the bits of one run (``docs/nest.md``).

Parameters (NEST's names and units):

=========  =======  ====================================
name       default  doc
=========  =======  ====================================
amplitude  0 pA     amplitude of the sine
offset     0 pA     constant added
frequency  0 Hz     frequency
phase      0        phase at t = 0 (degrees)
origin     0 ms     global time offset of start and stop
start      0 ms     active after origin + start (exclusive)
stop       inf ms   active until origin + stop (inclusive)
=========  =======  ====================================
"""
from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp
import numpy as np

from ..core import oscillator
from ..errors import bad_value
from ._interface import generators_active
from .base import CURRENT, WINDOW, Generator, Param, check_stop, real


@dataclasses.dataclass(frozen=True)
class ACGenerator(Generator):
    name = "ac_generator"
    parameters = {
        "amplitude": Param(0.0, "pA", "amplitude of the sine"),
        "offset": Param(0.0, "pA", "constant added"),
        "frequency": Param(0.0, "Hz", "frequency"),
        "phase": Param(0.0, "", "phase at t = 0 (degrees)"),
        **WINDOW,
    }
    emits = CURRENT
    interface = True
    settable = ("amplitude", "offset", "frequency", "phase", "origin", "start", "stop")
    recordables = ("I",)

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        check_stop(v, where)
        for name in ("amplitude", "offset", "frequency", "phase"):
            if not real(v[name]):
                raise bad_value(f"{where}: {name}", v[name], "a finite number")
            v[name] = float(v[name])
        return v

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        # the oscillator starts at t (NEST's pre_run_hook; at build t = 0)
        start = [oscillator.start(p["amplitude"], 2.0 * math.pi * p["frequency"] / 1000.0,
                                  p["phase"] * 2.0 * math.pi / 360.0, t_ms, h) for p in ps]
        y0, y1, c, s = (np.array([x[i] for x in start], float) for i in range(4))
        return cls(), {}, dict(offset=np.array([p["offset"] for p in ps], float)), dict(y0=y0, y1=y1, cos=c, sin=s)

    def observe(self, spec, top, par, state, key, step):
        """``I`` (pA): what each generator sends in the slice's steps (the rotations :meth:`push` makes)."""
        L = spec.time.slice_steps
        _, _, ys = oscillator.rotate(state["y0"], state["y1"], state["cos"], state["sin"], L)  # [L, G]
        k = step + jnp.arange(L)[:, None]
        return {"I": jnp.where(generators_active(top, k, True), ys + par["offset"], 0.0)}

    def push(self, spec, top, par, state, key, step):
        L = spec.time.slice_steps
        y0, y1, ys = oscillator.rotate(state["y0"], state["y1"], state["cos"], state["sin"], L)  # ys [L, G]
        k = step + jnp.arange(L)[:, None]
        g = top["generator"]
        lo, hi = top["window"][g, 0], top["window"][g, 1]
        active = (lo < k + 2) & (k + 2 <= hi)
        out = jnp.where(active, ys[:, g] + par["offset"][g], 0.0)
        return {**state, "y0": y0, "y1": y1}, out, jnp.zeros((), jnp.int32)


MODEL = ACGenerator
