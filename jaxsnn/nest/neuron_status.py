"""The keys NEST's ArchivingNode gives every neuron: ``t_spike``, ``archiver_length``,
``synaptic_elements`` (NEST 3.10's values, measured with its oracle in ``tests/test_nest_status_keys.py``);
``Ca``, ``tau_Ca`` and ``beta_Ca`` are the neurons' parameters (:mod:`jaxsnn.core.calcium`).

- ``t_spike``: the time of the neuron's last spike (ms), -1.0 before its first; from the simulation's
  last-spike stamps (:func:`jaxsnn.run.frames.last_spike_ms`), exact.
- ``archiver_length``: how many of its spikes NEST keeps for the STDP synapses onto it: 0 without such
  synapses (exact); with them NEST drops a spike at a new spike t once a later kept one lies more than
  max(incoming plastic delay) + min_delay before t *and its synapses have read it*: jaxsnn counts as if
  every synapse had read every spike (NEST's count is that or, while a synapse has not read yet, more).
- ``synaptic_elements``: ``{}`` (no structural plasticity: NEST's value then).
"""
from __future__ import annotations

import numpy as np

from ..core.stdp import EMPTY
from ..models import SYNAPSES
from ..models.base import PlasticityRule
from ..run.frames import last_stamps, neuron_index, recent_spikes, stamp_ms
from .kernel import KERNEL


def archiver_values(members: np.ndarray, name: str) -> list:
    """``name`` (one of the module's keys) of the neurons ``members`` (node ids)."""
    sim = KERNEL.sim
    if sim is None or members.max() > sim.layout.n_nodes:  # not simulated yet: NEST's initial values
        stamps = np.zeros(len(members), np.int64)
    else:
        stamps = last_stamps(sim)[neuron_index(sim.layout, members)[1]]
    if name == "t_spike":
        return stamp_ms(stamps, KERNEL.net._tics_per_step).tolist()
    if name == "synaptic_elements":
        return [{} for _ in members]
    return _archiver_length(members, stamps)


def _plastic_delay_in(members: np.ndarray) -> np.ndarray:
    """The largest delay (ms) of the plastic connections onto each of ``members``; NaN: none."""
    net = KERNEL.net
    out = np.full(len(members), np.nan)
    for c in net._conns:
        base = net.models.get(c.model).base if c.model in net.models else c.model
        if base not in SYNAPSES or not isinstance(SYNAPSES[base].rule, PlasticityRule) or not len(c.source):
            continue
        at = np.searchsorted(members, c.target)
        hit = (at < len(members)) & (members[np.minimum(at, len(members) - 1)] == c.target)
        d = np.asarray(c.delay, float) * net._resolution
        d = np.broadcast_to(d, c.target.shape)[hit]
        np.fmax.at(out, at[hit], d)
    return out


def _archiver_length(members: np.ndarray, last: np.ndarray) -> list:
    """NEST's history length after its pruning at the last spike, every spike counted as read: the last spike,
    the earlier ones within D = max plastic delay in + min_delay of it, and one before those if any."""
    order = np.argsort(members)
    members, last = members[order], last[order]
    delay = _plastic_delay_in(members)
    out = np.zeros(len(members), np.int64)
    sim = KERNEL.sim
    if sim is None or not sim.spec.plasticity.post_history or members.max() > sim.layout.n_nodes:
        return out[np.argsort(order)].tolist()
    idx = neuron_index(sim.layout, members)[1]
    post, H = sim.state.plasticity.post, sim.spec.sizes.history
    archived = np.asarray(post.post_stamps)[idx]  # [n, post_history], EMPTY: no spike
    archived_last, n_post = np.asarray(post.last_post)[idx], np.asarray(post.n_post)[idx]
    steps, recent = recent_spikes(sim)
    recent = recent[:, idx]  # spikes of the last steps
    count = sim.state.transit.spike_count  # a parrot's spike of multiplicity m: m entries, as NEST archives it
    count = np.asarray(count)[steps % H][:, idx] if count is not None else recent.astype(np.int64)
    window = np.round((delay + KERNEL.get("min_delay")) / KERNEL.net._resolution)  # D in steps
    for i in np.nonzero(~np.isnan(delay) & (last > 0))[0]:
        new = np.repeat(steps + 1, np.where(recent[:, i], count[:, i], 0))
        new = new[new > archived_last[i]]  # the slice the engine has not archived yet
        stamps = np.sort(np.concatenate([archived[i][archived[i] > EMPTY], new]))[:-1]  # all but the last entry
        k = int(np.sum(last[i] - stamps <= window[i]))
        out[i] = 1 + k + int(n_post[i] + len(new) - 1 > k)
    return out[np.argsort(order)].tolist()
