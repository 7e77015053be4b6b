"""Rate-modulated and correlated generators (jaxsnn.core.rate_generators) against NEST 3.10's statistics:
the same statistics (jaxsnn.testing.spike_statistics) over 10 seeds each, compared within 4.5 standard
errors of the difference of the two means."""
import json

import numpy as np
import pytest

from jaxsnn.core import oscillator, rate_generators, rng
from jaxsnn.core.engine import simulation_key
from jaxsnn.testing.spike_statistics import spike_stats

from .conftest import CASES

NAMES = ["gen_sinusoidal_poisson", "gen_sinusoidal_poisson_shared", "gen_inhomogeneous_poisson", "gen_mip",
         # a scan over 50 000 steps per seed: slow
         pytest.param("gen_sinusoidal_gamma", marks=pytest.mark.slow),
         pytest.param("gen_sinusoidal_gamma_shared", marks=pytest.mark.slow),
         pytest.param("gen_gamma_sup", marks=pytest.mark.slow), pytest.param("gen_ppd_sup", marks=pytest.mark.slow),
         pytest.param("gen_ppd_sup_modulated", marks=pytest.mark.slow)]


def counts(case, seed):
    """Counts [steps, targets] of the case's generator for ``seed`` (targets' streams 0..n-1, the
    generator's stream n: as connection and node ids would be in a network)."""
    p, h, n_t = case["params"], case["resolution"], case["n_targets"]
    n = round((case["t_sim"] - case["delay"]) / h)  # emissions that reach the parrots within the run
    steps = np.arange(n)
    key = simulation_key(seed)
    targets = np.arange(n_t)
    if case["model"] == "sinusoidal_poisson_generator":
        rate = oscillator.sinusoidal_rate(p["rate"], p["amplitude"], p["frequency"], p["phase"], h, n)
        terms = rng.n_terms_for((p["rate"] + abs(p["amplitude"])) * h / 1000)
        if p["individual_spike_trains"]:
            return rate_generators.sinusoidal_poisson(key, steps, targets, rate, h, terms)
        one = rate_generators.sinusoidal_poisson(key, steps, np.array([n_t]), rate, h, terms)
        return np.repeat(np.asarray(one), n_t, axis=1)
    if case["model"] == "inhomogeneous_poisson_generator":
        rate_steps = np.round(np.asarray(p["rate_times"]) / h).astype(np.int64)
        rate = rate_generators.inhomogeneous_rate(rate_steps, np.asarray(p["rate_values"], float), steps)
        terms = rng.n_terms_for(max(p["rate_values"]) * h / 1000)
        return rate_generators.sinusoidal_poisson(key, steps, targets, rate, h, terms)
    if case["model"] == "sinusoidal_gamma_generator":
        tics = round(h * 1000)
        args = (p["rate"], p["amplitude"], p["frequency"], p["phase"], p["order"], h, tics)
        if p["individual_spike_trains"]:
            return rate_generators.sinusoidal_gamma(key, n, targets, *args)
        one = rate_generators.sinusoidal_gamma(key, n, np.array([n_t]), *args)
        return np.repeat(np.asarray(one), n_t, axis=1)
    if case["model"] == "gamma_sup_generator":
        return rate_generators.gamma_sup(key, n, targets, p["rate"], p["gamma_shape"], p["n_proc"], h)
    if case["model"] == "ppd_sup_generator":
        return rate_generators.ppd_sup(key, n, targets, p["rate"], p["dead_time"], p["n_proc"], p["frequency"],
                                       p["relative_amplitude"], h)
    if case["model"] == "mip_generator":
        terms = rng.n_terms_for(p["rate"] * h / 1000)
        return rate_generators.mip(key, steps, n_t, targets, p["rate"], p["p_copy"], h, terms)[1]
    raise ValueError(case["model"])


def our_stats(case, seed):
    c = np.asarray(counts(case, seed))
    k, tgt = np.nonzero(c)
    reps = c[k, tgt]
    times = np.repeat((k + 1) * case["resolution"] + case["delay"], reps)  # the parrots' spike times
    senders = np.repeat(tgt, reps)
    return spike_stats(times, senders, list(range(case["n_targets"])), case["t_sim"], case["bin"], case["period"],
                       case["n_phase"], case["resolution"])


@pytest.mark.parametrize("name", NAMES)
def test_statistics_are_nests(name, x64):
    case = json.loads((CASES / f"{name}.json").read_text())
    assert_like_nest(case, [our_stats(case, seed) for seed in case["seeds"]])


def assert_like_nest(case, ours):
    """Each statistic's mean over seeds within 4.5 standard errors of NEST's; the phase rates within
    their Poisson errors."""
    exp = case["expected"]
    for k, nest_mean in exp["mean"].items():
        v = np.array([o[k] for o in ours])
        mean, sem = np.nanmean(v), np.nanstd(v, ddof=1) / np.sqrt(len(v))
        bound = 4.5 * np.hypot(sem, exp["sem"][k]) + 1e-9
        assert abs(mean - nest_mean) <= bound, f"{k}: jaxsnn {mean:.4g} ± {sem:.2g}, NEST {nest_mean:.4g} ± " \
                                               f"{exp['sem'][k]:.2g}"
    if case["period"]:  # the modulation: the rate in each phase bin, Poisson errors of both estimates
        ph = np.mean([o["phase_rates"] for o in ours], axis=0)
        ref = np.asarray(exp["phase_rates_mean"])
        width_s = case["period"] / case["n_phase"] / 1000
        n_spikes = ref * width_s * (case["t_sim"] - 1) / case["period"] * case["n_targets"] * len(case["seeds"])
        shared = not case["params"].get("individual_spike_trains", True)
        sd = ref / np.sqrt(np.maximum(n_spikes / (case["n_targets"] if shared else 1), 1))
        assert np.all(np.abs(ph - ref) <= 5 * np.sqrt(2) * sd + 1e-9), (ph, ref)
