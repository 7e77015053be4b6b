"""The compiled network: a :class:`Model`, a :class:`Params` pytree and a :class:`State` pytree.

- ``Model`` is what a run never changes and nobody differentiates: the static :class:`Spec` (sizes,
  capacities, modes; hashable, so jit treats it as a constant) and the topology (integer and boolean
  arrays: who connects to whom, with which delay, which generator drives which neuron, what each
  recorder selects).
- ``Params`` holds floating-point leaves only, each of which drives the dynamics: neuron parameters
  under their NEST names, plasticity rules, generator rates and weights. ``jax.grad(loss)(params)``
  and ``jax.vmap`` over any leaf work without filters.
- ``State`` is everything that changes, grouped by concern: ``neurons``, ``transit`` (spikes on their
  way), ``synapses`` (weights), ``plasticity`` (STDP traces and archives), ``buffers`` (recorders),
  plus the step counter, the key words of the random streams and the overflow flags.

All are frozen dataclasses registered with ``jax.tree_util`` and have ``.replace(**fields)``.
"""
from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


def pytree(cls=None, *, meta=()):
    """Frozen dataclass whose fields are pytree children, except those named in ``meta``."""
    def wrap(cls):
        cls = dataclasses.dataclass(frozen=True)(cls)
        names = [f.name for f in dataclasses.fields(cls) if f.name not in meta]
        jax.tree_util.register_dataclass(cls, data_fields=names, meta_fields=list(meta))
        cls.replace = lambda self, **kw: dataclasses.replace(self, **kw)
        return cls

    return wrap if cls is None else wrap(cls)


# How spike events reach a neuron (its model's ``inputs``; the ring's routing of each event): summed into
# one channel; into an excitatory and an inhibitory channel by the sign of weight x multiplicity; into
# the channel of the connection's receptor_type (1-based ports); as multiplicities (weights ignored).
SUMMED, BY_SIGN, BY_PORT, COUNTS = range(4)


class Input(NamedTuple):
    """What a neuron model reads in one step (:meth:`jaxsnn.models.base.NeuronModel.update`)."""

    spikes: Any  # [spike_channels, n]: this step's spike input per channel (mV, pA or counts)
    current: Any  # [rows, n]: current generators' input of the previous step per receptor (pA); None in
    # networks without current generators (rows: the receptors any current generator connection uses)
    key: Any = None  # uint32[2]: the simulation's key words, for models that draw random numbers (from the
    # key, their own step counter and the neuron's node id, so split and resumed runs draw the same)


def _group(cls):
    return dataclasses.dataclass(frozen=True)(cls)


@_group
class Timing:
    """Time (the grid of NEST's tics and steps)."""

    resolution: float  # ms
    tics_per_step: int
    slice_steps: int  # NEST's min_delay in steps: synaptic events are processed once per slice


@_group
class Sizes:
    """Shapes of the arrays of neurons, rings and outgoing synapses."""

    n_neurons: int
    ring: int  # input ring slots: max delay + slice_steps (Poisson input is pushed a slice ahead)
    history: int  # steps of spike_history kept: max delay + 2 slices
    min_isi: int  # shortest possible inter-spike interval of any neuron in steps (t_ref + h)
    out_degree: int  # largest number of outgoing synapses of a neuron


@_group
class Capacities:
    """Work lists of the event loop (grow on overflow; see Overflow)."""

    slice_capacity: int  # spikes per slice processed at once
    post_capacity: int  # post spikes in the STDP window of one slice processed at once


@_group
class Models:
    """The models present (static metadata: the engine calls them and never names one)."""

    # Neuron models (jaxsnn.models.base.NeuronModel instances), in the order of their first neuron. Each
    # model updates only its own neurons: neuron_runs[i] are model i's (first neuron, count) runs in neuron
    # order (they tile 0 … n_neurons); on a device of a split network, model i's neurons are
    # NeuronTopology.index[i] instead.
    neuron_models: tuple = ()
    neuron_runs: tuple = ()
    # generators of the device interface (jaxsnn.models.base.Generator instances, configured at build). The
    # engine calls each one's push every slice; their topology, params and state are
    # Model/Params/State.generators[name]
    generators: tuple = ()
    n_currents: int = 0  # connections of current generators (generators that emit currents): 0: none
    current_rows: int = 1  # receptors the current connections use (rows of NeuronState.current)
    # the recorder models present (jaxsnn.models.base.Recorder instances, configured at build, with their
    # capacities, grown on overflow). The engine calls each one's record at its hook point
    # (jaxsnn.core.recorders); their topology and buffers are Model.recorders[name] and State.buffers[name]
    recorders: tuple = ()

    @property
    def spike_channels(self) -> int:
        """Channels of the input ring (rows ``c · ring + k % ring``): the most any model reads."""
        return max([m.spike_channels for m in self.neuron_models], default=1)

    @property
    def has_multiplicity(self):
        """Some neurons count events (inputs COUNTS, parrot_neuron): spikes carry a multiplicity
        (Transit.spike_count)."""
        return any(m.inputs == COUNTS for m in self.neuron_models)

    @property
    def routed(self):
        """Some neurons take events in channels by sign or port: the ring has several channels."""
        return any(m.inputs in (BY_SIGN, BY_PORT) for m in self.neuron_models)


@_group
class PlasticitySpec:
    """The synapses whose state changes with spikes: their rules and the sizes their bookkeeping needs."""

    plastic_delays: tuple  # (shortest, longest) delay of plastic synapses in steps; () if none
    in_degree: int  # largest number of incoming plastic synapses of a neuron
    post_history: int  # archived post spikes per neuron for K- lookups
    # jaxsnn.nest: the stamps of each neuron's last post_log spikes, kept for the host (PostArchive.post_log_stamps:
    # a facilitation pending when a plastic connection is set between runs is recomputed from them); 0: none
    post_log: int = 0
    # the rule of the plastic synapses (a jaxsnn.models.base.PlasticityRule: its columns name the columns of
    # Params.stdp; several rules: one PlasticityRules, whose rows end with each row's rule); None without plastic
    # synapses
    stdp_rule: object = None
    stdp_single_row: bool = False  # one set of plasticity parameters for all plastic synapses
    stdp_unit_mu: tuple = (False, False)  # (mu_plus == 1, mu_minus == 1) for every plastic synapse: skip the powers
    # (several rules: ((mu_plus == 1 per rule), (mu_minus == 1 per rule)), each over its own synapses)
    trace_per_source: bool = False  # one K+ trace per source and one rule (Synapses.source_trace): update per spike
    # the short-term rule of the synapses whose state changes at presynaptic spikes (a
    # jaxsnn.models.base.ShortTermRule; columns of Params.stp, state in SynapseState.stp); None if none.
    # Their rows of Params.stp are -2 - out_syn's OUT_ROW (-1: static, >= 0: a row of Params.stdp)
    stp_rule: object = None
    stp_single_row: bool = False  # one set of short-term parameters for all such synapses

    @property
    def has_plastic(self):
        return bool(self.plastic_delays)


@_group
class Autodiff:
    """The differentiable build's choices (docs/gradients.md); all off in the event-driven build."""

    differentiable: bool = False  # fixed-length loops (cost follows capacities): jax.grad works
    surrogate: tuple = ("fast_sigmoid", 20.0)  # the spike's surrogate: (name, β in 1/mV)
    detach_reset: bool = False  # the reset passes no gradient through the spike
    checkpoint_every: int = 0  # steps between rematerialisation points; 0: store every step's residuals
    # projections delivered as a matrix product per slice (jaxsnn.core.dense): (src_lo, n_src, tgt_lo,
    # n_tgt, delay, psc_target) each; event_synapses: whether the event loop still delivers any synapse
    dense_blocks: tuple = ()
    event_synapses: bool = True


_GROUPS = {"time": Timing, "sizes": Sizes, "capacities": Capacities, "models": Models,
           "plasticity": PlasticitySpec, "autodiff": Autodiff}


@dataclasses.dataclass(frozen=True)
class Spec:
    """Static description of a compiled network (hashable, so jit treats it as a constant), grouped by
    concern: ``time``, ``sizes``, ``capacities``, ``models``, ``plasticity``, ``autodiff``,
    plus the float width and, inside :mod:`jaxsnn.sharding`, the mesh axis the neurons are split over."""

    time: Timing
    sizes: Sizes
    capacities: Capacities
    models: Models
    plasticity: PlasticitySpec
    autodiff: Autodiff = Autodiff()
    x64: bool = False
    neuron_axis: str | None = None

    def fields(self) -> dict:
        """Every setting by its own name (the names are unique across the groups), groups flattened."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)  # a group's own fields only: its values (models, rules) stay as they are
            out.update({g.name: getattr(v, g.name) for g in dataclasses.fields(v)} if f.name in _GROUPS
                       else {f.name: v})
        return out

    def replace(self, **settings) -> Spec:
        """A copy with the named settings changed, each in its group (``spec.replace(slice_capacity=512)``)."""
        groups = {}
        for name, value in settings.items():
            if name not in _OWNER:
                raise TypeError(f"Spec has no setting {name!r}; settings: {sorted(_OWNER)}")
            groups.setdefault(_OWNER[name], {})[name] = value
        top = groups.pop("", {})
        changed = {g: dataclasses.replace(getattr(self, g), **kw) for g, kw in groups.items()}
        return dataclasses.replace(self, **changed, **top)


_OWNER = {f.name: g for g, cls in _GROUPS.items() for f in dataclasses.fields(cls)}  # setting -> its group
_OWNER.update({"x64": "", "neuron_axis": ""})  # ("": Spec's own)


# ---------------------------------------------------------------------------------------- Model
OUT_TARGET, OUT_DELAY, OUT_ROW, OUT_TRACE = range(4)  # columns of Synapses.out_syn
IN_SYNAPSE, IN_SOURCE, IN_DELAY, IN_ROW, IN_TRACE = range(5)  # columns of Synapses.in_syn


@pytree
class NeuronTopology:
    """Per-neuron facts that are not numbers to tune: how events reach each neuron, and per model the
    host's constants (:meth:`~jaxsnn.models.base.NeuronModel.host_constants`: NEST's exact propagators
    for the built parameters, refractory steps, switches), over the model's neurons."""

    route: jax.Array  # int32[N]: SUMMED, BY_SIGN, BY_PORT or COUNTS (its model's inputs)
    constants: dict  # model name -> {name: array over the model's neurons}
    index: tuple = ()  # on a device of a split network, per model: its neurons' local indices (padding: N)


@pytree
class Synapses:
    """Neuron-to-neuron connections sorted by source (CSR ``out_ptr``).

    NEST keeps K+ and t_last in every STDP synapse, but all plastic synapses of one source with the same
    tau_plus and initial K+ see the same presynaptic spikes and so hold the same values: the state keeps
    one K+ per such group (``trace``) and t_last per neuron, so that a presynaptic spike updates a few
    entries and a postsynaptic spike reads them from a small, cached array.
    """

    model: jax.Array  # uint8 (int32 past 255 models) index into the synapse model names; never read by the engine
    out_syn: jax.Array  # int32[synapses, 4]: (target, delay, stdp_row, trace), one record per synapse, so
    # that a presynaptic spike reads what it needs in one gather; int32[synapses, 2] (target, delay) in a network
    # without plastic synapses (8 bytes per synapse less)
    out_ptr: jax.Array  # int32[n_neurons + 1]
    in_ptr: jax.Array  # int32[n_neurons * (max plastic delay + 2) + 1]: CSR of in_syn by (target, delay)
    in_syn: jax.Array  # int32[plastic, 5]: (synapse, source, delay, stdp_row, trace) sorted by (target, delay):
    # a post spike's synapses reached in a slice are one range, read as one contiguous record per synapse
    source_trace: jax.Array  # int32[n_neurons]: K+ trace of each neuron as a source (-1: none), when
    # Spec.plasticity.trace_per_source; else all -1
    receptor1: jax.Array | None = None  # bool[synapses]: onto a parrot_neuron's receptor 1 (not repeated); None
    # if there is none
    port: jax.Array | None = None  # int32[synapses]: the ring channel of a BY_PORT target (receptor_type − 1),
    # 0 for other targets; None in networks without BY_PORT targets

    @property
    def n_synapses(self) -> int:
        return int(self.out_syn.shape[0])

    @property
    def source(self) -> np.ndarray:
        """int32 neuron index of each synapse's source (host): derived from the CSR pointers, not kept per
        synapse (4 bytes per synapse less)."""
        ptr = np.asarray(self.out_ptr)
        return np.repeat(np.arange(len(ptr) - 1, dtype=np.int32), np.diff(ptr))

    @property
    def target(self):
        """int32 neuron index of each synapse."""
        return self.out_syn[:, OUT_TARGET]

    @property
    def stdp_row(self):
        """int32 plasticity row of each synapse, -1 for a static one (a NumPy array where none is plastic)."""
        return self.out_syn[:, OUT_ROW] if self.out_syn.shape[1] > OUT_ROW else np.full(len(self.out_syn), -1, np.int32)

    @property
    def trace(self):
        """int32 K₊ trace of each synapse (0 for a static one; a NumPy array where none is plastic)."""
        static = self.out_syn.shape[1] <= OUT_TRACE
        return np.zeros(len(self.out_syn), np.int32) if static else self.out_syn[:, OUT_TRACE]


@pytree(meta=("spec",))
class Model:
    """What one run never changes: the spec (static under jit) and the integer/boolean topology."""

    spec: Spec
    neurons: NeuronTopology
    synapses: Synapses
    dense: tuple = ()  # int32[n_src, n_tgt] synapse index of each entry of a dense projection (-1: none)
    event_mask: jax.Array | None = None  # bool[synapses]: delivered by the event loop (None: all)
    # per generator model of Spec.generators: its connections (target, delay, stream, generator per
    # connection; the per-generator tables the model needs), jaxsnn.models.base.Generator.lower
    generators: dict = dataclasses.field(default_factory=dict)
    # the volume transmitters of a neuromodulated rule (jaxsnn.core.dopamine: the transmitter of each synapse,
    # the connections into transmitters, their deliver_interval); empty otherwise
    transmitters: dict = dataclasses.field(default_factory=dict)
    # per recorder model of Spec.models.recorders: what each of its nodes selects (Recorder.lower)
    recorders: dict = dataclasses.field(default_factory=dict)


# --------------------------------------------------------------------------------------- Params
def _frozen(d):
    """A dict of dicts as nested tuples (hashable where its leaves are)."""
    return tuple((k, _frozen(v) if isinstance(v, dict) else v) for k, v in sorted(d.items()))


@pytree
class NeuronParams:
    """Neuron parameters (floats, NEST's names and units): per model a dict over its neurons, in node
    order (``models[name]["I_e"]``), and the postsynaptic STDP trace's time constant of every neuron."""

    tau_minus: jax.Array  # ms, [N]
    models: dict  # model name -> {NEST name: array over the model's neurons}
    tau_minus_triplet: jax.Array | None = None  # ms, [N]: the postsynaptic triplet trace's (stdp_triplet_synapse)

    def __hash__(self):  # a tree of in_axes (None/0 leaves) is a static argument: hashable like the rest
        return hash((self.tau_minus, _frozen(self.models), self.tau_minus_triplet))

    def __getitem__(self, model: str) -> dict:
        """The params of ``model``'s neurons: ``params.neurons["iaf_psc_delta"]["I_e"]``."""
        return self.models[model]

    def updated(self, model: str, **values) -> NeuronParams:
        """These params with some of ``model``'s replaced (``jax.grad``/``vmap``-friendly)."""
        return self.replace(models={**self.models, model: {**self.models[model], **values}})


@pytree
class Params:
    """Floating-point leaves only, each read by the dynamics."""

    neurons: NeuronParams
    stdp: jax.Array  # [rows, 6]: one row of the plasticity rule's parameters (spec.plasticity.stdp_rule.columns,
    # padded with 1.0)
    stp: jax.Array | None = None  # [rows, len(spec.plasticity.stp_rule.columns)]: the short-term rule's parameters
    generators: dict = dataclasses.field(default_factory=dict)  # per model of Spec.generators: weight per
    # connection and its float parameters per generator (NEST's names)

    def __hash__(self):  # a tree of in_axes (None/0 leaves) is a static argument: hashable like the rest
        return hash((self.neurons, self.stdp, _frozen(self.generators), self.stp))

    def with_generator(self, model: str, **values) -> Params:
        """These params with some of generator model ``model``'s replaced (``jax.grad``/``vmap``-friendly):
        ``params.with_generator("poisson_generator", rate=r)``."""
        return self.replace(generators={**self.generators, model: {**self.generators[model], **values}})


# ---------------------------------------------------------------------------------------- State
@pytree
class NeuronState:
    """Per model its state variables over its neurons (``models[name]``, the model's own names, e.g.
    iaf_psc_delta's V_rel = V_m − E_L and refractory counters), and the current generators' input of the
    previous step, which acts on V in this one."""

    models: dict  # model name -> {name: array over the model's neurons}
    current: jax.Array | None = None  # [current_rows, N] pA; None without current generators

    def __hash__(self):
        return hash((self.current, _frozen(self.models)))

    def __getitem__(self, model: str) -> dict:
        """The state of ``model``'s neurons: ``state.neurons["iaf_psc_delta"]["V_rel"]``."""
        return self.models[model]

    def updated(self, model: str, **values) -> NeuronState:
        return self.replace(models={**self.models, model: {**self.models[model], **values}})


@pytree
class Transit:
    """Spikes on their way."""

    ring: jax.Array  # [channels · ring, n]: input arriving at each future step; row c · ring + k % ring is
    # channel c (Spec.models.spike_channels): BY_SIGN neurons' inhibitory events (weight × multiplicity <= 0) go to 1
    spike_history: jax.Array  # bool[history, n]: who spiked in the last `history` steps (row: step % history);
    # in the differentiable build float (0.0/1.0, the surrogate's output, through which gradients flow)
    current: jax.Array | None = None  # [current_rows · ring, n]: current generators' input per receptor (pA)
    spike_count: jax.Array | None = None  # int32[history, n] with COUNTS neurons: each spike's multiplicity


@pytree
class SynapseState:
    weight: jax.Array  # the weight each connection transmits (incl. facilitation applied since its last spike)
    reported: jax.Array  # plastic networks: the weight right after each synapse's last presynaptic spike,
    # NEST's lazy view (GetConnections); written by the engine, never read by the dynamics. [0] if static
    stp: dict | None = None  # short-term state per synapse (spec.plasticity.stp_rule.state and t_last, ms); or None


@pytree
class PreTraces:
    """Presynaptic STDP state, the same on every device of a split network."""

    Kplus: jax.Array  # presynaptic traces K+, one per (source, tau_plus, initial K+): see Synapses.trace
    t_last: jax.Array  # int32[n_neurons]: stamp of each neuron's last spike sent through its synapses
    Kplus_triplet: jax.Array | None = None  # the second trace K+,3 of a triplet rule, per trace as Kplus; else None


@pytree
class PostArchive:
    """Postsynaptic STDP state per neuron: the archive of post spikes up to the start of the current
    slice (a slice's spikes are archived when it ends; only later slices read them)."""

    Kminus: jax.Array  # postsynaptic trace after the last spike
    last_post: jax.Array  # int32 stamp of the last spike archived (step + 1; 0: none), kept in every network:
    # NEST's t_spike (jaxsnn.run.frames.last_spike_ms adds the spikes of the slice not archived yet)
    post_stamps: jax.Array  # int32[n, post_history] archive of recent spike stamps
    post_Kminus: jax.Array  # [n, post_history] K- right after those spikes
    n_post: jax.Array  # int32 spikes so far (archive write position)
    # a triplet rule's (PlasticityRule.triplet) trace K-,3 (tau_minus_triplet) after the last spike and right
    # after each archived one ([n, post_history]); None without such a rule
    Kminus_triplet: jax.Array | None = None
    post_Kminus_triplet: jax.Array | None = None
    post_log_stamps: jax.Array | None = None  # int32[n, post_log] (spec.plasticity.post_log > 0), written only
    # NEST's calcium trace (StructuralPlasticityNode; jaxsnn.core.calcium) where the network keeps it (build(calcium=
    # True), every jaxsnn.nest network), else None: Ca after the last update, the time of that update (ms: NEST's
    # Ca_t_, a spike or the end of a run), and each neuron's tau_Ca (ms) and beta_Ca, [n] each
    Ca: jax.Array | None = None
    Ca_t: jax.Array | None = None
    tau_Ca: jax.Array | None = None
    beta_Ca: jax.Array | None = None
    post_log_Kminus_triplet: jax.Array | None = None  # [n, post_log]: a triplet rule's K₋,₃ with each, alike


@pytree
class Plasticity:
    pre: PreTraces
    post: PostArchive
    # a neuromodulated rule's state (PlasticityRule.dopamine: each synapse's c, n, last update and the volume
    # transmitters' spike lists and input ring, jaxsnn.core.dopamine); None otherwise
    dopa: dict | None = None


@pytree(meta=("slice_steps",))
class State:
    step: jax.Array  # int32: global step index; the next step to compute
    key: jax.Array  # uint32[2] key words of the simulation's random streams (jaxsnn.simulation_key)
    overflow: jax.Array  # int32 Overflow bits of exceeded capacities since the last check
    neurons: NeuronState
    transit: Transit
    synapses: SynapseState
    plasticity: Plasticity
    buffers: dict  # per recorder model of Spec.models.recorders: its buffers (emptied by the host after every chunk)
    slice_steps: int = 1
    generators: dict = dataclasses.field(default_factory=dict)  # per model of Spec.generators: its state
    # (oscillators, gamma processes' stages, dead times), computed alike on every device of a split run

    def __hash__(self):  # as Params: a tree of in_axes is hashable
        return hash(tuple(getattr(self, f.name) for f in dataclasses.fields(self)
                          if f.name not in ("generators", "buffers"))
                    + (_frozen(self.generators), _frozen(self.buffers)))

    @property
    def spikes(self) -> jax.Array:
        """Who spiked in each of the last ``slice_steps`` steps ([slice_steps, neurons]): after
        :func:`jaxsnn.step`, the slice just advanced. Bool; float (0.0/1.0, differentiable) in the
        differentiable build."""
        history = self.transit.spike_history
        return history[(self.step - self.slice_steps + jnp.arange(self.slice_steps)) % history.shape[0]]

    @property
    def weights(self) -> jax.Array:
        """The weight each connection transmits (mV), in synapse order (sorted by source)."""
        return self.synapses.weight

    def floats(self) -> tuple[State, State]:
        """``(floats, rest)``: this state with only its floating-point leaves (None elsewhere), and with only
        the others. ``jax.grad`` takes ``floats`` whole; ``State.merge(floats, rest)`` puts them back:

            g = jax.grad(lambda f: loss(State.merge(f, rest)))(floats)
        """
        is_float = lambda x: x is not None and jnp.issubdtype(jnp.result_type(x), jnp.floating)
        floats = jax.tree_util.tree_map(lambda x: x if is_float(x) else None, self)
        rest = jax.tree_util.tree_map(lambda x: None if is_float(x) else x, self)
        return floats, rest

    @staticmethod
    def merge(floats: State, rest: State) -> State:
        """The state that :meth:`floats` split into ``floats`` and ``rest``."""
        return jax.tree_util.tree_map(lambda a, b: b if a is None else a, floats, rest, is_leaf=lambda x: x is None)

    def with_weights(self, weight) -> State:
        """This state with every connection's weight replaced (NEST's view of plastic ones included).

        A value of the state, not NEST's ``set``: facilitations a plastic synapse applied since its source's last
        spike stay applied (NEST would apply them at the next presynaptic spike, from the weight set);
        ``jaxsnn.nest``'s ``set`` recomputes them as NEST (docs/nest.md, deliberate differences)."""
        reported = weight if self.synapses.reported.shape[0] else self.synapses.reported
        return self.replace(synapses=self.synapses.replace(weight=weight, reported=reported))  # stp state kept
