"""pulsepacket_generator's spike times (jaxsnn.core.pulsepacket): exact to NEST 3.10 at sdev 0, and the
packets' mean and spread at sdev > 0."""
import json

import numpy as np

from jaxsnn.core import pulsepacket

from .conftest import CASES


def test_sdev_zero_is_nests():
    case = json.loads((CASES / "gen_pulsepacket_sdev0.json").read_text())
    p, h = case["params"], case["resolution"]
    steps, mult = pulsepacket.packet_steps(p["pulse_times"], p["activity"], p["sdev"], h)
    n = case["n_targets"]
    # every target's parrot repeats each spike (multiplicity m: m events) 1 ms later; NEST's order: time, sender
    times = np.repeat(np.round((steps + 1) * h + case["delay"], 6), mult * n)
    senders = np.concatenate([np.repeat(np.arange(1, n + 1) + 1, m) for m in mult])  # parrots are nodes 2..n+1
    assert times.tolist() == case["expected"]["spike_times"]
    assert senders.tolist() == case["expected"]["spike_senders"]


def test_packets_with_spread():
    steps, mult = pulsepacket.packet_steps([100.0, 400.0], 20000, 5.0, 0.1, key=7)
    t = np.repeat(steps * 0.1, mult)
    first, second = t[t < 250], t[t >= 250]
    assert first.size == second.size == 20000
    for packet, centre in ((first, 100.0), (second, 400.0)):
        assert abs(packet.mean() - centre) < 4 * 5.0 / np.sqrt(20000)
        assert abs(packet.std() - 5.0) < 0.1
