"""Describing a network in NEST's vocabulary, and compiling it to pytrees.

>>> net = Network(resolution=0.1, seed=1)
>>> e = net.create("iaf_psc_delta", 80, params={"V_m": jaxsnn.random.normal(-65.0, 5.0)})
>>> pg = net.create("poisson_generator", params={"rate": 8000.0})
>>> net.connect(e, e, {"rule": "fixed_indegree", "indegree": 10}, {"weight": 0.5, "delay": 1.5})
>>> net.connect(pg, e, syn_spec={"weight": 1.0})
>>> sim = net.build()

A :class:`Network` is a mutable description (like a NEST kernel between ``ResetKernel`` and
``Simulate``); :meth:`Network.build` compiles it into an immutable :class:`~jaxsnn.Simulation`.
Every random draw made here comes from ``jax.random`` with a key derived from ``seed`` and the number
of the call that draws it (or the ``key`` passed to that call).
"""
from __future__ import annotations

import dataclasses
import math

import jax
import numpy as np

from . import connect as rules
from . import random as jrandom
from .errors import JaxsnnError, bad_value, unknown_name
from .models import CURRENT_GENERATORS, NEURONS, STDP_PARAMS, ModelRegistry, check_params, check_stdp_params
from .nodes import NodeCollection

NEST_DEFAULT_SEED = 143202461
RECORDERS = ("spike_recorder", "multimeter", "weight_recorder")
GENERATORS = ("poisson_generator", "spike_generator")  # spike generators


@dataclasses.dataclass
class _Population:
    model: str
    base: str
    first: int  # first node id
    n: int
    params: dict  # name -> np.ndarray[n] (neurons) or scalar/array values (devices)


@dataclasses.dataclass
class _Connections:
    """One connect() call between neurons, or from a generator / to a recorder."""

    source: np.ndarray  # node ids
    target: np.ndarray
    model: str
    weight: np.ndarray
    delay: np.ndarray  # steps
    extra: dict  # per-connection plasticity parameters (stdp_synapse) and Kplus


class Network:
    """A network under construction: populations, devices, synapse models and connections.

    **Arguments:**

    - ``resolution``: the time step h in ms (NEST's ``resolution``; delays and ``t_ref`` become whole
      steps of it).
    - ``seed``: seeds every random draw of construction and, unless :meth:`build` is given another
      one, of the simulation (an int in 1 … 2³²−1; NEST's default 143202461).
    """

    def __init__(self, resolution: float = 0.1, seed: int = NEST_DEFAULT_SEED):
        if not (isinstance(resolution, (int, float)) and resolution > 0 and math.isfinite(resolution)):
            raise bad_value("resolution", resolution, "a positive number of ms")
        tics = resolution * 1000.0
        if abs(tics - round(tics)) > 1e-9 or round(tics) < 1:
            raise bad_value("resolution", resolution, "a multiple of 0.001 ms (NEST's tic)")
        if not (isinstance(seed, (int, np.integer)) and 1 <= seed < 2 ** 32):
            raise bad_value("seed", seed, "an integer in 1 … 2**32 - 1")
        self.resolution = float(resolution)
        self.tics_per_step = int(round(tics))
        self.seed = int(seed)
        self.models = ModelRegistry()
        self._pops: list[_Population] = []
        self._conns: list[_Connections] = []
        self._n_nodes = 0
        self._n_draws = 0

    # ----------------------------------------------------------------------------------- models
    def copy_model(self, existing: str, new: str, params: dict | None = None):
        """NEST's ``CopyModel``: ``new`` gets ``existing``'s defaults updated by ``params``."""
        self.models.copy_model(existing, new, params)

    # ------------------------------------------------------------------------------------ nodes
    def _key(self, key):
        self._n_draws += 1
        return key if key is not None else jax.random.fold_in(jax.random.key(self.seed), self._n_draws)

    def create(self, model: str, n: int = 1, params: dict | None = None, *, key=None) -> NodeCollection:
        """Create ``n`` nodes of ``model``; node ids continue NEST's 1-based numbering.

        Neuron parameters may be scalars, arrays of length ``n`` or :mod:`jaxsnn.random`
        distributions (drawn from ``key``, by default derived from the network's seed).
        """
        m = self.models.get(model)
        if m.kind == "synapse":
            raise JaxsnnError(f"create: {model!r} is a synapse model; use it in connect(syn_spec=...).")
        if not (isinstance(n, (int, np.integer)) and n >= 1):
            raise bad_value("create: n", n, "a whole number >= 1")
        given = check_params(m, params or {}, where=f"create({model!r})")
        key = self._key(key)
        if m.kind == "neuron":
            values = {}
            for i, (name, default) in enumerate(m.defaults.items()):
                v = given.get(name, default)
                dtype = bool if name == "refractory_input" else np.float64
                arr = jrandom.resolve(v, n, f"create({model!r}): params[{name!r}]", jax.random.fold_in(key, i))
                values[name] = np.asarray(arr, dtype=dtype)
            _check_neuron_params(model, values, m.base)
        else:
            values = {**m.defaults, **given}
            if m.base == "step_current_generator" and len({"amplitude_times", "amplitude_values"} & set(given)) == 1:
                raise JaxsnnError(f"create({model!r}): amplitude_times and amplitude_values: Amplitude times and "
                                  "values must be reset together.")
            _check_device_params(model, m.base, values, self.resolution)
        pop = _Population(model, m.base, self._n_nodes + 1, int(n), values)
        self._pops.append(pop)
        self._n_nodes += n
        return NodeCollection(self, np.arange(pop.first, pop.first + n))

    def _pop_of(self, node_id) -> _Population:
        for p in self._pops:
            if p.first <= node_id < p.first + p.n:
                return p
        raise bad_value("node id", int(node_id), f"an id of an existing node (1 … {self._n_nodes})")

    def _kind(self, ids: np.ndarray, what: str) -> str:
        """'neuron', or the base model of the devices, for a set of node ids of one kind."""
        kinds = set()
        for i in np.unique(ids):
            p = self._pop_of(i)
            kinds.add("neuron" if p.base in NEURONS else p.base)
        if len(kinds) != 1:
            raise JaxsnnError(f"connect: {what} mixes node kinds {sorted(kinds)}; connect each kind separately.")
        return kinds.pop()

    # ------------------------------------------------------------------------------ connections
    def connect(self, pre, post, conn_spec=None, syn_spec=None, *, key=None):
        """Connect ``pre`` to ``post`` (NEST's ``Connect``).

        ``pre``/``post`` are NodeCollections, or arrays of node ids with ``"one_to_one"`` (element i
        connects ``pre[i]`` to ``post[i]``; ids may repeat: the path a restore uses). ``syn_spec``
        holds ``synapse_model``, ``weight`` (mV), ``delay`` (ms) and, for ``stdp_synapse``, per-connection
        plasticity parameters, each a scalar, an array over the connections (in rule order) or a
        :mod:`jaxsnn.random` distribution.
        """
        src_ids, tgt_ids = _ids(pre, "pre"), _ids(post, "post")
        spec = rules.normalise(conn_spec)
        arrays_path = not isinstance(pre, NodeCollection) or not isinstance(post, NodeCollection)
        if arrays_path and spec["rule"] != "one_to_one":
            raise JaxsnnError("connect: arrays of node ids need the 'one_to_one' rule; pass NodeCollections "
                              f"for rule {spec['rule']!r}.")
        src_kind, tgt_kind = self._kind(src_ids, "pre"), self._kind(tgt_ids, "post")
        key = self._key(key)
        if arrays_path:
            if len(src_ids) != len(tgt_ids):
                raise JaxsnnError(f"one_to_one needs sources and targets of equal size; got {len(src_ids)} "
                                  f"sources and {len(tgt_ids)} targets.")
            s, t = src_ids, tgt_ids
        else:
            s, t = rules.pairs(spec, src_ids, tgt_ids, jax.random.fold_in(key, 0))
        if tgt_kind in ("spike_recorder",) or src_kind == "multimeter":
            if (src_kind, tgt_kind) not in (("neuron", "spike_recorder"), ("multimeter", "neuron")):
                raise JaxsnnError(f"connect: cannot connect {src_kind} to {tgt_kind}.")
            self._conns.append(_Connections(s, t, src_kind if src_kind == "multimeter" else tgt_kind,
                                            np.zeros(len(s)), np.zeros(len(s), np.int64), {}))
            return
        if tgt_kind != "neuron" or src_kind not in ("neuron",) + GENERATORS + CURRENT_GENERATORS:
            raise JaxsnnError(f"connect: cannot connect {src_kind} to {tgt_kind} (synapses go from neurons or "
                              "generators to neurons; recorders are connected neuron -> spike_recorder and "
                              "multimeter -> neuron).")
        self._conns.append(self._synapses(s, t, syn_spec, src_kind, jax.random.fold_in(key, 1)))
        _check_receptor(self, self._conns[-1], src_kind)

    def _synapses(self, s, t, syn_spec, src_kind, key) -> _Connections:
        syn_spec = dict(syn_spec or {})
        name = syn_spec.pop("synapse_model", "static_synapse")
        m = self.models.get(name, "synapse")
        if src_kind != "neuron" and m.base != "static_synapse":
            raise JaxsnnError(f"connect: {src_kind} connections must use a static synapse, not {name!r}.")
        where = f"connect(syn_spec) for {name!r}"
        check_params(m, syn_spec, where)
        if "weight_recorder" in syn_spec:
            raise JaxsnnError(f"{where}: set 'weight_recorder' with copy_model(..., {{'weight_recorder': wr}}).")
        if m.base == "stdp_synapse_hom":
            shared = [k for k in syn_spec if k in STDP_PARAMS]
            if shared:
                raise JaxsnnError(f"{where}: {shared} are common properties of stdp_synapse_hom; set them "
                                  f"with copy_model('stdp_synapse_hom', 'my_syn', {{...}}).")
        receptor = syn_spec.pop("receptor_type", m.defaults.get("receptor_type", 0))
        n = len(s)
        values = {}
        for i, pname in enumerate(("delay", "weight", "Kplus") + (STDP_PARAMS if m.base == "stdp_synapse" else ())):
            if pname not in m.defaults:
                continue
            values[pname] = np.asarray(jrandom.resolve(syn_spec.get(pname, m.defaults[pname]), n,
                                                       f"{where}: {pname}", jax.random.fold_in(key, i)), np.float64)
        for pname, v in values.items():
            if np.isnan(v).any():
                raise bad_value(f"{where}: {pname}", "NaN", "numbers, not NaN")
        delay = delay_steps(values.pop("delay"), self.resolution, self.tics_per_step, where)
        weight = values.pop("weight")
        if m.base == "stdp_synapse":
            if (values["Kplus"] < 0).any():
                raise bad_value(f"{where}: Kplus", float(values["Kplus"].min()), "Kplus >= 0")
            if ((weight >= 0) != (values["Wmax"] >= 0)).any():
                i = int(np.argmax((weight >= 0) != (values["Wmax"] >= 0)))
                raise JaxsnnError(f"{where}: weight={weight[i]} and Wmax={values['Wmax'][i]} must have the same "
                                  "sign (stdp_synapse checks this; 0 counts as positive).")
            check_stdp_params("stdp_synapse", {k: float(np.min(values[k])) for k in STDP_PARAMS}, where)
        if receptor:
            values["receptor_type"] = receptor
        return _Connections(s, t, name, weight, delay, values)

    # ------------------------------------------------------------------------------------ build
    def build(self, seed=None, **options):
        """Compile to an immutable :class:`~jaxsnn.Simulation` at time 0: :func:`jaxsnn.build` (``seed``:
        an int or a ``jax.random.key`` for the simulation's random streams, default the network's seed;
        ``differentiable``, ``chunk_steps``, ``devices`` and capacities as documented there)."""
        from .simulation import build  # the runner builds on this description, not the other way round

        return build(self, seed=seed, **options)


def _ids(x, what) -> np.ndarray:
    if isinstance(x, NodeCollection):
        return x.ids
    arr = np.asarray(x)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise bad_value(f"connect: {what}", x, "a NodeCollection or a 1-d array of integer node ids")
    return arr.astype(np.int64)


def delay_steps(delay_ms: np.ndarray, h: float, tics_per_step: int, where: str) -> np.ndarray:
    """Delays in whole steps, rounded half up as NEST does; below one step is an error."""
    tics = np.floor(np.asarray(delay_ms) * 1000.0 + 0.5)
    steps = np.floor(tics / tics_per_step + 0.5).astype(np.int64)
    if (steps < 1).any():
        bad = float(np.asarray(delay_ms)[np.argmax(steps < 1)])
        raise bad_value(f"{where}: delay", bad, f"a delay of at least the resolution ({h} ms)")
    return steps


# NEST's checks of iaf_psc_exp and iaf_psc_alpha, in NEST's order, with NEST's messages
PSC_CHECKS = {
    "iaf_psc_exp": (
        (lambda v: v["V_reset"] >= v["V_th"], "V_reset/V_th", "Reset potential must be smaller than threshold."),
        (lambda v: v["C_m"] <= 0, "C_m", "Capacitance must be strictly positive."),
        (lambda v: (v["tau_m"] <= 0) | (v["tau_syn_ex"] <= 0) | (v["tau_syn_in"] <= 0), "tau_m/tau_syn_ex/tau_syn_in",
         "Membrane and synapse time constants must be strictly positive."),
        (lambda v: v["t_ref"] < 0, "t_ref", "Refractory time must not be negative."),
        (lambda v: v["rho"] < 0, "rho", "Stochastic firing intensity must not be negative."),
        (lambda v: v["delta"] < 0, "delta", "Width of threshold region must not be negative."),
    ),
    "iaf_psc_alpha": (
        (lambda v: v["C_m"] <= 0, "C_m", "Capacitance must be > 0."),
        (lambda v: v["tau_m"] <= 0, "tau_m", "Membrane time constant must be > 0."),
        (lambda v: (v["tau_syn_ex"] <= 0) | (v["tau_syn_in"] <= 0), "tau_syn_ex/tau_syn_in",
         "All synaptic time constants must be > 0."),
        (lambda v: v["t_ref"] < 0, "t_ref", "The refractory time t_ref can't be negative."),
        (lambda v: v["V_reset"] >= v["V_th"], "V_reset/V_th", "Reset potential must be smaller than threshold."),
    ),
}


def _check_psc_params(model, base, v):
    where = f"create({model!r})"
    for name, arr in v.items():
        if np.isnan(arr).any():
            raise bad_value(f"{where}: {name}", "NaN", "numbers, not NaN")
    for test, names, message in PSC_CHECKS[base]:
        bad = test(v)
        if bad.any():
            i = int(np.argmax(bad))
            values = ", ".join(f"{k}={v[k][i]}" for k in names.split("/"))
            raise JaxsnnError(f"{where}: {values}: {message} (NEST's check for {base})")
    if (v["tau_minus"] <= 0).any():
        raise bad_value(f"{where}: tau_minus", float(v["tau_minus"].min()), "tau_minus > 0")
    if base == "iaf_psc_exp" and (v["delta"] > 1e-10).any():
        raise bad_value(f"{where}: delta", float(v["delta"].max()), "0 (NEST's escape noise, delta > 0, is not "
                        "simulated by jaxsnn)")


def _check_receptor(net, conn, src_kind):
    """receptor_type: 0 everywhere; 1 only for current generators onto iaf_psc_exp (its filtered input)."""
    r = conn.extra.get("receptor_type", 0)
    if not r:
        return
    bases = {net._pop_of(i).base for i in np.unique(conn.target)}
    if not (r == 1 and ((src_kind in CURRENT_GENERATORS and bases == {"iaf_psc_exp"})
                        or (src_kind == "neuron" and bases == {"parrot_neuron"}))):
        raise bad_value("connect(syn_spec): receptor_type", r, f"a receptor of the target ({sorted(bases)}: 0; "
                        "iaf_psc_exp also 1 for current generators; parrot_neuron 1 for neuron spikes it does "
                        "not repeat)")


def _check_neuron_params(model, v, base="iaf_psc_delta"):
    if base in PSC_CHECKS:
        return _check_psc_params(model, base, v)
    where = f"create({model!r})"
    if base == "parrot_neuron":
        if (v["tau_minus"] <= 0).any():
            raise bad_value(f"{where}: tau_minus", float(v["tau_minus"].min()), "tau_minus > 0")
        return
    for name, arr in v.items():
        if name != "refractory_input" and np.isnan(arr).any():
            raise bad_value(f"{where}: {name}", "NaN", "numbers, not NaN")
    for name in ("tau_m", "C_m", "tau_minus"):
        if (v[name] <= 0).any():
            raise bad_value(f"{where}: {name}", float(v[name][np.argmax(v[name] <= 0)]), f"{name} > 0")
    if (v["t_ref"] < 0).any():
        raise bad_value(f"{where}: t_ref", float(v["t_ref"].min()), "t_ref >= 0 ms")
    if (v["V_reset"] >= v["V_th"]).any():
        i = int(np.argmax(v["V_reset"] >= v["V_th"]))
        raise JaxsnnError(f"{where}: V_reset={v['V_reset'][i]} must be below V_th={v['V_th'][i]} (mV).")


def _check_device_params(model, base, v, h):
    where = f"create({model!r})"
    for name in ("origin", "start", "stop"):
        if name in v:
            x = v[name]
            if not (isinstance(x, (int, float)) and not math.isnan(x)):
                raise bad_value(f"{where}: {name}", x, "a time in ms")
            if math.isfinite(x) and abs(x / h - round(x / h)) > 1e-9:
                raise bad_value(f"{where}: {name}", x, f"a multiple of the resolution ({h} ms)")
    if base == "poisson_generator":
        r = v["rate"]
        if not (isinstance(r, (int, float)) and r >= 0 and math.isfinite(r)):
            raise bad_value(f"{where}: rate", r, "a rate >= 0 Hz")
    if base == "spike_generator":
        t = np.asarray(v["spike_times"], float).ravel()
        w = np.asarray(v["spike_weights"], float).ravel()
        if np.isnan(t).any() or (np.diff(t) < 0).any():
            raise bad_value(f"{where}: spike_times", t.tolist(), "non-decreasing times in ms")
        if len(w) and len(w) != len(t):
            raise bad_value(f"{where}: spike_weights", f"<{len(w)} weights>", f"one weight per spike time ({len(t)})")
        steps = t / h
        if (np.abs(steps - np.round(steps)) > 1e-6).any() or (np.round(steps) < 1).any():
            bad = float(t[np.argmax((np.abs(steps - np.round(steps)) > 1e-6) | (np.round(steps) < 1))])
            raise bad_value(f"{where}: spike_times", bad, f"times > 0 on the grid of the resolution ({h} ms)")
        m = np.asarray(v.get("spike_multiplicities", ()), float).ravel()
        if len(m) and (len(m) != len(t) or (m < 0).any() or (m != np.round(m)).any()):
            raise bad_value(f"{where}: spike_multiplicities", m.tolist(),
                            f"one whole number >= 0 per spike time ({len(t)})")
        v["spike_times"], v["spike_weights"] = t, w
    if base == "multimeter":
        iv = v["interval"]
        if not (iv > 0 and abs(iv / h - round(iv / h)) < 1e-9):
            raise bad_value(f"{where}: interval", iv, f"a positive multiple of the resolution ({h} ms)")
        off = v["offset"]
        if not (off == 0 or (off >= h and abs(off / h - round(off / h)) < 1e-9)):
            raise bad_value(f"{where}: offset", off, f"0 or a positive multiple of the resolution ({h} ms)")
        rf = tuple(v["record_from"])
        known = ("V_m", "I_syn_ex", "I_syn_in")
        for name in rf:
            if name not in known:
                raise unknown_name("recordable", name, known)
        v["record_from"] = rf
    if base in CURRENT_GENERATORS:
        _check_current_generator(where, base, v, h)


def _check_current_generator(where, base, v, h):
    """NEST's checks of dc_generator, step_current_generator and noise_generator (BadProperty messages)."""
    if math.isfinite(v["stop"]) and v["stop"] < v["start"]:
        raise bad_value(f"{where}: stop", v["stop"], f"stop >= start required (start {v['start']} ms)")
    if base == "dc_generator":
        if not (isinstance(v["amplitude"], (int, float)) and math.isfinite(v["amplitude"])):
            raise bad_value(f"{where}: amplitude", v["amplitude"], "a current in pA")
    elif base == "step_current_generator":
        t = np.asarray(v["amplitude_times"], float).ravel()
        a = np.asarray(v["amplitude_values"], float).ravel()
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
        steps = step_current_steps(t, tps, v["allow_offgrid_times"])
        if (np.diff(steps) <= 0).any():
            raise bad_value(f"{where}: amplitude_times", t.tolist(), "step_current_generator: amplitude times must be "
                            "at strictly increasing time steps.")
        v["amplitude_times"], v["amplitude_values"] = t, a
    else:  # noise_generator
        for name in ("mean", "std", "std_mod", "frequency", "phase"):
            if not (isinstance(v[name], (int, float)) and math.isfinite(v[name])):
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
