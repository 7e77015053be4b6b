"""NEST 3.10 cases of iaf_psc_exp, iaf_psc_alpha, current generators (dc, step_current, noise), the
voltmeter and the validation messages (tests/reference/README.md, docs/nest_semantics.md §10–§16).

float64: spikes identical and every recorded V_m, I_syn_ex, I_syn_in bit-identical to NEST (maximum
deviation 0). float32: spikes identical, V_m within 1e-3 mV and I_syn within 1e-3 relative (+1e-3 pA).
noise_generator: jaxsnn draws from its own counter-based streams, so its statistics are compared with
the exact mean and variance of the case (``analytic``) with the tolerances NEST's own output meets.
"""
import json

import jax
import numpy as np
import pytest

import jaxsnn
from jaxsnn.errors import JaxsnnError
from jaxsnn.testing.conformance import run_case

from .conftest import CASES, case_files


def load(path):
    with open(path) as f:
        return json.load(f)


FILES = case_files()
# the GSL-integrated, MAT and multisynapse models' cases have their own test (test_gsl_models.py)
MODEL = [f for f in FILES if load(f)["kind"] == "model" and load(f)["model"] != "parrot_neuron"
         and load(f).get("generator") != "nest_gsl_models.py"]
PARROT = [f for f in FILES if load(f)["kind"] == "model" and load(f)["model"] == "parrot_neuron"]
NOISE_STATS = [f for f in FILES if load(f)["kind"] == "noise_stats" and load(f)["n_targets"] > 5]
NOISE_EXACT = [f for f in FILES if load(f)["kind"] == "noise_stats" and load(f)["n_targets"] <= 5]


def test_every_kind_has_cases():
    assert len(MODEL) >= 29 and len(PARROT) >= 2 and NOISE_STATS and NOISE_EXACT


# float32 on a sample of every kind (each case costs a compilation)
FLOAT32 = ("exp_random_drive", "exp_tau_syn_equals_tau_m", "alpha_random_drive", "alpha_custom_params",
           "dc_onto_exp_receptor1", "dc_spiking_weight_delay", "step_current_window_and_reset",
           "step_current_onto_alpha")


# the fast suite keeps float32 on step_current_onto_alpha; the other float32 runs are in the full suite
MODEL_RUNS = [(p, True) for p in MODEL] + [(p, False) if p.stem == "step_current_onto_alpha" else
                                           pytest.param(p, False, marks=pytest.mark.slow)
                                           for p in MODEL if p.stem in FLOAT32]


@pytest.mark.parametrize("path,x64", MODEL_RUNS, ids=lambda v: v.stem if hasattr(v, "stem") else
                         ("float64" if v else "float32"))
def test_model_case(path, x64):
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", x64)
    try:
        _check_model_case(path, x64)
    finally:
        jax.config.update("jax_enable_x64", old)


def _check_model_case(path, precision):
    case = load(path)
    out, exp = run_case(case), case["expected"]
    assert out["spike_times"] == exp["spike_times"]
    assert out["times"] == exp["times"]
    for name in case["recordables"]:
        if precision:  # bit-identical
            np.testing.assert_array_equal(out[name], exp[name], err_msg=name)
        elif name == "V_m":
            np.testing.assert_allclose(out[name], exp[name], rtol=0, atol=1e-3)
        else:
            np.testing.assert_allclose(out[name], exp[name], rtol=1e-3, atol=1e-3, err_msg=name)


@pytest.mark.parametrize("path", PARROT, ids=lambda p: p.stem)
def test_parrot_case(path, precision):
    """Every arriving spike repeated (weights ignored, multiplicity kept); downstream, a spike of
    multiplicity m is m events (the probe adds w m times)."""
    case = load(path)
    out, exp = run_case(case), case["expected"]
    assert out["spike_times"] == exp["spike_times"]
    assert out["probe_times"] == exp["probe_times"]
    if precision:
        np.testing.assert_array_equal(out["probe_V_m"], exp["probe_V_m"])
    else:
        np.testing.assert_allclose(out["probe_V_m"], exp["probe_V_m"], rtol=0, atol=1e-3)


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_parrot_multiplicity_through_stdp
def test_parrot_as_presynaptic_side_of_stdp(x64):
    """NEST's stdp_synapse_hom case with a parrot as the presynaptic neuron (multiplicity 1)."""
    case = load(CASES / "stdp_hom_additive.json")
    h = case["resolution"]
    net = jaxsnn.Network(resolution=h)
    wr = net.create("weight_recorder")
    pre = net.create("parrot_neuron")
    g = net.create("spike_generator", params={"spike_times": [round(t - 1.0, 10) for t in case["pre_spike_times"]]})
    net.connect(g, pre, syn_spec={"delay": 1.0})
    post = net.create("iaf_psc_delta", 1, params={"t_ref": 0.0, "V_th": 1e9, "tau_minus": case["post_tau_minus"]})
    g2 = net.create("spike_generator", params={"spike_times": [round(t - h, 10) for t in case["post_spike_times"]],
                                               "spike_weights": [1e12] * len(case["post_spike_times"])})
    net.connect(g2, post, syn_spec={"delay": h})
    net.copy_model("stdp_synapse_hom", "plastic", {**case["syn_params"], "weight_recorder": wr})
    net.connect(pre, post, "one_to_one", {"weight": case["weight"], "delay": case["delay"], "synapse_model": "plastic"})
    sim = jaxsnn.simulate(net.build(), case["t_sim"])
    rec, exp = sim.events(wr), case["expected"]
    assert [round(float(t), 6) for t in rec.times] == exp["weight_recorder_times"]
    np.testing.assert_allclose(rec.weights, exp["weight_recorder_weights"], rtol=1e-12)
    np.testing.assert_allclose(sim.connections("plastic").weight.iloc[0], exp["final_weight"], rtol=1e-12)


def test_parrot_repeats_neuron_and_poisson_spikes_whatever_the_weight():
    net = jaxsnn.Network()
    n = net.create("iaf_psc_delta", params={"I_e": 600.0})
    pg = net.create("poisson_generator", params={"rate": 300.0})
    p, q = net.create("parrot_neuron"), net.create("parrot_neuron")
    net.connect(n, p, syn_spec={"weight": -5.0, "delay": 1.5})
    net.connect(pg, q, syn_spec={"weight": 0.25, "delay": 1.0})
    sr = [net.create("spike_recorder") for _ in range(3)]
    for x, r in zip((n, p, q), sr):
        net.connect(x, r)
    sim = jaxsnn.simulate(net.build(), 200.0)
    t_n, t_p = sim.events(sr[0]).times.to_numpy(), sim.events(sr[1]).times.to_numpy()
    assert len(t_n) > 10
    np.testing.assert_allclose(t_p, t_n[t_n <= 198.5] + 1.5, atol=1e-9)
    assert 30 < len(sim.events(sr[2])) < 90  # 300 Hz for 200 ms


def test_parrot_multiplicity_through_stdp(x64):
    """A parrot spike of multiplicity m runs m STDP updates (m weight records, K+ m times); a post
    parrot's archives it m times; receptor 1 of a parrot is not repeated (stdp_parrot_multiplicity).
    Weights as jaxsnn's STDP conformance (rtol 1e-12; the largest deviation is 2e-15 relative)."""
    case = load(CASES / "stdp_parrot_multiplicity.json")
    out, exp = run_case(case), case["expected"]
    for k in ("pre_spike_times", "post_spike_times", "weight_recorder_times", "weight_recorder_targets",
              "probe_times"):
        assert out[k] == exp[k], k
    for k in ("weight_recorder_weights", "final_weight", "final_Kplus"):
        np.testing.assert_allclose(out[k], exp[k], rtol=1e-12, err_msg=k)
    np.testing.assert_allclose(out["probe_V_m"], exp["probe_V_m"], rtol=0, atol=1e-9)


def test_parrot_multiplicity_into_stdp_is_refused_when_differentiable():
    """The differentiable build's fixed-length loops cannot repeat STDP updates: an error, never an
    approximation."""
    net = jaxsnn.Network()
    pre, post = net.create("parrot_neuron"), net.create("iaf_psc_delta")
    g = net.create("spike_generator", params={"spike_times": [3.0, 3.0]})
    net.connect(g, pre)
    net.connect(pre, post, syn_spec={"synapse_model": "stdp_synapse_hom"})
    sim = net.build(differentiable=True)
    state = jaxsnn.advance(sim.model, sim.params, sim.state, 100)
    with pytest.raises(JaxsnnError, match="multiplicity"):
        jaxsnn.check(state)


def test_voltmeter_is_a_multimeter_of_V_m(x64):
    case = load(CASES / "voltmeter_equals_multimeter.json")
    out, exp = run_case(case), case["expected"]
    assert out["voltmeter_defaults"] == exp["voltmeter_defaults"]
    for k in ("voltmeter_times", "multimeter_times"):
        assert out[k] == exp[k]
    for k in ("voltmeter_V_m", "multimeter_V_m"):
        np.testing.assert_array_equal(out[k], exp[k])


@pytest.mark.parametrize("path", NOISE_STATS, ids=lambda p: p.stem)
def test_noise_statistics(path, x64):
    """Across 400 linear neurons per model and seed: the mean within 4 standard errors of the exact
    mean at every recorded time (NEST: within 3.3), the variance within 0.9–1.1 of the exact one on
    average over time (NEST: 0.98–1.05), and exactly zero variance before the first draw acts."""
    case = load(path)
    out, an = run_case(case), case["analytic"]
    at = np.round(np.asarray(an["times"]), 6)
    for seed, per_model in out["seeds"].items():
        for model, q in per_model.items():
            assert q["times"] == case["expected"]["seeds"][seed][model]["times"]
            idx = np.searchsorted(at, np.round(q["times"], 6))
            mu, var = np.asarray(an["V_m_mean"])[idx], np.asarray(an["V_m_var"])[idx]
            some = var > 0
            se = np.sqrt(var[some] / case["n_targets"])
            assert np.abs((np.asarray(q["V_m_mean"])[some] - mu[some]) / se).max() < 4.0, (seed, model)
            ratio = np.mean(np.asarray(q["V_m_var"])[some] / var[some])
            assert 0.9 < ratio < 1.1, (seed, model, ratio)
            np.testing.assert_allclose(np.asarray(q["V_m_mean"])[~some], mu[~some], rtol=0, atol=1e-9)
            np.testing.assert_array_equal(np.asarray(q["V_m_var"])[~some], 0.0)


def _change_steps(V, h=0.1, tau_m=10.0, C_m=250.0):
    """Steps at which the current inferred from an iaf_psc_delta trace (V_m every step) changes."""
    P33 = np.exp(-h / tau_m)
    P30 = 1 / C_m * (1 - P33) * tau_m
    y = np.asarray(V) + 70.0
    current = (y[1:] - P33 * y[:-1]) / P30
    return np.nonzero(np.abs(np.diff(current)) > 1e-6)[0]


@pytest.mark.parametrize("path", NOISE_EXACT, ids=lambda p: p.stem)
def test_noise_draw_timing(path, x64):
    """The steps at which each target's current changes (first draw, every dt, start/stop) are NEST's,
    and each target gets its own draws."""
    case = load(path)
    seed = str(case["seeds"][0])
    nest = case["expected"]["seeds"][seed]["iaf_psc_delta"]["V_m_all"]
    h = case["resolution"]
    net = jaxsnn.Network(resolution=h, seed=int(seed))
    noise = net.create("noise_generator", params=case["noise"])
    pop = net.create("iaf_psc_delta", case["n_targets"], params=case["params"])
    net.connect(noise, pop, syn_spec={"weight": 1.0, "delay": case["delay"]})
    mm = net.create("multimeter", params={"interval": h})
    net.connect(mm, pop)
    ev = jaxsnn.simulate(net.build(), case["t_sim"]).events(mm)
    n_rec = len(nest[0])
    for j, gid in enumerate(pop.ids):
        ours = ev[ev.senders == gid].V_m.to_numpy()[:n_rec]
        np.testing.assert_array_equal(_change_steps(ours), _change_steps(nest[j]))
    first = ev[ev.senders == pop.ids[0]].V_m.to_numpy()
    second = ev[ev.senders == pop.ids[1]].V_m.to_numpy()
    assert not np.array_equal(first, second)


# ------------------------------------------------------------------------------------ validation
def _apply(model, sets, h=0.1):
    """NEST's Create(model) then node.set(p) for each p: jaxsnn's create with the first, then
    Simulation.set (current generators) with the others."""
    net = jaxsnn.Network(resolution=h)
    node = net.create(model, 1, params=sets[0])
    if len(sets) > 1:
        n = net.create("iaf_psc_delta")
        net.connect(node, n)
        sim = net.build()
        for p in sets[1:]:
            sim = sim.set(node, p)


def _probes():
    case = load(CASES / "validation_messages.json")
    return list(zip(case["probes"], case["expected"]["results"]))


@pytest.mark.parametrize("probe,result", _probes(), ids=lambda x: str(x)[:60] if isinstance(x, dict) else "")
def test_validation_like_nest(probe, result):
    """An error exactly where NEST raises one, naming the parameter; for the psc models and the
    noise_generator with NEST's sentence."""
    if result["error"] is None:
        _apply(probe["model"], probe["set"])
        return
    with pytest.raises(JaxsnnError) as err:
        _apply(probe["model"], probe["set"])
    msg = str(err.value)
    names = set(probe["set"][-1])
    assert any(name in msg for name in names), msg
    nest_sentence = result["message"].split(": ", 1)[-1]
    if probe["model"] in ("iaf_psc_exp", "iaf_psc_alpha") and result["error"] == "BadProperty":
        assert nest_sentence in msg
