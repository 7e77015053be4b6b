"""The spatial module as PyNEST shows it: ``nest.spatial``, ``nest.spatial_distributions``,
``Create(positions=...)`` and the spatial verbs, with PyNEST's return types (lists of floats and
lists of lists; NodeCollections of the PyNEST layer).

:func:`install` puts them on a PyNEST-like module (``jaxsnn.nest``): the functions below convert the
functional API's arrays and collections, nothing else.
"""
from __future__ import annotations

import types

import numpy as np

from ..errors import JaxsnnError
from . import distributions, masks, parameters, plotting, positions, queries

spatial = types.SimpleNamespace(
    grid=positions.grid, free=positions.free, distance=parameters.distance, pos=parameters.pos,
    source_pos=parameters.source_pos, target_pos=parameters.target_pos,
)
spatial_distributions = distributions


def _wrap(nc, like):
    """A functional NodeCollection as the PyNEST layer's collection class (that of ``like``)."""
    return type(like)._trusted(like._net, nc.ids) if type(like) is not type(nc) else nc


def _rows(a: np.ndarray):
    return a.tolist()


def GetPosition(nodes):  # noqa: N802 - NEST's names
    p = queries.get_position(nodes)
    return _rows(p[0]) if len(p) == 1 else _rows(p)


def Displacement(from_arg, to_arg):  # noqa: N802
    return _rows(queries.displacement(from_arg, to_arg))


def Distance(from_arg, to_arg):  # noqa: N802
    return _rows(queries.distances(from_arg, to_arg))


def FindNearestElement(layer, locations, find_all=False):  # noqa: N802
    out = queries.find_nearest_element(layer, locations, find_all)

    def conv(x):
        return [_wrap(y, layer) for y in x] if isinstance(x, list) else _wrap(x, layer)

    return [conv(x) for x in out] if isinstance(out, list) and not find_all else conv(out)


def FindCenterElement(layer):  # noqa: N802
    return _wrap(queries.find_center_element(layer), layer)


def SelectNodesByMask(layer, anchor, mask_obj):  # noqa: N802
    return _wrap(queries.select_nodes_by_mask(layer, anchor, mask_obj), layer)


def GetTargetNodes(sources, tgt_layer, syn_model=None):  # noqa: N802
    return tuple(_wrap(x, sources) for x in queries.get_target_nodes(sources, tgt_layer, syn_model))


def GetTargetPositions(sources, tgt_layer, syn_model=None):  # noqa: N802
    return [_rows(p) for p in queries.get_target_positions(sources, tgt_layer, syn_model)]


def GetSourceNodes(src_layer, targets, syn_model=None):  # noqa: N802
    return tuple(_wrap(x, targets) for x in queries.get_source_nodes(src_layer, targets, syn_model))


def GetSourcePositions(src_layer, targets, syn_model=None):  # noqa: N802
    return [_rows(p) for p in queries.get_source_positions(src_layer, targets, syn_model)]


VERBS = {
    "CreateMask": masks.create_mask, "GetPosition": GetPosition, "Displacement": Displacement,
    "Distance": Distance, "FindNearestElement": FindNearestElement, "FindCenterElement": FindCenterElement,
    "SelectNodesByMask": SelectNodesByMask, "GetTargetNodes": GetTargetNodes,
    "GetTargetPositions": GetTargetPositions, "GetSourceNodes": GetSourceNodes,
    "GetSourcePositions": GetSourcePositions, "DumpLayerNodes": queries.dump_layer_nodes,
    "PlotLayer": plotting.plot_layer, "PlotTargets": plotting.plot_targets, "PlotSources": plotting.plot_sources,
    "PlotProbabilityParameter": plotting.plot_probability_parameter,
}


def create(kernel, node_collection_class, model, n, params, spec):
    """``Create(model, n, params, positions=spec)`` for the PyNEST layer's ``kernel``."""
    if isinstance(spec, positions.grid) and n not in (None, 1):
        raise JaxsnnError("Create: cannot specify the number of nodes with grid positions (NEST: 'Cannot specify "
                          "number of nodes with grid positions').")
    drawn = isinstance(spec, positions.free) and not isinstance(spec.pos, np.ndarray)
    nodes = kernel.net.create(model, n if drawn else None, params, positions=spec)
    kernel.changed(connections=True)
    return node_collection_class._trusted(kernel.net, nodes.ids)


def install(module, kernel, node_collection_class):
    """Give the PyNEST-like ``module`` NEST's spatial names and ``kernel`` its Create(positions=) hook."""
    module.spatial = spatial
    module.spatial_distributions = spatial_distributions
    for name, fn in VERBS.items():
        setattr(module, name, fn)

    def DumpLayerConnections(source_layer, target_layer, synapse_model, outname):  # noqa: N802
        """The connections as they are now (weights after the last Simulate) written as NEST writes them."""
        table = module.GetConnections(source_layer, target_layer, synapse_model).get(
            ["source", "target", "weight", "delay"], output="pandas")
        queries.dump_layer_connections(source_layer, target_layer, table, outname)

    module.DumpLayerConnections = DumpLayerConnections
    kernel.create_spatial = lambda model, n, params, spec: create(kernel, node_collection_class, model, n, params,
                                                                  spec)
