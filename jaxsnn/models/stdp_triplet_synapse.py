"""stdp_triplet_synapse: triplet STDP (Pfister & Gerstner 2006; NEST's ``stdp_triplet_synapse``;
``stdp_triplet_synapse_hpc`` is the same). Every parameter is per connection. On |w|, with the sign of
W_max (:func:`jaxsnn.core.stdp_family.triplet_facilitate`, :func:`~jaxsnn.core.stdp_family.triplet_depress`):

    facilitate, per post spike t_j:  |w| ← min(|w| + K₊ e^{(t_last − (t_j + d))/τ₊} (A₊ + A₃₊ (K₋,₃(t_j) − 1)), |W_max|)
    at a pre spike at t:             K₊,₃ ← K₊,₃ e^{(t_last − t)/τ₃₊};  |w| ← max(|w| − K₋(t − d) (A₋ + A₃₋ K₊,₃), 0)
    then:                            K₊,₃ ← K₊,₃ + 1;  K₊ ← K₊ e^{(t_last − t)/τ₊} + 1

K₋ and the triplet trace K₋,₃ are the target's (its ``tau_minus`` and ``tau_minus_triplet``); K₋,₃(t_j) is
the value archived with the post spike t_j (after it). The traces K₊ and K₊,₃ are kept per synapse.
NEST's checks: K₊ >= 0, K₊,₃ >= 0, weight and W_max of the same sign (0 counts as positive).

================  =======  ===========================================================================
weight            1        synaptic weight (pA, nS or mV: the target's input)
delay             1 ms     synaptic delay (a multiple of the resolution)
receptor_type     0        receptor port of the target
weight_recorder   None     weight_recorder node that records the transmitted weights (copy_model only)
Kplus             0        presynaptic trace K₊ (state)
Kplus_triplet     0        presynaptic triplet trace K₊,₃ (state)
tau_plus          16.8 ms  time constant of K₊
tau_plus_triplet  101 ms   time constant of K₊,₃
Aplus             5e-10    weight of pair facilitation
Aminus            0.007    weight of pair depression
Aplus_triplet     0.0062   weight of triplet facilitation
Aminus_triplet    0.00023  weight of triplet depression
Wmax              100      maximum weight magnitude (its sign: the weight's)
================  =======  ===========================================================================
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import checks
from ..core import stdp_family
from ..errors import JaxsnnError
from .base import CONNECTION, Param, PlasticityRule, SynapseModel
from .stdp_synapse import check_sign

RULE_PARAMETERS = {
    "tau_plus": Param(16.8, "ms", "time constant of K₊"),
    "tau_plus_triplet": Param(101.0, "ms", "time constant of K₊,₃"),
    "Aplus": Param(5e-10, "", "weight of pair facilitation"),
    "Aminus": Param(7e-3, "", "weight of pair depression"),
    "Aplus_triplet": Param(6.2e-3, "", "weight of triplet facilitation"),
    "Aminus_triplet": Param(2.3e-4, "", "weight of triplet depression"),
    "Wmax": Param(100.0, "", "maximum weight magnitude (its sign: the weight's)"),
}
TRACES = {
    "Kplus": Param(0.0, "", "presynaptic trace K₊", state=True),
    "Kplus_triplet": Param(0.0, "", "presynaptic triplet trace K₊,₃", state=True),
}


@dataclasses.dataclass(frozen=True)
class Triplet(PlasticityRule):
    columns = tuple(RULE_PARAMETERS)
    sign_of = "Wmax"
    triplet = True
    traces = tuple(TRACES)
    differentiable = False  # |w| and its clipping: not checked against finite differences

    def facilitate(self, w, k, p, mu_is_one=False, k3=None):
        c = lambda name: self.column(p, name)
        return stdp_family.triplet_facilitate(w, k, k3 - 1.0, c("Aplus"), c("Aplus_triplet"), c("Wmax"))

    def depress(self, w, k, p, mu_is_one=False, k3=None):
        c = lambda name: self.column(p, name)
        return stdp_family.triplet_depress(w, k, k3, c("Aminus"), c("Aminus_triplet"), c("Wmax"))

    def check(self, v, where):
        for name in self.columns:
            if name in v:
                checks.finite(f"{where}: {name}", np.asarray(v[name], np.float64))
        for name in ("tau_plus", "tau_plus_triplet"):
            if name in v:
                tau = np.asarray(v[name], np.float64)
                checks.first_bad(f"{where}: {name}", tau, tau < 0, f"{name} >= 0 ms")


class StdpTripletSynapse(SynapseModel):
    name = "stdp_triplet_synapse"
    parameters = {**CONNECTION, **TRACES, **RULE_PARAMETERS}
    aliases = ("stdp_triplet_synapse_hpc",)
    rule = Triplet()

    @classmethod
    def check(cls, v, where):
        for name in TRACES:
            a = np.asarray(v[name], np.float64).reshape(-1)
            if (a < 0).any():
                raise JaxsnnError(f"{where}: {name}={a[int(np.argmax(a < 0))]}: State {name} must be positive "
                                  f"(NEST's check for {cls.name}).")
        check_sign(v["weight"], v["Wmax"], where, cls.name)
        cls.rule.check(v, where)


MODEL = StdpTripletSynapse
