"""Describing networks: node ids, models, connection rules, random parameters and input errors."""
import numpy as np
import pytest

import jaxsnn
from jaxsnn import JaxsnnError


def test_node_ids_are_one_based_and_contiguous_over_all_creates():
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 3)
    pg = net.create("poisson_generator")
    b = net.create("iaf_psc_delta", 2)
    assert a.tolist() == [1, 2, 3] and pg.tolist() == [4] and b.tolist() == [5, 6]
    assert (b + a).tolist() == [1, 2, 3, 5, 6]  # sorted by id, as in NEST
    assert (a + b)[3:].tolist() == [5, 6]
    with pytest.raises(JaxsnnError, match="overlapping"):
        a + a[:1]


def test_copy_model_has_own_defaults():
    net = jaxsnn.Network()
    net.copy_model("stdp_synapse_hom", "e_syn", {"Wmax": 2.0})
    assert net.models.get("e_syn").defaults["Wmax"] == 2.0
    assert net.models.get("stdp_synapse_hom").defaults["Wmax"] == 100.0
    with pytest.raises(JaxsnnError, match="exists already"):
        net.copy_model("static_synapse", "e_syn")


@pytest.mark.parametrize("params, match", [
    ({"tau_m": 0.0}, "tau_m"), ({"C_m": -1.0}, "C_m"), ({"t_ref": -0.1}, "t_ref"),
    ({"V_reset": -50.0}, "V_reset=-50.0 must be below V_th"), ({"tau_m": float("nan")}, "NaN"),
    ({"tau_mem": 5.0}, "Did you mean 'tau_m'"), ({"V_m": np.zeros(4)}, "length 3"),
])
def test_bad_neuron_parameters(params, match):
    with pytest.raises(JaxsnnError, match=match):
        jaxsnn.Network().create("iaf_psc_delta", 3, params=params)


def test_bad_input_errors_name_argument_and_value():
    net = jaxsnn.Network()
    n = net.create("iaf_psc_delta", 5)
    with pytest.raises(JaxsnnError, match="delay=0.04 .*resolution"):
        net.connect(n, n, syn_spec={"delay": 0.04})
    with pytest.raises(JaxsnnError, match="indegree.*=6 is larger than the 5 sources"):
        net.connect(n, n, {"rule": "fixed_indegree", "indegree": 6, "allow_multapses": False})
    with pytest.raises(JaxsnnError, match="equal size.*5 sources and 2 targets"):
        net.connect(n, n[:2], "one_to_one")
    with pytest.raises(JaxsnnError, match="rate=-1.0"):
        net.create("poisson_generator", params={"rate": -1.0})
    with pytest.raises(JaxsnnError, match="Wmax.*common properties"):
        net.connect(n, n, syn_spec={"synapse_model": "stdp_synapse_hom", "Wmax": 3.0})
    with pytest.raises(JaxsnnError, match="same sign"):
        net.connect(n, n, syn_spec={"synapse_model": "stdp_synapse", "weight": -1.0})
    with pytest.raises(JaxsnnError, match="unknown connection rule 'fixed_indgree'.*fixed_indegree"):
        net.connect(n, n, {"rule": "fixed_indgree", "indegree": 2})
    sim = net.build()
    with pytest.raises(JaxsnnError, match="t=0.05 .*whole number of steps"):
        jaxsnn.simulate(sim, 0.05)


def conns(sim):
    return sim.connections()


def test_fixed_indegree_counts_and_flags():
    net = jaxsnn.Network(seed=3)
    src = net.create("iaf_psc_delta", 20)
    net.connect(src, src, {"rule": "fixed_indegree", "indegree": 7, "allow_autapses": False,
                           "allow_multapses": False})
    c = conns(net.build())
    assert (c.groupby("target").size() == 7).all() and len(c) == 140
    assert (c.source != c.target).all()
    assert not c.duplicated(["source", "target"]).any()


def test_default_rules_allow_autapses_and_multapses():
    net = jaxsnn.Network(seed=5)
    n = net.create("iaf_psc_delta", 10)
    net.connect(n, n, {"rule": "fixed_indegree", "indegree": 8})
    c = conns(net.build())
    assert (c.source == c.target).any() and c.duplicated(["source", "target"]).any()


def test_other_rules():
    net = jaxsnn.Network(seed=7)
    a = net.create("iaf_psc_delta", 30)
    b = net.create("iaf_psc_delta", 40)
    net.connect(a, b, "all_to_all", {"weight": 2.0})
    net.connect(a, b[:30], "one_to_one", {"weight": 3.0})
    net.connect(a, b, {"rule": "fixed_outdegree", "outdegree": 4}, {"weight": 4.0})
    net.connect(a, b, {"rule": "fixed_total_number", "N": 55}, {"weight": 5.0})
    net.connect(b, b, {"rule": "pairwise_bernoulli", "p": 0.3, "allow_autapses": False}, {"weight": 6.0})
    c = conns(net.build())
    assert (c.weight == 2.0).sum() == 1200
    one = c[c.weight == 3.0]
    assert (one.target - one.source == 30).all() and len(one) == 30
    assert (c[c.weight == 4.0].groupby("source").size() == 4).all()
    assert (c.weight == 5.0).sum() == 55
    bern = c[c.weight == 6.0]
    assert (bern.source != bern.target).all()
    assert abs(len(bern) - 0.3 * 40 * 39) < 4 * np.sqrt(0.3 * 0.7 * 40 * 39)


def test_arrays_path_keeps_element_order_and_repeats():
    net = jaxsnn.Network()
    net.create("iaf_psc_delta", 4)
    net.connect(np.array([1, 1, 3]), np.array([2, 2, 4]), "one_to_one",
                {"weight": np.array([0.5, 0.7, 0.9]), "delay": np.array([0.14, 0.15, 2.05])})
    c = conns(net.build())
    assert c.source.tolist() == [1, 1, 3] and c.target.tolist() == [2, 2, 4]
    assert np.allclose(c.weight, [0.5, 0.7, 0.9], rtol=1e-7)  # float32 by default
    assert np.allclose(c.delay, [0.1, 0.2, 2.1])  # NEST's rounding of delays: half up


@pytest.mark.parametrize("dist, mean, std", [
    (jaxsnn.random.normal(-65.0, 5.0), -65.0, 5.0),
    (jaxsnn.random.uniform(-70.0, -60.0), -65.0, 10 / np.sqrt(12)),
    (jaxsnn.random.exponential(2.0), 2.0, 2.0),
    (jaxsnn.random.lognormal(0.0, 0.5), np.exp(0.125), np.sqrt((np.exp(0.25) - 1) * np.exp(0.25))),
])
def test_random_parameters_have_their_moments(dist, mean, std):
    net = jaxsnn.Network(seed=11)
    n = 20000
    net.create("iaf_psc_delta", n, params={"I_e": dist})
    x = net.build().get(names="I_e").I_e.to_numpy()
    assert abs(x.mean() - mean) < 5 * std / np.sqrt(n)
    assert abs(x.std() - std) < 0.05 * std


def test_same_seed_same_network_other_seed_other_network():
    def build(seed):
        net = jaxsnn.Network(seed=seed)
        n = net.create("iaf_psc_delta", 50, params={"V_m": jaxsnn.random.normal(-65.0, 5.0)})
        net.connect(n, n, {"rule": "fixed_indegree", "indegree": 5})
        sim = net.build()
        return sim.get(n).V_m.to_numpy(), conns(sim).source.to_numpy()

    a, b, c = build(1), build(1), build(2)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[1], c[1])
