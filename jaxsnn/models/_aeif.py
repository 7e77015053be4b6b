"""The adaptive exponential integrate-and-fire family (Brette & Gerstner 2005) as NEST 3.10 integrates it:
aeif_cond_alpha, aeif_cond_exp, aeif_psc_alpha, aeif_psc_exp, aeif_psc_delta share this module; each model's
module names its synapse kind.

    C_m dV/dt = −g_L (V − E_L) + g_L Δ_T exp((V − V_th)/Δ_T) + I_syn − w + I_e + I_stim
    tau_w dw/dt = a (V − E_L) − w

with I_syn = −g_ex (V − E_ex) − g_in (V − E_in) (cond), I_syn_ex − I_syn_in (psc), 0 (delta: a spike of
weight w mV moves V by w). In the right-hand side V is min(V_m, V_peak), and V_reset with dV/dt = 0
while refractory; the exponential term is left out when Δ_T = 0 (then the threshold is V_th).

NEST's order in one step (error control ``yp_new(gsl_error_tol, gsl_error_tol)``): after *every* accepted
substep, a refractory neuron's V_m is clamped to V_reset, otherwise V_m ≥ V_peak (V_th if Δ_T = 0) is a
spike: V_m ← V_reset, w ← w + b, and t_ref + 1 steps of refractoriness begin (0 if t_ref is 0, so a
neuron without refractoriness can spike more than once in a step). After the step: the refractory
counter counts down, this step's spikes enter the synapses (alpha: dg (or dI) jumps by e/tau_syn · w;
exp: g (or I) jumps by w; the inhibitory channel takes −w), and this step's generator current acts from
the next step on. aeif_psc_delta adds its spike input to V_m after the first substep of the step (only
when not refractory; with ``refractory_input`` the input during refractoriness is kept, decayed by
exp(−r·h/tau_m) in NEST 3.10, whose unsigned counter makes −r a huge positive number, so the
buffer overflows to inf: ``refractory_input=True`` is refused here).

Parity: to NEST's integrator (same algorithm, order of operations, carried step); the exponential is
XLA's, which can differ from the C library's in the last bit, so V_m is not always bit-identical.
"""
from __future__ import annotations

import math

import jax.numpy as jnp

from ..core import libm as _libm
from ._rkf45 import evolve, product, quotient, yp_control
from .iaf_psc_delta import refractory_steps

EXP = _libm.exp  # the C library's exponential, bit for bit

COMMON = {  # name: (default, unit, doc), NEST's order
    "V_peak": (0.0, "mV", "spike detection threshold (Δ_T > 0)"),
    "V_reset": (-60.0, "mV", "reset potential"),
    "t_ref": (0.0, "ms", "refractory period"),
    "g_L": (30.0, "nS", "leak conductance"),
    "C_m": (281.0, "pF", "membrane capacitance"),
    "E_L": (-70.6, "mV", "leak reversal potential"),
    "Delta_T": (2.0, "mV", "slope factor"),
    "tau_w": (144.0, "ms", "adaptation time constant"),
    "a": (4.0, "nS", "subthreshold adaptation"),
    "b": (80.5, "pA", "spike-triggered adaptation"),
    "V_th": (-50.4, "mV", "spike initiation threshold"),
    "I_e": (0.0, "pA", "constant input current"),
    "gsl_error_tol": (1e-6, "", "error tolerance of the integrator"),
}
COND = {"E_ex": (0.0, "mV", "excitatory reversal potential"), "E_in": (-85.0, "mV", "inhibitory reversal potential")}
SYN = {"tau_syn_ex": (0.2, "ms", "excitatory synaptic time constant"),
       "tau_syn_in": (2.0, "ms", "inhibitory synaptic time constant")}

# state rows of each kind (NEST's State_ order) and what the multimeter calls them
ROWS = {
    "cond_alpha": ("V_m", "dg_ex", "g_ex", "dg_in", "g_in", "w"),
    "cond_exp": ("V_m", "g_ex", "g_in", "w"),
    "psc_alpha": ("V_m", "dI_syn_ex", "I_syn_ex", "dI_syn_in", "I_syn_in", "w"),
    "psc_exp": ("V_m", "I_syn_ex", "I_syn_in", "w"),
    "delta": ("V_m", "w"),
}


def parameters(kind: str) -> dict:
    if kind == "delta":
        return dict(COMMON, refractory_input=(False, "", "keep input during refractoriness (True is refused)"))
    return dict(COMMON, **(COND if kind.startswith("cond") else {}), **SYN)


def check(p: dict) -> None:
    """NEST's BadProperty rules, in NEST's order (messages as NEST's)."""
    if (p["V_reset"] >= p["V_peak"]).any():
        raise ValueError("Ensure that: V_reset < V_peak .")
    if (p["Delta_T"] < 0).any():
        raise ValueError("Delta_T must be positive.")
    pos = p["Delta_T"] > 0
    max_exp_arg = math.log(1.7976931348623157e308 / 1e20)
    if (pos & ((p["V_peak"] - p["V_th"]) / jnp.where(pos, p["Delta_T"], 1.0) >= max_exp_arg)).any():
        raise ValueError("The current combination of V_peak, V_th and Delta_Twill lead to numerical overflow at "
                         "spike time; tryfor instance to increase Delta_T or to reduce V_peakto avoid this problem.")
    if (p["V_peak"] < p["V_th"]).any():
        raise ValueError("V_peak >= V_th required.")
    if (p["C_m"] <= 0).any():
        raise ValueError("Capacitance must be strictly positive.")
    if (p["t_ref"] < 0).any():
        raise ValueError("Refractory time cannot be negative.")
    taus = [p["tau_w"]] + ([p["tau_syn_ex"], p["tau_syn_in"]] if "tau_syn_ex" in p else [])
    if any((t <= 0).any() for t in taus):
        raise ValueError("All time constants must be strictly positive.")
    if (p["gsl_error_tol"] <= 0).any():
        raise ValueError("The gsl_error_tol must be strictly positive.")


def rhs_of(kind: str):
    """NEST's aeif_<kind>_dynamics for ``y`` in the rows of ``ROWS[kind]``."""

    def rhs(y, a, nz):
        refractory = a["r"] > 0
        V = jnp.where(refractory, a["V_reset"], jnp.where(a["V_peak"] < y[0], a["V_peak"], y[0]))
        w = y[-1]
        if kind == "delta":  # aeif_psc_delta multiplies by host reciprocals
            arg = product(V - a["V_th"], a["Delta_T_inv"], nz)
        else:
            arg = quotient(V - a["V_th"], a["Delta_T"], nz)
        I_spike = jnp.where(a["Delta_T"] == 0.0, 0.0,
                            product(product(a["g_L"], a["Delta_T"], nz), EXP(arg), nz))
        s = product(-a["g_L"], V - a["E_L"], nz) + I_spike
        if kind.startswith("cond"):
            g_ex, g_in = (y[2], y[4]) if kind == "cond_alpha" else (y[1], y[2])
            s = (s - product(g_ex, V - a["E_ex"], nz)) - product(g_in, V - a["E_in"], nz)
        elif kind.startswith("psc"):
            i_ex, i_in = (y[2], y[4]) if kind == "psc_alpha" else (y[1], y[2])
            s = (s + i_ex) - i_in
        s = ((s - w) + a["I_e"]) + a["I_stim"]
        if kind == "delta":
            dV = product(s, a["C_m_inv"], nz)
            dw = product(product(a["a"], V - a["E_L"], nz) - w, a["tau_w_inv"], nz)
        else:
            dV = quotient(s, a["C_m"], nz)
            dw = quotient(product(a["a"], V - a["E_L"], nz) - w, a["tau_w"], nz)
        f = [jnp.where(refractory, 0.0, dV)]
        te, ti = a.get("tau_syn_ex"), a.get("tau_syn_in")
        if kind in ("cond_alpha", "psc_alpha"):
            f += [quotient(-y[1], te, nz), y[1] - quotient(y[2], te, nz),
                  quotient(-y[3], ti, nz), y[3] - quotient(y[4], ti, nz)]
        elif kind in ("cond_exp", "psc_exp"):
            f += [quotient(-y[1], te, nz), quotient(-y[2], ti, nz)]
        return jnp.stack(f + [dw])

    return rhs


def _after(kind: str):
    """NEST's code after each accepted substep: delta input (psc_delta), refractory clamp, spike and reset."""

    def after(y, a, nz):
        V, w, r = y[0], y[-1], a["r"]
        changed = jnp.zeros(V.shape, bool)
        if kind == "delta":  # the step's input, after the first substep, if not refractory (else dropped)
            add = (r == 0) & (a["pending"] != 0.0)
            V = jnp.where(add, V + a["pending"], V)
            changed = add
            a = dict(a, pending=jnp.zeros_like(a["pending"]))
        refractory = r > 0
        spiked = ~refractory & (V >= a["V_peak_eff"])
        V = jnp.where(refractory | spiked, a["V_reset"], V)
        w = jnp.where(spiked, w + a["b"], w)
        r = jnp.where(spiked, jnp.where(a["refractory_counts"] > 0, a["refractory_counts"] + 1, 0), r)
        a = dict(a, r=r, n_spikes=a["n_spikes"] + spiked)
        return y.at[0].set(V).at[-1].set(w), a, changed | spiked

    return after


def host_constants(p: dict, tics_per_step: int) -> dict:
    """NEST's pre_run_hook: t_ref in steps."""
    return dict(refractory_counts=refractory_steps(p["t_ref"], tics_per_step))


def update(kind: str, p: dict, k: dict, s: dict, ex, inh, I_stim, *, h: float, slab=None):
    """One simulation step of length ``h``. ``s``: the rows of ``ROWS[kind]``, r (refractory steps left),
    h_int (the carried integration step), I_stim (the previous step's generator current); ``ex`` / ``inh``:
    this step's summed spike weights of each sign (inh ≤ 0; delta: ``ex`` is the
    sum of all, ``inh`` unused). Returns (state, number of spikes in the step)."""
    rows = ROWS[kind]
    nz0 = jnp.zeros_like(s["V_m"])
    aux = dict(p, r=s["r"], I_stim=s["I_stim"], n_spikes=jnp.zeros(s["V_m"].shape, jnp.int32),
               V_peak_eff=jnp.where(p["Delta_T"] > 0.0, p["V_peak"], p["V_th"]),
               refractory_counts=jnp.broadcast_to(k["refractory_counts"], s["V_m"].shape))
    if kind == "delta":
        aux.update(pending=ex + nz0, Delta_T_inv=1.0 / p["Delta_T"], C_m_inv=1.0 / p["C_m"], tau_w_inv=1.0 / p["tau_w"])
    tol = p["gsl_error_tol"]
    y, h_int, aux = evolve(rhs_of(kind), jnp.stack([s[k] for k in rows]), s["h_int"], aux, step=h,
                           control=yp_control(tol, tol), after=_after(kind), slab=slab)
    out = {k: y[i] for i, k in enumerate(rows)}
    r = aux["r"]
    r = jnp.where(r > 0, r - 1, r)
    nz = jnp.where(jnp.isnan(out["V_m"]), out["V_m"], -0.0)
    if kind == "cond_alpha" or kind == "psc_alpha":
        e = math.e  # NEST's numerics::e: 1.0 * e / tau
        d_ex, d_in = rows[1], rows[3]
        out[d_ex] = out[d_ex] + product(ex, quotient(1.0 * e, p["tau_syn_ex"], nz), nz)
        out[d_in] = out[d_in] + product(-inh, quotient(1.0 * e, p["tau_syn_in"], nz), nz)
    elif kind in ("cond_exp", "psc_exp"):
        out[rows[1]] = out[rows[1]] + ex
        out[rows[2]] = out[rows[2]] - inh
    out.update(r=r, h_int=h_int, I_stim=I_stim + nz0)
    return out, aux["n_spikes"]
