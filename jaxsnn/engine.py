"""The step function and the jitted loop that advances a compiled network.

One step k advances time from k·h to (k+1)·h in NEST's order (``nest_semantics.md`` §0–§4). Steps are
grouped in slices of NEST's ``min_delay`` (``spec.slice_steps``, aligned to t = 0):

0. at the start of a slice, the spikes emitted in the previous slice are delivered to the input ring
   (by sender, then emission step, each synapse in creation order: NEST's summation order), and the
   spike generators push the events they emit during the slice;
1. every neuron reads its input slot for step k and integrates (:mod:`jaxsnn.iaf_psc_delta`);
   spikes get the stamp k+1 and are archived for STDP;
2. poisson generators push their counts for step k into the ring at step k + d;
3. plastic synapses whose postsynaptic neuron spiked d steps ago are facilitated (the "dendritic"
   delay d makes a post spike at t_j count for a pre spike at t >= t_j + d, NEST's window edge);
4. the outgoing plastic synapses of this step's spikes are depressed and their traces updated
   (event-driven, :mod:`jaxsnn.events`); the spikes join the slice's pending list;
5. recorders append what they see.

Because a delay is never shorter than a slice, delivering at the next slice start is always in time.
The weight delivered is the one set at emission (``weight_reported``); a neuron never spikes twice
in one slice (slices are at most t_ref + h long), so it is the weight of that spike.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from . import iaf_psc_delta, rng, stdp
from .events import for_each_synapse
from .structs import Params, Spec, State

OVERFLOW_SPIKES = 1  # more spikes in one step than spec.spike_capacity
OVERFLOW_RECORDER = 2
OVERFLOW_MULTIMETER = 4
OVERFLOW_WEIGHTS = 8
OVERFLOW_POISSON = 16  # a rate beyond what the compiled Poisson table covers
OVERFLOW_PENDING = 32  # more spikes in one slice than spec.pending_capacity


def _start_slice(spec: Spec, params: Params, st: State) -> State:
    """Deliver last slice's spikes (NEST order) and push this slice's spike-generator events."""
    syn, dev = params.synapses, params.devices
    s = st.step
    ring = st.ring
    if syn.target.shape[0]:
        cap = spec.pending_capacity
        valid = jnp.arange(cap) < st.pending_count
        order = jnp.argsort(jnp.where(valid, st.pending_senders, spec.n_neurons), stable=True)
        senders, steps = st.pending_senders[order], st.pending_steps[order]

        def deliver(e, ok, k, ring):
            row = jnp.where(ok, (steps[k] + syn.delay[e]) % spec.ring, spec.ring)  # out of range: dropped
            return ring.at[row, syn.target[e]].add(st.weight_reported[e], mode="drop")

        ring = for_each_synapse(senders, st.pending_count, syn.out_ptr, None, spec.chunk, deliver, ring)
    if spec.has_spike_generators:
        lo = jnp.searchsorted(dev.sg_step // spec.slice_steps, s // spec.slice_steps, side="left")
        hi = jnp.searchsorted(dev.sg_step // spec.slice_steps, s // spec.slice_steps, side="right")

        def push(i, ring):
            return ring.at[(dev.sg_step[i] + dev.sg_delay[i]) % spec.ring, dev.sg_target[i]].add(dev.sg_weight[i])

        ring = lax.fori_loop(lo, hi, push, ring)
    return st.replace(ring=ring, pending_count=jnp.zeros_like(st.pending_count))


def step(spec: Spec, params: Params, state: State) -> State:
    nrn, syn, dev = params.neurons, params.synapses, params.devices
    dtype = state.V_rel.dtype
    s = state.step
    stamp = s + 1
    slot = s % spec.ring

    # 0. slice start
    st = lax.cond(s % spec.slice_steps == 0, lambda st: _start_slice(spec, params, st), lambda st: st, state)

    # 1. neurons
    V, r, rbuf, spiked = iaf_psc_delta.update(nrn, spec.resolution, spec.has_refractory_input,
                                              st.V_rel, st.refractory, st.refractory_buffer, st.ring[slot])
    ring = st.ring.at[slot].set(0.0)
    ids = jnp.nonzero(spiked, size=spec.spike_capacity, fill_value=0)[0].astype(jnp.int32)
    n_spikes = jnp.sum(spiked, dtype=jnp.int32)
    overflow = st.overflow | jnp.where(n_spikes > spec.spike_capacity, OVERFLOW_SPIKES, 0)
    st = st.replace(V_rel=V, refractory=r, refractory_buffer=rbuf, overflow=overflow)
    if spec.has_plastic:
        st = stdp.archive_post_spikes(spec, nrn, st, spiked, stamp)

    # 2. poisson generators: an independent count per connection and step
    if spec.n_poisson_terms:
        mu = dev.pg_rate * spec.resolution * 1e-3
        survival = jax.vmap(lambda m: rng.poisson_survival(m, spec.n_poisson_terms))(mu.astype(dtype))
        lo, hi = dev.pg_window[:, 0], dev.pg_window[:, 1]
        active = (lo < s) & (s <= hi)
        n = rng.poisson_counts(rng.bits(st.rng, s, dev.pg_stream), survival[dev.pg_generator])
        n = jnp.where(active[dev.pg_generator], n, 0)
        ring = ring.at[(s + dev.pg_delay) % spec.ring, dev.pg_target].add(dev.pg_weight * n.astype(dtype))
        bad = jnp.any(survival[:, -1] >= 2.0 ** -32)
        st = st.replace(overflow=st.overflow | jnp.where(bad, OVERFLOW_POISSON, 0))
    st = st.replace(ring=ring)

    # 3. facilitation by post spikes d steps ago (their dendritic arrival)
    for g, D in enumerate(spec.facilitation_delays):
        row = st.spike_history[(s - D) % spec.ring]
        post_ids = jnp.nonzero(row, size=spec.spike_capacity, fill_value=0)[0].astype(jnp.int32)
        n_post = jnp.minimum(jnp.sum(row, dtype=jnp.int32), spec.spike_capacity)
        w = for_each_synapse(post_ids, n_post, syn.in_ptr[g], syn.in_perm[g], spec.chunk,
                             lambda e, ok, k, w: stdp.facilitate_synapses(spec, syn, st, w, e, ok, s + 1 - D, D),
                             st.weight)
        st = st.replace(weight=w)

    # 4. this step's spikes: plasticity now, delivery at the next slice start
    if syn.target.shape[0] and (spec.has_plastic or spec.weight_capacity):
        def on_spike(e, ok, k, st):
            w = st.weight_reported[e]
            if spec.has_plastic:
                st, w = stdp.on_presynaptic_spike(spec, nrn, syn, st, e, ok, stamp)
            if spec.weight_capacity:
                st = _record_weights(spec, st, e, ok & dev.wr_mask[e], w, stamp)
            return st

        st = for_each_synapse(ids, n_spikes, syn.out_ptr, None, spec.chunk, on_spike, st)
    if syn.target.shape[0]:
        (snd, stp), count, over = _append((st.pending_senders, st.pending_steps), st.pending_count,
                                          spec.pending_capacity, jnp.arange(ids.shape[0]) < n_spikes,
                                          (ids, jnp.broadcast_to(s, ids.shape)))
        st = st.replace(pending_senders=snd, pending_steps=stp, pending_count=count,
                        overflow=st.overflow | jnp.where(over, OVERFLOW_PENDING, 0))

    # 5. recorders
    if spec.n_spike_recorders:
        st = _record_spikes(spec, dev, st, ids, n_spikes, stamp)
    if spec.multimeter_rows:
        st = _record_multimeters(spec, nrn, dev, st, stamp)
    return st.replace(step=s + 1)


def _append(buffers, count, capacity, mask, values):
    """Append ``values[mask]`` (in order) after ``count`` entries; returns buffers, count, overflowed."""
    pos = count + jnp.cumsum(mask) - 1
    pos = jnp.where(mask, pos, capacity)
    out = tuple(b.at[pos].set(v.astype(b.dtype), mode="drop") for b, v in zip(buffers, values))
    new = count + jnp.sum(mask, dtype=jnp.int32)
    return out, jnp.minimum(new, capacity), new > capacity


def _record_spikes(spec, dev, st, ids, n_spikes, stamp):
    valid = jnp.arange(ids.shape[0]) < n_spikes
    senders, stamps, counts, overflow = [], [], [], st.overflow
    for k in range(spec.n_spike_recorders):
        lo, hi = dev.sr_window[k, 0], dev.sr_window[k, 1]
        mask = valid & dev.sr_mask[k, ids] & (lo < stamp) & (stamp <= hi)
        (a, b), c, over = _append((st.sr_senders[k], st.sr_stamps[k]), st.sr_count[k], spec.record_capacity,
                                  mask, (ids, jnp.broadcast_to(stamp, ids.shape)))
        senders.append(a)
        stamps.append(b)
        counts.append(c)
        overflow = overflow | jnp.where(over, OVERFLOW_RECORDER, 0)
    return st.replace(sr_senders=jnp.stack(senders), sr_stamps=jnp.stack(stamps), sr_count=jnp.stack(counts),
                      overflow=overflow)


def _record_multimeters(spec, nrn, dev, st, stamp):
    values, stamps, counts, overflow = [], [], [], st.overflow
    for k, rows in enumerate(spec.multimeter_rows):
        lo, hi = dev.mm_window[k, 0], dev.mm_window[k, 1]
        take = (stamp % dev.mm_interval[k] == 0) & (lo < stamp) & (stamp <= hi)
        idx = dev.mm_index[k]
        row = jnp.where(take, st.mm_count[k], rows)
        values.append(st.mm_values[k].at[row].set(st.V_rel[idx] + nrn.E_L[idx], mode="drop"))
        stamps.append(st.mm_stamps[k].at[row].set(stamp, mode="drop"))
        new = st.mm_count[k] + take.astype(jnp.int32)
        overflow = overflow | jnp.where(new > rows, OVERFLOW_MULTIMETER, 0)
        counts.append(jnp.minimum(new, rows))
    return st.replace(mm_values=tuple(values), mm_stamps=tuple(stamps), mm_count=jnp.stack(counts),
                      overflow=overflow)


def _record_weights(spec, st, e, mask, w, stamp):
    (a, b, c), n, over = _append((st.wr_stamps, st.wr_synapse, st.wr_weights), st.wr_count, spec.weight_capacity,
                                 mask, (jnp.broadcast_to(stamp, e.shape), e, w))
    return st.replace(wr_stamps=a, wr_synapse=b, wr_weights=c, wr_count=n,
                      overflow=st.overflow | jnp.where(over, OVERFLOW_WEIGHTS, 0))


def advance(spec: Spec, params: Params, state: State, n_steps) -> State:
    """Advance ``state`` by ``n_steps`` steps (a traced int: one compilation serves every length)."""
    return lax.fori_loop(0, n_steps, lambda i, st: step(spec, params, st), state)


advance_jit = jax.jit(advance, static_argnums=0)
