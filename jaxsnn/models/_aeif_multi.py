"""The adaptive exponential integrate-and-fire neurons with conductance-based synapses on any number of
receptor ports, as NEST 3.10 integrates them: aeif_cond_alpha_multisynapse (kind ``"alpha"``) and
aeif_cond_beta_multisynapse (kind ``"beta"``) share this module.

    C_m dV/dt = −g_L (V − E_L) + g_L Δ_T exp((V − V_th)/Δ_T) + Σ_i g_i (E_rev_i − V) − w + I_e + I_stim
    tau_w dw/dt = a (V − E_L) − w
    port i:  alpha: ddg_i/dt = −dg_i / tau_syn_i,    dg_i/dt = dg_i − g_i / tau_syn_i
             beta:  ddg_i/dt = −dg_i / tau_rise_i,   dg_i/dt = dg_i − g_i / tau_decay_i

A spike of weight w ≥ 0 (nS; NEST refuses negative weights) on port i (``receptor_type`` i, 1-based)
makes dg_i jump by g0_i · w: e/tau_syn_i (alpha), NEST's beta normalisation (peak conductance w) for
beta. In the right-hand side V is min(V_m, V_peak), and V_reset with dV/dt = 0 while refractory; the
exponential term is left out when Δ_T = 0 (the threshold is then V_th). The state vector is NEST's:
V_m, w, then (dg_i, g_i) port by port; the synaptic current is accumulated port by port.

Update order as :mod:`._aeif` (error control ``yp_new(gsl_error_tol, gsl_error_tol)``, spike, reset and
refractory clamp after every accepted substep, the step's spikes enter dg after the integration, the
generator current one step later). Parity: to NEST's integrator (same algorithm, order of operations,
carried step, the C library's exp).
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from ..core import libm as _libm
from . import _aeif
from ._iaf_cond import beta_normalization
from ._rkf45 import evolve, product, quotient, yp_control
from .iaf_psc_delta import refractory_steps

PORTS = {  # kind: the per-port parameters after NEST's tau_w row … (name, default, unit, doc)
    "alpha": {"tau_syn": ((2.0,), "ms", "synaptic time constants, one per receptor port")},
    "beta": {"tau_rise": ((2.0,), "ms", "synaptic rise times, one per receptor port"),
             "tau_decay": ((20.0,), "ms", "synaptic decay times, one per receptor port")},
}
E_REV = {"E_rev": ((0.0,), "mV", "reversal potentials, one per receptor port")}
STATE = ("V_m", "w", "dg", "g")  # dg, g: [neurons, ports]


def parameters(kind: str) -> dict:
    c = dict(_aeif.COMMON)
    out = {k: c.pop(k) for k in ("V_peak", "V_reset", "t_ref", "g_L", "C_m", "E_L", "Delta_T", "tau_w", "a", "b",
                                 "V_th")}
    return dict(out, **PORTS[kind], **E_REV, **c)


def port_parameters(kind: str) -> tuple:
    return tuple(PORTS[kind]) + ("E_rev",)


def ports(p: dict) -> int:
    return np.shape(p["E_rev"])[-1]


def check(kind: str, p: dict) -> None:
    """NEST's BadProperty rules, in NEST's order (messages as NEST's)."""
    sizes = {k: np.shape(p[k])[-1] for k in port_parameters(kind)}
    if len(set(sizes.values())) > 1:
        raise ValueError("The reversal potential, and synaptic time constant arrays must have the same size."
                         if kind == "alpha" else "The reversal potential, synaptic rise time and synaptic decay "
                         "time arrays must have the same size.")
    if kind == "alpha":
        if (np.asarray(p["tau_syn"]) <= 0).any():
            raise ValueError("All synaptic time constants must be strictly positive")
    else:
        rise, decay = np.asarray(p["tau_rise"]), np.asarray(p["tau_decay"])
        if ((rise <= 0) | (decay <= 0)).any():
            raise ValueError("All synaptic time constants must be strictly positive")
        if (decay < rise).any():
            raise ValueError("Synaptic rise time must be smaller than or equal to decay time.")
    if (p["V_peak"] < p["V_th"]).any():
        raise ValueError("V_peak >= V_th required.")
    if (p["V_reset"] >= p["V_peak"]).any():
        raise ValueError("Ensure that: V_reset < V_peak .")
    if (p["Delta_T"] < 0).any():
        raise ValueError("Delta_T must be positive.")
    pos = p["Delta_T"] > 0
    max_exp_arg = math.log(1.7976931348623157e308 / 1e20)
    if (pos & ((p["V_peak"] - p["V_th"]) / np.where(pos, p["Delta_T"], 1.0) >= max_exp_arg)).any():
        raise ValueError("The current combination of V_peak, V_th and Delta_Twill lead to numerical overflow at "
                         "spike time; tryfor instance to increase Delta_T or to reduce V_peakto avoid this problem.")
    if (p["C_m"] <= 0).any():
        raise ValueError("Capacitance must be strictly positive.")
    if (p["t_ref"] < 0).any():
        raise ValueError("Refractory time cannot be negative.")
    if (p["tau_w"] <= 0).any():
        raise ValueError("All time constants must be strictly positive.")
    if (p["gsl_error_tol"] <= 0).any():
        raise ValueError("The gsl_error_tol must be strictly positive.")


def host_constants(kind: str, p: dict, tics_per_step: int) -> dict:
    """NEST's pre_run_hook: g0 per port (e/tau_syn, or the beta normalisation), t_ref in steps."""
    if kind == "alpha":
        g0 = np.vectorize(lambda t: 1.0 * math.e / t, otypes=[float])(np.asarray(p["tau_syn"], float))
    else:
        g0 = np.vectorize(beta_normalization, otypes=[float])(np.asarray(p["tau_rise"], float),
                                                              np.asarray(p["tau_decay"], float))
    return dict(g0=g0, refractory_counts=refractory_steps(p["t_ref"], tics_per_step))


def rhs_of(kind: str, n: int):
    """NEST's dynamics for y = [V_m, w, dg_1, g_1, …, dg_n, g_n]."""
    rise, decay = ("tau_syn", "tau_syn") if kind == "alpha" else ("tau_rise", "tau_decay")

    def rhs(y, a, nz):
        refractory = a["r"] > 0
        V = jnp.where(refractory, a["V_reset"], jnp.where(a["V_peak"] < y[0], a["V_peak"], y[0]))
        w = y[1]
        I_syn = jnp.zeros_like(V)
        for i in range(n):
            I_syn = I_syn + product(y[3 + 2 * i], a["E_rev"][i] - V, nz)
        I_spike = jnp.where(a["Delta_T"] == 0.0, 0.0, product(product(a["Delta_T"], a["g_L"], nz),
                                                               _libm.exp(quotient(V - a["V_th"], a["Delta_T"], nz)),
                                                               nz))
        s = ((((product(-a["g_L"], V - a["E_L"], nz) + I_spike) + I_syn) - w) + a["I_e"]) + a["I_stim"]
        f = [jnp.where(refractory, 0.0, quotient(s, a["C_m"], nz)),
             quotient(product(a["a"], V - a["E_L"], nz) - w, a["tau_w"], nz)]
        for i in range(n):
            f += [quotient(-y[2 + 2 * i], a[rise][i], nz), y[2 + 2 * i] - quotient(y[3 + 2 * i], a[decay][i], nz)]
        return jnp.stack(f)

    return rhs


def _after(y, a, nz):
    """NEST's code after each accepted substep: refractory clamp, or spike (V_m ≥ V_peak) and reset."""
    V, w, r = y[0], y[1], a["r"]
    refractory = r > 0
    spiked = ~refractory & (V >= a["V_peak_eff"])
    V = jnp.where(refractory | spiked, a["V_reset"], V)
    w = jnp.where(spiked, w + a["b"], w)
    r = jnp.where(spiked, jnp.where(a["refractory_counts"] > 0, a["refractory_counts"] + 1, 0), r)
    return y.at[0].set(V).at[1].set(w), dict(a, r=r, n_spikes=a["n_spikes"] + spiked), spiked


def update(kind: str, p: dict, k: dict, s: dict, ex, inh, I_stim, *, h: float, slab=None):
    """One step of length ``h``. ``s``: V_m, w [neurons], dg, g [neurons, ports], r, h_int, I_stim; ``ex``:
    [neurons, ports] this step's summed spike weights per port (``inh`` unused). Returns (state, number of
    spikes in the step)."""
    n = s["g"].shape[-1]
    shape = s["V_m"].shape
    ports_T = lambda x: [x[..., i] for i in range(n)]  # noqa: E731  per-port rows
    aux = {key: jnp.broadcast_to(p[key], shape) for key in ("V_peak", "V_reset", "g_L", "C_m", "E_L", "Delta_T",
                                                             "tau_w", "a", "b", "V_th", "I_e")}
    for key in port_parameters(kind):
        aux[key] = [jnp.broadcast_to(v, shape) for v in ports_T(jnp.broadcast_to(p[key], shape + (n,)))]
    aux.update(r=s["r"], I_stim=s["I_stim"], n_spikes=jnp.zeros(shape, jnp.int32),
               V_peak_eff=jnp.where(p["Delta_T"] > 0.0, p["V_peak"], p["V_th"]),
               refractory_counts=jnp.broadcast_to(k["refractory_counts"], shape))
    rows = [s["V_m"], s["w"]]
    for dg, g in zip(ports_T(s["dg"]), ports_T(s["g"])):
        rows += [dg, g]
    tol = p["gsl_error_tol"]
    y, h_int, aux = evolve(rhs_of(kind, n), jnp.stack(rows), s["h_int"], aux, step=h, control=yp_control(tol, tol),
                           after=_after, slab=slab)
    r = aux["r"]
    r = jnp.where(r > 0, r - 1, r)
    nz = jnp.where(jnp.isnan(y[0]), y[0], -0.0)[..., None]
    dg = jnp.stack([y[2 + 2 * i] for i in range(n)], axis=-1)
    g = jnp.stack([y[3 + 2 * i] for i in range(n)], axis=-1)
    dg = dg + product(ex, k["g0"], nz)
    return dict(V_m=y[0], w=y[1], dg=dg, g=g, r=r, h_int=h_int, I_stim=I_stim + jnp.zeros_like(y[0])), aux["n_spikes"]


def record(p: dict, s: dict, h) -> dict:
    out = {"V_m": s["V_m"], "w": s["w"]}
    for i in range(s["g"].shape[-1]):
        out[f"g_{i + 1}"] = s["g"][..., i]
    return out
