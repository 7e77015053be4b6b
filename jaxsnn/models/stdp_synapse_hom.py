"""stdp_synapse_hom: stdp_synapse's rule with its parameters common to all connections of the
(copied) model (NEST's ``stdp_synapse_hom``; ``stdp_synapse_hom_hpc`` is the same).

The rule, the equations and the parameter names are :mod:`~jaxsnn.models.stdp_synapse`'s;
``tau_plus``, ``lambda``, ``alpha``, ``mu_plus``, ``mu_minus`` and ``Wmax`` are set with
``copy_model``/``set_defaults`` only; weight, delay and the initial K₊ are per connection. All
connections of one copied model share one row of ``Params.stdp``.
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
