"""stdp_nn_restr_synapse: STDP with restricted symmetric nearest-neighbour spike pairing (Morrison et al.
2008, Fig. 7C; NEST's ``stdp_nn_restr_synapse``; ``stdp_nn_restr_synapse_hpc`` is the same). Every
parameter is per connection. With ŵ = w / W_max and stdp_synapse's arithmetic:

    facilitate, by the first post spike t_j + d in (t_last, t] only:  ŵ ← ŵ + λ (1 − ŵ)^μ₊ e^{(t_last − (t_j + d))/τ₊}
    depress, at a pre spike at t, if that window held a post spike:  ŵ ← ŵ − α λ ŵ^μ₋ e^{(t_j' − (t − d))/τ₋}

A spike takes part in at most one facilitating and one depressing pair: a post spike pairs with the
nearest preceding pre spike only if no other post spike came between them, a pre spike with the nearest
preceding post spike t_j' < t − d only if a post spike came since the previous pre spike. τ₋ is the
target's ``tau_minus``. NEST's check: weight and W_max of the same sign.

===============  =======  ===========================================================================
weight           1        synaptic weight (pA, nS or mV: the target's input)
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
tau_plus         20 ms    time constant of K₊
lambda           0.01     step size
alpha            1        asymmetry of depression to facilitation
mu_plus          1        weight dependence exponent of facilitation
mu_minus         1        weight dependence exponent of depression
Wmax             100      maximum weight (its sign: the weight's)
===============  =======  ===========================================================================
"""
from __future__ import annotations

from . import _stdp_nn
from .base import CONNECTION, SynapseModel
from .stdp_synapse import RULE_PARAMETERS


class StdpNnRestrSynapse(SynapseModel):
    name = "stdp_nn_restr_synapse"
    parameters = {**CONNECTION, **RULE_PARAMETERS}
    aliases = ("stdp_nn_restr_synapse_hpc",)
    rule = _stdp_nn.Restricted()

    @classmethod
    def check(cls, v, where):
        _stdp_nn.check(v, where, cls.name)


MODEL = StdpNnRestrSynapse
