"""Which projections of a differentiable build are delivered as dense matrices (host side).

The differentiable build's event loops have a fixed length: every slice visits ``slice_capacity ×
out_degree`` synaptic slots with gathers and scatter-adds, however few neurons spiked. For a small or
dense projection a matrix product per slice, ``s[L, n_src] @ W[n_src, n_tgt]``, does the same delivery
with far less work (:mod:`jaxsnn.core.dense`). A *projection* here is the static synapses from one
neuron population (one ``create`` call) to another with one delay. It is delivered densely when

- ``dense=True`` was asked for, or ``dense=None`` (the default) and it is dense enough to pay:
  synapses / (n_src × n_tgt) ≥ :data:`DENSITY` and n_src × n_tgt ≤ :data:`MAX_ENTRIES`;
- and every synapse of it is static (no STDP), recorded by no weight_recorder, onto no parrot_neuron
  (a parrot counts spikes, not weights), and no pair of neurons is connected twice in it (a matrix has
  one entry per pair).

Everything else keeps event-driven delivery. The forward pass gives the same spikes; synaptic input
summed by a matrix product may differ from the event loop's sum in the last bits (summation order).
"""
from __future__ import annotations

import numpy as np

from ..core.types import BY_SIGN, OUT_DELAY, SUMMED

DENSITY = 0.25  # synapses per entry of the matrix: at least this, a matrix product is the cheaper path
MAX_ENTRIES = 1 << 22  # entries per matrix: beyond this its memory and the per-slice product cost too much


def plan(model, layout, dense):
    """``(blocks, index, event_mask)``: per dense projection the static tuple ``(src_lo, n_src, tgt_lo,
    n_tgt, delay, psc_target)`` and the synapse index of each matrix entry (int32[n_src, n_tgt], −1 where
    there is none); ``event_mask`` bool[synapses], True for synapses the event loop still delivers (None
    when that is all of them). ``dense``: True, False or None (chosen by size and density)."""
    syn = model.synapses
    n_syn = int(syn.out_syn.shape[0])
    if dense is False or n_syn == 0:
        return (), (), None
    src, tgt = np.asarray(syn.source), np.asarray(syn.target)
    delay, row = np.asarray(syn.out_syn[:, OUT_DELAY]), np.asarray(syn.stdp_row)
    route = np.asarray(model.neurons.route)  # how events reach each neuron (its model's inputs)
    ok = row == -1  # static synapses only, and none whose events a recorder records
    for r in model.spec.models.recorders:
        recorded = r.recorded_synapses(model.recorders[r.name])
        if recorded is not None:
            ok &= ~recorded
    ok &= (route[tgt] == SUMMED) | (route[tgt] == BY_SIGN)  # weights summed per channel (not counts, not ports)
    pop_lo, pop_n = _population_ranges(layout)
    pop_of = np.repeat(np.arange(len(pop_lo)), pop_n)
    key = (pop_of[src] * len(pop_lo) + pop_of[tgt]) * (int(delay.max()) + 1) + delay
    blocks, index = [], []
    event = np.ones(n_syn, bool)
    for k in np.unique(key):
        members = np.nonzero(key == k)[0]
        if not ok[members].all():
            continue
        a, b = pop_of[src[members[0]]], pop_of[tgt[members[0]]]
        n_src, n_tgt = int(pop_n[a]), int(pop_n[b])
        entries = n_src * n_tgt
        if dense is None and not (len(members) >= DENSITY * entries and entries <= MAX_ENTRIES):
            continue
        idx = np.full((n_src, n_tgt), -1, np.int32)
        i, j = src[members] - pop_lo[a], tgt[members] - pop_lo[b]
        if len(np.unique(i * n_tgt + j)) != len(members):  # a pair connected twice: not one matrix entry
            continue
        idx[i, j] = members
        psc = route[pop_lo[b]] == BY_SIGN
        blocks.append((int(pop_lo[a]), n_src, int(pop_lo[b]), n_tgt, int(delay[members[0]]), bool(psc)))
        index.append(idx)
        event[members] = False
    return tuple(blocks), tuple(index), (None if event.all() else event)


def _population_ranges(layout):
    """First neuron index and size of every neuron population, in neuron order."""
    lo, n = [], []
    for _model, _base, first, size in layout.populations:
        idx = layout.neuron_of_node[first] if first < len(layout.neuron_of_node) else -1
        if idx >= 0:
            lo.append(int(idx))
            n.append(int(size))
    order = np.argsort(lo)
    return np.asarray(lo, np.int64)[order], np.asarray(n, np.int64)[order]
