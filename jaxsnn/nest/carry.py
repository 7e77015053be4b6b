"""Carrying a running simulation over into a rebuild of its (changed) network.

The stateful layer rebuilds the :class:`~jaxsnn.Simulation` from its :class:`~jaxsnn.Network`
description when something changed between ``Simulate`` calls that the compiled arrays cannot take in
place (a generator's rate or window, spike times, recorder windows, new nodes or connections). The
rebuild has the new model and parameters; :func:`carry` gives it the old run's state:

- time (the step counter), the random key, every neuron's state (new neurons start as described);
- spikes in transit and the spike history, re-laid into the new ring sizes (rows are steps modulo the
  ring length, so a longer maximum delay only spreads them out);
- every synapse's weight, short-term state and random stream id (a new synapse gets an id never used
  before), K+ trace and (for plastic synapses) its last reported weight, found in the
  rebuild by its place in the description (connections are only appended: ``places_old`` and
  ``places_new`` name each synapse's connect call and row), so that changed delays or plasticity
  parameters and new connections keep them; K+ as ``kplus_set`` gives it where ``set`` changed it;
- the post-synaptic archives (K−, last spikes) of the neurons that had plastic input, re-laid if the
  archive length changes; a neuron that gains its first plastic input starts with an empty archive and
  K− = 0, as NEST archives only for neurons with plastic input;
- the grown capacities, the min_delay slice (never shortened: the state is aligned to it) and what the
  recorders gathered.
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ..core import recorders
from ..core.engine import BIG
from ..core.types import IN_SYNAPSE, IN_TRACE, OUT_TRACE
from ..errors import JaxsnnError
from ..run.post_log import _moved


def carry(old, new, places_old=None, places_new=None, kplus_set=None, sizes=None):
    """``new`` (a fresh build at step 0) continuing ``old``'s run; ``places_*``: int64[M, 2] (connect call,
    row) of each synapse of the two builds (None: the same synapses in the same order). ``sizes``: the
    ``slice_steps``, ``ring`` and ``post_history`` (steps, spikes) the result has instead of those the
    two builds give (a checkpoint's, made by carrying a run: ``carry(fresh, fresh, sizes=...)`` lays a
    fresh build out as that run was laid out)."""
    so, sn = old.spec, new.spec
    if sizes is None and sn.time.slice_steps < so.time.slice_steps:
        h = so.time.resolution
        raise JaxsnnError(
            f"the change made since the last Simulate shortens min_delay from {so.time.slice_steps * h} ms to "
            f"{sn.time.slice_steps * h} ms (a shorter delay or t_ref); jaxsnn continues a run only with the same or a "
            "longer one. Create the shortest delays and t_ref before the first Simulate.")
    L = so.time.slice_steps if sizes is None else sizes["slice_steps"]
    # the rings never shrink (as NEST's max_delay after Simulate): input in transit may lie up to the old
    # longest delay ahead even when a changed delay shortened the longest one
    max_delay = max(sn.sizes.ring - sn.time.slice_steps, so.sizes.ring - so.time.slice_steps)
    if sizes is not None:
        max_delay = sizes["ring"] - L
    both_plastic = so.plasticity.has_plastic and sn.plasticity.has_plastic
    po, pn = so.plasticity, sn.plasticity
    post_history = max(po.post_history, pn.post_history) if both_plastic else pn.post_history
    spec = sn.replace(
        slice_steps=L, ring=max_delay + L, history=max_delay + 2 * L,
        post_history=post_history if sizes is None else sizes["post_history"],
        slice_capacity=max(so.capacities.slice_capacity, sn.capacities.slice_capacity),
        post_capacity=max(so.capacities.post_capacity, sn.capacities.post_capacity),
        recorders=tuple(_larger(r, so.models.recorders) for r in sn.models.recorders))
    model = new.model.replace(spec=spec)
    o, n = jax.device_get(old.state), new.state
    now = int(o.step)
    N_old = so.sizes.n_neurons
    neuron_models = {m.name: m for m in sn.models.neuron_models}
    neurons = n.neurons.replace(models={name: _carried_model(o.neurons.models.get(name, {}), now_state,
                                                             neuron_models[name])
                                        for name, now_state in n.neurons.models.items()},
                                current=None if n.neurons.current is None else
                                _padded_rows(o.neurons.current, n.neurons.current, N_old))
    tr_o, tr_n = o.transit, n.transit
    ring_o, ring_n, history, N = so.sizes.ring, spec.sizes.ring, spec.sizes.history, sn.sizes.n_neurons
    transit = tr_n.replace(
        ring=_ring(tr_o.ring, ring_o, ring_n, so.models.spike_channels, sn.models.spike_channels, now, N,
                   tr_n.ring.dtype),
        spike_history=_history(tr_o.spike_history, history, now, N, tr_n.spike_history.dtype),
        current=None if tr_n.current is None else _ring(
            tr_o.current, ring_o, ring_n, so.models.current_rows, sn.models.current_rows, now, N, tr_n.current.dtype),
        spike_count=None if tr_n.spike_count is None else _history(tr_o.spike_count, history, now, N, np.int32))
    state = n.replace(step=jnp.asarray(now, jnp.int32), key=o.key, overflow=jnp.zeros((), jnp.int32),
                      neurons=neurons, transit=transit, slice_steps=L)
    to_new = _synapse_map(old, new, places_old, places_new)
    plasticity, retrace = _plasticity(old, new, o, n, spec, to_new, places_old, kplus_set or {})
    if retrace is not None:
        model, spec = _retraced(model, spec, retrace)
    state = state.replace(synapses=_synapse_state(o, n, so, sn, to_new), plasticity=plasticity)
    state = state.replace(buffers=recorders.resized(spec, model, new.params.neurons.tau_minus.dtype,
                                                    jax.tree_util.tree_map(jnp.asarray, o.buffers)))
    return _generators(old, new.replace(model=model, state=state, records=dict(old.records), _plan=()), o, now)


def _larger(r, old_recorders):
    """Recorder ``r`` of the new build with the capacity the old run grew its model to, where larger (per
    node where its nodes are the same in number)."""
    old = next((o for o in old_recorders if o.name == r.name), None)
    if old is None:
        return r
    a, b = r.capacity, old.capacity
    if isinstance(a, tuple):
        return r.with_capacity(tuple(map(max, a, b))) if len(a) == len(b) else r
    return r.with_capacity(max(a, b))


def _generators(old, new, o, now):
    """The generators of the device interface continue: their state (oscillators, processes, integrated
    rates; connections and generators only appended, so the old ones are a prefix) and NEST's
    pre_run_hook at the current time (:func:`jaxsnn.run.generators.retable`)."""
    from ..run.generators import retable

    for m in new.spec.models.generators:
        name = m.name
        fresh = {k: np.array(v) for k, v in new.state.generators[name].items()}
        was = o.generators.get(name, {})
        for k, a in was.items():
            a = np.asarray(a)
            if k in fresh and a.ndim == fresh[k].ndim and a.shape[1:] == fresh[k].shape[1:]:
                n = min(len(a), len(fresh[k]))
                fresh[k][:n] = a[:n]
        ps = list(new.layout.generators[name][1])
        before = dict(zip(*old.layout.generators[name])) if name in old.layout.generators else {}
        old_ps = [before.get(i, p) for i, p in zip(new.layout.generators[name][0], ps)]
        new = retable(new, name, ps, fresh, old_ps, now * new.spec.time.resolution, running=old)
    return new


def _synapse_map(old, new, places_old, places_new) -> np.ndarray:
    """The index in ``new`` of each synapse of ``old`` (found by its place in the description)."""
    M_old, M_new = old.model.synapses.n_synapses, new.model.synapses.n_synapses
    if places_old is None:
        if M_old != M_new:
            raise JaxsnnError("carry: the two builds have different synapses; give their places in the description.")
        to_new = np.arange(M_old)
    else:
        key = lambda p: np.asarray(p, np.int64)[:, 0] * 2**32 + np.asarray(p, np.int64)[:, 1]
        k_new = key(places_new)
        order = np.argsort(k_new)
        at = np.searchsorted(k_new[order], key(places_old))
        if (at >= len(k_new)).any() or not np.array_equal(k_new[order][np.minimum(at, len(k_new) - 1)],
                                                          key(places_old)):
            raise JaxsnnError("carry: a synapse of the running simulation is missing from the rebuild (connections "
                              "are only appended); this is a bug in jaxsnn.nest.")
        to_new = order[at]
    o_out, n_out = np.asarray(old.model.synapses.out_syn), np.asarray(new.model.synapses.out_syn)
    if M_old and not np.array_equal(n_out[to_new, 0], o_out[:, 0]):
        raise JaxsnnError("carry: the synapses of the rebuild have other targets; this is a bug in jaxsnn.nest.")
    return to_new


def _synapse_state(o, n, so, sn, to_new):
    """Every old synapse's weight (and last reported weight) at its place in the rebuild; new synapses as
    built."""
    weight = np.array(n.synapses.weight)
    weight[to_new] = np.asarray(o.synapses.weight)
    reported = np.array(n.synapses.reported)
    if sn.plasticity.has_plastic:
        reported[to_new] = np.asarray(o.synapses.reported if so.plasticity.has_plastic else o.synapses.weight)
    return n.synapses.replace(weight=jax.device_put(weight), reported=jax.device_put(reported),
                              stp=_short_term(o.synapses.stp, n.synapses.stp, to_new))


def _short_term(old, new, to_new):
    """The short-term state (x, u, y, a, the last spike) of every old synapse at its place in the rebuild, and its
    random stream id: an old synapse keeps its id, a new one gets an id no synapse had before (ids above every
    old one), so that no two synapses ever draw from one (seed, step, id) stream and a synapse's draws do not
    change when connections are added."""
    if new is None or old is None:
        return new
    out = {k: np.array(v) for k, v in new.items()}
    for k, v in old.items():
        if k in out and k != "sid":
            out[k][to_new] = np.asarray(v)
    if "sid" in out and "sid" in old:
        sid = np.full(len(out["sid"]), -1, np.int64)
        sid[to_new] = np.asarray(old["sid"])
        fresh = sid < 0
        first = max(int(np.max(np.asarray(old["sid"]), initial=-1)) + 1, len(to_new))
        sid[fresh] = first + np.arange(int(fresh.sum()))
        if sid.max(initial=0) >= 2**31:
            raise JaxsnnError("connect: the synapses' random stream ids passed 2**31 (int32); build the network anew.")
        out["sid"] = sid.astype(np.int32)
    return {k: jnp.asarray(v) for k, v in out.items()}


def _plasticity(old, new, o, n, spec, to_new, places_old, kplus_set):
    """K+ traces, each neuron's last sent spike, and the post-synaptic archives carried over."""
    so, sn, N_old = old.spec, new.spec, old.spec.sizes.n_neurons
    t_last = np.array(n.plasticity.pre.t_last)
    t_last[:N_old] = np.asarray(o.plasticity.pre.t_last)[:N_old]
    Kplus = np.array(n.plasticity.pre.Kplus)
    o_out, n_out = np.asarray(old.model.synapses.out_syn), np.asarray(new.model.synapses.out_syn)
    retrace = None
    if so.plasticity.has_plastic and sn.plasticity.has_plastic:
        Kplus, retrace = _traces(o, Kplus, o_out, n_out, to_new, places_old, kplus_set)
    pre = n.plasticity.pre.replace(Kplus=jnp.asarray(Kplus, n.plasticity.pre.Kplus.dtype), t_last=jnp.asarray(t_last))
    K3_old, K3_new = o.plasticity.pre.Kplus_triplet, n.plasticity.pre.Kplus_triplet
    if K3_old is not None and K3_new is not None:  # a triplet rule's second traces: one per synapse
        plastic = np.nonzero(o_out[:, 2] >= 0)[0]
        K3 = np.array(K3_new)
        K3[n_out[to_new[plastic], 3]] = np.asarray(K3_old)[o_out[plastic, 3]]
        pre = pre.replace(Kplus_triplet=jnp.asarray(K3, K3_new.dtype))
    post = n.plasticity.post
    if so.plasticity.has_plastic and sn.plasticity.has_plastic:
        had_input = np.zeros(sn.sizes.n_neurons, bool)
        had_input[o_out[o_out[:, 2] >= 0, 0]] = True
        post = _archive(o.plasticity.post, post, had_input, so.plasticity.post_history, spec.plasticity.post_history)
    last = np.array(post.last_post)  # every neuron's last spike (NEST's t_spike), with or without STDP
    last[:N_old] = np.asarray(o.plasticity.post.last_post)[:N_old]
    post = post.replace(last_post=jnp.asarray(last))
    if post.Ca is not None and o.plasticity.post.Ca is not None:  # the calcium trace goes on (tau_Ca, beta_Ca: set)
        post = post.replace(**{k: jnp.asarray(np.concatenate([np.asarray(getattr(o.plasticity.post, k))[:N_old],
                                                              np.asarray(getattr(post, k))[N_old:]]))
                               for k in ("Ca", "Ca_t")})
    return n.plasticity.replace(pre=pre, post=post, dopa=_dopa(o, n, o_out, n_out, to_new, so, spec)), retrace


def _dopa(o, n, o_out, n_out, to_new, so, spec):
    """A dopamine rule's state carried over: each old synapse's c, n, last update and list position at its
    trace in the rebuild; the old transmitters' lists (transmitters are only appended) and their input ring,
    re-laid into the new ring length as the neurons' ring."""
    if n.plasticity.dopa is None or o.plasticity.dopa is None:
        return n.plasticity.dopa
    old = {k: np.asarray(v) for k, v in o.plasticity.dopa.items()}
    new = {k: np.array(v) for k, v in n.plasticity.dopa.items()}
    plastic = np.nonzero(o_out[:, 2] >= 0)[0]
    for k in ("c", "n", "t_update", "idx"):
        new[k][n_out[to_new[plastic], 3]] = old[k][o_out[plastic, 3]]
    V, K = min(len(old["vt_count"]), len(new["vt_count"])), old["vt_stamp"].shape[1]
    if K > new["vt_stamp"].shape[1] and (old["vt_count"] > new["vt_stamp"].shape[1]).any():
        raise JaxsnnError("a volume_transmitter's spike list does not fit the rebuild (a shorter deliver_interval "
                          "or min_delay while spikes are held); change it at the start of a deliver_interval.")
        K = new["vt_stamp"].shape[1]
    K = min(K, new["vt_stamp"].shape[1])
    for k in ("vt_stamp", "vt_mult"):
        new[k][:V, :K] = old[k][:V, :K]
    new["vt_count"][:V] = old["vt_count"][:V]
    ring = np.zeros((len(new["vt_count"]), spec.sizes.ring), new["vt_ring"].dtype)
    steps = int(o.step) + np.arange(so.sizes.ring)
    np.add.at(ring, (np.arange(V)[:, None], (steps % spec.sizes.ring)[None, :]),
              old["vt_ring"][:V][:, steps % so.sizes.ring])
    new["vt_ring"] = ring
    return {k: jnp.asarray(v) for k, v in new.items()}


def _traces(o, Kplus, o_out, n_out, to_new, places_old, kplus_set):
    """The rebuild's K+ traces, as NEST's per-synapse K+: every old synapse keeps the value its trace had (or
    the K+ that ``set`` gave it), every new one starts at its initial K+. Synapses that the rebuild groups in
    one trace (same source, tau_plus and initial K+) but that now hold different values get a trace each
    (new trace ids); returns (K+ per trace, the trace of every synapse of the rebuild or None if unchanged)."""
    plastic = np.nonzero(o_out[:, 2] >= 0)[0]
    value = np.asarray(o.plasticity.pre.Kplus)[o_out[plastic, 3]].astype(np.float64)
    if kplus_set and places_old is not None:
        where = {(int(j), int(r)): k for k, (j, r) in enumerate(np.asarray(places_old)[plastic])}
        for place, v in kplus_set.items():
            if place in where:
                value[where[place]] = v
    mine = np.nonzero(n_out[:, 2] >= 0)[0]  # the rebuild's plastic synapses
    trace = n_out[mine, 3].astype(np.int64)
    held = np.asarray(Kplus, np.float64)[trace]  # new synapses: their initial K+
    at = np.full(len(n_out), -1, np.int64)
    at[mine] = np.arange(len(mine))
    held[at[to_new[plastic]]] = value
    groups, ids = np.unique(np.stack([trace.astype(np.float64), held], axis=1), axis=0, return_inverse=True)
    if len(groups) == len(np.unique(trace)):  # one value per trace: the rebuild's traces as they are
        Kplus = np.array(Kplus)
        Kplus[trace] = held
        return Kplus, None
    retrace = np.zeros(len(n_out), np.int32)
    retrace[mine] = ids.reshape(-1)
    return groups[:, 1], retrace


def _retraced(model, spec, retrace):
    """The rebuild's topology with the traces ``retrace`` (one per synapse): sources may now have several
    traces, so the K+ update runs per synapse (``spec.plasticity.trace_per_source`` off)."""
    syn = model.synapses
    out_syn = np.array(syn.out_syn)
    out_syn[:, OUT_TRACE] = retrace
    in_syn = np.array(syn.in_syn)
    in_syn[:, IN_TRACE] = retrace[in_syn[:, IN_SYNAPSE]]
    syn = syn.replace(out_syn=jax.device_put(out_syn), in_syn=jax.device_put(in_syn),
                      source_trace=jax.device_put(np.full(np.shape(syn.source_trace), -1, np.int32)))
    spec = spec.replace(trace_per_source=False)
    return model.replace(spec=spec, synapses=syn), spec


def _archive(old, new, had_input, h_old, h_new):
    """The post-synaptic archive: the old one for neurons that had plastic input (the last min(h_old,
    h_new) spikes re-laid from column j % h_old to j % h_new), the new build's (empty, K− = 0) for the
    others."""
    N_old = len(np.asarray(old.n_post))
    keep = np.nonzero(had_input[:N_old])[0]
    fields = {f.name: np.array(getattr(new, f.name)) for f in dataclasses.fields(new)
              if getattr(new, f.name) is not None and getattr(old, f.name) is not None}  # (a triplet rule's)
    per_spike = [k for k in ("post_stamps", "post_Kminus", "post_Kminus_triplet") if k in fields]
    if fields["post_stamps"].shape[1] != h_new:  # the carried archive is longer than the new build's
        n = fields["post_stamps"].shape[0]
        for name in per_spike:
            fields[name] = np.full((n, h_new), -BIG if name == "post_stamps" else 0, fields[name].dtype)
    for name in [k for k in ("Kminus", "last_post", "n_post", "Kminus_triplet") if k in fields]:
        fields[name][keep] = np.asarray(getattr(old, name))[keep]
    # the host's record (pending.py), per neuron as n_post: also when neurons were added (more rows)
    for name in [k for k in ("post_log_stamps", "post_log_Kminus_triplet") if k in fields]:
        # (as long as the old one's or longer: jaxsnn.run.post_log)
        log = np.full_like(fields[name][:N_old], -BIG if name == "post_log_stamps" else 0)
        log = _moved(np.asarray(getattr(old, name)), np.asarray(old.n_post), log)
        fields[name][keep] = log[keep]
    n_post = np.asarray(old.n_post)[keep]
    for d in range(min(h_old, h_new)):
        j = n_post - 1 - d
        ok = j >= 0
        rows, j = keep[ok], j[ok]
        for name in per_spike:
            fields[name][rows, j % h_new] = np.asarray(getattr(old, name))[rows, j % h_old]
    return new.replace(**{k: jnp.asarray(v) for k, v in fields.items()})


def _carried_model(old: dict, new: dict, model) -> dict:
    """A model's state over its neurons (axis 0): the old run's for the neurons it had (a model's neurons
    are in node order and new nodes come last, so they are the first rows), the new build's for the others.
    List parameters set since may have changed length (``model.list_params``): each neuron's lengths are
    the new ones, and the state of their elements (``model.list_state``) keeps the old elements that still
    exist, the others zero (NEST resizes the vectors)."""
    lengths = {length for length, _ in model.list_params.values()}
    out = {}
    for k, v in new.items():
        v = np.array(v)
        if k in old and k not in lengths:
            a = np.asarray(old[k])
            common = tuple(slice(0, min(x, y)) for x, y in zip(a.shape[1:], v.shape[1:]))
            v[(slice(0, len(a)),) + common] = a[(slice(None),) + common]
        if k in model.list_state:
            v[np.arange(v.shape[1]) >= np.asarray(new[model.list_state[k]])[:, None]] = 0.0
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
