"""The step function and the jitted loop that advances a compiled network.

Time advances in steps of h; steps are grouped in slices of NEST's ``min_delay``
(``spec.slice_steps``, aligned to t = 0), as NEST does. Every step (``docs/nest_semantics.md`` §0–§4):

1. every neuron reads its input slot and integrates (:mod:`jaxsnn.iaf_psc_delta`); spikes get the
   stamp k+1 and are marked in ``spike_history``;
2. multimeters sample V_m.

At the start of every slice, the previous slice's spikes are processed in one batch (:func:`_slice`):
they are archived for STDP (K₋); the input slots read during that slice are cleared; depression of
the presynaptic spikes (for each synapse in time order) with delivery into the input ring by sender,
then step (NEST's summation order), then their K₊ traces; STDP facilitation by postsynaptic spikes
that reached their synapses during the slice; spike and weight recording; then the spike and poisson
generators push the events they emit during the new slice (a Poisson count per connection and step k,
arriving at k + d). A delay is never shorter than a slice, so delivery at the next slice start is
always in time, and a neuron with synapses spikes at most once per slice (slices are at most the
shortest inter-spike interval t_ref + h long). Batching per slice makes the synaptic work a few large
vectorised operations instead of many small ones per step.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import iaf_psc_delta, rng, stdp
from .errors import bad_value
from .events import for_each_range, for_each_synapse
from .structs import IN_DELAY, IN_SOURCE, OUT_DELAY, OUT_TARGET, Params, Spec, State

OVERFLOW_SLICE = 1  # more spikes in one slice than spec.slice_capacity
OVERFLOW_RECORDER = 2
OVERFLOW_MULTIMETER = 4
OVERFLOW_WEIGHTS = 8
OVERFLOW_POISSON = 16  # a rate beyond what the compiled Poisson table covers
OVERFLOW_POST = 32  # more post spikes in the STDP window than spec.post_capacity
SPEC_MISMATCH = 64  # plasticity parameters changed after build so that a specialisation no longer holds


SLICE_ONLY = ("Kminus", "last_post", "post_stamps", "post_Kminus", "n_post", "weight", "weight_reported", "Kplus",
              "t_last", "sr_count", "sr_senders", "sr_stamps", "wr_count",
              "wr_stamps", "wr_synapse", "wr_weights")  # State fields that only the slice work touches
RECORDED = ("step", "recorded_until", "overflow", "spike_history", "sr_count", "sr_senders", "sr_stamps", "mm_count",
            "mm_stamps", "mm_values", "wr_count", "wr_synapse", "wr_stamps", "wr_weights")  # what the host takes


def _flag(cond, bit):
    return jnp.where(cond, bit, 0).astype(jnp.int32)


def ring_add(ring, rows, targets, values):
    """``ring.at[rows, targets].add(values)``; rows past the ring are dropped. Indexed flat: a 2-D index
    costs XLA a separate pass to build."""
    if ring.size >= 2**31:  # flat indices would overflow int32
        return ring.at[rows, targets].add(values, mode="drop")
    flat = jnp.where(rows < ring.shape[0], rows * ring.shape[1] + targets, ring.size)
    return ring.reshape(-1).at[flat].add(values, mode="drop").reshape(ring.shape)


def _spike_step(block, first_step):
    """Whether each neuron spiked in ``block`` ([steps, N] from ``first_step``) and the step it did, for
    blocks in which a neuron spikes at most once."""
    return jnp.any(block, axis=0), first_step + jnp.argmax(block, axis=0).astype(jnp.int32)


def history_block(spec: Spec, history, first_step, L):
    """Rows of ``spike_history`` for steps [first_step, first_step + L): [L, N]."""
    return history[(first_step + jnp.arange(L)) % spec.history]


def _true_indices(mask, capacity):
    """Indices of the first ``capacity`` true entries of ``mask`` in order, then zeros; how many were kept;
    whether some did not fit (``jnp.nonzero(mask, size=capacity)`` in one running sum instead of its two)."""
    (idx,), count, over = _append((jnp.zeros(capacity, jnp.int32),), 0, capacity, mask,
                                  (jnp.arange(mask.shape[0], dtype=jnp.int32),))
    return idx, count, over


def slice_spikes(spec: Spec, block, first_step, capacity):
    """Spikes of ``block`` (:func:`history_block` from ``first_step``) as (neuron, step) lists, by neuron
    then step."""
    L = block.shape[0]
    if L <= spec.min_isi:  # at most one spike per neuron: search N entries, not L · N
        spiked, at = _spike_step(block, first_step)
        idx, count, over = _true_indices(spiked, capacity)
        return idx, at[idx], count, over
    idx, count, over = _true_indices(block.T.reshape(-1), capacity)
    return idx // L, first_step + idx % L, count, over


def _slice(spec: Spec, params: Params, st: State) -> State:
    """Process the spikes of the slice that just ended, then push this slice's spike-generator events."""
    syn, dev, nrn = params.synapses, params.devices, params.neurons
    s = st.step
    prev = s - spec.slice_steps
    cap = spec.slice_capacity
    block = history_block(spec, st.spike_history, prev, spec.slice_steps)  # the slice that just ended
    if spec.has_plastic:
        st = _archive_post_spikes(spec, nrn, st, block, prev)
    senders, steps, count, over = slice_spikes(spec, block, prev, cap)
    if spec.neuron_axis:  # split network (jaxsnn.sharding): every device needs every spike
        senders, steps, count, over_all = _all_spikes(spec, senders, steps, count, st.V_rel.shape[0])
        over = over | over_all
    overflow = st.overflow | _flag(over, OVERFLOW_SLICE)
    st = st.replace(ring=st.ring.at[(prev + jnp.arange(spec.slice_steps)) % spec.ring].set(0.0))  # read: clear

    if syn.target.shape[0]:
        def on_spike(e, ok, k, st):  # STDP, weight recording, delivery: by sender, then step (NEST's order)
            rec = syn.out_syn[e]
            if spec.has_plastic:  # incl. a post spike that reached the synapse earlier in this slice
                st, w = stdp.on_presynaptic_spike(spec, nrn, syn, st, e, rec, ok, senders[k], steps[k] + 1, prev)
            else:
                w = st.weight_reported[e]
            if spec.weight_capacity:
                st = _record_weights(spec, st, e, ok & dev.wr_mask[e], w, steps[k] + 1)
            row = jnp.where(ok, (steps[k] + rec[:, OUT_DELAY]) % spec.ring, spec.ring)  # out of range: dropped
            return st.replace(ring=ring_add(st.ring, row, rec[:, OUT_TARGET], w))

        st = for_each_synapse(senders, count, syn.out_ptr, spec.out_degree, on_spike, st, spec.differentiable)
        if spec.trace_per_source:  # after every synapse has read the traces and t_last of this slice
            st = stdp.update_source_traces(spec, syn, st, senders, steps + 1, jnp.arange(cap) < count)
        if spec.has_plastic:
            table = syn.stdp_table
            overflow = overflow | _flag(
                (spec.stdp_single_row and table.shape[0] != 1)
                | (spec.stdp_unit_mu[0] & jnp.any(table[:, 3] != 1)) | (spec.stdp_unit_mu[1] & jnp.any(table[:, 4] != 1)),
                SPEC_MISMATCH)
            # step of each neuron's spike in the slice (at most one), -1 if none; now also its t_last
            sent = jnp.where(jnp.arange(cap) < count, senders, spec.n_neurons)
            spiked_at = jnp.full(spec.n_neurons, -1, jnp.int32).at[sent].set(steps, mode="drop")
            st = st.replace(t_last=st.t_last.at[sent].set(steps + 1, mode="drop"))
            # post spikes that reach a plastic synapse during the slice: spike step j, delay D with
            # prev <= j + D < s; per post spike, its incoming synapses sorted by delay give one range
            d_lo, d_hi = spec.plastic_delays
            window = d_hi - d_lo + spec.slice_steps
            p_ids, p_steps, p_count, p_over = slice_spikes(
                spec, history_block(spec, st.spike_history, prev - d_hi, window), prev - d_hi, spec.post_capacity)
            overflow = overflow | _flag(p_over, OVERFLOW_POST)
            stride = d_hi + 2
            lo = syn.in_ptr[p_ids * stride + jnp.clip(prev - p_steps, 0, stride - 1)]
            hi = syn.in_ptr[p_ids * stride + jnp.clip(s - p_steps, 0, stride - 1)]

            def body(pos, ok, k, w):  # every post spike not already applied by on_spike
                rec = syn.in_syn[pos]
                arrival = p_steps[k] + rec[:, IN_DELAY]  # step in which the post spike reaches the synapse
                pre = spiked_at[rec[:, IN_SOURCE]]
                done = (pre >= 0) & (pre >= arrival)
                return stdp.facilitate_synapses(spec, syn, st, w, rec, ok & ~done, p_steps[k] + 1)

            w = for_each_range(lo, hi - lo, p_count, spec.in_degree, body, st.weight, spec.differentiable)
            st = st.replace(weight=w)

    if spec.n_spike_recorders:
        st = _record_spikes(spec, dev, st, senders, steps, count)
    if spec.has_spike_generators:
        if spec.differentiable:  # all events, masked: a fixed amount of work
            now = dev.sg_step // spec.slice_steps == s // spec.slice_steps
            rows = jnp.where(now, (dev.sg_step + dev.sg_delay) % spec.ring, spec.ring)
            st = st.replace(ring=ring_add(st.ring, rows, dev.sg_target, dev.sg_weight))
        else:
            lo = jnp.searchsorted(dev.sg_step // spec.slice_steps, s // spec.slice_steps, side="left")
            hi = jnp.searchsorted(dev.sg_step // spec.slice_steps, s // spec.slice_steps, side="right")

            def push(i, ring):
                return ring.at[(dev.sg_step[i] + dev.sg_delay[i]) % spec.ring, dev.sg_target[i]].add(dev.sg_weight[i])

            st = st.replace(ring=lax.fori_loop(lo, hi, push, st.ring))
    if spec.n_poisson_terms:
        st, over = _push_poisson(spec, dev, st)
        overflow = overflow | over
    return st.replace(overflow=st.overflow | overflow, recorded_until=jnp.maximum(st.recorded_until, s))


def _archive_post_spikes(spec, nrn, st, block, first):
    """Archive the spikes of ``block`` (steps [first, first + L)) for STDP, in step order. Only later
    slices read the archive (a post spike reaches a synapse one delay, at least a slice, after it), so
    archiving once per slice gives the values of archiving every step; the step loop then need not carry
    the archive."""
    L = block.shape[0]
    if L <= spec.min_isi:  # at most one spike per neuron: one update
        spiked, at = _spike_step(block, first)
        return stdp.archive_post_spikes(spec, nrn, st, spiked, at + 1)
    return lax.fori_loop(0, L, lambda j, st: stdp.archive_post_spikes(spec, nrn, st, block[j], first + j + 1), st)


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


def _push_poisson(spec, dev, st):
    """Poisson counts of every connection for each step k of the new slice, pushed to arrive at k + d.

    Counts are independent per connection and step (bits of (key, k, stream)). A Poisson delay is never
    shorter than a slice, so the pushes land after the slice, and in the order of pushing them per step
    (which keeps each input sum's order: deliveries from earlier slices, then the Poisson input).
    """
    dtype = st.V_rel.dtype
    k = st.step + jnp.arange(spec.slice_steps)[:, None]  # [L, 1]
    mu = dev.pg_rate * spec.resolution * 1e-3
    survival = jax.vmap(lambda m: rng.poisson_survival(m, spec.n_poisson_terms))(mu.astype(dtype))
    active = (dev.pg_window[dev.pg_generator, 0] < k) & (k <= dev.pg_window[dev.pg_generator, 1])
    n = rng.poisson_counts(rng.bits(st.rng, k, dev.pg_stream[None, :]), survival[dev.pg_generator])
    # the select also keeps the product apart from the addition (see iaf_psc_delta.separately_rounded)
    inp = jnp.where(active, dev.pg_weight * n.astype(dtype), 0.0)
    ring = ring_add(st.ring, (k + dev.pg_delay) % spec.ring, dev.pg_target, inp)
    return st.replace(ring=ring), _flag(jnp.any(survival[:, -1] >= 2.0 ** -32), OVERFLOW_POISSON)


def step(spec: Spec, params: Params, st: State) -> State:
    nrn, dev = params.neurons, params.devices
    s = st.step
    stamp = s + 1
    slot = s % spec.ring

    # the step only reads the ring (the slice work writes it): a write here would make XLA copy the
    # whole ring every step, since the read is fused into several consumers
    V, r, rbuf, spiked = iaf_psc_delta.update(nrn, spec.resolution, spec.has_refractory_input,
                                              st.V_rel, st.refractory, st.refractory_buffer, st.ring[slot])
    st = st.replace(V_rel=V, refractory=r, refractory_buffer=rbuf,
                    spike_history=st.spike_history.at[s % spec.history].set(spiked))
    if spec.multimeter_rows:
        st = _record_multimeters(spec, nrn, dev, st, stamp)
    return st.replace(step=s + 1)


def _append(buffers, count, capacity, mask, values):
    """Append ``values[mask]`` (in order) after ``count`` entries; returns buffers, count, overflowed."""
    pos = jnp.where(mask, count + jnp.cumsum(mask) - 1, capacity)
    out = tuple(b.at[pos].set(v.astype(b.dtype), mode="drop") for b, v in zip(buffers, values))
    new = count + jnp.sum(mask, dtype=jnp.int32)
    return out, jnp.minimum(new, capacity), new > capacity


def _record_spikes(spec, dev, st, senders, steps, count):
    valid = (jnp.arange(senders.shape[0]) < count) & (steps >= st.recorded_until)
    stamps = steps + 1
    out_s, out_t, counts, overflow = [], [], [], st.overflow
    for k in range(spec.n_spike_recorders):
        mask = valid & dev.sr_mask[k, senders] & (dev.sr_window[k, 0] < stamps) & (stamps <= dev.sr_window[k, 1])
        (a, b), c, over = _append((st.sr_senders[k], st.sr_stamps[k]), st.sr_count[k], spec.record_capacity,
                                  mask, (senders, stamps))
        out_s.append(a)
        out_t.append(b)
        counts.append(c)
        overflow = overflow | _flag(over, OVERFLOW_RECORDER)
    return st.replace(sr_senders=jnp.stack(out_s), sr_stamps=jnp.stack(out_t), sr_count=jnp.stack(counts),
                      overflow=overflow)


def _record_multimeters(spec, nrn, dev, st, stamp):
    values, stamps, counts, overflow = [], [], [], st.overflow
    for k, rows in enumerate(spec.multimeter_rows):
        take = (stamp % dev.mm_interval[k] == 0) & (dev.mm_window[k, 0] < stamp) & (stamp <= dev.mm_window[k, 1])
        idx = dev.mm_index[k]
        row = jnp.where(take, st.mm_count[k], rows)
        values.append(st.mm_values[k].at[row].set(st.V_rel[idx] + nrn.E_L[idx], mode="drop"))
        stamps.append(st.mm_stamps[k].at[row].set(stamp, mode="drop"))
        new = st.mm_count[k] + take.astype(jnp.int32)
        overflow = overflow | _flag(new > rows, OVERFLOW_MULTIMETER)
        counts.append(jnp.minimum(new, rows))
    return st.replace(mm_values=tuple(values), mm_stamps=tuple(stamps), mm_count=jnp.stack(counts),
                      overflow=overflow)


def _record_weights(spec, st, e, mask, w, stamps):
    (a, b, c), n, over = _append((st.wr_stamps, st.wr_synapse, st.wr_weights), st.wr_count, spec.weight_capacity,
                                 mask, (jnp.broadcast_to(stamps, e.shape), e, w))
    return st.replace(wr_stamps=a, wr_synapse=b, wr_weights=c, wr_count=n,
                      overflow=st.overflow | _flag(over, OVERFLOW_WEIGHTS))


def advance(spec: Spec, params: Params, state: State, n_steps) -> State:
    """Advance ``state`` by ``n_steps`` steps (a traced int: one compilation serves every length; a
    Python int when ``spec.differentiable``, whose loops have fixed lengths so that ``jax.grad`` works).

    The loop runs slice by slice: the steps left in the current slice, then slices (slice work, then
    its steps; the last one possibly partial). Loops, not a conditional per step: XLA copies every
    operand of a conditional, which for the synapse arrays would cost more than the simulation. For the
    same reason the step loop carries only what steps change. The slice work appears once in the
    program (compile time and compile memory grow with the program).
    """
    L = spec.slice_steps
    if spec.differentiable:  # one scan of fixed length with the slice work under a per-step condition
        def one(st, _):
            st = lax.cond(st.step % L == 0, lambda st: _slice(spec, params, st), lambda st: st, st)
            return step(spec, params, st), None

        return lax.scan(one, state, None, length=n_steps)[0]

    def steps(n, st):
        aside = {k: getattr(st, k) for k in SLICE_ONLY}
        out = lax.fori_loop(0, n, lambda i, x: step(spec, params, x), st.replace(**dict.fromkeys(SLICE_ONLY)))
        return out.replace(**aside)

    n_steps = jnp.asarray(n_steps, jnp.int32)
    head = jnp.minimum(n_steps, (L - state.step % L) % L)
    st = steps(head, state)
    rest = n_steps - head

    def one_slice(i, st):  # its work, then its steps (fewer in a last partial slice)
        return steps(jnp.minimum(L, rest - i * L), _slice(spec, params, st))

    return lax.fori_loop(0, -(-rest // L), one_slice, st)


# On GPUs, XLA scatter-adds with repeated indices (synaptic input summed into the ring) use atomics,
# which sum in whatever order threads arrive: the last bit of V_m would differ between identical runs.
# jaxsnn's compiled loops ask for deterministic scatters (ignored on CPUs, whose scatters run in order).
# Pass these when jitting engine functions yourself (ensembles, gradients) on a GPU.
COMPILER_OPTIONS = {"xla_gpu_deterministic_ops": True}

advance_jit = jax.jit(advance, static_argnums=0, compiler_options=COMPILER_OPTIONS)


def advance_ensemble(spec: Spec, params: Params, states: State, n_steps, params_axes=None, vmap=False) -> State:
    """Advance a batch of states (leading axis: ensemble member) by ``n_steps`` in one call.

    Members may differ in their key (seed), their state and, with ``params_axes`` (a ``Params``, or a
    prefix of one, of 0/None as ``jax.vmap``'s ``in_axes``), in parameters such as the Poisson rate. A
    state whose step counter is a scalar gives all members that step. Each member runs the unbatched
    program, so it gives the same bits as its own :func:`advance`; members are spread over the available
    devices (``XLA_FLAGS=--xla_force_host_platform_device_count=2`` makes two CPU cores two devices),
    and run one after another on each. ``vmap=True`` batches the members of a device instead: one
    program for all, whose event loops run as long as the busiest member's, with batched gathers and
    scatters (on a CPU slower per member than one after another; the last bits of STDP traces and
    weights can differ from a member's own run, since XLA compiles the batched arithmetic differently).
    """
    k = states.V_rel.shape[0]
    shared_step = vmap and not jnp.ndim(states.step)  # under vmap, a shared step keeps loop lengths unbatched
    if not shared_step:
        states = states.replace(step=jnp.broadcast_to(states.step, (k,)))
    leaves, treedef = jax.tree_util.tree_flatten(params)
    axes = [None] * len(leaves)
    if params_axes is not None:
        marks = jax.tree_util.tree_map(lambda ax, sub: jax.tree_util.tree_map(lambda _: ax, sub), params_axes,
                                       params, is_leaf=lambda x: x is None)
        axes = treedef.flatten_up_to(marks)
        bad = [ax for ax in axes if ax not in (0, None)]
        if bad:
            raise bad_value("params_axes", bad[0], "0 (one value per member) or None (shared) for every leaf")
    batched = [leaf for leaf, ax in zip(leaves, axes) if ax == 0]

    state_axes = jax.tree_util.tree_map(lambda _: 0, states).replace(step=None if shared_step else 0)

    def members(batched, states):
        def one(batched, state):
            values = iter(batched)
            p = treedef.unflatten([next(values) if ax == 0 else leaf for leaf, ax in zip(leaves, axes)])
            return advance(spec, p, state, n_steps)

        if vmap:
            return jax.vmap(one, in_axes=(0, state_axes), out_axes=state_axes)(batched, states)
        return lax.map(lambda member: one(*member), (batched, states))

    devices = jax.devices()
    d = max(n for n in range(1, min(k, len(devices)) + 1) if k % n == 0)
    if d > 1:
        mesh = jax.sharding.Mesh(np.array(devices[:d]), ("member",))
        P = jax.sharding.PartitionSpec
        specs = jax.tree_util.tree_map(lambda ax: P() if ax is None else P("member"), state_axes,
                                       is_leaf=lambda x: x is None)
        members = jax.shard_map(members, mesh=mesh, in_specs=(P("member"), specs), out_specs=specs, check_vma=False)
    out = members(batched, states)
    return out.replace(step=jnp.broadcast_to(out.step, (k,)))
