"""Displacements and distances between positions in a layer, periodic boundaries included.

NEST has two formulas for the displacement ``d = to − from`` along a periodic dimension of extent ``E``,
and uses each in its own place; both are reproduced here operation for operation:

- :func:`displacement` (``Displacement``, ``Distance``, ``FindNearestElement``):
  ``d ← −E/2 + fmod(d + E/2, E)``, then ``d += E`` if ``d < −E/2``;
- :func:`kernel_displacement` (the spatial Parameters: ``distance``, ``distance.x`` …, used for
  connection probabilities, weights and delays): ``d ← d − E · round(d · (1/E))`` with ``round``
  half away from zero.

:func:`masked_pairs` finds, for many anchors at once, the pool points inside a mask around each anchor,
with NEST's periodic images of the anchor; it looks only at the points in the cells that the mask's
bounding box covers (never at all pairs).
"""
from __future__ import annotations

import numpy as np

from ..errors import JaxsnnError
from .ntree import Ntree

MAX_CANDIDATES = 4_000_000  # candidate pairs tested at once (bounded memory)


def displacement(from_pos, to_pos, extent, periodic) -> np.ndarray:
    """``to − from`` (broadcast over leading axes), wrapped with NEST's ``fmod`` formula where ``periodic``."""
    d = np.asarray(to_pos, np.float64) - np.asarray(from_pos, np.float64)
    d = np.array(d, copy=True)
    for i in np.nonzero(np.asarray(periodic))[0]:
        e = extent[i]
        x = -0.5 * e + np.fmod(d[..., i] + 0.5 * e, e)
        d[..., i] = np.where(x < -0.5 * e, x + e, x)
    return d


def length(d) -> np.ndarray:
    """Euclidean length over the last axis, summing squares in coordinate order (as NEST does)."""
    d = np.asarray(d, np.float64)
    sq = d[..., 0] * d[..., 0]
    for i in range(1, d.shape[-1]):
        sq = sq + d[..., i] * d[..., i]
    return np.sqrt(sq)


def round_half_away(x) -> np.ndarray:
    """C's ``round``: halves go away from zero (NumPy's ``round`` goes to even)."""
    x = np.asarray(x, np.float64)
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t)


def kernel_displacement(from_pos, to_pos, extent, periodic, dim: int) -> np.ndarray:
    """Component ``dim`` of ``to − from``, wrapped with NEST's ``round`` formula where periodic."""
    d = np.asarray(to_pos, np.float64)[..., dim] - np.asarray(from_pos, np.float64)[..., dim]
    if np.asarray(periodic)[dim]:
        e = extent[dim]
        d = d - e * round_half_away(d * (1 / e))
    return d


def kernel_distance(from_pos, to_pos, extent, periodic) -> np.ndarray:
    """``sqrt(Σ kernel_displacement²)``, in coordinate order."""
    dims = np.asarray(from_pos).shape[-1]
    sq = 0.0
    for i in range(dims):
        d = kernel_displacement(from_pos, to_pos, extent, periodic, i)
        sq = sq + d * d
    return np.sqrt(sq)


def wrap_into(points, lower_left, extent, periodic) -> np.ndarray:
    """Points mapped into the layer's box along periodic dimensions (as NEST stores a periodic pool)."""
    p = np.array(points, np.float64, copy=True)
    for i in np.nonzero(np.asarray(periodic))[0]:
        x = lower_left[i] + np.fmod(p[:, i] - lower_left[i], extent[i])
        p[:, i] = np.where(x < lower_left[i], x + extent[i], x)
    return p


def _mod(x, p):
    x = np.fmod(x, p)
    return np.where(x < 0, x + p, x)


def anchor_images(anchors, bbox, lower_left, extent, periodic):
    """NEST's periodic images of each anchor: (image positions, index of the anchor they belong to).

    Along a periodic dimension the anchor is moved so that the mask's lower bound falls inside the
    layer, and a second image one extent lower is added where the mask reaches past the upper edge."""
    a = np.array(anchors, np.float64, copy=True)
    owner = np.arange(len(a))
    per = np.nonzero(np.asarray(periodic))[0]
    if not len(per):
        return a, owner
    bl, bu = bbox
    for i in per:
        a[:, i] = _mod(a[:, i] + bl[i] - lower_left[i], extent[i]) - bl[i] + lower_left[i]
    imgs, owners = [a], [owner]
    for i in per:
        cur, own = np.concatenate(imgs), np.concatenate(owners)
        over = (cur[:, i] + bu[i] - lower_left[i]) > extent[i]
        shifted = cur[over].copy()
        shifted[:, i] -= extent[i]
        imgs, owners = [cur, shifted], [own, own[over]]
    return np.concatenate(imgs), np.concatenate(owners)


def masked_pairs(anchors, pool, mask, lower_left, extent, periodic):
    """(anchor index, pool index) of every pool point that NEST's tree walk finds inside ``mask``
    around each anchor or one of its periodic images (:mod:`jaxsnn.spatial.ntree`); sorted by anchor,
    then pool index.

    ``pool`` is first mapped into the layer box along periodic dimensions, as NEST stores it."""
    anchors = np.asarray(anchors, np.float64)
    pool = wrap_into(pool, lower_left, extent, periodic) if np.any(periodic) else np.asarray(pool, np.float64)
    if not len(pool) or not len(anchors):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    bl, bu = mask.bbox()
    imgs, owner = anchor_images(anchors, (bl, bu), lower_left, extent, periodic)
    tree = Ntree(pool, lower_left, extent)
    # bounded memory: anchors in blocks sized by the candidates a sample of them yields
    sample = tree.query(mask, imgs[:: max(1, len(imgs) // 64)])[0]
    per = max(1.0, len(sample) / max(1, len(imgs[:: max(1, len(imgs) // 64)])))
    chunk = max(1, int(MAX_CANDIDATES // (4 * per)))
    out = []
    for s in range(0, len(imgs), chunk):
        a, q = tree.query(mask, imgs[s:s + chunk])
        out.append(owner[s + a] * len(pool) + q)
    pair = np.sort(np.concatenate(out))
    return pair // len(pool), pair % len(pool)


def check_dims(where, layer, dims):
    if layer.dims != dims:
        raise JaxsnnError(f"{where}: a {dims}D position/mask for a {layer.dims}D layer.")
