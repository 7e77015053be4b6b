"""The pure-JAX core: :func:`init`, :func:`step` (one slice), :func:`advance` and :func:`scan`.

Contract (jax-md's init/step pair): a compiled network is ``(model, params, state)``
(:mod:`jaxsnn.core.types`); ``step(model, params, state) -> state`` advances exactly one slice of
NEST's ``min_delay`` (``model.spec.time.slice_steps`` steps of ``model.spec.time.resolution`` ms, slices aligned to
t = 0) and can be jitted without static arguments, looped in Python or put in ``lax.scan``: the bits
are those of :func:`jaxsnn.simulate` over the same time. Results are complete only when
:func:`jaxsnn.check` passes on the final state (fixed capacities; see :class:`~jaxsnn.Overflow`).

A slice (``docs/nest_semantics.md`` §0–§4):

1. the previous slice's spikes are processed in one batch: archived for STDP (K₋); the input slots read
   during that slice are cleared; :func:`_deliver` runs STDP depression (for each synapse in time order)
   and delivery into the input ring by sender, then step (NEST's summation order), then the K₊ traces;
   :func:`_facilitate` applies STDP facilitation by postsynaptic spikes that reached their synapses
   during the slice; the SLICE and EVENT recorders record (:mod:`jaxsnn.core.recorders`); the generators push what
   they emit during the new slice (:mod:`jaxsnn.core.generators`);
2. every step of the slice: each neuron model present (``spec.models.neuron_models``, static metadata: the
   engine never names one) updates its own neurons (:func:`_neuron_step`); spikes get the stamp k+1 and
   are marked in ``spike_history``; the STEP recorders read the recorded quantities.

A delay is never shorter than a slice, so delivery at the next slice start is always in time, and a
neuron with synapses spikes at most once per slice (slices are at most the shortest inter-spike
interval t_ref + h long). Batching per slice makes the synaptic work a few large vectorised operations
instead of many small ones per step.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import arguments, autodiff, calcium, dense, dopamine, host, recorders, rng, stdp, stp, threefry
from . import inputs as _inputs
from .events import for_each_range, for_each_synapse
from .generators import ring_add, ring_add_onehot, ring_add_routed
from .rounding import separately_rounded
from .status import Overflow, flag
from .types import (
    BY_PORT,
    IN_DELAY,
    IN_SOURCE,
    OUT_DELAY,
    OUT_TARGET,
    Input,
    Model,
    NeuronState,
    Params,
    Plasticity,
    PostArchive,
    PreTraces,
    State,
    SynapseState,
    Transit,
)

SIM_STREAM = 0x5EED  # folds the seed into the key of the simulation's random streams
BIG = jnp.iinfo(jnp.int32).max // 2

# On GPUs, XLA scatter-adds with repeated indices (synaptic input summed into the ring) use atomics,
# which sum in whatever order threads arrive: the last bit of V_m would differ between identical runs.
# jaxsnn's compiled loops ask for deterministic scatters (ignored on CPUs, whose scatters run in order).
COMPILER_OPTIONS = {"xla_gpu_deterministic_ops": True}
# The loops of networks whose synapses never change are compiled on CPUs by XLA's elemental emitters
# instead of its fusion emitters: the same bits (NEST's cases exact), about 100 MB less compiler memory
# and less compile time for a large network's loop (the 10 % microcircuit's construction peaked while
# compiling: 600 MiB before, 450 MiB with them; NEST 519 MiB), and no slower. Not for plastic ones: the
# founding network (STDP) ran 1.5-3 times slower with them.
STATIC_OPTIONS = {**COMPILER_OPTIONS, "xla_cpu_use_fusion_emitters": False}


def jit(fun, options=COMPILER_OPTIONS, **kw):
    """``jax.jit`` with jaxsnn's compiler ``options`` (deterministic scatters on GPUs; ``STATIC_OPTIONS``:
    also the elemental emitters on CPUs)."""
    jitted = jax.jit(fun, compiler_options=options, **kw)
    jitted._jaxsnn_options = (options, kw)  # what jit_options gives back
    return jitted


def jit_options(jitted) -> tuple:
    """The ``(options, kw)`` a :func:`jit` was made with (a stored program compiles its function afresh
    with them: the same compiler options and output shardings)."""
    return jitted._jaxsnn_options


def simulation_key(seed) -> jax.Array:
    """Key words (uint32[2]) of the simulation's random streams, for an integer seed or a
    ``jax.random.key`` (typed or raw); the int may be traced (vmap over seeds)."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and 0 <= seed <= 0xFFFFFFFF \
            and threefry.available():  # the same words without running an XLA program
        return host.put(threefry.fold_in(threefry.seed_words(seed), SIM_STREAM))
    is_key = jax.dtypes.issubdtype(getattr(seed, "dtype", None), jax.dtypes.prng_key)
    if not is_key and getattr(seed, "dtype", None) == jnp.uint32 and jnp.shape(seed) == (2,):
        seed = jax.random.wrap_key_data(seed)  # a raw (legacy) key
        is_key = True
    key = seed if is_key else jax.random.key(seed)
    return rng.key_words(jax.random.fold_in(key, SIM_STREAM))


def init(model: Model, params: Params, key, neurons: dict, weight, Kplus, generators=None, stp=None,
         Kplus_triplet=None, dopa=None) -> State:
    """A state at time 0: each model's neurons in the state ``neurons`` (model name -> its state dict),
    nothing in transit, the given weights and K₊ traces, empty STDP archives and recorders, the
    generators' initial states ``generators`` (model name -> its state dict); ``key``: an int seed or a
    JAX key; ``stp``: the short-term state per synapse (``spec.plasticity.stp_rule``), or None; ``Kplus_triplet``: a
    triplet rule's second presynaptic traces (as ``Kplus``), or None; ``dopa``: a neuromodulated rule's state
    (:mod:`jaxsnn.core.dopamine`), or None."""
    spec = model.spec
    N, H = spec.sizes.n_neurons, spec.plasticity.post_history
    fdt, i32, zeros = params.neurons.tau_minus.dtype, np.int32, host.filled  # host arrays: nothing to compile
    triplet = spec.plasticity.stdp_rule is not None and spec.plasticity.stdp_rule.triplet
    return State(
        step=zeros((), i32), key=simulation_key(key), overflow=zeros((), i32),
        neurons=NeuronState(models=neurons,
                            current=zeros((spec.models.current_rows, N), fdt) if spec.models.n_currents else None),
        transit=Transit(ring=zeros((spec.models.spike_channels * spec.sizes.ring, N), fdt),
                        spike_history=zeros((spec.sizes.history, N), fdt if spec.autodiff.differentiable else bool),
                        spike_count=zeros((spec.sizes.history, N), i32) if spec.models.has_multiplicity else None,
                        current=zeros((spec.models.current_rows * spec.sizes.ring, N), fdt) if spec.models.n_currents
                        else None),
        synapses=SynapseState(weight=weight, reported=weight if spec.plasticity.has_plastic else zeros(0, fdt),
                              stp=stp),
        plasticity=Plasticity(
            pre=PreTraces(Kplus=Kplus, t_last=zeros(N, i32), Kplus_triplet=Kplus_triplet if triplet else None),
            post=PostArchive(Kminus=zeros(N, fdt), last_post=zeros(N, i32),
                             post_stamps=zeros((N, H), i32, stdp.EMPTY), post_Kminus=zeros((N, H), fdt),
                             n_post=zeros(N, i32), Kminus_triplet=zeros(N, fdt) if triplet else None,
                             post_Kminus_triplet=zeros((N, H), fdt) if triplet else None),
            dopa=dopa),
        buffers=recorders.empty(spec, model, fdt), slice_steps=spec.time.slice_steps, generators=dict(generators or {}))


# ------------------------------------------------------------------------------- public loops
def step(model: Model, params: Params, state: State) -> State:
    """Advance ``state`` by exactly one slice (``model.spec.time.slice_steps`` steps) from a slice-aligned
    step. A misaligned state raises :class:`~jaxsnn.JaxsnnError` when its step is concrete and sets
    ``Overflow.MISALIGNED`` under ``jit`` (:func:`jaxsnn.check` names it)."""
    arguments.leaves(model, params, state)
    if not model.spec.autodiff.differentiable:
        params, state = autodiff.refuse(params, state)
    st = _step(model, params, state)
    return autodiff.checked(st) if model.spec.autodiff.differentiable else st


def _step(model, params, state, mats=None, x=None, c=None):
    """One slice; ``x``: this slice's :class:`~jaxsnn.core.inputs.Inputs` ([L, N] each) or None; ``c``:
    the models' constants (:func:`_constants`, its flags already in ``state.overflow``) or None."""
    L = model.spec.time.slice_steps
    _check_aligned(state.step, L)
    if c is None:
        c, flags = _constants(model, params)
        state = state.replace(overflow=state.overflow | flags)
    if L > 1:  # (every step starts a slice of one step)
        state = state.replace(overflow=state.overflow | flag(state.step % L != 0, Overflow.MISALIGNED))
    st = _slice(model, params, state, mats)
    if x is not None and x.spikes is not None:
        ring = _inputs.push_spikes(model.spec, model, st.transit.ring, x.spikes, st.step)
        st = st.replace(transit=st.transit.replace(ring=ring))
    return _steps(model, params, c, L, st, None if x is None else x.current)


def scan(model: Model, params: Params, state: State, n_slices: int, observe=None, inputs=None):
    """``n_slices`` slices with ``lax.scan``; ``observe(state)`` (any pytree, e.g. ``state.spikes`` or
    ``state.neurons["iaf_psc_delta"]["V_rel"]``) is called after every slice and the results are stacked along a leading
    axis. ``inputs``: per-step spike input and currents as data (:class:`jaxsnn.Inputs`, arrays
    [n_slices × slice_steps, neurons]). Returns ``(state, ys)`` (``ys`` is None without ``observe``)."""
    n_slices = arguments.count("n_slices", n_slices, "slices to advance")
    arguments.leaves(model, params, state)
    diff = model.spec.autodiff.differentiable
    xs = None if inputs is None else _inputs.per_slice(inputs, n_slices, model.spec.time.slice_steps,
                                                       model.spec.sizes.n_neurons)
    if not diff:
        params, state, xs = autodiff.refuse(params, state, xs)
    mats = _dense_matrices(model, state)
    c, flags = _constants(model, params)  # once per run, not per slice (params do not change in it)
    state = state.replace(overflow=state.overflow | flags)

    def one(st, i):
        # slice i's inputs read from the whole arrays, not scanned over: under jax.vmap scanning would
        # first transpose every sample's [steps, neurons] arrays into one [steps, batch, neurons] copy
        x = None if xs is None else jax.tree_util.tree_map(lambda a: lax.dynamic_index_in_dim(a, i, 0, False), xs)
        st = _step(model, params, st, mats, x, c)
        return st, (None if observe is None else observe(st))

    slices = None if xs is None else jnp.arange(n_slices, dtype=jnp.int32)
    if not diff:
        return lax.scan(one, state, slices, length=n_slices)
    # rematerialised in blocks of checkpoint_every steps, rounded up to whole slices
    per_block = -(-model.spec.autodiff.checkpoint_every // model.spec.time.slice_steps)
    state, ys = autodiff.scan_slices(one, state, n_slices, per_block, slices)
    return autodiff.checked(state), ys


def advance(model: Model, params: Params, state: State, n_steps) -> State:
    """Advance ``state`` by ``n_steps`` steps from any step (a traced int: one compilation serves every
    length; a Python int in the differentiable build, whose loops have fixed lengths).

    The loop runs slice by slice: the steps left in the current slice, then slices (slice work, then
    its steps; the last one possibly partial). Loops, not a conditional per step: XLA copies every
    operand of a conditional, which for the synapse arrays would cost more than the simulation. For the
    same reason the step loop carries only what steps change. The slice work appears once in the
    program (compile time and compile memory grow with the program).
    """
    n_steps = arguments.count("n_steps", n_steps, "steps to advance")
    arguments.leaves(model, params, state)
    spec = model.spec
    L = spec.time.slice_steps
    c, flags = _constants(model, params)
    too_long = flag(state.step > jnp.iinfo(jnp.int32).max - 1 - jnp.asarray(n_steps, jnp.int32), Overflow.STEP_COUNTER)
    state = state.replace(overflow=state.overflow | flags | too_long)
    if spec.autodiff.differentiable:  # one scan of fixed length with the slice work under a per-step condition
        mats = _dense_matrices(model, state)

        def one(st):
            st = lax.cond(st.step % L == 0, lambda st: _slice(model, params, st, mats), lambda st: st, st)
            return _steps(model, params, c, 1, st)

        try:
            n_steps = int(n_steps)
        except (jax.errors.ConcretizationTypeError, TypeError):  # a traced length (jaxsnn.simulate's loop):
            return lax.fori_loop(0, n_steps, lambda i, st: one(st), state)  # forward only, the same bits
        return autodiff.checked(autodiff.scan_steps(one, state, n_steps, spec.autodiff.checkpoint_every))
    params, state = autodiff.refuse(params, state)

    n_steps = jnp.asarray(n_steps, jnp.int32)
    head = jnp.minimum(n_steps, (L - state.step % L) % L)
    st = _steps(model, params, c, head, state)
    rest = n_steps - head

    def one_slice(i, st):  # its work, then its steps (fewer in a last partial slice)
        return _steps(model, params, c, jnp.minimum(L, rest - i * L), _slice(model, params, st))

    return lax.fori_loop(0, -(-rest // L), one_slice, st)


advance_jit = jit(advance)  # compiled once per spec (capacities included): n_steps is traced


def fixed_synapses(spec) -> bool:
    """Whether nothing in ``state.synapses`` changes while the network runs (no plasticity of either kind)."""
    return not (spec.plasticity.has_plastic or spec.plasticity.stp_rule is not None or spec.autodiff.differentiable)


def advance_fixed(model: Model, params: Params, state: State, synapses, n_steps) -> State:
    """:func:`advance` of a network whose synapses never change (:func:`fixed_synapses`), with them passed
    apart (``state.synapses`` None) and left out of the result, which the caller completes with the same
    ``synapses``: a compiled function's result may not share an argument's memory, so returning them
    would copy every weight at every call."""
    return advance(model, params, state.replace(synapses=synapses), n_steps).replace(synapses=None)


advance_fixed_jit = jit(advance_fixed, STATIC_OPTIONS)


def _dense_matrices(model, state):
    """The dense projections' weight matrices, once per run (their synapses are static), or None."""
    return dense.matrices(model, state.synapses.weight) if model.spec.autodiff.dense_blocks else None


def _check_aligned(step, L):
    try:
        s = int(step)
    except (jax.errors.ConcretizationTypeError, TypeError):
        return
    if s % L:
        from ..errors import bad_value
        raise bad_value("state.step", s, f"a multiple of the slice length ({L} steps); jaxsnn.step advances whole "
                        "slices from a slice start: use jaxsnn.advance(model, params, state, n_steps) to get there")


def _constants(model, params):
    """Per-run constants of every model (propagators, refractory steps) from ``params``, and the
    overflow bit that says they shorten the shortest inter-spike interval the slices were built for."""
    spec = model.spec
    k, shortest = {}, BIG
    for m in spec.models.neuron_models:
        k[m.name] = m.constants(params.neurons.models[m.name], model.neurons.constants[m.name], spec.time.resolution,
                                spec.time.tics_per_step)
        if "refractory_steps" in k[m.name]:
            shortest = jnp.minimum(shortest, jnp.min(k[m.name]["refractory_steps"], initial=BIG))
    shorter = (shortest + 1 < spec.sizes.min_isi) if spec.sizes.n_neurons else False
    return k, flag(shorter, Overflow.REFRACTORY)


# -------------------------------------------------------------------------------- the steps
def _steps(model, params, c, n, st: State, current=None) -> State:
    """``n`` neuron steps. The loop carries only what a step changes (neurons, transit, the STEP
    recorders' buffers). ``current``: [n, N] pA added to I_e in each step, or None."""
    def body(i, carry):
        p = params if current is None else _with_current(model, params, current[i])
        return _neuron_step(model, p, c, st.key, *carry)

    carry = (st.step, st.overflow, st.neurons, st.transit,
             {r.name: st.buffers[r.name] for r in recorders.at(model.spec, recorders.STEP)})
    if isinstance(n, int) and n == 1:  # one step per slice: no loop of length 1 (whose residuals, in
        s, over, neurons, transit, bufs = body(0, carry)  # reverse mode, are stacked once more)
    else:
        s, over, neurons, transit, bufs = lax.fori_loop(0, n, body, carry)
    return st.replace(step=s, overflow=over, neurons=neurons, transit=transit, buffers={**st.buffers, **bufs})


def _with_current(model, params, current_k):
    """``params`` with ``current_k`` (pA per neuron, [N]) added to I_e of every model that has one, for one
    step (per-step currents given as data, :class:`jaxsnn.Inputs`)."""
    spec, models = model.spec, dict(params.neurons.models)
    for i, m in enumerate(spec.models.neuron_models):
        if "I_e" in models[m.name]:
            mine = models[m.name]
            models[m.name] = {**mine, "I_e": mine["I_e"] + _take(spec, model.neurons, i, current_k)}
    return params.replace(neurons=params.neurons.replace(models=models))


def _take(spec, top, i, x):
    """Model i's neurons of ``x`` ([..., N] -> [..., n_i]): static slices of its runs on one device, a
    gather of its local indices on a device of a split network (padding reads the last neuron)."""
    if spec.neuron_axis is None:
        parts = [x[..., a:a + n] for a, n in spec.models.neuron_runs[i]]
        return parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=-1)
    return x[..., jnp.minimum(top.index[i], x.shape[-1] - 1)]


def _put(spec, top, parts, like):
    """The models' ``parts`` ([..., n_i] each) as one array shaped ``like`` ([..., N]): runs side by side in
    neuron order (no scatter) on one device; a scatter of the local indices on a split network's device
    (padding dropped; neurons of no model keep ``like``'s values)."""
    if not parts:
        return like
    if spec.neuron_axis is None:
        pieces, at = [], [0] * len(parts)
        for _start, i, n in sorted((a, i, n) for i, runs in enumerate(spec.models.neuron_runs) for a, n in runs):
            pieces.append(parts[i][..., at[i]:at[i] + n])
            at[i] += n
        return pieces[0] if len(pieces) == 1 else jnp.concatenate(pieces, axis=-1)
    for i, part in enumerate(parts):
        like = like.at[..., top.index[i]].set(part.astype(like.dtype), mode="drop")
    return like


def _neuron_step(model, params, c, key, s, over, neurons: NeuronState, transit: Transit, bufs):
    """One step of every neuron: each model present updates its own neurons (a step costs the sum over
    models of their neurons), reading its input rows of the ring and the previous step's current; then the
    STEP recorders (``bufs``: their buffers) read the quantities they record."""
    spec, top = model.spec, model.neurons
    R, row = spec.sizes.ring, s % spec.sizes.ring
    N = spec.sizes.n_neurons if spec.neuron_axis is None else transit.ring.shape[1]
    surrogate = _surrogate(spec)
    hist_dtype = transit.spike_history.dtype
    recorded = recorders.quantities(spec)  # what the STEP recorders read (rows of `observed`)
    states, spiked, counts, observed = {}, [], [], []
    # the step only reads the ring (the slice work writes it): a write here would make XLA copy the
    # whole ring every step, since the read is fused into several consumers. This step's rows of all
    # channels are read once for all models (one read, and in reverse mode one update of the ring's
    # cotangent, instead of one per model and channel).
    ring = transit.ring
    rows = lax.dynamic_index_in_dim(ring.reshape(ring.shape[0] // R, R, ring.shape[1]), row, 1, keepdims=False)
    for i, m in enumerate(spec.models.neuron_models):
        take = lambda x, i=i: _take(spec, top, i, x)
        spikes = take(rows[:m.spike_channels])
        current = None if neurons.current is None else take(neurons.current)
        p = params.neurons.models[m.name]
        out = m.update(p, c[m.name], neurons.models[m.name], Input(spikes, current, key), spec.time.resolution,
                       surrogate)
        states[m.name], spk = out[0], out[1]
        spiked.append(spk.astype(hist_dtype))
        if spec.models.has_multiplicity:
            counts.append(out[2] if len(out) > 2 else (spk > 0).astype(jnp.int32))
        if recorded:
            values = m.observe(p, states[m.name])
            zero = jnp.zeros(spk.shape, transit.ring.dtype)
            observed.append(jnp.stack([values[q] if q in m.recordables else zero for q in recorded]))
    neurons = neurons.replace(models=states)
    if spec.models.n_currents:  # the current of this step acts on V in the next one
        rows = range(spec.models.current_rows)
        neurons = neurons.replace(current=jnp.stack([transit.current[r * R + row] for r in rows]))
    history_row = _put(spec, top, spiked, jnp.zeros(N, hist_dtype))
    if spec.models.has_multiplicity:
        transit = transit.replace(spike_count=_set_row(
            transit.spike_count, _put(spec, top, counts, jnp.zeros(N, jnp.int32)), s % spec.sizes.history))
    history = _set_row(transit.spike_history, history_row, s % spec.sizes.history)
    transit = transit.replace(spike_history=history)
    if recorders.at(spec, recorders.STEP):  # (a multimeter of generators alone reads no neuron's quantity)
        sampled = _put(spec, top, observed, jnp.zeros((len(recorded), N), transit.ring.dtype))
        bufs, o = recorders.at_step(spec, model, bufs, sampled, s + 1)
        over = over | o
    return s + 1, over, neurons, transit, bufs


SELECT_ROWS = 8  # a history of at most this many rows is written by a select (below)


def _set_row(a, row, i):
    """``a`` with row ``i`` replaced by ``row``: an update slice, not a scatter (the derivative of a
    scatter costs a pass over the whole array); for a few rows a select over them, since under
    ``jax.vmap`` (a batch of samples) an update slice becomes a batched scatter, a slow loop on CPU."""
    if a.shape[0] <= SELECT_ROWS:
        if a.dtype != bool:  # elementwise (dense.one_row): exact for what is held, spikes (0, 1) and counts
            return a + dense.one_row(a.shape[0], i, a.dtype) * (row[None] - a)
        return jnp.where((jnp.arange(a.shape[0]) == i)[:, None], row[None], a)
    return lax.dynamic_update_index_in_dim(a, row, i, 0)


def _surrogate(spec):
    """What the neuron update needs to pass gradients through spikes (None: event-driven build)."""
    return (*spec.autodiff.surrogate, spec.autodiff.detach_reset) if spec.autodiff.differentiable else None


# ------------------------------------------------------------------------------ the slice work
def _events(history):
    """``spike_history`` as bools for the event machinery (the differentiable build keeps floats)."""
    return history if history.dtype == bool else history > 0


def history_block(spec, history, first_step, L):
    """Rows of ``spike_history`` for steps [first_step, first_step + L): [L, N]."""
    return history[(first_step + jnp.arange(L)) % spec.sizes.history]


def _spike_step(block, first_step):
    """Whether each neuron spiked in ``block`` ([steps, N] from ``first_step``) and the step it did, for
    blocks in which a neuron spikes at most once."""
    return jnp.any(block, axis=0), first_step + jnp.argmax(block, axis=0).astype(jnp.int32)


def _last_spikes(st, block, first_step):
    """Each neuron's last spike stamp (``plasticity.post.last_post``, step + 1; 0: none yet) after the slice
    ``block`` from ``first_step``, in networks without STDP (whose archive keeps it): NEST's ``t_spike``.
    One pass over the slice's spikes, once per slice."""
    L = block.shape[0]
    if not block.shape[1]:
        return st
    latest = first_step + (L - jnp.argmax(block[::-1], axis=0)).astype(jnp.int32)  # the last spiking step + 1
    post = st.plasticity.post
    post = post.replace(last_post=jnp.where(jnp.any(block, axis=0), latest, post.last_post))
    return st.replace(plasticity=st.plasticity.replace(post=post))


def _calcium(spec, st, block, first_step):
    """NEST's calcium trace after the slice ``block`` from ``first_step`` (:mod:`jaxsnn.core.calcium`), in
    networks that keep it."""
    post = st.plasticity.post
    if post.Ca is None:
        return st
    counts = st.transit.spike_count
    counts = history_block(spec, counts, first_step, block.shape[0]) if counts is not None else None
    post = calcium.add_spikes(spec, post, block, first_step, counts)
    return st.replace(plasticity=st.plasticity.replace(post=post))


def _true_indices(mask, capacity):
    """Indices of the first ``capacity`` true entries of ``mask`` in order, then zeros; how many were kept;
    whether some did not fit (``jnp.nonzero(mask, size=capacity)`` in one running sum instead of its two)."""
    (idx,), count, over = recorders.append((jnp.zeros(capacity, jnp.int32),), 0, capacity, mask,
                                           (jnp.arange(mask.shape[0], dtype=jnp.int32),))
    return idx, count, over


def slice_spikes(spec, block, first_step, capacity):
    """Spikes of ``block`` (:func:`history_block` from ``first_step``) as (neuron, step) lists, by neuron
    then step."""
    L = block.shape[0]
    if not block.shape[1]:  # no neurons (devices alone, e.g. a multimeter sampling a generator)
        none = jnp.zeros(capacity, jnp.int32)
        return none, none, jnp.zeros((), jnp.int32), jnp.zeros((), bool)
    if L <= spec.sizes.min_isi:  # at most one spike per neuron: search N entries, not L · N
        spiked, at = _spike_step(block, first_step)
        idx, count, over = _true_indices(spiked, capacity)
        return idx, at[idx], count, over
    idx, count, over = _true_indices(block.T.reshape(-1), capacity)
    return idx // L, first_step + idx % L, count, over


def _slice(model: Model, params: Params, st: State, mats=None) -> State:
    """Process the spikes of the slice that just ended, then push the generators' input of this one.
    ``mats``: the dense projections' weight matrices (:func:`_dense_matrices`; None: from the state)."""
    spec = model.spec
    s, L = st.step, spec.time.slice_steps
    prev = s - L
    events_needed = (spec.autodiff.event_synapses or recorders.at(spec, recorders.SLICE)
                     or spec.plasticity.has_plastic)
    if spec.autodiff.dense_blocks and not events_needed:
        return _slice_dense_only(model, params, st, mats)
    block = history_block(spec, _events(st.transit.spike_history), prev, L)  # the slice that just ended
    if spec.plasticity.has_plastic:
        post = _archive_post_spikes(spec, params.neurons, st.plasticity.post, block, prev,
                                    st.transit.spike_count if spec.models.has_multiplicity else None)
        st = st.replace(plasticity=st.plasticity.replace(post=post))
    else:
        st = _last_spikes(st, block, prev)
    st = _calcium(spec, st, block, prev)
    senders, steps, count, over = slice_spikes(spec, block, prev, spec.capacities.slice_capacity)
    if spec.models.has_multiplicity:  # a spike of multiplicity m is m events (NEST unrolls a neuron's multiplicity)
        senders, steps, count, over, many = repeat_by_multiplicity(
            spec, st.transit.spike_count, senders, steps, count, over)
        # the repeats need a loop of variable length: refuse
        if spec.plasticity.has_plastic and spec.autodiff.differentiable:
            st = st.replace(overflow=st.overflow | flag(many, Overflow.MULTIPLICITY))
    if spec.neuron_axis:  # split network (jaxsnn.sharding): every device needs every spike
        senders, steps, count, over_all = _all_spikes(spec, senders, steps, count, st.transit.ring.shape[1])
        over = over | over_all
    overflow = st.overflow | flag(over, Overflow.SLICE)
    read = _rows_read(spec, st.transit.ring, prev, L)
    ring = st.transit.ring.at[read].set(0.0, unique_indices=True)  # read: clear (distinct rows)
    st = st.replace(transit=st.transit.replace(ring=ring))
    plastic = spec.plasticity.has_plastic
    dopa = plastic and spec.plasticity.stdp_rule.dopamine  # its slices may hold several spikes of a neuron
    if model.synapses.out_syn.shape[0] and spec.autodiff.event_synapses:
        if (spec.models.has_multiplicity and plastic and not spec.autodiff.differentiable) or dopa:
            st, o = _deliver_repeats(model, params, st, senders, steps, count, prev, by_sender=dopa)
        else:
            st, o = _deliver(model, params, st, senders, steps, count, prev)
        overflow = overflow | o
        if plastic and not dopa:  # a dopamine synapse facilitates when it updates
            st, o = _facilitate(model, params, st, senders, steps, count, prev)
            overflow = overflow | o
    if dopa:  # the volume transmitters' work of the new slice
        syn_st, pl = dopamine.slice_work(spec, params.neurons, params.stdp, model.transmitters, model.synapses,
                                         st.synapses, st.plasticity, senders, steps, count, s)
        st = st.replace(synapses=syn_st, plasticity=pl)
    if recorders.at(spec, recorders.SLICE):
        buffers, o = recorders.at_slice(spec, model, st.buffers, senders, steps, count, s)
        st, overflow = st.replace(buffers=buffers), overflow | o
    if spec.autodiff.dense_blocks:
        mats = _dense_matrices(model, st) if mats is None else mats
        st = st.replace(transit=st.transit.replace(ring=dense.deliver(spec, st.transit, mats, prev, L)))
    return _push_inputs(model, params, st.replace(overflow=overflow))


def _slice_dense_only(model, params, st, mats):
    """:func:`_slice` when every synapse is in a dense projection and nothing reads the spike list."""
    spec, L = model.spec, model.spec.time.slice_steps
    prev = st.step - L
    ring = st.transit.ring
    if L == 1:  # clear the rows read in the step that ended: elementwise (dense.one_row), no scatter
        R = spec.sizes.ring
        read = (jnp.arange(ring.shape[0]) % R == prev % R)[:, None]
        ring = ring * (~read).astype(ring.dtype)
    else:
        ring = ring.at[_rows_read(spec, ring, prev, L)].set(0.0, unique_indices=True)
    transit = st.transit.replace(ring=ring)
    block = history_block(spec, _events(st.transit.spike_history), prev, L)
    st = _calcium(spec, _last_spikes(st, block, prev), block, prev)
    mats = _dense_matrices(model, st) if mats is None else mats
    st = st.replace(transit=transit.replace(ring=dense.deliver(spec, transit, mats, prev, L)))
    return _push_inputs(model, params, st)


def _push_inputs(model, params, st):
    """The generators' input of the slice starting now."""
    spec, s, L = model.spec, st.step, model.spec.time.slice_steps
    prev, overflow = s - L, st.overflow
    transit = st.transit
    if spec.models.n_currents:  # clear the rows read in the slice that ended (the generators push this slice's)
        current = transit.current.at[_rows_read(spec, transit.current, prev, L)].set(0.0, unique_indices=True)
        transit = transit.replace(current=current)
    generators, buffers = st.generators, st.buffers
    if spec.models.generators:
        transit, generators, o, values = _push_generators(model, params, st, transit)
        overflow = overflow | o
        if values:  # what the recorders read from generators in this slice
            buffers = recorders.at_generators(spec, model, buffers, values, s)
    return st.replace(transit=transit, overflow=overflow, generators=generators, buffers=buffers)


def _push_generators(model, params, st, transit):
    """The input of the slice starting now from each generator of the device interface (Spec.models.generators):
    first the models with a table of events (``events``: their ``push_into`` adds the slice's events), then
    the others in model order: the model's :meth:`~jaxsnn.models.base.Generator.push` gives what each connection
    emits in each step of the slice ([slice_steps, connections]: spike counts, or pA) and its next state;
    connection c's output of step k arrives at k + delay[c], times weight[c] (spikes: routed as any event;
    parrots count the multiplicity). Targets outside this device's neurons (split runs) are dropped. Returns
    (transit, states, overflow bits, values): ``values`` holds the recordables of the models recorders read
    (:meth:`~jaxsnn.models.base.Generator.observe`, from the state before the push)."""
    spec, s, L = model.spec, st.step, model.spec.time.slice_steps
    ring, current, states, overflow = transit.ring, transit.current, dict(st.generators), jnp.zeros((), jnp.int32)
    read, observed = recorders.generator_quantities(spec), {}
    k = s + jnp.arange(L)[:, None]  # [L, 1]
    currents = []  # (rows, targets, values) [connections, L] and generator node ids of each current model
    for g in sorted(spec.models.generators, key=lambda g: not g.events):  # event tables first (static order)
        top, par = model.generators[g.name], params.generators[g.name]
        if g.name in read:
            wanted = read[g.name] - {recorders.EMITTED}
            observed[g.name] = g.observe(spec, top, par, states[g.name], st.key, s) if wanted else {}
        if g.events:  # a table of events the model pushes itself (spike_generator)
            states[g.name], ring = g.push_into(spec, top, par, states[g.name], ring, model.neurons.route, s)
            continue
        states[g.name], out, o = g.push(spec, top, par, states[g.name], st.key, s)
        overflow = overflow | o
        if recorders.EMITTED in read.get(g.name, ()):
            observed[g.name][recorders.EMITTED] = out
        if not top["target"].shape[0]:  # recorded only: its state goes on, nothing to deliver
            continue
        out = out.astype(ring.dtype)
        here = top["target"] < ring.shape[1]
        target = jnp.where(here, top["target"], 0)
        # the select keeps the product apart (core.rounding); its derivative passes through unmasked
        # (off-device entries are dropped by the scatter below), so reverse mode stores no mask per step
        values = separately_rounded(par["weight"] * out, here)
        if g.emits == "current":
            rows = (k + top["delay"]) % spec.sizes.ring + spec.sizes.ring * top["receptor"]
            rows = jnp.where(here, rows, current.shape[0])
            shape = values.shape
            currents.append((jnp.broadcast_to(rows, shape).T, jnp.broadcast_to(target, shape).T, values.T,
                             top["node"]))
        else:
            rows = jnp.where(here, (k + top["delay"]) % spec.sizes.ring, ring.shape[0])
            port = None  # onto a multi-receptor neuron: the channel of the connection's port (receptor_type − 1)
            if any(m.inputs == BY_PORT for m in spec.models.neuron_models):
                port = jnp.where(model.neurons.route[target] == BY_PORT, top["receptor"] - 1, 0)
            count = separately_rounded(out, here)
            if port is None and not spec.models.routed and _onehot_fits(spec, top["target"], ring):
                ring = ring_add_onehot(spec, model.neurons.route, ring, rows, target, values, count)
            else:
                ring = ring_add_routed(spec, model.neurons.route, ring, rows, target, values, count, port)
    if currents:
        current = _add_currents(current, currents)
    return transit.replace(ring=ring, current=current), states, overflow, observed


def _onehot_fits(spec, target, ring):
    """Whether a generator model's spikes go into the ring by a one-hot matmul (:func:`ring_add_onehot`)
    rather than a scatter: in the differentiable build (under ``jax.vmap`` a scatter of a batch is slow
    on CPUs), for targets known at build (not traced), all on this device and distinct (no two events on
    one ring entry: the same bits), and a small one-hot matrix (slice steps × connections × ring)."""
    if not spec.autodiff.differentiable or isinstance(target, jax.core.Tracer):
        return False
    t = np.asarray(target)
    return (spec.time.slice_steps * t.size * ring.size <= _ONEHOT_MAX and bool(np.all(t < ring.shape[1]))
            and np.unique(t).size == t.size)


_ONEHOT_MAX = 2**22  # entries of the one-hot matrix (16 MiB in float32)


def _add_currents(current, parts):
    """The current generators' input added in NEST's order: by generator node id (each model's connections
    are sorted so; several models' are merged), then step (NEST adds a generator's steps one after the
    other). ``parts``: per model (rows, targets, values) [connections, L] and the node id per connection."""
    if len(parts) > 1:  # a static merge of the models' connections by node id (stable: each is sorted)
        order = jnp.argsort(jnp.concatenate([p[3] for p in parts]), stable=True)
        rows, targets, values = (jnp.concatenate([p[i] for p in parts])[order] for i in range(3))
    else:
        rows, targets, values = parts[0][:3]
    return ring_add(current, rows, targets, values)


def _rows_read(spec, ring, first, L):
    """Rows of ``ring`` read in steps [first, first + L): one per step and channel (by sign: 2, by port:
    one per port)."""
    rows = (first + jnp.arange(L)) % spec.sizes.ring
    return jnp.concatenate([rows + c * spec.sizes.ring for c in range(ring.shape[0] // spec.sizes.ring)])


def _deliver(model, params, st: State, senders, steps, count, prev):
    """Each spike over its outgoing synapses, by sender, then step (NEST's order): STDP depression
    (with facilitation by a post spike that reached the synapse earlier in this slice), weight
    recording (the EVENT recorders), delivery into the ring; then the K₊ traces. Returns (state, overflow bits)."""
    spec, syn = model.spec, model.synapses
    recording = bool(recorders.at(spec, recorders.EVENT))
    if spec.autodiff.differentiable and spec.neuron_axis:  # a remote sender's float spike is not on this device
        from ..errors import JaxsnnError
        raise JaxsnnError("a differentiable build runs on one device (its spikes carry gradients between neurons): "
                          "build it with devices=1")

    def on_spike(e, ok, k, carry):
        syn_st, pl, ring, bufs, over = carry
        if model.event_mask is not None:  # the dense projections' synapses: jaxsnn.core.dense delivers them
            ok = ok & model.event_mask[e]
        rec = syn.out_syn[e]
        if spec.plasticity.has_plastic and spec.plasticity.stdp_rule.dopamine:
            syn_st, pl, w = dopamine.on_presynaptic_spike(spec, params.neurons, params.stdp, model.transmitters,
                                                          syn_st, pl, e, rec, ok, steps[k] + 1)
        elif spec.plasticity.has_plastic:
            syn_st, pl, w = stdp.on_presynaptic_spike(spec, params.neurons, params.stdp, syn_st, pl, e, rec, ok,
                                                      senders[k], steps[k] + 1, prev)
        else:
            w = syn_st.weight[e]
        if spec.plasticity.stp_rule is not None:  # short-term plasticity: the weight sent and the new state
            syn_st, w, sent = stp.on_presynaptic_spike(spec, params.stp, syn_st, e, rec, ok, w, steps[k] + 1, st.key)
            ok = ok & sent  # a stochastic synapse may send nothing: no event, no weight record
        if recording:
            bufs, o = recorders.at_event(spec, model, bufs, e, ok, w, steps[k] + 1)
            over = over | o
        row = jnp.where(ok, (steps[k] + rec[:, OUT_DELAY]) % spec.sizes.ring, ring.shape[0])  # out of range: dropped
        if spec.autodiff.differentiable:  # weight × spike: 1.0 forward, the surrogate's derivative backward
            w = w * st.transit.spike_history[steps[k] % spec.sizes.history, senders[k]]
        counted = 1.0 if syn.receptor1 is None else jnp.where(syn.receptor1[e], 0.0, 1.0)  # parrots' receptor 1
        ring = ring_add_routed(spec, model.neurons.route, ring, row, rec[:, OUT_TARGET], w, counted,
                               None if syn.port is None else syn.port[e])
        return syn_st, pl, ring, bufs, over

    bufs = {r.name: st.buffers[r.name] for r in recorders.at(spec, recorders.EVENT)}
    carry = (st.synapses, st.plasticity, st.transit.ring, bufs, jnp.zeros((), jnp.int32))
    syn_st, pl, ring, bufs, over = for_each_synapse(senders, count, syn.out_ptr, spec.sizes.out_degree, on_spike, carry,
                                                    spec.autodiff.differentiable)
    if spec.plasticity.trace_per_source:  # after every synapse has read the traces and t_last of this slice
        pl = stdp.update_source_traces(spec, syn, params.stdp, pl, senders, steps + 1,
                                       jnp.arange(senders.shape[0]) < count)
    st = st.replace(synapses=syn_st, plasticity=pl, transit=st.transit.replace(ring=ring),
                    buffers={**st.buffers, **bufs})
    return st, over


def _deliver_repeats(model, params, st: State, senders, steps, count, prev, by_sender=False):
    """:func:`_deliver` of a spike list in which a spike of multiplicity m appears m times in a row
    (parrot_neuron): STDP takes one event per synapse at a time, so the r-th repeats of all spikes are
    delivered together, r = 0, 1, ...; after the first, each sender's t_last is its spike's stamp (the
    repeats see no facilitation window and K₊ decays by exp(0), as in NEST). ``by_sender``: the r-th spikes
    of each sender in the slice, whatever their steps (a slice of NEST's min_delay, in which a neuron may
    spike several times: stdp_dopamine_synapse)."""
    cap = senders.shape[0]
    pos = jnp.arange(cap)
    valid = pos < count
    new_spike = (senders[1:] != senders[:-1]) | ((steps[1:] != steps[:-1]) & (not by_sender))
    first = jnp.concatenate([jnp.ones(1, bool), new_spike])
    rank = pos - lax.cummax(jnp.where(first, pos, 0))
    n_layers = jnp.max(jnp.where(valid, rank, -1)) + 1

    def layer(r, carry):
        st, over = carry
        idx, c, _ = _true_indices(valid & (rank == r), cap)
        s_r, t_r = senders[idx], steps[idx]
        st, o = _deliver(model, params, st, s_r, t_r, c, jnp.where(r == 0, prev, BIG))
        pre = st.plasticity.pre
        t_last = pre.t_last.at[jnp.where(pos < c, s_r, pre.t_last.shape[0])].set(t_r + 1, mode="drop")
        return st.replace(plasticity=st.plasticity.replace(pre=pre.replace(t_last=t_last))), over | o

    return lax.fori_loop(0, n_layers, layer, (st, jnp.zeros((), jnp.int32)))


def _unit_mu_changed(unit, table, col):
    """Whether a rule row of ``table`` left the exponent 1 that the build found in column ``col`` (``unit``: a bool,
    or one per rule of several, whose index ends each row)."""
    if not isinstance(unit, tuple):
        return unit & jnp.any(table[:, col] != 1)
    left = [(table[:, -1] == i) & (table[:, col] != 1) for i, u in enumerate(unit) if u]
    return jnp.any(functools.reduce(lambda a, b: a | b, left, table[:, col] != table[:, col]))


def _facilitate(model, params, st: State, senders, steps, count, prev):
    """STDP facilitation by the post spikes that reach a plastic synapse during the slice (spike step
    j, delay D with prev <= j + D < s) and were not already applied by :func:`_deliver`; per post spike,
    its incoming synapses sorted by delay give one range. Also sets t_last. Returns (state, bits)."""
    spec, syn, table = model.spec, model.synapses, params.stdp
    s = prev + spec.time.slice_steps
    over = flag((spec.plasticity.stdp_single_row and table.shape[0] != 1)
                | _unit_mu_changed(spec.plasticity.stdp_unit_mu[0], table, stdp.MU_PLUS)
                | _unit_mu_changed(spec.plasticity.stdp_unit_mu[1], table, stdp.MU_MINUS),
                Overflow.STDP_SPECIALISATION)
    # step of each neuron's spike in the slice (at most one), -1 if none; now also its t_last
    sent = jnp.where(jnp.arange(senders.shape[0]) < count, senders, spec.sizes.n_neurons)
    spiked_at = jnp.full(spec.sizes.n_neurons, -1, jnp.int32).at[sent].set(steps, mode="drop")
    pre = st.plasticity.pre
    pl = st.plasticity.replace(pre=pre.replace(t_last=pre.t_last.at[sent].set(steps + 1, mode="drop")))
    d_lo, d_hi = spec.plasticity.plastic_delays
    window = d_hi - d_lo + spec.time.slice_steps
    p_ids, p_steps, p_count, p_over = slice_spikes(
        spec, history_block(spec, _events(st.transit.spike_history), prev - d_hi, window), prev - d_hi,
        spec.capacities.post_capacity)
    over = over | flag(p_over, Overflow.POST)
    stride = d_hi + 2
    lo = syn.in_ptr[p_ids * stride + jnp.clip(prev - p_steps, 0, stride - 1)]
    hi = syn.in_ptr[p_ids * stride + jnp.clip(s - p_steps, 0, stride - 1)]

    def body(pos, ok, k, carry, r=0):  # every post spike not already applied by on_spike
        rec = syn.in_syn[pos]
        arrival = p_steps[k] + rec[:, IN_DELAY]  # step in which the post spike reaches the synapse
        pre = spiked_at[rec[:, IN_SOURCE]]
        done = (pre >= 0) & (pre >= arrival)
        return stdp.facilitate_synapses(spec, table, pl, carry, rec, ok & ~done, p_steps[k] + 1, p_ids[k], r)

    carry = (st.synapses.weight, pl.pre.Kplus)
    if spec.models.has_multiplicity:  # a post spike of multiplicity m facilitates m times: the r-th repeats together
        m = st.transit.spike_count[p_steps % spec.sizes.history, p_ids]
        w, Kplus = lax.fori_loop(0, jnp.max(m, initial=0), lambda r, c: for_each_range(
            lo, jnp.where(m > r, hi - lo, 0), p_count, spec.plasticity.in_degree,
            lambda pos, ok, k, c: body(pos, ok, k, c, r), c, spec.autodiff.differentiable), carry)
    else:
        w, Kplus = for_each_range(lo, hi - lo, p_count, spec.plasticity.in_degree, body, carry,
                                  spec.autodiff.differentiable)
    if spec.plasticity.stdp_rule.resets_trace:
        pl = pl.replace(pre=pl.pre.replace(Kplus=Kplus))
    return st.replace(plasticity=pl, synapses=st.synapses.replace(weight=w)), over


def _archive_post_spikes(spec, nrn, post, block, first, spike_count=None):
    """Archive the spikes of ``block`` (steps [first, first + L)) for STDP, in step order. Only later
    slices read the archive (a post spike reaches a synapse one delay, at least a slice, after it), so
    archiving once per slice gives the values of archiving every step; the step loop then need not carry
    the archive."""
    L = block.shape[0]

    def archive(p, spiked, at, m):  # a spike of multiplicity m (parrot_neuron) is archived m times
        if m is None:
            return stdp.archive_post_spikes(spec, nrn, p, spiked, at + 1)
        return lax.fori_loop(0, jnp.max(jnp.where(spiked, m, 0), initial=0),
                             lambda r, p: stdp.archive_post_spikes(spec, nrn, p, spiked & (m > r), at + 1), p)

    count = (lambda at: None) if spike_count is None else (
        lambda at: spike_count[at % spec.sizes.history, jnp.arange(block.shape[1])])
    if L <= spec.sizes.min_isi:  # at most one spike per neuron: one update
        spiked, at = _spike_step(block, first)
        return archive(post, spiked, at, count(at))
    return lax.fori_loop(0, L, lambda j, p: archive(p, block[j], first + j, count(first + j)), post)


def repeat_by_multiplicity(spec, spike_count, senders, steps, count, over):
    """The slice's spike list with each spike repeated by its multiplicity (consecutively, so the order
    stays by sender, then step); returns (senders, steps, count, overflowed, any multiplicity > 1)."""
    cap = senders.shape[0]
    valid = jnp.arange(cap) < count
    m = jnp.where(valid, spike_count[steps % spec.sizes.history, senders], 0)
    ends = jnp.cumsum(m)
    total = ends[-1] if cap else 0
    j = jnp.arange(cap)
    src = jnp.minimum(jnp.searchsorted(ends, j, side="right"), cap - 1)
    return (senders[src], steps[src], jnp.minimum(total, cap).astype(count.dtype), over | (total > cap),
            jnp.any(m > 1))


def _all_spikes(spec, senders, steps, count, n_local):
    """The slice's spikes of all devices (global ids, by neuron then step, as on one device)."""
    cap = senders.shape[0]
    first = lax.axis_index(spec.neuron_axis) * n_local
    packed = jnp.concatenate([senders + first, steps, count[None]])  # one exchange, not three
    senders, steps, counts = jnp.split(lax.all_gather(packed, spec.neuron_axis), [cap, 2 * cap], axis=1)
    counts = counts[:, 0]
    offset = jnp.cumsum(counts) - counts  # device blocks are in neuron order
    pos = jnp.where(jnp.arange(cap) < counts[:, None], offset[:, None] + jnp.arange(cap), cap).reshape(-1)
    total = jnp.sum(counts)
    return (jnp.zeros(cap, jnp.int32).at[pos].set(senders.reshape(-1), mode="drop"),
            jnp.zeros(cap, jnp.int32).at[pos].set(steps.reshape(-1), mode="drop"), jnp.minimum(total, cap), total > cap)
