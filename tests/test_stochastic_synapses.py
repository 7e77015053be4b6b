"""bernoulli_synapse and quantal_stp_synapse (jaxsnn.core.stp) against NEST 3.10's statistics: the transmitted
weight per presynaptic spike, averaged over 100 connections and 10 seeds, within 4.5 standard errors."""
import json

import numpy as np
import pytest

from jaxsnn.core import stp
from jaxsnn.core.engine import simulation_key

from .conftest import CASES


def transmitted(case, seed):
    """Weights sent [connections, spikes] (0: not sent) by the case's connections for ``seed``."""
    p, w = case["syn_params"], case["weight"]
    h = case["resolution"]
    steps = np.round(np.asarray(case["pre_spike_times"]) / h).astype(np.int64) - 1  # the stamp's step
    times = 0.001 * ((steps + 1) * round(h * 1000))
    key, syn = simulation_key(seed), np.arange(case["n_conn"])
    if case["synapse"] == "bernoulli_synapse":
        sent = np.stack([np.asarray(stp.bernoulli(key, s, syn, p["p_transmit"])) for s in steps], axis=1)
        return np.where(sent, w, 0.0)
    n = p["n"]
    a, u = np.full(len(syn), p["a"]), np.full(len(syn), p["u"], float)
    out, t_last = [], -1.0
    for s, t in zip(steps, times):
        a, u, r = stp.quantal_stp(key, np.full(len(syn), s), syn, a, u, t - t_last, p["U"], n, p["tau_rec"],
                                  p["tau_fac"], t_last >= 0.0, n)
        out.append(np.asarray(r) * w)
        t_last = t
    return np.stack(out, axis=1)


@pytest.mark.parametrize("name", ["syn_bernoulli_stats", "syn_quantal_stp_stats"])
def test_transmitted_weights_are_nests(name, x64):
    case = json.loads((CASES / f"{name}.json").read_text())
    exp = case["expected"]
    W = np.array([transmitted(case, seed) for seed in case["seeds"]])  # [seeds, conn, spikes]
    count = W.shape[0] * W.shape[1]
    mean = W.mean(axis=(0, 1))
    se = np.sqrt((W.var(axis=(0, 1)) + np.asarray(exp["var_weight"])) / count)
    assert np.all(np.abs(mean - exp["mean_weight"]) <= 4.5 * se + 1e-12), (mean, exp["mean_weight"])
    np.testing.assert_allclose(W.var(axis=(0, 1)), exp["var_weight"], rtol=0.25)
    ours, nest = W.mean(axis=(1, 2)), np.asarray(exp["per_seed_mean"])  # pooled over spikes: tighter
    bound = 4.5 * np.hypot(ours.std(ddof=1), nest.std(ddof=1)) / np.sqrt(len(ours))
    assert abs(ours.mean() - nest.mean()) <= bound, (ours.mean(), nest.mean(), bound)
