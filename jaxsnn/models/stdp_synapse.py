"""stdp_synapse: pair-based STDP with NEST 3.10's exact arithmetic (NEST's ``stdp_synapse``;
``stdp_synapse_hpc`` is the same). Every parameter is per connection.

With normalised weight ŵ = w / W_max (``docs/nest_semantics.md`` §2):

    facilitate:  ŵ ← ŵ + λ (1 − ŵ)^μ₊ · K₊ e^{(t_last − (t_j + d)) / τ₊},   w = ŵ W_max if ŵ < 1 else W_max
    depress:     ŵ ← ŵ − α λ ŵ^μ₋ · K₋(t − d),                        w = ŵ W_max if ŵ > 0 else 0
    trace:       K₊ ← K₊ e^{(t_last − t) / τ₊} + 1,  t_last ← t        (after transmission)

A post spike at t_j counts for a pre spike at t when t_j + d ∈ (t_last, t] (the whole delay is
dendritic); K₋(t − d) is the target's trace just before t − d (τ₋ is the neuron's ``tau_minus``).
NEST's checks: K₊ >= 0, weight and W_max of the same sign. jaxsnn also refuses what leaves the
arithmetic undefined: non-finite parameters, τ₊ < 0.

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

import dataclasses

import numpy as np

from .. import checks
from ..core import stdp
from ..errors import JaxsnnError
from .base import CONNECTION, Param, PlasticityRule, SynapseModel

RULE_PARAMETERS = {
    "tau_plus": Param(20.0, "ms", "time constant of K₊"),
    "lambda": Param(0.01, "", "step size"),
    "alpha": Param(1.0, "", "asymmetry of depression to facilitation"),
    "mu_plus": Param(1.0, "", "weight dependence exponent of facilitation"),
    "mu_minus": Param(1.0, "", "weight dependence exponent of depression"),
    "Wmax": Param(100.0, "", "maximum weight (its sign: the weight's)"),
}
KPLUS = {"Kplus": Param(0.0, "", "presynaptic trace K₊", state=True)}


@dataclasses.dataclass(frozen=True)
class PairStdp(PlasticityRule):
    """stdp_synapse's rule (also stdp_synapse_hom's): the arithmetic of :mod:`jaxsnn.core.stdp`."""

    columns = tuple(RULE_PARAMETERS)
    sign_of = "Wmax"

    def facilitate(self, w, k, p, mu_is_one=False):
        return stdp.facilitate(w, k, p, mu_is_one)

    def depress(self, w, k, p, mu_is_one=False):
        return stdp.depress(w, k, p, mu_is_one)


PAIR = PairStdp()


def check_sign(weight, wmax, where, model):
    """NEST's check that a weight has Wmax's sign (0 counts as positive)."""
    bad = (np.asarray(weight) >= 0) != (np.asarray(wmax) >= 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise JaxsnnError(f"{where}: weight={np.asarray(weight)[i]} and Wmax={np.asarray(wmax)[i]} must have "
                          f"the same sign ({model} checks this; 0 counts as positive).")


class StdpSynapse(SynapseModel):
    name = "stdp_synapse"
    parameters = {**CONNECTION, **KPLUS, **RULE_PARAMETERS}
    aliases = ("stdp_synapse_hpc",)
    rule = PAIR

    @classmethod
    def check(cls, v, where):
        checks.first_bad(f"{where}: Kplus", v["Kplus"], v["Kplus"] < 0, "Kplus >= 0")
        check_sign(v["weight"], v["Wmax"], where, cls.name)
        cls.rule.check(v, where)


MODEL = StdpSynapse
