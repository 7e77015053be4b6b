"""Networks whose plastic synapses follow two rules (NEST 3.10's ``rules_network`` cases, made by
``tests/reference/tools/nest_two_rules.py``): the cases exercise both rules; jaxsnn refuses such a network by
name at build (one STDP-family rule per network)."""
import json

import numpy as np
import pytest

import jaxsnn
from jaxsnn.errors import JaxsnnError

from .conftest import case_files

CASES = case_files("net_rules_")


def _load(path):
    return json.loads(path.read_text())


def test_cases_exercise_both_rules():
    """In NEST, both plastic projections of each case transmit and move their weights, none stuck at a bound."""
    cases = [_load(p) for p in CASES]
    assert {c["name"] for c in cases} == {"net_rules_stdp_vogels", "net_rules_stdp_nn_symm"}
    for c in cases:
        e = c["expected"]
        plastic = [p for p in c["projections"] if p["synapse"] != "static_synapse"]
        assert len({p["synapse"] for p in plastic}) == 2 and len(e["spike_times"]) > 300
        for p in plastic:
            conn = p["connections"]
            w0 = np.array([w for *_, w in sorted(zip(conn["source"], conn["target"], conn["weight"]))])
            w = np.array(e["final"][p["model"]]["weight"])
            assert len(e["weight_recorder"][p["model"]]["times"]) > 300
            assert np.max(np.abs(w - w0)) > 10.0 and not np.any(np.abs(w) >= abs(p["common_params"]["Wmax"]))


def build(case):
    """The case's network in jaxsnn, made as NEST's script made it."""
    net = jaxsnn.Network(resolution=case["resolution"])
    n = case["n_exc"] + case["n_inh"]
    pop = net.create("iaf_psc_alpha", n, params={"V_m": np.asarray(case["V_m"]), **case["neuron_params"]})
    for p in case["projections"]:
        extra = {} if p["synapse"] == "static_synapse" else {"weight_recorder": net.create("weight_recorder")}
        net.copy_model(p["synapse"], p["model"], {**p["common_params"], **extra})
    for i, times in enumerate(case["inputs"]):
        net.connect(net.create("spike_generator", params={"spike_times": times}), pop[i],
                    syn_spec={"weight": case["input_weight"], "delay": 1.0})
    for p in case["projections"]:
        c = p["connections"]
        per = {k: np.asarray(v) for k, v in c.items() if k not in ("source", "target")}
        net.connect(np.asarray(c["source"]), np.asarray(c["target"]), "one_to_one", {"synapse_model": p["model"], **per})
    return net


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_refused_by_name(path):
    case = _load(path)
    rules = sorted(p["synapse"] for p in case["projections"] if p["synapse"] != "static_synapse")
    with pytest.raises(JaxsnnError, match=f"{rules[0]}.*{rules[1]}"):
        build(case).build()
