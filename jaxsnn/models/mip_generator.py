"""mip_generator: correlated Poisson trains by copying a mother train (NEST's ``mip_generator``, multiple
interaction process).

In each active step k (``origin + start < k <= origin + stop``) the generator draws a mother count
m ~ Poisson(rate / 1000 · h) (bits of (key, k, generator)), and each connection keeps every one of the m
mother spikes with probability ``p_copy`` (its own uniform per mother spike: bits of (key, k, connection,
spike)). The targets' trains are Poisson with rate · p_copy and pairwise correlation p_copy; NEST's in
distribution. Split, resumed and sharded runs draw the same counts.

Parameters (NEST's names and units):

======  =======  ====================================
name    default  doc
======  =======  ====================================
rate    0 Hz     rate of the mother train
p_copy  1        probability of copying a mother spike
origin  0 ms     global time offset of start and stop
start   0 ms     active after origin + start (exclusive)
stop    inf ms   active until origin + stop (inclusive)
======  =======  ====================================
"""
from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from ..core import rng
from ..core.rate_generators import uniform
from ..errors import bad_value
from ._interface import beyond, poisson_draws, spike_active, terms_for
from .base import SPIKES, WINDOW, Generator, Param, real

MOTHER = 0x3A000000  # the mother train's stream: MOTHER + generator
COPY = 0x3C0FFEE0  # copy decisions: COPY + connection · n_terms + mother spike


@dataclasses.dataclass(frozen=True)
class MipGenerator(Generator):
    name = "mip_generator"
    parameters = {
        "rate": Param(0.0, "Hz", "rate of the mother train"),
        "p_copy": Param(1.0, "", "probability of copying a mother spike"),
        **WINDOW,
    }
    emits = SPIKES
    spikes_recorded = True
    interface = True
    settable = ("rate", "p_copy", "origin", "start", "stop")
    n_terms: int = 1
    mu_max: float = 0.0

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        if not (real(v["rate"]) and v["rate"] >= 0):
            raise bad_value(f"{where}: rate", v["rate"], "a finite rate >= 0 Hz (NEST: 'Rate must be non-negative.')")
        if not (real(v["p_copy"]) and 0 <= v["p_copy"] <= 1):
            raise bad_value(f"{where}: p_copy", v["p_copy"], "a probability in [0, 1] (NEST: 'Copy probability must "
                            "be in [0, 1].')")
        v["rate"], v["p_copy"] = float(v["rate"]), float(v["p_copy"])
        return v

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        rate = np.array([p["rate"] for p in ps], float)
        mu_max = float(rate.max(initial=0.0)) / 1000.0 * h
        m = cls(n_terms=terms_for(mu_max, f"connect({cls.name})", "rate", float(rate.max(initial=0.0))), mu_max=mu_max)
        return m, {}, dict(rate=rate, p_copy=np.array([p["p_copy"] for p in ps], float)), {}

    def push(self, spec, top, par, state, key, step):
        L, T = spec.time.slice_steps, self.n_terms
        k = step + jnp.arange(L)[:, None]
        n_gen = top["window"].shape[0]
        mu = jnp.broadcast_to(par["rate"] / 1000.0 * spec.time.resolution, (L, n_gen))
        mother = poisson_draws(key, k, (MOTHER + jnp.arange(n_gen)).astype(jnp.uint32), mu, T)  # [L, G]
        g = top["generator"]
        n = jnp.zeros((L, g.shape[0]), jnp.int32)
        for i in range(T):  # mother spike i (present while i < m) is copied with probability p_copy
            ids = (jnp.arange(g.shape[0], dtype=jnp.uint32) * jnp.uint32(T) + jnp.uint32(i + COPY))[None, :]
            kept = uniform(rng.bits(key, k, ids), mu.dtype) < par["p_copy"][g]
            n = n + (kept & (i < mother[:, g])).astype(jnp.int32)
        return state, jnp.where(spike_active(top, k), n, 0), beyond(mu, self.mu_max)


MODEL = MipGenerator
