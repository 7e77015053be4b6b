"""static_synapse_hom_w: a static synapse whose weight is a common property (NEST's
``static_synapse_hom_w``; ``static_synapse_hom_w_hpc`` is the same).

The weight is set with ``copy_model``/``set_defaults`` only and shared by all connections of the
(copied) model; the delay is per connection. Parameters: those of :mod:`~jaxsnn.models.static_synapse`.

===============  =======  ===========================================================================
weight           1        synaptic weight (pA, nS or mV: the target's input) (common)
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
===============  =======  ===========================================================================
"""
from __future__ import annotations

from .base import CONNECTION, SynapseModel


class StaticSynapseHomW(SynapseModel):
    name = "static_synapse_hom_w"
    parameters = dict(CONNECTION)
    common = ("weight",)
    aliases = ("static_synapse_hom_w_hpc",)
    from_devices = True


MODEL = StaticSynapseHomW
