"""inhomogeneous_poisson_generator: Poisson trains whose rate is piecewise constant in time (NEST's
``inhomogeneous_poisson_generator``).

In step k the rate is the value of the last ``rate_times`` entry t_i with t_i / h <= k + 1 (NEST switches
one step ahead), 0 before the first; each connection draws its own count n ~ Poisson(rate / 1000 · h)
from the bits of (key, k, connection) (:func:`jaxsnn.core.rate_generators.poisson_counts`, an
independent train per target, as NEST's DSSpikeEvent) in the active steps
(``origin + start < k <= origin + stop``). Split, resumed and sharded runs draw the same counts.

Parameters (NEST's names and units):

===================  =======  =====================================================
name                 default  doc
===================  =======  =====================================================
rate_times           ()       times at which the rate changes (ms, on the grid, increasing, > 0)
rate_values          ()       the rates from those times on (Hz, >= 0)
allow_offgrid_times  False    only False (times off the grid are refused)
origin               0 ms     global time offset of start and stop
start                0 ms     active after origin + start (exclusive)
stop                 inf ms   active until origin + stop (inclusive)
===================  =======  =====================================================
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .. import checks
from ..errors import JaxsnnError, bad_value
from ._interface import beyond, poisson_draws, spike_active, terms_for
from .base import SPIKES, WINDOW, Generator, Param, flat_floats


@dataclasses.dataclass(frozen=True)
class InhomogeneousPoissonGenerator(Generator):
    name = "inhomogeneous_poisson_generator"
    parameters = {
        "rate_times": Param((), "ms", "times at which the rate changes (on the grid, increasing, > 0)"),
        "rate_values": Param((), "Hz", "the rates from those times on (>= 0)"),
        "allow_offgrid_times": Param(False, "", "only False (times off the grid are refused)"),
        **WINDOW,
    }
    vector_params = ("rate_times", "rate_values")
    emits = SPIKES
    spikes_recorded = True
    interface = True
    stream = 0x1A000000  # offsets the streams of its draws from the other generators'
    settable = ("rate_times", "rate_values", "origin", "start", "stop")
    n_terms: int = 1  # Poisson table terms for the largest rate
    mu_max: float = 0.0

    @classmethod
    def check_given(cls, given, where) -> None:
        if ("rate_times" in given) != ("rate_values" in given):
            raise JaxsnnError(f"{where}: rate_times and rate_values must be given together (NEST: 'Rate times and "
                              "values must be reset together.').")

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        if v["allow_offgrid_times"] not in (False, 0):
            raise bad_value(f"{where}: allow_offgrid_times", v["allow_offgrid_times"], "False (rate times on the grid)")
        t = flat_floats(f"{where}: rate_times", v["rate_times"], "times in ms")
        r = flat_floats(f"{where}: rate_values", v["rate_values"], "rates in Hz")
        if len(t) != len(r):
            raise bad_value(f"{where}: rate_values", f"<{len(r)} values>", f"{len(t)} values, one per rate time "
                            "(NEST: 'Rate times and values have to be the same size.')")
        for x in t:
            if not (np.isfinite(x) and x > 0):
                raise bad_value(f"{where}: rate_times", float(x), "times > 0 ms (NEST: 'Time points must lie "
                                "strictly in the future.')")
            if checks.tics(float(x)) % tics_per_step:
                raise bad_value(f"{where}: rate_times", float(x), f"a multiple of the resolution ({h} ms; NEST: "
                                "'not representable in current resolution')")
        if (np.diff(t) <= 0).any():
            raise bad_value(f"{where}: rate_times", list(t), "strictly increasing times (NEST: 'Rate times must be "
                            "strictly increasing.')")
        if not (np.isfinite(r) & (r >= 0)).all():
            raise bad_value(f"{where}: rate_values", list(r), "finite rates >= 0 Hz")
        v["rate_times"], v["rate_values"] = tuple(map(float, t)), tuple(map(float, r))
        return v

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        steps = [np.round(np.asarray(p["rate_times"], float) / h).astype(np.int64) for p in ps]
        if old is not None:  # times given anew must lie in the future (unchanged ones may be past)
            for p, o, new in zip(ps, list(old) + [None] * len(ps), steps):
                if o is not None and tuple(p["rate_times"]) == tuple(o["rate_times"]):
                    continue
                if len(new) and new[0] * h <= t_ms + 1e-9 * h:
                    raise bad_value(f"set({cls.name}): rate_times", list(p["rate_times"]), f"times after the current "
                                    f"time {t_ms} ms (NEST: 'Time points must lie strictly in the future.')")
        extra = dict(entry_gen=np.concatenate([np.full(len(s), i) for i, s in enumerate(steps)] + [np.zeros(0)]),
                   entry_step=np.concatenate(steps + [np.zeros(0)]),
                   entry_ptr=np.cumsum([0] + [len(s) for s in steps[:-1]]))
        values = np.concatenate([np.asarray(p["rate_values"], float) for p in ps] + [np.zeros(0)])
        mu_max = float(values.max(initial=0.0)) / 1000.0 * h
        m = cls(n_terms=terms_for(mu_max, f"connect({cls.name})", "rate_values", float(values.max(initial=0.0))),
                mu_max=mu_max)
        return m, extra, dict(rate_values=values), {}

    def push(self, spec, top, par, state, key, step):
        L = spec.time.slice_steps
        k = step + jnp.arange(L)[:, None]
        n_gen = top["window"].shape[0]
        if top["entry_step"].shape[0]:
            reached = (top["entry_step"][None, :] <= k + 1).astype(jnp.int32)  # [L, E]
            count = jax.vmap(lambda x: jax.ops.segment_sum(x, top["entry_gen"], n_gen))(reached)  # [L, G]
            at = jnp.clip(top["entry_ptr"][None, :] + count - 1, 0, top["entry_step"].shape[0] - 1)
            rate = jnp.where(count > 0, par["rate_values"][at], 0.0)
        else:
            rate = jnp.zeros((L, n_gen), par["weight"].dtype)
        mu = (rate / 1000.0 * spec.time.resolution)[:, top["generator"]]  # [L, C]
        n = poisson_draws(key, k, top["stream"].astype(jnp.uint32), mu, self.n_terms)
        return state, jnp.where(spike_active(top, k), n, 0), beyond(mu, self.mu_max)


MODEL = InhomogeneousPoissonGenerator
