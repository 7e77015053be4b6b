"""The pure synapse rules (jaxsnn.core.stdp_family, jaxsnn.core.stp) replayed spike by spike against NEST 3.10's
``kind: "synapse"`` cases: transmitted weights and final synapse state in float64."""
import json

import numpy as np
import pytest

from jaxsnn.testing.synapse_replay import RULES, replay

from .conftest import case_files

CASES = [f for f in case_files("syn_") if json.loads(f.read_text())["synapse"] in RULES
         or json.loads(f.read_text())["synapse"] == "stdp_dopamine_synapse"]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_rule_matches_nest(path, x64):
    case = json.loads(path.read_text())
    exp = case["expected"]
    sent, final = replay(case)
    assert len(sent) == len(exp["weight_recorder_weights"])
    np.testing.assert_allclose(sent, exp["weight_recorder_weights"], rtol=1e-12, atol=1e-300)
    for name, value in exp["final"].items():
        if name == "delay":
            continue
        assert name in final, f"state {name} not reported"
        np.testing.assert_allclose(final[name], value, rtol=1e-12, atol=1e-15, err_msg=name)


def test_every_synapse_case_has_a_rule():
    """Every exact synapse case is replayed (the stochastic ones, kind synapse_stats, have their own test)."""
    exact = {json.loads(f.read_text())["synapse"] for f in case_files("syn_") if json.loads(f.read_text())["kind"]
             == "synapse"}
    assert exact <= set(RULES) | {"stdp_dopamine_synapse"}, exact - set(RULES)
