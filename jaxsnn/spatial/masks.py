"""Masks: regions of space relative to a node, which limit the candidates of a spatial connection.

A mask answers ``inside(d)`` for displacements ``d`` (an ``(n, D)`` array) from the node it is centred
on, and gives a bounding box (``bbox()`` → ``(lower_left, upper_right)``) that lets connection rules
look only at nearby nodes. The tests are NEST's, operation for operation (so points on a mask's edge
are in or out exactly as in NEST).

==================  ====  =============================================================================
type                D     parameters (NEST's names; angles in degrees)
==================  ====  =============================================================================
``rectangular``     2     ``lower_left``, ``upper_right``, ``azimuth_angle`` = 0
``box``             3     ``lower_left``, ``upper_right``, ``azimuth_angle`` = 0, ``polar_angle`` = 0
``circular``        2     ``radius``, ``anchor`` = 0 (the centre)
``spherical``       3     ``radius``, ``anchor`` = 0
``doughnut``        2     ``inner_radius`` < ``outer_radius``, ``anchor`` = 0
``elliptical``      2     ``major_axis`` ≥ ``minor_axis``, ``azimuth_angle`` = 0, ``anchor`` = 0
``ellipsoidal``     3     ``major_axis`` ≥ ``minor_axis``, ``polar_axis``, ``azimuth_angle``, ``polar_angle``,
                          ``anchor``
``grid``            2/3   ``shape`` (nodes along x, y[, z]); grid layers only; an integer ``anchor``
                          (grid cells) moves its top-left corner away from the node
==================  ====  =============================================================================

Boxes are closed (``lower_left ≤ d ≤ upper_right``; rotated ones with 1e-12 slack), balls and
ellipses too (``≤ radius``, ``≤ 1``). A non-grid mask's ``anchor`` (the third argument of
:func:`create_mask`, or ``"anchor"`` beside the type in a mask dict) shifts it: ``inside(d − anchor)``.
Masks combine with ``&`` (intersection), ``|`` (union) and ``-`` (difference), as in NEST.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import JaxsnnError, bad_value, unknown_name

PI = 3.14159265358979323846264338328  # NEST's numerics::pi (the same double as math.pi)
EPS = 1e-12  # NEST's slack around rotated boxes


def _vec(where, v, dims=None):
    try:
        arr = np.array(v, np.float64)
    except (TypeError, ValueError):
        raise bad_value(where, v, "a list of 2 or 3 numbers") from None
    if arr.ndim != 1 or len(arr) not in (2, 3) or (dims is not None and len(arr) != dims):
        raise bad_value(where, v, f"a list of {dims or '2 or 3'} numbers")
    return arr


def _num(where, v, ok=lambda x: True, allowed="a number"):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)) or not ok(v):
        raise bad_value(where, v, allowed)
    return float(v)


class Mask:
    """A region of displacements; see the module docstring. Subclasses define ``inside`` and ``bbox``."""

    dims: int
    spec: dict | None = None  # NEST's dict, for plotting and storing (None for combinations)

    def inside(self, d: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def inside_box(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Whether each box [lo_k, hi_k] is wholly inside, as NEST judges it (its corners)."""
        return _corners_inside(self, lo, hi)

    def outside_box(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Whether each box misses the mask's bounding box (then it misses the mask)."""
        bl, bu = self.bbox()
        return np.any((hi < bl) | (lo > bu), axis=1)

    def Inside(self, point) -> bool:
        """NEST's ``Mask.Inside``: whether one point is inside."""
        p = _vec("Mask.Inside: point", point, self.dims)
        return bool(self.inside(p[None, :])[0])

    def _other(self, other, op):
        if not isinstance(other, Mask):
            raise bad_value(f"Mask {op} x: x", other, "a Mask")
        if other.dims != self.dims:
            raise JaxsnnError(f"Mask {op} Mask: masks must have the same number of dimensions ({self.dims} and "
                              f"{other.dims}).")
        return other

    def __and__(self, other):
        return Intersection(self, self._other(other, "&"))

    def __or__(self, other):
        return Union(self, self._other(other, "|"))

    def __sub__(self, other):
        return Difference(self, self._other(other, "-"))

    def for_layer(self, layer) -> Mask:
        """The mask as applied on ``layer`` (grid masks become boxes in the layer's units)."""
        if layer.dims != self.dims:
            raise JaxsnnError(f"a {self.dims}D mask cannot be used with a {layer.dims}D layer (NEST: 'Mask is "
                              "incompatible with layer').")
        return self


def _corners_inside(mask, lo, hi):
    """All 2^D corners of each box inside the mask (NEST's test for balls and ellipses)."""
    ok = np.ones(len(lo), bool)
    for c in range(1 << lo.shape[1]):
        corner = np.where([(c >> i) & 1 for i in range(lo.shape[1])], hi, lo)
        ok &= mask.inside(corner)
    return ok


class Box(Mask):
    """``rectangular`` (2D) / ``box`` (3D), optionally rotated about its centre."""

    def __init__(self, lower_left, upper_right, azimuth_angle=0.0, polar_angle=0.0, *, name=None):
        ll, ur = _vec(f"{name}: lower_left", lower_left), _vec(f"{name}: upper_right", upper_right, len(lower_left))
        if not np.all(ll < ur):
            raise JaxsnnError(f"{name}: upper_right={ur.tolist()} must be strictly to the right of and above "
                              f"lower_left={ll.tolist()} (NEST: 'Upper right must be strictly to the right and "
                              "above lower left').")
        self.dims = len(ll)
        if self.dims == 2 and polar_angle != 0.0:
            raise bad_value(f"{name}: polar_angle", polar_angle, "0 in 2D (NEST: 'polar_angle not defined in 2D')")
        self.ll, self.ur = ll, ur
        self.az = _num(f"{name}: azimuth_angle", azimuth_angle)
        self.pol = _num(f"{name}: polar_angle", polar_angle)
        self.ac, self.as_ = math.cos(self.az * PI / 180.), math.sin(self.az * PI / 180.)
        self.pc, self.ps = math.cos(self.pol * PI / 180.), math.sin(self.pol * PI / 180.)
        self.c = (ur + ll) * 0.5
        self.rotated = self.az != 0.0 or self.pol != 0.0

    def inside(self, p):
        if not self.rotated:
            return np.all(self.ll <= p, axis=1) & np.all(p <= self.ur, axis=1)
        q = self._rotate(p)
        return np.all(self.ll - EPS <= q, axis=1) & np.all(q <= self.ur + EPS, axis=1)

    def inside_box(self, lo, hi):
        return self.inside(lo) & self.inside(hi)  # NEST tests the two extreme corners only

    def _rotate(self, p):
        c, ac, as_ = self.c, self.ac, self.as_
        x, y = p[:, 0], p[:, 1]
        if self.dims == 2:
            nx = x * ac - c[0] * ac + y * as_ - c[1] * as_ + c[0]
            ny = -x * as_ + c[0] * as_ + y * ac - c[1] * ac + c[1]
            return np.stack([nx, ny], axis=1)
        pc, ps, z = self.pc, self.ps, p[:, 2]
        cxac, cyas = c[0] * ac, c[1] * as_
        nx = (x * (ac * pc) - cxac * pc + y * (as_ * pc) - cyas * pc - z * ps + c[2] * ps + c[0])
        ny = -x * as_ + c[0] * as_ + y * ac - c[1] * ac + c[1]
        nz = (x * (ac * ps) - cxac * ps + y * (as_ * ps) - cyas * ps + z * pc - c[2] * pc + c[2])
        return np.stack([nx, ny, nz], axis=1)

    def bbox(self):
        if not self.rotated:
            return self.ll.copy(), self.ur.copy()
        # the rotated corners (the inverse of the rotation that ``inside`` applies)
        corners = np.array(np.meshgrid(*[[a, b] for a, b in zip(self.ll, self.ur)], indexing="ij")).reshape(
            self.dims, -1).T - self.c
        ac, as_, pc, ps = self.ac, self.as_, self.pc, self.ps
        if self.dims == 2:
            r = np.array([[ac, -as_], [as_, ac]])
        else:
            r = np.array([[ac * pc, -as_, -ac * ps], [as_ * pc, ac, -as_ * ps], [ps, 0.0, pc]])
        pts = corners @ r.T + self.c
        return pts.min(axis=0), pts.max(axis=0)


class Ball(Mask):
    """``circular`` (2D) / ``spherical`` (3D): ``|d − centre| ≤ radius``."""

    def __init__(self, radius, center, *, name=None):
        self.r = _num(f"{name}: radius", radius, lambda x: x > 0, "a radius > 0")
        self.center = np.asarray(center, np.float64)
        self.dims = len(self.center)

    def inside(self, p):
        di = np.abs(p - self.center)
        far = np.any(di > self.r, axis=1)
        s = di[:, 0]
        for i in range(1, self.dims):
            s = s + di[:, i]
        d = p - self.center
        sq = d[:, 0] * d[:, 0]
        for i in range(1, self.dims):
            sq = sq + d[:, i] * d[:, i]
        return ~far & ((s <= self.r) | (np.sqrt(sq) <= self.r))

    def bbox(self):
        return self.center - self.r, self.center + self.r


class Ellipse(Mask):
    """``elliptical`` (2D) / ``ellipsoidal`` (3D), rotated by ``azimuth_angle`` (and ``polar_angle``)."""

    def __init__(self, major_axis, minor_axis, polar_axis=None, azimuth_angle=0.0, polar_angle=0.0, anchor=None,
                 *, dims, name=None):
        self.major = _num(f"{name}: major_axis", major_axis, lambda x: x > 0, "an axis > 0")
        self.minor = _num(f"{name}: minor_axis", minor_axis, lambda x: x > 0, "an axis > 0")
        if self.major < self.minor:
            raise JaxsnnError(f"{name}: major_axis={major_axis} must not be smaller than minor_axis={minor_axis} "
                              "(NEST: 'major_axis greater than minor_axis required').")
        self.dims = dims
        if dims == 2 and (polar_axis is not None or polar_angle != 0.0):
            raise JaxsnnError(f"{name}: polar_axis and polar_angle are not defined in 2D.")
        if dims == 3 and polar_axis is None:
            raise JaxsnnError(f"{name}: an ellipsoidal mask needs polar_axis.")
        self.polar = 0.0 if polar_axis is None else _num(f"{name}: polar_axis", polar_axis, lambda x: x > 0,
                                                          "an axis > 0")
        self.xs, self.ys = 4.0 / (self.major * self.major), 4.0 / (self.minor * self.minor)
        self.zs = 4.0 / (self.polar * self.polar) if self.polar else 0.0
        self.center = np.zeros(dims) if anchor is None else _vec(f"{name}: anchor", anchor, dims)
        self.az = _num(f"{name}: azimuth_angle", azimuth_angle)
        self.pol = _num(f"{name}: polar_angle", polar_angle)
        self.ac, self.as_ = math.cos(self.az * PI / 180.), math.sin(self.az * PI / 180.)
        self.pc, self.ps = math.cos(self.pol * PI / 180.), math.sin(self.pol * PI / 180.)

    def inside(self, p):
        dx, dy = p[:, 0] - self.center[0], p[:, 1] - self.center[1]
        if self.dims == 2:
            nx = dx * self.ac + dy * self.as_
            ny = dx * self.as_ - dy * self.ac
            return nx * nx * self.xs + ny * ny * self.ys <= 1
        dz = p[:, 2] - self.center[2]
        nx = (dx * self.ac + dy * self.as_) * self.pc - dz * self.ps
        ny = dx * self.as_ - dy * self.ac
        nz = (dx * self.ac + dy * self.as_) * self.ps + dz * self.pc
        return nx * nx * self.xs + ny * ny * self.ys + nz * nz * self.zs <= 1

    def bbox(self):
        if self.az == 0.0 and self.pol == 0.0:
            radii = np.array([self.major / 2.0, self.minor / 2.0, self.polar / 2.0])[: self.dims]
        else:
            radii = np.full(self.dims, max(self.major, self.polar) / 2.0)
        return self.center - radii, self.center + radii


class GridMask(Mask):
    """``grid``: a block of ``shape`` grid cells whose top-left cell is the node (or ``anchor`` cells
    away). Only for grid layers, where it becomes a box in the layer's units."""

    def __init__(self, shape, anchor=None):
        arr = np.asarray(shape)
        if arr.ndim != 1 or len(arr) not in (2, 3) or arr.dtype.kind not in "iu" or (arr < 1).any():
            raise bad_value("grid mask: shape", shape, "a list of 2 or 3 whole numbers >= 1")
        self.dims = len(arr)
        self.upper_left = np.zeros(self.dims, np.int64)
        self.lower_right = arr.astype(np.int64)
        if anchor is not None:
            a = np.asarray(anchor)
            if a.shape != (self.dims,) or a.dtype.kind not in "iu":
                raise bad_value("grid mask: anchor", anchor, f"a list of {self.dims} whole numbers (grid cells)")
            self.lower_right = self.lower_right - self.upper_left - a
            self.upper_left = -a.astype(np.int64)

    def inside(self, p):
        raise JaxsnnError("a grid mask has a size in grid cells: use it with a grid layer (connect, "
                          "select_nodes_by_mask), where it becomes a box.")

    bbox = inside

    def for_layer(self, layer):
        if layer.shape is None:
            raise JaxsnnError("grid masks can only be used with grid layers (NEST: 'Grid masks can only be used "
                              "with grid layers').")
        super().for_layer(layer)
        step = layer.extent / np.asarray(layer.shape)
        ll = step * self.upper_left - step * 0.5
        ur = step * self.lower_right - step * 0.5
        y = ll[1]
        ll[1] = -ur[1]
        ur[1] = -y
        return Box(ll, ur, name="grid mask")


class Anchored(Mask):
    """``mask`` moved by ``anchor``: ``inside(d − anchor)``."""

    def __init__(self, mask, anchor):
        self.mask, self.anchor, self.dims = mask, np.asarray(anchor, np.float64), mask.dims

    def inside(self, p):
        return self.mask.inside(p - self.anchor)

    def bbox(self):
        lo, hi = self.mask.bbox()
        return lo + self.anchor, hi + self.anchor

    def inside_box(self, lo, hi):
        return self.mask.inside_box(lo - self.anchor, hi - self.anchor)

    def outside_box(self, lo, hi):
        return self.mask.outside_box(lo - self.anchor, hi - self.anchor)

    def for_layer(self, layer):
        return Anchored(self.mask.for_layer(layer), self.anchor)


class Converse(Mask):
    """The mask seen from the other end of the connection: ``inside(−d)``."""

    def __init__(self, mask):
        self.mask, self.dims = mask, mask.dims

    def inside(self, p):
        return self.mask.inside(-p)

    def bbox(self):
        lo, hi = self.mask.bbox()
        return -hi, -lo

    def inside_box(self, lo, hi):
        return self.mask.inside_box(-hi, -lo)

    def outside_box(self, lo, hi):
        return self.mask.outside_box(-hi, -lo)


class _Pair(Mask):
    def __init__(self, a, b):
        self.a, self.b, self.dims = a, b, a.dims

    def for_layer(self, layer):
        return type(self)(self.a.for_layer(layer), self.b.for_layer(layer))


class Intersection(_Pair):
    def inside(self, p):
        return self.a.inside(p) & self.b.inside(p)

    def inside_box(self, lo, hi):
        return self.a.inside_box(lo, hi) & self.b.inside_box(lo, hi)

    def outside_box(self, lo, hi):
        return self.a.outside_box(lo, hi) | self.b.outside_box(lo, hi)

    def bbox(self):
        (l1, u1), (l2, u2) = self.a.bbox(), self.b.bbox()
        return np.maximum(l1, l2), np.minimum(u1, u2)


class Union(_Pair):
    def inside(self, p):
        return self.a.inside(p) | self.b.inside(p)

    def inside_box(self, lo, hi):
        return self.a.inside_box(lo, hi) | self.b.inside_box(lo, hi)

    def outside_box(self, lo, hi):
        return self.a.outside_box(lo, hi) & self.b.outside_box(lo, hi)

    def bbox(self):
        (l1, u1), (l2, u2) = self.a.bbox(), self.b.bbox()
        return np.minimum(l1, l2), np.maximum(u1, u2)


class Difference(_Pair):
    def inside(self, p):
        return self.a.inside(p) & ~self.b.inside(p)

    def inside_box(self, lo, hi):
        return self.a.inside_box(lo, hi) & self.b.outside_box(lo, hi)

    def outside_box(self, lo, hi):
        return self.a.outside_box(lo, hi) | self.b.inside_box(lo, hi)

    def bbox(self):
        return self.a.bbox()


TYPES = ("rectangular", "box", "circular", "spherical", "doughnut", "elliptical", "ellipsoidal", "grid")
_KEYS = {
    "rectangular": ("lower_left", "upper_right", "azimuth_angle"),
    "box": ("lower_left", "upper_right", "azimuth_angle", "polar_angle"),
    "circular": ("radius", "anchor"), "spherical": ("radius", "anchor"),
    "doughnut": ("inner_radius", "outer_radius", "anchor"),
    "elliptical": ("major_axis", "minor_axis", "azimuth_angle", "anchor"),
    "ellipsoidal": ("major_axis", "minor_axis", "polar_axis", "azimuth_angle", "polar_angle", "anchor"),
    "grid": ("shape",),
}
_NEEDED = {
    "rectangular": ("lower_left", "upper_right"), "box": ("lower_left", "upper_right"),
    "circular": ("radius",), "spherical": ("radius",), "doughnut": ("inner_radius", "outer_radius"),
    "elliptical": ("major_axis", "minor_axis"), "ellipsoidal": ("major_axis", "minor_axis", "polar_axis"),
    "grid": ("shape",),
}


def create_mask(masktype: str, specs: dict, anchor=None) -> Mask:
    """NEST's ``CreateMask(masktype, specs, anchor=None)``: a :class:`Mask` (see the module docstring)."""
    if masktype not in TYPES:
        raise unknown_name("mask type", masktype, TYPES)
    if not isinstance(specs, dict):
        raise bad_value(f"create_mask({masktype!r}): specs", specs, "a dict of the mask's parameters")
    for k in specs:
        if k not in _KEYS[masktype]:
            raise unknown_name(f"{masktype} mask parameter", k, _KEYS[masktype])
    for k in _NEEDED[masktype]:
        if k not in specs:
            raise JaxsnnError(f"create_mask({masktype!r}): {k!r} is required.")
    s = specs
    if masktype in ("rectangular", "box"):
        d = 2 if masktype == "rectangular" else 3
        _vec(f"{masktype}: lower_left", s["lower_left"], d)
        m = Box(s["lower_left"], s["upper_right"], s.get("azimuth_angle", 0.0), s.get("polar_angle", 0.0),
                name=masktype)
    elif masktype in ("circular", "spherical"):
        d = 2 if masktype == "circular" else 3
        c = _vec(f"{masktype}: anchor", s["anchor"], d) if "anchor" in s else np.zeros(d)
        m = Ball(s["radius"], c, name=masktype)
    elif masktype == "doughnut":
        c = _vec("doughnut: anchor", s["anchor"], 2) if "anchor" in s else np.zeros(2)
        inner = _num("doughnut: inner_radius", s["inner_radius"], lambda x: x > 0, "a radius > 0")
        outer = _num("doughnut: outer_radius", s["outer_radius"], lambda x: x > 0, "a radius > 0")
        if inner >= outer:
            raise JaxsnnError(f"doughnut: inner_radius={inner} must be smaller than outer_radius={outer}.")
        m = Difference(Ball(outer, c, name="doughnut"), Ball(inner, c, name="doughnut"))
    elif masktype in ("elliptical", "ellipsoidal"):
        m = Ellipse(s["major_axis"], s["minor_axis"], s.get("polar_axis"), s.get("azimuth_angle", 0.0),
                    s.get("polar_angle", 0.0), s.get("anchor"), dims=2 if masktype == "elliptical" else 3,
                    name=masktype)
    else:
        m = GridMask(s["shape"], anchor)
    m.spec = {masktype: dict(specs)}
    if anchor is not None and masktype != "grid":
        m = Anchored(m, _vec(f"create_mask({masktype!r}): anchor", anchor, m.dims))
        m.spec = {masktype: dict(specs), "anchor": list(np.asarray(anchor, float))}
    return m


def as_mask(value, where="conn_spec['mask']") -> Mask:
    """A :class:`Mask`, or NEST's mask dict ``{type: specs}`` (with an optional ``"anchor"``)."""
    if isinstance(value, Mask):
        return value
    if isinstance(value, dict):
        types = [k for k in value if k != "anchor"]
        if len(types) != 1:
            raise bad_value(where, value, "a Mask or a dict with one mask type (and optionally 'anchor')")
        return create_mask(types[0], value[types[0]], value.get("anchor"))
    raise bad_value(where, value, "a Mask (jaxsnn.spatial.create_mask) or a mask dict {type: {...}}")
