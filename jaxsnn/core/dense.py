"""Dense delivery: projections delivered as one matrix product per slice (the differentiable build).

A dense projection (:mod:`jaxsnn.build.dense` chooses them) is the static tuple ``(src_lo, n_src,
tgt_lo, n_tgt, delay, psc_target)`` of ``Spec.autodiff.dense_blocks`` and an index matrix
``Model.dense[b]`` (int32[n_src, n_tgt]: the synapse of each entry, −1 where there is none). Its weight
matrix ``W[i, j] = weight[index[i, j]]`` (0 without a synapse) is gathered from the state's weights
once per run (:func:`matrices`: static synapses do not change during one), so the gradient of the
weights is one scatter per run, not per slice.

At the start of a slice, the spikes of the slice that just ended, ``s[L, n_src]`` (float, carrying
the surrogate gradient; times each spike's multiplicity where parrot_neurons send), arrive ``delay``
steps after their step: ``ring[(prev + k + delay) % R, tgt] += (s @ W)[k]`` for k < L. Targets with
current-based synapses (iaf_psc_exp/alpha) take positive weights in their excitatory channel and the
others in the inhibitory one (rows R further), as the event loop routes weight × multiplicity.
"""
from __future__ import annotations

import jax.numpy as jnp

from .types import COUNTS


def matrices(model, weight):
    """The weight matrices of the dense projections, side by side for each source (:func:`_groups`: a
    tuple of [n_src, Σ columns] matrices, psc targets' positive and negative parts apart)."""
    mats = [jnp.where(idx >= 0, weight[jnp.maximum(idx, 0)], 0.0).astype(weight.dtype) for idx in model.dense]
    parts = {None: lambda W: W, True: lambda W: jnp.where(W > 0, W, 0.0), False: lambda W: jnp.where(W > 0, 0.0, W)}
    return tuple(jnp.concatenate([parts[sign](mats[b]) for b, sign, _ in members], axis=1)
                 if len(members) > 1 else parts[members[0][1]](mats[members[0][0]])
                 for _, members in _groups(model.spec))


def _groups(spec):
    """The dense projections grouped by source population: ((src_lo, n_src), [(block, sign, column)]),
    one matrix product per group and slice (projections from one population, e.g. recurrent and
    readout weights, share it: fewer operations per step, in reverse mode too). ``sign``: None for all
    weights, True/False for the positive/negative part (a psc target's excitatory/inhibitory channel);
    ``column``: where the member's columns start in the group's product."""
    groups = {}
    for b, (src_lo, n_src, *_, psc) in enumerate(spec.autodiff.dense_blocks):
        members = groups.setdefault((src_lo, n_src), [])
        for sign in ((True, False) if psc else (None,)):
            members.append((b, sign, sum(spec.autodiff.dense_blocks[m][3] for m, _, _ in members)))
    return tuple(groups.items())


def deliver(spec, transit, mats, prev, L):
    """``transit.ring`` with the dense projections' input from the spikes of steps [prev, prev + L).

    The products of all projections of one delay are placed side by side at their (static) target
    columns and added to the ring's rows in one update: at training size a step's cost is the number of
    operations, not their size, so there is no per-projection scatter and no index arithmetic per
    column (with one step per slice no scatter at all)."""
    ring = transit.ring
    N = ring.shape[1]
    k = prev + jnp.arange(L)
    hist = transit.spike_history[k % spec.sizes.history].astype(ring.dtype)  # [L, N]
    counts = None if transit.spike_count is None else transit.spike_count[k % spec.sizes.history]
    models = spec.models
    counted = [(a, n) for m, runs in zip(models.neuron_models, models.neuron_runs) if m.inputs == COUNTS
               for a, n in runs]

    def source(lo, n):  # the spikes of neurons lo … lo + n − 1, [L, n]
        s = hist[:, lo:lo + n]
        if counts is not None and any(a < lo + n and lo < a + na for a, na in counted):
            # a parrot's spike of multiplicity m is delivered m times (max with 1: a silent neuron's 0.0
            # still passes its surrogate gradient); other neurons' multiplicity is 1, so only the
            # sources with counting neurons are multiplied (in reverse mode a stored factor per step)
            s = s * jnp.maximum(counts[:, lo:lo + n], 1).astype(ring.dtype)
        return s

    by_delay = {}  # delay -> [channel] -> [L, N] input

    def add(delay, ch, x, tgt_lo):  # x [L, n] at its target columns tgt_lo … (static)
        x = jnp.pad(x, ((0, 0), (tgt_lo, N - tgt_lo - x.shape[1])))
        acc = by_delay.setdefault(delay, [None, None])
        acc[ch] = x if acc[ch] is None else acc[ch] + x

    for ((src_lo, n_src), members), W in zip(_groups(spec), mats):
        y = source(src_lo, n_src) @ W
        blocks = [spec.autodiff.dense_blocks[b] for b, _, _ in members]
        if all(sign is None for _, sign, _ in members) and len({blk[4] for blk in blocks}) == 1 and all(
                a[2] + a[3] == b[2] for a, b in zip(blocks, blocks[1:])):
            add(blocks[0][4], 0, y, blocks[0][2])  # targets side by side, as the columns: one placement
            continue
        for (_, sign, col), (_, _, tgt_lo, n_tgt, delay, _) in zip(members, blocks):
            # psc targets, as NEST: weight × multiplicity > 0 excitatory, else inhibitory
            add(delay, 0 if sign in (None, True) else 1, y[:, col:col + n_tgt], tgt_lo)
    for delay, acc in by_delay.items():
        for ch, x in enumerate(acc):
            if x is not None:
                ring = _add_rows(ring, (k + delay) % spec.sizes.ring + ch * spec.sizes.ring, x)
    return ring


def _add_rows(ring, rows, x):
    """``ring`` with ``x`` [L, N] added to its (distinct) ``rows``."""
    if x.shape[0] == 1:  # one step per slice: x times the row's indicator, added to every row
        return ring + one_row(ring.shape[0], rows[0], ring.dtype) * x
    return ring.at[rows].add(x, unique_indices=True)


def one_row(n_rows, row, dtype):
    """The indicator [n_rows, 1] of ``row`` (1.0 there, else 0.0), to update one row of a small array
    (a ring of a few rows) with elementwise arithmetic: ``a + one_row(...) * x`` adds x to that row and
    ±0 to the others (the same bits). Under ``jax.vmap`` an update slice or a scatter becomes a batched
    scatter (a slow loop on CPU) and a select stores its batched mask for reverse mode; elementwise
    arithmetic fuses with its neighbours into one loop, and reverse mode keeps only this indicator."""
    return (jnp.arange(n_rows) == row)[:, None].astype(dtype)
