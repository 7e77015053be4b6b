"""iaf_cond_exp: leaky integrate-and-fire neuron with exponentially decaying synaptic conductances, as
NEST 3.10 integrates it (GSL's rkf45, :mod:`._rkf45`).

    C_m dV/dt = −g_L (V − E_L) − g_ex (V − E_ex) − g_in (V − E_in) + I_e + I_stim
    dg_ex/dt = −g_ex / tau_syn_ex,   dg_in/dt = −g_in / tau_syn_in

In the right-hand side V is min(V_m, V_th), and V_reset with dV/dt = 0 while refractory. A spike of
weight w > 0 (nS) makes g_ex jump by w, w ≤ 0 makes g_in jump by −w.

One step (NEST's order): integrate over the step with the error control ``y_new(1e-3, 0)`` and the
carried integration step ``h_int``; add this step's spike input to g_ex / g_in; if refractory, count
down and clamp V_m to V_reset, else if V_m ≥ V_th spike, reset, and start t_ref; the current of this
step's generators (I_stim) acts from the next step on.

Parameters (NEST's names and defaults; state variables are initial values):

=================  ==========  =======================================================
V_th               -55 mV      spike threshold
V_reset            -60 mV      reset potential
t_ref              2 ms        refractory period
g_L                16.6667 nS  leak conductance
C_m                250 pF      membrane capacitance
E_ex               0 mV        excitatory reversal potential
E_in               -85 mV      inhibitory reversal potential
E_L                -70 mV      leak reversal potential
tau_syn_ex         0.2 ms      excitatory synaptic time constant
tau_syn_in         2 ms        inhibitory synaptic time constant
I_e                0 pA        constant input current
V_m                -70 mV      state variable (state)
g_ex               0 nS        state variable (state)
g_in               0 nS        state variable (state)
tau_minus          20 ms       time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms      time constant of the postsynaptic triplet STDP trace
Ca                 0           calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms    time constant of the calcium trace
beta_Ca            0.001       increment of the calcium trace per spike
=================  ==========  =======================================================

State: V_m (initial E_L), g_ex, g_in (nS). Recordables: V_m, g_ex, g_in.
Parity: to NEST's integrator (same algorithm, order of operations and carried step).
"""
from __future__ import annotations

import sys

import jax.numpy as jnp

from . import _gsl
from ._rkf45 import evolve, product, quotient, y_control
from .iaf_psc_delta import refractory_steps

NAME = "iaf_cond_exp"
PARAMETERS = {  # name: (default, unit, doc)
    "V_th": (-55.0, "mV", "spike threshold"),
    "V_reset": (-60.0, "mV", "reset potential"),
    "t_ref": (2.0, "ms", "refractory period"),
    "g_L": (16.6667, "nS", "leak conductance"),
    "C_m": (250.0, "pF", "membrane capacitance"),
    "E_ex": (0.0, "mV", "excitatory reversal potential"),
    "E_in": (-85.0, "mV", "inhibitory reversal potential"),
    "E_L": (-70.0, "mV", "leak reversal potential"),
    "tau_syn_ex": (0.2, "ms", "excitatory synaptic time constant"),
    "tau_syn_in": (2.0, "ms", "inhibitory synaptic time constant"),
    "I_e": (0.0, "pA", "constant input current"),
}
STATE = ("V_m", "g_ex", "g_in")
RECORDABLES = ("V_m", "g_ex", "g_in")
CONTROL = y_control(1e-3, 0.0)


def check(p: dict) -> None:
    """NEST's BadProperty rules, in NEST's order (messages as NEST's)."""
    if (p["V_reset"] >= p["V_th"]).any():
        raise ValueError("Reset potential must be smaller than threshold.")
    if (p["C_m"] <= 0).any():
        raise ValueError("Capacitance must be strictly positive.")
    if (p["t_ref"] < 0).any():
        raise ValueError("Refractory time cannot be negative.")
    if ((p["tau_syn_ex"] <= 0) | (p["tau_syn_in"] <= 0)).any():
        raise ValueError("All time constants must be strictly positive.")


def rhs(y, a, nz):
    """NEST's iaf_cond_exp_dynamics; ``a``: parameters, I_stim, refractory counter r."""
    V_m, g_ex, g_in = y[0], y[1], y[2]
    refractory = a["r"] > 0
    V = jnp.where(refractory, a["V_reset"], jnp.where(a["V_th"] < V_m, a["V_th"], V_m))
    I_syn_exc = product(g_ex, V - a["E_ex"], nz)
    I_syn_inh = product(g_in, V - a["E_in"], nz)
    I_L = product(a["g_L"], V - a["E_L"], nz)
    dV = quotient((((-I_L + a["I_stim"]) + a["I_e"]) - I_syn_exc) - I_syn_inh, a["C_m"], nz)
    return jnp.stack([jnp.where(refractory, 0.0, dV), quotient(-g_ex, a["tau_syn_ex"], nz),
                      quotient(-g_in, a["tau_syn_in"], nz)])


def host_constants(p: dict, tics_per_step: int) -> dict:
    """NEST's pre_run_hook: t_ref in steps."""
    return dict(refractory_counts=refractory_steps(p["t_ref"], tics_per_step))


def update(p: dict, k: dict, s: dict, ex, inh, I_stim, *, h: float, slab=None):
    """One simulation step of length ``h``. ``s``: V_m, g_ex, g_in, r (refractory steps left), h_int (the
    carried integration step), I_stim (the generators' current of the previous step); ``ex`` / ``inh``:
    this step's summed spike weights of each sign (inh ≤ 0); ``I_stim``: this step's generator current.
    ``k``: :func:`host_constants`. Returns (state, spiked)."""
    aux = dict(p, r=s["r"], I_stim=s["I_stim"])
    y, h_int, _ = evolve(rhs, jnp.stack([s["V_m"], s["g_ex"], s["g_in"]]), s["h_int"], aux, step=h,
                         control=CONTROL, slab=slab)
    V_m, g_ex, g_in = y[0] + 0.0, y[1] + ex, y[2] - inh
    r = s["r"]
    refractory = r > 0
    spiked = ~refractory & (V_m >= p["V_th"])
    V_m = jnp.where(refractory | spiked, p["V_reset"], V_m)
    r = jnp.where(refractory, r - 1, jnp.where(spiked, k["refractory_counts"], r))
    return dict(V_m=V_m, g_ex=g_ex, g_in=g_in, r=r, h_int=h_int, I_stim=I_stim), spiked


def record(p: dict, s: dict, h: float) -> dict:
    return {"V_m": s["V_m"], "g_ex": s["g_ex"], "g_in": s["g_in"]}


MODEL = _gsl.make(sys.modules[__name__])
