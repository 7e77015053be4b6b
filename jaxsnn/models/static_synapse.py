"""static_synapse: a fixed weight and delay (NEST's ``static_synapse``; ``static_synapse_hpc`` is the same).

A presynaptic spike at t arrives at the target at t + d with the weight w; nothing changes.

===============  =======  ===========================================================================
weight           1        synaptic weight (pA, nS or mV: the target's input)
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
===============  =======  ===========================================================================
"""
from __future__ import annotations

from .base import CONNECTION, SynapseModel


class StaticSynapse(SynapseModel):
    name = "static_synapse"
    parameters = dict(CONNECTION)
    aliases = ("static_synapse_hpc",)
    from_devices = True


MODEL = StaticSynapse
