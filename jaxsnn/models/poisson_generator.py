"""poisson_generator: an independent Poisson spike train per connection (NEST's ``poisson_generator``).

In every active step k (``origin + start < k <= origin + stop`` in steps) each connection draws a
count n ~ Poisson(rate · h) from the bits of (key, k, connection) (:mod:`jaxsnn.core.rng`: the inverse
CDF of a survival table of ``n_terms`` terms, enough for the largest rate at build) and delivers weight ×
n after its delay, pushed a slice ahead. Split, resumed and sharded runs draw the same counts (a split
run draws each device's connections there). A rate whose table does not fit is refused at ``create``;
``Simulation.set`` grows the table for a higher rate; a rate raised beyond the table in the params
pytree sets ``Overflow.POISSON``. In the differentiable build the counts are straight-through
(d n / d rate = h).

Parameters (NEST's names and units):

======  =======  ====================================
name    default  doc
======  =======  ====================================
rate    0 Hz     mean firing rate
origin  0 ms     global time offset of start and stop
start   0 ms     active after origin + start (exclusive)
stop    inf ms   active until origin + stop (inclusive)
======  =======  ====================================
"""
from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import checks
from ..core import rng
from ..core.generators import straight_through_counts
from ..core.rng import MAX_POISSON_TERMS, n_terms_for
from ..core.status import Overflow, flag
from ..errors import bad_value
from ._interface import spike_active
from .base import SPIKES, WINDOW, Generator, Param


@dataclasses.dataclass(frozen=True)
class PoissonGenerator(Generator):
    name = "poisson_generator"
    parameters = {"rate": Param(0.0, "Hz", "mean firing rate"), **WINDOW}
    emits = SPIKES
    interface = True
    replicated = False  # a connection's train depends on its generator's rate and its own stream only
    settable = ("rate", "origin", "start", "stop")
    recorded_by_spike_recorders = True  # (jaxsnn.nest: on the host)
    spikes_recorded = True  # (a Network: in the engine, a train of its own per spike_recorder)
    n_terms: int = 0  # terms of the Poisson table: enough for the largest rate at build

    @classmethod
    def own_spikes(cls, p, h, now, n_steps, counts):
        """A Poisson count per active step (``counts``: a train of its own, independent of those it sends
        to neurons, as NEST sends each target an independent one); step s's spikes have stamp s + 1."""
        from .spike_generator import _window

        lo, hi = _window(p, h)
        steps = now + np.arange(n_steps)  # step s is active iff lo < s <= hi
        active = steps[(lo < steps) & (steps <= hi)]
        return np.repeat(active + 1, counts(active, p["rate"] * h * 1e-3))

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        v["rate"] = checks.number(f"{where}: rate", v["rate"], "a finite rate >= 0 Hz", lambda r: 0 <= r < math.inf)
        mu = v["rate"] * h * 1e-3
        if mu > MAX_POISSON_TERMS or n_terms_for(mu) > MAX_POISSON_TERMS:
            raise bad_value(f"{where}: rate", v["rate"], f"a rate whose mean count per step (rate·h = {mu:.4g}) needs "
                            f"at most {MAX_POISSON_TERMS} Poisson table terms (about {_max_rate(h):.4g} Hz at h = {h} "
                            "ms); split it over several poisson_generators")
        return v

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        rate = np.array([p["rate"] for p in ps], float)
        return cls(n_terms=n_terms_for(float(rate.max(initial=0.0)) * h * 1e-3)), {}, dict(rate=rate), {}

    def push(self, spec, top, par, state, key, step):
        """Counts [L, C] of every connection in each step of the slice; ``Overflow.POISSON`` where a rate
        exceeds what the table covers."""
        k = step + jnp.arange(spec.time.slice_steps)[:, None]  # [L, 1]
        dtype = par["rate"].dtype
        mu = par["rate"] * spec.time.resolution * 1e-3
        survival, covered = jax.vmap(lambda m: rng.poisson_table(m, self.n_terms))(mu)
        g = top["generator"]
        n = rng.poisson_counts(rng.bits(key, k, top["stream"].astype(jnp.uint32)[None, :]), survival[g]).astype(dtype)
        if spec.autodiff.differentiable:  # straight-through counts: the same n, d n / d rate = d E[n] / d rate = h
            n = straight_through_counts(n, mu[g])
        return state, jnp.where(spike_active(top, k), n, 0.0), flag(~jnp.all(covered), Overflow.POISSON)


def _max_rate(h):
    lo, hi = 0.0, float(MAX_POISSON_TERMS)
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if n_terms_for(mid) <= MAX_POISSON_TERMS else (lo, mid)
    return lo / (h * 1e-3)


MODEL = PoissonGenerator
