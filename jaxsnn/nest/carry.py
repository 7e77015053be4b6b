"""Carrying a running simulation over into a rebuild of its (changed) network.

The stateful layer rebuilds the :class:`~jaxsnn.Simulation` from its :class:`~jaxsnn.Network`
description when something changed between ``Simulate`` calls that the compiled arrays cannot take in
place (a generator's rate or window, spike times, recorder windows, new nodes or connections). The
rebuild has the new model and parameters; :func:`carry` gives it the old run's state:

- time (the step counter), the random key, every neuron's state (new neurons start as described);
- spikes in transit and the spike history, re-laid into the new ring sizes (rows are steps modulo the
  ring length, so a longer maximum delay only spreads them out);
- weights, STDP traces and archives when the connections are the same; with new connections the
  static weights come from the description (which the layer keeps in step with ``set``), and a network
  with plastic synapses refuses (their traces cannot be matched yet);
- the grown capacities, the min_delay slice (never shortened: the state is aligned to it) and what the
  recorders gathered.
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ..core import recorders
from ..errors import JaxsnnError


def same_synapses(old, new) -> bool:
    """Whether the two builds have the same neuron-to-neuron connections (in the same order)."""
    a, b = old.model.synapses, new.model.synapses
    return all(np.shape(x) == np.shape(y) and np.array_equal(np.asarray(x), np.asarray(y))
               for x, y in ((a.source, b.source), (a.out_syn, b.out_syn), (a.model, b.model)))


def carry(old, new):
    """``new`` (a fresh build at step 0) continuing ``old``'s run."""
    so, sn = old.spec, new.spec
    same_connections = same_synapses(old, new)
    if sn.slice_steps < so.slice_steps:
        raise JaxsnnError(
            f"the change made since the last Simulate shortens min_delay from {so.slice_steps * so.resolution} ms to "
            f"{sn.slice_steps * sn.resolution} ms (a shorter delay or t_ref); jaxsnn continues a run only with the "
            "same or a longer one. Create the shortest delays and t_ref before the first Simulate.")
    if not same_connections and so.has_plastic:
        raise JaxsnnError("Create or Connect after Simulate in a network with plastic synapses is not supported "
                          "(their traces cannot be carried over); build the whole network before the first Simulate.")
    L = so.slice_steps
    max_delay = sn.ring - sn.slice_steps
    spec = dataclasses.replace(
        sn, slice_steps=L, ring=max_delay + L, history=max_delay + 2 * L,
        post_history=so.post_history if same_connections else sn.post_history,
        slice_capacity=max(so.slice_capacity, sn.slice_capacity),
        post_capacity=max(so.post_capacity, sn.post_capacity),
        record_capacity=max(so.record_capacity, sn.record_capacity),
        weight_capacity=max(so.weight_capacity, sn.weight_capacity) if sn.weight_capacity else 0)
    if len(so.multimeter_rows) == len(sn.multimeter_rows):
        spec = dataclasses.replace(spec, multimeter_rows=tuple(map(max, so.multimeter_rows, sn.multimeter_rows)))
    model = new.model.replace(spec=spec)
    o, n = jax.device_get(old.state), new.state
    now = int(o.step)
    N_old = so.n_neurons
    neurons = n.neurons.replace(models={name: _carried_model(o.neurons.models.get(name, {}), now_state)
                                        for name, now_state in n.neurons.models.items()},
                                current=None if n.neurons.current is None else
                                _padded_rows(o.neurons.current, n.neurons.current, N_old))
    tr_o, tr_n = o.transit, n.transit
    transit = tr_n.replace(
        ring=_ring(tr_o.ring, so.ring, spec.ring, so.spike_channels, sn.spike_channels, now, sn.n_neurons,
                   tr_n.ring.dtype),
        spike_history=_history(tr_o.spike_history, spec.history, now, sn.n_neurons, tr_n.spike_history.dtype),
        current=None if tr_n.current is None else _ring(
            tr_o.current, so.ring, spec.ring, so.current_rows, sn.current_rows, now, sn.n_neurons,
            tr_n.current.dtype),
        spike_count=None if tr_n.spike_count is None else _history(
            tr_o.spike_count, spec.history, now, sn.n_neurons, np.int32))
    state = n.replace(step=jnp.asarray(now, jnp.int32), key=o.key, overflow=jnp.zeros((), jnp.int32),
                      neurons=neurons, transit=transit, slice_steps=L)
    if same_connections:
        pad = lambda a, b: _padded(a, b, N_old)
        post = state.plasticity.post
        post = post.replace(**{f.name: pad(getattr(o.plasticity.post, f.name), getattr(post, f.name))
                               for f in dataclasses.fields(post)})
        pre = state.plasticity.pre.replace(Kplus=jnp.asarray(o.plasticity.pre.Kplus),
                                           t_last=pad(o.plasticity.pre.t_last, state.plasticity.pre.t_last))
        state = state.replace(synapses=jax.device_put(o.synapses), plasticity=state.plasticity.replace(pre=pre,
                                                                                                        post=post))
    else:
        t_last = np.zeros(sn.n_neurons, np.int32)
        t_last[:N_old] = np.asarray(o.plasticity.pre.t_last)
        state = state.replace(plasticity=state.plasticity.replace(
            pre=state.plasticity.pre.replace(t_last=jnp.asarray(t_last))))
    buffers = recorders.empty(spec, model, new.params.neurons.tau_minus.dtype)
    state = state.replace(buffers=buffers.replace(recorded_until=jnp.asarray(o.buffers.recorded_until)))
    return new.replace(model=model, state=state, records=dict(old.records), _plan=())


def _padded(old, new, n_old):
    """``new`` (rows per neuron) with its first ``n_old`` rows from ``old`` (other columns kept if wider)."""
    new, old = np.asarray(new), np.asarray(old)
    if old.ndim == 2:  # the archive keeps the old run's length (spec.post_history is carried)
        out = np.full((new.shape[0], old.shape[1]), new.flat[0] if new.size else 0, new.dtype)
        out[:n_old] = old
    else:
        out = np.array(new)
        out[:n_old] = old
    return jnp.asarray(out)


def _carried_model(old: dict, new: dict) -> dict:
    """A model's state over its neurons (axis 0): the old run's for the neurons it had (a model's neurons
    are in node order and new nodes come last, so they are the first rows), the new build's for the others."""
    out = {}
    for k, v in new.items():
        v = np.array(v)
        if k in old:
            a = np.asarray(old[k])
            v[:len(a)] = a
        out[k] = jnp.asarray(v)
    return out


def _padded_rows(old, new, n_old):
    """``new`` with its first ``n_old`` entries along the last axis (neurons) from ``old``."""
    out = np.array(new)
    if old is not None:
        out[..., :n_old] = np.asarray(old)[..., :n_old]
    return jnp.asarray(out)


def _ring(old, old_len, new_len, old_channels, new_channels, now, n, dtype):
    """Input arriving at steps now … now + old_len − 1, from rows c · old_len + (step mod old_len) to
    c · new_len + (step mod new_len), channel by channel (excitatory/inhibitory, receptor ports or
    current receptors; a network that gains channels keeps its channels' numbers)."""
    out = np.zeros((new_channels * new_len, n), dtype)
    if old is None:
        return jnp.asarray(out)
    old = np.asarray(old)
    steps = now + np.arange(old_len)
    for c in range(old_channels):
        src = old[c * old_len + steps % old_len]
        dst = c * new_len + steps % new_len
        np.add.at(out, (dst[:, None], np.arange(old.shape[1])[None, :]), src)
    return jnp.asarray(out)


def _history(old, new_len, now, n, dtype):
    """Who spiked in the last steps, re-laid from rows (step mod old length) to (step mod new_len)."""
    out = np.zeros((new_len, n), dtype)
    old = np.asarray(old)
    k = min(len(old), new_len)
    steps = now - 1 - np.arange(k)
    steps = steps[steps >= 0]
    out[steps % new_len, :old.shape[1]] = old[steps % len(old)]
    return jnp.asarray(out)
