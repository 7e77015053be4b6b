"""iaf_psc_delta: leaky integrate-and-fire neuron with delta-shaped synaptic input, exactly as NEST 3.10.

Sub-threshold dynamics, with V stored relative to the resting potential (y = V_m − E_L):

    τ_m dy/dt = −y + τ_m / C_m · I_e,      input spikes make y jump by their weight (mV).

Exact integration over one step h gives ``y ← P30·I_e + P33·y + Σw`` with ``P33 = exp(−h/τ_m)`` and
``P30 = (1/C_m)(1 − P33)·τ_m``. After a spike y is clamped to V_reset for ``t_ref`` (rounded up to
whole steps); input arriving then is dropped, or with ``refractory_input`` kept, discounted by
``exp(−r·h/τ_m)`` for the r steps left, and added when refractoriness ends. ``V_min`` bounds y from
below outside refractoriness. The threshold test runs every step. Products are rounded before they are
added (no fused multiply-add), so that float64 runs match NEST to the bit; so are the propagators, which
the host computes with the C library's ``exp`` for the built parameters.

Parameters (NEST's names and defaults):

=================  ========  =======================================================
V_m                -70 mV    membrane potential (state)
E_L                -70 mV    resting potential
C_m                250 pF    membrane capacitance
tau_m              10 ms     membrane time constant
t_ref              2 ms      refractory period (whole steps, rounded up)
V_th               -55 mV    spike threshold
V_reset            -70 mV    reset potential
I_e                0 pA      constant input current
V_min              -inf mV   lower bound of V_m
refractory_input   False     keep input arriving during refractoriness
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
from ..core import surrogate as sg
from ..errors import JaxsnnError
from ._propagators import separately_rounded
from .base import ARCHIVING, SUMMED, NeuronModel, Param

PARAMETERS = {
    "V_m": Param(-70.0, "mV", "membrane potential", state=True),
    "E_L": Param(-70.0, "mV", "resting potential"),
    "C_m": Param(250.0, "pF", "membrane capacitance"),
    "tau_m": Param(10.0, "ms", "membrane time constant"),
    "t_ref": Param(2.0, "ms", "refractory period (whole steps, rounded up)"),
    "V_th": Param(-55.0, "mV", "spike threshold"),
    "V_reset": Param(-70.0, "mV", "reset potential"),
    "I_e": Param(0.0, "pA", "constant input current"),
    "V_min": Param(-1.7976931348623157e308, "mV", "lower bound of V_m"),  # NEST's -DBL_MAX: no bound
    "refractory_input": Param(False, "", "keep input arriving during refractoriness"),
    **ARCHIVING,
}


def check_iaf(v: dict, where: str, tics_per_step: int):
    """The integrate-and-fire parameters (arrays over nodes): NEST's rules, plus finiteness where an
    infinity makes the update undefined (tau_m = inf gives P30 = 0·inf = NaN; V_th = +inf and
    V_min = -inf are legal and mean 'never' and 'no bound')."""
    v = {k: a for k, a in v.items() if a is not None}
    for name, arr in v.items():
        if arr.dtype != bool:
            checks.finite(f"{where}: {name}", arr, allow_pos_inf=name == "V_th", allow_neg_inf=name == "V_min")
    for name in ("tau_m", "C_m", "tau_minus", "tau_minus_triplet"):
        if name in v:
            checks.first_bad(f"{where}: {name}", v[name], v[name] <= 0, f"{name} > 0")
    if "t_ref" in v:
        t = v["t_ref"]
        checks.first_bad(f"{where}: t_ref", t, t < 0, "t_ref >= 0 ms")
        steps = np.ceil(checks.tics(t) / tics_per_step)
        checks.first_bad(f"{where}: t_ref", t, steps > checks.MAX_T_REF_STEPS,
                         f"at most {checks.MAX_T_REF_STEPS} steps "
                         f"({checks.MAX_T_REF_STEPS * tics_per_step / 1000} ms): "
                         "refractory counters are int32")
    if "V_reset" in v and "V_th" in v:
        bad = v["V_reset"] >= v["V_th"]
        if bad.any():
            i = int(np.argmax(bad))
            raise JaxsnnError(f"{where}: V_reset={v['V_reset'].flat[i]} must be below V_th={v['V_th'].flat[i]} "
                              "(mV; NEST: 'Reset potential must be smaller than threshold').")


def propagators(tau_m: np.ndarray, C_m: np.ndarray, h: float):
    """(P33, P30) in float64 with NEST's evaluation order."""
    P33 = np.array([math.exp(-h / t) for t in np.asarray(tau_m, float)])
    P30 = ((1.0 / np.asarray(C_m, float)) * (1.0 - P33)) * np.asarray(tau_m, float)
    return P33, P30


def refractory_steps(t_ref: np.ndarray, tics_per_step: int) -> np.ndarray:
    """t_ref in whole steps, rounded up to the grid: ceil(round(t_ref · 1000 tics/ms) / tics_per_step)."""
    tics = np.floor(np.asarray(t_ref, float) * 1000.0 + 0.5).astype(np.int64)
    return (-(-tics // tics_per_step)).astype(np.int32)


def host_iaf(host: dict, h: float, tics_per_step: int) -> dict:
    """The membrane propagators and refractory steps of the iaf models for the built parameters, and
    those parameters (to tell where traced params still hold them)."""
    P33, P30 = propagators(host["tau_m"], host["C_m"], h)
    return dict(P33=P33, P30=P30, refractory_steps=refractory_steps(host["t_ref"], tics_per_step),
                built_tau_m=host["tau_m"], built_C_m=host["C_m"], built_t_ref=host["t_ref"])


def iaf_constants(p, k, h: float, tics_per_step: int):
    """(P33, P30, refractory steps) for the traced params ``p`` (any of tau_m, C_m, t_ref may have been
    changed after build).

    Where tau_m and C_m are those the network was built with, the host's propagators (libm ``exp``,
    NEST's bits) are used; elsewhere they are computed here. The derivative is that of the formulas in
    both cases. t_ref enters as whole steps (its derivative is 0).
    """
    P33_f = jnp.exp(-h / p["tau_m"])
    P30_f = ((1.0 / p["C_m"]) * (1.0 - P33_f)) * p["tau_m"]
    built = (p["tau_m"] == k["built_tau_m"]) & (p["C_m"] == k["built_C_m"])
    # value from the exact table where built, derivative from the formula everywhere (x - x is 0 exactly)
    P33 = jnp.where(built, k["P33"], P33_f) + (P33_f - jax.lax.stop_gradient(P33_f))
    P30 = jnp.where(built, k["P30"], P30_f) + (P30_f - jax.lax.stop_gradient(P30_f))
    tics = jnp.floor(jax.lax.stop_gradient(p["t_ref"]) * 1000.0 + 0.5).astype(jnp.int32)
    steps = jnp.where(p["t_ref"] == k["built_t_ref"], k["refractory_steps"], -(-tics // tics_per_step))
    return P33, P30, steps


def set_iaf(p: dict, s: dict, idx, changes: dict):
    """NEST's set_status of the iaf models: V is kept relative to E_L, so changing ``E_L`` keeps V_m,
    V_th, V_reset and V_min where they are (in mV) unless they are set too."""
    E_L_old = p["E_L"][idx]
    p = {k: (v.at[idx].set(changes[k]) if k in changes else v) for k, v in p.items()}
    s = dict(s)
    if "V_m" in changes or "E_L" in changes:  # absolute V_m stays unless set (NEST: y = V_m - E_L)
        V_m = changes.get("V_m", s["V_rel"][idx] + E_L_old)
        s["V_rel"] = s["V_rel"].at[idx].set(V_m - p["E_L"][idx])  # else untouched: (y + E_L) - E_L can round
    return p, s


@dataclasses.dataclass(frozen=True)
class IafPscDelta(NeuronModel):
    name = "iaf_psc_delta"
    parameters = PARAMETERS
    # measured on recurrent E/I networks against finite differences (docs/gradients.md)
    default_surrogate = ("fast_sigmoid", 25.0, True)
    recordables = ("V_m",)
    inputs = SUMMED
    receptors = {"neuron": (0,), "generator": (0,), "current": (0,)}
    refractory_input: bool = False  # some neuron keeps the input that arrives while it is refractory

    @classmethod
    def check(cls, v, where, tics_per_step):
        check_iaf(v, where, tics_per_step)

    @classmethod
    def configure(cls, host):
        return cls(refractory_input=bool(np.any(host["refractory_input"])))

    def host_constants(self, host, h, tics_per_step):
        return dict(host_iaf(host, h, tics_per_step), refractory_input=np.asarray(host["refractory_input"], bool))

    def init(self, host):
        s = dict(V_rel=host["V_m"] - host["E_L"], refractory=np.zeros(len(host["V_m"]), np.int32))
        if self.refractory_input:
            s["refractory_buffer"] = np.zeros(len(host["V_m"]))
        return s

    def constants(self, p, k, h, tics_per_step):
        P33, P30, steps = iaf_constants(p, k, h, tics_per_step)
        return dict(P33=P33, P30=P30, refractory_steps=steps, refractory_input=k["refractory_input"])

    def update(self, p, k, s, inp, h, surrogate=None):
        """Returns (state, spiked): see the module docstring."""
        y, r = s["V_rel"], s["refractory"]
        free = r == 0
        drive = p["I_e"] if inp.current is None else inp.current[0] + p["I_e"]  # NEST: P30 * (y0 + I_e)
        y_new = (separately_rounded(k["P30"] * drive, r >= 0) + separately_rounded(k["P33"] * y, r < 2**31 - 1)) \
            + inp.spikes[0]
        out = {}
        if self.refractory_input:
            refr_buf, keep = s["refractory_buffer"], k["refractory_input"]
            release = keep & (refr_buf != 0)
            y_new = jnp.where(release, y_new + refr_buf, y_new)
            gathered = refr_buf + separately_rounded(inp.spikes[0] * jnp.exp(-r.astype(y.dtype) * h / p["tau_m"]),
                                                     r >= 0)
            out["refractory_buffer"] = jnp.where(free, jnp.where(release, 0.0, refr_buf),
                                                 jnp.where(keep, gathered, refr_buf))
        y_new = jnp.maximum(y_new, p["V_min"] - p["E_L"])
        y = jnp.where(free, y_new, y)
        r = jnp.where(free, r, r - 1)
        y, r, spiked = sg.threshold(y, p["V_th"] - p["E_L"], free, p["V_reset"] - p["E_L"], r,
                                    k["refractory_steps"], surrogate)
        return dict(out, V_rel=y, refractory=r), spiked

    def observe(self, p, s):
        return {"V_m": s["V_rel"] + p["E_L"], "refractory_steps_left": s["refractory"]}

    def set(self, p, s, idx, changes):
        return set_iaf(p, s, idx, changes)


MODEL = IafPscDelta
