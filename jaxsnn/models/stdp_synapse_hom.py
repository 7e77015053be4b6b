"""stdp_synapse_hom: stdp_synapse's rule with its parameters common to all connections of the
(copied) model (NEST's ``stdp_synapse_hom``; ``stdp_synapse_hom_hpc`` is the same).

The rule, the equations and the parameter names are :mod:`~jaxsnn.models.stdp_synapse`'s;
``tau_plus``, ``lambda``, ``alpha``, ``mu_plus``, ``mu_minus`` and ``Wmax`` are set with
``copy_model``/``set_defaults`` only; weight, delay and the initial K₊ are per connection. All
connections of one copied model share one row of ``Params.stdp``.

===============  =======  ===========================================================================
weight           1        synaptic weight (pA, nS or mV: the target's input)
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
Kplus            0        presynaptic trace K₊ (state)
tau_plus         20 ms    time constant of K₊ (common)
lambda           0.01     step size (common)
alpha            1        asymmetry of depression to facilitation (common)
mu_plus          1        weight dependence exponent of facilitation (common)
mu_minus         1        weight dependence exponent of depression (common)
Wmax             100      maximum weight (its sign: the weight's) (common)
===============  =======  ===========================================================================
"""
from __future__ import annotations

from .base import CONNECTION, SynapseModel
from .stdp_synapse import KPLUS, PAIR, RULE_PARAMETERS


class StdpSynapseHom(SynapseModel):
    name = "stdp_synapse_hom"
    parameters = {**CONNECTION, **KPLUS, **RULE_PARAMETERS}
    common = tuple(RULE_PARAMETERS)
    aliases = ("stdp_synapse_hom_hpc",)
    rule = PAIR

    @classmethod
    def check(cls, v, where):
        """Common properties are checked by copy_model; per connection only finite values (as before)."""


MODEL = StdpSynapseHom
