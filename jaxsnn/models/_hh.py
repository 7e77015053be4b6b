"""Hodgkin–Huxley neurons as NEST 3.10 integrates them (GSL's rkf45, :mod:`._rkf45`, ``y_new(1e-3, 0)``):
hh_psc_alpha (kind ``"psc_alpha"``, Hodgkin & Huxley 1952 squid axon, alpha-shaped currents) and
hh_cond_exp_traub (kind ``"traub"``, Traub & Miles 1991 as in Brette et al. 2007, exponential conductances).

    C_m dV/dt = −g_Na m³h (V − E_Na) − g_K n⁴ (V − E_K) − g_L (V − E_L) + I_syn + I_stim + I_e
    dx/dt = α_x(V) (1 − x) − β_x(V) x      for x = m, h, n

psc_alpha: I_syn = I_syn_ex + I_syn_in (I_syn_in ≤ 0), alpha-shaped with jumps e/tau_syn · w of dI;
traub: I_syn = −g_ex (V − E_ex) − g_in (V − E_in), exponential, g jumps by w (inhibitory: −w), and the
rates read V − V_T. The rate functions are NEST's (see the models' sources for the constants).

There is no reset: after the step (spike input added first), a neuron that is not refractory spikes when
V_m ≥ 0 mV (psc_alpha) or V_m ≥ V_T + 30 mV (traub) while V_m fell during the step (the maximum of the
action potential); refractoriness only blocks the next detection for t_ref.

Initial m, h, n: the equilibrium at V = −65 mV (psc_alpha) or the default E_L (traub), computed on the host
with the C library; NEST's constructor runs once with the default parameters, so an E_L given at create
moves neither V_m nor the gates.


Parity: to NEST's integrator with the C library's exp (:mod:`jaxsnn.core.libm`): hh_psc_alpha bit for bit on the
stored cases, hh_cond_exp_traub within 1e-10 mV (spikes identical).
"""
from __future__ import annotations

import math

import jax.numpy as jnp

from ..core import libm as _libm
from ._rkf45 import evolve, product, quotient, y_control
from .iaf_psc_delta import refractory_steps

EXP = _libm.exp  # the C library's exponential, bit for bit
PSC_ALPHA = {
    "t_ref": (2.0, "ms", "refractory period"),
    "g_Na": (12000.0, "nS", "sodium peak conductance"),
    "g_K": (3600.0, "nS", "potassium peak conductance"),
    "g_L": (30.0, "nS", "leak conductance"),
    "C_m": (100.0, "pF", "membrane capacitance"),
    "E_Na": (50.0, "mV", "sodium reversal potential"),
    "E_K": (-77.0, "mV", "potassium reversal potential"),
    "E_L": (-54.402, "mV", "leak reversal potential"),
    "tau_syn_ex": (0.2, "ms", "rise time of the excitatory synaptic alpha function"),
    "tau_syn_in": (2.0, "ms", "rise time of the inhibitory synaptic alpha function"),
    "I_e": (0.0, "pA", "constant input current"),
}
TRAUB = {
    "g_Na": (20000.0, "nS", "sodium peak conductance"),
    "g_K": (6000.0, "nS", "potassium peak conductance"),
    "g_L": (10.0, "nS", "leak conductance"),
    "C_m": (200.0, "pF", "membrane capacitance"),
    "E_Na": (50.0, "mV", "sodium reversal potential"),
    "E_K": (-90.0, "mV", "potassium reversal potential"),
    "E_L": (-60.0, "mV", "leak reversal potential"),
    "V_T": (-63.0, "mV", "voltage offset of the rate functions (threshold ≈ −50 mV)"),
    "E_ex": (0.0, "mV", "excitatory reversal potential"),
    "E_in": (-80.0, "mV", "inhibitory reversal potential"),
    "tau_syn_ex": (5.0, "ms", "excitatory synaptic time constant"),
    "tau_syn_in": (10.0, "ms", "inhibitory synaptic time constant"),
    "t_ref": (2.0, "ms", "refractory period"),
    "I_e": (0.0, "pA", "constant input current"),
}
ROWS = {"psc_alpha": ("V_m", "Act_m", "Inact_h", "Act_n", "dI_syn_ex", "I_syn_ex", "dI_syn_in", "I_syn_in"),
        "traub": ("V_m", "Act_m", "Inact_h", "Act_n", "g_ex", "g_in")}
RECORDABLES = {"psc_alpha": ("Act_m", "Act_n", "I_syn_ex", "I_syn_in", "Inact_h", "V_m"),
               "traub": ("Act_m", "Act_n", "Inact_h", "V_m", "g_ex", "g_in")}
CONTROL = y_control(1e-3, 0.0)


def parameters(kind: str) -> dict:
    return dict(PSC_ALPHA if kind == "psc_alpha" else TRAUB)


def check(kind: str, p: dict) -> None:
    """NEST's BadProperty rules, in NEST's order (messages as NEST's)."""
    if (p["C_m"] <= 0).any():
        raise ValueError("Capacitance must be strictly positive.")
    if kind == "psc_alpha":
        if (p["t_ref"] < 0).any():
            raise ValueError("Refractory time cannot be negative.")
        if ((p["tau_syn_ex"] <= 0) | (p["tau_syn_in"] <= 0)).any():
            raise ValueError("All time constants must be strictly positive.")
        if ((p["g_K"] < 0) | (p["g_Na"] < 0) | (p["g_L"] < 0)).any():
            raise ValueError("All conductances must be non-negative.")
    else:
        if ((p["tau_syn_ex"] <= 0) | (p["tau_syn_in"] <= 0)).any():
            raise ValueError("All time constants must be strictly positive.")
        if (p["t_ref"] < 0).any():
            raise ValueError("Refractory time cannot be negative.")


def _rates(kind, V, ex, q, p, nz):
    """(α_m, β_m, α_h, β_h, α_n, β_n) in NEST's arithmetic; ``ex`` the exponential, ``q`` a division."""
    if kind == "psc_alpha":
        alpha_n = q(p(0.01, V + 55.0), 1.0 - ex(q(-(V + 55.0), 10.0)))
        beta_n = p(0.125, ex(q(-(V + 65.0), 80.0)))
        alpha_m = q(p(0.1, V + 40.0), 1.0 - ex(q(-(V + 40.0), 10.0)))
        beta_m = p(4.0, ex(q(-(V + 65.0), 18.0)))
        alpha_h = p(0.07, ex(q(-(V + 65.0), 20.0)))
        beta_h = q(1.0, 1.0 + ex(q(-(V + 35.0), 10.0)))
    else:
        alpha_n = q(p(0.032, 15.0 - V), ex(q(15.0 - V, 5.0)) - 1.0)
        beta_n = p(0.5, ex(q(10.0 - V, 40.0)))
        alpha_m = q(p(0.32, 13.0 - V), ex(q(13.0 - V, 4.0)) - 1.0)
        beta_m = q(p(0.28, V - 40.0), ex(q(V - 40.0, 5.0)) - 1.0)
        alpha_h = p(0.128, ex(q(17.0 - V, 18.0)))
        beta_h = q(4.0, 1.0 + ex(q(40.0 - V, 5.0)))
    return alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n


def initial_gates(kind: str, V: float) -> dict:
    """m, h, n at equilibrium for V (host, C library), as NEST's State_ constructor."""
    a_m, b_m, a_h, b_h, a_n, b_n = _rates(kind, V, math.exp, lambda a, b: a / b, lambda a, b: a * b, None)
    return {"Act_m": a_m / (a_m + b_m), "Inact_h": a_h / (a_h + b_h), "Act_n": a_n / (a_n + b_n)}


def initial_state(kind: str, p: dict) -> dict:
    """NEST's State_ constructor runs once with the default parameters: V_m is −65 mV (psc_alpha) or the
    default E_L (traub), whatever E_L is given at create."""
    V = -65.0 if kind == "psc_alpha" else TRAUB["E_L"][0]
    return dict(initial_gates(kind, V), V_m=V)


def rhs_of(kind: str):
    def rhs(y, a, nz):
        pr = lambda u, v: product(u, v, nz)  # noqa: E731
        qu = lambda u, v: quotient(u, v, nz)  # noqa: E731
        V, m, hh, n = y[0], y[1], y[2], y[3]
        I_Na = pr(pr(pr(pr(a["g_Na"], m), m), m) * hh, V - a["E_Na"])
        I_K = pr(pr(pr(pr(a["g_K"], n), n), n) * n, V - a["E_K"])
        I_L = pr(a["g_L"], V - a["E_L"])
        if kind == "psc_alpha":
            dI_ex, I_ex, dI_in, I_in = y[4], y[5], y[6], y[7]
            dV = qu((((-((I_Na + I_K) + I_L) + a["I_stim"]) + a["I_e"]) + I_ex) + I_in, a["C_m"])
            rates = _rates(kind, V, EXP, qu, pr, nz)
        else:
            g_ex, g_in = y[4], y[5]
            I_syn_exc = pr(g_ex, V - a["E_ex"])
            I_syn_inh = pr(g_in, V - a["E_in"])
            dV = qu((((((-I_Na - I_K) - I_L) - I_syn_exc) - I_syn_inh) + a["I_stim"]) + a["I_e"], a["C_m"])
            rates = _rates(kind, V - a["V_T"], EXP, qu, pr, nz)
        a_m, b_m, a_h, b_h, a_n, b_n = rates
        if kind == "psc_alpha":
            gates = [pr(a_m, 1.0 - m) - pr(b_m, m), pr(a_h, 1.0 - hh) - pr(b_h, hh), pr(a_n, 1.0 - n) - pr(b_n, n)]
            te, ti = a["tau_syn_ex"], a["tau_syn_in"]
            syn = [qu(-dI_ex, te), dI_ex - qu(I_ex, te), qu(-dI_in, ti), dI_in - qu(I_in, ti)]
        else:
            gates = [a_m - pr(a_m + b_m, m), a_h - pr(a_h + b_h, hh), a_n - pr(a_n + b_n, n)]
            syn = [qu(-g_ex, a["tau_syn_ex"]), qu(-g_in, a["tau_syn_in"])]
        return jnp.stack([dV] + gates + syn)

    return rhs


def host_constants(kind: str, p: dict, tics_per_step: int) -> dict:
    """NEST's pre_run_hook: t_ref in steps (and for psc_alpha e/tau_syn, also exact in the graph)."""
    return dict(refractory_counts=refractory_steps(p["t_ref"], tics_per_step))


def update(kind: str, p: dict, k: dict, s: dict, ex, inh, I_stim, *, h: float, slab=None):
    """One simulation step of length ``h``. Returns (state, spiked)."""
    rows = ROWS[kind]
    U_old = s["V_m"]
    aux = dict(p, I_stim=s["I_stim"])
    y, h_int, _ = evolve(rhs_of(kind), jnp.stack([s[n] for n in rows]), s["h_int"], aux, step=h, control=CONTROL,
                         slab=slab)
    out = {n: y[i] for i, n in enumerate(rows)}
    nz = jnp.where(jnp.isnan(h_int), h_int, -0.0)
    if kind == "psc_alpha":
        out["dI_syn_ex"] = out["dI_syn_ex"] + product(ex, quotient(1.0 * math.e, p["tau_syn_ex"], nz), nz)
        out["dI_syn_in"] = out["dI_syn_in"] + product(inh, quotient(1.0 * math.e, p["tau_syn_in"], nz), nz)
        threshold = 0.0
    else:
        out["g_ex"] = out["g_ex"] + ex
        out["g_in"] = out["g_in"] - inh
        threshold = p["V_T"] + 30.0
    r = s["r"]
    refractory = r > 0
    spiked = ~refractory & (out["V_m"] >= threshold) & (U_old > out["V_m"])
    out.update(r=jnp.where(refractory, r - 1, jnp.where(spiked, k["refractory_counts"], r)), h_int=h_int,
               I_stim=I_stim + jnp.zeros_like(h_int))
    return out, spiked


def record(kind: str, p: dict, s: dict, h: float) -> dict:
    return {n: s[n] for n in RECORDABLES[kind]}
