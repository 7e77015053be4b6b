"""The model contract (:mod:`.base`) for the neurons NEST integrates with GSL's rkf45: one adapter class
around a model module's functions (``PARAMETERS``, ``STATE``, ``RECORDABLES``, ``check``, ``host_constants``,
``update``, ``record``, optionally ``initial_state`` and ``KIND``).

State of each neuron: the module's state rows (NEST's State_ vector, e.g. V_m, g_ex, g_in), ``r``
(refractory steps left), ``h_int`` (the integration step GSL carries from step to step; 0 before the
first step, which starts with the resolution, as NEST's init_buffers) and ``res`` (the resolution, for
t_ref_remaining). All are checkpointed, stored and split like any state, so a resumed run continues
with the same integration step and stays bit-identical.

Input: spikes by sign (channel 0: the sum of excitatory weights, channel 1: of inhibitory ones, in
arrival order) or summed (aeif_psc_delta); current generators on receptor 0 (their current of the
previous step, I_stim). Spikes carry no surrogate gradient: the differentiable build refuses these
models by name. Two spikes of one neuron within one step (possible only with t_ref = 0 under extreme
input, aeif models) count as one.
"""
from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from ..errors import JaxsnnError
from .base import ARCHIVING, BY_PORT, BY_SIGN, SUMMED, NeuronModel, Param, check_tau_minus


def parameters(mod) -> dict:
    """NEST's table: the module's parameters, its state rows with their initial values, tau_minus."""
    rows = {k: Param(v[0] if isinstance(v[0], (bool, tuple)) else float(v[0]), v[1], v[2])  # tuple: per port
            for k, v in mod.PARAMETERS.items()}
    p0 = {k: v[0] for k, v in mod.PARAMETERS.items()}
    init = mod.initial_state(p0) if hasattr(mod, "initial_state") else {}
    for k, (default, unit, doc) in getattr(mod, "NEST_STATE", {}).items():
        rows[k] = Param(float(default), unit, doc, state=True)
    for k in mod.STATE:
        if k.startswith("d") or hasattr(mod, "NEST_STATE"):  # alpha derivatives: internal (NEST hides them)
            continue
        default = init.get(k, p0.get("E_L", 0.0) if k == "V_m" else 0.0)
        unit = {"V_m": "mV", "w": "pA"}.get(k, "nS" if k.startswith("g_") else ("pA" if k.startswith("I_") else ""))
        rows[k] = Param(float(default), unit, "state variable", state=True)
    return {**rows, **ARCHIVING}


@dataclasses.dataclass(frozen=True)
class GslNeuron(NeuronModel):
    """A GSL-integrated neuron behind the model contract (subclasses: :func:`make`)."""

    module = None  # the model module (class attribute)
    differentiable = False

    @classmethod
    def check(cls, v, where, tics_per_step):
        full = {k: (_rows(v[k]) if v.get(k) is not None else np.asarray(p.default))
                for k, p in cls.parameters.items() if k not in ARCHIVING}
        if full.get("refractory_input") is not None and np.asarray(full["refractory_input"]).any():
            raise JaxsnnError(f"{where}: refractory_input=True: not supported for {cls.name} (NEST 3.10's "
                              "unsigned refractory counter makes the kept input overflow to inf)")
        try:
            cls.module.check({k: a for k, a in full.items() if a.dtype != bool})
        except ValueError as e:
            raise JaxsnnError(f"{where}: {e} (NEST's check for {cls.name})") from None
        check_tau_minus(v, where)

    def host_constants(self, host, h, tics_per_step):
        p = {k: np.asarray(host[k]) for k in self.module.PARAMETERS if k in host}
        k = self.module.host_constants(p, tics_per_step)
        return dict(k, refractory_steps=np.asarray(k["refractory_counts"], np.int32))

    def init(self, host):
        n = len(host["V_m"])
        if hasattr(self.module, "to_state"):
            s = self.module.to_state(host)
        else:
            s = {k: np.asarray(host[k], float) if k in host else np.zeros(n) for k in self.module.STATE}
        lengths = {length: np.asarray(host.get(length, np.full(n, np.shape(host[name])[-1])), np.int32)
                   for name, (length, _) in self.list_params.items()}
        return dict(s, **lengths, r=np.zeros(n, np.int32), h_int=np.zeros(n), res=np.zeros(n))

    def update(self, p, k, s, inp, h, surrogate=None, ex=None):
        zero = jnp.zeros_like(s[self.module.STATE[0]])
        I_stim = zero if inp.current is None else inp.current[0]
        ex, inh = (inp.spikes[0] if ex is None else ex), (inp.spikes[1] if inp.spikes.shape[0] > 1 else zero)
        st = {n: s[n] for n in self.module.STATE}
        st.update(r=s["r"], h_int=jnp.where(s["h_int"] > 0.0, s["h_int"], h), I_stim=I_stim)
        pp = {n: p[n] for n in self.module.PARAMETERS if n in p}
        pp.update({n: k[n] for n in self.module.PARAMETERS if n in k and n not in pp})  # bool switches
        draws = {"key": inp.key} if getattr(self.module, "STOCHASTIC", False) else {}
        out, spiked = self.module.update(pp, k, st, ex, inh, I_stim, h=h, **draws)
        new = {n: out[n] for n in self.module.STATE}
        new.update({length: s[length] for length, _ in self.list_params.values()})
        new.update(r=out["r"], h_int=out["h_int"], res=zero + h)
        return new, spiked > 0

    def observe(self, p, s):
        out = {n: s[n] for n in self.module.STATE if not n.startswith("d") and n in self.parameters}
        rec = self.module.record(p, s, s["res"])
        lists = {name: p[name] for name in self.list_params}
        lengths = {length: s[length] for length, _ in self.list_params.values()}
        return dict(out, **rec, **lists, **lengths, refractory_steps_left=s["r"])

    def set(self, p, s, idx, changes):
        fixed = [n for n in self.built_into_constants if n in changes
                 and not np.array_equal(np.asarray(changes[n]), np.asarray(p[n])[np.asarray(idx)])]
        if fixed:
            raise JaxsnnError(
                f"set: {fixed[0]!r} of {self.name} enters the constants computed when the network is built "
                f"(NEST's pre_run_hook: {', '.join(self.built_into_constants)}); a built Simulation cannot change "
                "it in place: set it in the Network and build again (jaxsnn.nest does so at the next Simulate, "
                "carrying the run's state).")
        p, s = dict(p), dict(s)
        if hasattr(self.module, "set_state"):
            p, s, changes = self.module.set_state(p, s, idx, changes)
        for name, v in changes.items():
            if name in s and name in self.parameters:
                s[name] = s[name].at[idx].set(v)
            elif name in p:
                p[name] = p[name].at[idx].set(v)
            else:
                raise JaxsnnError(f"set: {name!r} of {self.name} cannot change between runs.")
        return p, s


def _rows(a) -> np.ndarray:
    """Values over neurons; list values as ``get`` gives them (one array per neuron, each of its own
    length) as [neurons, longest], each row padded with its last value (for the checks only)."""
    a = np.asarray(a)
    if a.dtype != object:
        return a
    width = max(len(r) for r in a)
    if not width:
        return np.zeros((len(a), 0))
    return np.stack([np.pad(np.asarray(r, float), (0, width - len(r)), mode="edge") for r in a])


@dataclasses.dataclass(frozen=True)
class GslPortNeuron(GslNeuron):
    """A neuron with receptor ports (the module's ``INPUTS = "ports"``): spikes of ``receptor_type`` i
    reach column i − 1 of its input; ``ports``: the most ports of a neuron of the network (the per-port
    parameters and state are [neurons, ports], padded; state ``n_synapses``: each neuron's own number)."""

    ports: int = 1
    recordables: tuple = ()  # the configured instance's: the module's and one per port of port_recordables

    @property
    def spike_channels(self) -> int:
        return self.ports

    @classmethod
    def configure(cls, host):
        n = np.shape(host[cls.port_params[0]])[-1]
        per_port = tuple(f"{r}_{i}" for r in cls.port_recordables for i in range(1, n + 1))
        return cls(ports=n, recordables=tuple(sorted(cls.module.RECORDABLES + per_port)))

    def init(self, host):
        s = super().init(host)
        one = self.module.initial_state({k: v[0] for k, v in self.module.PARAMETERS.items()})
        for k in self.module.STATE:  # a state row per port (a list in initial_state): zero on every port
            if np.ndim(one.get(k, 0.0)) == 1 and np.ndim(s[k]) == 1:
                s[k] = np.zeros((len(host["V_m"]), self.ports))
        return s

    def update(self, p, k, s, inp, h, surrogate=None):
        return super().update(p, k, s, inp, h, surrogate, ex=inp.spikes[:self.ports].T)


def set_v_rel(p, s, idx, changes):
    """A module's ``set_state`` when its state holds V_rel = V_m − E_L: NEST's set_status takes V_m
    absolute; without V_m, a new E_L leaves V_m where it is."""
    changes = dict(changes)
    s = dict(s)
    E_L = p["E_L"].at[idx].set(changes["E_L"]) if "E_L" in changes else p["E_L"]
    if "V_m" in changes:
        s["V_rel"] = s["V_rel"].at[idx].set(changes.pop("V_m") - E_L[idx])
    elif "E_L" in changes:
        s["V_rel"] = s["V_rel"].at[idx].set(s["V_rel"][idx] - (E_L[idx] - p["E_L"][idx]))
    return p, s, changes


def built_into_constants(mod) -> tuple:
    """The float parameters the module's host constants depend on (found by changing each in turn): a
    change between runs of one of them needs new constants, which only a build computes."""
    p0 = {k: np.asarray([v[0]]) for k, v in mod.PARAMETERS.items()}
    base = mod.host_constants(p0, 10)
    out = []
    for name, (default, *_) in mod.PARAMETERS.items():
        if isinstance(default, (bool, list, tuple)) or not np.isfinite(default):
            continue
        other = dict(p0, **{name: np.asarray([default * 1.1 + 0.37])})
        try:
            k = mod.host_constants(other, 10)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            out.append(name)
            continue
        if any(not np.array_equal(np.asarray(k[c]), np.asarray(base[c]), equal_nan=True) for c in base):
            out.append(name)
    return tuple(out)


def make(mod) -> type:
    """The :class:`GslNeuron` subclass of the model module ``mod``."""
    single = getattr(mod, "KIND", "") == "delta"
    if getattr(mod, "INPUTS", "") == "ports":  # spikes by receptor port (1-based), per-port list parameters
        attrs = dict(name=mod.NAME, parameters=parameters(mod), module=mod, inputs=BY_PORT, current_receptors=1,
                     recordables=tuple(sorted(mod.RECORDABLES)),
                     port_params=mod.PORT_PARAMETERS, port_recordables=mod.PORT_RECORDABLES,
                     list_params={k: ("n_synapses", None) for k in mod.PORT_PARAMETERS},
                     port_change=getattr(mod, "PORT_CHANGE", "fixed"),
                     receptors={"neuron": (), "generator": (), "current": (0,)}, __module__=mod.__name__,
                     built_into_constants=built_into_constants(mod) + tuple(mod.PORT_PARAMETERS))
        cls = type("".join(w.capitalize() for w in mod.NAME.split("_")), (GslPortNeuron,), attrs)
        cls.__annotations__ = {}
        return dataclasses.dataclass(frozen=True)(cls)
    lists = getattr(mod, "LIST_PARAMETERS", {})  # e.g. gif's adaptation elements
    attrs = dict(name=mod.NAME, parameters=parameters(mod), recordables=tuple(sorted(mod.RECORDABLES)), module=mod,
                 inputs=SUMMED if single else BY_SIGN, spike_channels=1 if single else 2, current_receptors=1,
                 receptors={"neuron": (0,), "generator": (0,), "current": (0,)}, __module__=mod.__name__,
                 list_params=lists, list_state=getattr(mod, "LIST_STATE", {}),
                 built_into_constants=built_into_constants(mod) + tuple(lists))
    cls = type("".join(w.capitalize() for w in mod.NAME.split("_")), (GslNeuron,), attrs)
    cls.__annotations__ = {}
    return dataclasses.dataclass(frozen=True)(cls)
