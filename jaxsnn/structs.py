"""The compiled network: a static :class:`Spec`, a :class:`Params` pytree and a :class:`State` pytree.

``Params`` holds what a run reads but never changes (neuron parameters and their propagators,
topology, devices); ``State`` holds everything that changes (membrane potentials, refractory counters,
spikes in transit, STDP traces and weights, the step counter, the key, recorder buffers). Both are
frozen dataclasses registered with ``jax.tree_util``: they can be jitted, vmapped, differentiated and
checkpointed leaf by leaf. ``Spec`` is hashable and holds only shapes and static choices.
"""
from __future__ import annotations

import dataclasses

import jax


def pytree(cls):
    """Frozen dataclass whose fields are all pytree children."""
    cls = dataclasses.dataclass(frozen=True)(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    jax.tree_util.register_dataclass(cls, data_fields=names, meta_fields=[])
    cls.replace = lambda self, **kw: dataclasses.replace(self, **kw)
    return cls


@dataclasses.dataclass(frozen=True)
class Spec:
    """Static description: sizes, capacities and which features the step function needs."""

    resolution: float  # ms
    tics_per_step: int
    n_neurons: int
    ring: int  # input ring slots: max delay + slice_steps (Poisson input is pushed a slice ahead)
    history: int  # steps of spike_history kept: max delay + 2 slices
    slice_steps: int  # NEST's min_delay in steps: synaptic events are processed once per slice
    min_isi: int  # shortest possible inter-spike interval of any neuron in steps (t_ref + h)
    slice_capacity: int  # spikes per slice processed at once (grows on overflow)
    post_capacity: int  # post spikes in the STDP window of one slice processed at once (grows)
    out_degree: int  # largest number of outgoing synapses of a neuron
    in_degree: int  # largest number of incoming plastic synapses of a neuron
    post_history: int  # archived post spikes per neuron for K- lookups
    plastic_delays: tuple  # (shortest, longest) delay of plastic synapses in steps; () if none
    stdp_single_row: bool  # one set of plasticity parameters for all plastic synapses
    stdp_unit_mu: tuple  # (mu_plus == 1, mu_minus == 1) for every plastic synapse: skip the powers
    trace_per_source: bool  # one K+ trace per source and one rule (Synapses.source_trace): update per spike
    has_refractory_input: bool
    n_poisson_terms: int  # 0: no poisson_generator
    has_spike_generators: bool
    n_spike_recorders: int
    record_capacity: int  # spike events per recorder and chunk
    multimeter_rows: tuple  # samples per chunk, per multimeter
    weight_capacity: int  # 0: no weight recorder
    x64: bool
    differentiable: bool = False  # fixed-length loops (cost follows capacities): jax.grad works
    neuron_axis: str | None = None  # inside jaxsnn.sharding: the mesh axis the neurons are split over

    @property
    def has_plastic(self):
        return bool(self.plastic_delays)


@pytree
class NeuronParams:
    """iaf_psc_delta parameters per neuron (mV, ms, pF, pA) and exact-integration propagators."""

    E_L: jax.Array
    C_m: jax.Array
    tau_m: jax.Array
    t_ref: jax.Array
    V_th: jax.Array
    V_reset: jax.Array
    I_e: jax.Array
    V_min: jax.Array
    refractory_input: jax.Array  # bool
    tau_minus: jax.Array
    P33: jax.Array  # exp(-h / tau_m)
    P30: jax.Array  # (1 / C_m) (1 - P33) tau_m
    refractory_steps: jax.Array  # int32


OUT_TARGET, OUT_DELAY, OUT_ROW, OUT_TRACE = range(4)  # columns of Synapses.out_syn
IN_SYNAPSE, IN_SOURCE, IN_DELAY, IN_ROW, IN_TRACE = range(5)  # columns of Synapses.in_syn


@pytree
class Synapses:
    """Neuron-to-neuron connections sorted by source (CSR ``out_ptr``); weights live in the state.

    NEST keeps K+ and t_last in every STDP synapse, but all plastic synapses of one source with the same
    tau_plus and initial K+ see the same presynaptic spikes and so hold the same values: the state keeps
    one K+ per such group (``trace``) and t_last per neuron, so that a presynaptic spike updates a few
    entries and a postsynaptic spike reads them from a small, cached array.
    """

    source: jax.Array  # int32 neuron index
    model: jax.Array  # int32 index into the synapse model names
    out_syn: jax.Array  # int32[synapses, 4]: (target, delay, stdp_row, trace), one record per synapse, so
    # that a presynaptic spike reads what it needs in one gather
    out_ptr: jax.Array  # int32[n_neurons + 1]
    in_ptr: jax.Array  # int32[n_neurons * (max plastic delay + 2) + 1]: CSR of in_syn by (target, delay)
    in_syn: jax.Array  # int32[plastic, 5]: (synapse, source, delay, stdp_row, trace) sorted by (target, delay):
    # a post spike's synapses reached in a slice are one range, read as one contiguous record per synapse
    stdp_table: jax.Array  # [rows, 6]: tau_plus, lambda, alpha, mu_plus, mu_minus, Wmax
    source_trace: jax.Array  # int32[n_neurons]: K+ trace of each neuron as a source (-1: none), when
    # Spec.trace_per_source; else all -1

    target = property(lambda self: self.out_syn[:, OUT_TARGET])  # int32 neuron index
    delay = property(lambda self: self.out_syn[:, OUT_DELAY])  # int32 steps
    stdp_row = property(lambda self: self.out_syn[:, OUT_ROW])  # int32 row of stdp_table, -1 for static ones
    trace = property(lambda self: self.out_syn[:, OUT_TRACE])  # int32 index of the K+ trace in the state


@pytree
class Devices:
    """Generators (flattened over connections) and recorder selections."""

    pg_target: jax.Array
    pg_weight: jax.Array
    pg_delay: jax.Array
    pg_generator: jax.Array  # index into pg_rate / windows
    pg_stream: jax.Array  # global stream id of the connection (independent trains per connection)
    pg_rate: jax.Array  # Hz per generator
    pg_window: jax.Array  # int32[n_gen, 2]: active steps s with lo < s <= hi
    sg_step: jax.Array  # emission step of each event, sorted by (slice, generator, step)
    sg_target: jax.Array
    sg_weight: jax.Array
    sg_delay: jax.Array
    sr_mask: jax.Array  # bool[n_recorders, n_neurons]
    sr_window: jax.Array  # int32[n_recorders, 2]: stamps t with lo < t <= hi
    mm_index: tuple  # per multimeter: int32 neuron indices
    mm_interval: jax.Array  # int32 steps, per multimeter
    mm_window: jax.Array  # int32[n_mm, 2]
    wr_mask: jax.Array  # bool[n_synapses]


@pytree
class Params:
    neurons: NeuronParams
    synapses: Synapses
    devices: Devices


@pytree
class State:
    step: jax.Array  # int32: global step index; the next step to compute
    rng: jax.Array  # uint32[2] key words of the simulation streams
    V_rel: jax.Array  # V_m - E_L (mV)
    refractory: jax.Array  # int32 steps left
    refractory_buffer: jax.Array  # input gathered during refractoriness (refractory_input)
    ring: jax.Array  # [ring, n]: input arriving at each future step (spikes in transit)
    spike_history: jax.Array  # bool[history, n]: who spiked in the last `history` steps (in transit, STDP)
    recorded_until: jax.Array  # int32: spikes of earlier steps are in the recorders already
    # STDP archive of post spikes up to the start of the current slice (a slice's spikes are archived
    # when it ends; only later slices read them)
    Kminus: jax.Array  # postsynaptic trace after the last spike
    last_post: jax.Array  # int32 stamp of the last spike
    post_stamps: jax.Array  # int32[n, post_history] archive of recent spike stamps
    post_Kminus: jax.Array  # [n, post_history] K- right after those spikes
    n_post: jax.Array  # int32 spikes so far (archive write position)
    weight: jax.Array  # current weight of every synapse (includes pending facilitation)
    weight_reported: jax.Array  # weight after the last delivered presynaptic spike (NEST's view)
    Kplus: jax.Array  # presynaptic traces K+, one per (source, tau_plus, initial K+): see Synapses.trace
    t_last: jax.Array  # int32[n_neurons]: stamp of each neuron's last spike sent through its synapses
    sr_count: jax.Array  # int32[n_recorders]
    sr_senders: jax.Array  # int32[n_recorders, capacity] neuron index
    sr_stamps: jax.Array  # int32[n_recorders, capacity]
    mm_count: jax.Array  # int32[n_mm]
    mm_values: tuple  # per multimeter [rows, n_recorded]
    mm_stamps: tuple  # per multimeter int32[rows]
    wr_count: jax.Array  # int32
    wr_stamps: jax.Array
    wr_synapse: jax.Array
    wr_weights: jax.Array
    overflow: jax.Array  # int32 bit mask of exceeded capacities (see engine.OVERFLOW_*)
