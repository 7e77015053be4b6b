"""stdp_nn_pre_centered_synapse: STDP with presynaptic-centered nearest-neighbour spike pairing (Morrison et
al. 2008, Fig. 7B; NEST's ``stdp_nn_pre_centered_synapse``; ``stdp_nn_pre_centered_synapse_hpc`` is the
same). Every parameter is per connection. With ŵ = w / W_max and stdp_synapse's arithmetic:

    facilitate, by the first post spike t_j + d in (t_last, t] only:
                                   ŵ ← ŵ + λ (1 − ŵ)^μ₊ K₊ e^{(t_last − (t_j + d))/τ₊}, then K₊ ← 0
    depress, at a pre spike at t:  ŵ ← ŵ − α λ ŵ^μ₋ e^{(t_j' − (t − d))/τ₋}    (t_j' < t − d the nearest)
    trace:                         K₊ ← K₊ e^{(t_last − t)/τ₊} + 1

A post spike pairs with all pre spikes since the previous post spike (their trace K₊), a pre spike with the
nearest preceding post spike. Its K₊ depends on the target's spikes: one trace per synapse. τ₋ is the
target's ``tau_minus``. NEST's checks: K₊ >= 0, weight and W_max of the same sign.

===============  =======  ===========================================================================
weight           1        synaptic weight (pA, nS or mV: the target's input)
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
Kplus            0        presynaptic trace K₊ (state)
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
from .stdp_synapse import KPLUS, RULE_PARAMETERS


class StdpNnPreCenteredSynapse(SynapseModel):
    name = "stdp_nn_pre_centered_synapse"
    parameters = {**CONNECTION, **KPLUS, **RULE_PARAMETERS}
    aliases = ("stdp_nn_pre_centered_synapse_hpc",)
    rule = _stdp_nn.PreCentered()

    @classmethod
    def check(cls, v, where):
        _stdp_nn.check(v, where, cls.name, kplus=True)


MODEL = StdpNnPreCenteredSynapse
