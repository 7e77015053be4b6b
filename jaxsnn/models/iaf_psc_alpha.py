"""iaf_psc_alpha: leaky integrate-and-fire neuron with alpha-shaped synaptic currents, exactly as NEST 3.10
(docs/nest_semantics.md §10, §12).

With y = V_m − E_L, each synaptic current is the solution of
``dI/dt = dI − I/τ_syn, d(dI)/dt = −dI/τ_syn``; a spike of weight·multiplicity s makes dI_ex (s > 0) or
dI_in (s ≤ 0) jump by e·s/τ_syn, so that the current peaks at s pA τ_syn after arrival. Update of a
step (NEST's order): V from the old currents and the previous step's generator current (unless
refractory; bounded below by V_min), then the currents, then dI decays and takes this step's spikes,
then threshold and reset. Refractoriness clamps V only.

Parameters (NEST's names and defaults):

=================  ========  =======================================================
V_m                -70 mV    membrane potential (state)
E_L                -70 mV    resting potential
C_m                250 pF    membrane capacitance
tau_m              10 ms     membrane time constant
tau_syn_ex         2 ms      rise time of the excitatory synaptic current
tau_syn_in         2 ms      rise time of the inhibitory synaptic current
t_ref              2 ms      refractory period (whole steps, rounded up)
V_th               -55 mV    spike threshold
V_reset            -70 mV    reset potential
I_e                0 pA      constant input current
V_min              -inf mV   lower bound of V_m
tau_minus          20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms    time constant of the postsynaptic triplet STDP trace
Ca                 0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms  time constant of the calcium trace
beta_Ca            0.001     increment of the calcium trace per spike
=================  ========  =======================================================

Recordables: I_syn_ex, I_syn_in, V_m.
"""
from __future__ import annotations

import dataclasses
import math
import sys

import jax.numpy as jnp
import numpy as np

from .. import checks
from ..core.surrogate import threshold
from ._propagators import exact, host_p31_p32, host_table, nest_expm1, p31, p32
from ._propagators import separately_rounded as sr
from .base import ARCHIVING, BY_SIGN, NeuronModel, Param, nest_checks
from .iaf_psc_delta import check_iaf, host_iaf, iaf_constants, set_iaf

PARAMETERS = {
    "V_m": Param(-70.0, "mV", "membrane potential", state=True),
    "E_L": Param(-70.0, "mV", "resting potential"),
    "C_m": Param(250.0, "pF", "membrane capacitance"),
    "tau_m": Param(10.0, "ms", "membrane time constant"),
    "tau_syn_ex": Param(2.0, "ms", "rise time of the excitatory synaptic current"),
    "tau_syn_in": Param(2.0, "ms", "rise time of the inhibitory synaptic current"),
    "t_ref": Param(2.0, "ms", "refractory period (whole steps, rounded up)"),
    "V_th": Param(-55.0, "mV", "spike threshold"),
    "V_reset": Param(-70.0, "mV", "reset potential"),
    "I_e": Param(0.0, "pA", "constant input current"),
    "V_min": Param(-math.inf, "mV", "lower bound of V_m"),  # NEST reports -inf
    **ARCHIVING,
}

RULES = (  # NEST's Parameters_::set, in its order and words
    (lambda v: v["C_m"] <= 0, "C_m", "Capacitance must be > 0."),
    (lambda v: v["tau_m"] <= 0, "tau_m", "Membrane time constant must be > 0."),
    (lambda v: (v["tau_syn_ex"] <= 0) | (v["tau_syn_in"] <= 0), "tau_syn_ex/tau_syn_in",
     "All synaptic time constants must be > 0."),
    (lambda v: v["t_ref"] < 0, "t_ref", "The refractory time t_ref can't be negative."),
    (lambda v: v["V_reset"] >= v["V_th"], "V_reset/V_th", "Reset potential must be smaller than threshold."),
)


def check_propagators(v, where, h):
    """NEST's propagator P31 is NaN where exp(h (1/tau_syn − 1/tau_m)) overflows a double (and the
    regular branch is taken): refuse those time constants instead of simulating NaN."""
    tau_m = v["tau_m"]
    for name in ("tau_syn_ex", "tau_syn_in"):
        ts = v[name]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            x = h * (tau_m - ts) / (ts * tau_m)
            regular = h * np.abs(tau_m - ts) > 1e-7 * tau_m * tau_m
        bad = regular & (x > math.log(sys.float_info.max))
        checks.first_bad(f"{where}: {name}", ts, bad, f"a time constant for which NEST's propagators are finite "
                         f"(exp(h / {name}) must not overflow: {name} > h / 709 = {h / 709:.3g} ms at h = {h} ms; "
                         "NEST gives V_m = NaN)")


@dataclasses.dataclass(frozen=True)
class IafPscAlpha(NeuronModel):
    name = "iaf_psc_alpha"
    parameters = PARAMETERS
    # measured on recurrent E/I networks against finite differences (docs/gradients.md)
    default_surrogate = ("fast_sigmoid", 80.0, True)
    recordables = ("I_syn_ex", "I_syn_in", "V_m")
    inputs = BY_SIGN
    spike_channels = 2
    receptors = {"neuron": (0,), "generator": (0,), "current": (0,)}

    @classmethod
    def check(cls, v, where, tics_per_step):
        nest_checks(v, where, cls.name, RULES)
        check_iaf(v, where, tics_per_step)
        if all(v.get(k) is not None for k in ("tau_m", "tau_syn_ex", "tau_syn_in")):
            check_propagators(v, where, tics_per_step / 1000)

    def host_constants(self, host, h, tics_per_step):
        """P11ex, P11in, P32ex, P32in, P31ex, P31in, P30, expm1_tau_m with NEST's bits."""
        tm, c, tse, tsi = host["tau_m"], host["C_m"], host["tau_syn_ex"], host["tau_syn_in"]
        ex = host_table(lambda ts, tm, c: host_p31_p32(ts, tm, c, h), tse, tm, c).reshape(-1, 2)
        inh = host_table(lambda ts, tm, c: host_p31_p32(ts, tm, c, h), tsi, tm, c).reshape(-1, 2)
        return dict(host_iaf(host, h, tics_per_step), built_tau_syn_ex=tse, built_tau_syn_in=tsi,
                    P11ex=host_table(lambda t: math.exp(-h / t), tse),
                    P11in=host_table(lambda t: math.exp(-h / t), tsi),
                    P32ex=ex[:, 1], P32in=inh[:, 1], P31ex=ex[:, 0], P31in=inh[:, 0],
                    P30_I=host_table(lambda tm, c: -tm / c * nest_expm1(-h / tm), tm, c),
                    expm1_tau_m=host_table(lambda tm: nest_expm1(-h / tm), tm))

    def init(self, host):
        z = lambda: np.zeros(len(host["V_m"]))
        return dict(V_rel=host["V_m"] - host["E_L"], refractory=np.zeros(len(host["V_m"]), np.int32),
                    I_syn_ex=z(), I_syn_in=z(), dI_syn_ex=z(), dI_syn_in=z())

    def constants(self, p, k, h, tics_per_step):
        tm, c, tse, tsi = p["tau_m"], p["C_m"], p["tau_syn_ex"], p["tau_syn_in"]
        _, _, steps = iaf_constants(p, k, h, tics_per_step)
        built = (tm == k["built_tau_m"]) & (c == k["built_C_m"]) & (tse == k["built_tau_syn_ex"]) \
            & (tsi == k["built_tau_syn_in"])
        f = dict(P11ex=jnp.exp(-h / tse), P11in=jnp.exp(-h / tsi),
                 P32ex=p32(tse, tm, c, h), P32in=p32(tsi, tm, c, h),
                 P31ex=p31(tse, tm, c, h), P31in=p31(tsi, tm, c, h), P30_I=-tm / c * jnp.expm1(-h / tm),
                 expm1_tau_m=jnp.expm1(-h / tm))
        return dict({n: exact(k[n], v, built) for n, v in f.items()}, refractory_steps=steps)

    def update(self, p, k, s, inp, h, surrogate=None):
        """One step (NEST's order, products rounded before they are added)."""
        y, r = s["V_rel"], s["refractory"]
        I_ex, I_in, dI_ex, dI_in = s["I_syn_ex"], s["I_syn_in"], s["dI_syn_ex"], s["dI_syn_in"]
        y_0 = jnp.zeros_like(y) if inp.current is None else inp.current[0]
        ex, inh = inp.spikes[0], inp.spikes[1]
        P11ex, P11in = k["P11ex"], k["P11in"]
        free = r == 0
        y_new = (((((sr(k["P30_I"] * (y_0 + p["I_e"]), r >= 0) + sr(k["P31ex"] * dI_ex, r >= -1))
                   + sr(k["P32ex"] * I_ex, r >= -2)) + sr(k["P31in"] * dI_in, r >= -3))
                 + sr(k["P32in"] * I_in, r >= -4))
                 + sr(k["expm1_tau_m"] * y, r >= -5)) + y
        V_min = p["V_min"] - p["E_L"]
        y_new = jnp.where(y_new < V_min, V_min, y_new)
        y = jnp.where(free, y_new, y)
        r = jnp.where(free, r, r - 1)
        I_ex = sr((h * P11ex) * dI_ex, r >= -6) + sr(P11ex * I_ex, r >= -7)
        dI_ex = sr(dI_ex * P11ex, r >= -8) + sr((math.e / p["tau_syn_ex"]) * ex, r >= -9)
        I_in = sr((h * P11in) * dI_in, r >= -10) + sr(P11in * I_in, r >= -11)
        dI_in = sr(dI_in * P11in, r >= -12) + sr((math.e / p["tau_syn_in"]) * inh, r >= -13)
        y, r, spiked = threshold(y, p["V_th"] - p["E_L"], free, p["V_reset"] - p["E_L"], r, k["refractory_steps"],
                                 surrogate)
        return dict(V_rel=y, refractory=r, I_syn_ex=I_ex, I_syn_in=I_in, dI_syn_ex=dI_ex, dI_syn_in=dI_in), spiked

    def observe(self, p, s):
        return {"V_m": s["V_rel"] + p["E_L"], "I_syn_ex": s["I_syn_ex"], "I_syn_in": s["I_syn_in"],
                "refractory_steps_left": s["refractory"]}

    def set(self, p, s, idx, changes):
        return set_iaf(p, s, idx, changes)


MODEL = IafPscAlpha
