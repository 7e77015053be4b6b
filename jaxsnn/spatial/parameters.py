"""Spatial Parameters: values computed from where nodes are (NEST's ``nest.spatial.distance``,
``pos``, ``source_pos``, ``target_pos`` and ``nest.spatial_distributions``).

They are leaves and functions of the one parameter algebra (:mod:`jaxsnn.parameters`), so they combine
with numbers, random Parameters, :mod:`jaxsnn.math` and :mod:`jaxsnn.logic`:

>>> p = 0.8 * jaxsnn.spatial.distributions.gaussian(jaxsnn.spatial.distance, std=0.2)
>>> d = 1.0 + 5.0 * jaxsnn.spatial.distance          # delay growing with distance, ms
>>> net.connect(layer, layer, {"rule": "pairwise_bernoulli", "p": p, "mask": m}, {"delay": d})

A spatial connection evaluates them per candidate pair with a :class:`PairContext`: the pair's source
and target positions and the periodic boundaries of the layer NEST uses for that rule
(:mod:`jaxsnn.spatial.rules`). Node parameters (``create``/``set``) read ``pos`` through the
Network's ``positions`` hook.

=========================================  ====================================================================
Parameter                                  value (d = target − source, wrapped as in ``geometry``)
=========================================  ====================================================================
``distance``                               ``sqrt(d_x² + d_y² [+ d_z²])``
``distance.x`` / ``.y`` / ``.z``           ``|d_x|`` / ``|d_y|`` / ``|d_z|``
``source_pos.x`` …, ``target_pos.x`` …     a coordinate of the connection's source / target
``pos.x`` …                                a coordinate of the node (``create``/``set``)
=========================================  ====================================================================

Kernels of these (Gaussian, exponential, gamma, Gabor) are in :mod:`jaxsnn.spatial.distributions`.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..errors import JaxsnnError
from ..parameters import Context, Parameter
from . import geometry

PI = math.pi


@dataclasses.dataclass(frozen=True)
class PairContext(Context):
    """A :class:`~jaxsnn.parameters.Context` for connections, with the pairs' positions and the
    boundaries (``extent``, ``periodic``) of the layer the rule evaluates in."""

    source_pos: np.ndarray | None = None
    target_pos: np.ndarray | None = None
    extent: np.ndarray | None = None
    periodic: np.ndarray | None = None

    def _per_value(self, sel) -> dict:
        return {**super()._per_value(sel), **{k: getattr(self, k)[sel] for k in ("source_pos", "target_pos")
                                                if getattr(self, k) is not None}}


def _pairs(ctx, what):
    if not isinstance(ctx, PairContext) or ctx.source_pos is None:
        raise JaxsnnError(f"{ctx.where}: {what} is a property of a connection between layers; use it in connect() "
                          "between NodeCollections made with positions=...")
    return ctx


class _Spatial(Parameter):
    """Marks a leaf whose value depends on positions (NEST's ``is_spatial``)."""

    spatial = True


@dataclasses.dataclass(frozen=True, eq=False)
class Distance(_Spatial):
    """``nest.spatial.distance`` (``dimension`` 0) or its absolute component along x, y, z (1, 2, 3)."""

    dimension: int = 0

    def _eval(self, ctx, key):
        c = _pairs(ctx, "distance")
        if self.dimension == 0:
            return geometry.kernel_distance(c.source_pos, c.target_pos, c.extent, c.periodic)
        if self.dimension > c.source_pos.shape[1]:
            raise JaxsnnError(f"{ctx.where}: distance along dimension {self.dimension} in a "
                              f"{c.source_pos.shape[1]}D layer.")
        return np.abs(geometry.kernel_displacement(c.source_pos, c.target_pos, c.extent, c.periodic,
                                                   self.dimension - 1))

    @property
    def x(self):
        return Distance(1)

    @property
    def y(self):
        return Distance(2)

    @property
    def z(self):
        return Distance(3)

    @staticmethod
    def n(dimension):
        return Distance(int(dimension) + 1)


@dataclasses.dataclass(frozen=True, eq=False)
class Position(_Spatial):
    """A coordinate: of the node (``endpoint`` 0, ``pos``), of a connection's source (1) or target (2)."""

    dimension: int
    endpoint: int = 0

    def _eval(self, ctx, key):
        if self.endpoint == 0:
            if isinstance(ctx, PairContext) and ctx.target_pos is not None:
                raise JaxsnnError(f"{ctx.where}: pos.x/y/z is a node's position; for connections use source_pos or "
                                  "target_pos.")
            if ctx.positions is None or ctx.targets is None:
                raise JaxsnnError(f"{ctx.where}: pos.x/y/z needs nodes with positions (create(..., positions=...)).")
            p = ctx.positions(ctx.targets)
        else:
            c = _pairs(ctx, "source_pos/target_pos")
            p = c.source_pos if self.endpoint == 1 else c.target_pos
        if self.dimension >= p.shape[1]:
            raise JaxsnnError(f"{ctx.where}: coordinate {self.dimension} of {p.shape[1]}D positions.")
        return p[:, self.dimension]


class _Endpoint:
    """``pos`` / ``source_pos`` / ``target_pos``: ``.x``, ``.y``, ``.z`` and ``.n(dimension)``."""

    def __init__(self, endpoint):
        self._e = endpoint
        self.x, self.y, self.z = (Position(i, endpoint) for i in range(3))

    def n(self, dimension):
        return Position(int(dimension), self._e)


distance = Distance(0)
pos = _Endpoint(0)
source_pos = _Endpoint(1)
target_pos = _Endpoint(2)


def is_parameter(x) -> bool:
    return isinstance(x, Parameter)


def is_spatial(x) -> bool:
    """Whether a Parameter's value depends on positions (any spatial leaf in its tree)."""
    if not isinstance(x, Parameter):
        return False
    if getattr(x, "spatial", False):
        return True
    if dataclasses.is_dataclass(x):
        return any(is_spatial(getattr(x, f.name)) for f in dataclasses.fields(x))
    return False


def pair_values(p, src_pos, tgt_pos, sources, targets, geom, key, where) -> np.ndarray:
    """Values of ``p`` (a number or a Parameter) for the connections ``sources[i]`` → ``targets[i]`` at
    these positions, in the boundaries of ``geom``; random leaves draw from ``key``."""
    n = len(sources)
    if not isinstance(p, Parameter):
        return np.broadcast_to(np.asarray(p, np.float64), (n,)).copy()
    ctx = PairContext(n, key, sources, targets, None, where, src_pos, tgt_pos, geom.extent, geom.periodic)
    return p.evaluate(ctx)


__all__ = ["Distance", "PairContext", "Position", "distance", "is_spatial", "pos", "source_pos",
           "target_pos"]
