"""PyNEST spatial scripts through ``jaxsnn.nest`` with only the import changed: positions, distances and
the connections at p = 1 are NEST 3.10's stored ones (tests/reference/tools/nest_spatial.py)."""
import json

import numpy as np
import pytest

import jaxsnn.nest as nest

from .conftest import CASES

GEO = json.loads((CASES / "spatial_geometry.json").read_text())
CONN = json.loads((CASES / "spatial_connections.json").read_text())


def make_layer(spec):
    if spec["kind"] == "grid":
        pos = nest.spatial.grid(shape=spec["shape"], extent=spec.get("extent"), center=spec.get("center"),
                                edge_wrap=spec.get("edge_wrap", False))
    else:
        pos = nest.spatial.free(spec["pos"], extent=spec.get("extent"), edge_wrap=spec.get("edge_wrap", False))
    return nest.Create("iaf_psc_alpha", positions=pos)


def test_positions_and_distances_as_pynest_returns_them():
    nest.ResetKernel()
    layers = {name: make_layer(spec) for name, spec in GEO["layers"].items()}
    for name, nc in layers.items():
        assert nest.GetPosition(nc) == GEO["positions"][name]
        assert isinstance(nest.GetPosition(nc[0]), list) and len(nest.GetPosition(nc[0])) == len(
            GEO["positions"][name][0])
    for case in GEO["distance"]:
        if "from_pos" in case:
            continue
        a = layers[case["from"]][case["from_idx"][0]:case["from_idx"][-1] + 1]
        b = layers[case["to"]][case["to_idx"][0]:case["to_idx"][-1] + 1]
        np.testing.assert_allclose(nest.Distance(a, b), case["value"], rtol=0, atol=1e-12)
    for name, idx in GEO["center_element"].items():
        assert nest.FindCenterElement(layers[name]) == layers[name][idx]


@pytest.mark.parametrize("case", CONN["cases"][:8], ids=lambda c: f"{c['source']}->{c['target']}")
def test_connect_with_mask_gives_nests_connections(case):
    nest.ResetKernel()
    a = make_layer(CONN["layers"][case["source"]])
    b = a if case["same_layer"] else make_layer(CONN["layers"][case["target"]])
    spec = dict(case["conn_spec"])
    m = spec["mask"]
    kind = next(k for k in m if k != "anchor")
    spec["mask"] = nest.CreateMask(kind, m[kind], anchor=m.get("anchor")) if kind != "grid" else m
    nest.Connect(a, b, spec)
    c = nest.GetConnections(a, b)
    got = sorted(zip(np.array(c.get("target"), ndmin=1) - b[0].global_id,
                     np.array(c.get("source"), ndmin=1) - a[0].global_id))
    assert [(int(t), int(s)) for t, s in got] == [(t, s) for s, t in case["pairs"]]


# NEST 3.10's files for a 2 x 2 grid (extent 1) and two free 3D nodes, all connected at p = 1 within 0.6
NEST_NODES = ["1 -0.25 0.25", "2 -0.25 -0.25", "3 0.25 0.25", "4 0.25 -0.25", "5 0.1 0.2 0.3", "6 0.4 0.5 -0.1"]
NEST_CONNECTIONS = ["1 1 2.5 1.5 0 0", "1 2 2.5 1.5 0 -0.5", "1 3 2.5 1.5 0.5 0", "2 1 2.5 1.5 0 0.5",
                    "2 2 2.5 1.5 0 0", "2 4 2.5 1.5 0.5 0", "3 1 2.5 1.5 -0.5 0", "3 3 2.5 1.5 0 0",
                    "3 4 2.5 1.5 0 -0.5", "4 2 2.5 1.5 -0.5 0", "4 3 2.5 1.5 0 0.5", "4 4 2.5 1.5 0 0"]


def test_dumps_and_sources_as_nest(tmp_path):
    nest.ResetKernel()
    grid = nest.Create("iaf_psc_alpha", positions=nest.spatial.grid(shape=[2, 2], extent=[1.0, 1.0]))
    free = nest.Create("iaf_psc_alpha", positions=nest.spatial.free([[0.1, 0.2, 0.3], [0.4, 0.5, -0.1]]))
    nest.Connect(grid, grid, {"rule": "pairwise_bernoulli", "p": 1.0, "mask": {"circular": {"radius": 0.6}}},
                 {"weight": 2.5, "delay": 1.5})
    nest.DumpLayerNodes(grid, tmp_path / "grid.txt")
    nest.DumpLayerNodes(free, tmp_path / "free.txt")
    assert ((tmp_path / "grid.txt").read_text() + (tmp_path / "free.txt").read_text()).splitlines() == NEST_NODES
    nest.DumpLayerConnections(grid, grid, "static_synapse", tmp_path / "conns.txt")
    assert sorted((tmp_path / "conns.txt").read_text().splitlines()) == NEST_CONNECTIONS
    assert [x.tolist() for x in nest.GetSourceNodes(grid[:2], grid)] == [[1, 2], [1, 2], [1], [2]]
    assert nest.GetSourcePositions(grid[:2], grid) == [[[-0.25, 0.25], [-0.25, -0.25]], [[-0.25, 0.25], [-0.25, -0.25]],
                                                       [[-0.25, 0.25]], [[-0.25, -0.25]]]
    import matplotlib

    matplotlib.use("Agg")
    drawn = [c.get_offsets().tolist() for c in nest.PlotSources(grid, grid[3]).gca().collections]
    assert sorted(map(tuple, drawn[0])) == [(-0.25, -0.25), (0.25, -0.25), (0.25, 0.25)]  # node 4's sources: 2, 3, 4
    assert drawn[1] == [[0.25, -0.25]]
