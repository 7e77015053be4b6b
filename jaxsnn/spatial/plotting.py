"""Pictures of layers and their connections (NEST's ``PlotLayer``, ``PlotTargets``,
``PlotProbabilityParameter``); matplotlib is imported only when a plot is asked for.

- :func:`plot_layer`: the nodes of a layer (2D scatter with the layer's box, or 3D scatter);
- :func:`plot_targets`: one source, its targets in a layer, and optionally the mask and the
  probability Parameter around the source;
- :func:`plot_probability_parameter`: a Parameter (e.g. ``p``) evaluated for targets on a regular grid
  around a source, as an image, with the mask's outline.
"""
from __future__ import annotations

import jax
import numpy as np

from ..errors import JaxsnnError
from .masks import as_mask
from .parameters import PairContext
from .queries import _layer, get_position, get_source_positions, get_target_positions


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - matplotlib is optional
        raise JaxsnnError("plotting needs matplotlib (pip install matplotlib)") from e
    return plt


def _box(ax, center, extent):
    x0, y0 = center[0] - extent[0] / 2, center[1] - extent[1] / 2
    ax.add_patch(_pyplot().Rectangle((x0, y0), extent[0], extent[1], fill=False, ec="0.6", lw=1))
    ax.set_xlim(x0 - 0.05 * extent[0], x0 + 1.05 * extent[0])
    ax.set_ylim(y0 - 0.05 * extent[1], y0 + 1.05 * extent[1])
    ax.set_aspect("equal")


def plot_layer(layer, fig=None, nodecolor="b", nodesize=20):
    """Scatter the nodes of ``layer``; returns the figure."""
    plt = _pyplot()
    lay, _ = _layer(layer, "plot_layer: layer")
    pos = get_position(layer)
    fig = fig if fig is not None else plt.figure()
    if lay.dims == 2:
        ax = fig.gca()
        ax.scatter(pos[:, 0], pos[:, 1], s=nodesize, c=nodecolor)
        _box(ax, lay.center, lay.extent)
    else:
        ax = fig.add_subplot(111, projection="3d") if not fig.axes else fig.gca()
        ax.scatter(pos[:, 0], pos[:, 1], pos[:, 2], s=nodesize, c=nodecolor)
    return fig


def plot_targets(src_nrn, tgt_layer, syn_type=None, fig=None, mask=None, probability_parameter=None,
                 src_color="red", src_size=50, tgt_color="blue", tgt_size=20, mask_color="yellow",
                 probability_cmap="Greens"):
    """The targets in ``tgt_layer`` of the one node ``src_nrn`` (after ``connect``), with the ``mask``
    and ``probability_parameter`` used to connect drawn around it; returns the figure."""
    return _around(src_nrn, tgt_layer, lambda: get_target_positions(src_nrn, tgt_layer, syn_type)[0], fig, mask,
                   probability_parameter, (src_color, src_size), (tgt_color, tgt_size), mask_color,
                   probability_cmap, ("plot_targets: src_nrn", "plot_targets: tgt_layer"))


def plot_sources(src_layer, tgt_nrn, syn_type=None, fig=None, mask=None, probability_parameter=None,
                 tgt_color="red", tgt_size=50, src_color="blue", src_size=20, mask_color="yellow",
                 probability_cmap="Greens"):
    """The sources in ``src_layer`` of the one node ``tgt_nrn`` (after ``connect``), with the ``mask``
    and ``probability_parameter`` used to connect drawn around it; returns the figure."""
    return _around(tgt_nrn, src_layer, lambda: get_source_positions(src_layer, tgt_nrn, syn_type)[0], fig, mask,
                   probability_parameter, (tgt_color, tgt_size), (src_color, src_size), mask_color,
                   probability_cmap, ("plot_sources: tgt_nrn", "plot_sources: src_layer"))


def _around(node, layer, partners, fig, mask, parameter, node_style, partner_style, mask_color, cmap, names):
    """One node, its partners' positions (``partners()``) in ``layer``, and the mask and probability
    parameter around it; ``names``: the node's and the layer's argument, for errors."""
    plt = _pyplot()
    if len(node) != 1:
        raise JaxsnnError(f"{names[0]} must be one node, got {len(node)}.")
    lay, _ = _layer(layer, names[1])
    fig = fig if fig is not None else plt.figure()
    ax = fig.gca()
    at = get_position(node)[0]
    if mask is not None or parameter is not None:
        c, e = lay.center, lay.extent
        plot_probability_parameter(node, parameter, mask=mask, ax=ax,
                                   edges=[c[0] - e[0] / 2, c[0] + e[0] / 2, c[1] - e[1] / 2, c[1] + e[1] / 2],
                                   prob_cmap=cmap, mask_color=mask_color)
    pos = partners()
    if len(pos):
        ax.scatter(pos[:, 0], pos[:, 1], s=partner_style[1], c=partner_style[0], zorder=3)
    ax.scatter([at[0]], [at[1]], s=node_style[1], c=node_style[0], zorder=4)
    _box(ax, lay.center, lay.extent)
    return fig


def plot_probability_parameter(source, parameter=None, mask=None, edges=(-0.5, 0.5, -0.5, 0.5), shape=(100, 100),
                               ax=None, prob_cmap="Greens", mask_color="yellow"):
    """``parameter`` for a target at each point of a ``shape`` grid over ``edges`` (x0, x1, y0, y1) and
    the one node ``source``, as an image; ``mask``'s outline around the source on top."""
    plt = _pyplot()
    lay, _ = _layer(source, "plot_probability_parameter: source")
    if lay.dims != 2:
        raise JaxsnnError("plot_probability_parameter draws 2D layers only.")
    ax = ax if ax is not None else plt.figure().gca()
    src = get_position(source)[0]
    xs = np.linspace(edges[0], edges[1], shape[0])
    ys = np.linspace(edges[2], edges[3], shape[1])
    gx, gy = np.meshgrid(xs, ys)
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    if parameter is not None:
        n = len(pts)
        ctx = PairContext(n, jax.random.key(0), np.full(n, source.ids[0]), np.zeros(n, np.int64), None,
                          "plot_probability_parameter", np.tile(src, (n, 1)), pts, lay.extent, lay.periodic)
        values = parameter.evaluate(ctx).reshape(gx.shape)
        ax.imshow(values, extent=list(edges), origin="lower", cmap=prob_cmap, aspect="equal", zorder=0)
    if mask is not None:
        m = as_mask(mask, "plot_probability_parameter: mask").for_layer(lay)
        inside = m.inside(pts - src).reshape(gx.shape).astype(float)
        ax.contourf(gx, gy, inside, levels=[0.5, 1.5], colors=[mask_color], alpha=0.3, zorder=1)
        ax.contour(gx, gy, inside, levels=[0.5], colors="k", linewidths=1, zorder=2)
    return ax
