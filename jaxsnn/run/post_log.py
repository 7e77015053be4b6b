"""The host's record of post spikes (``PostArchive.post_log_stamps``): sized so that it never drops a stamp a
pending facilitation needs.

A plastic synapse's facilitation is pending (in NEST's order) for every post spike of its target since
``t_last − d`` (``t_last``: the source's last spike stamp; ``d``: the delay in steps). A change between runs
recomputes it from these stamps (:mod:`jaxsnn.nest.pending`). How many there are has no bound known in
advance (a source may stay silent while its target fires), so the record starts at :data:`POST_LOG` stamps per
neuron, and after each run :func:`needed` checks whether a neuron dropped a stamp that is still needed; if so
``jaxsnn.simulate`` does the run again from its start with a record large enough (the record is never read
during a run: the same bits), up to :data:`MAX_BYTES`.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ..core import stdp
from ..core.types import OUT_ROW, OUT_TARGET, OUT_TRACE

POST_LOG = 64  # post spikes per neuron kept at first (256 bytes a neuron); grown where a run needs more
# the most the record grows to, in bytes (a source silent for long makes its targets' whole history pending):
# beyond it a run drops stamps, and a set that needs them is refused (jaxsnn.nest.pending.refuse_missing)
MAX_BYTES = 1 << 28


def loggable(spec) -> bool:
    """Whether ``spec``'s facilitations can be recomputed from a record of stamps (a triplet rule's: and of each
    spike's K₋,₃): an STDP-family rule's, not a neuromodulated one's (it facilitates when it updates: nothing is
    applied ahead)."""
    pl = spec.plasticity
    rule = pl.stdp_rule
    return bool(pl.has_plastic and rule is not None and not rule.dopamine)


def with_post_log(sim, G: int = POST_LOG):
    """``sim`` keeping the stamps (a triplet rule's K₋,₃ too) of each neuron's last ``G`` (at least the current
    record's) spikes for the host: a select over [neurons, G] where post spikes are archived. A record already
    there keeps its entries, each at its place ``n_post % G`` of the longer ring."""
    if not loggable(sim.spec):
        return sim
    post = sim.state.plasticity.post
    old = post.post_log_stamps
    G = max(int(G), 0 if old is None else old.shape[1])
    if old is not None and old.shape[1] == G:
        return sim
    n, n_post = sim.spec.sizes.n_neurons, np.asarray(post.n_post)
    log = np.full((n, G), stdp.EMPTY, np.int32)
    k3 = None if post.Kminus_triplet is None else np.zeros((n, G), np.asarray(post.Kminus_triplet).dtype)
    if old is not None:
        log = _moved(np.asarray(old), n_post, log)
        if k3 is not None:
            k3 = _moved(np.asarray(post.post_log_Kminus_triplet), n_post, k3)
    post = post.replace(post_log_stamps=jnp.asarray(log),
                        post_log_Kminus_triplet=None if k3 is None else jnp.asarray(k3))
    state = sim.state.replace(plasticity=sim.state.plasticity.replace(post=post))
    return sim.replace(model=sim.model.replace(spec=sim.spec.replace(post_log=G)), state=state, _plan=())


def _moved(old: np.ndarray, n_post: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``new`` (rows ≥ ``old``'s, columns ≥ ``old``'s) holding each neuron's recorded entries of ``old`` at the
    places the engine writes them in a ring of ``new``'s length (entry k of a neuron at ``k % len``)."""
    H, G = old.shape[1], new.shape[1]
    rows = np.arange(old.shape[0])
    for back in range(min(H, G)):
        k = n_post[rows] - 1 - back
        ok = k >= 0
        new[rows[ok], k[ok] % G] = old[rows[ok], k[ok] % H]
    return new


def needed(sim, before) -> int:
    """0 if ``sim``'s record holds every stamp a pending facilitation may need, else a record length that holds
    them for a run from ``before`` (the same simulation at the run's start).

    Needed are a neuron's stamps after ``t_last − ring`` of its plastic sources (the ring's length bounds every
    delay a connection can be given between runs); not those of a source that never fired and has K₊ = 0 (its
    facilitation is none). A neuron that fired more than the record holds lost some iff its oldest recorded
    stamp is still needed (cautious by at most the one stamp before it)."""
    post = sim.state.plasticity.post
    if post.post_log_stamps is None:
        return 0
    G = post.post_log_stamps.shape[1]
    n_post = np.asarray(post.n_post)
    over = n_post > G
    if not over.any():
        return 0
    log = post.post_log_stamps
    oldest = np.asarray(jnp.min(jnp.where(log > stdp.EMPTY, log, jnp.iinfo(jnp.int32).max), axis=1))
    start = window_start(sim)
    lost = over & (oldest.astype(np.int64) > start)
    if not lost.any():
        return 0
    # stamps after the window's start: those recorded at the run's start, and those of the run (one per step at
    # most, and at most one per min_isi)
    n0 = np.asarray(before.state.plasticity.post.n_post)[lost]
    steps = int(sim.state.step) - start[lost]
    new = np.minimum(n_post[lost] - n0, steps // max(1, sim.spec.sizes.min_isi) + 1)
    most = int((np.minimum(n0, G) + new).max())
    grown = min(1 << max(most, 2 * G - 1).bit_length(), longest(sim.spec))
    return grown if grown > G else 0


def longest(spec) -> int:
    """The longest record :data:`MAX_BYTES` allows ``spec``'s neurons (a power of two, at least :data:`POST_LOG`)."""
    per_entry = 4 * (2 if spec.plasticity.stdp_rule.triplet else 1) * max(1, spec.sizes.n_neurons)
    return max(POST_LOG, 1 << max(0, (MAX_BYTES // per_entry).bit_length() - 1))


def window_start(sim) -> np.ndarray:
    """For each neuron: the stamp after which its post spikes may still be pending on a plastic synapse into
    it (int64[n]; a large number where none may)."""
    syn, st = sim.model.synapses, sim.state
    out = np.asarray(syn.out_syn)
    plastic = out[:, OUT_ROW] >= 0
    src = np.asarray(syn.source)[plastic]
    t_last = np.asarray(st.plasticity.pre.t_last).astype(np.int64)[src]
    kplus = np.asarray(st.plasticity.pre.Kplus)[out[plastic, OUT_TRACE]]
    live = (t_last > 0) | (kplus != 0)
    start = np.full(sim.spec.sizes.n_neurons, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(start, out[plastic, OUT_TARGET][live], t_last[live] - sim.spec.sizes.ring)
    return start
