"""tsodyks_synapse: short-term plasticity with a synaptic current state (Tsodyks, Uziel & Markram 2000;
NEST's ``tsodyks_synapse``). State x, y, u per connection (z = 1 − x − y); t_last starts at 0 ms, so
the first spike sees h = its own time. At a spike at t, h = t − t_last:

    P_uu = e^{−h/τ_fac} (0 for τ_fac = 0),  P_yy = e^{−h/τ_psc},  P_zz = expm1(−h/τ_rec),
    P_xy = (P_zz τ_rec − (P_yy − 1) τ_psc) / (τ_psc − τ_rec)
    u ← u P_uu;  x ← x + (P_xy y − P_zz z);  y ← y P_yy;  u ← u + U (1 − u)
    Δ = u x;  x ← x − Δ;  y ← y + Δ;  sends the weight Δ w;  t_last ← t

(:func:`jaxsnn.core.stp.tsodyks`, NEST's order of operations). NEST's checks: U and u in [0, 1],
τ_psc > 0, τ_rec > 0, τ_fac >= 0, x + y <= 1. NEST accepts τ_psc = τ_rec, which divides by zero; jaxsnn
refuses it.

===============  =======  ===========================================================================
weight           1        synaptic weight (pA, nS or mV: the target's input)
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
U                0.5      utilisation increment per spike
tau_psc          3 ms     time constant of the synaptic current y
tau_rec          800 ms   recovery time constant
tau_fac          0 ms     facilitation time constant of u (0: none)
x                1        available resources (state)
y                0        active resources (state)
u                0        utilisation (state)
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
    "tau_psc": Param(3.0, "ms", "time constant of the synaptic current y"),
    "tau_rec": Param(800.0, "ms", "recovery time constant"),
    "tau_fac": Param(0.0, "ms", "facilitation time constant of u (0: none)"),
}
STATE = {
    "x": Param(1.0, "", "available resources", state=True),
    "y": Param(0.0, "", "active resources", state=True),
    "u": Param(0.0, "", "utilisation", state=True),
}
RULES = (("U", lambda a: (a < 0) | (a > 1), "'U' must be in [0,1]."),
         ("tau_psc", lambda a: a <= 0, "'tau_psc' must be > 0."),
         ("tau_rec", lambda a: a <= 0, "'tau_rec' must be > 0."),
         ("tau_fac", lambda a: a < 0, "'tau_fac' must be >= 0."))


@dataclasses.dataclass(frozen=True)
class Tsodyks(ShortTermRule):
    columns = tuple(RULE_PARAMETERS)
    state = tuple(STATE)
    t_last0 = 0.0

    def on_pre(self, p, s, h, sent_before, w):
        x, y, u, delta = stp.tsodyks(s["x"], s["y"], s["u"], h, p["U"], p["tau_psc"], p["tau_rec"], p["tau_fac"])
        return {"x": x, "y": y, "u": u}, delta * w


def check_state(v, where, model, check_u=True):
    """x + y <= 1 and u in [0, 1] (NEST's checks of the state), then τ_psc != τ_rec."""
    if "x" in v and "y" in v:
        bad = np.asarray(v["x"], np.float64) + np.asarray(v["y"], np.float64) > 1.0
        if bad.any():
            i = int(np.argmax(bad.reshape(-1)))
            raise JaxsnnError(f"{where}: x={np.asarray(v['x']).reshape(-1)[i]}, y={np.asarray(v['y']).reshape(-1)[i]}: "
                              f"x + y must be <= 1.0. (NEST's check for {model})")
    if check_u:
        nest_rules(v, where, model, (("u", lambda a: (a < 0) | (a > 1), "'u' must be in [0,1]."),))
    if "tau_psc" in v and "tau_rec" in v:
        same = np.asarray(v["tau_psc"], np.float64) == np.asarray(v["tau_rec"], np.float64)
        if same.any():
            raise JaxsnnError(f"{where}: tau_psc = tau_rec = {np.asarray(v['tau_rec']).reshape(-1)[0]} ms divides by "
                              "zero in the propagator; choose different time constants (NEST accepts it).")


class TsodyksSynapse(SynapseModel):
    name = "tsodyks_synapse"
    parameters = {**CONNECTION, **RULE_PARAMETERS, **STATE}
    aliases = ("tsodyks_synapse_hpc",)
    rule = Tsodyks()

    @classmethod
    def check(cls, v, where):
        nest_rules(v, where, cls.name, RULES)
        check_state(v, where, cls.name)


MODEL = TsodyksSynapse
