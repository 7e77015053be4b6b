"""Dopamine-modulated STDP in networks: the engine's side of ``stdp_dopamine_synapse`` and its ``volume_transmitter``.

NEST 3.10's scheme (Potjans et al. 2010), with the rule's arithmetic from :mod:`jaxsnn.core.stdp_family`:

- A volume transmitter collects the spikes of the neurons connected to it. A spike sent at stamp σ over a
  connection of delay D reaches it at stamp σ + D; the multiplicities that reach it in one step are
  summed into one entry (time σ + D in ms, multiplicity m). Its list starts with a pseudo entry (0 ms, 0).
- Every ``deliver_interval`` slices (a slice: min_delay), at the slice end t_trig, the transmitter brings
  every synapse that names it up to t_trig (:func:`trigger`): facilitation by the post spikes that reached
  it since its last update, the weight integrated across the dopamine spikes of the list, c, n and K₊
  decayed to t_trig. Its list then restarts with a pseudo entry (t_trig, 0).
- A presynaptic spike at t (delivered at the start of the slice after the one it was emitted in, so after
  the trigger at that slice's start: t may lie before the synapse's last update, and NEST then integrates
  backwards in time, which is kept) brings the synapse to t the same way, then depresses c by
  A₋ K₋(t − d) and transmits the weight; K₊ ← K₊ e^{(t_update − t)/τ₊} + 1 (:func:`on_presynaptic_spike`).

Each synapse keeps w, K₊ (``PreTraces.Kplus``, one per synapse), c, n, the stamp of its last update and the
index of the last list entry it has integrated across (``Plasticity.dopa``). The lists, the transmitters'
input ring (multiplicities by arrival step) and the connections into the transmitters are per
transmitter; split over devices (:mod:`jaxsnn.run.sharding`), every device holds them whole and computes them
alike from the slice's spikes of all devices, and updates the synapses it holds. The work per presynaptic
spike is that of its outgoing synapses; a trigger updates the synapses of one transmitter, as NEST does.

State ``Plasticity.dopa`` (dict): ``c``, ``n`` [traces]; ``t_update``, ``idx`` int32 [traces]; ``vt_stamp``
int32 [V, K], ``vt_mult`` [V, K], ``vt_count`` int32 [V] (the lists, K = longest deliver_interval ×
slice + 1 entries); ``vt_ring`` [V, ring] (multiplicity arriving at each step). Topology
``Model.transmitters`` (dict): ``of_trace`` int32 [traces] (the transmitter of each synapse), ``src``,
``delay``, ``vt`` int32 [C] (the connections into transmitters: source neuron, delay in steps,
transmitter), ``interval`` int32 [V] (deliver_interval).
"""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from . import stdp, stdp_family
from .events import set_where
from .types import IN_DELAY, IN_ROW, IN_SYNAPSE, IN_TRACE, OUT_DELAY, OUT_ROW, OUT_TARGET, OUT_TRACE


def _col(spec, p, name):
    return spec.plasticity.stdp_rule.column(p, name)


def _ms(spec, stamp, dtype, nz):
    """A stamp's time in ms, rounded before the sums that use it (:func:`jaxsnn.core.stdp.ms_apart`)."""
    return stdp.ms_apart(spec, stamp, dtype, nz)


def _nz(x):
    """−0.0 (NaN where ``x`` is NaN) from a float the compiler cannot see through: ``product + _nz(x)`` is the
    product rounded on its own, even where the compiler fuses the addition into a multiply-add, so that a
    later sum cannot absorb the product (NEST's arithmetic rounds every product)."""
    return jnp.where(jnp.isnan(x), x, -0.0)


def _delay_ms(spec, D, dtype, nz):
    """The delay in ms as NEST's get_delay gives it (0.001 · tics, e.g. exactly 1.5 where 15 · 0.1 is not), rounded
    before the sums that use it."""
    return _ms(spec, D, dtype, nz)


def _kminus(spec, nrn, pl, neuron, stamp, D):
    """The target's K₋ just before t − d (NEST's get_K_value), each product rounded apart as NEST's."""
    dtype = pl.post.Kminus.dtype
    at, any_earlier = stdp._last_before(spec, pl, neuron, stamp - D)
    t_j = pl.post.post_stamps.reshape(-1)[at]
    nz = _nz(nrn.tau_minus[neuron])
    d_ms = _delay_ms(spec, D, dtype, nz)
    arg = (_ms(spec, t_j, dtype, nz) - (_ms(spec, stamp, dtype, nz) - d_ms)) * (1.0 / nrn.tau_minus[neuron])
    return jnp.where(any_earlier, pl.post.post_Kminus.reshape(-1)[at] * spec.plasticity.stdp_rule.exp(arg) + nz, 0.0)


def _process(spec, p, dopa, vt, w, c, n, idx, t0, t1, t1_stamp, go):
    """NEST's process_dopa_spikes_: the weight from t0 to t1 (ms) across the list's dopamine spikes in
    (t0, t1], and c decayed to t1, for the events where ``go``; returns (w, c, n, idx)."""
    dtype = w.dtype
    stamps, mult, count = dopa["vt_stamp"], dopa["vt_mult"], dopa["vt_count"][vt]
    K = stamps.shape[1]
    at = lambda i: jnp.minimum(i, K - 1)
    nz = _nz(_col(spec, p, "tau_c"))
    T = lambda i: _ms(spec, stamps[vt, at(i)], dtype, nz)
    due = lambda i: (i + 1 < count) & (stamps[vt, at(i + 1)] <= t1_stamp)  # grid times: exact comparison
    tau_c, tau_n, b = _col(spec, p, "tau_c"), _col(spec, p, "tau_n"), _col(spec, p, "b")
    wmin, wmax = _col(spec, p, "Wmin"), _col(spec, p, "Wmax")
    rule = spec.plasticity.stdp_rule
    weight = lambda w, c0, n0, dt: stdp_family.dopa_weight(w, c0, n0, dt, tau_c, tau_n, b, wmin, wmax, rule.expm1, nz)
    next_n = lambda n, i: stdp_family.dopa_n(n, T(i) - T(i + 1), mult[vt, at(i + 1)], tau_n, rule.exp, nz)

    first = go & due(idx)  # at least one dopamine spike in (t0, t1]
    n0 = n * spec.plasticity.stdp_rule.exp((T(idx) - t0) / tau_n) + nz  # n at t0 (n is held at the last dopamine spike)
    w = jnp.where(first, weight(w, c, n0, t0 - T(idx + 1)), w)
    n, idx = jnp.where(first, next_n(n, idx), n), jnp.where(first, idx + 1, idx)

    def more(carry):
        return jnp.any(first & due(carry[2]))

    def across(carry):  # from one dopamine spike to the next: c decayed from t0 to the first of them
        w, n, idx = carry
        go_on = first & due(idx)
        cd = c * spec.plasticity.stdp_rule.exp((t0 - T(idx)) / tau_c) + nz
        return (jnp.where(go_on, weight(w, cd, n, T(idx) - T(idx + 1)), w), jnp.where(go_on, next_n(n, idx), n),
                jnp.where(go_on, idx + 1, idx))

    w, n, idx = lax.while_loop(more, across, (w, n, idx))
    cd = c * spec.plasticity.stdp_rule.exp((t0 - T(idx)) / tau_c) + nz
    w = jnp.where(go, jnp.where(first, weight(w, cd, n, T(idx) - t1), weight(w, c, n0, t0 - t1)), w)
    c = jnp.where(go, c * spec.plasticity.stdp_rule.exp((t0 - t1) / tau_c) + nz, c)
    return w, c, n, idx


def _catch_up(spec, pl, p, dopa, vt, tgt, D, s, kplus, tu, t_end, go, pre_stamp=None):
    """The post spikes of ``tgt`` that reached the synapses since their last update ``tu`` (stamps in
    (tu − D, t_end − D], in time order): the weight brought to each, then c facilitated by
    A₊ K₊ e^{(t_update − (t_j + d))/τ₊} (for a presynaptic spike at ``pre_stamp`` only by post spikes before
    it). ``s``: (w, c, n, idx); returns (w, c, n, idx, t0) with t0 the last post spike's arrival (ms) or
    t_update."""
    dtype = s[0].dtype
    H = spec.plasticity.post_history
    stamps = pl.post.post_stamps[tgt]  # [events, H]
    oldest = pl.post.n_post[tgt]  # slot of the oldest entry (the archive is a ring; empty slots are EMPTY)
    nz = _nz(_col(spec, p, "tau_c"))
    t_update = _ms(spec, tu, dtype, nz)
    d_ms = _delay_ms(spec, D, dtype, nz)
    tau_plus, a_plus = _col(spec, p, "tau_plus"), _col(spec, p, "A_plus")
    window = (stamps > (tu - D)[:, None]) & (stamps <= (t_end - D)[:, None]) & go[:, None]

    def one(i, carry):
        w, c, n, idx, t0 = carry
        t_j = jnp.take_along_axis(stamps, ((oldest + i) % H)[:, None], axis=1)[:, 0]
        inside = go & (t_j > tu - D) & (t_j <= t_end - D)
        t1 = _ms(spec, t_j, dtype, nz) + d_ms
        w, c, n, idx = _process(spec, p, dopa, vt, w, c, n, idx, t0, t1, t_j + D, inside)
        facilitates = inside if pre_stamp is None else inside & (pre_stamp > t_j)
        k = kplus * spec.plasticity.stdp_rule.exp((t_update - t1) / tau_plus) + nz  # every product rounded on its own
        c = jnp.where(facilitates, c + (a_plus * k + nz), c)
        return w, c, n, idx, jnp.where(inside, t1, t0)

    carry = (*s, t_update)
    return lax.cond(jnp.any(window), lambda c: lax.fori_loop(0, H, one, c), lambda c: c, carry)


def _read(spec, table, pl, trace, row):
    # the rows per event, opaque to the compiler: XLA turns a division by a value it sees as one for every event
    # (a homogeneous rule's single row, a table of one row) into a product with its reciprocal, whose rounding
    # differs (NEST divides), and whether it sees that depends on the surrounding program (shapes, devices)
    p = stdp.rule_params(spec, table, row)
    p = lax.optimization_barrier(jnp.broadcast_to(p, row.shape + p.shape[-1:]))
    d = pl.dopa
    return p, d["t_update"][trace], (d["c"][trace], d["n"][trace], d["idx"][trace])


def on_presynaptic_spike(spec, nrn, table, top, syn_st, pl, e, rec, ok, stamp):
    """A presynaptic spike stamped ``stamp`` on synapses ``e`` (records ``rec`` of ``out_syn``): each
    dopamine synapse brought up to the spike, depressed, its weight transmitted and K₊ updated; static
    synapses transmit their weight. Returns (synapse state, plasticity, weights sent)."""
    dtype = syn_st.weight.dtype
    row, D, tgt, trace = rec[:, OUT_ROW], rec[:, OUT_DELAY], rec[:, OUT_TARGET], rec[:, OUT_TRACE]
    plastic = row >= 0
    go = ok & plastic
    stamp = jnp.broadcast_to(stamp, e.shape)
    p, tu, (c, n, idx) = _read(spec, table, pl, trace, jnp.maximum(row, 0))
    vt = top["of_trace"][trace]
    kplus = pl.pre.Kplus[trace]
    w0 = syn_st.weight[e]
    w, c, n, idx, t0 = _catch_up(spec, pl, p, pl.dopa, vt, tgt, D, (w0, c, n, idx), kplus, tu, stamp, go, stamp)
    nz = _nz(_col(spec, p, "tau_c"))
    t = _ms(spec, stamp, dtype, nz)
    w, c, n, idx = _process(spec, p, pl.dopa, vt, w, c, n, idx, t0, t, stamp, go)
    k = _kminus(spec, nrn, pl, tgt, stamp, D)
    c = c - (_col(spec, p, "A_minus") * k + nz)
    decay = spec.plasticity.stdp_rule.exp((_ms(spec, tu, dtype, nz) - t) / _col(spec, p, "tau_plus"))
    kplus = (kplus * decay + nz) + 1.0
    w = jnp.where(plastic, w, w0)
    syn_st = syn_st.replace(weight=set_where(syn_st.weight, e, w, go), reported=set_where(syn_st.reported, e, w, go))
    pl = _write(pl, trace, go, Kplus=kplus, c=c, n=n, idx=idx, t_update=stamp)
    return syn_st, pl, w


def _write(pl, trace, where, Kplus, **dopa):
    pre = pl.pre.replace(Kplus=set_where(pl.pre.Kplus, trace, Kplus, where))
    d = dict(pl.dopa)
    for k, v in dopa.items():
        d[k] = set_where(d[k], trace, v.astype(d[k].dtype), where)
    return pl.replace(pre=pre, dopa=d)


def collect(spec, pl, first):
    """The transmitters read the multiplicities that reached them in steps with stamps first+1 … first+L
    (the slice that ended) into their lists, one entry per step with input; the rows read are cleared."""
    d = dict(pl.dopa)
    ring, R, K = d["vt_ring"], spec.sizes.ring, d["vt_stamp"].shape[1]

    def one(j, carry):
        stamps, mult, count = carry
        a = first + 1 + j
        m = ring[:, a % R]
        new = m > 0
        at = jnp.where(new, jnp.minimum(count, K - 1), K)  # K: dropped
        V = jnp.arange(stamps.shape[0])
        stamps = stamps.at[V, at].set(a, mode="drop")
        mult = mult.at[V, at].set(m, mode="drop")
        return stamps, mult, count + new.astype(count.dtype)

    stamps, mult, count = lax.fori_loop(0, spec.time.slice_steps, one, (d["vt_stamp"], d["vt_mult"], d["vt_count"]))
    rows = (first + 1 + jnp.arange(spec.time.slice_steps)) % R
    d.update(vt_stamp=stamps, vt_mult=mult, vt_count=count, vt_ring=ring.at[:, rows].set(0.0))
    return pl.replace(dopa=d)


def send_to_transmitters(spec, top, pl, senders, steps, count):
    """The slice's spikes (one entry per unit of multiplicity) over the connections into transmitters: each adds 1
    to its transmitter's ring at the arrival step (stamp + delay)."""
    if top["src"].shape[0] == 0:
        return pl
    d = dict(pl.dopa)
    valid = jnp.arange(senders.shape[0]) < count  # [cap]
    hit = valid[:, None] & (senders[:, None] == top["src"][None, :])  # [cap, C]
    arrival = (steps[:, None] + 1 + top["delay"][None, :]) % spec.sizes.ring
    vt = jnp.broadcast_to(top["vt"][None, :], hit.shape)
    d["vt_ring"] = d["vt_ring"].at[vt.reshape(-1), arrival.reshape(-1)].add(
        hit.reshape(-1).astype(d["vt_ring"].dtype))
    return pl.replace(dopa=d)


def trigger(spec, nrn, table, top, syn, syn_st, pl, s):
    """The transmitters whose ``deliver_interval`` ends at stamp ``s`` bring each of their synapses up to s
    (NEST's trigger_update_weight) and restart their lists with a pseudo entry (s, 0)."""
    due_vt = (s % (top["interval"] * spec.time.slice_steps)) == 0  # [V]
    rec = syn.in_syn
    e, D, row, trace = rec[:, IN_SYNAPSE], rec[:, IN_DELAY], rec[:, IN_ROW], rec[:, IN_TRACE]
    vt = top["of_trace"][trace]
    # a split network's device holds its rows first, then padding (in_ptr's last entry counts its rows)
    go = due_vt[vt] & (jnp.arange(rec.shape[0]) < syn.in_ptr[-1])

    def update(args):
        syn_st, pl = args
        dtype = syn_st.weight.dtype
        tgt = syn.out_syn[e, OUT_TARGET]
        p, tu, (c, n, idx) = _read(spec, table, pl, trace, row)
        kplus = pl.pre.Kplus[trace]
        stamp = jnp.broadcast_to(s, e.shape)
        w, c, n, idx, t0 = _catch_up(spec, pl, p, pl.dopa, vt, tgt, D, (syn_st.weight[e], c, n, idx), kplus, tu,
                                     stamp, go)
        nz = _nz(_col(spec, p, "tau_c"))
        t = _ms(spec, stamp, dtype, nz)
        w, c, n, idx = _process(spec, p, pl.dopa, vt, w, c, n, idx, t0, t, stamp, go)
        last = _ms(spec, pl.dopa["vt_stamp"][vt, idx], dtype, nz)
        n = n * spec.plasticity.stdp_rule.exp((last - t) / _col(spec, p, "tau_n")) + nz
        kplus = kplus * spec.plasticity.stdp_rule.exp((_ms(spec, tu, dtype, nz) - t) / _col(spec, p, "tau_plus")) + nz
        syn_st = syn_st.replace(weight=set_where(syn_st.weight, e, w, go),
                                reported=set_where(syn_st.reported, e, w, go))
        pl = _write(pl, trace, go, Kplus=kplus, c=c, n=n, idx=jnp.zeros_like(idx), t_update=stamp)
        return syn_st, pl

    syn_st, pl = lax.cond(jnp.any(go), update, lambda a: a, (syn_st, pl))
    d = dict(pl.dopa)
    first = (jnp.arange(d["vt_stamp"].shape[1]) == 0)[None, :] & due_vt[:, None]
    d["vt_stamp"] = jnp.where(first, s, d["vt_stamp"])
    d["vt_mult"] = jnp.where(first, 0.0, d["vt_mult"])
    d["vt_count"] = jnp.where(due_vt, 1, d["vt_count"])
    return syn_st, pl.replace(dopa=d)


def slice_work(spec, nrn, table, top, syn, syn_st, pl, senders, steps, count, s):
    """The transmitters' part of the slice starting at step ``s``, after the spikes of the slice that ended were
    delivered (NEST delivers at a slice's start, then updates the nodes): those spikes are sent towards the
    transmitters (a delay is at least a slice, so they arrive in this slice or later); the transmitters read what
    arrives in this slice (stamps s+1 … s+L) and, where their interval ends at s + L, update their synapses to
    it (NEST does that in the transmitter's update of this slice; nothing in the slice's steps reads it)."""
    pl = send_to_transmitters(spec, top, pl, senders, steps, count)
    pl = collect(spec, pl, s)
    return trigger(spec, nrn, table, top, syn, syn_st, pl, s + spec.time.slice_steps)
