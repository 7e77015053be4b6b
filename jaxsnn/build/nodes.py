"""NodeCollection: NEST's handle on a set of nodes (1-based ids, contiguous in creation order)."""
from __future__ import annotations

import numpy as np

from ..errors import JaxsnnError, NodeIndexError, bad_value


class NodeCollection:
    """An immutable set of node ids of one :class:`~jaxsnn.Network`, sorted ascending and without
    duplicates (NEST 3.10's rules: ``NodeCollection(net, [3, 2])`` and ``[2, 2]`` are errors).

    Indexing follows NEST, not NumPy: ``nc[i]`` (``-len <= i < len``) is a collection of one node;
    ``nc[a:b:k]`` needs ``k > 0`` and a non-empty range inside the collection (an out-of-range start or
    stop is an error, not clamped); ``nc[[i, j]]`` needs ascending, distinct, non-negative positions;
    a bool mask must have ``len(nc)`` entries. ``a + b`` joins disjoint collections of one Network
    (sorted by id). ``len``, iteration, ``in``, ``index`` and ``tolist()`` work on the ids.
    """

    __slots__ = ("_net", "ids")

    def __init__(self, net, ids):
        arr = np.array(ids, copy=True)
        if arr.size == 0:
            arr = arr.astype(np.int64).reshape(0)
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer) or isinstance(ids, (bool, np.bool_)):
            raise bad_value("NodeCollection: ids", ids, "a 1-d sequence of integer node ids")
        arr = arr.astype(np.int64)
        top = getattr(net, "_n_nodes", None)
        bad = (arr < 1) | ((arr > top) if top is not None else False)
        if bad.any():
            raise bad_value("NodeCollection: ids", int(arr[np.argmax(bad)]),
                            f"ids of existing nodes (1 … {top})" if top is not None else "node ids >= 1")
        d = np.diff(arr)
        if (d == 0).any():
            raise bad_value("NodeCollection: ids", int(arr[1:][np.argmax(d == 0)]),
                            "distinct ids (NEST: 'All node IDs in a NodeCollection have to be unique')")
        if (d < 0).any():
            raise bad_value("NodeCollection: ids", arr.tolist() if len(arr) <= 8 else f"<{len(arr)} ids>",
                            "ids in ascending order (NEST: 'Indices must be sorted in ascending order')")
        arr.setflags(write=False)
        self._net = net
        self.ids = arr

    @classmethod
    def _trusted(cls, net, ids):
        """A collection of ids that are known to be sorted, distinct and existing (no checks)."""
        self = object.__new__(cls)
        arr = np.asarray(ids, dtype=np.int64).copy()
        arr.setflags(write=False)
        self._net, self.ids = net, arr
        return self

    def __len__(self):
        return len(self.ids)

    def __iter__(self):
        return (int(i) for i in self.ids)

    def __contains__(self, node_id):
        return bool(np.isin(node_id, self.ids))

    def index(self, node_id) -> int:
        """Position of ``node_id`` in the collection (NEST's ``nc.index``)."""
        pos = np.searchsorted(self.ids, node_id)
        if pos >= len(self.ids) or self.ids[pos] != node_id:
            raise bad_value("NodeCollection.index: node_id", node_id, "an id in the collection")
        return int(pos)

    def __getitem__(self, item):
        n = len(self.ids)
        if isinstance(item, (bool, np.bool_)):
            raise NodeIndexError(f"NodeCollection[{item!r}]: an index must be an integer, a slice, a list of "
                                 "positions or a bool mask, not a bool.")
        if isinstance(item, (int, np.integer)):
            if not -n <= item < n:
                raise NodeIndexError(f"NodeCollection[{item}]: index outside the collection (-{n} … {n - 1}).")
            return type(self)._trusted(self._net, self.ids[[item]])
        if isinstance(item, slice):
            return type(self)._trusted(self._net, self.ids[self._slice(item, n)])
        if isinstance(item, (list, tuple, np.ndarray)):
            return type(self)._trusted(self._net, self.ids[self._positions(item, n)])
        raise NodeIndexError(f"NodeCollection[{item!r}]: an index must be an integer, a slice, a list of positions "
                             "or a bool mask.")

    @staticmethod
    def _slice(s: slice, n: int) -> slice:
        step = 1 if s.step is None else s.step
        if not isinstance(step, (int, np.integer)) or step <= 0:
            raise NodeIndexError(f"NodeCollection[{s.start}:{s.stop}:{s.step}]: the step must be a positive integer "
                                 "(NEST does not reverse collections; they stay sorted).")
        if s.start is None and s.stop is None:
            return slice(None, None, step)
        start = 0 if s.start is None else (s.start + n if s.start < 0 else s.start)
        stop = n if s.stop is None else (s.stop + n if s.stop < 0 else s.stop)
        if not 0 <= start < n:
            raise NodeIndexError(f"NodeCollection[{s.start}:{s.stop}]: start outside the collection (-{n} … {n - 1}).")
        if not 0 <= stop <= n:
            raise NodeIndexError(f"NodeCollection[{s.start}:{s.stop}]: stop outside the collection (-{n} … {n}).")
        if start >= stop:
            raise NodeIndexError(f"NodeCollection[{s.start}:{s.stop}]: start < stop required (an empty slice).")
        return slice(start, stop, step)

    @staticmethod
    def _positions(item, n: int) -> np.ndarray:
        arr = np.asarray(item)
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise NodeIndexError(f"NodeCollection[mask]: a bool mask needs {n} entries, got shape {arr.shape}.")
            return np.nonzero(arr)[0]
        if arr.size == 0:
            return np.zeros(0, np.int64)
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise NodeIndexError(f"NodeCollection[{item!r}]: positions must be a 1-d list of integers.")
        if (arr < 0).any() or (arr >= n).any():
            raise NodeIndexError(f"NodeCollection[{item!r}]: positions must lie in 0 … {n - 1}.")
        if (np.diff(arr) <= 0).any():
            raise NodeIndexError(f"NodeCollection[{item!r}]: positions must be ascending and distinct (a "
                                 "NodeCollection stays sorted; NEST refuses this too).")
        return arr

    def __add__(self, other):
        if not isinstance(other, NodeCollection) or other._net is not self._net:
            raise JaxsnnError("NodeCollection + x: x must be a NodeCollection of the same Network.")
        if np.intersect1d(self.ids, other.ids).size:
            raise self._join_error("Cannot join overlapping NodeCollections (their ids must be disjoint).")
        mine, theirs = self._layers_in(), other._layers_in()
        if (mine or theirs) and mine != theirs:  # NEST: a layer's nodes join only nodes of the same layer
            raise self._join_error(f"NodeCollection + x: x={other!r} is not allowed: nodes of the same spatial layer "
                                   f"(these are in {_layer_words(mine)}, x in {_layer_words(theirs)}; NEST: 'Can only "
                                   "join NodeCollections with same metadata').")
        return type(self)._trusted(self._net, np.sort(np.concatenate([self.ids, other.ids])))

    _join_error = JaxsnnError  # jaxsnn.nest raises NEST's BadProperty

    def _layers_in(self) -> frozenset:
        """Indices of the spatial layers that hold nodes of this collection (-1: nodes in none)."""
        layers = getattr(self._net, "_layers", ())
        if not layers:
            return frozenset()
        firsts = np.array([f for f, _ in layers])
        ends = firsts + np.array([len(layer.positions) for _, layer in layers])
        k = np.searchsorted(firsts, self.ids, side="right") - 1
        inside = (k >= 0) & (self.ids < ends[np.maximum(k, 0)])
        return frozenset(np.where(inside, k, -1).tolist())

    def __eq__(self, other):
        return isinstance(other, NodeCollection) and np.array_equal(self.ids, other.ids)

    def __hash__(self):
        return hash(self.ids.tobytes())

    def set(self, params=None, **kwargs):
        """NEST's ``nodes.set(params)`` / ``nodes.set(name=value)``: see :meth:`jaxsnn.Network.set`."""
        if self._net is None:
            raise JaxsnnError("NodeCollection.set: this collection belongs to no Network (it came from a "
                              "Simulation); set parameters on the Network before building.")
        if getattr(self._net, "_built", False):
            raise JaxsnnError("NodeCollection.set: this Network has been built, and a Simulation does not see later "
                              "changes of its Network; change the running simulation with sim = sim.set(nodes, "
                              "{...}), or the description with net.set(nodes, {...}) and build again (or use "
                              "jaxsnn.nest, where nodes.set takes effect at the next Simulate).")
        self._net.set(self, params, **kwargs)

    def tolist(self):
        return self.ids.tolist()

    @property
    def spatial(self) -> dict:
        """NEST's ``nodes.spatial``: the layer's ``center``, ``extent``, ``edge_wrap``, ``network_size`` and
        ``shape`` (grid) or ``positions`` (free); an error for nodes that are not in one spatial layer."""
        if self._net is None:
            raise JaxsnnError("NodeCollection.spatial: this collection belongs to no Network.")
        layer, lids = self._net._layer_of(self.ids, "NodeCollection.spatial")
        return layer.metadata(None if len(lids) == len(layer.positions) else lids)

    def __repr__(self):
        if len(self.ids) and np.array_equal(self.ids, np.arange(self.ids[0], self.ids[-1] + 1)):
            return f"NodeCollection(ids={self.ids[0]}..{self.ids[-1]})"
        return f"NodeCollection(ids={self.ids.tolist()})"


def _layer_words(layers: frozenset) -> str:
    if not layers:
        return "no layer"
    named = [("no layer" if k < 0 else f"layer {k + 1}") for k in sorted(layers)]
    return " and ".join(named)
