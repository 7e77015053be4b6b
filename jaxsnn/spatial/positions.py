"""Layers: nodes with positions in 2D or 3D space (NEST's ``nest.spatial.grid`` / ``nest.spatial.free``).

A layer is what ``create(model, positions=...)`` makes of a :class:`grid` or :class:`free` spec: one
position per node, in node-id order, plus the layer's box (``lower_left``, ``extent``) and whether its
edges wrap (periodic boundaries). Positions are computed with NEST's formulas, operation for operation,
so they are NEST's bit for bit.

**grid(shape, extent=1 per dimension, center=0, edge_wrap=False)**

Node ``lid`` (0-based within the layer) has grid index ``g``: the last dimension varies fastest
(``g[D-1] = lid % shape[D-1]``, ...); the y axis points down the grid ("matrix convention"):

    x_i = ul_i + (e_i / n_i) · g_i + (e_i / n_i) · 0.5,   ul = lower_left with ul_1 += e_1, e_1 → −e_1

so for a 2D grid node 0 is the top-left one, and ids run down the first column, then the next.

**free(pos, extent=None, edge_wrap=False, num_dimensions=None)**

``pos`` is an ``(n, D)`` list of positions, or a :mod:`jaxsnn.random` distribution drawn ``D`` times
per node (``num_dimensions`` or ``len(extent)`` gives D). Without ``extent``, the layer's box is the
points' bounding box with its size rounded up to whole units in each dimension (``ceil(max − min)``),
centred on the points' midpoint ``(max + min) / 2``; with one, the box of that size has the same
centre and every point must lie in it.

==================  ==========================================================
``spatial`` entry   meaning
==================  ==========================================================
``center``          ``lower_left + extent / 2``
``extent``          size of the layer's box in each dimension
``edge_wrap``       periodic boundaries in every dimension
``network_size``    number of nodes
``shape``           grid layers: nodes per dimension
``positions``       free layers: the ``(n, D)`` positions
==================  ==========================================================
"""
from __future__ import annotations

import dataclasses

import jax
import numpy as np

from .. import checks
from .. import random as jrandom
from ..core import threefry
from ..errors import JaxsnnError, bad_value


def _vector(where, value, dims=None) -> np.ndarray:
    arr = checks.floats(where, value)
    if arr.ndim != 1 or (dims is not None and len(arr) != dims) or (dims is None and len(arr) not in (2, 3)):
        raise bad_value(where, value, f"a list of {dims or '2 or 3'} numbers (one per dimension)")
    checks.finite(where, arr)
    return arr


class grid:
    """A grid layer spec (NEST's ``nest.spatial.grid``): see the module docstring."""

    def __init__(self, shape, center=None, extent=None, edge_wrap=False):
        arr = np.asarray(shape)
        if arr.ndim != 1 or len(arr) not in (2, 3) or arr.dtype.kind not in "iu" or (arr < 1).any():
            raise bad_value("grid: shape", shape, "a list of 2 or 3 whole numbers >= 1 (nodes per dimension)")
        self.shape = tuple(int(x) for x in arr)
        d = len(self.shape)
        self.center = _vector("grid: center", center, d) if center is not None else np.zeros(d)
        self.extent = _vector("grid: extent", extent, d) if extent is not None else np.ones(d)
        if (self.extent <= 0).any():
            raise bad_value("grid: extent", extent, "sizes > 0")
        self.edge_wrap = checks.flag("grid: edge_wrap", edge_wrap)

    @property
    def n(self) -> int:
        return int(np.prod(self.shape))

    def layer(self, key=None) -> Layer:
        lower_left = self.center - self.extent / 2
        made = {"kind": "grid", "shape": list(self.shape), "center": self.center.tolist(),
                "extent": self.extent.tolist(), "edge_wrap": self.edge_wrap}
        return Layer(grid_positions(self.shape, lower_left, self.extent), lower_left, self.extent.copy(),
                     self.edge_wrap, self.shape, made)

    def __repr__(self):
        return (f"grid(shape={list(self.shape)}, center={self.center.tolist()}, extent={self.extent.tolist()}, "
                f"edge_wrap={self.edge_wrap})")


class free:
    """A free layer spec (NEST's ``nest.spatial.free``): see the module docstring."""

    def __init__(self, pos, extent=None, edge_wrap=False, num_dimensions=None):
        if extent is not None and num_dimensions is not None:
            raise JaxsnnError("free: give extent or num_dimensions, not both (NEST: 'extent and number of "
                              "dimensions cannot be specified at the same time').")
        self.extent = _vector("free: extent", extent) if extent is not None else None
        if self.extent is not None and (self.extent <= 0).any():
            raise bad_value("free: extent", extent, "sizes > 0")
        self.edge_wrap = checks.flag("free: edge_wrap", edge_wrap)
        if edge_wrap and extent is None:
            raise JaxsnnError("free: edge_wrap=True needs an extent (the period of the boundaries).")
        if isinstance(pos, (list, tuple)) and len(pos) in (2, 3) and all(_is_parameter(p) for p in pos):
            if extent is not None and len(self.extent) != len(pos):
                raise bad_value("free: extent", extent, f"{len(pos)} numbers, one per drawn coordinate")
            self.pos, self.dims = tuple(pos), len(pos)  # one Parameter per coordinate
        elif isinstance(pos, jrandom.Distribution) or _is_parameter(pos):
            dims = len(self.extent) if self.extent is not None else num_dimensions
            if dims not in (2, 3):
                raise bad_value("free: num_dimensions", num_dimensions, "2 or 3 (needed, or an extent, when the "
                                "positions are drawn from a distribution)")
            self.pos, self.dims = pos, int(dims)
        else:
            arr = checks.floats("free: pos", pos)
            if arr.ndim != 2 or arr.shape[1] not in (2, 3) or len(arr) < 1:
                raise bad_value("free: pos", f"<array of shape {arr.shape}>", "an (n, 2) or (n, 3) list of positions")
            checks.finite("free: pos", arr)
            if self.extent is not None and len(self.extent) != arr.shape[1]:
                raise bad_value("free: extent", extent, f"{arr.shape[1]} numbers, one per dimension of the positions")
            if num_dimensions is not None and num_dimensions != arr.shape[1]:
                raise bad_value("free: num_dimensions", num_dimensions, f"{arr.shape[1]} (the positions' dimension)")
            self.pos, self.dims = arr, arr.shape[1]

    @property
    def n(self):
        return None if not isinstance(self.pos, np.ndarray) else len(self.pos)

    def layer(self, key=None, n=None) -> Layer:
        if isinstance(self.pos, np.ndarray):
            pts = self.pos.copy()
        else:
            if n is None:
                raise JaxsnnError("free: positions drawn from a distribution need the number of nodes "
                                  "(create(model, n, positions=free(...))).")
            if isinstance(self.pos, tuple):
                pts = np.stack([_draw(p, threefry.fold_in_key(key, i), n) for i, p in enumerate(self.pos)], axis=1)
            else:
                pts = _draw(self.pos, key, n * self.dims).reshape(n, self.dims)
        return free_layer(pts, self.extent, self.edge_wrap)

    def __repr__(self):
        return f"free(pos={'<drawn>' if not isinstance(self.pos, np.ndarray) else f'<{len(self.pos)} positions>'}, " \
               f"extent={None if self.extent is None else self.extent.tolist()}, edge_wrap={self.edge_wrap})"


def layer_for(positions, n, key):
    """(number of nodes, Layer) for ``create(model, n, positions=...)``."""
    if not isinstance(positions, (grid, free)):
        raise bad_value("create: positions", positions, "a jaxsnn.spatial.grid(...) or jaxsnn.spatial.free(...) spec")
    if n is not None:
        n = checks.whole("create: n", n, "a whole number >= 1")
    size = positions.n
    if size is not None and n is not None and n != size:
        raise JaxsnnError(f"create: n={n} but the positions hold {size} nodes; leave n out (NEST: 'Cannot specify "
                          "number of nodes with grid positions').")
    if size is None and n is None:
        raise JaxsnnError("create: positions drawn from a distribution need the number of nodes: create(model, n, "
                          "positions=free(...)).")
    n = size if size is not None else n
    return n, positions.layer(key, n) if isinstance(positions, free) else positions.layer(key)


def _is_parameter(x) -> bool:
    from ..parameters import Parameter

    return isinstance(x, Parameter)


def _draw(param, key, m) -> np.ndarray:
    """``m`` values of a (non-spatial) Parameter."""
    key = key if key is not None else jax.random.wrap_key_data(threefry.seed_words(0))  # jax.random.key(0)
    return np.asarray(param.sample(key, m), np.float64)


def grid_positions(shape, lower_left, extent) -> np.ndarray:
    """Positions of a grid layer's nodes in node order, with NEST's arithmetic (see module docstring)."""
    dims = np.asarray(shape)
    d = len(dims)
    lids = np.arange(int(np.prod(dims)))
    g = np.zeros((len(lids), d), np.int64)
    rest = lids.copy()
    for i in range(d - 1, 0, -1):
        g[:, i] = rest % dims[i]
        rest = rest // dims[i]
    g[:, 0] = rest
    ext = np.array(extent, np.float64)
    upper_left = np.array(lower_left, np.float64)
    upper_left[1] += ext[1]
    ext[1] = -ext[1]
    step = ext / dims
    return upper_left + step * g + step * 0.5


def free_layer(pts: np.ndarray, extent=None, edge_wrap=False) -> Layer:
    """A free layer around the points ``pts`` (NEST's box rule, see the module docstring)."""
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    center = (hi + lo) / 2
    if extent is not None:
        extent = np.asarray(extent, np.float64).copy()
        lower_left = center - extent / 2
        upper = center + extent / 2
        out = (lo < lower_left) | (hi > upper)
        if out.any():
            raise JaxsnnError(f"free: a node position lies outside the layer's extent {extent.tolist()} around "
                              f"the points' centre {center.tolist()} (NEST: 'Node position outside of layer').")
    else:
        if len(pts) <= 1:
            raise JaxsnnError("free: a layer of one node needs an extent (NEST: 'If only one node is created, "
                              "'extent' must be specified').")
        extent = np.ceil(hi - lo)
        lower_left = center - extent / 2
    made = {"kind": "free", "positions": pts.tolist(), "extent": extent.tolist(), "edge_wrap": bool(edge_wrap)}
    return Layer(pts, lower_left, extent, bool(edge_wrap), None, made)


@dataclasses.dataclass(frozen=True, eq=False)
class Layer:
    """Positions of one ``create`` call's nodes and the layer's geometry (immutable arrays)."""

    positions: np.ndarray  # (n, D), node order
    lower_left: np.ndarray  # (D,)
    extent: np.ndarray  # (D,)
    edge_wrap: bool
    shape: tuple | None  # grid layers
    made: dict | None = None  # how to make it again (plain values): see :meth:`spec`

    def __post_init__(self):
        for a in (self.positions, self.lower_left, self.extent):
            a.setflags(write=False)

    @property
    def dims(self) -> int:
        return self.positions.shape[1]

    @property
    def center(self) -> np.ndarray:
        return self.lower_left + self.extent / 2

    @property
    def periodic(self) -> np.ndarray:
        return np.full(self.dims, self.edge_wrap)

    def metadata(self, lids=None) -> dict:
        """NEST's ``nodes.spatial`` dict (for the nodes at ``lids`` of a free layer: their positions)."""
        out = {"center": self.center, "edge_wrap": self.edge_wrap, "extent": self.extent.copy(),
               "network_size": len(self.positions) if lids is None else len(lids)}
        if self.shape is not None:
            out["shape"] = np.array(self.shape)
        else:
            out["positions"] = self.positions.copy() if lids is None else self.positions[lids]
        return out

    def spec(self):
        """The :class:`grid` or :class:`free` spec that makes this layer again, bit for bit (a free layer's
        positions and box are given explicitly)."""
        m = self.made
        if m["kind"] == "grid":
            return grid(m["shape"], center=m["center"], extent=m["extent"], edge_wrap=m["edge_wrap"])
        return free(m["positions"], extent=m["extent"], edge_wrap=m["edge_wrap"])

    def to_meta(self) -> dict:
        """Plain values (JSON) that :meth:`from_meta` turns back into this layer."""
        return dict(self.made)

    @classmethod
    def from_meta(cls, d: dict) -> Layer:
        spec = (grid(d["shape"], center=d["center"], extent=d["extent"], edge_wrap=d["edge_wrap"])
                if d["kind"] == "grid" else free(d["positions"], extent=d["extent"], edge_wrap=d["edge_wrap"]))
        return spec.layer(None, None) if d["kind"] == "free" else spec.layer(None)
