"""Questions about the nodes of a layer: where they are, how far apart, which lie in a mask, which a
source connects to (NEST's ``GetPosition``, ``Displacement``, ``Distance``, ``FindNearestElement``,
``FindCenterElement``, ``SelectNodesByMask``, ``GetTargetNodes``, ``GetTargetPositions``,
``GetSourceNodes``, ``GetSourcePositions``, ``DumpLayerNodes``, ``DumpLayerConnections``).

Positions come back as ``(n, D)`` arrays (one row per node, in the collection's order); NEST's tuples
are what :mod:`jaxsnn.nest` makes of them. Displacements and distances follow NEST 3.10 exactly,
including which layer's periodic boundaries apply:

- between two collections ``a`` and ``b`` (equal lengths, or one of length 1):
  ``Displacement(a, b) = wrap_a(pos(a) − pos(b))`` in ``a``'s layer (NEST's order);
- from explicit positions ``p`` to a collection ``b``: ``wrap_b(pos(b) − p)``;
- ``Distance`` is the length of that displacement.
"""
from __future__ import annotations

import numpy as np

from ..build.nodes import NodeCollection
from ..errors import JaxsnnError, bad_value
from . import geometry
from .masks import as_mask


def _layer(nodes, where):
    if not isinstance(nodes, NodeCollection) or nodes._net is None:
        raise bad_value(where, nodes, "a NodeCollection of a spatial layer")
    return nodes._net._layer_of(nodes.ids, where)


def get_position(nodes) -> np.ndarray:
    """Positions of ``nodes``: an ``(n, D)`` array."""
    layer, lids = _layer(nodes, "get_position: nodes")
    return layer.positions[lids].copy()


def _pair(from_arg, to_arg, where):
    """(displacement rows, ...): the shared part of displacement and distance."""
    tl, tlids = _layer(to_arg, f"{where}: to_arg")
    if isinstance(from_arg, NodeCollection):
        fl, flids = _layer(from_arg, f"{where}: from_arg")
        if fl.dims != tl.dims:
            raise JaxsnnError(f"{where}: layers of {fl.dims} and {tl.dims} dimensions.")
        _same_length(len(flids), len(tlids), where)
        return geometry.displacement(tl.positions[tlids], fl.positions[flids], fl.extent, fl.periodic)
    pts = np.asarray(from_arg, np.float64)
    if pts.ndim == 1:
        pts = pts[None, :]
    if pts.ndim != 2 or pts.shape[1] != tl.dims:
        raise bad_value(f"{where}: from_arg", from_arg, f"a NodeCollection or a list of {tl.dims}D positions")
    _same_length(len(pts), len(tlids), where)
    return geometry.displacement(pts, tl.positions[tlids], tl.extent, tl.periodic)


def _same_length(a, b, where):
    if a > 1 and b > 1 and a != b:
        raise JaxsnnError(f"{where}: from_arg has {a} and to_arg {b} elements; they must have the same size unless "
                          "one has size 1.")


def displacement(from_arg, to_arg) -> np.ndarray:
    """NEST's ``Displacement``: see the module docstring. An ``(n, D)`` array."""
    return _pair(from_arg, to_arg, "displacement")


def distances(from_arg, to_arg) -> np.ndarray:
    """NEST's ``Distance``: the lengths of :func:`displacement`. An ``(n,)`` array."""
    return geometry.length(_pair(from_arg, to_arg, "distance"))


def find_nearest_element(layer, locations, find_all: bool = False):
    """For each location, the node of ``layer`` nearest to it (the first such node; with ``find_all``,
    every node within a relative 1e-14 of the smallest distance). One location: one NodeCollection
    (or a list with ``find_all``); several: a list of them."""
    if not isinstance(layer, NodeCollection) or not len(layer):
        raise bad_value("find_nearest_element: layer", layer, "a non-empty NodeCollection of a spatial layer")
    locs = np.asarray(locations, np.float64)
    single = locs.ndim == 1
    locs = locs[None, :] if single else locs
    out = []
    for loc in locs:
        d = distances(loc, layer)
        if not find_all:
            out.append(layer[int(np.argmin(d))])
        else:
            best, found = d[0], [0]
            for i in range(1, len(d)):
                if d[i] < best:
                    best, found = d[i], [i]
                elif abs(d[i] - best) <= 1e-14 * best:
                    found.append(i)
            out.append([layer[i] for i in found])
    return out[0] if len(out) == 1 else out


def find_center_element(layer) -> NodeCollection:
    """The node of ``layer`` nearest to the layer's centre."""
    lay, _ = _layer(layer, "find_center_element: layer")
    return find_nearest_element(layer, lay.center)


def select_nodes_by_mask(layer, anchor, mask) -> NodeCollection:
    """The nodes of ``layer`` inside ``mask`` centred on ``anchor`` (periodic images included)."""
    lay, lids = _layer(layer, "select_nodes_by_mask: layer")
    a = np.asarray(anchor, np.float64)
    if a.shape != (lay.dims,):
        raise bad_value("select_nodes_by_mask: anchor", anchor, f"a position of {lay.dims} numbers")
    m = as_mask(mask, "select_nodes_by_mask: mask").for_layer(lay)
    _, hit = geometry.masked_pairs(a[None, :], lay.positions[lids], m, lay.lower_left, lay.extent, lay.periodic)
    return NodeCollection._trusted(layer._net, np.unique(layer.ids[hit]))


def _connections(sources, targets, syn_model):
    net = sources._net
    s_all, t_all = [], []
    for c in net._conns:
        if syn_model is not None and c.model != syn_model:
            continue
        keep = np.isin(c.source, sources.ids) & np.isin(c.target, targets.ids)
        s_all.append(c.source[keep])
        t_all.append(c.target[keep])
    if not s_all:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(s_all), np.concatenate(t_all)


def get_target_nodes(sources, tgt_layer, syn_model=None) -> tuple:
    """For each source, the NodeCollection of its targets in ``tgt_layer`` (sorted, without repeats)."""
    s, t = _connections(*_collections("get_target_nodes", sources=sources, tgt_layer=tgt_layer), syn_model)
    return tuple(NodeCollection._trusted(sources._net, np.unique(t[s == i])) for i in sources.ids)


def get_source_nodes(src_layer, targets, syn_model=None) -> tuple:
    """For each target, the NodeCollection of its sources in ``src_layer`` (sorted, without repeats)."""
    s, t = _connections(*_collections("get_source_nodes", src_layer=src_layer, targets=targets), syn_model)
    return tuple(NodeCollection._trusted(targets._net, np.unique(s[t == i])) for i in targets.ids)


def _collections(where, **named) -> tuple:
    for name, x in named.items():
        if not isinstance(x, NodeCollection) or x._net is None:
            raise bad_value(f"{where}: {name}", x, "a NodeCollection of a Network")
    return tuple(named.values())


def get_source_positions(src_layer, targets, syn_model=None) -> list:
    """For each target, the positions (``(k, D)`` array) of its sources in ``src_layer``, one row per
    connection, in connection order."""
    lay, lids = _layer(src_layer, "get_source_positions: src_layer")
    first = int(src_layer.ids[0]) - int(lids[0])
    s, t = _connections(src_layer, targets, syn_model)
    return [lay.positions[s[t == i] - first] for i in targets.ids]


def dump_layer_nodes(layer, outname) -> None:
    """NEST's ``DumpLayerNodes``: one line per node, its id and coordinates (C++'s 6 significant digits)."""
    lay, lids = _layer(layer, "dump_layer_nodes: layer")
    with open(outname, "w") as f:
        for i, pos in zip(layer.ids, lay.positions[lids]):
            f.write(" ".join([str(int(i))] + [f"{x:g}" for x in pos]) + "\n")


def dump_layer_connections(source_layer, target_layer, table, outname) -> None:
    """NEST's ``DumpLayerConnections``: one line per row of ``table`` (``source``, ``target``, ``weight``,
    ``delay`` in ms: the connections of one synapse model from ``source_layer`` to ``target_layer``,
    their weights as they are now): those four and the displacement from source to target (wrapped at
    the source layer's periodic edges)."""
    src, sl = _layer(source_layer, "dump_layer_connections: source_layer")
    tgt, tl = _layer(target_layer, "dump_layer_connections: target_layer")
    s, t = np.asarray(table["source"], np.int64), np.asarray(table["target"], np.int64)
    s_first, t_first = int(source_layer.ids[0]) - int(sl[0]), int(target_layer.ids[0]) - int(tl[0])
    disp = geometry.displacement(src.positions[s - s_first], tgt.positions[t - t_first], src.extent, src.periodic)
    with open(outname, "w") as f:
        for i, j, w, d, x in zip(s, t, np.asarray(table["weight"]), np.asarray(table["delay"]), disp):
            f.write(" ".join([str(int(i)), str(int(j)), f"{w:g}", f"{d:g}"] + [f"{v:g}" for v in x]) + "\n")


def get_target_positions(sources, tgt_layer, syn_model=None) -> list:
    """For each source, the positions (``(k, D)`` array) of its targets in ``tgt_layer``, one row per
    connection, in connection order."""
    lay, lids = _layer(tgt_layer, "get_target_positions: tgt_layer")
    first = int(tgt_layer.ids[0]) - int(lids[0])  # id of the layer's first node
    s, t = _connections(sources, tgt_layer, syn_model)
    return [lay.positions[t[s == i] - first] for i in sources.ids]
