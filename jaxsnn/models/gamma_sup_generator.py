"""gamma_sup_generator: per target, the superposition of ``n_proc`` gamma processes of integer order
``gamma_shape`` (NEST's ``gamma_sup_generator``).

Each component process cycles through ``gamma_shape`` stages, moving on with probability
p = rate · gamma_shape · h / 1000 per step; leaving the last stage is a spike (and the process starts again).
Initially ``n_proc // gamma_shape`` processes sit in each stage and the rest in the last. NEST keeps the
occupation of the stages per target and draws binomial transitions; jaxsnn follows each process on its
own (one uniform per process, target and step, from the bits of (key, step, stream)): the same
distribution. The stages are ``state.generators["gamma_sup_generator"]["stage"]`` ([connections,
largest n_proc]), computed alike on every device of a split run. Spikes in the active steps
(``origin + start < k <= origin + stop``) go out as one event of their multiplicity.

Parameters (NEST's names and units):

===========  =======  ==========================================
name         default  doc
===========  =======  ==========================================
rate         0 Hz     rate of each component process
gamma_shape  1        order of the gamma processes (>= 1)
n_proc       1        component processes per target (>= 1)
origin       0 ms     global time offset of start and stop
start        0 ms     active after origin + start (exclusive)
stop         inf ms   active until origin + stop (inclusive)
===========  =======  ==========================================
"""
from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
from jax import lax

from ..core import rng
from ..core.rate_generators import uniform
from ..errors import bad_value
from ._interface import spike_active
from .base import SPIKES, WINDOW, Generator, Param, real

STREAM = 0x6A3A5000  # processes' draws: STREAM + connection · n_proc + process (uint32, wrapping)


def whole(v, where, name, lo, message):
    x = v[name]
    if not (real(x) and float(x) == int(x)):
        raise bad_value(f"{where}: {name}", x, f"a whole number >= {lo}")
    if x < lo:
        raise bad_value(f"{where}: {name}", x, f"{name} >= {lo} (NEST: '{message}')")
    v[name] = int(x)


@dataclasses.dataclass(frozen=True)
class GammaSupGenerator(Generator):
    name = "gamma_sup_generator"
    parameters = {
        "rate": Param(0.0, "Hz", "rate of each component process"),
        "gamma_shape": Param(1, "", "order of the gamma processes (>= 1)"),
        "n_proc": Param(1, "", "component processes per target (>= 1)"),
        **WINDOW,
    }
    emits = SPIKES
    spikes_recorded = True
    interface = True
    settable = ("rate", "origin", "start", "stop")
    n_proc: int = 1  # the largest n_proc: processes followed per connection

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        whole(v, where, "gamma_shape", 1, "The shape must be larger or equal 1")
        if not (real(v["rate"]) and v["rate"] >= 0):
            raise bad_value(f"{where}: rate", v["rate"], "a finite rate >= 0 Hz (NEST: 'The rate must be larger "
                            "than 0.')")
        v["rate"] = float(v["rate"])
        whole(v, where, "n_proc", 1, "The number of component processes cannot be smaller than one")
        return v

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        shape = np.array([p["gamma_shape"] for p in ps], np.int64)
        n_proc = np.array([p["n_proc"] for p in ps], np.int64)
        P = int(n_proc.max(initial=1))
        g = top["generator"]
        j = np.arange(P)[None, :]
        per_stage = (n_proc // shape)[g][:, None]
        stage0 = np.where(per_stage > 0, np.minimum(j // np.maximum(per_stage, 1), shape[g][:, None] - 1),
                          shape[g][:, None] - 1)
        stage = stage0 if state is None else state["stage"]  # between runs (only rate changes) the stages stay
        return (cls(n_proc=P), dict(shape=shape, n_proc=n_proc), dict(rate=np.array([p["rate"] for p in ps], float)),
                dict(stage=np.asarray(stage, np.int32)))

    def push(self, spec, top, par, state, key, step):
        L, P, h = spec.time.slice_steps, self.n_proc, spec.time.resolution
        g = top["generator"]
        shape, present = top["shape"][g][:, None], jnp.arange(P)[None, :] < top["n_proc"][g][:, None]
        p = (par["rate"][g] * top["shape"][g] * h / 1000.0)[:, None]
        ids = top["stream"].astype(jnp.uint32)[:, None] * jnp.uint32(P) + jnp.arange(P, dtype=jnp.uint32)[None, :] \
            + jnp.uint32(STREAM)

        def one(stage, k):
            move = present & (uniform(rng.bits(key, k, ids), p.dtype) < p)
            spikes = jnp.sum(move & (stage == shape - 1), axis=1)
            return jnp.where(move, (stage + 1) % shape, stage), spikes

        stage, n = lax.scan(one, state["stage"], step + jnp.arange(L))
        k = step + jnp.arange(L)[:, None]
        return {"stage": stage}, jnp.where(spike_active(top, k), n, 0), jnp.zeros((), jnp.int32)


MODEL = GammaSupGenerator
