"""The host runner: a compiled network at one moment of simulated time, and how to advance it.

:class:`Simulation` bundles ``model`` (static spec and topology), the ``params`` and ``state`` pytrees
of :mod:`jaxsnn.core`, the host-side :class:`~jaxsnn.compile.Layout` and what the recorders have
gathered so far. It is immutable: :func:`simulate` returns a new one. The loop runs on the device in
chunks of ``chunk_steps`` steps; after each chunk the recorder buffers are moved to the host, and any
exceeded capacity is grown and the chunk recomputed from its start (nothing is dropped). With several
devices (``devices``), the neurons are split over them (:mod:`jaxsnn.sharding`), with the same results.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from .. import checks
from ..build.dense import plan as dense_plan
from ..build.lower import Layout, compile_network
from ..core import engine, recorders
from ..core.host import release
from ..core.status import Overflow
from ..core.surrogate import default_for
from ..core.types import Model, Params, Spec, State
from ..errors import CapacityError, JaxsnnError, bad_value
from ..models import GENERATORS, RECORDERS
from ..models.base import ARCHIVING, CALCIUM, STDP_ARCHIVE, check_calcium
from . import frames, generators, post_log, programs, projection, sharding
from . import progress as progress_bar

if TYPE_CHECKING:
    import pandas as pd

class _Host:
    """A Simulation's host-side parts as pytree auxiliary data: equal when they are the same objects
    (the layout holds NumPy arrays, which have no hash of their value)."""

    def __init__(self, *values):
        self.values = values

    def __eq__(self, other):
        return isinstance(other, _Host) and all(a is b or (type(a) in (int, type(None)) and a == b)
                                                for a, b in zip(self.values, other.values))

    def __hash__(self):
        return hash(tuple(v if type(v) in (int, type(None)) else id(v) for v in self.values))


MAX_GROWTHS = 32  # capacities double per growth: 2**32 times the initial size is never needed


@jax.tree_util.register_pytree_node_class
@dataclasses.dataclass(frozen=True)
class Simulation:
    """A compiled network and its state; see :func:`build` and :func:`simulate`.

    A pytree: ``model``, ``params`` and ``state`` are its children (``model``'s spec is static), the
    host-side rest (layout, records, options) its auxiliary data, compared by identity. So
    ``jax.jit(f)(sim)``, ``jax.vmap`` with ``in_axes`` and ``equinox.filter_jit`` take it whole.
    """

    model: Model
    params: Params
    state: State
    layout: Layout
    records: dict = dataclasses.field(default_factory=dict)  # recorder node id -> tuple of column dicts
    chunk_steps: int = 10000
    devices: int | None = None  # devices to split the neurons over; None: all of jax.devices()
    gather: bool = True  # past one process: every process gets every recorder's events (False: its own part)
    # the sharding plan of the last run, valid while params and model are the same objects
    _plan: tuple = dataclasses.field(default=(), repr=False, compare=False)

    def tree_flatten(self):
        return (self.model, self.params, self.state), _Host(self.layout, self.records, self.chunk_steps,
                                                            self.devices, self.gather, self._plan)

    @classmethod
    def tree_unflatten(cls, host, children):
        return cls(*children, *host.values)

    @property
    def spec(self) -> Spec:
        return self.model.spec

    def index(self, nodes):
        """Neuron index of each neuron of ``nodes`` (node ids or a NodeCollection), as in ``state.spikes[:,
        sim.index(nodes)]``. Generators, recorders and ids outside the network are refused by id."""
        return projection.index(self.layout, nodes)

    def projection(self, source, target, synapse_model=None) -> projection.Projection:
        """The weights from ``source`` to ``target`` neurons as a view (:mod:`jaxsnn.run.projection`):
        ``get``/``set`` a flat vector, ``matrix``/``with_matrix`` [len(source), len(target)]."""
        return projection.projection(self, source, target, synapse_model)

    @property
    def time(self) -> float:
        """Simulated time in ms, as NEST's clock gives it: 0.001 × tics (steps × tics per step)."""
        return 0.001 * (int(self.state.step) * self.spec.time.tics_per_step)

    def steps(self, t_ms: float, name: str = "t") -> int:
        n = t_ms / self.spec.time.resolution if isinstance(t_ms, (int, float, np.number)) else math.nan
        if not (np.isfinite(n) and n >= 0 and abs(n - round(n)) < 1e-9):
            h = self.spec.time.resolution
            raise bad_value(name, t_ms, f"a duration >= 0 that is a whole number of steps of {h} ms")
        return int(round(n))

    def replace(self, **kw) -> Simulation:
        return dataclasses.replace(self, **kw)

    # ------------------------------------------------------------------------- NEST's verbs
    def get(self, nodes=None, names=("V_m",)) -> pd.DataFrame:
        """Neuron parameters and state as a frame indexed by node id (NEST's ``get``)."""
        return frames.get(self, nodes, names)

    def connections(self, synapse_model=None, source=None, target=None, devices=True) -> pd.DataFrame:
        """NEST's ``GetConnections`` as a frame (see :func:`jaxsnn.frames.connections`)."""
        return frames.connections(self, synapse_model, source, target, devices)

    def events(self, recorder) -> pd.DataFrame:
        """What ``recorder`` (spike_recorder, multimeter or weight_recorder) gathered, as NEST's ``events``."""
        return frames.events(self, recorder)

    def set(self, nodes, params: dict | list) -> Simulation:
        """This simulation with neuron parameters or V_m of ``nodes`` changed (NEST's ``nodes.set``):
        ``params`` maps NEST names to a scalar or one value per node, or is a list of one dict per node
        (NEST's forms). Every value is checked as :meth:`jaxsnn.Network.create` checks it, with the
        model's rules and the same messages; nothing changes if one is refused. As in NEST, changing
        ``E_L`` keeps V_m, V_th, V_reset and V_min where they are (in mV) unless they are set too."""
        gen_ids = frames.node_ids(nodes)
        interface = generators.among(self.layout, gen_ids)
        if interface:
            return generators.set_generators(self, interface, gen_ids, params)
        devices = _devices_among(self.layout, gen_ids)
        if devices:
            unconnected = lambda base: base in GENERATORS and GENERATORS[base].interface  # not in layout.generators
            if len({b for _, b in devices.values()}) == 1 and len(devices) == len(gen_ids) \
                    and unconnected(next(iter(devices.values()))[1]):
                return _set_unconnected(self, next(iter(devices.values()))[1], gen_ids, params)
            nid, (model, base) = next(((i, mb) for i, mb in devices.items() if not unconnected(mb[1])),
                                      next(iter(devices.items())))
            settable = " and ".join(GENERATORS[base].settable) if base in GENERATORS else None
            raise bad_value("set: nodes", nid, f"nodes of one kind: node {nid} is a {model} ({base}), which "
                            + (f"may change {settable} here (set one kind of node per call)" if settable else
                               "cannot change in a built Simulation; change it in the Network and build again, "
                               "or use jaxsnn.nest, where it takes effect at the next Simulate"))
        ids, idx = frames.neuron_index(self.layout, nodes)
        return _set_neurons(self, idx, len(ids), params)


def _set_neurons(sim: Simulation, idx, n_ids: int, params) -> Simulation:
    """NEST's set_status of the neurons ``idx`` between runs (``params``: a dict, or a list of one dict
    per node): each model checks the values its neurons would have (its :meth:`check`, as ``create``
    does; nothing changes if one is refused) and applies them (its :meth:`set`)."""
    spec, p = sim.spec, sim.params.neurons
    model, pos = frames.model_positions(spec)
    present = [m for i, m in enumerate(spec.models.neuron_models) if (model[idx] == i).any()]
    allowed = tuple(sorted(set(ARCHIVING) | {k for m in present for k in m.settable}))
    given = _given(params, n_ids, allowed)  # name -> (float64 values, which nodes get them)
    dtype = p.tau_minus.dtype
    big = float(jnp.finfo(dtype).max)
    for name, (vals, mask) in given.items():
        bad = mask & np.isfinite(vals) & (np.abs(vals) > big)
        if bad.any():
            raise bad_value(f"set: params[{name!r}]", float(vals[np.argmax(bad)]),
                            f"a number within the range of the simulation's {jnp.dtype(dtype).name} (|x| <= {big:.4g})")
    updates = []
    for i, m in enumerate(spec.models.neuron_models):
        sel = np.nonzero(model[idx] == i)[0]
        names = [k for k in given if k in m.parameters and k not in ARCHIVING]
        if not len(sel) or not names:
            continue
        current = {k: frames.neuron_values(sim, k, idx[sel]) for k in m.parameters if k not in CALCIUM}
        new = {k: np.where(given[k][1][sel], given[k][0][sel], current[k]) if k in given else current[k]
               for k in current}
        m.check(new, f"set({m.name!r} nodes)", spec.time.tics_per_step)
        # nodes given the same names change together (a name not given keeps its bits, e.g. V_m - E_L)
        which = np.stack([given[k][1][sel] for k in names], axis=1)
        for pattern in np.unique(which, axis=0):
            rows = sel[(which == pattern).all(axis=1)]
            chosen = [k for k, on in zip(names, pattern) if on]
            if chosen:
                updates.append((m, pos[idx[rows]], {k: given[k][0][rows] for k in chosen}))
    for name in set(ARCHIVING) & set(given):
        vals, mask = given[name]
        for m in present:
            m.check({name: vals[mask]}, f"set({m.name!r} nodes)", spec.time.tics_per_step)
            check_calcium({name: vals[mask]}, f"set({m.name!r} nodes)")
    new_models, new_state = dict(p.models), dict(sim.state.neurons.models)
    for m, at, changes in updates:
        new_models[m.name], new_state[m.name] = m.set(new_models[m.name], new_state[m.name], at,
                                                      {k: jnp.asarray(v, dtype) for k, v in changes.items()})
    archiving = {}  # the STDP archive's time constants, held once for all neurons
    for name in set(STDP_ARCHIVE) & set(given):
        vals, mask = given[name]
        archiving[name] = getattr(p, name).at[idx[mask]].set(jnp.asarray(vals[mask], dtype))
    state = sim.state.replace(neurons=sim.state.neurons.replace(models=new_state))
    state = _set_calcium(state, idx, {k: v for k, v in given.items() if k in CALCIUM})
    return sim.replace(params=sim.params.replace(neurons=p.replace(**archiving, models=new_models)),
                       state=state)


def _set_calcium(state, idx, given: dict):
    """``state`` with the calcium trace's ``given`` values (Ca, tau_Ca, beta_Ca: name -> (values, mask)) of the
    neurons ``idx``: NEST's set_status (Ca_t stays)."""
    if not given:
        return state
    post = state.plasticity.post
    if post.Ca is None:
        name = sorted(given)[0]
        raise bad_value(f"set: params[{name!r}]", float(given[name][0][given[name][1]][0]),
                        "no value in a network built without calcium=True (build(calcium=True) keeps NEST's calcium "
                        "trace Ca, with tau_Ca and beta_Ca)")
    new = {}
    for name, (vals, mask) in given.items():
        new[name] = getattr(post, name).at[idx[mask]].set(jnp.asarray(vals[mask], post.Ca.dtype))
    return state.replace(plasticity=state.plasticity.replace(post=post.replace(**new)))


def _given(params, n: int, allowed: tuple) -> dict:
    """``Simulation.set``'s ``params`` as {name: (float64 values over the n nodes, mask of the nodes set)};
    a dict of scalars or arrays of n, or a list of n dicts (NEST's forms), type-checked as ``create`` does."""
    if isinstance(params, (list, tuple)):
        if len(params) != n or not all(isinstance(d, dict) for d in params):
            raise JaxsnnError(f"set: params is a list of {len(params)} items for {n} nodes; give one dict per node "
                              "(NEST: 'list of params must have one dictionary per node').")
        names = list(dict.fromkeys(k for d in params for k in d))
        rows = params
    elif isinstance(params, dict):
        names, rows = list(params), None
    else:
        raise bad_value("set: params", params, "a dict of values, or a list of one dict per node (NEST's forms)")
    out = {}
    for name in names:
        if name not in allowed:
            raise bad_value("params", name, f"a parameter that can change between runs: {', '.join(allowed)}")
        label = f"set: params[{name!r}]"
        if rows is None:
            a = checks.floats(label, params[name])
            if a.shape not in ((), (n,)):
                raise bad_value(label, f"<array of shape {a.shape}>", f"a scalar or an array of {n} values (one per "
                                "node)")
            out[name] = (np.broadcast_to(a, (n,)), np.ones(n, bool))
        else:
            mask = np.array([name in d for d in rows])
            vals = np.zeros(n)
            for i, d in enumerate(rows):
                if name in d:
                    a = checks.floats(label, d[name])
                    if a.shape != ():
                        raise bad_value(f"set: params[...][{name!r}]", "<not a scalar>",
                                        "a scalar in each per-node dict")
                    vals[i] = a
            out[name] = (vals, mask)
    return out


def _set_unconnected(sim, base, ids, params) -> Simulation:
    """Generators without connections emit into nothing: ``params`` is checked as for connected ones, and
    nothing in the run changes."""
    G = GENERATORS[base]
    for gid in ids:
        where = f"set({base} {int(gid)})"
        if not isinstance(params, dict):
            raise bad_value(f"{where}: params", type(params).__name__, "a dict of parameter names and values")
        for name in params:
            if name not in G.settable:
                raise bad_value(f"{where}: params", name, f"a parameter that can change between runs: "
                                f"{', '.join(G.settable)}")
        G.check_given(params, where)
        G.check({**G.defaults(), **params}, where, sim.spec.time.resolution, sim.spec.time.tics_per_step)
    return sim


def _devices_among(layout, ids) -> dict:
    """{node id: (model, base model)} of the devices among ``ids`` (existing ids only)."""
    out = {}
    for i in np.unique(ids):
        if 1 <= i <= layout.n_nodes and layout.neuron_of_node[i] < 0:
            for model, base, first, n in layout.populations:
                if first <= i < first + n:
                    out[int(i)] = (model, base)
    return out


def build(net, *, seed=None, differentiable: bool = False, chunk_steps: int = 10000, devices: int | None = None,
          gather: bool = True, surrogate=None, detach_reset: bool | None = None, checkpoint_every: int = 0, dense=None,
          calcium: bool = False, **capacities) -> Simulation:
    """Compile ``net`` into a :class:`Simulation` at time 0.

    ``seed`` (an int or a ``jax.random.key``) seeds the simulation's random streams (default: the
    network's seed). ``differentiable=True`` builds fixed-length loops, whose cost follows the
    capacities instead of the spikes, so that ``jax.grad`` works. ``chunk_steps``: steps per device call
    (recorders are emptied to the host after each); ``devices``: how many devices to split the neurons
    over (default: all of ``jax.devices()``, one for ``differentiable=True``; jaxsnn makes every core a
    CPU device, :mod:`jaxsnn.run.cores`; after ``jax.distributed.initialize``, every process's devices:
    ``docs/distributed.md``); ``gather=False``: past one process, each process's recorders keep
    only the events of its own neurons (NEST's behaviour under MPI) instead of everyone's.
    ``capacities``: initial ``slice_capacity``, ``record_capacity`` and ``weight_capacity`` (grown by
    :func:`simulate` when exceeded). ``calcium=True`` keeps NEST's calcium trace of every neuron (``Ca``, with
    its ``tau_Ca`` and ``beta_Ca``; :mod:`jaxsnn.core.calcium`), as every ``jaxsnn.nest`` network does.

    The differentiable build only (``docs/gradients.md``): ``surrogate``, the spike's pseudo-derivative,
    a name of :data:`jaxsnn.core.surrogate.SURROGATES` or ``(name, scale in 1/mV)`` (default
    :func:`~jaxsnn.core.surrogate.default_for` the network's models); ``detach_reset=True`` passes no
    gradient through the reset (default: the models' default too);
    ``checkpoint_every=k`` rematerialises every k steps (reverse mode keeps O(T/k + k) states);
    ``dense``: deliver static projections as a matrix product per slice (:mod:`jaxsnn.build.dense`):
    None (default) where that pays by size and density, True wherever possible, False never.
    """
    if not (isinstance(chunk_steps, (int, np.integer)) and not isinstance(chunk_steps, bool) and chunk_steps >= 1):
        raise bad_value("chunk_steps", chunk_steps, "a whole number of steps >= 1")
    if not isinstance(differentiable, bool):
        raise bad_value("differentiable", differentiable, "True or False")
    if not isinstance(calcium, bool):
        raise bad_value("calcium", calcium, "True (keep NEST's calcium trace Ca) or False")
    if not isinstance(gather, bool):
        raise bad_value("gather", gather, "True (every process gets all events) or False (each its own neurons')")
    diff = _differentiable_options(differentiable, surrogate, detach_reset, checkpoint_every, dense)
    _check_capacities(capacities)
    desc = net.description()
    release()  # what describing the network freed: the lowering's peak starts from what is live
    c = compile_network(desc, _seed(net, seed), chunk_steps=int(chunk_steps), differentiable=differentiable,
                        calcium=calcium, **capacities)
    release()  # the lowering's temporaries: the compilation's peak starts from what is live
    model = c.model
    if diff:
        name, beta, detach = default_for(model.spec.models.neuron_models)
        if diff["surrogate"] is None:
            diff["surrogate"] = (name, beta)
        if diff["detach_reset"] is None:
            diff["detach_reset"] = detach
        blocks, index, event_mask = dense_plan(model, c.layout, diff.pop("dense"))
        some_events = event_mask is None or bool(event_mask.any())
        diff.update(dense_blocks=blocks, event_synapses=some_events)
        model = model.replace(spec=model.spec.replace(**diff), dense=tuple(map(jnp.asarray, index)),
                              event_mask=jnp.asarray(event_mask) if event_mask is not None and some_events else None)
    params, state, layout = c.params, c.state, c.layout
    del c
    n = _device_count(model.spec, devices)
    planned = ()
    if n > 1:  # split now: the parts replace the whole network's synapse records, which nothing else holds
        plan = sharding.plan(model, params, tuple(jax.devices()[:n]))
        model = model.replace(synapses=sharding.global_synapses(plan, model.synapses))
        planned = (params, model.synapses, plan)
        release()
    return Simulation(model, params, state, layout, chunk_steps=int(chunk_steps), devices=devices,
                      gather=gather, _plan=planned)


# the initial sizes build takes: the spike list's, and the recorder models' that take one
CAPACITIES = ("slice_capacity",) + tuple(r.capacity_name for r in RECORDERS.values() if r.capacity_option)


def _check_capacities(capacities: dict) -> None:
    """Names and values of ``build``'s capacity keywords: each None (the default) or a whole number >= 1."""
    from ..errors import unknown_name

    for name, value in capacities.items():
        if name not in CAPACITIES:
            options = ("seed", "differentiable", "chunk_steps", "devices", "gather", "surrogate", "detach_reset",
                       "checkpoint_every", "dense")
            raise unknown_name("build option", name, CAPACITIES + options)
        if value is not None and not (isinstance(value, (int, np.integer)) and not isinstance(value, bool)
                                      and 1 <= value < 2**31):
            raise bad_value(name, value, "a whole number from 1 to 2**31 - 1 (an initial size; simulate grows it), "
                            "or None for the default")


def _differentiable_options(differentiable, surrogate, detach_reset, checkpoint_every, dense=None) -> dict:
    """The Spec fields of the differentiable build's options (none of which the event-driven build takes)."""
    from ..core.surrogate import validated

    given = {k: v for k, v in (("surrogate", surrogate), ("detach_reset", detach_reset),
                               ("checkpoint_every", checkpoint_every or None), ("dense", dense)) if v is not None}
    if not differentiable:
        if given:
            name = next(iter(given))
            raise bad_value(name, given[name], "the default: it applies to net.build(differentiable=True) only")
        return {}
    if not (detach_reset is None or isinstance(detach_reset, bool)):
        raise bad_value("detach_reset", detach_reset, "True, False or None (the models' default)")
    k = checkpoint_every
    if not (isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 0):
        raise bad_value("checkpoint_every", k, "a whole number of steps >= 0 (0: no rematerialisation)")
    if not (dense is None or isinstance(dense, bool)):
        raise bad_value("dense", dense, "None (where it pays), True or False")
    return {"dense": dense, "surrogate": None if surrogate is None else validated(surrogate),
            "detach_reset": detach_reset, "checkpoint_every": int(k)}


def _seed(net, seed):
    if seed is None:
        return net.seed
    if not jax.dtypes.issubdtype(getattr(seed, "dtype", None), jax.dtypes.prng_key):
        return checks.seed("build: seed", seed)
    if np.shape(seed) != ():
        raise bad_value("build: seed", f"<key array of shape {np.shape(seed)}>", "one jax.random.key")
    return seed


def run_steps(sim: Simulation, t: float) -> int:
    """The steps of a run of ``t`` ms from ``sim``, refused unless whole and ending before the 32-bit step
    counter does."""
    n = sim.steps(t)
    if int(sim.state.step) + n >= 2**31 - 1:
        last = (2**31 - 1) * sim.spec.time.resolution
        raise bad_value("t", t, f"a run that ends before step 2**31 - 1 ({last:.6g} ms of "
                        f"simulated time; this simulation is at {sim.time:.6g} ms): the step counter is 32-bit")
    return n


def simulate(sim: Simulation, t: float, *, progress: bool = False, end_run: bool = True) -> Simulation:
    """Advance ``sim`` by ``t`` ms (a whole number of steps) and return the new :class:`Simulation`.

    Results depend only on the global step, never on how a run is split: ``simulate(simulate(s, a), b)``
    equals ``simulate(s, a + b)`` bit for bit, but for NEST's calcium trace ``Ca`` (``build(calcium=True)``),
    which NEST decays at the end of each ``Simulate``, as this does (``end_run=False``: not, the run goes
    on in a next call). ``progress=True`` shows a progress bar (tqdm if installed).
    """
    n = run_steps(sim, t)
    start, sim = sim, _planned(sim)
    plan = sim._plan[-1] if sim._plan else None
    # synapses that never change are not gathered back from the devices
    fixed = sim.state.synapses if plan and engine.fixed_synapses(sim.spec) else None
    if plan:  # split once (compiled before the synapse state is split); chunks advance the per-device states
        parts = sharding.split(sim.spec, plan, sim.state, synapses=False)
        sharding.compile_ahead(sim.spec, plan, parts, sim.state.synapses)
        sim = sim.replace(state=parts.replace(synapses=sharding.split_synapses(plan, sim.state.synapses)))
    bar = progress_bar.bar(n * sim.spec.time.resolution) if progress else None
    done = 0
    while done < n:
        k = min(sim.chunk_steps, n - done)
        sim = _chunk(sim, plan, k)
        done += k
        if bar:
            bar.update(done * sim.spec.time.resolution)
    if bar:
        bar.close()
    if plan:
        sim = sim.replace(state=sharding.merge(sim.spec, plan, sim.state, fixed))
    grown = post_log.needed(sim, start) if sim.spec.plasticity.post_log else 0
    if grown:  # the host's record dropped a stamp still needed: the run again, recording more (the same bits)
        return simulate(post_log.with_post_log(start, grown), t, progress=progress, end_run=end_run)
    return _calcium_at_end(sim) if end_run else sim


def _calcium_at_end(sim: Simulation) -> Simulation:
    """NEST's end of a run for the calcium trace (:func:`jaxsnn.core.calcium.end_of_run`), where kept."""
    post = sim.state.plasticity.post
    if post.Ca is None:
        return sim
    from ..core.calcium import end_of_run

    transit, H, now = sim.state.transit, sim.spec.sizes.history, int(sim.state.step)
    steps = np.arange(max(0, now - H), now)  # the ring: every step the engine may not have processed yet
    rows = np.asarray(transit.spike_history)[steps % H] > 0
    counts = None if transit.spike_count is None else np.asarray(transit.spike_count)[steps % H]
    new = end_of_run(post, (steps, rows), counts, now, sim.spec.time.tics_per_step)
    post = post.replace(**{k: jnp.asarray(v) for k, v in new.items()})
    return sim.replace(state=sim.state.replace(plasticity=sim.state.plasticity.replace(post=post)))


def _device_count(spec: Spec, devices) -> int:
    """How many devices a simulation of ``spec`` asking for ``devices`` runs on: by default (None) all
    devices, but one for a differentiable build (its spikes carry gradients between neurons); at most
    one per neuron."""
    available = len(jax.devices())
    n = (1 if spec.autodiff.differentiable else available) if devices is None else devices
    if not (isinstance(n, (int, np.integer)) and 1 <= n <= available):
        raise bad_value("devices", devices, f"a number of devices from 1 to {available} (jax.devices()), "
                        "or None for all")
    return min(int(n), max(1, spec.sizes.n_neurons))


def _planned(sim: Simulation) -> Simulation:
    """``sim`` with a sharding plan for its devices (kept while model and params are the same objects)."""
    available = jax.devices()
    n = _device_count(sim.spec, sim.devices)
    if n == 1:  # the synapse records back on the device, if a split held them
        return sim.replace(model=sim.model.replace(synapses=sharding.restored(sim.model.synapses)), _plan=())
    p = sim._plan
    if not (p and p[0] is sim.params and p[1] is sim.model.synapses and len(p[2].devices) == n):
        plan = sharding.plan(sim.model, sim.params, tuple(available[:n]))
        # the plan's parts hold the synapse records from now on (not a second copy beside them)
        synapses = sharding.global_synapses(plan, sim.model.synapses)
        sim = sim.replace(model=sim.model.replace(synapses=synapses), _plan=(sim.params, synapses, plan))
        release()
    return sim


def _run_until_it_fits(sim: Simulation, plan, k: int):
    """Advance ``k`` steps; on overflow grow the capacities and recompute from the start. Returns the
    new model, the new (device) state and a host copy of what the recorders need."""
    model, state = sim.model, sim.state
    for _ in range(MAX_GROWTHS):
        if plan:
            new = sharding.advance(model.spec, plan, state, k)
            # to the host in one transfer; slicing device arrays by counts would compile a program per count
            host = sharding.recorded(model.spec, plan, new, model.synapses, sim.gather)
        else:
            new = _advance(model, sim.params, state, k)
            host = jax.device_get(new.replace(neurons=None, synapses=None, plasticity=None,
                                           transit=new.transit.replace(ring=None, current=None)))
        flags = Overflow(int(host.overflow))
        if not flags:
            return model, new, host
        model = model.replace(spec=_grown(model.spec, flags, host.buffers))
        spread = functools.partial(_spread, plan, model.spec) if plan else None  # one copy per device
        state = state.replace(buffers=recorders.resized(model.spec, model, sim.params.neurons.tau_minus.dtype,
                                                        state.buffers, spread))
    raise CapacityError(f"capacities still exceeded after growing them {MAX_GROWTHS} times: {flags.describe()}.")


def _spread(plan, spec, buffers):
    return sharding.spread(plan, sharding.spread_buffers(spec, buffers, len(plan.devices)))


def _advance(model, params, state, k: int) -> State:
    """``k`` steps on one device, without copying synapses that do not change."""
    if not engine.fixed_synapses(model.spec):  # k a host scalar: no program
        return programs.call(engine.advance_jit, "advance", model, params, state, np.int32(k))
    new = programs.call(engine.advance_fixed_jit, "advance_fixed", model, params, state.replace(synapses=None),
                        state.synapses, np.int32(k))
    return new.replace(synapses=state.synapses)


def _chunk(sim: Simulation, plan, k: int) -> Simulation:
    """Run ``k`` steps and move what the recorders gathered to ``sim.records``."""
    model, new, host = _run_until_it_fits(sim, plan, k)
    top = jax.device_get(model.recorders)
    records = dict(sim.records)
    # gather=False: every device holds every spike of the slice, so the spike records are cut to this
    # process's neurons here (the other recorders' are, or are cut when read: frames.events)
    mine = None if sim.gather or not plan else sharding.local_neurons(plan, sim.spec.sizes.n_neurons)
    for r in model.spec.models.recorders:
        for rid, chunk in r.drain(model.spec, sim.layout, top[r.name], host.buffers[r.name], host).items():
            if mine is not None and "senders" in chunk:
                keep = mine[sim.layout.neuron_of_node[np.asarray(chunk["senders"], np.int64)]]
                chunk = {name: np.asarray(column)[keep] for name, column in chunk.items()}
            records[rid] = records.get(rid, ()) + (chunk,)
    # emptied buffers placed as the state is (a different placement would compile the loop again)
    put = (lambda tree: sharding.spread(plan, tree)) if plan else jax.device_put
    new = new.replace(buffers=recorders.emptied(model.spec, new.buffers, int(host.step), put))
    return sim.replace(model=model, state=new, records=records)


def _grown(spec: Spec, flags: Overflow, buffers) -> Spec:
    """``spec`` with every capacity whose overflow bit is in ``flags`` grown (the slice's spike list,
    the STDP window's post spikes, the buffers of each recorder whose ``"full"`` is set in the host copy
    ``buffers``); any other bit is fatal."""
    kw, growable = {}, Overflow.SLICE | Overflow.POST | Overflow.RECORDER
    if flags & Overflow.SLICE:  # at most one spike per neuron and step, but with parrot_neurons a spike of
        # multiplicity m is m entries of the list: no ceiling then
        grown = 2 * spec.capacities.slice_capacity
        most = spec.sizes.n_neurons * spec.time.slice_steps
        kw["slice_capacity"] = grown if spec.models.has_multiplicity else min(most, grown)
    if flags & Overflow.POST:
        kw["post_capacity"] = 2 * spec.capacities.post_capacity
    if flags & Overflow.RECORDER:
        full = recorders.full(spec, buffers)
        kw["recorders"] = tuple(r.grown() if r in full else r for r in spec.models.recorders)
    fatal = flags & ~growable
    if fatal:
        raise JaxsnnError(f"the run cannot continue: {Overflow(fatal).describe()}.")
    return spec.replace(**kw)
