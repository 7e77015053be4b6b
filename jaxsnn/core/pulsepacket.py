"""pulsepacket_generator: the spike times of NEST 3.10's pulse packets, as a shared train (every target gets the
same spikes, as NEST sends one SpikeEvent to all).

For each pulse time T_p, ``activity`` spikes at x = T_p + sdev · N(0, 1), each on the grid step nearest x
(NEST's Time::ms); spikes in one step go out as one event of that multiplicity, emitted in that step (stamp
step + 1). At sdev = 0 every spike of a packet is at the step of T_p: the times are exact. With sdev > 0 the
normal draws come from (key, pulse index, spike index) (Box–Muller on two 32-bit words), so they do not
depend on how the run is split; NEST draws them when the packet comes within ``sdev_tolerance`` · sdev of
the current time, and drops spikes that would fall before it (jaxsnn drops spikes before t = 0).
"""
from __future__ import annotations

import numpy as np

from . import rng

PULSE_STREAM = 0x9B15E000


def packet_steps(pulse_times, activity: int, sdev: float, h: float, key=None):
    """(steps, multiplicities) of the whole train, by step: each step holding spikes once."""
    pulse_times = np.asarray(pulse_times, np.float64)
    x = np.repeat(pulse_times, activity)
    if sdev > 0:
        ids = np.arange(x.size, dtype=np.uint32) * 2 + PULSE_STREAM
        u1 = (np.asarray(rng.bits(rng.key_words(key), 0, ids)).astype(np.float64) + 0.5) / 4294967296.0
        u2 = np.asarray(rng.bits(rng.key_words(key), 0, ids + 1)).astype(np.float64) / 4294967296.0
        x = x + sdev * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    steps = np.round(x / h).astype(np.int64)
    steps = steps[steps >= 0]
    uniq, count = np.unique(steps, return_counts=True)
    return uniq, count
