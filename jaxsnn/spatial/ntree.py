"""NEST's spatial index (an n-tree: quadtree in 2D, octree in 3D), rebuilt so that a mask selects exactly
the nodes NEST selects.

Which nodes NEST finds inside a mask depends not only on the mask's point test but also on how its
tree prunes: a box of the tree that the mask reports "outside" is skipped, one it reports "inside" is
taken whole, and only the leaves in between are tested node by node. The boxes' corners and a node's
own test can disagree by a rounding error when a mask edge runs through a row of nodes on a grid,
so the tree's layout decides those nodes. This module reproduces that layout and that walk:

- a box splits into 2^D children once it holds more than ``MAX_CAPACITY`` = 100 nodes (up to depth
  ``MAX_DEPTH`` = 10); a node goes to the lower child along dimension i when
  ``(lower_left_i + extent_i / 2) − x_i > −ε`` (ε = 2⁻⁵², NEST's tolerance for round-off);
- walking the tree for an anchor ``a``: at the root "outside" is asked first, below it "inside"
  first, each on the box shifted by ``−a``; a decided box decides its whole subtree; undecided
  leaves test each node with ``mask.inside(x − a)``; the first node NEST reaches is always tested.

The walk is vectorised over many anchors at once: every box is tested for all anchors in one call.
"""
from __future__ import annotations

import numpy as np

MAX_CAPACITY = 100
MAX_DEPTH = 10
EPS = np.finfo(np.float64).eps
UNDECIDED, ALL_IN, OUT = 0, 1, 2


class Ntree:
    """The tree over ``points`` in the box (``lower_left``, ``extent``); boxes in depth-first order."""

    def __init__(self, points: np.ndarray, lower_left, extent):
        self.points = np.asarray(points, np.float64)
        self.dims = self.points.shape[1]
        self.ll, self.ext, self.parent, self.leaf_points = [], [], [], []
        self._build(np.arange(len(self.points)), np.asarray(lower_left, np.float64),
                    np.asarray(extent, np.float64), -1, 0)
        self.ll, self.ext = np.array(self.ll), np.array(self.ext)
        self.parent = np.array(self.parent)
        self.leaves = [i for i, p in enumerate(self.leaf_points) if p is not None]

    def _build(self, idx, ll, ext, parent, depth):
        me = len(self.ll)
        self.ll.append(ll)
        self.ext.append(ext)
        self.parent.append(parent)
        self.leaf_points.append(None)
        if len(idx) <= MAX_CAPACITY or depth >= MAX_DEPTH:
            self.leaf_points[me] = idx
            return
        pts = self.points[idx]
        quad = np.zeros(len(idx), np.int64)
        for i in range(self.dims):
            upper = ~(((ll[i] + ext[i] / 2) - pts[:, i]) > -EPS)
            quad += (1 << i) * upper
        half = ext * 0.5
        for j in range(1 << self.dims):
            cll = ll.copy()
            for i in range(self.dims):
                if j & (1 << i):
                    cll[i] += ext[i] * 0.5
            self._build(idx[quad == j], cll, half, me, depth + 1)

    def status(self, mask, anchors: np.ndarray) -> np.ndarray:
        """(boxes, anchors) array: UNDECIDED, ALL_IN or OUT for each box of the tree and anchor."""
        st = np.zeros((len(self.ll), len(anchors)), np.int8)
        for b in range(len(self.ll)):
            lo = self.ll[b] - anchors
            hi = self.ll[b] - anchors + self.ext[b]
            p = self.parent[b]
            if p < 0:
                out = mask.outside_box(lo, hi)
                st[b] = np.where(out, OUT, np.where(mask.inside_box(lo, hi), ALL_IN, UNDECIDED))
                continue
            und = st[p] == UNDECIDED
            st[b] = st[p]
            if und.any():
                k = np.nonzero(und)[0]
                ins = mask.inside_box(lo[k], hi[k])
                out = mask.outside_box(lo[k], hi[k])
                st[b, k] = np.where(ins, ALL_IN, np.where(out, OUT, UNDECIDED))
        return st

    def query(self, mask, anchors: np.ndarray):
        """(anchor index, point index) of the points NEST's walk yields for each anchor (unsorted)."""
        anchors = np.asarray(anchors, np.float64)
        st = self.status(mask, anchors)
        lst = st[self.leaves]  # (leaves, anchors)
        nonempty = np.array([len(self.leaf_points[l]) > 0 for l in self.leaves])
        reach = (lst != OUT) & nonempty[:, None]
        first_leaf = np.where(reach.any(axis=0), np.argmax(reach, axis=0), -1)  # where NEST's walk starts
        out_a, out_p = [], []
        for j, leaf in enumerate(self.leaves):
            idx = self.leaf_points[leaf]
            if not len(idx):
                continue
            for state in (UNDECIDED, ALL_IN):
                a = np.nonzero(lst[j] == state)[0]
                if not len(a):
                    continue
                aa = np.repeat(a, len(idx))
                pp = np.tile(idx, len(a))
                if state == UNDECIDED:
                    keep = mask.inside(self.points[pp] - anchors[aa])
                else:  # taken whole, except the very first node of the walk, which NEST tests
                    keep = np.ones(len(aa), bool)
                    first = (first_leaf[aa] == j) & (pp == idx[0])
                    if first.any():
                        keep[first] = mask.inside(self.points[pp[first]] - anchors[aa[first]])
                out_a.append(aa[keep])
                out_p.append(pp[keep])
        if not out_a:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(out_a), np.concatenate(out_p)
