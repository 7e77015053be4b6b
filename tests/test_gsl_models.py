"""The models NEST integrates with GSL's rkf45 (conductance-based, adaptive, Hodgkin–Huxley) against NEST 3.10.

Each stored case (tests/reference/nest_cases, made by tools/nest_gsl_models.py) is replayed through the
model's update alone (:mod:`jaxsnn.testing.single_neuron`), in float64: the spikes must be NEST's, V_m within
1e-6 mV and every other recordable within 1e-6 relative (all but hh_cond_exp_traub are bit-identical;
mat2_psc_exp, exactly integrated, too). The
integrator's pieces are checked against a plain-Python transcription of GSL's rkf45 / standard control,
and the exponential against the C library's.
"""
import glob
import json
import math
import os

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytestmark = pytest.mark.usefixtures("x64")  # float64 for each test, restored after it (not for the whole session)
import jax.numpy as jnp  # noqa: E402

import jaxsnn  # noqa: E402
from jaxsnn import models  # noqa: E402
from jaxsnn.core import libm as _libm  # noqa: E402
from jaxsnn.models import _rkf45  # noqa: E402
from jaxsnn.testing import conformance, single_neuron  # noqa: E402

CASES = os.path.join(os.path.dirname(__file__), "reference", "nest_cases")
GSL_CASES = sorted(p for p in glob.glob(os.path.join(CASES, "*.json"))
                   if json.load(open(p)).get("generator") == "nest_gsl_models.py"
                   and json.load(open(p))["kind"] == "model" and json.load(open(p))["model"] in single_neuron.MODULES)
NETWORKS = sorted(p for p in glob.glob(os.path.join(CASES, "network_*.json")) if json.load(open(p))["kind"] == "gsl_network")
FAST = {"cond_exp_strong_input.json", "aeif_cond_alpha_strong_input.json", "mat2_strong_input.json",
        "amat2_beta_two_runs.json", "psc_alpha_multi_strong_input.json", "aeif_alpha_multi_strong_input.json",
        "aeif_beta_multi_strong_input.json", "psc_exp_multi_strong_input.json", "gif_psc_replay_drive.json", "gif_cond_certain_escape.json"}


@pytest.mark.parametrize("path", [pytest.param(p, id=os.path.basename(p)[:-5], marks=() if os.path.basename(p) in FAST
                                               else pytest.mark.slow) for p in GSL_CASES])
def test_case_matches_nest(path):
    with open(path) as f:
        case = json.load(f)
    # stochastic models (gif_*): NEST's spikes replayed through the draws where the case says so
    draws = single_neuron.replayed_draws(case) if case.get("replay_spikes") else None
    dev = single_neuron.deviations(case, *single_neuron.replay(case, draws=draws))
    assert dev.pop("spikes_equal"), "spike times differ from NEST's"
    assert dev.pop("V_m") <= 1e-6
    for name, d in dev.items():
        assert d <= 1e-6, name


def _within_bounds(case, out):
    e = case["expected"]
    assert out["spike_times"] == e["spike_times"], "spike times differ from NEST's"
    for r in case["recordables"]:
        a, b = np.asarray(out[r]), np.asarray(e[r])
        assert a.shape == b.shape, r
        d = np.abs(a - b)
        assert (d.max() if r == "V_m" else (d / np.maximum(np.abs(b), 1e-300)).max()) <= 1e-6, r


# the multisynapse cases run through a network in the fast suite by tests/test_receptor_ports.py, which asserts
# NEST's bits (stronger than the bound here): here they run in the full suite
THROUGH_A_NETWORK_ELSEWHERE = {"psc_alpha_multi_strong_input.json", "aeif_alpha_multi_strong_input.json",
                               "aeif_beta_multi_strong_input.json", "psc_exp_multi_strong_input.json"}
# aeif_cond_alpha through a network (17 s of compiling): the full suite; the fast suite keeps its NEST case
# (test_case_matches_nest) and cond_exp, amat2 and gif through a network
NETWORK_IN_FULL_SUITE = THROUGH_A_NETWORK_ELSEWHERE | {"aeif_cond_alpha_strong_input.json"}




def _one_case_per_model(paths):
    """Each model's case with runs in segments and changes between them where it has one (the network path's
    own work; the model's equations are every case's, test_case_matches_nest), else its first case."""
    by_model = {}
    for p in paths:
        by_model.setdefault(json.load(open(p))["model"], []).append(p)
    return sorted(next((p for p in ps if p.endswith("two_runs.json")), ps[0]) for ps in by_model.values())


@pytest.mark.parametrize("path", [pytest.param(p, id=os.path.basename(p)[:-5], marks=() if os.path.basename(p) in
                                               FAST - NETWORK_IN_FULL_SUITE else pytest.mark.slow)
                                  for p in sorted(set(_one_case_per_model(GSL_CASES)) | {
                                      os.path.join(CASES, f) for f in FAST})
                                  if json.load(open(p))["model"] in models.NEURONS
                                  and not json.load(open(p)).get("replay_spikes")])  # NEST's draws: not in a network
def test_case_through_a_network_matches_nest(path):
    """The same case built as a network (create, connect, multimeter, runs in segments with set between);
    gif cases where escape is certain included (their draws cannot matter)."""
    with open(path) as f:
        case = json.load(f)
    _within_bounds(case, conformance.run_case(case))


def _network(case):
    net = jaxsnn.Network(resolution=case["resolution"])
    pop = net.create(case["model"], case["n"], params=case["params"])
    for i, inp in enumerate(case["inputs"]):
        g = net.create("spike_generator", params={"spike_times": inp["times"], "spike_weights": inp["weights"]})
        net.connect(g, pop[i], syn_spec={"weight": 1.0, "delay": 1.0})
    c = case["connections"]
    net.connect(np.asarray(c["source"]), np.asarray(c["target"]), "one_to_one",
                {"weight": np.asarray(c["weight"]), "delay": np.asarray(c["delay"])})
    sr = net.create("spike_recorder")
    net.connect(pop, sr)
    return net, pop, sr


@pytest.mark.parametrize("path", [pytest.param(p, id=os.path.basename(p)[:-5],
                                               marks=() if "iaf_cond_exp" in p else pytest.mark.slow) for p in NETWORKS])
def test_recurrent_network_spikes_as_nest(path):
    with open(path) as f:
        case = json.load(f)
    net, pop, sr = _network(case)
    sim = jaxsnn.simulate(net.build(), case["t_sim"])
    ev = sim.events(sr).sort_values(["times", "senders"], kind="stable")
    assert [round(t, 6) for t in ev.times] == case["expected"]["spike_times"]
    assert ev.senders.astype(int).tolist() == case["expected"]["spike_senders"]
    assert np.abs(sim.get(pop).V_m.to_numpy() - case["expected"]["final_V_m"]).max() <= 1e-6


def test_split_run_is_one_run():
    """The carried integration step is state: 13.7 + 36.3 ms give the bits of one 50 ms run."""
    case = json.load(open(NETWORKS[-1]))
    net, pop, _ = _network(case)
    one = jaxsnn.simulate(net.build(), 50.0)
    two = jaxsnn.simulate(jaxsnn.simulate(net.build(), 13.7), 36.3)
    s1, s2 = one.state.neurons[case["model"]], two.state.neurons[case["model"]]
    for k in s1:
        assert np.array_equal(np.asarray(s1[k]), np.asarray(s2[k])), k
    assert float(np.asarray(s1["h_int"]).min()) > 0.0


def test_differentiable_build_refuses_them_by_name():
    net = jaxsnn.Network()
    net.create("aeif_cond_alpha", 2)
    with pytest.raises(Exception, match="aeif_cond_alpha"):
        net.build(differentiable=True)


def test_every_gsl_model_has_cases():
    covered = {json.load(open(p))["model"] for p in GSL_CASES}
    assert covered == set(single_neuron.MODULES)


def test_exp_is_the_c_librarys():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-60.0, 40.0, 200_000), rng.uniform(-1e-3, 1e-3, 20_000),
                        rng.uniform(-700.0, 700.0, 50_000), [0.0, -0.0, 1e-300, 709.0, -700.0]])
    got = np.asarray(jax.jit(_libm.exp)(x))
    assert np.array_equal(got, np.array([math.exp(v) for v in x]))
    assert np.isnan(np.asarray(_libm.exp(jnp.array([np.nan]))))[0]
    assert np.asarray(_libm.exp(jnp.array([np.inf, -np.inf, 1e4, -1e4]))).tolist() == [np.inf, 0.0, np.inf, 0.0]


def test_fma_is_rounded_once():
    # 1 + 2^-30 squared minus 1: the exact product needs 61 bits; an fma keeps the 2^-60 term
    a = 1.0 + 2.0 ** -30
    got = float(_libm.fma(jnp.float64(a), jnp.float64(a), jnp.float64(-1.0), jnp.float64(-0.0)))
    assert got == 2.0 ** -29 + 2.0 ** -60


# ---------------------------------------------------------------- GSL, transcribed in plain Python

def _py_rkf45(f, y, h, k1):
    A = _rkf45
    d = range(len(y))
    k2 = f([y[i] + A.A2 * h * k1[i] for i in d])
    k3 = f([y[i] + h * (A.B3[0] * k1[i] + A.B3[1] * k2[i]) for i in d])
    k4 = f([y[i] + h * (A.B4[0] * k1[i] + A.B4[1] * k2[i] + A.B4[2] * k3[i]) for i in d])
    k5 = f([y[i] + h * (A.B5[0] * k1[i] + A.B5[1] * k2[i] + A.B5[2] * k3[i] + A.B5[3] * k4[i]) for i in d])
    k6 = f([y[i] + h * (A.B6[0] * k1[i] + A.B6[1] * k2[i] + A.B6[2] * k3[i] + A.B6[3] * k4[i] + A.B6[4] * k5[i])
            for i in d])
    y1 = [y[i] + h * (A.C[0] * k1[i] + A.C[1] * k3[i] + A.C[2] * k4[i] + A.C[3] * k5[i] + A.C[4] * k6[i]) for i in d]
    err = [h * (A.EC[0] * k1[i] + A.EC[1] * k3[i] + A.EC[2] * k4[i] + A.EC[3] * k5[i] + A.EC[4] * k6[i]) for i in d]
    return y1, err


def _py_evolve(f, h_int, y, step, eps_abs):
    """NEST's while (t < step) gsl_odeiv_evolve_apply(...) with y-control (eps_abs, 0)."""
    t = 0.0
    while t < step:
        t0, h0, y0, k1 = t, h_int, list(y), f(y)
        while True:
            final = h0 > step - t0
            if final:
                h0 = step - t0
            y1, err = _py_rkf45(f, y0, h0, k1)
            t = step if final else t0 + h0
            rmax = max([2.2250738585072014e-308] + [abs(e) / abs(0.0 * abs(v) + eps_abs) for e, v in zip(err, y1)])
            h_new = h0
            if rmax > 1.1:
                r = max(0.9 / math.pow(rmax, 1.0 / 5), 0.2)
                if abs(r * h0) < abs(h0) and t + r * h0 != t:
                    h0 = r * h0
                    continue
            elif rmax < 0.5:
                h_new = min(max(0.9 / math.pow(rmax, 1.0 / 6.0), 1.0), 5.0) * h0
            y, h_int = y1, h_new
            break
    return y, h_int


@pytest.mark.parametrize("slab", [0, 2])
def test_evolve_is_gsls(slab):
    """A stiff linear system with per-neuron rates: step sizes, rejections and final truncation as GSL's."""
    rng = np.random.default_rng(0)
    n = 24
    lam = rng.uniform(0.5, 400.0, n)
    y0 = np.stack([rng.uniform(-5, 5, n), rng.uniform(-5, 5, n)])
    h0 = rng.uniform(1e-3, 0.3, n)

    def rhs(y, a, nz):
        return jnp.stack([_rkf45.quotient(-y[0], a["tau"], nz), _rkf45.product(-a["lam"], y[1], nz) + y[0]])

    aux = {"tau": jnp.full(n, 3.0), "lam": jnp.asarray(lam)}
    y, h, _ = jax.jit(lambda y, h: _rkf45.evolve(rhs, y, h, aux, step=0.1, control=_rkf45.y_control(1e-3, 0.0),
                                                 slab=slab))(y0, h0)
    for i in range(n):
        f = lambda v, i=i: [-v[0] / 3.0, -lam[i] * v[1] + v[0]]  # noqa: E731
        yi, hi = _py_evolve(f, h0[i], [float(v) for v in y0[:, i]], 0.1, 1e-3)
        assert np.asarray(y)[:, i].tolist() == yi and float(h[i]) == hi


@pytest.mark.parametrize("name", ["psc_exp_multi_strong_input", "psc_exp_multi_dc_two_runs"])
def test_iaf_psc_exp_multisynapse_is_nests_bits(name):
    """Exact integration: every recorded value is NEST's float64, not only within 1e-6."""
    with open(os.path.join(CASES, name + ".json")) as f:
        case = json.load(f)
    spikes, out = single_neuron.replay(case)
    assert spikes == case["expected"]["spike_times"]
    for r in case["recordables"]:
        e = case["expected"][r]
        assert out[r][:len(e)] == e, r


def test_parameters_in_the_built_constants_are_refused_in_place():
    """A built Simulation cannot take a new tau_m of mat2_psc_exp (its propagators are computed when the
    network is built): Simulation.set says so instead of running on with the old propagators; V_m can."""
    net = jaxsnn.Network()
    n = net.create("mat2_psc_exp", 2)
    sim = net.build()
    with pytest.raises(jaxsnn.JaxsnnError, match="'tau_m' of mat2_psc_exp enters the constants"):
        sim.set(n, {"tau_m": 20.0})
    tau_m = float(sim.get(n, "tau_m").tau_m.iloc[0])  # the same value again is no change
    assert sim.set(n, {"V_m": -60.0, "tau_m": tau_m}).get(n, "V_m").V_m.tolist() == [-60.0, -60.0]
