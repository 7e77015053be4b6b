"""Model catalogue: NEST 3.10's names, defaults and units (ms, mV, pA, pF, Hz).

A :class:`ModelRegistry` belongs to one :class:`~jaxsnn.Network` and holds the base models plus the
user's copies (NEST's ``CopyModel``); copies have their own defaults and never change the original.
"""
from __future__ import annotations

import dataclasses
import math

from .errors import JaxsnnError, bad_value, unknown_name

IAF_PSC_DELTA = {
    "V_m": -70.0,  # mV, initial membrane potential (state)
    "E_L": -70.0,  # mV
    "C_m": 250.0,  # pF
    "tau_m": 10.0,  # ms
    "t_ref": 2.0,  # ms
    "V_th": -55.0,  # mV
    "V_reset": -70.0,  # mV
    "I_e": 0.0,  # pA
    "V_min": -1.7976931348623157e308,  # mV (-DBL_MAX: no lower bound)
    "refractory_input": False,
    "tau_minus": 20.0,  # ms, postsynaptic STDP trace
}

# NEST 3.10's iaf_psc_exp (no V_min; rho/delta: escape noise, only delta = 0 is simulated)
IAF_PSC_EXP = {
    "V_m": -70.0, "E_L": -70.0, "C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 2.0, "tau_syn_in": 2.0,  # mV, pF, ms
    "t_ref": 2.0, "V_th": -55.0, "V_reset": -70.0, "I_e": 0.0,  # ms, mV, mV, pA
    "rho": 0.01, "delta": 0.0,  # 1/s, mV
    "tau_minus": 20.0,  # ms
}
IAF_PSC_ALPHA = {
    "V_m": -70.0, "E_L": -70.0, "C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 2.0, "tau_syn_in": 2.0,
    "t_ref": 2.0, "V_th": -55.0, "V_reset": -70.0, "I_e": 0.0,
    "V_min": -math.inf,  # mV (NEST reports -inf)
    "tau_minus": 20.0,
}
PARROT_NEURON = {"tau_minus": 20.0}
# what a multimeter can record from each neuron model
RECORDABLES = {"iaf_psc_delta": ("V_m",), "iaf_psc_exp": ("I_syn_ex", "I_syn_in", "V_m"),
               "iaf_psc_alpha": ("I_syn_ex", "I_syn_in", "V_m"), "parrot_neuron": ()}

STDP_PARAMS = ("tau_plus", "lambda", "alpha", "mu_plus", "mu_minus", "Wmax")
STDP_DEFAULTS = {"tau_plus": 20.0, "lambda": 0.01, "alpha": 1.0, "mu_plus": 1.0, "mu_minus": 1.0, "Wmax": 100.0}

SYNAPSES = {
    "static_synapse": {"weight": 1.0, "delay": 1.0, "weight_recorder": None, "receptor_type": 0},
    # plasticity parameters are common to all connections of the (copied) model
    "stdp_synapse_hom": {"weight": 1.0, "delay": 1.0, "Kplus": 0.0, "weight_recorder": None, "receptor_type": 0,
                         **STDP_DEFAULTS},
    # plasticity parameters per connection
    "stdp_synapse": {"weight": 1.0, "delay": 1.0, "Kplus": 0.0, "weight_recorder": None, "receptor_type": 0,
                     **STDP_DEFAULTS},
}

INF = math.inf
DEVICES = {
    "poisson_generator": {"rate": 0.0, "origin": 0.0, "start": 0.0, "stop": INF},
    "spike_generator": {"spike_times": (), "spike_weights": (), "spike_multiplicities": (), "origin": 0.0,
                        "start": 0.0, "stop": INF},
    "dc_generator": {"amplitude": 0.0, "origin": 0.0, "start": 0.0, "stop": INF},  # pA
    "step_current_generator": {"amplitude_times": (), "amplitude_values": (), "allow_offgrid_times": False,
                               "origin": 0.0, "start": 0.0, "stop": INF},  # ms, pA
    # dt: None = 10 resolutions (NEST sets it at creation)
    "noise_generator": {"mean": 0.0, "std": 0.0, "std_mod": 0.0, "frequency": 0.0, "phase": 0.0, "dt": None,
                        "origin": 0.0, "start": 0.0, "stop": INF},  # pA, pA, pA, Hz, degrees, ms
    "spike_recorder": {"origin": 0.0, "start": 0.0, "stop": INF},
    "multimeter": {"interval": 1.0, "offset": 0.0, "record_from": ("V_m",), "origin": 0.0, "start": 0.0, "stop": INF},
    "weight_recorder": {"senders": None, "targets": None},
}
NEURONS = {"iaf_psc_delta": IAF_PSC_DELTA, "iaf_psc_exp": IAF_PSC_EXP, "iaf_psc_alpha": IAF_PSC_ALPHA,
           "parrot_neuron": PARROT_NEURON}
CURRENT_GENERATORS = ("dc_generator", "step_current_generator", "noise_generator")


@dataclasses.dataclass(frozen=True)
class Model:
    name: str
    base: str  # the built-in model it derives from
    kind: str  # "neuron" | "synapse" | "device"
    defaults: dict


class ModelRegistry:
    """Built-in models plus copies made with :meth:`copy_model`."""

    def __init__(self):
        self._models: dict[str, Model] = {}
        for kind, table in (("neuron", NEURONS), ("synapse", SYNAPSES), ("device", DEVICES)):
            for name, defaults in table.items():
                self._models[name] = Model(name, name, kind, dict(defaults))
        # NEST's voltmeter is a multimeter whose record_from is ["V_m"]
        self._models["voltmeter"] = Model("voltmeter", "multimeter", "device", dict(DEVICES["multimeter"]))

    def __contains__(self, name):
        return name in self._models

    def get(self, name: str, kind: str | None = None) -> Model:
        if name not in self._models or (kind and self._models[name].kind != kind):
            known = [m.name for m in self._models.values() if kind is None or m.kind == kind]
            raise unknown_name(f"{kind or ''} model".strip(), name, known)
        return self._models[name]

    def copy_model(self, existing: str, new: str, params: dict | None = None) -> Model:
        """NEST's ``CopyModel``: a new model whose defaults are ``existing``'s, updated by ``params``."""
        old = self.get(existing)
        if new in self._models:
            raise JaxsnnError(f"copy_model: a model named {new!r} exists already; choose another name.")
        defaults = dict(old.defaults)
        defaults.update(check_params(old, params or {}, where=f"copy_model({existing!r}, {new!r})"))
        model = Model(new, old.base, old.kind, defaults)
        if model.base in ("stdp_synapse", "stdp_synapse_hom"):
            check_stdp_params(model.base, defaults, f"copy_model({existing!r}, {new!r})")
        self._models[new] = model
        return model

    def names(self, kind: str) -> list[str]:
        return [m.name for m in self._models.values() if m.kind == kind]


def check_params(model: Model, params: dict, where: str) -> dict:
    """Reject unknown parameter names (suggesting the close one); return ``params`` as a dict."""
    if not isinstance(params, dict):
        raise bad_value(f"{where}: params", params, "a dict mapping parameter names to values")
    for name in params:
        if name not in model.defaults:
            raise unknown_name(f"parameter of {model.name}", name, model.defaults)
    return dict(params)


def check_stdp_params(base: str, p: dict, where: str):
    """Scalar checks of the plasticity parameters shared by both STDP models."""
    for name in ("tau_plus",):
        if not p[name] > 0:
            raise bad_value(f"{where}: {name}", p[name], "tau_plus must be > 0 ms")
    for name in STDP_PARAMS:
        if isinstance(p[name], float) and math.isnan(p[name]):
            raise bad_value(f"{where}: {name}", p[name], "a number, not NaN")
    if p["Wmax"] == 0:
        raise bad_value(f"{where}: Wmax", p["Wmax"], "a non-zero maximal weight (weights are normalised by Wmax)")
