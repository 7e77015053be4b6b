"""dc_generator: a constant current (NEST's ``dc_generator``).

Connection c adds ``weight[c] · amplitude`` (pA) to its target's current input in every active step k
(``origin + start < k + 2 <= origin + stop``: NEST's ``is_active`` for current generators), arriving
after the connection's delay; the neuron reads it at the end of step k + d, so it acts on V from the
next step. Between runs ``amplitude`` may change (``Simulation.set``): it acts from the next slice on.

Parameters (NEST's names and units):

=========  =======  ====================================
name       default  doc
=========  =======  ====================================
amplitude  0 pA     the current
origin     0 ms     global time offset of start and stop
start      0 ms     active after origin + start (exclusive)
stop       inf ms   active until origin + stop (inclusive)
=========  =======  ====================================
"""
from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from ..errors import bad_value
from ._interface import current_active, generators_active
from .base import CURRENT, WINDOW, Generator, Param, check_stop, real


@dataclasses.dataclass(frozen=True)
class DCGenerator(Generator):
    name = "dc_generator"
    parameters = {"amplitude": Param(0.0, "pA", "the current"), **WINDOW}
    emits = CURRENT
    interface = True
    replicated = False  # a connection's current depends on its generator's parameters (and its own stream)
    settable = ("amplitude", "origin", "start", "stop")
    recordables = ("I",)

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        check_stop(v, where)
        if not real(v["amplitude"]):
            raise bad_value(f"{where}: amplitude", v["amplitude"], "a current in pA (a finite number)")
        return v

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        return cls(), {}, dict(amplitude=np.array([float(p["amplitude"]) for p in ps], float)), {}

    def observe(self, spec, top, par, state, key, step):
        """``I`` (pA): the amplitude in the active steps, 0 elsewhere."""
        k = step + jnp.arange(spec.time.slice_steps)[:, None]
        return {"I": jnp.where(generators_active(top, k, True), par["amplitude"], 0.0)}

    def push(self, spec, top, par, state, key, step):
        k = step + jnp.arange(spec.time.slice_steps)[:, None]
        out = jnp.where(current_active(top, k), par["amplitude"][top["generator"]], 0.0)
        return state, out, jnp.zeros((), jnp.int32)


MODEL = DCGenerator
