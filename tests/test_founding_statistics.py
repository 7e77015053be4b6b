"""The founding network (NEST's store/restore example) has NEST's statistics (issue: plasticity §5).

For each statistic the mean over 8 of our seeds must lie inside NEST's min–max over its seeds
(tests/reference/nest_network_stats.json), widened on each side by 5 % of NEST's mean (for the weight
mean: 5 % of NEST's mean weight change). Same definitions as tests/reference/tools/nest_network_stats.py.
"""
import json
import pathlib
import sys

import pytest

import jaxsnn
from jaxsnn.testing.ei_network import EINetwork

from .conftest import REFERENCE

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))
from founding_stats import compare  # noqa: E402
from jaxsnn_founding import window_stats  # noqa: E402


@pytest.mark.slow
def test_statistics_agree_with_nest():
    ref = REFERENCE / "nest_network_stats.json"
    nest = json.loads(ref.read_text())
    ours = []
    for seed in range(1, 9):
        ein = EINetwork(seed=seed)
        sim, r = ein.build(), {}
        for k in range(2):
            sim = jaxsnn.simulate(sim, 1000.0)
            r.update(window_stats(sim, ein, 1000.0 * k, 1000.0 * (k + 1), k))
        t = sim.events(ein.sr).times.to_numpy()
        r["frac_first_step"] = float((t <= 0.1 + 1e-9).sum() / ein.nE)
        ours.append(r)
    failed = [row for row in compare(ours, nest) if not row["pass"]]
    assert not failed, failed
