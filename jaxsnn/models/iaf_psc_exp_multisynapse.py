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

=================  ========  =======================================================
E_L                -70 mV    resting potential
I_e                0 pA      constant input current
V_th               -55 mV    spike threshold
V_reset            -70 mV    reset potential
C_m                250 pF    membrane capacitance
tau_m              10 ms     membrane time constant
t_ref              2 ms      refractory period
tau_syn            [2] ms    synaptic time constants, one per receptor port
V_m                -70 mV    membrane potential (state)
tau_minus          20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms    time constant of the postsynaptic triplet STDP trace
Ca                 0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms  time constant of the calcium trace
beta_Ca            0.001     increment of the calcium trace per spike
=================  ========  =======================================================

Recordables: V_m, I_syn (the sum over ports, accumulated in port order), I_syn_1 … I_syn_n.
"""
from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp
import numpy as np

from ..errors import JaxsnnError
from ._gsl import _rows
from ._gsl import set_v_rel as set_state
from ._propagators import exact, host_p32, p32
from ._rkf45 import product
from .base import ARCHIVING, BY_PORT, NeuronModel, Param, check_tau_minus
from .iaf_psc_delta import check_iaf, refractory_steps

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


@dataclasses.dataclass(frozen=True)
class IafPscExpMultisynapse(NeuronModel):
    """The model in networks: spikes on ``receptor_type`` 1 … n_synapses (the length of the neuron's tau_syn),
    currents on receptor 0. ``ports``: the most ports of a neuron of the network (the per-port parameters
    and state are [neurons, ports], padded; state ``n_synapses``: each neuron's own number)."""

    name = NAME
    parameters = {**{k: Param(v[0], v[1], v[2]) for k, v in PARAMETERS.items()},
                  "V_m": Param(-70.0, "mV", "membrane potential", state=True), **ARCHIVING}
    inputs = BY_PORT
    port_params = PORT_PARAMETERS
    list_params = {k: ("n_synapses", None) for k in PORT_PARAMETERS}
    port_recordables = ("I_syn",)
    receptors = {"neuron": (), "generator": (), "current": (0,)}  # spikes: the ports (checked by connect)
    differentiable = False
    ports: int = 1
    recordables: tuple = ("I_syn", "V_m")  # the configured instance's: and I_syn_1 … I_syn_ports

    @property
    def spike_channels(self) -> int:
        return self.ports

    @classmethod
    def configure(cls, host):
        n = np.shape(host["tau_syn"])[-1]
        return cls(ports=n, recordables=("I_syn", *(f"I_syn_{i}" for i in range(1, n + 1)), "V_m"))

    @classmethod
    def check(cls, v, where, tics_per_step):
        full = {k: _rows(v[k]) if v.get(k) is not None else np.asarray(p.default, float)
                for k, p in cls.parameters.items() if k not in ARCHIVING}
        try:
            check(full)
        except ValueError as e:
            raise JaxsnnError(f"{where}: {e} (NEST's check for {NAME})") from None
        check_iaf({k: a for k, a in v.items() if k not in PORT_PARAMETERS}, where, tics_per_step)
        check_tau_minus(v, where)

    def host_constants(self, host, h, tics_per_step):
        k = host_constants({n: np.asarray(host[n], float) for n in PARAMETERS}, tics_per_step)
        return dict(P22=k["P22"], P20=k["P20"], P11=k["P11"], P21=k["P21"],
                    refractory_steps=np.asarray(k["refractory_counts"], np.int32),
                    **{f"built_{n}": np.asarray(host[n], float) for n in ("tau_m", "C_m", "t_ref", "tau_syn")})

    def constants(self, p, k, h, tics_per_step):
        """The host's exact propagators where tau_m, C_m and tau_syn are the built ones, the formulas
        elsewhere (a change between runs)."""
        tm, c, ts = p["tau_m"], p["C_m"], p["tau_syn"]
        built = (tm == k["built_tau_m"]) & (c == k["built_C_m"])
        built_port = built[:, None] & (ts == k["built_tau_syn"])
        P22 = jnp.exp(-h / tm)
        P20 = tm / c * (1.0 - P22)
        P11 = jnp.exp(-h / ts)
        P21 = p32(ts, tm[:, None], c[:, None], h)
        tics = jnp.floor(p["t_ref"] * 1000.0 + 0.5).astype(jnp.int32)
        steps = jnp.where(p["t_ref"] == k["built_t_ref"], k["refractory_steps"], -(-tics // tics_per_step))
        return dict(P22=exact(k["P22"], P22, built), P20=exact(k["P20"], P20, built),
                    P11=exact(k["P11"], P11, built_port), P21=exact(k["P21"], P21, built_port),
                    refractory_counts=steps, refractory_steps=steps)

    def init(self, host):
        n = len(host["V_m"])
        n_syn = host.get("n_synapses", np.full(n, np.shape(host["tau_syn"])[-1]))
        return dict(to_state(host), r=np.zeros(n, np.int32), n_synapses=np.asarray(n_syn, np.int32))

    def update(self, p, k, s, inp, h, surrogate=None):
        I_stim = jnp.zeros_like(s["V_rel"]) if inp.current is None else inp.current[0]
        st = dict(s, h_int=None, I_stim=I_stim)
        out, spiked = update(p, k, st, inp.spikes[:self.ports].T, None, I_stim, h=h)
        return dict(V_rel=out["V_rel"], I_syn=out["I_syn"], r=out["r"], n_synapses=s["n_synapses"]), spiked

    def observe(self, p, s):
        return dict(record(p, s, None), tau_syn=p["tau_syn"], n_synapses=s["n_synapses"], refractory_steps_left=s["r"])

    def set(self, p, s, idx, changes):
        p, s, changes = set_state(p, s, idx, changes)
        p = dict(p)
        for name, v in changes.items():
            if name not in p:
                raise JaxsnnError(f"set: {name!r} of {NAME} cannot change between runs.")
            p[name] = p[name].at[idx].set(v)
        return p, s


MODEL = IafPscExpMultisynapse
