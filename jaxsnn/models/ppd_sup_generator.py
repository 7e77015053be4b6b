"""ppd_sup_generator: per target, the superposition of ``n_proc`` Poisson processes with dead time
(PPD; NEST's ``ppd_sup_generator``).

An active component process spikes in step k with probability

    p_k = h / (1000 / rate − dead_time) · (1 + relative_amplitude · sin(2π · frequency / 1000 · k h))

and is then dead for B = ⌊dead_time / h⌋ steps. Initially ⌊rate / 1000 · n_proc · h⌋ processes sit in each of
the B dead bins (released after 1 … B steps) and the rest are active, as NEST's age histogram. NEST draws
binomially from that histogram per target; jaxsnn follows each process on its own (one uniform per
process, target and step from the bits of (key, step, stream)): the same distribution. The dead counters
are ``state.generators["ppd_sup_generator"]["dead"]``, computed alike on every device of a split run.
Spikes in the active steps (``origin + start < k <= origin + stop``) go out as one event of their
multiplicity.

Parameters (NEST's names and units):

==================  =======  ===============================================
name                default  doc
==================  =======  ===============================================
rate                0 Hz     rate of each component process
dead_time           0 ms     dead time after each spike (< 1000 / rate)
n_proc              1        component processes per target (>= 1)
frequency           0 Hz     frequency of the rate modulation
relative_amplitude  0        relative amplitude of the modulation, in [0, 1]
origin              0 ms     global time offset of start and stop
start               0 ms     active after origin + start (exclusive)
stop                inf ms   active until origin + stop (inclusive)
==================  =======  ===============================================
"""
from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp
import numpy as np
from jax import lax

from ..core import rng
from ..core.rate_generators import uniform
from ..errors import bad_value
from ._interface import spike_active
from .base import SPIKES, WINDOW, Generator, Param, real
from .gamma_sup_generator import whole

STREAM = 0x7D5B0000  # processes' draws: STREAM + connection · n_proc + process (uint32, wrapping)


@dataclasses.dataclass(frozen=True)
class PPDSupGenerator(Generator):
    name = "ppd_sup_generator"
    parameters = {
        "rate": Param(0.0, "Hz", "rate of each component process"),
        "dead_time": Param(0.0, "ms", "dead time after each spike (< 1000 / rate)"),
        "n_proc": Param(1, "", "component processes per target (>= 1)"),
        "frequency": Param(0.0, "Hz", "frequency of the rate modulation"),
        "relative_amplitude": Param(0.0, "", "relative amplitude of the modulation, in [0, 1]"),
        **WINDOW,
    }
    emits = SPIKES
    spikes_recorded = True
    interface = True
    settable = ("rate", "frequency", "relative_amplitude", "origin", "start", "stop")
    n_proc: int = 1

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        for name in ("rate", "dead_time", "frequency", "relative_amplitude"):
            if not real(v[name]):
                raise bad_value(f"{where}: {name}", v[name], "a finite number")
            v[name] = float(v[name])
        if v["dead_time"] < 0:
            raise bad_value(f"{where}: dead_time", v["dead_time"], "dead_time >= 0 ms (NEST: 'The dead time cannot be "
                            "negative.')")
        if v["rate"] < 0 or (v["rate"] > 0 and 1000.0 / v["rate"] <= v["dead_time"]):
            raise bad_value(f"{where}: rate", v["rate"], f"a rate >= 0 Hz below 1000 / dead_time ({v['dead_time']} "
                            "ms) (NEST: 'The inverse rate has to be larger than the dead time.')")
        whole(v, where, "n_proc", 1, "The number of component processes cannot be smaller than one")
        if not 0 <= v["relative_amplitude"] <= 1:
            raise bad_value(f"{where}: relative_amplitude", v["relative_amplitude"], "a value in [0, 1] (NEST: 'The "
                            "relative amplitude of the rate modulation must be in [0,1].')")
        return v

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        n_proc = np.array([p["n_proc"] for p in ps], np.int64)
        dead_steps = np.array([int(p["dead_time"] / h) for p in ps], np.int64)
        per_bin = np.array([int(p["rate"] / 1000.0 * p["n_proc"] * h) if b else 0 for p, b in zip(ps, dead_steps)])
        P = int(n_proc.max(initial=1))
        g = top["generator"]
        j = np.arange(P)[None, :]
        pb = per_bin[g][:, None]
        dead0 = np.where(j < pb * dead_steps[g][:, None], j // np.maximum(pb, 1) + 1, 0)
        rate = np.array([p["rate"] for p in ps], float)
        dead = np.array([p["dead_time"] for p in ps], float)
        with np.errstate(divide="ignore"):
            hazard = np.where(rate > 0, 1.0 / (1000.0 / np.where(rate > 0, rate, 1.0) - dead) * h, 0.0)
        params = dict(hazard=hazard, omega=np.array([2 * math.pi * p["frequency"] / 1000.0 for p in ps]),
                      relative_amplitude=np.array([p["relative_amplitude"] for p in ps], float))
        dead = dead0 if state is None else state["dead"]  # between runs (dead_time fixed) the processes stay
        return cls(n_proc=P), dict(n_proc=n_proc, dead_steps=dead_steps), params, dict(dead=np.asarray(dead, np.int32))

    def push(self, spec, top, par, state, key, step):
        L, P = spec.time.slice_steps, self.n_proc
        g = top["generator"]
        present = jnp.arange(P)[None, :] < top["n_proc"][g][:, None]
        B = top["dead_steps"][g][:, None]
        ids = top["stream"].astype(jnp.uint32)[:, None] * jnp.uint32(P) + jnp.arange(P, dtype=jnp.uint32)[None, :] \
            + jnp.uint32(STREAM)
        tics = spec.time.tics_per_step

        def one(dead, k):
            t = 0.001 * (k * tics)  # ms
            p = (par["hazard"] * (1.0 + par["relative_amplitude"] * jnp.sin(par["omega"] * t)))[g][:, None]
            spike = present & (dead == 0) & (uniform(rng.bits(key, k, ids), p.dtype) < p)
            return jnp.where(spike, B, jnp.maximum(dead - 1, 0)), jnp.sum(spike, axis=1)

        dead, n = lax.scan(one, state["dead"], step + jnp.arange(L))
        k = step + jnp.arange(L)[:, None]
        return {"dead": dead}, jnp.where(spike_active(top, k), n, 0), jnp.zeros((), jnp.int32)


MODEL = PPDSupGenerator
