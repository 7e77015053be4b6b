"""iaf_psc_exp: leaky integrate-and-fire neuron with exponentially decaying synaptic currents, exactly as
NEST 3.10 (docs/nest_semantics.md §10, §11).

With V relative to the resting potential (y = V_m − E_L):

    τ_m dy/dt = −y + τ_m / C_m · (I_syn_ex + I_syn_in + I_e + I_0),   τ_syn dI_syn/dt = −I_syn,

and a spike of weight·multiplicity s makes I_syn_ex jump by s (s > 0) or I_syn_in by s (s ≤ 0), in pA.
Update of a step (NEST's order): V from the *old* currents (unless refractory), then the currents decay
and take this step's spikes (and receptor 1's current, filtered like I_syn_ex), then the threshold
test and reset. Refractoriness clamps V only: spikes arriving then still charge the currents. The
current of generators on receptor 0 (I_0) acts from the next step on.

Parameters (NEST's names and defaults):

=================  ========  =================================================================
V_m                -70 mV    membrane potential (state)
E_L                -70 mV    resting potential
C_m                250 pF    membrane capacitance
tau_m              10 ms     membrane time constant
tau_syn_ex         2 ms      time constant of the excitatory synaptic current
tau_syn_in         2 ms      time constant of the inhibitory synaptic current
t_ref              2 ms      refractory period (whole steps, rounded up)
V_th               -55 mV    spike threshold
V_reset            -70 mV    reset potential
I_e                0 pA      constant input current
rho                0.01 1/s  escape noise: firing intensity at threshold (not simulated)
delta              0 mV      escape noise: width of the threshold region (only 0 is simulated)
tau_minus          20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms    time constant of the postsynaptic triplet STDP trace
Ca                 0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms  time constant of the calcium trace
beta_Ca            0.001     increment of the calcium trace per spike
=================  ========  =================================================================

Recordables: I_syn_ex, I_syn_in, V_m. tau_syn == tau_m is legal (singular propagator,
:mod:`._propagators`). Current generators may use receptor_type 1: filtered like I_syn_ex.
"""
from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp
import numpy as np

from ..core.surrogate import threshold
from ..errors import bad_value
from ._propagators import exact, host_p32, host_table, p32
from ._propagators import separately_rounded as sr
from .base import ARCHIVING, BY_SIGN, NeuronModel, Param, nest_checks
from .iaf_psc_delta import check_iaf, host_iaf, iaf_constants, set_iaf

PARAMETERS = {
    "V_m": Param(-70.0, "mV", "membrane potential", state=True),
    "E_L": Param(-70.0, "mV", "resting potential"),
    "C_m": Param(250.0, "pF", "membrane capacitance"),
    "tau_m": Param(10.0, "ms", "membrane time constant"),
    "tau_syn_ex": Param(2.0, "ms", "time constant of the excitatory synaptic current"),
    "tau_syn_in": Param(2.0, "ms", "time constant of the inhibitory synaptic current"),
    "t_ref": Param(2.0, "ms", "refractory period (whole steps, rounded up)"),
    "V_th": Param(-55.0, "mV", "spike threshold"),
    "V_reset": Param(-70.0, "mV", "reset potential"),
    "I_e": Param(0.0, "pA", "constant input current"),
    "rho": Param(0.01, "1/s", "escape noise: firing intensity at threshold (not simulated)"),
    "delta": Param(0.0, "mV", "escape noise: width of the threshold region (only 0 is simulated)"),
    **ARCHIVING,
}

RULES = (  # NEST's Parameters_::set, in its order and words
    (lambda v: v["V_reset"] >= v["V_th"], "V_reset/V_th", "Reset potential must be smaller than threshold."),
    (lambda v: v["C_m"] <= 0, "C_m", "Capacitance must be strictly positive."),
    (lambda v: (v["tau_m"] <= 0) | (v["tau_syn_ex"] <= 0) | (v["tau_syn_in"] <= 0), "tau_m/tau_syn_ex/tau_syn_in",
     "Membrane and synapse time constants must be strictly positive."),
    (lambda v: v["t_ref"] < 0, "t_ref", "Refractory time must not be negative."),
    (lambda v: v["rho"] < 0, "rho", "Stochastic firing intensity must not be negative."),
    (lambda v: v["delta"] < 0, "delta", "Width of threshold region must not be negative."),
)


@dataclasses.dataclass(frozen=True)
class IafPscExp(NeuronModel):
    name = "iaf_psc_exp"
    parameters = PARAMETERS
    # measured on recurrent E/I networks against finite differences (docs/gradients.md)
    default_surrogate = ("fast_sigmoid", 120.0, True)
    recordables = ("I_syn_ex", "I_syn_in", "V_m")
    inputs = BY_SIGN
    spike_channels = 2
    current_receptors = 2
    receptors = {"neuron": (0,), "generator": (0,), "current": (0, 1)}

    @classmethod
    def check(cls, v, where, tics_per_step):
        nest_checks(v, where, cls.name, RULES)
        d = v.get("delta")
        if d is not None and (d > 1e-10).any():
            raise bad_value(f"{where}: delta", float(d.max()), "0 (NEST's escape noise, delta > 0, is not "
                            "simulated by jaxsnn)")
        check_iaf({k: a for k, a in v.items() if k not in ("rho", "delta")}, where, tics_per_step)

    def host_constants(self, host, h, tics_per_step):
        """P11ex, P11in, P21ex, P21in, P20 in float64 with NEST's bits (``pre_run_hook``)."""
        tm, c, tse, tsi = host["tau_m"], host["C_m"], host["tau_syn_ex"], host["tau_syn_in"]
        k = host_iaf(host, h, tics_per_step)
        return dict(k, built_tau_syn_ex=tse, built_tau_syn_in=tsi,
                    P11ex=host_table(lambda t: math.exp(-h / t), tse),
                    P11in=host_table(lambda t: math.exp(-h / t), tsi),
                    P21ex=host_table(lambda ts, tm, c: host_p32(ts, tm, c, h), tse, tm, c),
                    P21in=host_table(lambda ts, tm, c: host_p32(ts, tm, c, h), tsi, tm, c),
                    P20=np.asarray(tm, float) / np.asarray(c, float) * (1.0 - k["P33"]))

    def init(self, host):
        z = lambda: np.zeros(len(host["V_m"]))
        return dict(V_rel=host["V_m"] - host["E_L"], refractory=np.zeros(len(host["V_m"]), np.int32),
                    I_syn_ex=z(), I_syn_in=z())

    def constants(self, p, k, h, tics_per_step):
        """The host's exact propagators where tau_m, C_m, tau_syn_ex and tau_syn_in are the built ones,
        the in-graph formulas elsewhere."""
        tm, c, tse, tsi = p["tau_m"], p["C_m"], p["tau_syn_ex"], p["tau_syn_in"]
        P22, _, steps = iaf_constants(p, k, h, tics_per_step)
        built = (tm == k["built_tau_m"]) & (c == k["built_C_m"]) & (tse == k["built_tau_syn_ex"]) \
            & (tsi == k["built_tau_syn_in"])
        f = dict(P11ex=jnp.exp(-h / tse), P11in=jnp.exp(-h / tsi), P21ex=p32(tse, tm, c, h), P21in=p32(tsi, tm, c, h),
                 P20=tm / c * (1.0 - P22))
        return dict({n: exact(k[n], v, built) for n, v in f.items()}, P22=P22, refractory_steps=steps)

    def update(self, p, k, s, inp, h, surrogate=None):
        """One step (NEST's order, products rounded before they are added, as NEST: no FMA)."""
        y, r, i_ex, i_in = s["V_rel"], s["refractory"], s["I_syn_ex"], s["I_syn_in"]
        zero = jnp.zeros_like(y)
        i_0 = zero if inp.current is None else inp.current[0]
        free = r == 0
        y_new = ((sr(y * k["P22"], r >= 0) + sr(i_ex * k["P21ex"], r >= -1)) + sr(i_in * k["P21in"], r >= -2)) \
            + sr((p["I_e"] + i_0) * k["P20"], r >= -3)
        y = jnp.where(free, y_new, y)
        r = jnp.where(free, r, r - 1)
        i_ex = sr(i_ex * k["P11ex"], r >= -4)
        i_in = sr(i_in * k["P11in"], r >= -5)
        if inp.current is not None and inp.current.shape[0] > 1:  # receptor 1: filtered like I_syn_ex
            i_ex = i_ex + sr((1.0 - k["P11ex"]) * inp.current[1], r >= -6)
        i_ex = i_ex + inp.spikes[0]
        i_in = i_in + inp.spikes[1]
        y, r, spiked = threshold(y, p["V_th"] - p["E_L"], free, p["V_reset"] - p["E_L"], r, k["refractory_steps"],
                                 surrogate)
        return dict(V_rel=y, refractory=r, I_syn_ex=i_ex, I_syn_in=i_in), spiked

    def observe(self, p, s):
        return {"V_m": s["V_rel"] + p["E_L"], "I_syn_ex": s["I_syn_ex"], "I_syn_in": s["I_syn_in"],
                "refractory_steps_left": s["refractory"]}

    def set(self, p, s, idx, changes):
        return set_iaf(p, s, idx, changes)


MODEL = IafPscExp
