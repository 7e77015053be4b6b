"""pulsepacket_generator: packets of ``activity`` spikes around each of ``pulse_times`` (NEST's
``pulsepacket_generator``).

For pulse time T_p each of the ``activity`` spikes is at x = T_p + sdev · N(0, 1), on the grid step
nearest x; the spikes of one step go out as one event of that multiplicity, the same to every target (one
train shared by all, as NEST sends one event). At sdev = 0 every spike of a packet is at the step of T_p:
exact to NEST 3.10. With sdev > 0 the normal draws come from (key, spike index) (Box–Muller on two 32-bit
words, :mod:`jaxsnn.core.pulsepacket`), computed in every slice for all of the generator's spikes, so they
do not depend on how the run is split; NEST draws them when a packet comes within ``sdev_tolerance`` · sdev
of the current time and drops spikes before it, jaxsnn drops spikes before t = 0. A step's count is sent in
the generator's active steps (``origin + start < k <= origin + stop``). The cost per slice grows with the
number of spikes of all packets (pulses × activity).

Parameters (NEST's names and units):

==============  =======  ==================================================
name            default  doc
==============  =======  ==================================================
pulse_times     ()       centres of the packets (ms); one flat list for every generator of the call
activity        0        spikes per packet (a whole number >= 0)
sdev            0 ms     standard deviation of the spike times in a packet
sdev_tolerance  10       NEST's look-ahead in sdevs (no effect here: all spikes are drawn)
origin          0 ms     global time offset of start and stop
start           0 ms     active after origin + start (exclusive)
stop            inf ms   active until origin + stop (inclusive)
==============  =======  ==================================================
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ..core import rng
from ..core.pulsepacket import PULSE_STREAM
from ..errors import bad_value
from ._interface import spike_active
from .base import SPIKES, WINDOW, Generator, Param, flat_floats, real


@dataclasses.dataclass(frozen=True)
class PulsepacketGenerator(Generator):
    name = "pulsepacket_generator"
    parameters = {
        "pulse_times": Param((), "ms", "centres of the packets; one flat list for every generator of the call"),
        "activity": Param(0, "", "spikes per packet (a whole number >= 0)"),
        "sdev": Param(0.0, "ms", "standard deviation of the spike times in a packet"),
        "sdev_tolerance": Param(10.0, "", "NEST's look-ahead in sdevs (no effect: all spikes are drawn)"),
        **WINDOW,
    }
    vector_params = ("pulse_times",)
    emits = SPIKES
    spikes_recorded = True
    interface = True
    settable = ("pulse_times", "activity", "sdev", "origin", "start", "stop")

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        t = flat_floats(f"{where}: pulse_times", v["pulse_times"], "times in ms")
        if not np.isfinite(t).all():
            raise bad_value(f"{where}: pulse_times", list(t), "finite times in ms")
        v["pulse_times"] = tuple(float(x) for x in t)
        a = v["activity"]
        if not (real(a) and float(a) == int(a)):
            raise bad_value(f"{where}: activity", a, "a whole number of spikes >= 0")
        if a < 0:
            raise bad_value(f"{where}: activity", a, "activity >= 0 (NEST: 'The activity cannot be negative.')")
        v["activity"] = int(a)
        for name in ("sdev", "sdev_tolerance"):
            if not real(v[name]):
                raise bad_value(f"{where}: {name}", v[name], "a finite number")
        if v["sdev"] < 0:
            raise bad_value(f"{where}: sdev", v["sdev"], "sdev >= 0 (NEST: 'The standard deviation cannot be "
                            "negative.')")
        v["sdev"] = float(v["sdev"])
        return v

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        centre = [np.repeat(np.asarray(p["pulse_times"], float), p["activity"]) for p in ps]
        gen = np.concatenate([np.full(len(c), i) for i, c in enumerate(centre)]) if centre else np.zeros(0)
        centre = np.concatenate(centre) if centre else np.zeros(0)
        extra = dict(spike_gen=gen.astype(np.int64), spike_step=np.round(centre / h).astype(np.int64),  # sdev 0
                     spike_id=np.arange(len(centre), dtype=np.int64))
        return cls(), extra, dict(centre=centre, sdev=np.array([p["sdev"] for p in ps], float)), {}

    def push(self, spec, top, par, state, key, step):
        L, h = spec.time.slice_steps, spec.time.resolution
        k = step + jnp.arange(L)[:, None]
        n_gen = top["window"].shape[0]
        sdev = par["sdev"][top["spike_gen"]]
        ids = top["spike_id"].astype(jnp.uint32) * jnp.uint32(2) + jnp.uint32(PULSE_STREAM)
        dtype = par["centre"].dtype
        u1 = (rng.bits(key, 0, ids).astype(dtype) + 0.5) * (1.0 / 4294967296.0)
        u2 = rng.bits(key, 0, ids + 1).astype(dtype) * (1.0 / 4294967296.0)
        z = jnp.sqrt(-2.0 * jnp.log(u1)) * jnp.cos(2.0 * jnp.pi * u2)
        drawn = jnp.round((par["centre"] + sdev * z) / h).astype(jnp.int32)
        at = jnp.where(sdev > 0, drawn, top["spike_step"])  # sdev 0: the host's step of T_p (NEST's grid)
        hit = ((at[None, :] == k) & (at[None, :] >= 0)).astype(jnp.int32)  # [L, spikes]
        per_gen = jax.vmap(lambda x: jax.ops.segment_sum(x, top["spike_gen"], n_gen))(hit)  # [L, G]
        out = jnp.where(spike_active(top, k), per_gen[:, top["generator"]], 0)
        return state, out, jnp.zeros((), jnp.int32)


MODEL = PulsepacketGenerator
