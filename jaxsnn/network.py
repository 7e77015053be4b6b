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
from .models import STDP_PARAMS, ModelRegistry, check_params, check_stdp_params
from .nodes import NodeCollection

NEST_DEFAULT_SEED = 143202461
RECORDERS = ("spike_recorder", "multimeter", "weight_recorder")
GENERATORS = ("poisson_generator", "spike_generator")


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
            _check_neuron_params(model, values)
        else:
            values = {**m.defaults, **given}
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
            kinds.add("neuron" if p.base in ("iaf_psc_delta",) else p.base)
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
        if tgt_kind != "neuron" or src_kind not in ("neuron",) + GENERATORS:
            raise JaxsnnError(f"connect: cannot connect {src_kind} to {tgt_kind} (synapses go from neurons or "
                              "generators to neurons; recorders are connected neuron -> spike_recorder and "
                              "multimeter -> neuron).")
        self._conns.append(self._synapses(s, t, syn_spec, src_kind, jax.random.fold_in(key, 1)))

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


def _check_neuron_params(model, v):
    where = f"create({model!r})"
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
        v["spike_times"], v["spike_weights"] = t, w
    if base == "multimeter":
        iv = v["interval"]
        if not (iv > 0 and abs(iv / h - round(iv / h)) < 1e-9):
            raise bad_value(f"{where}: interval", iv, f"a positive multiple of the resolution ({h} ms)")
        rf = tuple(v["record_from"])
        for name in rf:
            if name != "V_m":
                raise unknown_name("recordable of iaf_psc_delta", name, ["V_m"])
