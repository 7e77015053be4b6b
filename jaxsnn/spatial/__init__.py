"""Spatially structured networks (NEST's spatial module): layers, masks, geometry, spatial rules.

>>> net = jaxsnn.Network(seed=1)
>>> layer = net.create("iaf_psc_alpha", positions=jaxsnn.spatial.grid([10, 10], extent=[1.0, 1.0]))
>>> net.connect(layer, layer, {"rule": "pairwise_bernoulli", "p": 1.0,
...                            "mask": {"circular": {"radius": 0.2}}})

- :mod:`~jaxsnn.spatial.positions`: :class:`grid` and :class:`free` layers (NEST's positions and node order);
- :mod:`~jaxsnn.spatial.masks`: :func:`create_mask` and mask algebra;
- :mod:`~jaxsnn.spatial.geometry`: displacements and distances with periodic boundaries;
- :mod:`~jaxsnn.spatial.queries`: :func:`get_position`, :func:`displacement`, :func:`distances`
  (NEST's ``Distance``; the name ``distance`` is NEST's distance Parameter),
  :func:`find_nearest_element`, :func:`find_center_element`, :func:`select_nodes_by_mask`,
  :func:`get_target_nodes`, :func:`get_target_positions`, :func:`get_source_nodes`,
  :func:`get_source_positions`, :func:`dump_layer_nodes`;
- :mod:`~jaxsnn.spatial.parameters`: :data:`distance` (``.x``, ``.y``, ``.z``), :data:`pos`,
  :data:`source_pos`, :data:`target_pos`; :mod:`~jaxsnn.spatial.distributions`: distance kernels
  (also ``jaxsnn.spatial_distributions``, NEST's name);
- :mod:`~jaxsnn.spatial.rules`: ``connect`` with a mask and spatial ``p``, weights and delays;
- :mod:`~jaxsnn.spatial.plotting`: :func:`plot_layer`, :func:`plot_targets`, :func:`plot_sources`,
  :func:`plot_probability_parameter`
  (matplotlib, imported when used).

NEST's names (``GetPosition``, ``Displacement``, ``CreateMask``, ...) are aliases of these.
"""
from . import distributions
from .masks import Mask, create_mask
from .parameters import distance, pos, source_pos, target_pos
from .plotting import plot_layer, plot_probability_parameter, plot_sources, plot_targets
from .positions import Layer, free, grid
from .queries import (
    displacement,
    distances,
    dump_layer_nodes,
    find_center_element,
    find_nearest_element,
    get_position,
    get_source_nodes,
    get_source_positions,
    get_target_nodes,
    get_target_positions,
    select_nodes_by_mask,
)

# NEST's spellings
CreateMask = create_mask
GetPosition = get_position
Displacement = displacement
Distance = distances
FindNearestElement = find_nearest_element
FindCenterElement = find_center_element
SelectNodesByMask = select_nodes_by_mask
GetTargetNodes = get_target_nodes
GetTargetPositions = get_target_positions
GetSourceNodes = get_source_nodes
GetSourcePositions = get_source_positions
DumpLayerNodes = dump_layer_nodes
PlotSources = plot_sources
PlotLayer = plot_layer
PlotTargets = plot_targets
PlotProbabilityParameter = plot_probability_parameter

__all__ = [
    "CreateMask", "Displacement", "Distance", "DumpLayerNodes", "FindCenterElement", "FindNearestElement",
    "GetPosition", "GetSourceNodes", "GetSourcePositions", "GetTargetNodes", "GetTargetPositions", "Layer", "Mask",
    "PlotLayer", "PlotProbabilityParameter", "PlotSources", "PlotTargets", "SelectNodesByMask", "create_mask",
    "displacement", "distance", "distances", "distributions", "dump_layer_nodes", "find_center_element",
    "find_nearest_element", "free", "get_position", "get_source_nodes", "get_source_positions", "get_target_nodes",
    "get_target_positions", "grid", "plot_layer", "plot_probability_parameter", "plot_sources", "plot_targets",
    "pos", "select_nodes_by_mask", "source_pos", "target_pos",
]
