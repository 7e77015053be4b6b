"""NodeCollection: NEST's handle on a set of nodes (1-based ids, contiguous in creation order)."""
from __future__ import annotations

import numpy as np

from .errors import JaxsnnError


class NodeCollection:
    """An immutable, sorted set of node ids of one :class:`~jaxsnn.Network`.

    ``a + b`` joins disjoint collections (sorted by id, as in NEST); slicing and indexing work on that
    sorted order; ``len``, iteration and ``tolist()`` behave as for a NumPy array of ids.
    """

    __slots__ = ("_net", "ids")

    def __init__(self, net, ids):
        self._net = net
        self.ids = np.asarray(ids, dtype=np.int64)
        self.ids.setflags(write=False)

    def __len__(self):
        return len(self.ids)

    def __iter__(self):
        return (int(i) for i in self.ids)

    def __getitem__(self, item):
        if isinstance(item, (int, np.integer)):
            return NodeCollection(self._net, self.ids[[item]])
        return NodeCollection(self._net, self.ids[item])

    def __add__(self, other):
        if not isinstance(other, NodeCollection) or other._net is not self._net:
            raise JaxsnnError("NodeCollection + x: x must be a NodeCollection of the same Network.")
        if np.intersect1d(self.ids, other.ids).size:
            raise JaxsnnError("Cannot join overlapping NodeCollections (their ids must be disjoint).")
        return NodeCollection(self._net, np.sort(np.concatenate([self.ids, other.ids])))

    def __eq__(self, other):
        return isinstance(other, NodeCollection) and np.array_equal(self.ids, other.ids)

    def __hash__(self):
        return hash(self.ids.tobytes())

    def tolist(self):
        return self.ids.tolist()

    def __repr__(self):
        if len(self.ids) and np.array_equal(self.ids, np.arange(self.ids[0], self.ids[-1] + 1)):
            return f"NodeCollection(ids={self.ids[0]}..{self.ids[-1]})"
        return f"NodeCollection(ids={self.ids.tolist()})"
