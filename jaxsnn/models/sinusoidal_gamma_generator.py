"""sinusoidal_gamma_generator: gamma-process trains with a sinusoidally modulated rate (NEST's
``sinusoidal_gamma_generator``).

A gamma process of order a with rate r(t) = rate + amplitude · sin(ω t + φ) (1/ms, t = (k + 1) h at step k,
the sine evaluated directly as NEST does), by time rescaling: with Λ the integrated rate a ∫ r since the
train's last spike t₀,

    Λ(t₀, t) = a · rate · (t − t₀) − a · amplitude / ω · (cos(ω t + φ) − cos(ω t₀ + φ)),
    P(spike in step k) = h · a · r_k · Λ^{a−1} e^{−Λ} / Γ(a, Λ)          (Γ(a, ·): upper incomplete gamma)

one uniform per train and step from the bits of (key, step, stream) (NEST's hazard_ and event_hook); a
spike sets t₀ = t_k and the accumulated Λ to 0. A train per connection (``individual_spike_trains``, the
default) or one shared by all targets of a generator. The trains' state (t₀ and Λ accumulated before t₀'s
parameters; both 0 at the start) is ``state.generators["sinusoidal_gamma_generator"]``, per connection
(connections of a shared train hold the same values), computed alike on every device of a split run.
NEST's in distribution. Active steps: ``origin + start < k <= origin + stop``.

Parameters (NEST's names and units):

=======================  =======  ====================================================
name                     default  doc
=======================  =======  ====================================================
rate                     0 Hz     mean rate
amplitude                0 Hz     amplitude of the modulation (0 <= amplitude <= rate)
frequency                0 Hz     frequency of the modulation
phase                    0        phase at t = 0 (degrees)
order                    1        order of the gamma process (>= 1)
individual_spike_trains  True     one train per target (True) or one shared train (False)
origin                   0 ms     global time offset of start and stop
start                    0 ms     active after origin + start (exclusive)
stop                     inf ms   active until origin + stop (inclusive)
=======================  =======  ====================================================
"""
from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..core import rng
from ..core.rate_generators import uniform
from ..errors import bad_value
from ._interface import spike_active
from .base import SPIKES, WINDOW, Generator, Param, real

STREAM = 0x4B000000  # individual trains: STREAM + connection; shared trains: SHARED + generator
SHARED = 0x4C000000


@dataclasses.dataclass(frozen=True)
class SinusoidalGammaGenerator(Generator):
    name = "sinusoidal_gamma_generator"
    parameters = {
        "rate": Param(0.0, "Hz", "mean rate"),
        "amplitude": Param(0.0, "Hz", "amplitude of the modulation (0 <= amplitude <= rate)"),
        "frequency": Param(0.0, "Hz", "frequency of the modulation"),
        "phase": Param(0.0, "", "phase at t = 0 (degrees)"),
        "order": Param(1.0, "", "order of the gamma process (>= 1)"),
        "individual_spike_trains": Param(True, "", "one train per target (True) or one shared train (False)"),
        **WINDOW,
    }
    emits = SPIKES
    spikes_recorded = True
    interface = True
    settable = ("rate", "amplitude", "frequency", "phase", "order", "origin", "start", "stop")
    recordables = ("rate",)

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        for name in ("rate", "amplitude", "frequency", "phase", "order"):
            if not real(v[name]):
                raise bad_value(f"{where}: {name}", v[name], "a finite number")
            v[name] = float(v[name])
        if v["order"] < 1:
            raise bad_value(f"{where}: order", v["order"], "order >= 1 (NEST: 'The gamma order must be at least 1.')")
        if not 0 <= v["amplitude"] <= v["rate"]:
            raise bad_value(f"{where}: amplitude", v["amplitude"], f"0 <= amplitude <= rate ({v['rate']} Hz; NEST: "
                            "'Rate parameters must fulfill 0 <= amplitude <= rate.')")
        if not isinstance(v["individual_spike_trains"], (bool, np.bool_)):
            raise bad_value(f"{where}: individual_spike_trains", v["individual_spike_trains"], "True or False")
        return v

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        shared = np.array([not p["individual_spike_trains"] for p in ps], bool)
        g = top["generator"]
        stream = np.where(shared[g], SHARED + g, STREAM + np.arange(len(g)))
        col = lambda f, ps=ps: np.array([f(p) for p in ps], float)
        params = dict(rate=col(lambda p: p["rate"] / 1000.0),
                      amplitude=col(lambda p: p["amplitude"] / 1000.0),
                      omega=col(lambda p: p["frequency"] * (2.0 * math.pi / 1000.0)),
                      phase=col(lambda p: p["phase"] * (math.pi / 180.0)), order=col(lambda p: p["order"]))
        C = len(top["target"])
        if state is None:
            return cls(), dict(stream=stream), params, dict(t0=np.zeros(C), Lambda0=np.zeros(C))
        # NEST's pre_run_hook: the rate integrated since each train's last spike under the old parameters
        # is carried, and t0 moves to now
        g = top["generator"]
        a, rate, amp = (col(f, old)[g] for f in (lambda p: p["order"], lambda p: p["rate"] / 1000.0,
                                                  lambda p: p["amplitude"] / 1000.0))
        om, phi = (col(f, old)[g] for f in (lambda p: p["frequency"] * (2.0 * math.pi / 1000.0),
                                            lambda p: p["phase"] * (math.pi / 180.0)))
        t0 = np.asarray(state["t0"], float)
        d = a * rate * (t_ms - t0)
        mod = (np.abs(amp) > 0) & (np.abs(om) > 0)
        d = d + np.where(mod, -a * amp / np.where(mod, om, 1.0) * (np.cos(om * t_ms + phi) - np.cos(om * t0 + phi)), 0)
        Lambda0 = np.asarray(state["Lambda0"], float) + np.where(t0 == t_ms, 0.0, d)
        return cls(), dict(stream=stream), params, dict(t0=np.full(C, float(t_ms)), Lambda0=Lambda0)

    def observe(self, spec, top, par, state, key, step):
        """``rate`` (Hz): rate + amplitude · sin(ω t + φ) at t = (k + 1) h of every step, also outside the active
        window and below 0 (as NEST records it)."""
        k = step + jnp.arange(spec.time.slice_steps)[:, None]
        t = 0.001 * ((k + 1) * spec.time.tics_per_step)
        return {"rate": 1000.0 * (par["rate"] + par["amplitude"] * jnp.sin(par["omega"] * t + par["phase"]))}

    def push(self, spec, top, par, state, key, step):
        L, h = spec.time.slice_steps, spec.time.resolution
        g = top["generator"]
        rate, amp, om, phi, a = (par[n][g] for n in ("rate", "amplitude", "omega", "phase", "order"))
        streams = top["stream"].astype(jnp.uint32)
        log_gamma_a = jax.scipy.special.gammaln(a)
        modulated = (jnp.abs(amp) > 0) & (jnp.abs(om) > 0)
        safe_om = jnp.where(modulated, om, 1.0)

        def one(carry, k):
            t0, L0 = carry
            t = 0.001 * ((k + 1) * spec.time.tics_per_step)
            r = rate + amp * jnp.sin(om * t + phi)
            d = a * rate * (t - t0) + jnp.where(modulated, -a * amp / safe_om * (jnp.cos(om * t + phi)
                                                                               - jnp.cos(om * t0 + phi)), 0.0)
            lam = L0 + jnp.where(t0 == t, 0.0, d)
            lp = jnp.maximum(lam, 1e-300)
            log_h = (jnp.log(h * a * jnp.maximum(r, 1e-300)) + (a - 1) * jnp.log(lp) - lp
                     - jnp.log(jax.scipy.special.gammaincc(a, lp)) - log_gamma_a)
            hazard = jnp.where((lam > 0) & (r > 0), jnp.exp(log_h), 0.0)
            spike = (r > 0) & (uniform(rng.bits(key, k, streams), hazard.dtype) < hazard)
            return (jnp.where(spike, t, t0), jnp.where(spike, 0.0, L0)), spike.astype(jnp.int32)

        (t0, L0), n = lax.scan(one, (state["t0"], state["Lambda0"]), step + jnp.arange(L))
        k = step + jnp.arange(L)[:, None]
        return {"t0": t0, "Lambda0": L0}, jnp.where(spike_active(top, k), n, 0), jnp.zeros((), jnp.int32)


MODEL = SinusoidalGammaGenerator
