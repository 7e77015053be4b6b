"""Model catalogue: NEST 3.10's names, defaults and units (ms, mV, pA, pF, Hz).

A :class:`ModelRegistry` belongs to one :class:`~jaxsnn.Network` and holds the base models plus the
user's copies (NEST's ``CopyModel``); copies have their own defaults and never change the original.
"""
from __future__ import annotations

import copy
import dataclasses
import types

import numpy as np

from .. import checks, models
from ..errors import JaxsnnError, bad_value, unknown_name
from ..models.base import CURRENT, SPIKES

DEVICES = {name: m.defaults() for name, m in {**models.GENERATORS, **models.RECORDERS, **models.TRANSMITTERS}.items()}
NEURONS = models.NEURONS  # NEST name -> NeuronModel class (jaxsnn.models: the only list of models)
CURRENT_GENERATORS = tuple(n for n, g in models.GENERATORS.items() if g.emits == CURRENT)
SPIKE_GENERATORS = tuple(n for n, g in models.GENERATORS.items() if g.emits == SPIKES)


def recordables() -> dict:
    """What a multimeter can record from each neuron model."""
    return {name: m.recordables for name, m in NEURONS.items()}


@dataclasses.dataclass(frozen=True)
class Model:
    name: str
    base: str  # the built-in model it derives from
    kind: str  # "neuron" | "synapse" | "device"
    defaults: dict


# device parameters whose one value is a list (the rest are scalars; an array of those is per node)
VECTOR_PARAMS = tuple(dict.fromkeys(k for m in {**models.GENERATORS, **models.RECORDERS}.values()
                                    for k in m.vector_params))

# neuron parameters whose value is a list per node (NeuronModel.list_params)
LIST_PARAMS = tuple(dict.fromkeys(k for m in models.NEURONS.values() for k in m.list_params))


class ModelRegistry:
    """Built-in models plus copies made with :meth:`copy_model`.

    ``resolution`` (ms) and ``tics_per_step`` let :meth:`copy_model` check device times on the grid,
    as NEST's CopyModel does.
    """

    def __init__(self, resolution: float = 0.1, tics_per_step: int = 100):
        self.resolution, self.tics_per_step = resolution, tics_per_step
        self._models: dict[str, Model] = {}
        neurons = {name: m.defaults() for name, m in NEURONS.items()}
        synapses = {name: m.defaults() for name, m in models.SYNAPSES.items()}
        for kind, table in (("neuron", neurons), ("synapse", synapses), ("device", DEVICES)):
            for name, defaults in table.items():
                self._models[name] = Model(name, name, kind, dict(defaults))
        for alias, name in models.SYNAPSE_ALIASES.items():  # NEST's *_hpc names
            self._models[alias] = Model(alias, name, "synapse", dict(synapses[name]))
        for name, m in models.RECORDERS.items():  # other names of a recorder (NEST's voltmeter)
            for alias, changes in m.aliases.items():
                self._models[alias] = Model(alias, name, "device", {**DEVICES[name], **changes})

    def __contains__(self, name):
        return name in self._models

    def catalogue(self) -> types.MappingProxyType:
        """A read-only copy of the models as they are now (name -> Model): what a description keeps."""
        return types.MappingProxyType(dict(self._models))

    def get(self, name: str, kind: str | None = None) -> Model:
        if not isinstance(name, str):
            raise bad_value(f"{kind or ''} model".strip(), name, "a model name (a string)")
        if name not in self._models or (kind and self._models[name].kind != kind):
            known = [m.name for m in self._models.values() if kind is None or m.kind == kind]
            raise unknown_name(f"{kind or ''} model".strip(), name, known)
        return self._models[name]

    def copy_model(self, existing: str, new: str, params: dict | None = None) -> Model:
        """NEST's ``CopyModel``: a new model whose defaults are ``existing``'s, updated by ``params``
        (checked as ``create``/``connect`` would check them, so a bad default fails here)."""
        old = self.get(existing)
        if not isinstance(new, str) or not new:
            raise bad_value("copy_model: new", new, "a non-empty model name (a string)")
        if new in self._models:
            raise JaxsnnError(f"copy_model: a model named {new!r} exists already; choose another name.")
        model = Model(new, old.base, old.kind, self._updated(old, params, f"copy_model({existing!r}, {new!r})"))
        self._models[new] = model
        return model

    def set_defaults(self, name: str, params: dict) -> Model:
        """NEST's ``SetDefaults``: ``name``'s defaults updated by ``params`` (checked as ``copy_model`` checks
        them), for nodes and connections made afterwards."""
        old = self.get(name)
        model = Model(name, old.base, old.kind, self._updated(old, params, f"SetDefaults({name!r})"))
        self._models[name] = model
        return model

    def _updated(self, old: Model, params, where) -> dict:
        """``old``'s defaults updated by ``params``, checked."""
        defaults = dict(old.defaults)
        # private copies: changing the caller's list or array later must not change the model
        defaults.update({k: copy.deepcopy(v) if isinstance(v, (list, tuple, np.ndarray)) else v
                         for k, v in check_params(old, params or {}, where=where).items()})
        if old.kind == "neuron":
            table = NEURONS[old.base].defaults()
            values = {k: _one(where, k, v, isinstance(table[k], bool)) for k, v in defaults.items()}
            check_neuron(old.base, where, values, self.tics_per_step)
        elif old.kind == "device":
            defaults = check_device(where, old.base, defaults, self.resolution, self.tics_per_step)
        else:
            models.SYNAPSES[old.base].check_defaults(defaults, where)
        for k in ("weight", "delay", "Kplus"):
            if k in (params or {}):
                checks.finite(f"{where}: {k}", checks.floats(f"{where}: {k}", defaults[k]))
        return defaults


def _one(where, name, value, is_bool):
    """A neuron default as a 1-element array for the checks (distributions are checked when drawn)."""
    from ..parameters import Parameter

    if isinstance(value, Parameter):
        return None
    if is_bool:
        return checks.bools(f"{where}: {name}", value).reshape(-1)
    return checks.floats(f"{where}: {name}", value).reshape(-1)


def check_params(model: Model, params: dict, where: str) -> dict:
    """Reject unknown parameter names (suggesting the close one); return ``params`` as a dict."""
    if not isinstance(params, dict):
        raise bad_value(f"{where}: params", params, "a dict mapping parameter names to values")
    for name in params:
        if name not in model.defaults:
            raise unknown_name(f"parameter of {model.name}", name, model.defaults)
    return dict(params)


def check_neuron(base: str, where: str, v: dict, tics_per_step: int):
    """A neuron model's parameters (arrays over nodes; None: drawn later): the model's own checks."""
    from ..models.base import check_calcium

    NEURONS[base].check(v, where, tics_per_step)
    check_calcium(v, where)


def synapse(base: str):
    """The synapse model class of ``base``."""
    return models.SYNAPSES[base]


def check_device(where: str, base: str, v: dict, h: float, tics_per_step: int) -> dict:
    """One device's parameters (scalars and lists), as NEST checks them (the model's ``check``); returns
    a normalised copy (floats, spike times on the grid as NEST stores them, tuples)."""
    return device(base).check(v, where, h, tics_per_step)


def device(base: str):
    """The generator, recorder or transmitter model class of ``base``."""
    return models.GENERATORS.get(base) or models.RECORDERS.get(base) or models.TRANSMITTERS[base]


