"""izhikevich: Izhikevich's simple spiking neuron (2003), exactly as NEST 3.10.

    dV/dt = 0.04 V² + 5 V + 140 − U + I + I_e,     dU/dt = a (b V − U),
    V >= V_th:  V ← c,  U ← U + d  (no refractoriness).

Integration over one step h (NEST's update, in its evaluation order):

- ``consistent_integration`` True (forward Euler): V ← V + (h·f(V, U) + s) and U ← U + h·a·(b V − U),
  both from the values of the previous step; s is the step's spike input (mV);
- False (the published numerics, meant for h = 1 ms): V takes two half steps that both include the
  spike input, V ← V + (h/2)·(f(V, U) + s), twice, then U ← U + h·a·(b V − U) from the new V.

Then V is bounded below by V_min and the threshold is tested. I is the current generators' input of the
previous step (pA, added to dV/dt as NEST does). Products are rounded before they are added (no fused
multiply-add), so float64 runs match NEST to the bit.

Parameters (NEST's names and defaults):

======================  ========  =======================================================
V_m                     -65 mV    membrane potential (state)
U_m                     -13 mV    membrane recovery variable (state)
V_min                   -inf mV   lower bound of V_m
I_e                     0 pA      constant input current
V_th                    30 mV     spike threshold
a                       0.02      time scale of the recovery variable (1/ms)
b                       0.2       sensitivity of the recovery variable to V_m
c                       -65 mV    reset potential of V_m
d                       8 mV      increment of U_m at a spike
consistent_integration  True      forward Euler (True) or the published numerics (False)
tau_minus               20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet       110 ms    time constant of the postsynaptic triplet STDP trace
Ca                      0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca                  10000 ms  time constant of the calcium trace
beta_Ca                 0.001     increment of the calcium trace per spike
======================  ========  =======================================================

Recordables: U_m, V_m.
"""
from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from .. import checks
from ..core.surrogate import threshold
from ._propagators import separately_rounded as sr
from .base import ARCHIVING, SUMMED, NeuronModel, Param, check_tau_minus

PARAMETERS = {
    "V_m": Param(-65.0, "mV", "membrane potential", state=True),
    "U_m": Param(-13.0, "mV", "membrane recovery variable", state=True),
    "V_min": Param(-1.7976931348623157e308, "mV", "lower bound of V_m"),  # NEST's -DBL_MAX: no bound
    "I_e": Param(0.0, "pA", "constant input current"),
    "V_th": Param(30.0, "mV", "spike threshold"),
    "a": Param(0.02, "", "time scale of the recovery variable (1/ms)"),
    "b": Param(0.2, "", "sensitivity of the recovery variable to V_m"),
    "c": Param(-65.0, "mV", "reset potential of V_m"),
    "d": Param(8.0, "mV", "increment of U_m at a spike"),
    "consistent_integration": Param(True, "", "forward Euler (True) or the published numerics (False)"),
    **ARCHIVING,
}


@dataclasses.dataclass(frozen=True)
class Izhikevich(NeuronModel):
    name = "izhikevich"
    parameters = PARAMETERS
    recordables = ("U_m", "V_m")
    inputs = SUMMED
    receptors = {"neuron": (0,), "generator": (0,), "current": (0,)}
    # the numerics of every neuron: True or False when all agree, None when both occur (both computed)
    consistent: bool | None = True

    @classmethod
    def check(cls, v, where, tics_per_step):
        """NEST checks nothing; jaxsnn refuses what makes the update undefined (NaN, infinities other
        than V_th = +inf and V_min = -inf)."""
        for name, arr in v.items():
            if arr is not None and arr.dtype != bool and name not in ARCHIVING:
                checks.finite(f"{where}: {name}", arr, allow_pos_inf=name == "V_th", allow_neg_inf=name == "V_min")
        check_tau_minus(v, where)

    @classmethod
    def configure(cls, host):
        flags = np.asarray(host["consistent_integration"], bool)
        return cls(consistent=bool(flags[0]) if (flags == flags[0]).all() else None)

    def host_constants(self, host, h, tics_per_step):
        return {"consistent_integration": np.asarray(host["consistent_integration"], bool)}

    def init(self, host):
        return {"V": host["V_m"], "U": host["U_m"]}

    def update(self, p, k, s, inp, h, surrogate=None):
        V, U, S = s["V"], s["U"], inp.spikes[0]
        I = jnp.zeros_like(V) if inp.current is None else inp.current[0]
        # masks the compiler cannot prove true (parameters are never NaN) keep each product rounded
        ok = [p[n] == p[n] for n in ("a", "b", "c", "d", "V_th", "I_e")]

        def f(V, U, extra=None):
            total = (((sr((0.04 * V) * V, ok[0]) + sr(5.0 * V, ok[1])) + 140.0) - U + I) + p["I_e"]
            return total if extra is None else total + extra

        def recovery(V_from, U):
            return U + sr((h * p["a"]) * (sr(p["b"] * V_from, ok[2]) - U), ok[3])

        out = []
        if self.consistent in (True, None):
            out.append((V + (sr(h * f(V, U), ok[4]) + S), recovery(V, U)))
        if self.consistent in (False, None):
            V1 = V + sr((h * 0.5) * f(V, U, S), ok[4])
            V1 = V1 + sr((h * 0.5) * f(V1, U, S), ok[5])
            out.append((V1, recovery(V1, U)))
        if len(out) == 1:
            V, U = out[0]
        else:
            c = k["consistent_integration"]
            V, U = jnp.where(c, out[0][0], out[1][0]), jnp.where(c, out[0][1], out[1][1])
        V = jnp.where(V < p["V_min"], p["V_min"], V)
        never = jnp.zeros(V.shape, jnp.int32)  # no refractoriness
        free = jnp.ones(V.shape, bool)
        U_before = U
        V, _, spiked = threshold(V, p["V_th"], free, p["c"], never, never, surrogate)
        U = jnp.where(spiked > 0, U_before + p["d"], U_before)
        return {"V": V, "U": U}, spiked

    def observe(self, p, s):
        return {"V_m": s["V"], "U_m": s["U"]}

    def set(self, p, s, idx, changes):
        p = {k: (v.at[idx].set(changes[k]) if k in changes else v) for k, v in p.items()}
        s = dict(s)
        for name, var in (("V_m", "V"), ("U_m", "U")):
            if name in changes:
                s[var] = s[var].at[idx].set(changes[name])
        return p, s


MODEL = Izhikevich
