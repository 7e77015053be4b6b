"""NEST's periodic generators' oscillator (jaxsnn.core.oscillator) against NEST 3.10's recorded traces."""
import json

import numpy as np
import pytest

from jaxsnn.core import oscillator

from .conftest import CASES


@pytest.mark.parametrize("name", ["gen_ac_generator", "gen_ac_generator_window"])
def test_ac_generator_current_is_nests(name, x64):
    case = json.loads((CASES / f"{name}.json").read_text())
    p, exp = case["params"], case["expected"]
    h, n = case["resolution"], len(exp["I"])
    k = np.arange(n)
    lo = round((p.get("origin", 0.0) + p.get("start", 0.0)) / h)
    hi = round((p.get("origin", 0.0) + p["stop"]) / h) if "stop" in p else np.iinfo(np.int64).max
    active = (lo < k + 2) & (k + 2 <= hi)  # NEST's is_active of a current generator at step k
    I = oscillator.ac_current(p["amplitude"], p["offset"], p["frequency"], p["phase"], h, n, active)
    assert np.allclose(exp["I_times"], (k + 1) * h)
    np.testing.assert_array_equal(np.asarray(I), exp["I"])


def test_sinusoidal_poisson_rate_recordable_is_nests(x64):
    case = json.loads((CASES / "gen_sinusoidal_poisson.json").read_text())
    p, exp = case["params"], case["expected"]["rate_recordable"]
    n = len(exp["rate"])
    r = oscillator.sinusoidal_rate(p["rate"], p["amplitude"], p["frequency"], p["phase"], case["resolution"], n)
    np.testing.assert_array_equal(np.asarray(r), exp["rate"])


def test_sinusoidal_gamma_rate_recordable_is_nests(x64):
    """Evaluated sine (no oscillator in NEST either): XLA's sin agrees within a few ulp."""
    case = json.loads((CASES / "gen_sinusoidal_gamma.json").read_text())
    p, exp = case["params"], case["expected"]["rate_recordable"]
    r = oscillator.gamma_rate(p["rate"], p["amplitude"], p["frequency"], p["phase"], case["resolution"],
                              len(exp["rate"]))
    np.testing.assert_allclose(np.asarray(r), exp["rate"], rtol=1e-13, atol=1e-12)
