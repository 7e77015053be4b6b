"""mat2_psc_exp: leaky integrate-and-fire neuron with a multi-timescale adaptive threshold (Kobayashi et al.
2009) and exponentially decaying synaptic currents, exactly as NEST 3.10 (exact integration).

With V relative to E_L, the threshold θ = omega + V_th_alpha_1 + V_th_alpha_2 (omega relative to E_L):

    tau_m dV/dt = −V + tau_m/C_m (I_syn_ex + I_syn_in + I_e + I_stim),   tau_syn dI/dt = −I
    dV_th_alpha_i/dt = −V_th_alpha_i / tau_i;   a spike: V_th_alpha_i += alpha_i (V is not reset)

One step (NEST's order): V ← V·expm1(−h/tau_m) + V + P21ex·I_ex + P21in·I_in + P20·(I_e + I_stim) (each
product rounded, summed left to right), the two threshold components and the currents decay, this
step's spikes enter the currents (weight ≥ 0 excitatory), then, if not refractory, V ≥ θ is a spike
(t_ref steps of refractoriness begin, the threshold jumps), else the counter counts down. Propagators
are NEST's (pre_run_hook), computed on the host with the C library. Parity: exact.

Parameters (NEST's names and defaults; state variables are initial values):

=================  ========  =======================================================
E_L                -70 mV    resting potential
I_e                0 pA      constant input current
C_m                100 pF    membrane capacitance
tau_m              5 ms      membrane time constant
tau_syn_ex         1 ms      excitatory synaptic time constant
tau_syn_in         3 ms      inhibitory synaptic time constant
t_ref              2 ms      refractory period (at least one step)
tau_1              10 ms     short threshold time constant
tau_2              200 ms    long threshold time constant
alpha_1            37 mV     short threshold jump
alpha_2            2 mV      long threshold jump
omega              -51 mV    resting threshold (absolute)
V_m                -70 mV    membrane potential (state)
V_th_alpha_1       0 mV      short threshold component (state)
V_th_alpha_2       0 mV      long threshold component (state)
tau_minus          20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms    time constant of the postsynaptic triplet STDP trace
Ca                 0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms  time constant of the calcium trace
beta_Ca            0.001     increment of the calcium trace per spike
=================  ========  =======================================================

Recordables: V_m, V_th.
"""
from __future__ import annotations

import math
import sys

import jax.numpy as jnp
import numpy as np

from . import _gsl
from ._rkf45 import product
from .iaf_psc_delta import refractory_steps

NAME = "mat2_psc_exp"
PARAMETERS = {
    "E_L": (-70.0, "mV", "resting potential"),
    "I_e": (0.0, "pA", "constant input current"),
    "C_m": (100.0, "pF", "membrane capacitance"),
    "tau_m": (5.0, "ms", "membrane time constant"),
    "tau_syn_ex": (1.0, "ms", "excitatory synaptic time constant"),
    "tau_syn_in": (3.0, "ms", "inhibitory synaptic time constant"),
    "t_ref": (2.0, "ms", "refractory period (at least one step)"),
    "tau_1": (10.0, "ms", "short threshold time constant"),
    "tau_2": (200.0, "ms", "long threshold time constant"),
    "alpha_1": (37.0, "mV", "short threshold jump"),
    "alpha_2": (2.0, "mV", "long threshold jump"),
    "omega": (-51.0, "mV", "resting threshold (absolute)"),
}
STATE = ("V_rel", "I_syn_ex", "I_syn_in", "V_th_alpha_1", "V_th_alpha_2")  # V_rel = V_m − E_L, as NEST holds it
RECORDABLES = ("V_m", "V_th")
NEST_STATE = {"V_m": (-70.0, "mV", "membrane potential"), "V_th_alpha_1": (0.0, "mV", "short threshold component"),
              "V_th_alpha_2": (0.0, "mV", "long threshold component")}


def check(p: dict) -> None:
    """NEST's BadProperty rules, in NEST's order (messages as NEST's)."""
    if (p["C_m"] <= 0).any():
        raise ValueError("Capacitance must be strictly positive.")
    if any((p[k] <= 0).any() for k in ("tau_m", "tau_syn_ex", "tau_syn_in", "t_ref", "tau_1", "tau_2")):
        raise ValueError("All time constants must be strictly positive.")
    if ((p["tau_m"] == p["tau_syn_ex"]) | (p["tau_m"] == p["tau_syn_in"])).any():
        raise ValueError("Membrane and synapse time constant(s) must differ.See note in documentation.")


def _host(Tau, C, tau_ex, tau_in, tau_1, tau_2, h):
    P11ex, P11in = math.exp(-h / tau_ex), math.exp(-h / tau_in)
    P22_expm1 = math.expm1(-h / Tau)
    P21ex = -Tau / (C * (1.0 - Tau / tau_ex)) * P11ex * math.expm1(h * (1.0 / tau_ex - 1.0 / Tau))
    P21in = -Tau / (C * (1.0 - Tau / tau_in)) * P11in * math.expm1(h * (1.0 / tau_in - 1.0 / Tau))
    return (P11ex, P11in, P22_expm1, P21ex, P21in, -Tau / C * P22_expm1, math.exp(-h / tau_1), math.exp(-h / tau_2))


def host_constants(p: dict, tics_per_step: int) -> dict:
    """NEST's pre_run_hook, with the C library's exp and expm1."""
    h = tics_per_step / 1000.0
    cols = np.vectorize(lambda *a: _host(*a, h), otypes=[float] * 8)(
        *(np.asarray(p[k], float) for k in ("tau_m", "C_m", "tau_syn_ex", "tau_syn_in", "tau_1", "tau_2")))
    names = ("P11ex", "P11in", "P22_expm1", "P21ex", "P21in", "P20", "P11th", "P22th")
    steps = refractory_steps(p["t_ref"], tics_per_step)
    if (steps < 1).any():
        raise ValueError("Total refractory time must be at least one time step.")
    return dict(zip(names, cols), refractory_counts=steps)


def initial_state(p: dict) -> dict:
    """V_m − E_L; NEST's V_m stays at −70 mV when only E_L is given."""
    return {"V_rel": float(p.get("V_m", -70.0)) - float(p["E_L"])}


def to_state(host: dict) -> dict:
    """The state from the parameters (V_m absolute, as NEST's set_status takes it)."""
    z = np.zeros(len(host["V_m"]))
    f = lambda k: np.asarray(host[k], float)  # noqa: E731
    return dict(V_rel=f("V_m") - f("E_L"), I_syn_ex=z, I_syn_in=z.copy(), V_th_alpha_1=f("V_th_alpha_1"),
                V_th_alpha_2=f("V_th_alpha_2"))


set_state = _gsl.set_v_rel


def update(p: dict, k: dict, s: dict, ex, inh, I_stim, *, h: float, slab=None):
    """One step (the state as NEST's State_). Returns (state, spiked)."""
    nz = jnp.where(jnp.isnan(s["V_rel"]), s["V_rel"], -0.0)
    E_L = p["E_L"]
    V = s["V_rel"]
    V = (((product(V, k["P22_expm1"], nz) + V) + product(s["I_syn_ex"], k["P21ex"], nz))
         + product(s["I_syn_in"], k["P21in"], nz)) + product(p["I_e"] + s["I_stim"], k["P20"], nz)
    th1 = product(s["V_th_alpha_1"], k["P11th"], nz)
    th2 = product(s["V_th_alpha_2"], k["P22th"], nz)
    i_ex = product(s["I_syn_ex"], k["P11ex"], nz) + ex
    i_in = product(s["I_syn_in"], k["P11in"], nz) + inh
    r = s["r"]
    free = r == 0
    spiked = free & (V >= ((p["omega"] - E_L) + th2) + th1)
    th1 = jnp.where(spiked, th1 + p["alpha_1"], th1)
    th2 = jnp.where(spiked, th2 + p["alpha_2"], th2)
    r = jnp.where(spiked, k["refractory_counts"], jnp.where(free, r, r - 1))
    return dict(V_rel=V, I_syn_ex=i_ex, I_syn_in=i_in, V_th_alpha_1=th1, V_th_alpha_2=th2, r=r,
                h_int=s["h_int"], I_stim=I_stim + jnp.zeros_like(V)), spiked


def record(p: dict, s: dict, h) -> dict:
    theta = ((p["E_L"] + (p["omega"] - p["E_L"])) + s["V_th_alpha_1"]) + s["V_th_alpha_2"]
    return {"V_m": s["V_rel"] + p["E_L"], "V_th": theta}


MODEL = _gsl.make(sys.modules[__name__])
