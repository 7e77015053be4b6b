"""Random spatial connections are NEST's statistically: the distances of the connections made (binned)
agree with NEST 3.10's and, for pairwise_bernoulli, with the kernel summed over the mask's candidates;
degrees agree; and a spatially connected network fires at NEST's rate
(tests/reference/tools/nest_spatial.py, ``statistics``)."""
import json

import jax
import numpy as np
import pytest
from scipy import stats

import jaxsnn
from jaxsnn import spatial

from .conftest import CASES

STATS = json.loads((CASES / "spatial_statistics.json").read_text())
ENV = {"sp": spatial, "sd": jaxsnn.spatial_distributions, "m": jaxsnn.math}


def layer_net(seed):
    net = jaxsnn.Network(seed=seed)
    L = STATS["layer"]
    return net, net.create("iaf_psc_alpha", positions=spatial.grid(L["shape"], extent=L["extent"],
                                                                     edge_wrap=L["edge_wrap"]))


def distances(net, layer):
    c = net._conns[-1]
    pos = spatial.get_position(layer)
    s, t = c.source - layer.ids[0], c.target - layer.ids[0]
    d = pos[t] - pos[s]
    d -= np.round(d)  # the extent is 1 and the layer periodic, as in the generator
    return np.sqrt((d ** 2).sum(axis=1)), s, t


def homogeneous(a, b) -> float:
    """p-value of the chi-square test that two histograms come from one distribution."""
    keep = (a + b) > 0
    return stats.chi2_contingency(np.stack([a[keep], b[keep]]))[1]


@pytest.mark.parametrize("name", list(STATS["rules"]))
def test_distance_histogram_and_degrees_match_nest(name):
    case = STATS["rules"][name]
    bins = np.array(STATS["bins"])
    hist, degrees = np.zeros(len(bins) - 1), []
    for seed in range(1, case["seeds"] + 1):
        net, layer = layer_net(seed)
        spec = dict(case["conn_spec"], **({"p": eval(case["p"], ENV)} if case["p"] else {}))
        net.connect(layer, layer, spec)
        d, s, t = distances(net, layer)
        hist += np.histogram(d, bins)[0]
        degrees.append(np.bincount(t if spec["rule"] != "fixed_outdegree" else s, minlength=len(layer)))
    nest_hist = np.array(case["histogram"])
    assert homogeneous(hist, nest_hist) > 1e-4, (hist, nest_hist)
    assert np.mean(degrees) == pytest.approx(case["degree_mean"], rel=0.01)
    assert np.var(degrees) == pytest.approx(case["degree_var"], rel=0.15, abs=1e-9)


def test_connection_probability_by_distance_is_the_kernel():
    """pairwise_bernoulli: per distance bin, connections ~ Binomial of the kernel over the candidates."""
    case = STATS["rules"]["bernoulli_gaussian"]
    bins = np.array(STATS["bins"])
    net, layer = layer_net(1)
    net.connect(layer, layer, dict(case["conn_spec"], p=1.0))
    d_all, _, _ = distances(net, layer)
    kernel = 0.8 * np.exp(-d_all ** 2 / (2 * 0.15 ** 2))
    expected = np.histogram(d_all, bins, weights=kernel)[0] * case["seeds"]
    var = np.histogram(d_all, bins, weights=kernel * (1 - kernel))[0] * case["seeds"]
    hist = np.zeros(len(bins) - 1)
    for seed in range(1, case["seeds"] + 1):
        net, layer = layer_net(seed)
        net.connect(layer, layer, dict(case["conn_spec"], p=eval(case["p"], ENV)))
        hist += np.histogram(distances(net, layer)[0], bins)[0]
    assert np.all(np.abs(hist - expected) < 5 * np.sqrt(var) + 1), (hist, expected)
    nest_hist = np.array(case["histogram"])
    assert np.all(np.abs(nest_hist - expected) < 5 * np.sqrt(var) + 1)  # the reference itself obeys the kernel


@pytest.mark.slow
def test_rate_of_a_spatially_connected_network_matches_nest():
    r = STATS["rate"]
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        net = jaxsnn.Network(resolution=0.1, seed=11)
        L = r["layer"]
        layer = net.create("iaf_psc_alpha", positions=spatial.grid(L["shape"], extent=L["extent"],
                                                                     edge_wrap=L["edge_wrap"]), params=r["neuron"])
        pg = net.create("poisson_generator", params={"rate": r["rate"]})
        net.connect(pg, layer, syn_spec={"weight": r["w_in"]})
        net.connect(layer, layer, {"rule": "pairwise_bernoulli", "p": eval(r["p"], ENV), "mask": r["mask"]},
                    {"weight": r["w"], "delay": eval(r["delay"], ENV)})
        sr = net.create("spike_recorder")
        net.connect(layer, sr)
        sim = jaxsnn.simulate(net.build(), r["t"])
        rate = len(sim.events(sr)) / len(layer) / (r["t"] / 1000.0)
    finally:
        jax.config.update("jax_enable_x64", old)
    nest = np.array(r["rates_hz"])
    assert abs(rate - nest.mean()) < max(5 * nest.std(ddof=1), 0.02 * nest.mean()), (rate, nest)
