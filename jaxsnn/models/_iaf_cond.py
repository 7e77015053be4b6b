"""iaf_cond_alpha and iaf_cond_beta: leaky integrate-and-fire neurons with alpha- or beta-shaped synaptic
conductances, as NEST 3.10 integrates them (GSL's rkf45, :mod:`._rkf45`, error control ``y_new(1e-3, 0)``).

    C_m dV/dt = −g_L (V − E_L) − g_ex (V − E_ex) − g_in (V − E_in) + I_stim + I_e
    d(dg_x)/dt = −dg_x / tau_decay_x,   dg_x/dt = dg_x − g_x / tau_rise_x

(alpha: tau_rise = tau_decay = tau_syn_x). In the right-hand side V is min(V_m, V_th), and V_reset with
dV/dt = 0 while refractory. A spike of weight w > 0 (nS) makes dg_ex jump by w·k_ex, w ≤ 0 makes dg_in
jump by −w·k_in, with k = e/tau_syn (alpha) or NEST's beta normalisation (peak conductance w).

One step (NEST's order): integrate; if refractory, count down and clamp V_m to V_reset, else if
V_m ≥ V_th spike, reset and start t_ref; then this step's spikes enter dg_ex / dg_in; the generator
current of this step acts from the next step on.

Parity: to NEST's integrator, bit for bit (no transcendental function in the right-hand side; the beta
normalisation is computed on the host with the C library, as NEST).
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from ._rkf45 import evolve, product, quotient, y_control
from .iaf_psc_delta import refractory_steps

COMMON = {
    "V_th": (-55.0, "mV", "spike threshold"),
    "V_reset": (-60.0, "mV", "reset potential"),
    "t_ref": (2.0, "ms", "refractory period"),
    "g_L": (16.6667, "nS", "leak conductance"),
    "C_m": (250.0, "pF", "membrane capacitance"),
    "E_ex": (0.0, "mV", "excitatory reversal potential"),
    "E_in": (-85.0, "mV", "inhibitory reversal potential"),
    "E_L": (-70.0, "mV", "leak reversal potential"),
}
ALPHA = {"tau_syn_ex": (0.2, "ms", "rise and decay time of the excitatory conductance"),
         "tau_syn_in": (2.0, "ms", "rise and decay time of the inhibitory conductance")}
BETA = {"tau_rise_ex": (0.2, "ms", "rise time of the excitatory conductance"),
        "tau_decay_ex": (0.2, "ms", "decay time of the excitatory conductance"),
        "tau_rise_in": (2.0, "ms", "rise time of the inhibitory conductance"),
        "tau_decay_in": (2.0, "ms", "decay time of the inhibitory conductance")}
STATE = ("V_m", "dg_ex", "g_ex", "dg_in", "g_in")
RECORDABLES = ("V_m", "g_ex", "g_in", "t_ref_remaining")
CONTROL = y_control(1e-3, 0.0)


def parameters(kind: str) -> dict:
    return dict(COMMON, **(ALPHA if kind == "alpha" else BETA), I_e=(0.0, "pA", "constant input current"))


def taus(kind: str, p):
    """(rise_ex, decay_ex, rise_in, decay_in)."""
    if kind == "alpha":
        return p["tau_syn_ex"], p["tau_syn_ex"], p["tau_syn_in"], p["tau_syn_in"]
    return p["tau_rise_ex"], p["tau_decay_ex"], p["tau_rise_in"], p["tau_decay_in"]


def check(kind: str, p: dict) -> None:
    """NEST's BadProperty rules, in NEST's order (messages as NEST's)."""
    if (p["V_reset"] >= p["V_th"]).any():
        raise ValueError("Reset potential must be smaller than threshold.")
    if (p["C_m"] <= 0).any():
        raise ValueError("Capacitance must be strictly positive.")
    if (p["t_ref"] < 0).any():
        raise ValueError("Refractory time cannot be negative.")
    if any((np.asarray(t) <= 0).any() for t in taus(kind, p)):
        raise ValueError("All time constants must be strictly positive.")


def beta_normalization(tau_rise: float, tau_decay: float) -> float:
    """NEST's beta_normalization_factor: 1/peak of the unit beta function (C library's log and exp)."""
    diff = tau_decay - tau_rise
    peak = 0.0
    if abs(diff) > np.finfo(float).eps:
        t_peak = tau_decay * tau_rise * math.log(tau_decay / tau_rise) / diff
        peak = math.exp(-t_peak / tau_decay) - math.exp(-t_peak / tau_rise)
    if abs(peak) < np.finfo(float).eps:
        return math.e / tau_decay
    return (1.0 / tau_rise - 1.0 / tau_decay) / peak


def host_constants(kind: str, p: dict, tics_per_step: int) -> dict:
    """NEST's pre_run_hook: refractory steps and the jump of dg per nS of weight (PSConInit)."""
    _, de, _, di = taus(kind, p)
    if kind == "alpha":
        k_ex, k_in = 1.0 * math.e / np.asarray(de, float), 1.0 * math.e / np.asarray(di, float)
    else:
        re, de, ri, di = (np.asarray(t, float) for t in taus(kind, p))
        k_ex = np.vectorize(beta_normalization, otypes=[float])(re, de)
        k_in = np.vectorize(beta_normalization, otypes=[float])(ri, di)
    return dict(refractory_counts=refractory_steps(p["t_ref"], tics_per_step), k_ex=k_ex, k_in=k_in)


def rhs_of(kind: str):
    def rhs(y, a, nz):
        V_m, dg_ex, g_ex, dg_in, g_in = y[0], y[1], y[2], y[3], y[4]
        refractory = a["r"] > 0
        V = jnp.where(refractory, a["V_reset"], jnp.where(a["V_th"] < V_m, a["V_th"], V_m))
        I_syn_exc = product(g_ex, V - a["E_ex"], nz)
        I_syn_inh = product(g_in, V - a["E_in"], nz)
        I_leak = product(a["g_L"], V - a["E_L"], nz)
        dV = quotient((((-I_leak - I_syn_exc) - I_syn_inh) + a["I_stim"]) + a["I_e"], a["C_m"], nz)
        re, de, ri, di = taus(kind, a)
        return jnp.stack([jnp.where(refractory, 0.0, dV), quotient(-dg_ex, de, nz), dg_ex - quotient(g_ex, re, nz),
                          quotient(-dg_in, di, nz), dg_in - quotient(g_in, ri, nz)])

    return rhs


def update(kind: str, p: dict, k: dict, s: dict, ex, inh, I_stim, *, h: float, slab=None):
    """One simulation step of length ``h`` (``k``: :func:`host_constants`). Returns (state, spiked)."""
    aux = dict(p, r=s["r"], I_stim=s["I_stim"])
    y, h_int, _ = evolve(rhs_of(kind), jnp.stack([s[n] for n in STATE]), s["h_int"], aux, step=h, control=CONTROL,
                         slab=slab)
    out = {n: y[i] for i, n in enumerate(STATE)}
    r = s["r"]
    refractory = r > 0
    spiked = ~refractory & (out["V_m"] >= p["V_th"])
    out["V_m"] = jnp.where(refractory | spiked, p["V_reset"], out["V_m"])
    r = jnp.where(refractory, r - 1, jnp.where(spiked, k["refractory_counts"], r))
    nz = jnp.where(jnp.isnan(h_int), h_int, -0.0)
    out["dg_ex"] = out["dg_ex"] + product(ex, k["k_ex"], nz)
    out["dg_in"] = out["dg_in"] + product(-inh, k["k_in"], nz)
    out.update(r=r, h_int=h_int, I_stim=I_stim + jnp.zeros_like(h_int))
    return out, spiked


def record(p: dict, s: dict, h: float) -> dict:
    return {"V_m": s["V_m"], "g_ex": s["g_ex"], "g_in": s["g_in"], "t_ref_remaining": h * s["r"]}
