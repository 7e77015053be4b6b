"""quantal_stp_synapse: stochastic short-term plasticity with n release sites (Fuhrmann et al. 2002;
NEST's ``quantal_stp_synapse``; ``quantal_stp_synapse_hpc`` is the same). Every parameter is per
connection. State: a (available sites) and u (utilisation); t_last starts at −1 ms, so the first spike
sees the initial a and u. At a spike h ms after the previous one (:func:`jaxsnn.core.stp.quantal_stp`):

    if a spike came before:  u ← U + u (1 − U) e^{−h/τ_fac}  (0 for τ_fac < 1e-10);
                             each of the n − a depleted sites recovers with probability 1 − e^{−h/τ_rec}
    each of the a available sites releases with probability u;  a ← a − releases
    sends releases · w if any site released, nothing otherwise (no event, nothing recorded)

The uniforms come from (the run's key, the spike's step, the synapse's id): statistically NEST's, the same
bits in split, resumed and sharded runs. NEST's checks: U and u in [0, 1], τ_rec > 0, τ_fac >= 0; jaxsnn
also refuses what NEST accepts but cannot mean: n or a not a whole number >= 0, a > n.

===============  =======  ===========================================================================
weight           1        synaptic weight (pA, nS or mV: the target's input) per released site
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
U                0.5      utilisation increment per spike
tau_rec          800 ms   recovery time constant of a depleted site
tau_fac          0 ms     facilitation time constant of u (0: none)
n                1        number of release sites
a                1        available release sites (state)
u                0.5      utilisation (state)
===============  =======  ===========================================================================
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..core import stp
from ..errors import JaxsnnError
from .base import CONNECTION, Param, ShortTermRule, SynapseModel
from .tsodyks2_synapse import nest_rules

RULE_PARAMETERS = {
    "U": Param(0.5, "", "utilisation increment per spike"),
    "tau_rec": Param(800.0, "ms", "recovery time constant of a depleted site"),
    "tau_fac": Param(0.0, "ms", "facilitation time constant of u (0: none)"),
    "n": Param(1.0, "", "number of release sites"),
}
STATE = {
    "a": Param(1.0, "", "available release sites", state=True),
    "u": Param(0.5, "", "utilisation", state=True),
}


@dataclasses.dataclass(frozen=True)
class QuantalStp(ShortTermRule):
    columns = tuple(RULE_PARAMETERS)
    state = tuple(STATE)
    t_last0 = -1.0
    stochastic = True
    n_max: int = 1  # the most release sites of any synapse (static: the draws per spike)

    def configure(self, table, state):
        n = np.asarray(table)[:, self.columns.index("n")] if len(table) else np.ones(1)
        return dataclasses.replace(self, n_max=max(1, int(n.max())))

    def on_pre(self, p, s, h, sent_before, w, draw=None):
        key, step, sid = draw
        a, u, releases = stp.quantal_stp(key, step, sid, s["a"], s["u"], h, p["U"], p["n"], p["tau_rec"],
                                         p["tau_fac"], sent_before, self.n_max)
        return {"a": a.astype(s["a"].dtype), "u": u}, releases * w, releases > 0


RULES = (("U", lambda a: (a < 0) | (a > 1), "'U' must be in [0,1]."),
         ("u", lambda a: (a < 0) | (a > 1), "'u' must be in [0,1]."),
         ("tau_rec", lambda a: a <= 0, "'tau_rec' must be > 0."),
         ("tau_fac", lambda a: a < 0, "'tau_fac' must be >= 0."))


class QuantalStpSynapse(SynapseModel):
    name = "quantal_stp_synapse"
    parameters = {**CONNECTION, **RULE_PARAMETERS, **STATE}
    aliases = ("quantal_stp_synapse_hpc",)
    rule = QuantalStp()

    @classmethod
    def check(cls, v, where):
        nest_rules(v, where, cls.name, RULES)
        for name in ("n", "a"):
            if name in v:
                x = np.asarray(v[name], np.float64).reshape(-1)
                bad = (x < 0) | (x != np.round(x)) | (x > 2**20)
                if bad.any():
                    raise JaxsnnError(f"{where}: {name}={x[int(np.argmax(bad))]}: a whole number of release sites "
                                      f">= 0 (and at most 2**20) is required ({cls.name}).")
        if "n" in v and "a" in v:
            n, a = np.broadcast_arrays(np.asarray(v["n"], np.float64), np.asarray(v["a"], np.float64))
            bad = (a > n).reshape(-1)
            if bad.any():
                i = int(np.argmax(bad))
                raise JaxsnnError(f"{where}: a={a.reshape(-1)[i]} > n={n.reshape(-1)[i]}: at most n release sites "
                                  f"can be available ({cls.name}).")


MODEL = QuantalStpSynapse
