"""stdp_pl_synapse_hom: power-law multiplicative STDP (Morrison et al. 2007; NEST's
``stdp_pl_synapse_hom``, the hpc_benchmark's E→E synapse; ``stdp_pl_synapse_hom_hpc`` is the same).
Its rule parameters are common properties (``copy_model``/``set_defaults`` only).

    facilitate:  w ← w + λ w^μ · K₊ e^{(t_last − (t_j + d)) τ₊⁻¹}          (no upper bound)
    depress:     w ← w − λ α w K₋(t − d),  0 unless positive
    trace:       K₊ ← K₊ e^{(t_last − t) τ₊⁻¹} + 1                         (after transmission)

NEST multiplies by the reciprocal τ₊⁻¹ where stdp_synapse divides (kept here for NEST's bits). The
weight has no sign check (NEST has none). In the differentiable build it is refused: d(w^μ)/dw is
infinite at w = 0, where depression ends.

===============  =======  ===========================================================================
weight           1        synaptic weight (pA, nS or mV: the target's input)
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
Kplus            0        presynaptic trace K₊ (state)
tau_plus         20 ms    time constant of K₊ (common)
lambda           0.1      step size (common)
alpha            1        asymmetry of depression to facilitation (common)
mu               0.4      weight dependence exponent of facilitation (common)
===============  =======  ===========================================================================
"""
from __future__ import annotations

import dataclasses

from ..core import stdp_family
from .base import CONNECTION, Param, PlasticityRule, SynapseModel
from .stdp_synapse import KPLUS

RULE_PARAMETERS = {
    "tau_plus": Param(20.0, "ms", "time constant of K₊"),
    "lambda": Param(0.1, "", "step size"),
    "alpha": Param(1.0, "", "asymmetry of depression to facilitation"),
    "mu": Param(0.4, "", "weight dependence exponent of facilitation"),
}


@dataclasses.dataclass(frozen=True)
class PowerLawStdp(PlasticityRule):
    columns = tuple(RULE_PARAMETERS)
    differentiable = False

    def over_tau(self, dt, tau):
        return dt * (1.0 / tau)

    def facilitate(self, w, k, p, mu_is_one=False):
        return stdp_family.pl_facilitate(w, k, self.column(p, "lambda"), self.column(p, "mu"))

    def depress(self, w, k, p, mu_is_one=False):
        return stdp_family.pl_depress(w, k, self.column(p, "lambda"), self.column(p, "alpha"))


class StdpPlSynapseHom(SynapseModel):
    name = "stdp_pl_synapse_hom"
    parameters = {**CONNECTION, **KPLUS, **RULE_PARAMETERS}
    common = tuple(RULE_PARAMETERS)
    aliases = ("stdp_pl_synapse_hom_hpc",)
    rule = PowerLawStdp()

    @classmethod
    def check(cls, v, where):
        """Common properties are checked by copy_model; per connection only finite values."""


MODEL = StdpPlSynapseHom
