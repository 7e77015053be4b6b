"""The spatial module's own guarantees: rules' invariants (degrees, masks, autapses, multapses),
probabilities against binomial bounds, and clear errors for bad input."""
import numpy as np
import pytest

import jaxsnn
from jaxsnn import spatial
from jaxsnn.errors import JaxsnnError
from jaxsnn.spatial import geometry


def grid_net(shape=(20, 20), wrap=True, seed=3):
    net = jaxsnn.Network(seed=seed)
    layer = net.create("iaf_psc_alpha", positions=spatial.grid(list(shape), extent=[1.0, 1.0], edge_wrap=wrap))
    return net, layer


def pairs(net):
    c = net._conns[-1]
    return c.source, c.target


def disp(layer, s, t):
    lay, _ = layer._net._layer_of(layer.ids, "test")
    p = lay.positions
    first = layer.ids[0]
    return geometry.displacement(p[s - first], p[t - first], lay.extent, lay.periodic)


@pytest.mark.parametrize("multi", [True, False])
def test_fixed_indegree_with_mask(multi):
    net, layer = grid_net()
    mask = {"circular": {"radius": 0.21}}
    net.connect(layer, layer, {"rule": "fixed_indegree", "indegree": 7, "mask": mask, "allow_autapses": False,
                               "allow_multapses": multi})
    s, t = pairs(net)
    assert np.array_equal(np.bincount(t - layer.ids[0], minlength=len(layer)), np.full(len(layer), 7))
    assert not np.any(s == t)
    assert np.all(geometry.length(disp(layer, t, s)) <= 0.21 + 1e-12)  # source inside the mask around the target
    if not multi:
        assert len(np.unique(s * 10**6 + t)) == len(s)


def test_fixed_outdegree_with_mask_and_kernel():
    net, layer = grid_net()
    mask = {"rectangular": {"lower_left": [0.0, -0.1], "upper_right": [0.3, 0.1]}}
    net.connect(layer, layer, {"rule": "fixed_outdegree", "outdegree": 5, "mask": mask, "allow_multapses": False})
    s, t = pairs(net)
    assert np.array_equal(np.bincount(s - layer.ids[0], minlength=len(layer)), np.full(len(layer), 5))
    d = disp(layer, s, t)  # target − source inside the mask
    assert np.all((d[:, 0] >= -1e-12) & (d[:, 0] <= 0.3 + 1e-12) & (np.abs(d[:, 1]) <= 0.1 + 1e-12))
    assert len(np.unique(s * 10**6 + t)) == len(s)


def test_pairwise_bernoulli_probability_inside_mask():
    net, layer = grid_net((30, 30))
    mask = spatial.create_mask("circular", {"radius": 0.15})
    net.connect(layer, layer, {"rule": "pairwise_bernoulli", "p": 1.0, "mask": mask})
    n_candidates = len(pairs(net)[0])
    net.connect(layer, layer, {"rule": "pairwise_bernoulli", "p": 0.3, "mask": mask})
    k = len(pairs(net)[0])
    sd = np.sqrt(n_candidates * 0.3 * 0.7)
    assert abs(k - 0.3 * n_candidates) < 5 * sd


def test_not_enough_candidates_is_an_error():
    net, layer = grid_net((5, 5), wrap=False)
    with pytest.raises(JaxsnnError, match="inside the mask"):
        net.connect(layer, layer, {"rule": "fixed_indegree", "indegree": 3, "allow_multapses": False,
                                   "mask": {"circular": {"radius": 0.1}}})


@pytest.mark.parametrize("make, match", [
    (lambda: spatial.grid([3]), "shape"),
    (lambda: spatial.grid([3, 3], extent=[1.0, -1.0]), "extent"),
    (lambda: spatial.free([[0.0, 0.0]], extent=[1.0, 1.0], num_dimensions=2), "not both"),
    (lambda: spatial.create_mask("circular", {"radius": -1.0}), "radius"),
    (lambda: spatial.create_mask("rectangular", {"lower_left": [0.0, 0.0], "upper_right": [0.0, 1.0]}), "upper_right"),
    (lambda: spatial.create_mask("doughnut", {"inner_radius": 0.3, "outer_radius": 0.2}), "inner_radius"),
    (lambda: spatial.create_mask("circle", {"radius": 1.0}), "Did you mean"),
])
def test_bad_input(make, match):
    with pytest.raises(JaxsnnError, match=match):
        make()


def test_bad_connect_input():
    net, layer = grid_net((4, 4))
    with pytest.raises(JaxsnnError, match="use_on_source"):
        net.connect(layer, layer, {"rule": "fixed_indegree", "indegree": 1, "use_on_source": True,
                                   "mask": {"circular": {"radius": 0.3}}})
    with pytest.raises(JaxsnnError, match="allow_oversized_mask"):
        net.connect(layer, layer, {"rule": "pairwise_bernoulli", "p": 1.0, "mask": {"circular": {"radius": 0.8}}})
    other = net.create("iaf_psc_alpha", 3)
    with pytest.raises(JaxsnnError, match="spatial layer"):
        net.connect(other, layer, {"rule": "pairwise_bernoulli", "p": 1.0, "mask": {"circular": {"radius": 0.3}}})
    with pytest.raises(JaxsnnError, match="n=5"):
        net.create("iaf_psc_alpha", 5, positions=spatial.grid([2, 2]))


def test_free_layer_drawn_positions():
    net = jaxsnn.Network(seed=5)
    layer = net.create("iaf_psc_alpha", 200, positions=spatial.free(jaxsnn.random.uniform(-0.5, 0.5),
                                                                     num_dimensions=3))
    pos = spatial.get_position(layer)
    assert pos.shape == (200, 3) and np.all(np.abs(pos) <= 0.5)
    assert layer.spatial["extent"].tolist() == [1.0, 1.0, 1.0]  # ceil of the points' spread


@pytest.mark.slow
def test_example_runs_and_its_probabilities_follow_the_kernel(tmp_path):
    import json
    import subprocess
    import sys

    from .conftest import ROOT

    r = subprocess.run([sys.executable, str(ROOT / "examples" / "spatial_network.py"), "--out", str(tmp_path),
                        "--side", "16", "--t-sim", "100"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["probability_by_distance"]["worst_deviation_in_sd"] < 5
    assert s["n_connections"] > 1000 and all(v > 0 for v in s["rates_hz"].values())
    assert (tmp_path / "spatial_network.png").stat().st_size > 10_000


def test_plots_draw_the_layer_and_the_targets():
    import matplotlib

    matplotlib.use("Agg")
    net, layer = grid_net((9, 9))
    mask = {"circular": {"radius": 0.25}}
    p = jaxsnn.spatial_distributions.gaussian(spatial.distance, std=0.1)
    net.connect(layer, layer, {"rule": "pairwise_bernoulli", "p": 1.0, "mask": mask})
    fig = spatial.PlotLayer(layer)
    assert len(fig.gca().collections[0].get_offsets()) == 81
    centre = spatial.find_center_element(layer)
    fig = spatial.PlotTargets(centre, layer, mask=mask, probability_parameter=p)
    drawn = fig.gca().collections
    targets = spatial.get_target_positions(centre, layer)[0]
    assert any(len(c.get_offsets()) == len(targets) and np.allclose(np.sort(c.get_offsets(), axis=0),
                                                                     np.sort(targets, axis=0)) for c in drawn)
    ax = spatial.PlotProbabilityParameter(centre, p, mask=mask)
    img = ax.images[0].get_array()
    assert img.max() == pytest.approx(1.0, abs=0.05) and img.min() < 0.01
