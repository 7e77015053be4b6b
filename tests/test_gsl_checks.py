"""NEST's parameter checks of amat2_psc_exp, the multisynapse and the gif models: each probe of the stored
case (tools/nest_gsl_models.py, kind "validation") is one set call on a fresh NEST node; the model module's
``check`` on NEST's defaults with the probe's values must refuse exactly what NEST refuses, with NEST's
message, and accept the rest.
"""
import importlib
import json
import os

import numpy as np
import pytest

CASE = os.path.join(os.path.dirname(__file__), "reference", "nest_cases", "gsl_validation_messages.json")
with open(CASE) as f:
    PROBES = json.load(f)
RESULTS = PROBES["expected"]["results"]


@pytest.mark.parametrize("i", range(len(PROBES["probes"])),
                         ids=[f"{p['model']}-{'-'.join(p['set'][0])}" for p in PROBES["probes"]])
def test_check_refuses_what_nest_refuses(i):
    probe, want = PROBES["probes"][i], RESULTS[i]
    mod = importlib.import_module("jaxsnn.models." + probe["model"])
    p = {k: v[0] for k, v in mod.PARAMETERS.items()}
    p.update(probe["set"][0])
    p = {k: np.asarray([v], float) for k, v in p.items()}  # one neuron: [1], per-port lists [1, ports]
    if want["error"] is None:
        mod.check(p)
        return
    with pytest.raises(ValueError) as e:
        mod.check(p)
    assert str(e.value) == want["message"].split(" with node ID 1: ", 1)[1]
