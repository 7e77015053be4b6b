"""vogels_sprekeler_synapse: symmetric inhibitory STDP (Vogels et al. 2011; NEST's ``vogels_sprekeler_synapse``;
``vogels_sprekeler_synapse_hpc`` is the same). Every parameter is per connection. On |w|, with the sign of
W_max (:func:`jaxsnn.core.stdp_family.vs_facilitate`, :func:`~jaxsnn.core.stdp_family.vs_depress`):

    facilitate, per post spike t_j:  |w| ← min(|w| + η K₊ e^{(t_last − (t_j + d))/τ}, |W_max|)
    at a pre spike at t:             |w| ← min(|w| + η K₋(t − d), |W_max|);  |w| ← max(|w| − α η, 0)
    trace:                           K₊ ← K₊ e^{(t_last − t)/τ} + 1                (after transmission)

Pre and post spikes both potentiate, each pre spike depresses by α η (α sets the target rate). K₋ is the
target's trace with its own ``tau_minus``, which the rule expects equal to τ (NEST does not check it
either). NEST's checks: K₊ >= 0; a non-zero weight has W_max's sign. jaxsnn also refuses non-finite
parameters and τ < 0.

===============  =======  ===========================================================================
weight           0.5      synaptic weight (pA, nS or mV: the target's input)
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
Kplus            0        presynaptic trace K₊ (state)
tau              20 ms    time constant of K₊ (and of the target's K₋)
alpha            0.12     depression per presynaptic spike, in units of eta
eta              0.001    learning rate
Wmax             1        maximum weight magnitude (its sign: the weight's)
===============  =======  ===========================================================================
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import checks
from ..core import stdp_family
from ..errors import JaxsnnError
from .base import CONNECTION, Param, PlasticityRule, SynapseModel
from .stdp_synapse import KPLUS

RULE_PARAMETERS = {
    "tau": Param(20.0, "ms", "time constant of K₊ (and of the target's K₋)"),
    "alpha": Param(0.12, "", "depression per presynaptic spike, in units of eta"),
    "eta": Param(0.001, "", "learning rate"),
    "Wmax": Param(1.0, "", "maximum weight magnitude (its sign: the weight's)"),
}


@dataclasses.dataclass(frozen=True)
class VogelsSprekeler(PlasticityRule):
    columns = tuple(RULE_PARAMETERS)
    sign_of = "Wmax"
    differentiable = False  # |w| and its clipping: not checked against finite differences

    def facilitate(self, w, k, p, mu_is_one=False):
        return stdp_family.vs_facilitate(w, k, self.column(p, "eta"), self.column(p, "Wmax"))

    def depress(self, w, k, p, mu_is_one=False):
        eta, wmax = self.column(p, "eta"), self.column(p, "Wmax")
        return stdp_family.vs_depress(stdp_family.vs_facilitate(w, k, eta, wmax), self.column(p, "alpha"), eta, wmax)

    def check(self, v, where):
        for name in self.columns:
            if name in v:
                checks.finite(f"{where}: {name}", np.asarray(v[name], np.float64))
        if "tau" in v:
            tau = np.asarray(v["tau"], np.float64)
            checks.first_bad(f"{where}: tau", tau, tau < 0, "tau >= 0 ms")


class VogelsSprekelerSynapse(SynapseModel):
    name = "vogels_sprekeler_synapse"
    parameters = {**CONNECTION, "weight": Param(0.5, "", CONNECTION["weight"].doc), **KPLUS, **RULE_PARAMETERS}
    aliases = ("vogels_sprekeler_synapse_hpc",)
    rule = VogelsSprekeler()

    @classmethod
    def check(cls, v, where):
        if np.any(np.asarray(v["Kplus"]) < 0):
            i = int(np.argmax(np.asarray(v["Kplus"]).reshape(-1) < 0))
            raise JaxsnnError(f"{where}: Kplus={np.asarray(v['Kplus']).reshape(-1)[i]}: State Kplus must be positive "
                              f"(NEST's check for {cls.name}).")
        w, wmax = np.broadcast_arrays(np.asarray(v["weight"], np.float64), np.asarray(v["Wmax"], np.float64))
        bad = (w != 0) & (np.signbit(w) != np.signbit(wmax))
        if bad.any():
            i = int(np.argmax(bad.reshape(-1)))
            raise JaxsnnError(f"{where}: weight={w.reshape(-1)[i]} and Wmax={wmax.reshape(-1)[i]}: Weight and Wmax "
                              f"must have same sign (NEST's check for {cls.name}).")
        cls.rule.check(v, where)


MODEL = VogelsSprekelerSynapse
