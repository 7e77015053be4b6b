"""The founding network (NEST's store/restore example) has NEST's statistics (issue: plasticity §5).

For each statistic the mean over 8 of our seeds must lie inside NEST's min–max over its seeds
(tests/reference/nest_network_stats.json), widened on each side by 5 % of NEST's mean (for the weight
mean: 5 % of NEST's mean weight change). Same definitions as tests/reference/tools/nest_network_stats.py.
"""
import json

import pytest

import jaxsnn
from jaxsnn.testing.ei_network import EINetwork
from jaxsnn.testing.founding_stats import compare, window_stats

from .conftest import REFERENCE


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
            ev = sim.events(ein.sr)
            r.update(window_stats(ev.times.to_numpy(), ev.senders.to_numpy(),
                                  sim.connections("e_syn").weight.to_numpy(), ein.nE, 1000.0 * k, 1000.0 * (k + 1), k))
        t = sim.events(ein.sr).times.to_numpy()
        r["frac_first_step"] = float((t <= 0.1 + 1e-9).sum() / ein.nE)
        ours.append(r)
    failed = [row for row in compare(ours, nest) if not row["pass"]]
    assert not failed, failed
