"""Recorders on the device: fixed-size buffers in ``state.buffers`` that the host empties after every
chunk of steps (:func:`jaxsnn.simulate`, through each recorder model's ``drain`` in
:mod:`jaxsnn.models`), so device memory never grows with the length of a run.

- spike_recorder: at each slice start, the previous slice's spikes (sender, stamp) of the selected
  neurons inside the recorder's window are appended (:func:`record_spikes`);
- multimeter: every step whose stamp is a multiple of its interval, V_m of its neurons (:func:`sample`);
- weight_recorder: at each presynaptic spike, the transmitted weight of its synapses (:func:`record_weights`).

A full buffer sets an :class:`~jaxsnn.Overflow` bit; nothing is written past its end.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from . import host
from .events import set_where
from .status import Overflow, flag
from .types import Buffers, SampleBuffer, SpikeBuffer, WeightBuffer


def empty(spec, model, dtype) -> Buffers:
    """Buffers of the sizes in ``spec``, empty."""
    i32, zeros = np.int32, host.filled  # host arrays: nothing to compile
    n_sr, cap = spec.recording.n_spike_recorders, spec.recording.record_capacity
    rows = spec.recording.multimeter_rows
    return Buffers(
        recorded_until=zeros((), i32),
        spikes=SpikeBuffer(count=zeros(n_sr, i32), senders=zeros((n_sr, cap), i32),
                           stamps=zeros((n_sr, cap), i32)),
        samples=SampleBuffer(
            count=zeros(len(rows), i32),
            values=tuple(zeros((r, ix.shape[-1]), dtype) for r, ix in zip(rows, model.recorders.sample_index)),
            stamps=tuple(zeros(r, i32) for r in rows)),
        weights=WeightBuffer(count=zeros((), i32), stamps=zeros(spec.recording.weight_capacity, i32),
                             synapse=zeros(spec.recording.weight_capacity, i32),
                             weights=zeros(spec.recording.weight_capacity, dtype)))


def append(buffers, count, capacity, mask, values):
    """Append ``values[mask]`` (in order) after ``count`` entries; returns buffers, count, overflowed."""
    pos = count + jnp.cumsum(mask) - 1
    out = tuple(set_where(b, pos, v.astype(b.dtype), mask) for b, v in zip(buffers, values))
    new = count + jnp.sum(mask, dtype=jnp.int32)
    return out, jnp.minimum(new, capacity), new > capacity


def record_spikes(spec, rec, buf: Buffers, senders, steps, count):
    """Append the slice's spikes (``senders`` at ``steps``, the first ``count``) to each spike recorder;
    returns (buffers, overflow bits).

    The recorders' [recorders, capacity] buffers are written as one flat array, each recorder's entries
    at its row's offset, in place: building the rows apart and stacking them would copy the whole
    buffers (sized for a chunk) every slice, which for a network with one step per slice and several
    recorders costs more than the network."""
    valid = (jnp.arange(senders.shape[0]) < count) & (steps >= buf.recorded_until)
    stamps = steps + 1
    sp, cap = buf.spikes, spec.recording.record_capacity
    flat_s, flat_t = sp.senders.reshape(-1), sp.stamps.reshape(-1)
    counts, over = [], jnp.zeros((), jnp.int32)
    for k in range(spec.recording.n_spike_recorders):
        lo, hi = rec.spike_window[k, 0], rec.spike_window[k, 1]
        mask = valid & rec.spike_mask[k, senders] & (lo < stamps) & (stamps <= hi)
        pos = sp.count[k] + jnp.cumsum(mask, dtype=jnp.int32) - 1
        keep = mask & (pos < cap)  # past its row: dropped (the overflow bit says so)
        flat_s = set_where(flat_s, k * cap + pos, senders.astype(flat_s.dtype), keep)
        flat_t = set_where(flat_t, k * cap + pos, stamps.astype(flat_t.dtype), keep)
        new = sp.count[k] + jnp.sum(mask, dtype=jnp.int32)
        counts.append(jnp.minimum(new, cap))
        over = over | flag(new > cap, Overflow.SPIKE_RECORDER)
    spikes = SpikeBuffer(count=jnp.stack(counts), senders=flat_s.reshape(sp.senders.shape),
                         stamps=flat_t.reshape(sp.stamps.shape))
    return buf.replace(spikes=spikes), over


def sample(spec, rec, samples: SampleBuffer, quantities, stamp):
    """Every multimeter whose interval divides ``stamp`` (inside its window) records its quantities of
    its neurons from ``quantities`` ([len(recordables), N], rows in ``spec.recording.recordables`` order: what the
    neuron models report after the step; a row of a quantity a neuron's model lacks is never read);
    returns (samples, overflow bits)."""
    values, stamps, counts, over = [], [], [], jnp.zeros((), jnp.int32)
    for k, rows in enumerate(spec.recording.multimeter_rows):
        lo, hi = rec.sample_window[k, 0], rec.sample_window[k, 1]
        off = 0 if rec.sample_offset is None else rec.sample_offset[k]
        take = ((stamp - off) % rec.sample_interval[k] == 0) & (stamp >= off) & (lo < stamp) & (stamp <= hi)
        row = jnp.where(take, samples.count[k], rows)
        got = quantities[rec.sample_quantity[k], rec.sample_index[k]]
        values.append(samples.values[k].at[row].set(got, mode="drop", unique_indices=True))  # one row
        stamps.append(samples.stamps[k].at[row].set(stamp, mode="drop"))
        new = samples.count[k] + take.astype(jnp.int32)
        over = over | flag(new > rows, Overflow.MULTIMETER)
        counts.append(jnp.minimum(new, rows))
    return SampleBuffer(count=jnp.stack(counts), values=tuple(values), stamps=tuple(stamps)), over


def record_weights(spec, weights: WeightBuffer, e, mask, w, stamps):
    """Append the transmitted weights ``w`` of synapses ``e`` (where ``mask``); returns (buffer, bits)."""
    (a, b, c), n, o = append((weights.stamps, weights.synapse, weights.weights), weights.count,
                             spec.recording.weight_capacity, mask, (jnp.broadcast_to(stamps, e.shape), e, w))
    return WeightBuffer(count=n, stamps=a, synapse=b, weights=c), flag(o, Overflow.WEIGHT_RECORDER)


# ------------------------------------------------------------------------------------------- host
def emptied(buf: Buffers, step, put) -> Buffers:
    """``buf`` marked empty after the host took its records at ``step``: new counters, placed by ``put``
    (the other buffers are kept as they are: only the counters say what is in them)."""
    zeros = lambda a: np.zeros(np.shape(a), np.int32)
    new = put({"until": np.full(np.shape(buf.recorded_until), step, np.int32), "spikes": zeros(buf.spikes.count),
               "samples": zeros(buf.samples.count), "weights": zeros(buf.weights.count)})
    return buf.replace(recorded_until=new["until"], spikes=buf.spikes.replace(count=new["spikes"]),
                       samples=buf.samples.replace(count=new["samples"]),
                       weights=buf.weights.replace(count=new["weights"]))
