"""A plastic connection changed between runs while a facilitation is pending: NEST's lazy order.

NEST facilitates a synapse lazily, at its next presynaptic spike, by the post spikes of its window
(t_last − d, t − d], starting from the weight it stores then and with the parameters it has then. The engine
applies each facilitation earlier, when the post spike reaches the synapse (``jaxsnn.core.stdp``), and keeps
NEST's stored weight in ``state.synapses.reported``. While nothing changes the two orders give the same
numbers; a ``set`` of the weight, ``Kplus``, the delay or a rule parameter between two runs would not, so
:func:`refacilitate` recomputes the facilitations already applied since each changed synapse's last presynaptic
spike, from the stored weight and with the synapse's current parameters, with the engine's own arithmetic
(:func:`jaxsnn.core.stdp.facilitation`). Nothing of this runs during a run.

The post spikes come from the record of each neuron's post spike stamps that jaxsnn.nest's plastic networks keep
(:mod:`jaxsnn.run.post_log`: grown by the run wherever it would drop a stamp still pending; a triplet rule: the
archive, a max delay's worth). A facilitation the record cannot give is refused (:func:`refuse_missing`), never
kept with the old values.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ..core import stdp
from ..core.types import OUT_DELAY, OUT_ROW, OUT_TARGET, OUT_TRACE
from ..errors import JaxsnnError


def applied_before(spec, step: int) -> int:
    """The step before which the engine has applied every facilitation of a state at ``step``: the slice work
    at a slice's start step s handles the post spikes that reach synapses in [s − L, s) (``engine._slice``)."""
    L = spec.time.slice_steps
    return -(-step // L) * L - L


def _post_stamps(post):
    """Each neuron's recorded post spike stamps: the host's record where kept, else the archive."""
    return np.asarray(post.post_stamps if post.post_log_stamps is None else post.post_log_stamps)


def _post_triplet(post):
    """A triplet rule's K₋,₃ with each of :func:`_post_stamps` (None for other rules)."""
    if post.post_Kminus_triplet is None:
        return None
    return np.asarray(post.post_Kminus_triplet if post.post_log_stamps is None else post.post_log_Kminus_triplet)


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
    k3 = _post_triplet(post)
    k3 = None if k3 is None else np.take_along_axis(k3[tgt], order, axis=1)
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


def refuse_missing(n: int, H: int):
    """A facilitation the record cannot give is an error, never kept with the old values (the record reached
    ``jaxsnn.run.post_log.MAX_BYTES``, or a source that never fired had its K₊ set)."""
    from ..run import post_log

    raise JaxsnnError(
        f"{n} plastic connection(s) set between runs have a facilitation pending (their target fired after the "
        f"source's last spike) by more post spikes than jaxsnn recorded ({H} per neuron, the most "
        f"jaxsnn.run.post_log.MAX_BYTES = {post_log.MAX_BYTES} bytes allow): NEST applies it at the next "
        "presynaptic spike with the values set, which jaxsnn cannot recompute. Raise jaxsnn.run.post_log.MAX_BYTES "
        "before the script's first Simulate, or set these connections before their targets fire that often.")
