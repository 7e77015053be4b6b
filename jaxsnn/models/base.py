"""The model contract: what one NEST model provides, in one module of :mod:`jaxsnn.models`.

A neuron model is a frozen, hashable :class:`NeuronModel` (an instance sits in ``model.spec`` as static
metadata, as a solver sits in ``diffrax.diffeqsolve``); the engine loops over the models present and
never imports or names one. A model module declares, once:

- ``name``: NEST's model name; ``parameters``: NEST's parameter table, one :class:`Param` per row
  (default, unit, doc; ``state=True`` marks the initial values of state variables such as ``V_m``).
  The table feeds ``create``/``set``/``get``/``copy_model`` and the docstring's table;
- ``recordables``: what a multimeter may record from it (NEST's ``recordables``);
- its input: ``inputs`` says how spike events reach it (:data:`SUMMED` into one channel,
  :data:`BY_SIGN` into excitatory/inhibitory channels by the sign of weight × multiplicity,
  :data:`BY_PORT` into one channel per ``receptor_type`` 1 … ``ports``, :data:`COUNTS` as
  multiplicities, weights ignored); ``receptors``: the ``receptor_type`` values a connection onto it
  may use, per source kind (``"neuron"``, ``"generator"`` of spikes, ``"current"``);
- :meth:`check`: NEST's validation of the parameters, NEST's rules with messages that name the
  parameter and value (THE validation path: ``create``, ``Network.set``, ``copy_model`` and
  ``Simulation.set`` all call it);
- :meth:`host_constants`: what NEST computes in ``pre_run_hook`` (exact propagators with the C
  library's ``exp``, refractory steps) on the host in float64, for the built parameters;
- :meth:`constants`: the same in the graph from traced params: the host's values where the params
  equal the built ones (NEST's bits), the formulas elsewhere, the formulas' derivative everywhere;
- :meth:`init` (initial state from the parameters), :meth:`update` (one step of its neurons),
  :meth:`observe` (state and recordables in NEST's units), :meth:`set` (NEST's ``set_status`` between
  runs), ``settable`` (what may change between runs);
- ``differentiable``: whether :meth:`update` passes surrogate gradients (the differentiable build);
  ``default_surrogate``: ``(shape, β in 1/mV, detach_reset)``, the surrogate and reset handling the
  differentiable build uses for it unless told otherwise, chosen by measuring its gradients against
  finite differences (``docs/gradients.md``); None for a model that does not spike by a threshold.

Params and state of a model are dicts of arrays over its own neurons, in node order
(``params.neurons.models[name]``, ``state.neurons.models[name]``): float parameters that are not
state are params (traced; ``jax.grad``/``vmap`` over them work); boolean parameters are fixed at
build and reach the model through :meth:`host_constants`. ``tau_minus`` (the postsynaptic STDP
trace, NEST's ArchivingNode) is a parameter of every model, held once for all neurons
(``params.neurons.tau_minus``).

Adding a neuron model is one new module (a subclass with its table and its update) and one line in
:mod:`jaxsnn.models` (or :func:`jaxsnn.models.register` from user code); ``docs/models.md`` walks
through an example.

A synapse model (:class:`SynapseModel`) declares its parameter table once (:data:`CONNECTION` plus
its own; ``common`` marks the common properties of ``_hom`` variants), NEST's checks of defaults and of
each ``connect``, its other names (``*_hpc``), GetConnections columns and, if plastic, its
:class:`PlasticityRule`: the per-event arithmetic (a presynaptic spike depresses, a postsynaptic spike
reaching the synapse facilitates) that the engine receives as static metadata (``Spec.plasticity.stdp_rule``);
see the section "synapses" below.

Devices (generators and recorders) declare their parameter table once (one :class:`Param` per NEST
parameter), NEST's checks, and what the host does with them; see the section "devices" below and
``docs/models.md``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import jax.numpy as jnp
import numpy as np

from .. import checks
from ..core.recorders import EMITTED, EVENT, SLICE, STEP  # hook points; EMITTED: a generator's push output
from ..core.types import BY_PORT, BY_SIGN, COUNTS, SUMMED, Input  # Input: what update reads; the others: how

# events reach a neuron (the ring's routing)
from ..errors import JaxsnnError, bad_value

__all__ = ["ARCHIVING", "CALCIUM", "BY_PORT", "BY_SIGN", "CONNECTION", "COUNTS", "EMITTED", "EVENT", "SAMPLES", "SLICE",
           "SPIKE_EVENTS", "STEP", "SUMMED", "WEIGHTS", "Generator", "Input", "NeuronModel", "Param", "PlasticityRule",
           "Recorder", "ShortTermRule", "SynapseModel", "table"]


@dataclasses.dataclass(frozen=True)
class Param:
    """One row of NEST's parameter table: the only place a default and a unit live."""

    default: Any  # float, or bool for switches (fixed at build)
    unit: str  # "mV", "pF", "ms", "pA", "Hz", "nS", "" (NEST's units)
    doc: str
    state: bool = False  # the initial value of a state variable (NEST's State_), e.g. V_m


# every neuron archives its spikes for STDP (NEST's ArchivingNode): tau_minus and tau_minus_triplet are held
# once for all neurons (params.neurons)
STDP_ARCHIVE = {"tau_minus": Param(20.0, "ms", "time constant of the postsynaptic STDP trace"),
                "tau_minus_triplet": Param(110.0, "ms", "time constant of the postsynaptic triplet STDP trace")}
# and integrates its spikes into a calcium trace (NEST's StructuralPlasticityNode): held where a network keeps
# it (build(calcium=True), every jaxsnn.nest network: state.plasticity.post, jaxsnn.core.calcium)
CALCIUM = {"Ca": Param(0.0, "", "calcium trace (beta_Ca per spike, decay tau_Ca)", state=True),
           "tau_Ca": Param(10000.0, "ms", "time constant of the calcium trace"),
           "beta_Ca": Param(0.001, "", "increment of the calcium trace per spike")}
ARCHIVING = {**STDP_ARCHIVE, **CALCIUM}


@dataclasses.dataclass(frozen=True)
class NeuronModel:
    """The contract of a neuron model (see the module docstring). Subclasses are frozen dataclasses:
    their fields are static choices made at build from the parameters (:meth:`configure`), e.g.
    whether any neuron has ``refractory_input``; they are part of the compiled program."""

    name: ClassVar[str]
    parameters: ClassVar[dict]  # NEST name -> Param
    recordables: ClassVar[tuple] = ()
    inputs: ClassVar[int] = SUMMED
    spike_channels: ClassVar[int] = 1  # rows of Input.spikes
    current_receptors: ClassVar[int] = 1  # rows of Input.current (0: no current input)
    # the receptor_type values a connection may use, per kind of source ("neuron", "generator", "current")
    receptors: ClassVar[dict] = {"neuron": (0,), "generator": (0,), "current": (0,)}
    differentiable: ClassVar[bool] = True
    default_surrogate: ClassVar[tuple | None] = None  # (name, β in 1/mV, detach_reset), measured per model
    # inputs == BY_PORT: the parameters with one value per receptor port (NEST's list parameters, e.g.
    # tau_syn), held as [neurons, ports]; their length is the number of ports (NEST's read-only
    # n_synapses), spike receptor_type 1 … ports; and the recordables with one per port (I_syn: I_syn_1 …)
    port_params: ClassVar[tuple] = ()
    port_recordables: ClassVar[tuple] = ()
    # NEST's list parameters (an array per node: the port parameters, gif's tau_sfa …): name -> (the state
    # variable holding each neuron's own length, the value a shorter list is padded with up to the
    # longest of the network, None: its last value). Held as [neurons, longest]; may be empty (length 0)
    # unless they are port parameters.
    list_params: ClassVar[dict] = {}
    list_state: ClassVar[dict] = {}  # state with one value per element of a list: name -> its length variable
    # NEST's rule for the number of ports of a neuron with a spike connection in: "fixed" or "grow" (only more)
    port_change: ClassVar[str] = "fixed"

    # ----------------------------------------------------------------------------- host side
    @classmethod
    def configure(cls, host: dict) -> NeuronModel:
        """The instance that runs neurons with the parameters ``host`` (name -> float64/bool array)."""
        return cls()

    @classmethod
    def defaults(cls) -> dict:
        return {k: p.default for k, p in cls.parameters.items()}

    @classmethod
    def check(cls, v: dict, where: str, tics_per_step: int) -> None:
        """NEST's checks of the parameters ``v`` (name -> array over nodes; a name may be missing when
        it is drawn later); raise :class:`~jaxsnn.JaxsnnError` naming the first bad value."""
        check_tau_minus(v, where)

    @property
    def float_params(self) -> tuple:
        """Names of the traced params (float, not state)."""
        return tuple(k for k, p in self.parameters.items()
                     if not p.state and not isinstance(p.default, bool) and k not in ARCHIVING)

    @property
    def state_params(self) -> tuple:
        return tuple(k for k, p in self.parameters.items() if p.state)

    @property
    def settable(self) -> tuple:
        """What ``Simulation.set`` may change between runs: every float parameter and state variable."""
        return tuple(k for k, p in self.parameters.items() if not isinstance(p.default, bool))

    def host_constants(self, host: dict, h: float, tics_per_step: int) -> dict:
        """Per-neuron constants (name -> float64/int/bool array) for the built parameters ``host``."""
        return {}

    def init(self, host: dict) -> dict:
        """Initial state (name -> float64 array) from the parameters ``host``."""
        return {}

    # ----------------------------------------------------------------------------- in the graph
    def constants(self, p: dict, k: dict, h: float, tics_per_step: int) -> dict:
        """Constants for the traced params ``p``; ``k``: :meth:`host_constants` of the built values.
        A model with refractoriness returns ``refractory_steps`` (int32 per neuron: steps a neuron stays
        silent after a spike; the slices were built for the host's values, see Overflow.REFRACTORY)."""
        return k

    def update(self, p: dict, k: dict, s: dict, inp: Input, h: float, surrogate=None):
        """One step of this model's neurons: returns (state, spiked) or, for ``inputs == COUNTS``,
        (state, spiked, multiplicity). ``surrogate``: None (bool spikes) or ``(name, β, detach_reset)``
        (float 0.0/1.0 spikes that carry surrogate gradients, :func:`jaxsnn.core.surrogate.threshold`)."""
        raise NotImplementedError

    def observe(self, p: dict, s: dict) -> dict:
        """State variables and recordables in NEST's units (name -> array): ``get`` and multimeters."""
        return dict(s)

    def set(self, p: dict, s: dict, idx, changes: dict) -> tuple:
        """NEST's ``set_status`` between runs: ``changes`` (name -> values for the model's neurons at
        positions ``idx``) applied to (params, state); the values passed :meth:`check` already."""
        p = dict(p)
        for name, v in changes.items():
            if name not in p:
                raise JaxsnnError(f"set: {name!r} of {self.name} cannot change between runs.")
            p[name] = p[name].at[idx].set(v)
        return p, s


def check_tau_minus(v, where):
    """NEST's check of the STDP archive's time constants (ArchivingNode: strictly positive)."""
    for name in STDP_ARCHIVE:
        if v.get(name) is not None:
            checks.finite(f"{where}: {name}", v[name])
            checks.first_bad(f"{where}: {name}", v[name], v[name] <= 0, f"{name} > 0")


def check_calcium(v, where):
    """NEST's checks of the calcium trace (StructuralPlasticityNode, in its order), for every neuron model."""
    for name, bad, allowed in (("Ca", lambda x: x < 0, "Ca >= 0 (NEST: 'Calcium concentration cannot be negative')"),
                               ("tau_Ca", lambda x: x <= 0, "tau_Ca > 0 ms (NEST: time constants strictly positive)"),
                               ("beta_Ca", lambda x: x <= 0, "beta_Ca > 0 (NEST: Ca integrates the activity)")):
        if v.get(name) is not None:
            checks.finite(f"{where}: {name}", v[name])
            checks.first_bad(f"{where}: {name}", v[name], bad(v[name]), allowed)


def nest_checks(v: dict, where: str, model: str, rules) -> None:
    """NEST's ``Parameters_::set`` checks in NEST's order: ``rules`` are (test, names, message); the
    first failing one raises with the values it names and NEST's message."""
    for name, arr in v.items():
        if arr is not None and arr.dtype != bool and np.isnan(arr).any():
            raise bad_value(f"{where}: {name}", "NaN", "numbers, not NaN")
    for test, names, message in rules:
        names = names.split("/")
        if any(v.get(n) is None for n in names):
            continue
        bad = np.asarray(test(v))
        if bad.any():
            i = int(np.argmax(bad.reshape(-1)))
            values = ", ".join(f"{k}={np.broadcast_to(v[k], bad.shape).flat[i]}" for k in names)
            raise JaxsnnError(f"{where}: {values}: {message} (NEST's check for {model})")


def table(model) -> str:
    """The model's parameter table as reStructuredText (the model docstring holds it; a test keeps them equal)."""
    common = getattr(model, "common", ())  # a synapse model's common properties
    note = lambda k, p: (" (state)" if p.state else "") + (" (common)" if k in common else "")
    rows = [(k, _show(p.default, p.unit), p.doc + note(k, p)) for k, p in model.parameters.items()]
    w = [max(len(r[i]) for r in rows + [("name", "default", "")]) for i in range(3)]
    line = "  ".join("=" * x for x in w)
    out = [line] + ["  ".join(c.ljust(x) for c, x in zip(r, w)).rstrip() for r in rows] + [line]
    return "\n".join(out)


def _show(value, unit):
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, tuple):  # a list parameter (one value per receptor port)
        return f"[{', '.join(f'{x:g}' for x in value)}] {unit}".strip()
    if value == -np.inf or value == -1.7976931348623157e308:
        text = "-inf"
    else:
        text = f"{value:g}"
    return f"{text} {unit}".strip()


# =============================================================================== devices
# Generators and recorders are nodes without dynamics of their own: a parameter table (one
# :class:`Param` per NEST parameter), NEST's checks, and what the host does with them. A generator brings
# its own tables and per-slice push (the device interface, below); a recorder its buffers, its capacity and
# its record at one of the engine's hook points (:class:`Recorder`).

WINDOW = {  # NEST's StimulationDevice / RecordingDevice activity window (ms)
    "origin": Param(0.0, "ms", "global time offset of start and stop"),
    "start": Param(0.0, "ms", "active after origin + start (exclusive)"),
    "stop": Param(math.inf, "ms", "active until origin + stop (inclusive)"),
}


def check_window(v: dict, where: str, h: float, tics_per_step: int) -> dict:
    """NEST's checks of a device's ``origin``, ``start`` and ``stop`` (times on the grid, stop >= start);
    returns ``v`` with them as floats."""
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
    return v


def check_stop(v: dict, where: str) -> None:
    """A current generator's ``stop >= start`` (NEST's message for these)."""
    if math.isfinite(v["stop"]) and v["stop"] < v["start"]:
        raise bad_value(f"{where}: stop", v["stop"], f"stop >= start required (start {v['start']} ms)")


def real(x) -> bool:
    """A finite real number: Python's or NumPy's (np.float32 included), not a bool or a string."""
    return (isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))
            and math.isfinite(x))


def flat_floats(where, value, what) -> np.ndarray:
    """A list parameter's numbers (one flat list; strings, bools and nested lists are refused)."""
    a = checks.floats(where, value)
    if a.ndim > 1:
        raise bad_value(where, checks._show(value), f"one flat list of {what}")
    return a.reshape(-1)


def stamps_ms(spec, stamps) -> np.ndarray:
    """Integer step stamps as ms, exactly as NEST's Time::get_ms of the grid time."""
    return 0.001 * (np.asarray(stamps).astype(np.int64) * spec.time.tics_per_step)


class Device:
    """What generators and recorders share: a name, a parameter table and NEST's checks."""

    name: ClassVar[str]
    parameters: ClassVar[dict]  # NEST name -> Param
    vector_params: ClassVar[tuple] = ()  # parameters whose one value is a list (not one value per node)

    @classmethod
    def defaults(cls) -> dict:
        return {k: p.default for k, p in cls.parameters.items()}

    @classmethod
    def check(cls, v: dict, where: str, h: float, tics_per_step: int) -> dict:
        """NEST's checks of one device's parameters ``v`` (scalars and lists): the window's, then the
        model's own (:meth:`check_own`); returns a normalised copy (floats, tuples, times on the grid)."""
        return cls.check_own(check_window(v, where, h, tics_per_step), where, h, tics_per_step)

    @classmethod
    def check_own(cls, v: dict, where: str, h: float, tics_per_step: int) -> dict:
        return v

    @classmethod
    def check_given(cls, given: dict, where: str) -> None:
        """Checks of the names given together in one ``create``/``set`` call (before defaults fill in)."""


class Generator(Device):
    """The contract of a generator. ``emits``: :data:`SPIKES` (events into the input ring, which every
    neuron model receives) or :data:`CURRENT` (pA into the current rows, for models with a current
    receptor). ``settable``: the parameters ``Simulation.set`` may change between runs."""

    emits: ClassVar[str]
    settable: ClassVar[tuple] = ()
    # what a multimeter connected to it may record (NEST's ``recordables``), each from :meth:`observe`
    recordables: ClassVar[tuple] = ()

    # NEST's flags of the generator that act on the host only, when its parameters are set (jaxsnn.nest)
    host_flags: ClassVar[tuple] = ()
    # whether a spike_recorder connected to it records the generator's own spikes (NEST records them with
    # the generator as sender; :meth:`own_spikes` computes them on the host)
    recorded_by_spike_recorders: ClassVar[bool] = False
    # its tables() reads what a generator holds now from ``built`` (a step current's amplitude): in a rebuild
    # that carries a run, ``built`` is then the running simulation's tables, not the fresh build's
    holds_between_runs: ClassVar[bool] = False
    # whether a spike_recorder connected to it records, in the engine, what the generator sends that
    # connection: the recorder is one more target (a connection whose target is RECORDING + the recorder's
    # node id, delivered nowhere), so it records the shared train of a generator with one, and an
    # independent train of the same law where every target has its own (as NEST's recorder does)
    spikes_recorded: ClassVar[bool] = False

    @classmethod
    def own_spikes(cls, p: dict, h: float, now: int, n_steps: int, counts) -> np.ndarray:
        """The stamps of the spikes the generator with parameters ``p`` emits in steps now … now + n_steps − 1
        (one per spike, repeated by multiplicity), as a spike_recorder connected to it records them.
        ``counts(steps, mu)``: the host's independent Poisson counts of mean ``mu`` per step."""
        raise NotImplementedError

    # ---- the engine side: generators of the device interface (``interface = True``). The engine calls
    # push() at every slice start; lower() (generic) and tables() build what push reads, at build and
    # when parameters change between runs (Simulation.set).
    interface: ClassVar[bool] = False
    stream: ClassVar[int] = 0  # offset of the connections' stream ids (keeps models' random draws apart)
    # in a split run, every device pushes all connections (True: a state that evolves alike on every
    # device), or only those onto its own neurons (False: what a connection emits depends on its own
    # parameters and stream alone)
    replicated: ClassVar[bool] = True
    # per-connection topology entries beyond the connections' own (target, delay, receptor, stream,
    # generator, node) that a split run cuts per device, with the value of a padding entry
    padding: ClassVar[dict] = {}
    # True: a sparse table of events that push_into writes into the ring itself (spike_generator; pushed
    # before the other generators); False: push gives what every connection emits in every step
    events: ClassVar[bool] = False

    @classmethod
    def lower(cls, desc, neuron_of_node):
        """(configured model, topology, params, initial state, (node ids, their parameters)) of every
        generator of this model with connections: the connections' arrays, then :meth:`tables`."""
        from ._interface import per_generator

        top, ps, nodes, weight = per_generator(desc, cls, neuron_of_node, cls.stream)
        m, extra, par, state = cls.tables(ps, top, desc.resolution, desc.tics_per_step)
        return m, {**top, **extra}, {"weight": weight, **par}, state, (tuple(int(n) for n in nodes), tuple(ps))

    @classmethod
    def tables(cls, ps, top, h, tics_per_step, t_ms=0.0, state=None, old=None, built=None):
        """From the generators' parameters ``ps`` (one dict per generator, in ``top["generator"]``'s index
        order) and the connections ``top``: ``(configured model, topology entries beyond the connections',
        float params beyond the weight, state)``, host arrays. Between runs (``Simulation.set``) ``t_ms``
        is the current time, ``state`` the current state, ``old`` the parameters so far and ``built`` the
        tables so far ((topology, params), host arrays): NEST's ``pre_run_hook`` (oscillators restart at
        t, integrated rates carried over, a schedule's amplitude held now continues)."""
        raise NotImplementedError

    @staticmethod
    def connections(desc, name, neuron_of_node, stream_base=0) -> dict:
        """The connections of every generator of model ``name`` (host, in connect order) as arrays: node
        (generator node id), target (neuron index; a spike_recorder's: RECORDING + its node id, with a
        delay of one step), weight, delay (steps), receptor (receptor_type) and stream (a global id per
        connection, offset by ``stream_base``: the key of its random draws)."""
        conns = [c for c in desc.connections if len(c.source) and desc.base_of(c.source[0]) == name]
        cat = lambda f, dt: np.concatenate([f(c) for c in conns]).astype(dt) if conns else np.zeros(0, dt)
        rec = lambda c: neuron_of_node[c.target[0]] < 0  # noqa: E731 - into a recorder, not a neuron
        out = dict(node=cat(lambda c: c.source, np.int64),
                   target=cat(lambda c: RECORDING + c.target if rec(c) else neuron_of_node[c.target], np.int64),
                   weight=cat(lambda c: c.weight, np.float64),
                   delay=cat(lambda c: np.ones(len(c.source), np.int64) if rec(c) else c.delay, np.int64),
                   receptor=cat(lambda c: np.full(len(c.source), c.extra.get("receptor_type", 0)), np.int64))
        out["stream"] = stream_base + np.arange(len(out["node"]), dtype=np.int64)
        return out

    @classmethod
    def sliced(cls, top: dict, par: dict, L: int) -> tuple:
        """(topology, params) once the slice length ``L`` (steps, NEST's min_delay) is known at build: for
        tables ordered by slice; unchanged by default."""
        return top, par

    def push_into(self, spec, top: dict, par: dict, state: dict, ring, route, step):
        """For ``events = True``: the slice's events added into ``ring`` (routed as any event by ``route``);
        returns (state, ring)."""
        raise NotImplementedError

    def observe(self, spec, top: dict, par: dict, state: dict, key, step) -> dict:
        """Its :attr:`recordables` in each step k = step … step + slice_steps − 1 of the slice starting at
        ``step``, per generator (name -> [slice_steps, generators], NEST's units), from the state before
        :meth:`push` of that slice: the values NEST's multimeter samples at the stamp k + 1 (the value of
        the step that ends then, 0 where a current generator is inactive, as NEST records it). The engine
        calls it only for models a multimeter records, at the slice start, before :meth:`push`; ``key``:
        the simulation's key words (what a recordable drawn from the random streams reads)."""
        raise NotImplementedError

    def push(self, spec, top: dict, par: dict, state: dict, key, step):
        """What every connection emits in each step k = step … step + slice_steps − 1 of the slice starting
        at ``step``: ``(state, out [slice_steps, connections], overflow bits)``; ``out`` holds spike counts
        (emits SPIKES) or the amplitude in pA (emits CURRENT); the engine multiplies by the weight and
        delivers after the delay. Random draws only from (``key``, step, stream id): split, resumed and
        sharded runs give the same bits."""
        raise NotImplementedError


SPIKES, CURRENT = "spikes", "current"  # what a generator emits
RECORDING = 2**30  # targets at or past it are recorders (RECORDING + node id): the engine delivers nothing there
FROM_NEURONS, TO_NEURONS = "from_neurons", "to_neurons"  # how a recorder is connected
SPIKE_EVENTS, SAMPLES, WEIGHTS = "spike events", "samples", "weights"  # what a recorder records




def _first(v, k=0):
    """Device k's part of a buffer entry (a tuple of arrays: of each)."""
    return tuple(x[k] for x in v) if isinstance(v, tuple) else v[k]


def _repeat(v, D):
    if isinstance(v, tuple):
        return tuple(_repeat(x, D) for x in v)
    return np.broadcast_to(v, (D,) + np.shape(v))


@dataclasses.dataclass(frozen=True)
class Recorder(Device):
    """The contract of a recorder: a frozen, hashable instance configured at build (:meth:`lower`) sits in
    ``spec.models.recorders`` as static metadata; the engine calls its :meth:`record` at one hook point and never
    names it. It owns

    - its topology (``model.recorders[name]``: what each of its nodes selects) and its buffers
      (``state.buffers[name]``, a dict of arrays; ``"count"`` says what is in them, ``"full"`` (int32) is
      set by the engine when :meth:`record` says a record did not fit);
    - its ``capacity`` (static: an int, or one per node as a tuple), the entries its buffers take per chunk:
      :func:`jaxsnn.simulate` grows it (:meth:`grown`) when the recorder's ``"full"`` is set and recomputes
      the chunk (nothing is dropped); ``capacity_name`` is how ``build`` and checkpoints call it;
    - its ``hook``: :data:`SLICE` (at each slice start, the previous slice's spike list), :data:`STEP` (after
      every step, the recorded quantities ``quantities`` of every neuron) or :data:`EVENT` (at every event a
      synapse delivers, with the transmitted weight);
    - its host side: :meth:`drain` turns a chunk's host buffers into records (column dicts, kept in
      checkpoints under these names), :meth:`emptied` marks the buffers empty, :meth:`events` turns the
      records into NEST's ``events`` columns; and for split runs :meth:`split` (a device's topology) and
      :meth:`gathered` (the devices' buffers as one).

    ``aliases``: other NEST names for it, with their own defaults (voltmeter)."""

    capacity: Any = 0  # entries per chunk: an int, or a tuple with one per node
    quantities: tuple = ()  # STEP: the recordables it reads (rows of its quantities array, in this order)
    # the generators' recordables it reads, (generator model, recordable) pairs: the engine hands it their
    # values for each slice at the slice start (:meth:`take_generators`)
    generator_quantities: tuple = ()

    # buffer entries that are not records and continue when the buffers are made anew (a chunk recomputed
    # with a grown capacity, a run continued by jaxsnn.nest)
    carried: ClassVar[tuple] = ()

    hook: ClassVar[str]  # SLICE, STEP or EVENT
    capacity_name: ClassVar[str]  # the capacity's name in checkpoints (and in build(...) if capacity_option)
    capacity_option: ClassVar[bool] = False  # build takes its initial capacity (keyword capacity_name)
    records: ClassVar[str]  # what it records: SPIKE_EVENTS, SAMPLES or WEIGHTS (for plotting tools)
    aliases: ClassVar[dict] = {}
    connects: ClassVar[str | None] = None  # FROM_NEURONS (neuron -> recorder), TO_NEURONS, or not connected
    # NEST hands it a min_delay slice's events at the start of the next slice, so that the last slice of a
    # Simulate call shows at the next one: jaxsnn.nest reproduces this; the functional API's records are complete
    delivered_next_slice: ClassVar[bool] = False
    refused_rules: ClassVar[tuple] = ()  # connection rules NEST refuses for its connections
    allowed_rules: ClassVar[str] = "all_to_all or one_to_one"  # what to say instead

    # ----------------------------------------------------------------------------- build
    @classmethod
    def lower(cls, desc, net: dict, capacity) -> tuple | None:
        """``(configured recorder, topology, host facts)`` of this model's nodes in ``desc``, or None when
        it has none. ``net``: what the build knows (``neuron_of_node``, ``node_of_neuron``, ``models``: the
        configured neuron models, ``synapses``: the synapse tables, ``chunk_steps``, ``slice_steps``,
        ``generator_of_node``: node id -> (model, index among the model's generators) of every generator of
        the device interface the engine runs, ``generator_connections``: model -> ``node`` and ``target`` of
        its connections, those into recorders at :data:`RECORDING` + node id); ``capacity``: the
        capacity ``build`` was given under ``capacity_name`` (None: the model's default). The topology
        holds host arrays (the build places them); the host facts (``layout.recorders[name]``) hold
        ``nodes``, the node ids in buffer order, and what :meth:`drain`/:meth:`events` need."""
        raise NotImplementedError

    def empty(self, top: dict, dtype) -> dict:
        """Buffers of this capacity, empty (host arrays; the engine adds ``"full"``); ``top``: its topology."""
        raise NotImplementedError

    def grown(self) -> Recorder:
        """This recorder with twice the capacity (per node for tuples), after its buffers overflowed."""
        c = self.capacity
        return self.with_capacity(tuple(2 * x for x in c) if isinstance(c, tuple) else 2 * c)

    def with_capacity(self, capacity) -> Recorder:
        return dataclasses.replace(self, capacity=capacity)

    # ----------------------------------------------------------------------------- in the graph
    def record(self, spec, top: dict, buf: dict, *args) -> tuple:
        """One record at the model's hook; returns ``(buffers, overflowed)``. The arguments per hook:

        - SLICE ``(senders, steps, count, step)``: the previous slice's spikes, by sender then step (the
          first ``count`` of ``senders``/``steps``; neuron indices and steps, a spike in step k has the
          stamp k + 1), ``step``: the slice start;
        - STEP ``(quantities, stamp)``: ``quantities`` [len(self.quantities), neurons] after the step
          whose stamp is ``stamp`` (rows of a quantity a neuron's model lacks are 0);
        - EVENT ``(synapse, mask, weight, stamp)``: the synapses ``synapse`` (where ``mask``) transmit
          ``weight`` at ``stamp``."""
        raise NotImplementedError

    def take_generators(self, spec, top: dict, buf: dict, values: dict, step) -> dict:
        """At the start of the slice starting at ``step``, once the generators pushed it: ``values`` (generator
        model -> recordable -> [slice_steps, generators], :meth:`Generator.observe` from the state before the
        push; :data:`EMITTED` -> [slice_steps, connections], the push's output) of the models in
        :attr:`generator_quantities`; returns the buffers (e.g. holding them for the slice's steps)."""
        return buf

    def recorded_synapses(self, top: dict):
        """EVENT: which synapses it records (bool[synapses], host), which must be delivered one event at a
        time (not by a dense projection); None: none."""
        return None

    # ----------------------------------------------------------------------------- host
    def emptied(self, buf: dict, step: int) -> dict:
        """``buf`` marked empty after the host took its records at ``step``: the entries that change, as
        host arrays of the shapes in ``buf`` (which may have a leading device axis): the counters zeroed (the
        other arrays are kept as they are: only the counters say what is in them)."""
        return {"count": np.zeros(np.shape(buf["count"]), np.int32), "full": np.zeros(np.shape(buf["full"]), np.int32)}

    def drain(self, spec, layout, top: dict, buf: dict, host) -> dict:
        """{recorder node id: columns} of one chunk from the host buffers ``buf``; ``layout.recorders[name]``:
        the host facts of :meth:`lower`; ``host``: the host copy of the state (counters, spike history)."""
        raise NotImplementedError

    def split(self, top: dict, part) -> dict:
        """Device ``part.d``'s topology in a split run (``part``: ``n``, the neurons per device, ``neurons(ix)``
        (global neuron indices as local ones, clipped), ``synapses(a, fill)`` (a per-synapse array cut to
        the device's synapses and padded)); unchanged by default."""
        return top

    def gathered(self, buf: dict, top: dict, part) -> dict:
        """The devices' host buffers ``buf`` (leading axis: device) as one; ``top``: the global topology;
        ``part``: as in :meth:`split`, plus ``synapses_on``, ``source``, ``slice_steps``. Default: the
        device ``part.first``'s (every device records alike)."""
        return {k: _first(v, part.first) for k, v in buf.items()}

    def merged(self, buf: dict, top: dict, part) -> dict:
        """The devices' buffers as one after the host took the records (the end of a split run): the shapes
        of one device's. Default: the first device's."""
        return {k: _first(v) for k, v in buf.items()}

    def spread(self, buf: dict, D: int) -> dict:
        """The buffers ``buf`` as ``D`` devices' (a leading device axis): default, every device a copy."""
        return {k: _repeat(v, D) for k, v in buf.items()}

    @classmethod
    def events(cls, sim, rid: int, columns: dict) -> dict:
        """NEST's ``events`` columns of recorder ``rid`` from its concatenated records."""
        raise NotImplementedError

    @classmethod
    def no_events(cls, p: dict) -> dict:
        """NEST's ``events`` columns, empty, of a recorder with parameters ``p`` before any run."""
        return {"senders": np.zeros(0, np.int64), "times": np.zeros(0)}

    @classmethod
    def ascii_columns(cls, events: dict, precision: int = 3) -> list:
        """What NEST's ASCII recording backend writes after sender and time: (header, column as strings);
        floats with ``precision`` decimals (C's ``%.*f``)."""
        return []


# =============================================================================== synapses
# A synapse model is a parameter table (NEST's names, defaults, units; ``common`` marks the common
# properties of a homogeneous variant, set with CopyModel/SetDefaults only), NEST's checks, and, for a
# plastic model, its rule: the per-event arithmetic the engine calls (static metadata in
# ``Spec.plasticity.stdp_rule``, as a neuron model sits in ``Spec.models.neuron_models``). The engine keeps each
# synapse's
# weight, the presynaptic trace K₊ (one per source where all its synapses share τ₊ and the initial K₊)
# and each neuron's postsynaptic archive (K₋, NEST's ArchivingNode); a rule says what a presynaptic spike
# (depression) and a postsynaptic spike reaching the synapse (facilitation) do to the weight.

RECORDED_BY = "weight_recorder"  # NEST's synapse parameter naming the weight recorder of a (copied) model
CONNECTION = {  # what every synapse has (NEST's Connection)
    "weight": Param(1.0, "", "synaptic weight (pA, nS or mV: the target's input)"),
    "delay": Param(1.0, "ms", "synaptic delay (a multiple of the resolution)"),
    "receptor_type": Param(0, "", "receptor port of the target"),
    RECORDED_BY: Param(None, "", "weight_recorder node that records the transmitted weights (copy_model "
                             "only)"),
}
ROW = 6  # columns of a rule row (Params.stdp): the rule's parameters, padded with 1.0


@dataclasses.dataclass(frozen=True)
class PlasticityRule:
    """The per-event arithmetic of a pair-based rule with a presynaptic trace K₊ and the postsynaptic
    trace K₋ (the engine's machinery: :mod:`jaxsnn.core.stdp`). Instances are frozen and hashable (the
    engine receives one in ``Spec.plasticity.stdp_rule``). ``columns``: the rule's parameters, the columns of a
    row of ``Params.stdp`` (``tau_plus``, the K₊ time constant, first); ``sign_of``: the column whose sign
    every weight shares (None: no such check); ``differentiable``: whether the rule has a derivative
    everywhere the differentiable build reaches."""

    columns: ClassVar[tuple]
    sign_of: ClassVar[str | None] = None
    differentiable: ClassVar[bool] = True
    # how the rule pairs spikes (the engine's machinery follows these; all False: all-to-all pairing):
    nearest: ClassVar[bool] = False  # depression reads the nearest-neighbour K₋: e^{(t_j − s)/τ₋} of the last
    # post spike t_j before s = t − d alone (0 before the first), not the sum K₋,j e^{(t_j − s)/τ₋}
    first_only: ClassVar[bool] = False  # only the first post spike that reaches the synapse after its last
    # presynaptic spike facilitates (a post spike is paired with the nearest preceding pre spike once)
    depress_if_paired: ClassVar[bool] = False  # a pre spike depresses only if a post spike reached the
    # synapse since its last presynaptic spike (restricted nearest-neighbour pairing)
    resets_trace: ClassVar[bool] = False  # K₊ ← 0 after a facilitation (its trace depends on the target's
    # spikes: one K₊ per synapse)
    traces: ClassVar[tuple] = ("Kplus",)  # the presynaptic traces GetConnections reports (NEST's names)
    triplet: ClassVar[bool] = False  # the post neuron's triplet trace K₋,₃ (its tau_minus_triplet; the value
    # archived with a post spike reaches facilitate as ``k3``) and a second presynaptic trace K₊,₃ (time
    # constant: the column tau_plus_triplet, initial value: the connection's Kplus_triplet; decayed to the
    # pre spike it reaches depress as ``k3``, then K₊,₃ ← K₊,₃ + 1); one K₊ and K₊,₃ per synapse
    libm: ClassVar[bool] = False  # in float64 the engine takes the rule's exp (and expm1) methods, the C library's,
    # and rounds products apart from sums, also for the targets' K₋: NEST's bits
    dopamine: ClassVar[bool] = False  # neuromodulated (stdp_dopamine_synapse): the weight follows an eligibility
    # trace and the dopamine its volume_transmitter collects; the engine runs jaxsnn.core.dopamine instead of
    # facilitate/depress; one K₊ per synapse

    @property
    def per_synapse_traces(self) -> bool:
        """Whether every plastic synapse keeps its own presynaptic traces (they depend on more than the source)."""
        return self.resets_trace or self.triplet or self.dopamine

    def term(self, Kplus, decay):
        """The facilitation term of a post spike: K₊ decayed to it (``decay`` = e^{(t_last − (t_j + d))/τ₊});
        a nearest-neighbour rule without a trace returns ``decay`` (K₊ = 1 at the nearest pre spike)."""
        return Kplus * decay

    def column(self, p, name):
        """Parameter ``name`` of rule rows ``p`` ([..., ROW])."""
        return p[..., self.columns.index(name)]

    @property
    def width(self) -> int:
        """Columns of a row of ``Params.stdp``: the rule's parameters, padded to at least :data:`ROW`."""
        return max(ROW, len(self.columns))

    def over_tau(self, dt, tau):
        """dt / τ₊ as NEST's rule computes it (a division, or a product with 1/τ₊)."""
        return dt / tau

    def facilitate(self, w, k, p, mu_is_one=False):
        """The weight after a post spike reaches the synapse; ``k``: K₊ decayed to that spike."""
        raise NotImplementedError

    def depress(self, w, k, p, mu_is_one=False):
        """The weight transmitted by a pre spike; ``k``: K₋ of the target just before t − d."""
        raise NotImplementedError

    @property
    def rules(self) -> tuple:
        """The rules the network's plastic synapses follow (this one alone; :class:`PlasticityRules`: several)."""
        return (self,)

    def rule_index(self, table) -> np.ndarray:
        """Which of :attr:`rules` each row of ``table`` (``Params.stdp``, on the host) belongs to."""
        return np.zeros(len(table), np.int64)

    def mixed(self, flag: str) -> bool:
        """Whether some but not all of the network's plastic synapses follow a rule with pairing ``flag``."""
        return False

    def term_rows(self, Kplus, decay, p):
        """:meth:`term` for synapses of rule rows ``p`` (one rule: the rows do not matter)."""
        return self.term(Kplus, decay)

    def over_tau_rows(self, dt, p):
        """:meth:`over_tau` for synapses of rule rows ``p`` (τ₊: their first column)."""
        return self.over_tau(dt, p[..., 0])

    def check(self, v: dict, where: str) -> None:
        """The rule's parameters (name -> scalar or array over connections): finite, τ₊ >= 0."""
        for name in self.columns:
            if name in v:
                checks.finite(f"{where}: {name}", np.asarray(v[name], np.float64))
        if "tau_plus" in v:
            tau = np.asarray(v["tau_plus"], np.float64)
            checks.first_bad(f"{where}: tau_plus", tau, tau < 0, "tau_plus >= 0 ms")


# what a rule keeps to itself: a network with such a rule and another is refused
SOLITARY = ("libm", "dopamine")


@dataclasses.dataclass(frozen=True)
class PlasticityRules(PlasticityRule):
    """Several pair-based rules in one network (NEST runs, e.g., stdp_synapse on E→E and
    vogels_sprekeler_synapse on I→E side by side). A row of ``Params.stdp`` is its rule's row (the rule's
    columns, padded) followed by the rule's index in :attr:`rules` (the last column, a float); the engine runs
    each rule's arithmetic on every event and keeps, per synapse, its own rule's result. The postsynaptic
    archive (K₋) is shared, as NEST's; K₊ traces are numbered per rule (one per synapse where some rule resets
    its trace). A pairing flag (``nearest``, ``first_only``, ``depress_if_paired``, ``resets_trace``) is the
    network's where any rule has it, and the engine applies it to the synapses whose rule has it (:meth:`mask`).
    A triplet rule gets the targets' K₋,₃ and its synapses' K₊,₃ (``k3``). Rules combine unless one is
    neuromodulated (:func:`solitary`)."""

    rules: tuple = ()

    @property
    def columns(self) -> tuple:  # every rule's columns, each named once (GetConnections' union)
        return tuple(dict.fromkeys(c for r in self.rules for c in r.columns))

    @property
    def traces(self) -> tuple:
        return tuple(dict.fromkeys(c for r in self.rules for c in r.traces))

    @property
    def differentiable(self) -> bool:
        return all(r.differentiable for r in self.rules)

    @property
    def width(self) -> int:
        return max(r.width for r in self.rules) + 1

    sign_of = None  # per rule (each row's own rule names its column)

    # a pairing flag is the network's where any rule has it; the engine then asks which synapses (mask)
    nearest = property(lambda self: any(r.nearest for r in self.rules))
    first_only = property(lambda self: any(r.first_only for r in self.rules))
    depress_if_paired = property(lambda self: any(r.depress_if_paired for r in self.rules))
    resets_trace = property(lambda self: any(r.resets_trace for r in self.rules))
    triplet = property(lambda self: any(r.triplet for r in self.rules))  # (K₋,₃ archived for every target)

    def rule_index(self, table) -> np.ndarray:
        return np.asarray(table)[:, -1].astype(np.int64) if len(table) else np.zeros(0, np.int64)

    def mixed(self, flag: str) -> bool:
        return len({bool(getattr(r, flag)) for r in self.rules}) > 1

    def mask(self, flag, p):
        """Whether the synapses of rule rows ``p`` follow a rule with pairing ``flag`` (array over ``p``)."""
        which = p[..., -1]
        out = which != which  # all False (NaN rows aside, there are none)
        for i, r in enumerate(self.rules):
            if getattr(r, flag):
                out = out | (which == float(i))
        return out

    def _pick(self, p, values):
        """Per synapse, its own rule's entry of ``values`` (one per rule)."""
        out = values[-1]
        for i in range(len(values) - 2, -1, -1):
            out = jnp.where(p[..., -1] == float(i), values[i], out)
        return out

    def column(self, p, name):
        return self._pick(p, [p[..., r.columns.index(name)] if name in r.columns else jnp.full(p.shape[:-1], jnp.nan)
                              for r in self.rules])

    def term(self, Kplus, decay):
        raise NotImplementedError("several rules: term_rows")

    def term_rows(self, Kplus, decay, p):
        return self._pick(p, [r.term(Kplus, decay) for r in self.rules])

    def over_tau(self, dt, tau):
        raise NotImplementedError("several rules: over_tau_rows")

    def over_tau_rows(self, dt, p):
        return self._pick(p, [r.over_tau(dt, p[..., 0]) for r in self.rules])

    def facilitate(self, w, k, p, mu_is_one=False, k3=None):
        mu = mu_is_one if isinstance(mu_is_one, tuple) else (mu_is_one,) * len(self.rules)
        return self._pick(p, [r.facilitate(w, k, p, m, k3=k3) if r.triplet else r.facilitate(w, k, p, m)
                              for r, m in zip(self.rules, mu)])

    def depress(self, w, k, p, mu_is_one=False, k3=None):
        mu = mu_is_one if isinstance(mu_is_one, tuple) else (mu_is_one,) * len(self.rules)
        return self._pick(p, [r.depress(w, k, p, m, k3=k3) if r.triplet else r.depress(w, k, p, m)
                              for r, m in zip(self.rules, mu)])

    def check(self, v, where):
        for r in self.rules:
            r.check(v, where)


def solitary(rules) -> PlasticityRule | None:
    """The first of ``rules`` that cannot share a network with another rule (None: they combine): a rule with one
    of the properties of :data:`SOLITARY` runs only alone."""
    for r in rules:
        if any(getattr(r, f) for f in SOLITARY):
            return r
    return None


@dataclasses.dataclass(frozen=True)
class ShortTermRule:
    """The per-spike dynamics of a synapse whose state changes only when its presynaptic neuron spikes
    (NEST's ``send``: short-term plasticity). Instances are frozen and hashable (the engine receives one in
    ``Spec.plasticity.stp_rule``). ``columns``: the rule's parameters (the columns of a row of ``Params.stp``);
    ``state``: the synapse's state variables, initial values from the parameters of the same names;
    ``t_last0``: the time of the last spike before the first (ms, on the grid; negative: none, as NEST's
    −1). The engine keeps each synapse's state and its last spike's stamp; its work is per event: a
    spike updates only its outgoing synapses."""

    columns: ClassVar[tuple]
    state: ClassVar[tuple]
    t_last0: ClassVar[float] = 0.0
    differentiable: ClassVar[bool] = False  # gradients through the state not yet checked: refused by name
    # a stochastic rule draws: on_pre gets ``draw`` = (key words, the spike's step, the synapses' global ids),
    # the key of counter-based uniforms (jaxsnn.core.rng.bits), and returns whether each spike is sent at all
    stochastic: ClassVar[bool] = False

    def configure(self, table, state) -> ShortTermRule:
        """The instance that runs the synapses with rule rows ``table`` ([rows, columns]) and initial ``state``
        (name -> array over synapses): static choices made at build (e.g. the most release sites)."""
        return self

    def on_pre(self, p: dict, s: dict, h, sent_before, w, draw=None) -> tuple:
        """A spike sent ``h`` ms after the synapse's previous one (``sent_before`` False: none before, and
        ``h`` is meaningless) through synapses of state ``s`` (name -> array over events), with rule
        parameters ``p`` (name -> array) and weight ``w``: (new state, weight sent), or for a ``stochastic``
        rule (new state, weight sent, whether it is sent: a spike not sent is neither delivered nor recorded)."""
        raise NotImplementedError


class SynapseModel:
    """The contract of a synapse model (see the section above).

    ``name``: NEST's name; ``parameters``: NEST's parameter table (:data:`CONNECTION` plus the model's
    own; ``state=True`` marks initial values of synapse state such as ``Kplus``); ``common``: the
    parameters shared by all connections of the (copied) model, set with ``copy_model``/``set_defaults``
    only (the ``_hom`` variants, as NEST); ``aliases``: other NEST names of the same model (the
    ``*_hpc`` variants, which store targets more compactly and compute the same numbers); ``rule``: the
    plasticity rule (None: static); ``from_devices``: generators may connect through it; ``settable``:
    what may change between runs (``restore_into`` writes weights). ``columns``: what
    ``GetConnections`` reports beyond source, target, weight, delay and synapse_model."""

    name: ClassVar[str]
    parameters: ClassVar[dict]
    common: ClassVar[tuple] = ()
    aliases: ClassVar[tuple] = ()
    rule: ClassVar[PlasticityRule | ShortTermRule | None] = None
    from_devices: ClassVar[bool] = False
    settable: ClassVar[tuple] = ("weight",)

    @classmethod
    def defaults(cls) -> dict:
        return {k: p.default for k, p in cls.parameters.items()}

    @classmethod
    def differentiable(cls) -> bool:
        return cls.rule is None or cls.rule.differentiable

    @classmethod
    def homogeneous(cls) -> bool:
        """The rule's parameters are common properties: one row of ``Params.stdp`` per copied model."""
        return cls.rule is not None and set(cls.rule.columns) <= set(cls.common)

    @classmethod
    def per_connection(cls) -> tuple:
        """The values ``connect`` holds per connection (scalars, arrays or distributions; a common weight
        from the model's defaults), in the order their random streams are numbered: delay, weight, then
        the table's order."""
        return ("delay", "weight") + tuple(k for k in cls.parameters if k not in CONNECTION and k not in cls.common)

    @classmethod
    def columns(cls) -> tuple:
        """GetConnections columns of the model's own parameters and state."""
        if cls.rule is None:
            return ()
        if isinstance(cls.rule, ShortTermRule):
            return cls.rule.columns + cls.rule.state
        return cls.rule.columns + cls.rule.traces

    @classmethod
    def row(cls, values: dict) -> list:
        """A row of ``Params.stdp`` (``Params.stp``) from the rule's parameters ``values``."""
        if isinstance(cls.rule, ShortTermRule):
            return [values[k] for k in cls.rule.columns]
        return [values[k] for k in cls.rule.columns] + [1.0] * (cls.rule.width - len(cls.rule.columns))

    @classmethod
    def check_defaults(cls, v: dict, where: str) -> None:
        """NEST's checks of the model's defaults ``v`` (``copy_model``/``set_defaults``)."""
        if isinstance(cls.rule, PlasticityRule):
            cls.rule.check({k: checks.floats(f"{where}: {k}", v[k]) for k in cls.rule.columns}, where)
            numbers = {k: x for k, x in v.items() if isinstance(x, (int, float, np.integer, np.floating))
                       and not isinstance(x, bool)}
            if all(k in numbers for k in cls.per_connection()):  # not with a distribution among them
                # NEST checks a default connection as any other (e.g. weight and Wmax of one sign)
                cls.check({k: np.asarray([x], np.float64) for k, x in numbers.items()}, where)
        elif isinstance(cls.rule, ShortTermRule):  # parameters and initial state, as connect checks them
            names = cls.rule.columns + cls.rule.state
            cls.check({k: checks.floats(f"{where}: {k}", v[k]) for k in names if k in v}, where)

    @classmethod
    def check(cls, v: dict, where: str) -> None:
        """NEST's checks of ``connect``'s values ``v`` (name -> array over the connections: weight and
        :meth:`per_connection`); raise naming the first bad value."""
        if isinstance(cls.rule, PlasticityRule):
            cls.rule.check(v, where)
