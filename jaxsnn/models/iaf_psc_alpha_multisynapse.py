"""iaf_psc_alpha_multisynapse: leaky integrate-and-fire neuron with alpha-shaped synaptic currents on any
number of receptor ports, each with its own time constant, exactly as NEST 3.10 (exact integration).

With V relative to E_L and, for each port i = 1 … n (``receptor_type`` i of a connection; NEST's ports
are 1-based, port 0 is refused for spikes):

    tau_m dV/dt = −V + tau_m/C_m (Σ_i I_syn_i + I_e + I_stim)
    dy1_i/dt = −y1_i / tau_syn_i,   dI_syn_i/dt = y1_i − I_syn_i / tau_syn_i   (I_syn_i = NEST's y2_i)

A spike of weight w (pA, either sign) on port i makes y1_i jump by e/tau_syn_i · w (an alpha current of
peak w at tau_syn_i). The number of ports is the length of ``tau_syn``.

One step (NEST's order): if not refractory, V ← P30·(I_stim + I_e) + P33·V, then for each port
V ← V + (P31_i·y1_i + P32_i·I_syn_i), then V ← max(V, V_min); else the refractory counter counts down.
Each port: I_syn_i ← P21_i·y1_i + P22_i·I_syn_i, y1_i ← y1_i·P11_i + e/tau_syn_i · (this step's spikes
on port i). Then V ≥ V_th is a spike: V ← V_reset, t_ref steps of refractoriness begin; this step's
generator current acts from the next step on. Propagators are NEST's (IAFPropagatorAlpha, the C
library's exp, NEST's expm1). Parity: exact.

Parameters (NEST's names and defaults; state variables are initial values):

=================  ========  =======================================================
E_L                -70 mV    resting potential
I_e                0 pA      constant input current
V_th               -55 mV    spike threshold
V_reset            -70 mV    reset potential
C_m                250 pF    membrane capacitance
tau_m              10 ms     membrane time constant
t_ref              2 ms      refractory period
V_min              -inf mV   lower bound of V_m
tau_syn            [2] ms    synaptic time constants, one per receptor port
V_m                -70 mV    membrane potential (state)
tau_minus          20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms    time constant of the postsynaptic triplet STDP trace
Ca                 0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms  time constant of the calcium trace
beta_Ca            0.001     increment of the calcium trace per spike
=================  ========  =======================================================

Recordables: V_m, I_syn (the sum over ports, accumulated in port order), I_syn_1 … I_syn_n.
``n_synapses`` (read-only in NEST) is the number of ports.
"""
from __future__ import annotations

import math
import sys

import jax.numpy as jnp
import numpy as np

from . import _gsl
from ._propagators import host_p31_p32
from ._rkf45 import product
from .iaf_psc_delta import refractory_steps

NAME = "iaf_psc_alpha_multisynapse"
INPUTS = "ports"  # spikes arrive per receptor port 1 … n (one input column per port)
PARAMETERS = {
    "E_L": (-70.0, "mV", "resting potential"),
    "I_e": (0.0, "pA", "constant input current"),
    "V_th": (-55.0, "mV", "spike threshold"),
    "V_reset": (-70.0, "mV", "reset potential"),
    "C_m": (250.0, "pF", "membrane capacitance"),
    "tau_m": (10.0, "ms", "membrane time constant"),
    "t_ref": (2.0, "ms", "refractory period"),
    "V_min": (-math.inf, "mV", "lower bound of V_m"),
    "tau_syn": ((2.0,), "ms", "synaptic time constants, one per receptor port"),
}
PORT_PARAMETERS = ("tau_syn",)  # one value per port: [neurons, ports]
STATE = ("V_rel", "y1", "I_syn")  # V_rel = V_m − E_L (NEST's); y1, I_syn: [neurons, ports]
RECORDABLES = ("V_m", "I_syn")  # and I_syn_1 … I_syn_n (see record)
PORT_RECORDABLES = ("I_syn",)  # one per port: I_syn_1 … I_syn_n
NEST_STATE = {"V_m": (-70.0, "mV", "membrane potential")}


def ports(p: dict) -> int:
    """The number of receptor ports (NEST's n_synapses)."""
    return np.shape(p["tau_syn"])[-1]


def check(p: dict) -> None:
    """NEST's BadProperty rules, in NEST's order (messages as NEST's)."""
    if (p["C_m"] <= 0).any():
        raise ValueError("Capacitance must be strictly positive.")
    if (p["tau_m"] <= 0).any():
        raise ValueError("Membrane time constant must be strictly positive.")
    if (np.asarray(p["tau_syn"]) <= 0).any():
        raise ValueError("All synaptic time constants must be strictly positive.")
    if (p["t_ref"] < 0).any():
        raise ValueError("Refractory time must not be negative.")
    if (p["V_reset"] >= p["V_th"]).any():
        raise ValueError("Reset potential must be smaller than threshold.")


def _host(tau_m, C_m, h):
    P33 = math.exp(-h / tau_m)
    return P33, 1 / C_m * (1 - P33) * tau_m


def _port(tau_syn, tau_m, C_m, h):
    P11 = math.exp(-h / tau_syn)
    P31, P32 = host_p31_p32(tau_syn, tau_m, C_m, h)
    return P11, h * P11, P31, P32, 1.0 * math.e / tau_syn


def host_constants(p: dict, tics_per_step: int) -> dict:
    """NEST's pre_run_hook: P33, P30 per neuron; P11 (= P22), P21, P31, P32, e/tau_syn per neuron and port."""
    h = tics_per_step / 1000.0
    tau_m, C_m = np.asarray(p["tau_m"], float), np.asarray(p["C_m"], float)
    P33, P30 = np.vectorize(lambda a, b: _host(a, b, h), otypes=[float, float])(tau_m, C_m)
    tau_syn = np.asarray(p["tau_syn"], float)
    tau_syn = tau_syn.reshape(tau_m.shape + (tau_syn.shape[-1],))
    per = np.vectorize(lambda t, a, b: _port(t, a, b, h), otypes=[float] * 5)(tau_syn, tau_m[..., None],
                                                                              C_m[..., None])
    return dict(P33=P33, P30=P30, **dict(zip(("P11", "P21", "P31", "P32", "psc0"), per)),
                refractory_counts=refractory_steps(p["t_ref"], tics_per_step))


def initial_state(p: dict) -> dict:
    """V_m − E_L; the synaptic state per port, zero."""
    z = np.zeros(ports(p))
    return {"V_rel": float(p.get("V_m", -70.0)) - float(p["E_L"]), "y1": z, "I_syn": z.copy()}


def to_state(host: dict) -> dict:
    """The state from the parameters (V_m absolute, as NEST's set_status takes it)."""
    f = lambda k: np.asarray(host[k], float)  # noqa: E731
    z = np.zeros(np.shape(host["tau_syn"]))
    return dict(V_rel=f("V_m") - f("E_L"), y1=z, I_syn=z.copy())


set_state = _gsl.set_v_rel


def update(p: dict, k: dict, s: dict, ex, inh, I_stim, *, h: float, slab=None):
    """One step. ``ex``: [neurons, ports] this step's summed spike weights per port (``inh`` unused).
    Returns (state, spiked)."""
    nz = jnp.where(jnp.isnan(s["V_rel"]), s["V_rel"], -0.0)
    pr = lambda a, b: product(a, b, nz)  # noqa: E731
    E_L = p["E_L"]
    r = s["r"]
    free = r == 0
    V = s["V_rel"]
    y1, y2 = s["y1"], s["I_syn"]
    n = y1.shape[-1]
    Vf = pr(k["P30"], s["I_stim"] + p["I_e"]) + pr(k["P33"], V)
    for i in range(n):
        Vf = Vf + (pr(k["P31"][..., i], y1[..., i]) + pr(k["P32"][..., i], y2[..., i]))
    lower = p["V_min"] - E_L
    Vf = jnp.where(Vf < lower, lower, Vf)
    V = jnp.where(free, Vf, V)
    r = jnp.where(free, r, r - 1)
    nzp = nz[..., None]
    y2 = product(k["P21"], y1, nzp) + product(k["P11"], y2, nzp)
    y1 = product(y1, k["P11"], nzp) + product(k["psc0"], ex, nzp)
    spiked = V >= p["V_th"] - E_L
    V = jnp.where(spiked, p["V_reset"] - E_L, V)
    r = jnp.where(spiked, k["refractory_counts"], r)
    return dict(V_rel=V, y1=y1, I_syn=y2, r=r, h_int=s["h_int"], I_stim=I_stim + jnp.zeros_like(V)), spiked


def record(p: dict, s: dict, h) -> dict:
    y2 = s["I_syn"]
    total = jnp.zeros_like(s["V_rel"])
    out = {"V_m": s["V_rel"] + p["E_L"]}
    for i in range(y2.shape[-1]):
        total = total + y2[..., i]
        out[f"I_syn_{i + 1}"] = y2[..., i]
    out["I_syn"] = total
    return out


MODEL = _gsl.make(sys.modules[__name__])
