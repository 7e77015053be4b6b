"""A plastic connection changed between runs while a facilitation is pending: NEST's lazy order.

NEST facilitates a synapse lazily, at its next presynaptic spike, by the post spikes of its window
(t_last − d, t − d], starting from the weight it stores then and with the parameters it has then. The engine
applies each facilitation earlier, when the post spike reaches the synapse (``jaxsnn.core.stdp``), and keeps
NEST's stored weight in ``state.synapses.reported``. While nothing changes the two orders give the same
numbers; a ``set`` of the weight, ``Kplus``, the delay or a rule parameter between two runs would not, so
:func:`refacilitate` recomputes the facilitations already applied since each changed synapse's last presynaptic
spike, from the stored weight and with the synapse's current parameters, with the engine's own arithmetic
(:func:`jaxsnn.core.stdp.facilitation`). Nothing of this runs during a run.

The post spikes come from a record of each neuron's last :data:`POST_LOG` spike stamps that jaxsnn.nest's plastic
networks keep for this (:func:`with_post_log`; a triplet rule: the archive, a max delay's worth): a synapse whose
target fired more often since the synapse's last presynaptic spike cannot be recomputed; it keeps the
facilitation applied with the old values and :class:`PendingFacilitationWarning` names it.
"""
from __future__ import annotations

import os
import sys
import warnings

import jax.numpy as jnp
import numpy as np

from ..core import stdp
from ..core.types import OUT_DELAY, OUT_ROW, OUT_TARGET, OUT_TRACE


class PendingFacilitationWarning(UserWarning):
    """A facilitation pending when a plastic connection was set could not be recomputed with the new values."""


def applied_before(spec, step: int) -> int:
    """The step before which the engine has applied every facilitation of a state at ``step``: the slice work
    at a slice's start step s handles the post spikes that reach synapses in [s − L, s) (``engine._slice``)."""
    L = spec.time.slice_steps
    return -(-step // L) * L - L


POST_LOG = 64  # post spikes per neuron kept for the host in jaxsnn.nest's plastic networks (256 bytes a neuron)


def with_post_log(sim, G: int = POST_LOG):
    """``sim`` keeping the stamps of each neuron's last ``G`` spikes for the host (``PostArchive.post_log_stamps``;
    a select over [neurons, G] where post spikes are archived: per slice, or per step in slices longer than the
    shortest interval between a neuron's spikes), from which :func:`refacilitate` finds the post
    spikes of a pending facilitation that the archive (a max delay's worth) no longer holds. Not for a triplet
    rule (its facilitation also reads K₋,₃ of each post spike, archived only) or a neuromodulated one."""
    pl = sim.spec.plasticity
    rule = pl.stdp_rule
    if not pl.has_plastic or rule is None or rule.dopamine or rule.triplet or pl.post_log:
        return sim
    post = sim.state.plasticity.post
    log = jnp.full((sim.spec.sizes.n_neurons, G), stdp.EMPTY, jnp.int32)
    state = sim.state.replace(plasticity=sim.state.plasticity.replace(post=post.replace(post_log_stamps=log)))
    return sim.replace(model=sim.model.replace(spec=sim.spec.replace(post_log=G)), state=state, _plan=())


def _post_stamps(post):
    """Each neuron's recorded post spike stamps: the host's longer log where kept, else the archive."""
    return np.asarray(post.post_stamps if post.post_log_stamps is None else post.post_log_stamps)


def pending_spikes(sim, e: np.ndarray):
    """For plastic synapses ``e``: the recorded post spikes of their targets (:func:`_post_stamps`) whose
    facilitation the engine has applied since the synapse's last presynaptic spike (bool[len(e), G], in record
    order), and whether the record holds all of them (bool[len(e)])."""
    st, out = sim.state, np.asarray(sim.model.synapses.out_syn)
    post = st.plasticity.post
    stamps, n_post = _post_stamps(post), np.asarray(post.n_post)
    tgt, D = out[e, OUT_TARGET], out[e, OUT_DELAY].astype(np.int64)
    src = np.asarray(sim.model.synapses.source)[e]
    t_last = np.asarray(st.plasticity.pre.t_last)[src].astype(np.int64)
    s = stamps[tgt].astype(np.int64)  # [len(e), H]
    B = applied_before(sim.spec, int(st.step))
    valid = s > stdp.EMPTY
    # a post spike stamped t_j reaches the synapse in step t_j − 1 + d; NEST's window opens after t_last − d
    pending = valid & (s > (t_last - D)[:, None]) & ((s - 1 + D[:, None]) < B)
    H = stamps.shape[1]
    oldest = np.min(np.where(valid, s, np.iinfo(np.int64).max), axis=1)
    complete = (n_post[tgt] <= H) | (oldest <= t_last - D)
    return pending, complete


def refacilitate(sim, e: np.ndarray):
    """``sim`` with the weights of plastic synapses ``e`` (indices into the build's synapses) recomputed as NEST
    would apply their pending facilitations: from the stored (reported) weight, with the current rule rows,
    delays and K₊. Returns (sim, the synapses that could not be recomputed)."""
    spec = sim.spec
    rule = spec.plasticity.stdp_rule
    out = np.asarray(sim.model.synapses.out_syn)
    e = np.asarray(e, np.int64)
    if rule is None or rule.dopamine or not len(e):  # a dopamine synapse facilitates when it updates (lazily)
        return sim, np.zeros(0, np.int64)
    e = e[out[e, OUT_ROW] >= 0]
    pending, complete = pending_spikes(sim, e)
    e, pending = e[complete], pending[complete]
    missing = np.nonzero(~complete)[0]
    if not len(e):
        return sim, missing
    st = sim.state
    post, pre = st.plasticity.post, st.plasticity.pre
    tgt, D, trace = out[e, OUT_TARGET], out[e, OUT_DELAY], out[e, OUT_TRACE]
    recorded = _post_stamps(post)[tgt]
    order = np.argsort(np.where(pending, recorded, np.iinfo(np.int32).max), axis=1,
                       kind="stable")  # in time order (repeats of one stamp: in archive order, K₋,₃ growing)
    stamps = np.take_along_axis(recorded, order, axis=1)
    pend = np.take_along_axis(pending, order, axis=1)
    k3 = None if post.post_Kminus_triplet is None else \
        np.take_along_axis(np.asarray(post.post_Kminus_triplet)[tgt], order, axis=1)
    p = stdp.rule_params(spec, sim.params.stdp, jnp.asarray(out[e, OUT_ROW]))
    first_only = np.asarray(_flag(rule, "first_only", p, len(e)))
    kplus = stdp.reported_trace(pre.Kplus[jnp.asarray(trace)])
    t_last = pre.t_last[jnp.asarray(np.asarray(sim.model.synapses.source)[e])]
    w = st.synapses.reported[jnp.asarray(e)]
    for k in range(pend.shape[1]):
        ok = pend[:, k] & ~(first_only & (k > 0))  # a first_only rule pairs the first post spike only
        if not ok.any():
            continue
        f = stdp.facilitation(spec, w, kplus, t_last, jnp.asarray(stamps[:, k]), jnp.asarray(D), p,
                              None if k3 is None else jnp.asarray(k3[:, k]))
        w = jnp.where(jnp.asarray(ok), f, w)
    weight = st.synapses.weight.at[jnp.asarray(e)].set(w)
    pl = st.plasticity
    if rule.resets_trace:  # K₊ ← 0 after a facilitation, held as −1 − K₊ (NEST reports K₊ until the next spike)
        reset = jnp.asarray(pend.any(axis=1)) & _flag(rule, "resets_trace", p, len(e))
        Kplus = pre.Kplus.at[jnp.asarray(trace)].set(jnp.where(reset, -1.0 - kplus, kplus))
        pl = pl.replace(pre=pre.replace(Kplus=Kplus))
    return sim.replace(state=st.replace(synapses=st.synapses.replace(weight=weight), plasticity=pl)), missing


def _flag(rule, flag, p, n):
    """Whether each of ``n`` synapses (rule rows ``p``) follows a rule with pairing ``flag``."""
    if rule.mixed(flag):
        return rule.mask(flag, p)
    return jnp.full(n, bool(getattr(rule, flag)))


def warn_missing(n: int, H: int):
    """Name what could not be recomputed (nothing is silently left as it was)."""
    warnings.warn(
        f"{n} plastic connection(s) set between runs have a facilitation pending (their target fired after the "
        f"source's last spike) by more post spikes than jaxsnn archives ({H}): for them jaxsnn keeps the "
        "facilitation it applied with the values before the set, where NEST applies it at the next presynaptic spike "
        "with the values set (docs/nest.md).", PendingFacilitationWarning, stacklevel=_user_frame())


def _user_frame() -> int:
    """``warnings.warn``'s stacklevel, called from the caller of this, that names the first frame outside jaxsnn:
    the script's line (Simulate, GetConnections, Prepare or a save reach the warning by different paths)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level
