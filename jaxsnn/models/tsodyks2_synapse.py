"""tsodyks2_synapse: short-term depression and facilitation (Tsodyks & Markram 1997, Fuhrmann et al.
2002; NEST's ``tsodyks2_synapse``). State x (available resources) and u (utilisation) per connection;
t_last starts at −1 ms, so the first spike sends with the initial x and u. At a spike at t, h = t − t_last:

    if a spike was sent before:  x ← 1 + (x − x u − 1) e^{−h/τ_rec};  u ← U + u (1 − U) e^{−h/τ_fac}
                                 (e^{−h/τ_fac} is 0 for τ_fac = 0: no facilitation)
    sends the weight x u w;  t_last ← t

(:func:`jaxsnn.core.stp.tsodyks2`, NEST's order of operations). NEST's checks: U and u in [0, 1],
τ_rec > 0, τ_fac >= 0.

===============  =======  ===========================================================================
weight           1        synaptic weight (pA, nS or mV: the target's input)
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
U                0.5      utilisation increment per spike
tau_rec          800 ms   recovery time constant of x
tau_fac          0 ms     facilitation time constant of u (0: none)
x                1        available resources (state)
u                0.5      utilisation (state)
===============  =======  ===========================================================================
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..core import stp
from ..errors import JaxsnnError
from .base import CONNECTION, Param, ShortTermRule, SynapseModel

RULE_PARAMETERS = {
    "U": Param(0.5, "", "utilisation increment per spike"),
    "tau_rec": Param(800.0, "ms", "recovery time constant of x"),
    "tau_fac": Param(0.0, "ms", "facilitation time constant of u (0: none)"),
}
STATE = {
    "x": Param(1.0, "", "available resources", state=True),
    "u": Param(0.5, "", "utilisation", state=True),
}


@dataclasses.dataclass(frozen=True)
class Tsodyks2(ShortTermRule):
    columns = tuple(RULE_PARAMETERS)
    state = tuple(STATE)
    t_last0 = -1.0

    def on_pre(self, p, s, h, sent_before, w):
        x, u = stp.tsodyks2(s["x"], s["u"], h, p["U"], p["tau_rec"], p["tau_fac"], sent_before)
        return {"x": x, "u": u}, x * u * w


def nest_rules(v, where, model, rules):
    """NEST's checks (test, name, message) in NEST's order, on the names present in ``v``."""
    for name, bad, message in rules:
        if name in v:
            a = np.asarray(v[name], np.float64)
            if bad(a).any():
                i = int(np.argmax(bad(a).reshape(-1)))
                raise JaxsnnError(f"{where}: {name}={a.reshape(-1)[i]}: {message} (NEST's check for {model})")


RULES = (("U", lambda a: (a < 0) | (a > 1), "'U' must be in [0,1]."),
         ("u", lambda a: (a < 0) | (a > 1), "'u' must be in [0,1]."),
         ("tau_rec", lambda a: a <= 0, "'tau_rec' must be > 0."),
         ("tau_fac", lambda a: a < 0, "'tau_fac' must be >= 0."))


class Tsodyks2Synapse(SynapseModel):
    name = "tsodyks2_synapse"
    parameters = {**CONNECTION, **RULE_PARAMETERS, **STATE}
    aliases = ("tsodyks2_synapse_hpc",)
    rule = Tsodyks2()

    @classmethod
    def check(cls, v, where):
        nest_rules(v, where, cls.name, RULES)


MODEL = Tsodyks2Synapse

