"""volume_transmitter: collects the spikes of the neurons connected to it (a neuromodulatory population, e.g.
dopamine neurons) and hands them to the ``stdp_dopamine_synapse`` connections that name it (NEST's
``volume_transmitter``).

A spike sent at t over a connection of delay d into the transmitter arrives at t + d; the multiplicities
arriving in one step form one entry of its spike list (weights are ignored). Every ``deliver_interval``
slices (a slice: min_delay), at the slice's end, it brings every synapse that names it up to that time
(eligibility trace, dopamine trace and weight, :mod:`jaxsnn.core.dopamine`) and starts a new list; a
presynaptic spike of such a synapse reads the list as it stands. It has no state a user reads and no
``events``; a synapse model names it with ``copy_model("stdp_dopamine_synapse", "dopa",
{"volume_transmitter": vt})``. NEST's check: deliver_interval is a whole number (jaxsnn also asks >= 1).

================  =======  ===========================================================================
deliver_interval  1        slices (min_delay) between the updates of the synapses
================  =======  ===========================================================================
"""
from __future__ import annotations

from ..errors import bad_value
from .base import Device, Param, real


class VolumeTransmitter(Device):
    name = "volume_transmitter"
    parameters = {"deliver_interval": Param(1, "", "slices (min_delay) between the updates of the synapses")}

    @classmethod
    def check(cls, v, where, h, tics_per_step):
        v = dict(v)
        x = v["deliver_interval"]
        if not real(x) or not float(x).is_integer() or x < 1:
            raise bad_value(f"{where}: deliver_interval", x, "a whole number of slices >= 1")
        v["deliver_interval"] = int(x)
        return v


MODEL = VolumeTransmitter
