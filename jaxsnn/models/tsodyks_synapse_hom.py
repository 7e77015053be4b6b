"""tsodyks_synapse_hom: tsodyks_synapse with U, τ_psc, τ_rec, τ_fac and the weight common to all
connections of the (copied) model (NEST's ``tsodyks_synapse_hom``; ``copy_model``/``set_defaults``
only). The rule and the equations are :mod:`~jaxsnn.models.tsodyks_synapse`'s; x, y, u are per
connection. NEST's checks: x + y <= 1 per connection (u is not checked), U in [0, 1], τ_psc > 0,
τ_rec > 0, τ_fac >= 0 for the common properties; jaxsnn refuses τ_psc = τ_rec (a division by zero).

===============  =======  ===========================================================================
weight           1        synaptic weight (pA, nS or mV: the target's input) (common)
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
U                0.5      utilisation increment per spike (common)
tau_psc          3 ms     time constant of the synaptic current y (common)
tau_rec          800 ms   recovery time constant (common)
tau_fac          0 ms     facilitation time constant of u (0: none) (common)
x                1        available resources (state)
y                0        active resources (state)
u                0        utilisation (state)
===============  =======  ===========================================================================
"""
from __future__ import annotations

from .base import CONNECTION, SynapseModel
from .tsodyks2_synapse import nest_rules
from .tsodyks_synapse import RULE_PARAMETERS, RULES, STATE, Tsodyks, check_state


class TsodyksSynapseHom(SynapseModel):
    name = "tsodyks_synapse_hom"
    parameters = {**CONNECTION, **RULE_PARAMETERS, **STATE}
    common = ("weight",) + tuple(RULE_PARAMETERS)
    aliases = ("tsodyks_synapse_hom_hpc",)
    rule = Tsodyks()

    @classmethod
    def check_defaults(cls, v, where):
        nest_rules({k: v[k] for k in RULE_PARAMETERS}, where, cls.name,
                   tuple((n, t, m.replace("'", "")) for n, t, m in RULES))
        check_state({k: v[k] for k in ("tau_psc", "tau_rec")}, where, cls.name, check_u=False)

    @classmethod
    def check(cls, v, where):
        check_state(v, where, cls.name, check_u=False)


MODEL = TsodyksSynapseHom
