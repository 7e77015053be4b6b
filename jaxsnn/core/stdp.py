"""Pair-based STDP in networks: the engine's side of a plastic synapse model, with NEST 3.10's exact arithmetic.

The rule (how a weight changes) is the synapse model's (:class:`jaxsnn.models.base.PlasticityRule`,
received as static metadata in ``spec.plasticity.stdp_rule``; this module names none); this module holds what
every such rule shares: the K₊ traces, the postsynaptic archive K₋, the lazy facilitation window,
and the arithmetic of stdp_synapse's rule (:func:`facilitate`, :func:`depress`), which
:mod:`jaxsnn.models.stdp_synapse` uses. For stdp_synapse, with normalised weight ŵ = w / W_max
(``docs/nest_semantics.md`` §2):

    facilitate:  ŵ ← ŵ + λ (1 − ŵ)^μ₊ · K₊ e^{(t_last − (t_j + d)) / τ₊},   w = ŵ W_max if ŵ < 1 else W_max
    depress:     ŵ ← ŵ − α λ ŵ^μ₋ · K₋(t − d),                        w = ŵ W_max if ŵ > 0 else 0
    trace:       K₊ ← K₊ e^{(t_last − t) / τ₊} + 1,  t_last ← t        (after transmission)

The whole delay d is dendritic: a post spike at t_j counts for a pre spike at t when t_j + d ∈
(t_last, t]; K₋(t − d) is the postsynaptic trace just before t − d. NEST applies the facilitation
lazily when the next pre spike is delivered; here it is applied when the post spike reaches the
synapse (step t_j + d), to the same weight, with the same K₊ and t_last, in the same order, so the
transmitted weights are identical while a pre spike touches only its outgoing synapses and a post
spike only its incoming ones. ``state.synapses.reported`` keeps NEST's lazy view (the weight right after the
last presynaptic spike). Time differences are taken in ms as NEST does in float64; in float32 they are
taken in integer steps first, which keeps them exact in long runs.

Several rules in one network (:class:`jaxsnn.models.base.PlasticityRules`): every event's rule row ends with
its rule's index, the rule's methods pick each synapse's own rule's result (``term_rows``, ``facilitate``,
``depress``); a pairing (``nearest``, ``first_only``, ``depress_if_paired``, ``resets_trace``) acts on the
synapses whose rule has it (``rule.mask``); the post archive is the targets' own, shared by all rules (as
NEST's ArchivingNode).
"""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from . import stdp_family
from .events import set_where
from .types import IN_DELAY, IN_ROW, IN_SOURCE, IN_SYNAPSE, IN_TRACE, OUT_DELAY, OUT_ROW, OUT_TARGET, OUT_TRACE

TAU_PLUS, LAMBDA, ALPHA, MU_PLUS, MU_MINUS, WMAX = range(6)
EMPTY = -((2**31 - 1) // 2)  # post_stamps of an archive slot without a spike (the engine's −BIG)


def _pow(x, mu, mu_is_one=False):
    """C's pow; x**1 is x exactly, so a rule known to use μ = 1 skips the (costly) power."""
    return x if mu_is_one else jnp.power(x, mu)


def facilitate(w, k, p, mu_is_one=False):
    """stdp_synapse's facilitation of ``w`` by the decayed trace ``k`` (rows ``p``)."""
    norm = (w / p[..., WMAX]) + (p[..., LAMBDA] * _pow(1.0 - (w / p[..., WMAX]), p[..., MU_PLUS], mu_is_one) * k)
    return jnp.where(norm < 1.0, norm * p[..., WMAX], p[..., WMAX])


def depress(w, k, p, mu_is_one=False):
    """stdp_synapse's depression of ``w`` by the target's trace ``k`` (rows ``p``)."""
    norm = (w / p[..., WMAX]) - (p[..., ALPHA] * p[..., LAMBDA]
                                 * _pow(w / p[..., WMAX], p[..., MU_MINUS], mu_is_one) * k)
    return jnp.where(norm > 0.0, norm * p[..., WMAX], 0.0)


def over_tau(spec, dt, tau):
    """dt / τ₊ as the network's rule computes it (a division or a product with 1/τ₊: NEST's bits)."""
    return spec.plasticity.stdp_rule.over_tau(dt, tau)


def over_tau_rows(spec, dt, p):
    """dt / τ₊ for synapses of rule rows ``p``, as each synapse's rule computes it."""
    return spec.plasticity.stdp_rule.over_tau_rows(dt, p)


def ms(spec, stamp, dtype):
    """Time of a stamp (in steps) in ms, as NEST computes it: 0.001 · tics."""
    stamp = jnp.asarray(stamp)
    if spec.x64:  # tics in 64 bits: a 32-bit product wraps after 2**31 tics (35.8 min at h = 0.1 ms)
        stamp = stamp.astype(jnp.int64)
    return 0.001 * (stamp * spec.time.tics_per_step).astype(dtype)


def ms_apart(spec, stamp, dtype, nz):
    """:func:`ms`, rounded before any sum that uses it (XLA would fuse the product into a multiply-add; NEST's
    arithmetic rounds it apart): for the rules that give NEST's bits (``PlasticityRule.libm``). ``nz``: −0.0 (NaN
    where a parameter is NaN) from a float parameter, which the compiler cannot fold: ``product + nz`` is the product
    rounded on its own even where the compiler fuses that addition."""
    tics = jnp.asarray(stamp).astype(jnp.int64 if spec.x64 else jnp.int32) * spec.time.tics_per_step
    return 0.001 * tics.astype(dtype) + nz


def _diff_ms(spec, a, b, dtype):
    """t(a) − t(b) in ms for stamps a, b (NEST's order in float64, exact integer difference in float32)."""
    if spec.x64:
        return ms(spec, a, dtype) - ms(spec, b, dtype)
    return ms(spec, a - b, dtype)


def archive_post_spikes(spec, nrn, post, spiked, stamp):
    """K₋ update and archive of post spikes (NEST's ArchivingNode::set_spiketime) in the
    :class:`~jaxsnn.core.types.PostArchive` ``post``; ``stamp`` is the stamp of every neuron's spike
    (scalar or per neuron)."""
    dtype = post.Kminus.dtype
    stamp = jnp.broadcast_to(stamp, spiked.shape)
    rule = spec.plasticity.stdp_rule
    if spec.x64 and getattr(rule, "libm", False):  # NEST's bits: the C library's exp, products rounded apart
        nz = jnp.where(jnp.isnan(nrn.tau_minus), nrn.tau_minus, -0.0)
        dt = ms_apart(spec, post.last_post, dtype, nz) - ms_apart(spec, stamp, dtype, nz)
        decay = rule.exp(dt * (1.0 / nrn.tau_minus))
        Km = jnp.where(spiked, (post.Kminus * decay + nz) + 1.0, post.Kminus)
    else:
        decay = jnp.exp(_diff_ms(spec, post.last_post, stamp, dtype) * (1.0 / nrn.tau_minus))
        Km = jnp.where(spiked, post.Kminus * decay + 1.0, post.Kminus)
    pos = post.n_post % spec.plasticity.post_history
    write = spiked[:, None] & (jnp.arange(spec.plasticity.post_history)[None, :] == pos[:, None])
    if post.Kminus_triplet is not None:  # a triplet rule's K₋,₃ (tau_minus_triplet), archived alike
        decay3 = jnp.exp(_diff_ms(spec, post.last_post, stamp, dtype) * (1.0 / nrn.tau_minus_triplet))
        K3 = jnp.where(spiked, post.Kminus_triplet * decay3 + 1.0, post.Kminus_triplet)
        post = post.replace(Kminus_triplet=K3,
                            post_Kminus_triplet=jnp.where(write, K3[:, None], post.post_Kminus_triplet))
    if post.post_log_stamps is not None:  # a longer record of the stamps (a triplet rule's K₋,₃), host only:
        # one entry per neuron written in place (a select over [n, G] would cost G times more as the record grows)
        rows = jnp.arange(spiked.shape[0])
        at = post.n_post % post.post_log_stamps.shape[1]
        log = post.post_log_stamps
        post = post.replace(post_log_stamps=log.at[rows, at].set(jnp.where(spiked, stamp, log[rows, at])))
        if post.post_log_Kminus_triplet is not None:
            k3 = post.post_log_Kminus_triplet
            post = post.replace(post_log_Kminus_triplet=k3.at[rows, at].set(
                jnp.where(spiked, post.Kminus_triplet, k3[rows, at])))
    return post.replace(
        Kminus=Km,
        last_post=jnp.where(spiked, stamp, post.last_post),
        post_stamps=jnp.where(write, stamp[:, None], post.post_stamps),
        post_Kminus=jnp.where(write, Km[:, None], post.post_Kminus),
        n_post=post.n_post + spiked.astype(jnp.int32),
    )


def _last_before(spec, pl, neuron, before):
    """Flat archive index of the last post spike of ``neuron`` stamped before ``before`` (for repeats of a
    spike of multiplicity m, the last of them, whose K₋ is the largest) and whether there is one."""
    H = spec.plasticity.post_history
    stamps = pl.post.post_stamps[neuron]  # [chunk, H]
    earlier = (stamps < before[:, None]) & (stamps > EMPTY)  # an empty slot is no spike (nearest K₋ reads none)
    latest = jnp.argmax(jnp.where(earlier, stamps, jnp.iinfo(stamps.dtype).min), axis=1)
    if spec.models.has_multiplicity:  # repeats of a spike of multiplicity m share a stamp: the last has the largest K-
        t_max = jnp.max(jnp.where(earlier, stamps, jnp.iinfo(stamps.dtype).min), axis=1)
        latest = jnp.argmax(jnp.where(earlier & (stamps == t_max[:, None]), pl.post.post_Kminus[neuron], -jnp.inf),
                            axis=1)
    return neuron * H + latest, jnp.any(earlier, axis=1)  # flat: a 2-D index costs XLA a separate pass


def kminus_before(spec, nrn, pl, neuron, stamp, D, p=None):
    """K₋ of ``neuron`` just before t − d (NEST's get_K_value(t − d)), t = time of ``stamp``; the
    nearest-neighbour value e^{(t_j − (t − d))/τ₋} for a rule with ``nearest`` pairing (with several rules:
    for the synapses of rule rows ``p`` whose rule has it)."""
    dtype = pl.post.Kminus.dtype
    at, any_earlier = _last_before(spec, pl, neuron, stamp - D)
    t_j = pl.post.post_stamps.reshape(-1)[at]
    if spec.x64:
        t_minus_d = ms(spec, stamp, dtype) - D.astype(dtype) * spec.time.resolution
        arg = (ms(spec, t_j, dtype) - t_minus_d) * (1.0 / nrn.tau_minus[neuron])
    else:
        arg = ms(spec, t_j - stamp + D, dtype) * (1.0 / nrn.tau_minus[neuron])
    rule = spec.plasticity.stdp_rule
    if rule.mixed("nearest"):
        value = jnp.where(rule.mask("nearest", p), jnp.exp(arg), pl.post.post_Kminus.reshape(-1)[at] * jnp.exp(arg))
    else:
        value = jnp.exp(arg) if rule.nearest else pl.post.post_Kminus.reshape(-1)[at] * jnp.exp(arg)
    return jnp.where(any_earlier, value, 0.0)


def _previous_post(spec, pl, neuron, stamp):
    """Stamp of the post spike of ``neuron`` before the one stamped ``stamp`` (−BIG if none in the archive)."""
    stamps = pl.post.post_stamps[neuron]
    floor = jnp.iinfo(stamps.dtype).min // 2
    return jnp.max(jnp.where(stamps < stamp[:, None], stamps, floor), axis=1)


def triplet_at(spec, pl, neuron, stamp, repeat=0):
    """K₋,₃ archived with the post spike of ``neuron`` stamped ``stamp`` (its ``repeat``-th repeat, for a
    spike of multiplicity m: the repeats' values grow by 1 each)."""
    values = jnp.where(pl.post.post_stamps[neuron] == stamp[:, None], pl.post.post_Kminus_triplet[neuron], jnp.inf)
    if not spec.models.has_multiplicity:
        return jnp.min(values, axis=1)
    return jnp.take_along_axis(jnp.sort(values, axis=1), jnp.broadcast_to(repeat, stamp.shape)[:, None], axis=1)[:, 0]


def _facilitate(rule, spec, w, term, p, k3):
    """The rule's facilitation (a triplet rule also gets K₋,₃ of the post spike)."""
    if rule.triplet:
        return rule.facilitate(w, term, p, spec.plasticity.stdp_unit_mu[0], k3=k3)
    return rule.facilitate(w, term, p, spec.plasticity.stdp_unit_mu[0])


def first_in_window(spec, pl, neuron, post_stamp, D, t_last):
    """Whether the post spike of ``neuron`` stamped ``post_stamp`` is the first to reach a synapse of delay D
    (steps) after its presynaptic spike stamped ``t_last``: the target's previous post spike reached it no
    later than t_last (NEST's window (t_last − d, t − d] holds no earlier one)."""
    return _previous_post(spec, pl, neuron, post_stamp) + D <= t_last


def paired_since(spec, pl, neuron, stamp, D, t_last):
    """Whether a post spike of ``neuron`` reached a synapse of delay D after its presynaptic spike stamped
    ``t_last`` and by ``stamp``: one stamped in (t_last − D, stamp − D] (NEST's history window)."""
    stamps = pl.post.post_stamps[neuron]
    return jnp.any((stamps > (t_last - D)[:, None]) & (stamps <= (stamp - D)[:, None]), axis=1)


def facilitate_synapses(spec, table, pl, carry, rec, ok, post_stamp, target, repeat=0):
    """Facilitate the synapses of records ``rec`` (rows of ``in_syn``) for post spikes of ``target`` stamped
    ``post_stamp`` (the ``repeat``-th repeat of a spike of multiplicity m); ``carry``: (weights, K₊)."""
    weight, Kplus = carry
    rule = spec.plasticity.stdp_rule
    e, trace = rec[:, IN_SYNAPSE], rec[:, IN_TRACE]
    p = rule_params(spec, table, rec[:, IN_ROW])
    t_last = pl.pre.t_last[rec[:, IN_SOURCE]]
    term = _facilitation_term(spec, Kplus[trace], t_last, post_stamp, rec[:, IN_DELAY], p)
    if rule.mixed("first_only"):
        ok = ok & (((repeat == 0) & first_in_window(spec, pl, target, post_stamp, rec[:, IN_DELAY], t_last))
                   | ~rule.mask("first_only", p))
    elif rule.first_only:  # a post spike pairs only with the nearest preceding pre spike, and only once
        ok = ok & (repeat == 0) & first_in_window(spec, pl, target, post_stamp, rec[:, IN_DELAY], t_last)
    k3 = triplet_at(spec, pl, target, post_stamp, repeat) if rule.triplet else None
    w = _facilitate(rule, spec, weight[e], term, p, k3)
    if rule.resets_trace:  # one trace per synapse, held as −1 − K₊ until the next pre spike (reset_trace)
        Kplus = set_where(Kplus, trace, -1.0 - Kplus[trace], _only(rule, "resets_trace", p, ok))
    return set_where(weight, e, w, ok), Kplus


def _only(rule, flag, p, cond):
    """``cond`` for the synapses (rule rows ``p``) whose rule has pairing ``flag``, False for the others: with
    several rules, some without it (one rule: ``cond`` itself)."""
    return cond & rule.mask(flag, p) if rule.mixed(flag) else cond


def _unless(rule, flag, p, cond):
    """``cond`` for the synapses whose rule has pairing ``flag``, True for the others (one rule: ``cond``)."""
    return cond | ~rule.mask(flag, p) if rule.mixed(flag) else cond


def reported_trace(Kplus):
    """NEST's view of the K₊ of a rule that resets it at a facilitation (``resets_trace``): a reset trace is
    held as −1 − K₊ (K₊ >= 0 otherwise), so that the value after the last presynaptic spike, which NEST
    reports until the next one, is kept; the dynamics read 0 there."""
    return jnp.where(Kplus < 0.0, -1.0 - Kplus, Kplus)


def rule_params(spec, table, row):
    """Plasticity parameters per event ([events, width]), or the single row of a homogeneous rule."""
    return table[0] if spec.plasticity.stdp_single_row else table[row]


def facilitation(spec, w, Kplus, t_last, post_stamp, D, p, k3=None):
    """The weight ``w`` facilitated by the post spike stamped ``post_stamp`` (per synapse: K₊ after the last
    presynaptic spike stamped ``t_last``, delay ``D`` in steps, rule rows ``p``, a triplet rule's K₋,₃ of the post
    spike ``k3``): what :func:`facilitate_synapses` computes, for a replay on the host (``jaxsnn.nest.pending``)."""
    term = _facilitation_term(spec, Kplus, t_last, post_stamp, D, p)
    return _facilitate(spec.plasticity.stdp_rule, spec, w, term, p, k3)


def _facilitation_term(spec, Kplus, t_last, post_stamp, D, p):
    """K₊ e^{(t_last − (t_j + d)) / τ₊} for a post spike stamped ``post_stamp`` (all per event)."""
    dtype = Kplus.dtype
    if spec.x64:
        minus_dt = ms(spec, t_last, dtype) - (ms(spec, post_stamp, dtype) + D * spec.time.resolution)
    else:
        minus_dt = ms(spec, t_last - post_stamp - D, dtype)
    return spec.plasticity.stdp_rule.term_rows(Kplus, jnp.exp(over_tau_rows(spec, minus_dt, p)), p)


def on_presynaptic_spike(spec, nrn, table, syn_st, pl, e, rec, ok, sender, stamp, slice_start):
    """A pre spike of ``sender`` on synapses ``e`` (records ``rec``, rows of ``out_syn``): facilitation by a
    post spike that reached them earlier in the same slice (at most one, found in the post archive),
    depression and K₊; returns (synapse state, plasticity, w). t_last is the caller's to update, after all
    synapses of the slice have read it."""
    rule = spec.plasticity.stdp_rule
    dtype = syn_st.weight.dtype
    row, D, tgt, trace = rec[:, OUT_ROW], rec[:, OUT_DELAY], rec[:, OUT_TARGET], rec[:, OUT_TRACE]
    plastic = row >= 0
    p = rule_params(spec, table, jnp.maximum(row, 0))
    stamp = jnp.broadcast_to(stamp, e.shape)
    t_last = pl.pre.t_last[sender]
    post = pl.post.post_stamps[tgt]  # [events, H]
    arrival = post - 1 + D[:, None]  # step in which each archived post spike reaches the synapse
    early = (arrival >= slice_start) & (arrival <= (stamp - 1)[:, None])
    t_j = jnp.max(jnp.where(early, post, 0), axis=1)
    w = syn_st.weight[e]
    kplus = pl.pre.Kplus[trace]
    if rule.resets_trace:
        kplus = jnp.where(kplus < 0.0, 0.0, kplus)  # reset by a post spike since the last pre spike
    any_early = jnp.any(early, axis=1) & plastic  # static synapses are never facilitated
    if rule.first_only:
        any_early = any_early & _unless(rule, "first_only", p, first_in_window(spec, pl, tgt, t_j, D, t_last))

    def early_facilitation(w):  # rare, so its exponentials are skipped when no synapse needs them
        term = _facilitation_term(spec, kplus, t_last, t_j, D, p)
        k3 = (lambda i: triplet_at(spec, pl, tgt, t_j, i)) if rule.triplet else (lambda i: None)
        if spec.models.has_multiplicity and (not rule.first_only or rule.mixed("first_only")):
            n = jnp.where(any_early, jnp.sum(early, axis=1), 0)  # a post spike of multiplicity n: n archive entries
            if rule.first_only:  # (mixed) those of a first_only rule pair once
                n = jnp.where(rule.mask("first_only", p), jnp.minimum(n, 1), n)
            return lax.fori_loop(0, jnp.max(n, initial=0), lambda i, v: jnp.where(
                i < n, _facilitate(rule, spec, v, term, p, k3(i)), v), w)
        return jnp.where(any_early, _facilitate(rule, spec, w, term, p, k3(0)), w)

    w = lax.cond(jnp.any(any_early & ok), early_facilitation, lambda w: w, w)
    if rule.resets_trace:
        kplus = jnp.where(_only(rule, "resets_trace", p, any_early), 0.0, kplus)
    k_minus = kminus_before(spec, nrn, pl, tgt, stamp, D, p)
    if rule.triplet:  # the second presynaptic trace decayed to t, read by the depression, then + 1
        decay3 = jnp.exp(_diff_ms(spec, t_last, stamp, dtype) / rule.column(p, "tau_plus_triplet"))
        k3 = stdp_family.apart(pl.pre.Kplus_triplet[trace] * decay3, decay3)  # rounded before the + 1 below
        w_dep = rule.depress(w, k_minus, p, spec.plasticity.stdp_unit_mu[1], k3=k3)
        at = jnp.where(_only(rule, "triplet", p, ok & plastic), trace, pl.pre.Kplus_triplet.shape[0])
        pl = pl.replace(pre=pl.pre.replace(Kplus_triplet=pl.pre.Kplus_triplet.at[at].set(k3 + 1.0, mode="drop")))
    else:
        w_dep = rule.depress(w, k_minus, p, spec.plasticity.stdp_unit_mu[1])
    if rule.depress_if_paired:
        paired = paired_since(spec, pl, tgt, stamp, D, t_last)
        w_dep = jnp.where(_unless(rule, "depress_if_paired", p, paired), w_dep, w)
    w = jnp.where(plastic, w_dep, w)
    syn_st = syn_st.replace(weight=set_where(syn_st.weight, e, w, ok), reported=set_where(syn_st.reported, e, w, ok))
    if not spec.plasticity.trace_per_source:  # else update_source_traces, once per spike
        decay = jnp.exp(over_tau_rows(spec, _diff_ms(spec, t_last, stamp, dtype), p))
        Kplus = kplus * decay + 1.0  # every synapse of a trace writes the same value
        at = jnp.where(ok & plastic, trace, pl.pre.Kplus.shape[0])
        pl = pl.replace(pre=pl.pre.replace(Kplus=pl.pre.Kplus.at[at].set(Kplus, mode="drop")))
    return syn_st, pl, w


def update_source_traces(spec, syn, table, pl, senders, stamps, valid):
    """K₊ ← K₊ e^{(t_last − t) / τ₊} + 1 for the pre spikes ``senders`` (``stamps``) when every source has
    one trace and τ₊ is shared (``spec.plasticity.trace_per_source``): once per spike, not once per synapse."""
    trace = syn.source_trace[senders]
    decay = jnp.exp(over_tau(spec, _diff_ms(spec, pl.pre.t_last[senders], stamps, pl.pre.Kplus.dtype),
                             table[0, TAU_PLUS]))
    Kplus = pl.pre.Kplus[trace] * decay + 1.0
    return pl.replace(pre=pl.pre.replace(Kplus=set_where(pl.pre.Kplus, trace, Kplus, valid & (trace >= 0))))
