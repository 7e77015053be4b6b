"""leaky_integrator: a non-spiking leaky integrator with delta-shaped synaptic input (a readout).

The readout of a trained network: its membrane potential filters the spikes it receives, and never
fires. With V stored relative to the resting potential (y = V_m − E_L):

    τ_m dy/dt = −y + τ_m / C_m · (I_e + I(t)),      an input spike of weight w makes y jump by w (mV).

Exact integration over one step h (the input current held over the step, as in iaf_psc_delta):

    y ← P30 · (I_e + I) + P33 · y + Σ w,      P33 = exp(−h/τ_m),  P30 = (1/C_m)(1 − P33) τ_m,

so a spike of weight w arriving in step k leaves w · P33^(j−k) in step j ≥ k: an exact exponential
filter of the input spike train. It has no threshold, no reset and no refractoriness; it is
differentiable in every parameter (exactly: nothing is a surrogate) and its V_m is recordable.

NEST has no model of exactly this; the closest is ``iaf_psc_delta`` with ``V_th = inf`` (the same
equations, propagators and input; jaxsnn's iaf_psc_delta takes V_th = inf too, but then still carries
a threshold test and a refractory counter). NEST's ``rate_neuron`` family integrates rates, not
spikes. (docs/nest.md, differences.)

Parameters:

=================  ========  =======================================================
V_m                -70 mV    membrane potential (state)
E_L                -70 mV    resting potential
C_m                250 pF    membrane capacitance
tau_m              10 ms     membrane time constant
I_e                0 pA      constant input current
tau_minus          20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms    time constant of the postsynaptic triplet STDP trace
Ca                 0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms  time constant of the calcium trace
beta_Ca            0.001     increment of the calcium trace per spike
=================  ========  =======================================================

Recordables: V_m.
"""
from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import checks
from ._propagators import separately_rounded
from .base import ARCHIVING, SUMMED, NeuronModel, Param

PARAMETERS = {
    "V_m": Param(-70.0, "mV", "membrane potential", state=True),
    "E_L": Param(-70.0, "mV", "resting potential"),
    "C_m": Param(250.0, "pF", "membrane capacitance"),
    "tau_m": Param(10.0, "ms", "membrane time constant"),
    "I_e": Param(0.0, "pA", "constant input current"),
    **ARCHIVING,
}


@dataclasses.dataclass(frozen=True)
class LeakyIntegrator(NeuronModel):
    name = "leaky_integrator"
    parameters = PARAMETERS
    recordables = ("V_m",)
    inputs = SUMMED
    receptors = {"neuron": (0,), "generator": (0,), "current": (0,)}

    @classmethod
    def check(cls, v, where, tics_per_step):
        v = {k: a for k, a in v.items() if a is not None}
        for name, arr in v.items():
            checks.finite(f"{where}: {name}", arr)
        for name in ("tau_m", "C_m", "tau_minus", "tau_minus_triplet"):
            if name in v:
                checks.first_bad(f"{where}: {name}", v[name], v[name] <= 0, f"{name} > 0")

    def host_constants(self, host, h, tics_per_step):
        tau_m, C_m = np.asarray(host["tau_m"], float), np.asarray(host["C_m"], float)
        P33 = np.array([math.exp(-h / t) for t in tau_m])  # the C library's exp, as the iaf models
        return dict(P33=P33, P30=((1.0 / C_m) * (1.0 - P33)) * tau_m, built_tau_m=tau_m, built_C_m=C_m)

    def init(self, host):
        return dict(V_rel=host["V_m"] - host["E_L"])

    def constants(self, p, k, h, tics_per_step):
        """The host's propagators where tau_m and C_m are the built ones, the formulas elsewhere; the
        formulas' derivative everywhere."""
        P33_f = jnp.exp(-h / p["tau_m"])
        P30_f = ((1.0 / p["C_m"]) * (1.0 - P33_f)) * p["tau_m"]
        built = (p["tau_m"] == k["built_tau_m"]) & (p["C_m"] == k["built_C_m"])
        P33 = jnp.where(built, k["P33"], P33_f) + (P33_f - jax.lax.stop_gradient(P33_f))
        P30 = jnp.where(built, k["P30"], P30_f) + (P30_f - jax.lax.stop_gradient(P30_f))
        return dict(P33=P33, P30=P30)

    def update(self, p, k, s, inp, h, surrogate=None):
        """Returns (state, spiked): the exact step of the module docstring; spiked is always false
        (0.0 in the differentiable build)."""
        y = s["V_rel"]
        drive = p["I_e"] if inp.current is None else inp.current[0] + p["I_e"]
        # products rounded before the sum (no FMA): the bits of iaf_psc_delta's subthreshold step; the
        # masks are true at run time but not provably so (see core.rounding)
        y = (separately_rounded(k["P30"] * drive, k["P30"] >= 0) + separately_rounded(k["P33"] * y, k["P33"] >= 0)) \
            + inp.spikes[0]
        spiked = jnp.zeros(y.shape, bool if surrogate is None else y.dtype)
        return dict(V_rel=y), spiked

    def observe(self, p, s):
        return {"V_m": s["V_rel"] + p["E_L"]}

    def set(self, p, s, idx, changes):
        """NEST's rule of the iaf models: V is kept relative to E_L, so changing E_L keeps V_m."""
        E_L_old = p["E_L"][idx]
        p = {k: (v.at[idx].set(changes[k]) if k in changes else v) for k, v in p.items()}
        s = dict(s)
        if "V_m" in changes or "E_L" in changes:
            V_m = changes.get("V_m", s["V_rel"][idx] + E_L_old)
            s["V_rel"] = s["V_rel"].at[idx].set(V_m - p["E_L"][idx])
        return p, s


MODEL = LeakyIntegrator
