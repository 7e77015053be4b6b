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
