"""Synapse models beyond static_synapse and stdp_synapse(_hom) in networks, against NEST 3.10's
``kind: "synapse"`` cases (transmitted weights, final state, the receiving neuron's spikes and V_m)."""
import json

import numpy as np
import pytest

import jaxsnn
from jaxsnn.errors import JaxsnnError
from jaxsnn.testing.conformance import compare, run_case

from .conftest import case_files

IN_NETWORKS = ("stdp_pl_synapse_hom", "static_synapse_hom_w")
CASES = [f for f in case_files("syn_") if json.loads(f.read_text())["synapse"] in IN_NETWORKS]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_synapse_case(path, precision):
    case = json.loads(path.read_text())
    result = compare(case, run_case(case), precision)
    assert all(ok for ok, _ in result.values()), {k: d for k, (ok, d) in result.items() if not ok}


def _pair(model="stdp_pl_synapse_hom", **common):
    net = jaxsnn.Network()
    p = net.create("parrot_neuron", 2)
    net.copy_model(model, "syn", common)
    return net, p[0], p[1]


@pytest.mark.parametrize("model,param", [("stdp_pl_synapse_hom", "mu"), ("stdp_pl_synapse_hom", "tau_plus"),
                                         ("static_synapse_hom_w", "weight")])
def test_common_properties_only_by_copy_model(model, param):
    net, a, b = _pair(model)
    with pytest.raises(JaxsnnError, match=f"common properties of {model}"):
        net.connect(a, b, syn_spec={"synapse_model": "syn", param: 2.0})


def test_static_synapse_hom_w_weight_from_the_model():
    net, a, b = _pair("static_synapse_hom_w", weight=3.5)
    net.connect(a, b, syn_spec={"synapse_model": "syn", "delay": 2.0})
    c = net.build().connections("syn")
    assert c.weight.tolist() == [3.5] and c.delay.tolist() == [2.0]


def test_stdp_pl_connections_report_nest_names():
    net, a, b = _pair(mu=0.3, alpha=0.5)
    net.connect(a, b, syn_spec={"synapse_model": "syn", "weight": 4.0, "Kplus": 0.5})
    c = net.build().connections("syn")
    assert {"tau_plus", "lambda", "alpha", "mu", "Kplus"} <= set(c.columns)
    assert (c.mu.iloc[0], c.alpha.iloc[0], c.Kplus.iloc[0], c.weight.iloc[0]) == (0.3, 0.5, 0.5, 4.0)


def test_stdp_pl_refuses_differentiable_build_by_name():
    net, a, b = _pair()
    net.connect(a, b, syn_spec={"synapse_model": "syn"})
    with pytest.raises(JaxsnnError, match="stdp_pl_synapse_hom is not differentiable"):
        net.build(differentiable=True)


def test_stdp_pl_with_stdp_synapse_refused_by_name():
    net, a, b = _pair()
    net.connect(a, b, syn_spec={"synapse_model": "syn"})
    net.connect(b, a, syn_spec={"synapse_model": "stdp_synapse"})
    with pytest.raises(JaxsnnError, match="stdp_pl_synapse_hom only in networks"):
        net.build()


@pytest.mark.parametrize("alias", ["stdp_pl_synapse_hom_hpc", "static_synapse_hpc", "stdp_synapse_hom_hpc",
                                   "stdp_synapse_hpc", "static_synapse_hom_w_hpc"])
def test_hpc_names(alias, x64):
    """NEST's *_hpc models compute what their base models do."""
    base = alias[:-4]
    case = json.loads(next(f for f in CASES if "stdp_pl_hom_hpc" in f.name).read_text())
    out = {}
    for name in (base, alias):
        net = jaxsnn.Network()
        g = net.create("spike_generator", params={"spike_times": case["pre_input_times"]})
        h = net.create("spike_generator", params={"spike_times": case["post_input_times"]})
        p = net.create("parrot_neuron", 2)
        a, b = p[0], p[1]
        net.connect(g, a, syn_spec={"delay": 1.0})
        net.connect(h, b, syn_spec={"delay": 1.0})
        net.copy_model(name, "syn", {"weight": 2.0} if "hom_w" in name else {})
        net.connect(a, b, syn_spec={"synapse_model": "syn", "receptor_type": 1,
                                    **({} if "hom_w" in name else {"weight": 5.0})})
        out[name] = jaxsnn.simulate(net.build(), 500.0).connections("syn").weight.to_numpy()
    np.testing.assert_array_equal(out[base], out[alias])
