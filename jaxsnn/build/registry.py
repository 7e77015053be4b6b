"""Model catalogue: NEST 3.10's names, defaults and units (ms, mV, pA, pF, Hz).

A :class:`ModelRegistry` belongs to one :class:`~jaxsnn.Network` and holds the base models plus the
user's copies (NEST's ``CopyModel``); copies have their own defaults and never change the original.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import sys
import types

import numpy as np

from ..errors import JaxsnnError, bad_value, unknown_name
from . import checks

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
STDP_PL_PARAMS = ("tau_plus", "lambda", "alpha", "mu")
STDP_PL_DEFAULTS = {"tau_plus": 20.0, "lambda": 0.1, "alpha": 1.0, "mu": 0.4}

SYNAPSES = {
    "static_synapse": {"weight": 1.0, "delay": 1.0, "weight_recorder": None, "receptor_type": 0},
    # plasticity parameters are common to all connections of the (copied) model
    "stdp_synapse_hom": {"weight": 1.0, "delay": 1.0, "Kplus": 0.0, "weight_recorder": None, "receptor_type": 0,
                         **STDP_DEFAULTS},
    # plasticity parameters per connection
    "stdp_synapse": {"weight": 1.0, "delay": 1.0, "Kplus": 0.0, "weight_recorder": None, "receptor_type": 0,
                     **STDP_DEFAULTS},
    # power-law STDP (jaxsnn.core.stdp_family); its rule parameters are common properties
    "stdp_pl_synapse_hom": {"weight": 1.0, "delay": 1.0, "Kplus": 0.0, "weight_recorder": None, "receptor_type": 0,
                            **STDP_PL_DEFAULTS},
    # a static synapse whose weight is a common property
    "static_synapse_hom_w": {"weight": 1.0, "delay": 1.0, "weight_recorder": None, "receptor_type": 0},
}
# NEST's *_hpc variants store targets more compactly; they compute the same numbers
HPC_ALIASES = {f"{name}_hpc": name for name in SYNAPSES if name != "stdp_synapse_hom"} | {
    "stdp_synapse_hom_hpc": "stdp_synapse_hom"}
# properties that a homogeneous model keeps common to all its connections (CopyModel/SetDefaults only)
COMMON_PROPERTIES = {"stdp_synapse_hom": STDP_PARAMS, "stdp_pl_synapse_hom": STDP_PL_PARAMS,
                     "static_synapse_hom_w": ("weight",)}

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
SPIKE_GENERATORS = ("poisson_generator", "spike_generator")


@dataclasses.dataclass(frozen=True)
class Model:
    name: str
    base: str  # the built-in model it derives from
    kind: str  # "neuron" | "synapse" | "device"
    defaults: dict


# device parameters whose one value is a list (the rest are scalars; an array of those is per node)
VECTOR_PARAMS = ("spike_times", "spike_weights", "spike_multiplicities", "record_from", "senders", "targets",
                 "amplitude_times", "amplitude_values")


class ModelRegistry:
    """Built-in models plus copies made with :meth:`copy_model`.

    ``resolution`` (ms) and ``tics_per_step`` let :meth:`copy_model` check device times on the grid,
    as NEST's CopyModel does.
    """

    def __init__(self, resolution: float = 0.1, tics_per_step: int = 100):
        self.resolution, self.tics_per_step = resolution, tics_per_step
        self._models: dict[str, Model] = {}
        for kind, table in (("neuron", NEURONS), ("synapse", SYNAPSES), ("device", DEVICES)):
            for name, defaults in table.items():
                self._models[name] = Model(name, name, kind, dict(defaults))
        for alias, name in HPC_ALIASES.items():
            self._models[alias] = Model(alias, name, "synapse", dict(SYNAPSES[name]))
        # NEST's voltmeter is a multimeter whose record_from is ["V_m"]
        self._models["voltmeter"] = Model("voltmeter", "multimeter", "device", dict(DEVICES["multimeter"]))

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
        where = f"copy_model({existing!r}, {new!r})"
        defaults = dict(old.defaults)
        # private copies: changing the caller's list or array later must not change the model
        defaults.update({k: copy.deepcopy(v) if isinstance(v, (list, tuple, np.ndarray)) else v
                         for k, v in check_params(old, params or {}, where=where).items()})
        if old.kind == "neuron":
            check_neuron(where, {k: _one(where, k, v) for k, v in defaults.items()}, self.tics_per_step)
        elif old.kind == "device":
            defaults = check_device(where, old.base, defaults, self.resolution, self.tics_per_step)
        elif old.base in ("stdp_synapse", "stdp_synapse_hom", "stdp_pl_synapse_hom"):
            names = STDP_PL_PARAMS if old.base == "stdp_pl_synapse_hom" else STDP_PARAMS
            check_stdp_params(old.base, {k: checks.floats(f"{where}: {k}", defaults[k]) for k in names}, where)
        for k in ("weight", "delay", "Kplus"):
            if k in (params or {}):
                checks.finite(f"{where}: {k}", checks.floats(f"{where}: {k}", defaults[k]))
        model = Model(new, old.base, old.kind, defaults)
        self._models[new] = model
        return model


def _one(where, name, value):
    """A neuron default as a 1-element array for the checks (distributions are checked when drawn)."""
    from ..parameters import Parameter

    if isinstance(value, Parameter):
        return None
    if name == "refractory_input":
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


def check_neuron(where: str, v: dict, tics_per_step: int):
    """iaf_psc_delta's parameters (arrays over nodes): NEST's rules, plus finiteness where an infinity
    makes the update undefined (tau_m = inf gives P30 = 0·inf = NaN; V_th = +inf and V_min = -inf are
    legal and mean 'never' and 'no bound')."""
    v = {k: a for k, a in v.items() if a is not None}
    for name, arr in v.items():
        if name != "refractory_input":
            checks.finite(f"{where}: {name}", arr, allow_pos_inf=name == "V_th", allow_neg_inf=name == "V_min")
    for name in ("tau_m", "C_m", "tau_minus"):
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


def check_neuron_model(base: str, where: str, v: dict, tics_per_step: int) -> None:
    """The one validation path of a neuron population's parameters (arrays over its nodes), for
    ``create``, ``Network.set`` and ``Simulation.set``: the model's own NEST checks with NEST's messages
    (names missing from ``v`` take the model's defaults there), then :func:`check_neuron`'s common rules."""
    from .network import PSC_CHECKS, _check_psc_params

    if base in PSC_CHECKS:
        n = len(next(iter(v.values())))
        full = {k: np.full(n, float(d)) for k, d in NEURONS[base].items()
                if isinstance(d, (int, float)) and not isinstance(d, bool) and k not in v}
        _check_psc_params(None, base, {**full, **v}, where)
        if base == "iaf_psc_alpha":
            _check_alpha_propagators(where, {**full, **v}, tics_per_step / 1000)
    check_neuron(where, v, tics_per_step)


def _check_alpha_propagators(where, v, h):
    """NEST's iaf_psc_alpha propagator P31 is NaN where exp(h (1/tau_syn − 1/tau_m)) overflows a double
    (and the regular branch is taken): refuse those time constants instead of simulating NaN."""
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


def check_stdp_params(base: str, p: dict, where: str):
    """The plasticity parameters (scalars or arrays over connections). NEST accepts any tau_plus and
    Wmax; jaxsnn accepts what keeps the arithmetic defined: tau_plus >= 0 (0: the trace is gone before
    the next event, e^(-inf) = 0) and any finite Wmax (Wmax = 0 follows NEST's NaN rules: the first
    update sets the weight to 0). Infinite or NaN parameters and tau_plus < 0 (traces growing without
    bound) are refused."""
    for name in p:
        checks.finite(f"{where}: {name}", np.asarray(p[name], np.float64))
    tau = np.asarray(p["tau_plus"], np.float64)
    checks.first_bad(f"{where}: tau_plus", tau, tau < 0, "tau_plus >= 0 ms")


def check_device(where: str, base: str, v: dict, h: float, tics_per_step: int) -> dict:
    """One device's parameters (scalars and lists), as NEST checks them; returns a normalised copy
    (floats, spike times on the grid as NEST stores them, tuples)."""
    v = dict(v)
    for name in ("origin", "start", "stop"):
        if name in v:
            x = checks.number(f"{where}: {name}", v[name], "a time in ms (a number, not NaN)")
            if name != "stop" and not math.isfinite(x):
                raise bad_value(f"{where}: {name}", v[name], "a finite time in ms")
            if x < 0:
                raise bad_value(f"{where}: {name}", v[name], "a time >= 0 ms")
            if math.isfinite(x) and checks.tics(x) % tics_per_step:
                raise bad_value(f"{where}: {name}", v[name], f"a multiple of the resolution ({h} ms)")
            v[name] = x
    if "stop" in v:
        if v["stop"] < v["start"]:
            raise JaxsnnError(f"{where}: stop={v['stop']} must be >= start={v['start']} (ms; NEST: 'stop >= start "
                              "required').")
        for end in ("start", "stop"):
            at = v["origin"] + v[end]
            if math.isfinite(at) and round(at / h) > checks.MAX_WINDOW_STEPS:
                raise bad_value(f"{where}: origin + {end}", at, f"at most {checks.MAX_WINDOW_STEPS} steps "
                                f"({checks.MAX_WINDOW_STEPS * h} ms; device windows are int32 steps), or stop=inf")
    if base == "poisson_generator":
        v["rate"] = checks.number(f"{where}: rate", v["rate"], "a finite rate >= 0 Hz",
                                  lambda r: 0 <= r < math.inf)
        _check_poisson_terms(where, v["rate"], h)
    if base == "spike_generator":
        v["spike_times"], v["spike_weights"] = _spike_times(where, v, h, tics_per_step)
        m = np.asarray(v.get("spike_multiplicities", ()), float).ravel()
        t = v["spike_times"]
        if len(m) and (len(m) != len(t) or (m < 0).any() or (m != np.round(m)).any()):
            raise bad_value(f"{where}: spike_multiplicities", m.tolist(),
                            f"one whole number >= 0 per spike time ({len(t)})")
        if "spike_multiplicities" in v:
            v["spike_multiplicities"] = tuple(m.tolist())
    if base in CURRENT_GENERATORS:
        _check_current_generator(where, base, v, h)
    if base == "multimeter":
        iv = checks.number(f"{where}: interval", v["interval"], "a positive multiple of the resolution (ms)",
                           lambda x: 0 < x < math.inf)
        if checks.tics(iv) % tics_per_step or round(iv / h) > checks.MAX_WINDOW_STEPS:
            raise bad_value(f"{where}: interval", iv, f"a positive multiple of the resolution ({h} ms)")
        v["interval"] = iv
        off = checks.number(f"{where}: offset", v.get("offset", 0.0), "0 or a positive multiple of the resolution")
        if not (off == 0 or (off >= h and not checks.tics(off) % tics_per_step)):
            raise bad_value(f"{where}: offset", off, f"0 or a positive multiple of the resolution ({h} ms)")
        if "offset" in v:
            v["offset"] = off
        rf = v["record_from"]
        if isinstance(rf, str) or not isinstance(rf, (list, tuple)):
            raise bad_value(f"{where}: record_from", rf, "a list of recordable names, e.g. ['V_m']")
        for name in rf:
            known = sorted({r for rs in RECORDABLES.values() for r in rs})
            if name not in known:
                raise unknown_name("recordable", name, known)
        v["record_from"] = tuple(rf)
    if base == "weight_recorder":
        for name in ("senders", "targets"):
            x = v[name]
            if x is not None and not hasattr(x, "ids"):
                v[name] = checks.node_ids(f"{where}: {name}", x, None)
            elif x is not None:
                checks.node_ids(f"{where}: {name}", x.ids, None)
    return v


def _spike_times(where, v, h, tics_per_step):
    """NEST's rule for spike_generator times (precise_times False, allow_offgrid_times False): a time is
    rounded to the nearest tic (1 µs, half up) and must then lie on the grid, in steps 1 … 2**31 - 2
    (so 1.0004 ms becomes 1.0 ms and 1.0005 ms is an error at h = 0.1 ms, as in NEST)."""
    raw_t, raw_w = v["spike_times"], v["spike_weights"]
    for name, raw in (("spike_times", raw_t), ("spike_weights", raw_w)):
        if np.ndim(raw) > 1 or (isinstance(raw, (list, tuple)) and any(np.ndim(x) for x in raw)):
            raise bad_value(f"{where}: {name}", _short(raw), "one flat list for every generator of the call; "
                            "for per-generator values pass params=[{...}, {...}] (one dict per node), as in NEST")
    t = checks.floats(f"{where}: spike_times", raw_t).reshape(-1)
    w = checks.floats(f"{where}: spike_weights", raw_w).reshape(-1)
    if np.isnan(t).any() or np.isinf(t).any():
        raise bad_value(f"{where}: spike_times", float(t[~np.isfinite(t)][0]), "finite times in ms")
    if (np.diff(t) < 0).any():
        raise bad_value(f"{where}: spike_times", _short(t.tolist()), "times sorted in non-descending order")
    tic = checks.tics(t)
    steps = tic // tics_per_step
    off = (tic % tics_per_step != 0) | (steps < 1)
    if off.any():
        raise bad_value(f"{where}: spike_times", float(t[np.argmax(off)]),
                        f"times > 0 ms on the grid of the resolution ({h} ms), to the nearest µs")
    checks.first_bad(f"{where}: spike_times", t, steps > checks.MAX_SPIKE_STEP,
                     f"at most {checks.MAX_SPIKE_STEP} steps ({checks.MAX_SPIKE_STEP * h} ms; stamps are int32)")
    if len(w) and len(w) != len(t):
        raise bad_value(f"{where}: spike_weights", f"<{len(w)} weights>",
                        f"one weight per spike time ({len(t)}) or none")
    checks.finite(f"{where}: spike_weights", w)
    return 0.001 * tic, w  # NEST's Time::get_ms of the grid time


def _short(x):
    s = repr(x)
    return x if len(s) < 80 else s[:77] + "..."


def _check_poisson_terms(where, rate, h):
    from ..core.rng import MAX_POISSON_TERMS, n_terms_for

    mu = rate * h * 1e-3
    if mu > MAX_POISSON_TERMS or n_terms_for(mu) > MAX_POISSON_TERMS:
        raise bad_value(f"{where}: rate", rate, f"a rate whose mean count per step (rate·h = {mu:.4g}) needs at most "
                        f"{MAX_POISSON_TERMS} Poisson table terms (about {_max_rate(h):.4g} Hz at h = {h} ms); "
                        "split it over several poisson_generators")


def _max_rate(h):
    from ..core.rng import MAX_POISSON_TERMS, n_terms_for

    lo, hi = 0.0, float(MAX_POISSON_TERMS)
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if n_terms_for(mid) <= MAX_POISSON_TERMS else (lo, mid)
    return lo / (h * 1e-3)


def _check_current_generator(where, base, v, h):
    """NEST's checks of dc_generator, step_current_generator and noise_generator (BadProperty messages)."""
    if math.isfinite(v["stop"]) and v["stop"] < v["start"]:
        raise bad_value(f"{where}: stop", v["stop"], f"stop >= start required (start {v['start']} ms)")
    if base == "dc_generator":
        if not _real(v["amplitude"]):
            raise bad_value(f"{where}: amplitude", v["amplitude"], "a current in pA (a finite number)")
    elif base == "step_current_generator":
        t = _flat_floats(f"{where}: amplitude_times", v["amplitude_times"], "times in ms")
        a = _flat_floats(f"{where}: amplitude_values", v["amplitude_values"], "currents in pA")
        checks.finite(f"{where}: amplitude_values", a)
        checks.first_bad(f"{where}: amplitude_times", t, np.isinf(t), "finite times in ms")
        if len(t) != len(a):
            raise bad_value(f"{where}: amplitude_values", f"<{len(a)} values>",
                            f"one value per amplitude time ({len(t)}): Amplitude times and values have to be "
                            "the same size.")
        if (t <= 0).any() or np.isnan(t).any():
            raise bad_value(f"{where}: amplitude_times", float(t[np.argmax(~(t > 0))]),
                            "times > 0: Amplitude can only be changed at strictly positive times (t > 0).")
        tps = round(h * 1000)
        tics = np.floor(t * 1000 + 0.5).astype(np.int64)
        if not v["allow_offgrid_times"] and (tics % tps).any():
            raise bad_value(f"{where}: amplitude_times", float(t[np.argmax(tics % tps != 0)]),
                            f"times on the grid of the resolution ({h} ms), or allow_offgrid_times=True: "
                            "step_current_generator: Time point is not representable in current resolution.")
        checks.first_bad(f"{where}: amplitude_times", t, t / h > checks.MAX_SPIKE_STEP + 1,
                         f"at most {checks.MAX_SPIKE_STEP} steps ({checks.MAX_SPIKE_STEP * h:.6g} ms): the schedule's "
                         "steps are int32, and a later time would wrap around")
        steps = step_current_steps(t, tps, v["allow_offgrid_times"])
        checks.first_bad(f"{where}: amplitude_times", t, steps > checks.MAX_SPIKE_STEP,
                         f"at most {checks.MAX_SPIKE_STEP} steps ({checks.MAX_SPIKE_STEP * h:.6g} ms): the schedule's "
                         "steps are int32, and a later time would wrap around")
        if (np.diff(steps) <= 0).any():
            raise bad_value(f"{where}: amplitude_times", t.tolist(), "step_current_generator: amplitude times must be "
                            "at strictly increasing time steps.")
        v["amplitude_times"], v["amplitude_values"] = t, a
    else:  # noise_generator
        for name in ("mean", "std", "std_mod", "frequency", "phase"):
            if not _real(v[name]):
                raise bad_value(f"{where}: {name}", v[name], "a finite number")
        if v["std"] < 0 or v["std_mod"] < 0:
            raise bad_value(f"{where}: std/std_mod", (v["std"], v["std_mod"]), "The standard deviation cannot be "
                            "negative.")
        if v["std_mod"] > v["std"]:
            raise bad_value(f"{where}: std_mod", v["std_mod"], f"std_mod <= std ({v['std']}): The modulation "
                            "amplitude must be smaller or equal to the baseline amplitude.")
        if v["dt"] is None:
            v["dt"] = 10 * h
        dt = v["dt"]
        if not (isinstance(dt, (int, float)) and dt > 0 and abs(dt / h - round(dt / h)) < 1e-9):
            raise bad_value(f"{where}: dt", dt, f"a positive multiple of the resolution {h} ms (NEST: "
                            "StepMultipleRequired)")


def _real(x) -> bool:
    """A finite real number: Python's or NumPy's (np.float32 included), not a bool or a string."""
    return (isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))
            and math.isfinite(x))


def _flat_floats(where, value, what) -> np.ndarray:
    """A schedule's list of numbers (one flat list; strings, bools and nested lists are refused)."""
    a = checks.floats(where, value)
    if a.ndim > 1:
        raise bad_value(where, checks._show(value), f"one flat list of {what}")
    return a.reshape(-1)


def step_current_steps(times, tics_per_step, offgrid) -> np.ndarray:
    """step_current_generator times as steps: on the grid (tics rounded half up, then up to steps), or
    with allow_offgrid_times NEST's Time::ms_stamp (the first grid point >= t)."""
    out = []
    for t in np.asarray(times, float):
        if offgrid:
            n = int(t * 1000)
            n -= n % tics_per_step
            if n / tics_per_step * (tics_per_step / 1000) < t:
                n += tics_per_step
            out.append(n // tics_per_step)
        else:
            tics = math.floor(t * 1000 + 0.5)
            out.append(-(-tics // tics_per_step))
    return np.asarray(out, np.int64)
