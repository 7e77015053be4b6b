"""sinusoidal_poisson_generator: Poisson trains with a sinusoidally modulated rate (NEST's
``sinusoidal_poisson_generator``).

    r(t) = max(rate + amplitude · sin(ω t + φ), 0),   ω = 2π · frequency / 1000 (1/ms), φ in degrees

with NEST's oscillator (:mod:`jaxsnn.core.oscillator`: y₁ rotated by ωh every step, in 1/ms, before use;
cos ωh and sin ωh from the host's C library), kept per generator in ``state.generators``. In each active
step k (``origin + start < k <= origin + stop``) a count n ~ Poisson(r_k h) is drawn from the bits of
(key, k, stream): one per connection (``individual_spike_trains``, the default: independent trains) or one
per generator sent to all its targets (a shared train). The rate is NEST's bit for bit; the counts are
NEST's in distribution. The oscillator runs on across ``simulate`` calls (NEST restarts it at each
``Simulate``: ``docs/nest.md``).

Parameters (NEST's names and units):

=======================  =======  ====================================================
name                     default  doc
=======================  =======  ====================================================
rate                     0 Hz     mean rate
amplitude                0 Hz     amplitude of the modulation
frequency                0 Hz     frequency of the modulation
phase                    0        phase at t = 0 (degrees)
individual_spike_trains  True     one train per target (True) or one shared train (False)
origin                   0 ms     global time offset of start and stop
start                    0 ms     active after origin + start (exclusive)
stop                     inf ms   active until origin + stop (inclusive)
=======================  =======  ====================================================
"""
from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp
import numpy as np

from ..core import oscillator
from ..errors import bad_value
from ._interface import beyond, poisson_draws, spike_active, terms_for
from .base import SPIKES, WINDOW, Generator, Param, real

STREAM = 0x2B000000  # individual trains: STREAM + connection; shared trains: SHARED + generator
SHARED = 0x2C000000


@dataclasses.dataclass(frozen=True)
class SinusoidalPoissonGenerator(Generator):
    name = "sinusoidal_poisson_generator"
    parameters = {
        "rate": Param(0.0, "Hz", "mean rate"),
        "amplitude": Param(0.0, "Hz", "amplitude of the modulation"),
        "frequency": Param(0.0, "Hz", "frequency of the modulation"),
        "phase": Param(0.0, "", "phase at t = 0 (degrees)"),
        "individual_spike_trains": Param(True, "", "one train per target (True) or one shared train (False)"),
        **WINDOW,
    }
    emits = SPIKES
    spikes_recorded = True
    interface = True
    stream = STREAM
    settable = ("rate", "amplitude", "frequency", "phase", "origin", "start", "stop")
    recordables = ("rate",)
    n_terms: int = 1
    mu_max: float = 0.0

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        for name in ("rate", "amplitude", "frequency", "phase"):
            if not real(v[name]):
                raise bad_value(f"{where}: {name}", v[name], "a finite number")
            v[name] = float(v[name])
        if not isinstance(v["individual_spike_trains"], (bool, np.bool_)):
            raise bad_value(f"{where}: individual_spike_trains", v["individual_spike_trains"], "True or False")
        return v

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        shared = np.array([not p["individual_spike_trains"] for p in ps], bool)
        g = top["generator"]
        stream = np.where(shared[g], SHARED + g, STREAM + np.arange(len(g)))
        # the oscillator starts at t (NEST's pre_run_hook; at build t = 0)
        start = [oscillator.start(p["amplitude"] / 1000.0, p["frequency"] * (2.0 * math.pi / 1000.0),
                                  p["phase"] * (math.pi / 180.0), t_ms, h) for p in ps]
        y0, y1, c, s = (np.array([x[i] for x in start], float) for i in range(4))
        mu_max = max((max(p["rate"] + abs(p["amplitude"]), 0.0) / 1000.0 * h for p in ps), default=0.0)
        m = cls(n_terms=terms_for(mu_max, f"connect({cls.name})", "rate + amplitude", mu_max * 1000.0 / h),
                mu_max=mu_max)
        params = dict(rate=np.array([p["rate"] for p in ps], float))
        return m, dict(stream=stream), params, dict(y0=y0, y1=y1, cos=c, sin=s)

    def rates(self, spec, par, state):
        """(y₀, y₁ after the slice, the rate r [L, G] in 1/ms of each step of the slice: max(rate + y₁, 0))."""
        y0, y1, ys = oscillator.rotate(state["y0"], state["y1"], state["cos"], state["sin"], spec.time.slice_steps,
                                       subtract=True)
        r = par["rate"] / 1000.0 + ys  # [L, G], 1/ms as NEST
        return y0, y1, jnp.where(r < 0, 0.0, r)

    def observe(self, spec, top, par, state, key, step):
        """``rate`` (Hz) in every step, also outside the active window (as NEST records it)."""
        return {"rate": 1000.0 * self.rates(spec, par, state)[2]}

    def push(self, spec, top, par, state, key, step):
        L = spec.time.slice_steps
        y0, y1, r = self.rates(spec, par, state)
        k = step + jnp.arange(L)[:, None]
        mu = (r * spec.time.resolution)[:, top["generator"]]
        n = poisson_draws(key, k, top["stream"].astype(jnp.uint32), mu, self.n_terms)
        return {**state, "y0": y0, "y1": y1}, jnp.where(spike_active(top, k), n, 0), beyond(mu, self.mu_max)


MODEL = SinusoidalPoissonGenerator
