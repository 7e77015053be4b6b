"""The spatial module against NEST 3.10's stored numbers (tests/reference/tools/nest_spatial.py):
positions, spatial metadata, displacements, distances, nearest and centre elements, mask membership,
SelectNodesByMask and the exact set of connections at p = 1."""
import json

import numpy as np
import pytest

import jaxsnn
from jaxsnn import spatial
from jaxsnn.spatial import masks as jmasks

from .conftest import CASES

GEO = json.loads((CASES / "spatial_geometry.json").read_text())
CONN = json.loads((CASES / "spatial_connections.json").read_text())


def make_layer(net, spec):
    if spec["kind"] == "grid":
        pos = spatial.grid(spec["shape"], extent=spec.get("extent"), center=spec.get("center"),
                           edge_wrap=spec.get("edge_wrap", False))
    else:
        pos = spatial.free(spec["pos"], extent=spec.get("extent"), edge_wrap=spec.get("edge_wrap", False))
    return net.create("iaf_psc_alpha", positions=pos)


@pytest.fixture(scope="module")
def layers():
    net = jaxsnn.Network()
    return {name: make_layer(net, spec) for name, spec in GEO["layers"].items()}


def mask_of(m):
    return jmasks.as_mask(m)


def test_positions_bit_for_bit(layers):
    for name, nc in layers.items():
        np.testing.assert_array_equal(spatial.get_position(nc), np.array(GEO["positions"][name]), err_msg=name)


def test_spatial_metadata(layers):
    for name, nc in layers.items():
        want = GEO["spatial"][name]
        got = nc.spatial
        np.testing.assert_array_equal(got["center"], want["center"], err_msg=name)
        np.testing.assert_array_equal(got["extent"], want["extent"], err_msg=name)
        assert got["edge_wrap"] == want["edge_wrap"]
        assert got["network_size"] == len(GEO["positions"][name])


def _arg(layers, name, idx):
    nc = layers[name]
    return nc[idx[0]:idx[-1] + 1]


@pytest.mark.parametrize("what", ["displacement", "distance"])
def test_displacement_and_distance(layers, what):
    fn = spatial.displacement if what == "displacement" else spatial.distances
    for case in GEO[what]:
        to = _arg(layers, case["to"], case["to_idx"])
        frm = case["from_pos"] if "from_pos" in case else _arg(layers, case["from"], case["from_idx"])
        got = fn(frm, to)
        np.testing.assert_allclose(got, np.array(case["value"]), rtol=0, atol=1e-12, err_msg=str(case)[:200])


def test_nearest_and_center_element(layers):
    for case in GEO["nearest"]:
        nc = layers[case["layer"]]
        assert spatial.find_nearest_element(nc, case["location"]) == nc[case["index"]]
    for name, idx in GEO["center_element"].items():
        assert spatial.find_center_element(layers[name]) == layers[name][idx], name


def test_mask_membership():
    for case in GEO["inside"]:
        if "op" in case:
            a, b = (mask_of(m) for m in case["masks"])
            m = {"&": a & b, "|": a | b, "-": a - b}[case["op"]]
        else:
            m = mask_of(case["mask"])
        pts = np.array(case["points"])
        np.testing.assert_array_equal(m.inside(pts), np.array(case["inside"]), err_msg=str(case.get("mask")))
        assert m.Inside(pts[0]) == case["inside"][0]


def test_select_nodes_by_mask(layers):
    for case in GEO["select"]:
        nc = layers[case["layer"]]
        got = spatial.select_nodes_by_mask(nc, case["anchor"], mask_of(case["mask"]))
        assert (got.ids - nc.ids[0]).tolist() == case["indices"], (case["layer"], case["mask"])


@pytest.mark.parametrize("case", CONN["cases"], ids=lambda c: f"{c['source']}->{c['target']}:"
                         f"{next(k for k in c['conn_spec']['mask'] if k != 'anchor')}"
                         f"{'-on_source' if c['conn_spec'].get('use_on_source') else ''}")
def test_connections_at_p1(case):
    net = jaxsnn.Network()
    a = make_layer(net, CONN["layers"][case["source"]])
    b = a if case["same_layer"] else make_layer(net, CONN["layers"][case["target"]])
    net.connect(a, b, case["conn_spec"])
    c = net._conns[-1]
    got = sorted(zip((c.target - b.ids[0]).tolist(), (c.source - a.ids[0]).tolist()))
    want = [(t, s) for s, t in case["pairs"]]
    assert len(want) > 0
    missing, extra = set(want) - set(got), set(got) - set(want)
    assert not missing and not extra, f"{len(missing)} missing {sorted(missing)[:5]}, {len(extra)} extra " \
                                      f"{sorted(extra)[:5]}"
    assert got == want  # multiplicities too


PARAMS = json.loads((CASES / "spatial_parameters.json").read_text())


@pytest.mark.parametrize("case", PARAMS["cases"], ids=lambda c: f"{c['source']}->{c['target']}")
def test_weights_and_delays_from_spatial_parameters(case):
    """Weights within 1e-12 of NEST's, delays NEST's exactly (rounded to steps as NEST rounds them)."""
    env = {"sp": spatial, "sd": jaxsnn.spatial_distributions, "m": jaxsnn.math}
    net = jaxsnn.Network(resolution=case["resolution"])
    a = make_layer(net, PARAMS["layers"][case["source"]])
    b = a if case["same_layer"] else make_layer(net, PARAMS["layers"][case["target"]])
    net.connect(a, b, case["conn_spec"], {"weight": eval(case["weight"], env), "delay": eval(case["delay"], env)})
    c = net._conns[-1]
    got = sorted(zip((c.target - b.ids[0]).tolist(), (c.source - a.ids[0]).tolist(), c.weight.tolist(),
                     (c.delay * case["resolution"]).tolist()))
    want = sorted((t, s, w, d) for s, t, w, d in case["connections"])
    assert [g[:2] for g in got] == [w[:2] for w in want]
    np.testing.assert_allclose([g[2] for g in got], [w[2] for w in want], rtol=0, atol=1e-12)
    np.testing.assert_allclose([g[3] for g in got], [w[3] for w in want], rtol=0, atol=1e-12)


def test_delays_round_as_nest_rounds_them():
    """A delay becomes floor(d / h + 0.5) steps straight from ms (0.64999999 ms at h = 0.1 is 6 steps;
    rounding through microsecond tics would give 7)."""
    from jaxsnn.build.network import delay_steps

    for case in PARAMS["delay_rounding"]:
        h = case["resolution"]
        steps = delay_steps(np.array([case["delay"]]), h, int(round(h * 1000)), "test")[0]
        assert abs(steps * h - case["nest_delay"]) < 1e-12, case
