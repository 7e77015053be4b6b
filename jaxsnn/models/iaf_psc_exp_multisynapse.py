"""iaf_psc_exp_multisynapse: leaky integrate-and-fire neuron with exponentially decaying synaptic currents on
any number of receptor ports, each with its own time constant, exactly as NEST 3.10 (exact integration).

With V relative to E_L and, for each port i = 1 … n (``receptor_type`` i of a connection; NEST's ports
are 1-based, port 0 is refused for spikes):

    tau_m dV/dt = −V + tau_m/C_m (Σ_i I_syn_i + I_e + I_stim),   tau_syn_i dI_syn_i/dt = −I_syn_i

A spike of weight w (pA, either sign) on port i makes I_syn_i jump by w. The number of ports
(``n_synapses``) is the length of ``tau_syn``.

One step (NEST's order): if not refractory, V ← V·P22 + (I_e + I_stim)·P20, then for each port in
order V ← V + P21_i·I_syn_i; else the refractory counter counts down. Each port:
I_syn_i ← I_syn_i·P11_i + (this step's spikes on port i), and the recordable I_syn is their sum in port
order (refractory or not). Then V ≥ V_th is a spike: V ← V_reset,
t_ref steps of refractoriness begin; this step's generator current acts from the next step on.
Propagators are NEST's: P22 = exp(−h/tau_m), P20 = tau_m/C_m·(1 − P22), P11_i = exp(−h/tau_syn_i),
P21_i = NEST's propagator_32 (the C library's exp, NEST's expm1). Every product is rounded before it is
added (NEST's code has no fused multiply-add). Parity: exact.

Parameters (NEST's names and defaults; state variables are initial values):

==========  ===========  ================================================
E_L         -70 mV       resting potential
I_e         0 pA         constant input current
V_th        -55 mV       spike threshold
V_reset     -70 mV       reset potential
C_m         250 pF       membrane capacitance
tau_m       10 ms        membrane time constant
t_ref       2 ms         refractory period
tau_syn     [2] ms       synaptic time constants, one per receptor port
V_m         -70 mV       membrane potential (state)
tau_minus   20 ms        time constant of the postsynaptic STDP trace
==========  ===========  ================================================

Recordables: V_m, I_syn (the sum over ports, accumulated in port order), I_syn_1 … I_syn_n.
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from ._propagators import host_p32
from ._rkf45 import product
from .iaf_psc_delta import refractory_steps

NAME = "iaf_psc_exp_multisynapse"
INPUTS = "ports"  # spikes arrive per receptor port 1 … n (one input column per port)
PARAMETERS = {
    "E_L": (-70.0, "mV", "resting potential"),
    "I_e": (0.0, "pA", "constant input current"),
    "V_th": (-55.0, "mV", "spike threshold"),
    "V_reset": (-70.0, "mV", "reset potential"),
    "C_m": (250.0, "pF", "membrane capacitance"),
    "tau_m": (10.0, "ms", "membrane time constant"),
    "t_ref": (2.0, "ms", "refractory period"),
    "tau_syn": ((2.0,), "ms", "synaptic time constants, one per receptor port"),
}
PORT_PARAMETERS = ("tau_syn",)  # one value per port: [neurons, ports]
STATE = ("V_rel", "I_syn")  # V_rel = V_m − E_L; I_syn: [neurons, ports]
RECORDABLES = ("V_m", "I_syn")  # and I_syn_1 … I_syn_n (see record)
NEST_STATE = {"V_m": (-70.0, "mV", "membrane potential")}


def ports(p: dict) -> int:
    """The number of receptor ports (NEST's n_synapses)."""
    return np.shape(p["tau_syn"])[-1]


def check(p: dict) -> None:
    """NEST's BadProperty rules, in NEST's order (messages as NEST's)."""
    if (p["C_m"] <= 0).any():
        raise ValueError("Capacitance must be > 0.")
    if (p["tau_m"] <= 0).any():
        raise ValueError("Membrane time constant must be strictly positive.")
    tau_syn = np.asarray(p["tau_syn"], float)
    if (tau_syn <= 0).any():
        raise ValueError("All synaptic time constants must be strictly positive.")
    if (tau_syn == np.asarray(p["tau_m"], float).reshape(np.shape(p["tau_m"]) + (1,) * (tau_syn.ndim > 0))).any():
        raise ValueError("Membrane and synapse time constant(s) must differ. See note in documentation.")
    if (p["t_ref"] < 0).any():
        raise ValueError("Refractory time must not be negative.")
    if (p["V_reset"] >= p["V_th"]).any():
        raise ValueError("Reset potential must be smaller than threshold.")


def host_constants(p: dict, tics_per_step: int) -> dict:
    """NEST's pre_run_hook: P22, P20 per neuron; P11, P21 per neuron and port."""
    h = tics_per_step / 1000.0
    tau_m, C_m = np.asarray(p["tau_m"], float), np.asarray(p["C_m"], float)
    P22 = np.vectorize(lambda t: math.exp(-h / t), otypes=[float])(tau_m)
    P20 = tau_m / C_m * (1.0 - P22)
    tau_syn = np.asarray(p["tau_syn"], float)
    tau_syn = tau_syn.reshape(tau_m.shape + (tau_syn.shape[-1],))
    P11 = np.vectorize(lambda t: math.exp(-h / t), otypes=[float])(tau_syn)
    P21 = np.vectorize(lambda t, a, b: host_p32(t, a, b, h), otypes=[float])(tau_syn, tau_m[..., None],
                                                                                C_m[..., None])
    return dict(P22=P22, P20=P20, P11=P11, P21=P21, refractory_counts=refractory_steps(p["t_ref"], tics_per_step))


def initial_state(p: dict) -> dict:
    """V_m − E_L; the synaptic currents per port, zero."""
    return {"V_rel": float(p.get("V_m", -70.0)) - float(p["E_L"]), "I_syn": np.zeros(ports(p))}


def to_state(host: dict) -> dict:
    """The state from the parameters (V_m absolute, as NEST's set_status takes it)."""
    f = lambda k: np.asarray(host[k], float)  # noqa: E731
    return dict(V_rel=f("V_m") - f("E_L"), I_syn=np.zeros(np.shape(host["tau_syn"])))


def set_state(p, s, idx, changes):
    """NEST's set_status: V_m is given absolute (V_rel = V_m − E_L); without V_m, V_m stays where it is."""
    changes = dict(changes)
    s = dict(s)
    E_L = p["E_L"].at[idx].set(changes["E_L"]) if "E_L" in changes else p["E_L"]
    if "V_m" in changes:
        s["V_rel"] = s["V_rel"].at[idx].set(changes.pop("V_m") - E_L[idx])
    elif "E_L" in changes:
        s["V_rel"] = s["V_rel"].at[idx].set(s["V_rel"][idx] - (E_L[idx] - p["E_L"][idx]))
    return p, s, changes


def update(p: dict, k: dict, s: dict, ex, inh, I_stim, *, h: float, slab=None):
    """One step. ``ex``: [neurons, ports] this step's summed spike weights per port (``inh`` unused).
    Returns (state, spiked)."""
    nz = jnp.where(jnp.isnan(s["V_rel"]), s["V_rel"], -0.0)
    pr = lambda a, b: product(a, b, nz)  # noqa: E731
    r = s["r"]
    free = r == 0
    V, I = s["V_rel"], s["I_syn"]
    Vf = pr(V, k["P22"]) + pr(p["I_e"] + s["I_stim"], k["P20"])
    for i in range(I.shape[-1]):
        Vf = Vf + pr(k["P21"][..., i], I[..., i])
    V = jnp.where(free, Vf, V)
    r = jnp.where(free, r, r - 1)
    I = product(I, k["P11"], nz[..., None]) + ex
    spiked = V >= p["V_th"] - p["E_L"]
    V = jnp.where(spiked, p["V_reset"] - p["E_L"], V)
    r = jnp.where(spiked, k["refractory_counts"], r)
    return dict(V_rel=V, I_syn=I, r=r, h_int=s["h_int"], I_stim=I_stim + jnp.zeros_like(V)), spiked


def record(p: dict, s: dict, h) -> dict:
    I = s["I_syn"]
    total = jnp.zeros_like(s["V_rel"])
    out = {"V_m": s["V_rel"] + p["E_L"]}
    for i in range(I.shape[-1]):
        total = total + I[..., i]
        out[f"I_syn_{i + 1}"] = I[..., i]
    out["I_syn"] = total
    return out
