"""noise_generator: a Gaussian white-noise current, redrawn every ``dt`` (NEST's ``noise_generator``).

Each connection draws its own current I = mean + sqrt(std² + y₁·std_mod²) · N(0, 1) at its first active
step and every ``dt`` after, with y₁ = sin(phase + 2π · frequency · t) (NEST's oscillator, from the
first active step) and N(0, 1) from the bits of (key, draw step, connection) by Box–Muller: split,
resumed and sharded runs draw the same currents. The current reaches its targets as a dc_generator's does.
Its recordable ``I`` (pA) is NEST's: the mean of the currents it sends its connections in the step (0 when
inactive or without connections); every device of a split run computes it from all the connections'
draws (``all_stream``, ``all_generator``: the connections' streams and generators, not cut per device).

Parameters (NEST's names and units):

=========  =======  ====================================================
name       default  doc
=========  =======  ====================================================
mean       0 pA     mean current
std        0 pA     standard deviation of the draws
std_mod    0 pA     modulation of the standard deviation (<= std)
frequency  0 Hz     frequency of the modulation
phase      0        phase of the modulation (degrees)
dt         None     ms between draws (None: 10 resolutions, set at create)
origin     0 ms     global time offset of start and stop
start      0 ms     active after origin + start (exclusive)
stop       inf ms   active until origin + stop (inclusive)
=========  =======  ====================================================
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ..core import rng
from ..errors import bad_value
from ._interface import current_active, generators_active
from .base import CURRENT, WINDOW, Generator, Param, check_stop, real

STREAM = 0x4E015E00  # offsets the stream ids of the draws from other generators' (Poisson's)
NOISE = ("mean", "std", "std_mod", "frequency", "phase")


@dataclasses.dataclass(frozen=True)
class NoiseGenerator(Generator):
    name = "noise_generator"
    parameters = {
        "mean": Param(0.0, "pA", "mean current"),
        "std": Param(0.0, "pA", "standard deviation of the draws"),
        "std_mod": Param(0.0, "pA", "modulation of the standard deviation (<= std)"),
        "frequency": Param(0.0, "Hz", "frequency of the modulation"),
        "phase": Param(0.0, "", "phase of the modulation (degrees)"),
        "dt": Param(None, "ms", "time between draws (None: 10 resolutions, set at create)"),
        **WINDOW,
    }
    emits = CURRENT
    interface = True
    replicated = False  # a connection's current depends on its generator's parameters (and its own stream)
    recordables = ("I",)

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        check_stop(v, where)
        for name in ("mean", "std", "std_mod", "frequency", "phase"):
            if not real(v[name]):
                raise bad_value(f"{where}: {name}", v[name], "a finite number")
        if v["std"] < 0 or v["std_mod"] < 0:
            raise bad_value(f"{where}: std/std_mod", (v["std"], v["std_mod"]), "The standard deviation cannot be "
                            "negative.")
        if v["std_mod"] > v["std"]:
            raise bad_value(f"{where}: std_mod", v["std_mod"], f"std_mod <= std ({v['std']}): The modulation "
                            "amplitude must be smaller or equal to the baseline amplitude.")
        if v["dt"] is None:
            v["dt"] = 10 * h
        dt = v["dt"]
        if not (isinstance(dt, (int, float)) and dt > 0 and abs(dt / h - round(dt / h)) < 1e-9):
            raise bad_value(f"{where}: dt", dt, f"a positive multiple of the resolution {h} ms (NEST: "
                            "StepMultipleRequired)")
        return v

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        return (cls(), dict(dt_steps=np.array([round(p["dt"] / h) for p in ps], np.int64),
                            all_stream=np.asarray(top["stream"], np.int64),
                            all_generator=np.asarray(top["generator"], np.int64)),
                {k: np.array([float(p[k]) for p in ps], float) for k in NOISE}, {})

    def observe(self, spec, top, par, state, key, step):
        """``I`` (pA): the mean of the currents each generator sends its connections (all of them, also
        on a device of a split run), 0 when inactive or without connections."""
        k = step + jnp.arange(spec.time.slice_steps)[:, None]
        g = top["all_generator"]
        current = self.currents(spec, top, par, key, k, g, top["all_stream"])  # [L, all connections]
        n_gen = top["window"].shape[0]
        total = jax.vmap(lambda x: jax.ops.segment_sum(x, g, n_gen))(current)  # [L, G]
        n = jax.ops.segment_sum(jnp.ones_like(g), g, n_gen)
        return {"I": jnp.where(generators_active(top, k, True), total / jnp.maximum(n, 1), 0.0)}

    def push(self, spec, top, par, state, key, step):
        """Each connection's current of steps k: the draw of its generator's last draw step."""
        k = step + jnp.arange(spec.time.slice_steps)[:, None]  # [L, 1]
        noise = self.currents(spec, top, par, key, k, top["generator"], top["stream"])
        return state, jnp.where(current_active(top, k), noise, 0.0), jnp.zeros((), jnp.int32)

    @staticmethod
    def currents(spec, top, par, key, k, g, stream):
        """The currents of connections of generators ``g`` and streams ``stream`` in steps k ([L, 1]): each
        the draw of its generator's last draw step."""
        first = jnp.maximum(top["window"][g, 0] - 1, 0)  # the first active step
        dt = top["dt_steps"][g]
        drawn = first + (k - first) // dt * dt  # the step of the draw in use at k
        dtype = par["mean"].dtype
        ids = stream.astype(jnp.uint32) * jnp.uint32(2) + jnp.uint32(STREAM)
        u1 = (rng.bits(key, drawn, ids[None, :]).astype(dtype) + 0.5) * (1.0 / 4294967296.0)
        u2 = rng.bits(key, drawn, ids[None, :] + 1).astype(dtype) * (1.0 / 4294967296.0)
        z = jnp.sqrt(-2.0 * jnp.log(u1)) * jnp.cos(2.0 * jnp.pi * u2)
        omega = 2.0 * jnp.pi * par["frequency"][g] / 1000.0
        y1 = jnp.sin(par["phase"][g] * 2.0 * jnp.pi / 360.0 + omega * spec.time.resolution * (drawn - first + 1))
        std, mod = par["std"][g], par["std_mod"][g]
        return par["mean"][g] + jnp.sqrt(std * std + y1 * mod * mod) * z


MODEL = NoiseGenerator
