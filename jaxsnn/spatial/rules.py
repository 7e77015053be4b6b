"""Spatial connection rules: NEST's ``Connect`` between layers with a ``mask`` and/or a spatial ``p``.

A connection is spatial when ``conn_spec`` has a ``mask`` or ``use_on_source``, or ``p`` with
``fixed_indegree``/``fixed_outdegree``, or when ``p``, ``weight`` or ``delay`` is a spatial Parameter
(:mod:`jaxsnn.spatial.parameters`). Which end the mask is centred on, and whose periodic boundaries
apply, follow NEST 3.10:

==========================================  ==================  =========================  ================
rule                                        mask centred on     mask tests                 kernel's layer
==========================================  ==================  =========================  ================
``pairwise_bernoulli`` (default)            each source         ``target − source``        target layer
``pairwise_bernoulli``, ``use_on_source``   each target         ``source − target``        source layer
``fixed_indegree``                          each target         ``source − target``        source layer
``fixed_outdegree``                         each source         ``target − source``        source layer
==========================================  ==================  =========================  ================

``pairwise_bernoulli`` connects each candidate pair (every pair inside the mask, or all pairs without
one) with probability ``p`` (a number or a Parameter of the pair). ``fixed_indegree`` draws
``indegree`` sources for each target among its candidates, with probability proportional to ``p``
(uniform without ``p``); ``fixed_outdegree`` draws ``outdegree`` targets per source likewise. Without
multapses the draws are without replacement (NEST redraws repeats; the distribution is the same);
``allow_autapses=False`` removes a node itself from its candidates. Too few candidates is an error
naming the node, as in NEST.

Candidates are found per anchor from the mask's bounding box (:func:`geometry.masked_pairs`), so a
local mask costs time in proportion to the connections, not to all pairs. Random draws come from the
``connect`` call's key (the result depends on the key and the network only).
"""
from __future__ import annotations

import jax
import numpy as np

from .. import checks
from ..core import threefry
from ..errors import JaxsnnError, bad_value, unknown_name
from . import geometry, parameters
from .masks import Converse, as_mask

RULES = ("pairwise_bernoulli", "fixed_indegree", "fixed_outdegree")
KEYS = ("rule", "mask", "allow_multapses", "allow_autapses", "indegree", "outdegree", "p", "use_on_source",
        "allow_oversized_mask")
MAX_PAIRS = 4_000_000  # candidate pairs evaluated at once without a mask


def wants(conn_spec, syn_spec) -> bool:
    """Whether ``connect`` must take the spatial path (NEST's rule for ``ConnectLayers``)."""
    if isinstance(conn_spec, dict):
        if any(parameters.is_spatial(v) for v in conn_spec.values()):
            return True
        rule = conn_spec.get("rule")
        if "mask" in conn_spec or "use_on_source" in conn_spec or ("p" in conn_spec and rule != "pairwise_bernoulli"):
            return True
    if isinstance(syn_spec, dict):
        return any(parameters.is_spatial(v) for v in syn_spec.values())
    return False


def normalise(conn_spec) -> dict:
    if not isinstance(conn_spec, dict) or "rule" not in conn_spec:
        raise bad_value("conn_spec", conn_spec, "a dict with a 'rule' for a spatial connection")
    rule = conn_spec["rule"]
    if rule not in RULES:
        raise bad_value("conn_spec['rule']", rule, "pairwise_bernoulli, fixed_indegree or fixed_outdegree when "
                        "connecting with a mask or a spatial parameter (as in NEST)")
    for k in conn_spec:
        if k not in KEYS:
            raise unknown_name("conn_spec key for a spatial connection", k, KEYS)
    if "use_on_source" in conn_spec and rule != "pairwise_bernoulli":
        raise JaxsnnError("conn_spec: 'use_on_source' can only be set with pairwise_bernoulli (as in NEST).")
    if rule == "pairwise_bernoulli" and "p" not in conn_spec:
        raise JaxsnnError("conn_spec: rule 'pairwise_bernoulli' needs 'p'.")
    need = {"fixed_indegree": "indegree", "fixed_outdegree": "outdegree"}.get(rule)
    if need and need not in conn_spec:
        raise JaxsnnError(f"conn_spec: rule {rule!r} needs {need!r}.")
    spec = {"allow_autapses": True, "allow_multapses": True, "use_on_source": False, "allow_oversized_mask": False,
            **conn_spec}
    for k in ("allow_autapses", "allow_multapses", "use_on_source", "allow_oversized_mask"):
        spec[k] = checks.flag(f"conn_spec[{k!r}]", spec[k])
    if need:
        spec["k"] = checks.whole(f"conn_spec[{need!r}]", spec[need], "a whole number >= 0")
    if "mask" in spec:
        spec["mask"] = as_mask(spec["mask"])
    if "p" in spec and not parameters.is_parameter(spec["p"]):
        spec["p"] = checks.number("conn_spec['p']", spec["p"], "a probability in [0, 1] or a Parameter",
                                  lambda p: 0 <= p <= 1 if rule == "pairwise_bernoulli" else p >= 0)
    return spec


class Geometry:
    """The layer whose periodic boundaries a kernel or weight sees (extent, periodic flags)."""

    def __init__(self, layer):
        self.extent, self.periodic = layer.extent, layer.periodic


def _check_oversize(mask, layer, allowed):
    if allowed:
        return
    lo, hi = mask.bbox()
    if np.any(layer.periodic & ((hi - lo) > layer.extent)):
        raise JaxsnnError("conn_spec['mask']: the mask is larger than the periodic layer; set "
                          "allow_oversized_mask=True to allow it (NEST: 'Mask size must not exceed layer size').")


def _tree(pool_layer, geom_layer):
    """(lower_left, extent, periodic) of the pool as NEST indexes it: the pool layer's box, with the
    extent and periodic flags of ``geom_layer`` along the latter's periodic dimensions."""
    per = geom_layer.periodic
    extent = np.where(per, geom_layer.extent, pool_layer.extent)
    return pool_layer.lower_left, extent, per


def _all_pairs(na, npool, start):
    """Anchor-major pairs of anchors ``start…`` (a block) with every pool index."""
    rows = max(1, MAX_PAIRS // max(npool, 1))
    a = np.arange(start, min(na, start + rows))
    return np.repeat(a, npool), np.tile(np.arange(npool), len(a))


def _candidates(anchor_pos, pool_pos, mask, tree):
    """Blocks of (anchor index, pool index) candidate pairs, anchor-major."""
    if mask is None:
        for start in range(0, len(anchor_pos), max(1, MAX_PAIRS // max(len(pool_pos), 1))):
            yield _all_pairs(len(anchor_pos), len(pool_pos), start)
        return
    yield geometry.masked_pairs(anchor_pos, pool_pos, mask, *tree)


def connect(net, pre, post, conn_spec, key):
    """(sources, targets, source positions, target positions, Geometry for weights and delays)."""
    spec = normalise(conn_spec)
    sl, slids = net._layer_of(pre.ids, "connect: pre")
    tl, tlids = net._layer_of(post.ids, "connect: post")
    if sl.dims != tl.dims:
        raise JaxsnnError(f"connect: the target layer must have as many dimensions as the source layer ({sl.dims}"
                          f" and {tl.dims}).")
    sids, tids = pre.ids, post.ids
    spos, tpos = sl.positions[slids], tl.positions[tlids]
    rule, mask = spec["rule"], spec.get("mask")
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel().astype(np.uint64))
    if rule == "fixed_outdegree":
        # anchors: sources; pool: targets; mask tests target − source in the target layer
        m = mask.for_layer(tl) if mask is not None else None
        if m is not None:
            _check_oversize(m, tl, spec["allow_oversized_mask"])
        tree = _tree(tl, tl)
        a, q, w = _draws_per_anchor(spos, tpos, sids, tids, m, tree, spec, Geometry(sl), rng,
                                    kernel_args=lambda a, q, pool: (spos[a], pool[q], sids[a], tids[q]),
                                    what=("source", "targets"), kkey=threefry.fold_in_key(key, 1))
        return sids[a], tids[q], spos[a], tpos[q], Geometry(tl)
    on_source = rule == "fixed_indegree" or spec["use_on_source"]
    if on_source:  # anchors: targets; pool: sources; mask tests source − target in the source layer
        m = mask.for_layer(sl) if mask is not None else None
        if m is not None:
            _check_oversize(m, sl, spec["allow_oversized_mask"])
        tree, kgeom = _tree(sl, sl), Geometry(sl)
    else:  # the converse mask around each target finds the sources whose mask holds the target
        m = Converse(mask.for_layer(tl)) if mask is not None else None
        if m is not None:
            _check_oversize(m, tl, spec["allow_oversized_mask"])
        tree, kgeom = _tree(sl, tl), Geometry(tl)
    # kernels, weights and delays see the nodes' own positions (NEST's values agree with these, not with
    # the copies its index wraps into a periodic box)
    def kargs(a, q, _pool):
        return spos[q], tpos[a], sids[q], tids[a]

    if rule == "fixed_indegree":
        a, q, _ = _draws_per_anchor(tpos, spos, tids, sids, m, tree, spec, kgeom, rng, kernel_args=kargs,
                                    what=("target", "sources"), kkey=threefry.fold_in_key(key, 1))
    else:
        a, q = _bernoulli(tpos, spos, tids, sids, m, tree, spec, kgeom, rng, kargs, threefry.fold_in_key(key, 1))
    return sids[q], tids[a], spos[q], tpos[a], Geometry(sl) if on_source else Geometry(tl)


def _kernel(p, args, geom, key, where):
    src_pos, tgt_pos, s, t = args
    return parameters.pair_values(p, src_pos, tgt_pos, s, t, geom, key, where)


def _bernoulli(tpos, spos, tids, sids, m, tree, spec, kgeom, rng, kargs, kkey):
    out_a, out_q = [], []
    p = spec["p"]
    for block, (a, q) in enumerate(_candidates(tpos, spos, m, tree)):
        if not spec["allow_autapses"]:
            keep = tids[a] != sids[q]
            a, q = a[keep], q[keep]
        if not len(a):
            continue
        if parameters.is_parameter(p):
            prob = _kernel(p, kargs(a, q, None), kgeom, threefry.fold_in_key(kkey, block), "conn_spec['p']")
        else:
            prob = p
        hit = rng.random(len(a)) < prob
        out_a.append(a[hit])
        out_q.append(q[hit])
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_a), np.concatenate(out_q)


def _draws_per_anchor(anchor_pos, pool_pos, anchor_ids, pool_ids, m, tree, spec, kgeom, rng, kernel_args, what,
                      kkey):
    """``k`` pool members per anchor, drawn with weights ``p`` among the anchor's candidates."""
    k, multi = spec["k"], spec["allow_multapses"]
    a_all, q_all = [], []
    for a, q in _candidates(anchor_pos, pool_pos, m, tree):
        a_all.append(a)
        q_all.append(q)
    a = np.concatenate(a_all) if a_all else np.zeros(0, np.int64)
    q = np.concatenate(q_all) if q_all else np.zeros(0, np.int64)
    if not spec["allow_autapses"]:
        keep = anchor_ids[a] != pool_ids[q]
        a, q = a[keep], q[keep]
    p = spec.get("p")
    if p is None:
        w = np.ones(len(a))
    elif parameters.is_parameter(p):
        w = np.asarray(_kernel(p, kernel_args(a, q, pool_pos), kgeom, kkey, "conn_spec['p']"), np.float64)
    else:
        w = np.full(len(a), float(p))
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise JaxsnnError("conn_spec['p']: the connection weights of a fixed-degree rule must be finite and >= 0.")
    counts = np.bincount(a, weights=(w > 0), minlength=len(anchor_pos)).astype(np.int64)
    short = (counts == 0) if multi else (counts < k)
    if k and short.any():
        i = int(np.argmax(short))
        raise JaxsnnError(f"connect: {what[0]} {int(anchor_ids[i])} has {counts[i]} {what[1]} inside the mask "
                          f"(with p > 0); {k} are needed"
                          + ("" if multi else " without multapses") + " (NEST: 'Not enough "
                          f"{what[1]} found inside mask').")
    if k == 0 or not len(a):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), None
    starts = np.searchsorted(a, np.arange(len(anchor_pos)))
    ends = np.searchsorted(a, np.arange(len(anchor_pos)), side="right")
    if multi:  # k independent draws per anchor by inverse CDF on the anchor's cumulative weights
        cw = np.cumsum(w)
        base = np.where(starts > 0, cw[np.maximum(starts - 1, 0)], 0.0)
        total = cw[ends - 1] - base
        u = rng.random((len(anchor_pos), k))
        pick = np.searchsorted(cw, base[:, None] + u * total[:, None], side="right")
        pick = np.clip(pick, starts[:, None], ends[:, None] - 1).ravel()
    else:  # weighted sampling without replacement: the k largest u^(1/w) per anchor (Efraimidis–Spirakis)
        with np.errstate(divide="ignore"):
            score = np.log(rng.random(len(a))) / w
        order = np.lexsort((-score, a))
        rank = np.arange(len(a)) - starts[a[order]]
        pick = np.sort(order[rank < k])
    return a[pick], q[pick], None
