"""amat2_psc_exp: leaky integrate-and-fire neuron with a multi-timescale adaptive threshold and a
voltage-dependent threshold term (Kobayashi et al. 2009, Yamauchi et al. 2011), exponentially decaying
synaptic currents, exactly as NEST 3.10 (exact integration).

With V relative to E_L, the threshold θ = omega + V_th_alpha_1 + V_th_alpha_2 + V_th_v (omega relative
to E_L):

    tau_m dV/dt = −V + tau_m/C_m (I_syn_ex + I_syn_in + I_e + I_stim),   tau_syn dI/dt = −I
    dV_th_alpha_i/dt = −V_th_alpha_i / tau_i;   a spike: V_th_alpha_i += alpha_i (V is not reset)
    dV_th_v/dt = −V_th_v / tau_v + V_th_dv,   dV_th_dv/dt = −V_th_dv / tau_v + beta V / tau_v

(V_th_v is beta·V filtered twice by exp(−t/tau_v); V_th_dv is internal: NEST does not expose it.)

One step (NEST's order): V_th_v ← (I_e + I_stim)·P70 + I_ex·P71 + I_in·P72 + V·P73 + V_th_dv·P76 +
V_th_v·P77, V_th_dv ← (I_e + I_stim)·P60 + I_ex·P61 + I_in·P62 + V·P63 + V_th_dv·P66 (from the old
values), V ← (I_e + I_stim)·P30 + I_ex·P31 + I_in·P32 + V·P33 (each product rounded, summed left to
right), the two threshold components and the currents decay, this step's spikes enter the currents
(weight ≥ 0 excitatory), then, if not refractory, V ≥ omega + V_th_alpha_2 + V_th_alpha_1 + V_th_v is a
spike (t_ref steps of refractoriness begin, the threshold jumps), else the counter counts down.
Propagators are NEST's (pre_run_hook, its closed forms in its order), computed on the host with the C
library. With beta = 0 the model is mat2_psc_exp (other defaults). Parity: exact.

Parameters (NEST's names and defaults; state variables are initial values):

=================  ========  =======================================================
E_L                -70 mV    resting potential
I_e                0 pA      constant input current
C_m                200 pF    membrane capacitance
tau_m              10 ms     membrane time constant
tau_syn_ex         1 ms      excitatory synaptic time constant
tau_syn_in         3 ms      inhibitory synaptic time constant
t_ref              2 ms      refractory period (at least one step)
tau_1              10 ms     short threshold time constant
tau_2              200 ms    long threshold time constant
alpha_1            10 mV     short threshold jump
alpha_2            0 mV      long threshold jump
beta               0 1/ms    scaling of the voltage-dependent threshold
tau_v              5 ms      time constant of the voltage-dependent threshold
omega              -65 mV    resting threshold (absolute)
V_m                -70 mV    membrane potential (state)
V_th_alpha_1       0 mV      short threshold component (state)
V_th_alpha_2       0 mV      long threshold component (state)
V_th_v             0 mV      voltage-dependent threshold component (state)
tau_minus          20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms    time constant of the postsynaptic triplet STDP trace
Ca                 0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms  time constant of the calcium trace
beta_Ca            0.001     increment of the calcium trace per spike
=================  ========  =======================================================

Recordables: V_m, V_th, V_th_v, I_syn_ex, I_syn_in.
"""
from __future__ import annotations

import math
import sys

import jax.numpy as jnp
import numpy as np

from . import _gsl
from ._rkf45 import product
from .iaf_psc_delta import refractory_steps
from .mat2_psc_exp import initial_state  # noqa: F401 (the same initial V_m − E_L, read by _gsl)

NAME = "amat2_psc_exp"
PARAMETERS = {
    "E_L": (-70.0, "mV", "resting potential"),
    "I_e": (0.0, "pA", "constant input current"),
    "C_m": (200.0, "pF", "membrane capacitance"),
    "tau_m": (10.0, "ms", "membrane time constant"),
    "tau_syn_ex": (1.0, "ms", "excitatory synaptic time constant"),
    "tau_syn_in": (3.0, "ms", "inhibitory synaptic time constant"),
    "t_ref": (2.0, "ms", "refractory period (at least one step)"),
    "tau_1": (10.0, "ms", "short threshold time constant"),
    "tau_2": (200.0, "ms", "long threshold time constant"),
    "alpha_1": (10.0, "mV", "short threshold jump"),
    "alpha_2": (0.0, "mV", "long threshold jump"),
    "beta": (0.0, "1/ms", "scaling of the voltage-dependent threshold"),
    "tau_v": (5.0, "ms", "time constant of the voltage-dependent threshold"),
    "omega": (-65.0, "mV", "resting threshold (absolute)"),
}
# V_rel = V_m − E_L, as NEST holds it; V_th_dv: the internal derivative of V_th_v
STATE = ("V_rel", "I_syn_ex", "I_syn_in", "V_th_alpha_1", "V_th_alpha_2", "V_th_dv", "V_th_v")
RECORDABLES = ("V_m", "V_th", "V_th_v", "I_syn_ex", "I_syn_in")
NEST_STATE = {"V_m": (-70.0, "mV", "membrane potential"), "V_th_alpha_1": (0.0, "mV", "short threshold component"),
              "V_th_alpha_2": (0.0, "mV", "long threshold component"),
              "V_th_v": (0.0, "mV", "voltage-dependent threshold component")}


def check(p: dict) -> None:
    """NEST's BadProperty rules, in NEST's order (messages as NEST's)."""
    if (p["C_m"] <= 0).any():
        raise ValueError("Capacitance must be strictly positive.")
    if any((p[k] <= 0).any() for k in ("tau_m", "tau_syn_ex", "tau_syn_in", "t_ref", "tau_1", "tau_2", "tau_v")):
        raise ValueError("All time constants must be strictly positive.")
    tm, te, ti, tv = p["tau_m"], p["tau_syn_ex"], p["tau_syn_in"], p["tau_v"]
    if ((tm == te) | (tm == ti) | (tm == tv)).any():
        raise ValueError("tau_m must differ from tau_syn_ex, tau_syn_in and tau_v. See note in documentation.")
    if ((tv == te) | (tv == ti)).any():
        raise ValueError("tau_v must differ from tau_syn_ex, tau_syn_in and tau_m. See note in documentation.")


def _sq(x):
    return x * x  # std::pow(x, 2): the compiler makes it x * x (exact rounding either way)


def _host(taum, c, tauE, tauI, tau_1, tau_2, beta, tauV, h):
    """NEST's pre_run_hook, term by term in its order (Python floats: IEEE doubles, the C library's exp)."""
    eE, eI, em = math.exp(-h / tauE), math.exp(-h / tauI), math.exp(-h / taum)
    e1, e2, eV = math.exp(-h / tau_1), math.exp(-h / tau_2), math.exp(-h / tauV)
    P30 = (taum - em * taum) / c
    P31 = ((eE - em) * tauE * taum) / (c * (tauE - taum))
    P32 = ((eI - em) * tauI * taum) / (c * (tauI - taum))
    P60 = (beta * (em - eV) * taum * tauV) / (c * (taum - tauV))

    def p6x(tauX, eX):
        return ((beta * tauX * taum * tauV * (eV * (-tauX + taum) + em * (tauX - tauV) + eX * (-taum + tauV)))
                / (c * (tauX - taum) * (tauX - tauV) * (taum - tauV)))

    P63 = (beta * (-em + eV) * tauV) / (taum - tauV)
    P70 = (beta * taum * tauV * (em * taum * tauV - eV * (h * (taum - tauV) + taum * tauV))) / (c * _sq(taum - tauV))

    def p7x(tauX, eX):
        return ((beta * tauX * taum * tauV
                 * ((em * taum * _sq(tauX - tauV) - eX * tauX * _sq(taum - tauV)) * tauV
                    - eV * (tauX - taum) * (h * (tauX - tauV) * (taum - tauV) + tauX * taum * tauV
                                            - math.pow(tauV, 3.0))))
                / (c * (tauX - taum) * _sq(tauX - tauV) * _sq(taum - tauV)))

    P73 = (beta * tauV * (-(em * taum * tauV) + eV * (h * (taum - tauV) + taum * tauV))) / _sq(taum - tauV)
    return (eE, eI, em, e1, e2, eV, P30, P31, P32, P60, p6x(tauE, eE), p6x(tauI, eI), P63,
            P70, p7x(tauE, eE), p7x(tauI, eI), P73, eV * h)


NAMES = ("P11", "P22", "P33", "P44", "P55", "P66", "P30", "P31", "P32", "P60", "P61", "P62", "P63",
         "P70", "P71", "P72", "P73", "P76")


def host_constants(p: dict, tics_per_step: int) -> dict:
    """NEST's pre_run_hook, with the C library's exp (P77 = P66)."""
    h = tics_per_step / 1000.0
    keys = ("tau_m", "C_m", "tau_syn_ex", "tau_syn_in", "tau_1", "tau_2", "beta", "tau_v")
    cols = np.vectorize(lambda *a: _host(*a, h), otypes=[float] * len(NAMES))(*(np.asarray(p[k], float) for k in keys))
    steps = refractory_steps(p["t_ref"], tics_per_step)
    if (steps < 1).any():
        raise ValueError("Total refractory time must be at least one time step.")
    return dict(zip(NAMES, cols), refractory_counts=steps)


def to_state(host: dict) -> dict:
    """The state from the parameters (V_m absolute, as NEST's set_status takes it)."""
    z = np.zeros(len(host["V_m"]))
    f = lambda k: np.asarray(host[k], float)  # noqa: E731
    return dict(V_rel=f("V_m") - f("E_L"), I_syn_ex=z, I_syn_in=z.copy(), V_th_alpha_1=f("V_th_alpha_1"),
                V_th_alpha_2=f("V_th_alpha_2"), V_th_dv=z.copy(), V_th_v=f("V_th_v"))


set_state = _gsl.set_v_rel


def update(p: dict, k: dict, s: dict, ex, inh, I_stim, *, h: float, slab=None):
    """One step (the state as NEST's State_). Returns (state, spiked)."""
    nz = jnp.where(jnp.isnan(s["V_rel"]), s["V_rel"], -0.0)
    pr = lambda a, b: product(a, b, nz)  # noqa: E731
    V, i_ex, i_in, dv = s["V_rel"], s["I_syn_ex"], s["I_syn_in"], s["V_th_dv"]
    i0 = p["I_e"] + s["I_stim"]
    thv = ((((pr(i0, k["P70"]) + pr(i_ex, k["P71"])) + pr(i_in, k["P72"])) + pr(V, k["P73"]))
           + pr(dv, k["P76"])) + pr(s["V_th_v"], k["P66"])
    dv = (((pr(i0, k["P60"]) + pr(i_ex, k["P61"])) + pr(i_in, k["P62"])) + pr(V, k["P63"])) + pr(dv, k["P66"])
    V = ((pr(i0, k["P30"]) + pr(i_ex, k["P31"])) + pr(i_in, k["P32"])) + pr(V, k["P33"])
    th1 = pr(s["V_th_alpha_1"], k["P44"])
    th2 = pr(s["V_th_alpha_2"], k["P55"])
    i_ex = pr(i_ex, k["P11"]) + ex
    i_in = pr(i_in, k["P22"]) + inh
    r = s["r"]
    free = r == 0
    spiked = free & (V >= (((p["omega"] - p["E_L"]) + th2) + th1) + thv)
    th1 = jnp.where(spiked, th1 + p["alpha_1"], th1)
    th2 = jnp.where(spiked, th2 + p["alpha_2"], th2)
    r = jnp.where(spiked, k["refractory_counts"], jnp.where(free, r, r - 1))
    return dict(V_rel=V, I_syn_ex=i_ex, I_syn_in=i_in, V_th_alpha_1=th1, V_th_alpha_2=th2, V_th_dv=dv, V_th_v=thv,
                r=r, h_int=s["h_int"], I_stim=I_stim + jnp.zeros_like(V)), spiked


def record(p: dict, s: dict, h) -> dict:
    theta = (((p["E_L"] + (p["omega"] - p["E_L"])) + s["V_th_alpha_1"]) + s["V_th_alpha_2"]) + s["V_th_v"]
    return {"V_m": s["V_rel"] + p["E_L"], "V_th": theta, "V_th_v": s["V_th_v"], "I_syn_ex": s["I_syn_ex"],
            "I_syn_in": s["I_syn_in"]}


MODEL = _gsl.make(sys.modules[__name__])
