"""Connection rules (NEST's ``conn_spec``): each returns the (source, target) node-id pairs.

Pairs come in NEST's order (per target ascending for ``fixed_indegree`` and ``pairwise_bernoulli``,
per source for ``fixed_outdegree``), which is the order in which array-valued weights and delays are
consumed. Each rule is an entry of :data:`RULES` (a new rule is one function and one entry).
Draws come from an explicit JAX key; rejected draws (disallowed autapses or multapses) are
redrawn from a key derived from the round number, so the result depends on the key only.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import numpy as np

from .. import checks
from ..core import threefry
from ..errors import JaxsnnError, bad_value, unknown_name
from ..random import in_blocks
from .lower import by_source

COMMON = ("rule", "allow_autapses", "allow_multapses")


def normalise(conn_spec) -> dict:
    """``None`` → all_to_all; a rule name → ``{"rule": name}``; checks keys and defaults."""
    if conn_spec is None:
        conn_spec = "all_to_all"
    if isinstance(conn_spec, str):
        conn_spec = {"rule": conn_spec}
    if not isinstance(conn_spec, dict) or "rule" not in conn_spec:
        raise bad_value("conn_spec", conn_spec, "a rule name or a dict with a 'rule' key")
    rule = conn_spec["rule"]
    if not isinstance(rule, str):
        raise bad_value("conn_spec['rule']", rule, "a rule name (a string)")
    if rule not in RULES:
        raise unknown_name("connection rule", rule, RULES)
    own = RULES[rule].keys
    for k in conn_spec:
        if k not in COMMON + own:
            raise unknown_name(f"conn_spec key for rule {rule!r}", k, COMMON + own)
    for k in own:
        if k not in conn_spec:
            raise JaxsnnError(f"conn_spec: rule {rule!r} needs {k!r}.")
    spec = {"allow_autapses": True, "allow_multapses": True, **conn_spec}
    for k in ("allow_autapses", "allow_multapses"):  # NEST refuses "no", 0 and 1 here
        spec[k] = checks.flag(f"conn_spec[{k!r}]", spec[k])
    if RULES[rule].check:
        RULES[rule].check(spec)
    return spec


BYTES_PER_CONNECTION = 64  # host arrays of a connection while it is made and lowered (ids, weight, delay, sorts)


def expected_count(spec: dict, n_sources: int, n_targets: int) -> float:
    """How many connections ``spec`` makes between populations of these sizes (the mean for
    pairwise_bernoulli), before any is drawn."""
    def number(name):  # a value of another type is refused by the rule itself, with its own message
        x = spec.get(name, 0)
        ok = isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))
        return float(x) if ok and math.isfinite(x) else 0.0

    return RULES[spec["rule"]].expected(number, n_sources, n_targets)


def pairs(spec: dict, sources: np.ndarray, targets: np.ndarray, key) -> tuple[np.ndarray, np.ndarray]:
    """The (source, target) pairs of a normalised ``spec`` (:func:`normalise`) by its rule in :data:`RULES`."""
    return RULES[spec["rule"]].pairs(spec, sources, targets, key)


def _one_to_one(spec, sources, targets, key):
    ns, nt = len(sources), len(targets)
    if ns != nt:
        raise JaxsnnError(f"one_to_one needs sources and targets of equal size; got {ns} sources and {nt} targets.")
    keep = np.ones(ns, bool) if spec["allow_autapses"] else sources != targets
    return sources[keep], targets[keep]


def _all_to_all(spec, sources, targets, key):
    s = np.tile(sources, len(targets))
    t = np.repeat(targets, len(sources))
    keep = np.ones(len(s), bool) if spec["allow_autapses"] else s != t
    return s[keep], t[keep]


def _fixed_indegree(spec, sources, targets, key):
    auto, multi = spec["allow_autapses"], spec["allow_multapses"]
    k = _count(spec, "indegree", len(sources), multi, "sources")
    idx = _draw_rows(key, targets, sources, k, auto, multi)
    return sources[idx].ravel(), np.repeat(targets, k)


def _fixed_outdegree(spec, sources, targets, key):
    auto, multi = spec["allow_autapses"], spec["allow_multapses"]
    k = _count(spec, "outdegree", len(targets), multi, "targets")
    idx = _draw_rows(key, sources, targets, k, auto, multi)
    return np.repeat(sources, k), targets[idx].ravel()


def _fixed_total_number(spec, sources, targets, key):
    ns, nt = len(sources), len(targets)
    n = checks.whole("conn_spec['N']", spec["N"])
    if not spec["allow_multapses"]:
        raise JaxsnnError("fixed_total_number with allow_multapses=False is not implemented (as in NEST).")
    if n and ns * nt == 0:
        raise JaxsnnError("fixed_total_number: no sources or no targets to connect.")
    si = ti = src = None  # per pair: index into sources, into targets, and its source id
    todo = np.arange(n)
    for rnd in range(10_000):
        if not len(todo):
            break
        ks, kt = threefry.split(threefry.fold_in_key(key, rnd))
        a = in_blocks(jax.random.randint, ks, (len(todo),), 0, ns)
        b = in_blocks(jax.random.randint, kt, (len(todo),), 0, nt)
        if si is None:  # round 0 draws every pair: no scatter (a JAX-drawn array is read-only: copied)
            si, ti = (x if x.flags.writeable else x.copy() for x in (a, b))
            src = sources[si]
        else:
            si[todo], ti[todo], src[todo] = a, b, sources[a]
        if spec["allow_autapses"]:
            todo = todo[:0]
        else:
            todo = np.flatnonzero(src == targets[ti]) if rnd == 0 else todo[src[todo] == targets[ti[todo]]]
    else:
        raise JaxsnnError("fixed_total_number: could not avoid autapses (sources equal targets?).")
    if not n:
        return sources[:0], targets[:0]
    # NEST groups the pairs by target: the stable order of the targets' ranks, a radix sort (by_source) of
    # target indices where the targets ascend (NodeCollections), of their ranks among the distinct ids otherwise
    if np.all(targets[1:] > targets[:-1]):
        ids, rank = targets, ti
    else:
        ids, inverse = np.unique(targets, return_inverse=True)
        rank = inverse.reshape(-1)[ti]
    order, counts = by_source(rank, len(ids))
    return src[order], np.repeat(ids, counts)


def _pairwise_bernoulli(spec, sources, targets, key):
    p, ns = spec["p"], len(sources)
    s_out, t_out = [], []
    rows = max(1, 4_000_000 // max(ns, 1))  # bounded memory: draw blocks of targets
    for b in range(0, len(targets), rows):
        tb = targets[b:b + rows]
        u = in_blocks(jax.random.uniform, threefry.fold_in_key(key, b), (len(tb), ns))
        hit = u < p
        if not spec["allow_autapses"]:
            hit &= tb[:, None] != sources[None, :]
        ti, si = np.nonzero(hit)
        s_out.append(sources[si])
        t_out.append(tb[ti])
    return np.concatenate(s_out or [np.zeros(0, np.int64)]), np.concatenate(t_out or [np.zeros(0, np.int64)])


def _probability(spec):
    spec["p"] = checks.number("conn_spec['p']", spec["p"], "a probability in [0, 1]", lambda p: 0 <= p <= 1)


@dataclasses.dataclass(frozen=True)
class Rule:
    """A connection rule: its own ``conn_spec`` keys (all required), the function making the pairs
    ``(spec, sources, targets, key) -> (sources, targets)``, how many it makes on average
    ``(number, n_sources, n_targets)`` (``number(key)``: a value of the spec), and an optional check of
    the spec's values."""

    keys: tuple
    pairs: Callable
    expected: Callable
    check: Callable | None = None


RULES = {
    "all_to_all": Rule((), _all_to_all, lambda number, ns, nt: float(ns) * nt),
    "one_to_one": Rule((), _one_to_one, lambda number, ns, nt: float(ns)),
    "fixed_indegree": Rule(("indegree",), _fixed_indegree, lambda number, ns, nt: number("indegree") * nt),
    "fixed_outdegree": Rule(("outdegree",), _fixed_outdegree, lambda number, ns, nt: number("outdegree") * ns),
    "fixed_total_number": Rule(("N",), _fixed_total_number, lambda number, ns, nt: number("N")),
    "pairwise_bernoulli": Rule(("p",), _pairwise_bernoulli, lambda number, ns, nt: number("p") * ns * nt,
                               _probability),
}


def _count(spec, name, pool, multi, pool_name):
    k = checks.whole(f"conn_spec[{name!r}]", spec[name])
    if not multi and k > pool:
        raise JaxsnnError(f"conn_spec[{name!r}]={k} is larger than the {pool} {pool_name} while "
                          "allow_multapses=False; allow multapses or lower it.")
    return int(k)


def _draw_rows(key, owners, pool, k, auto, multi):
    """For each owner, ``k`` indices into ``pool`` drawn uniformly, redrawing disallowed ones."""
    n = len(pool)
    if k and n == 0:
        raise JaxsnnError("cannot draw connections from an empty population.")
    # a writable copy: np.asarray of a JAX int64 array (x64) is read-only, and redraws write into it
    idx = np.array(in_blocks(jax.random.randint, key, (len(owners), k), 0, max(n, 1)), dtype=np.int32, copy=True)
    if not auto and k > n - np.isin(owners, pool).any() and not multi:
        raise JaxsnnError(f"cannot draw {k} distinct partners without autapses from {n} nodes.")
    for rnd in range(1, 100_000):
        bad = np.zeros(idx.shape, bool)
        if not auto:
            bad |= pool[idx] == owners[:, None]
        if not multi:
            srt = np.sort(idx, axis=1)
            order = np.argsort(idx, axis=1, kind="stable")
            dup_sorted = np.zeros(idx.shape, bool)
            dup_sorted[:, 1:] = srt[:, 1:] == srt[:, :-1]
            np.put_along_axis(bad, order, np.take_along_axis(bad, order, 1) | dup_sorted, 1)
        if not bad.any():
            return idx
        r, c = np.nonzero(bad)
        idx[r, c] = in_blocks(jax.random.randint, threefry.fold_in_key(key, rnd), (len(r),), 0, n)
    raise JaxsnnError("could not draw connections without disallowed autapses/multapses.")
