"""NEST verbs and semantics at the host level, each asserted against what NEST 3.10 does.

The NEST facts are data here (measured with the nest-simulator 3.10.0 wheel; NEST is not a test
dependency); the script that measured each is quoted in its comment.
"""
import math

import jax
import numpy as np
import pytest

import jaxsnn
from jaxsnn import JaxsnnError


def spikes(sim, sr):
    ev = sim.events(sr)
    return sorted(zip(ev.senders.tolist(), np.round(ev.times.to_numpy(), 9).tolist()))


# ------------------------------------------------------------------------------- private copies
def test_arrays_are_copied_at_create_and_connect():
    """Writing into an array after passing it changes nothing (it used to bypass validation:
    tau_m = -10 or NaN weights got through)."""
    net = jaxsnn.Network()
    tau = np.array([10.0, 20.0])
    a = net.create("iaf_psc_delta", 2, params={"tau_m": tau})
    w, d = np.array([1.0, 2.0]), np.array([1.0, 2.0])
    src, tgt = np.array([1, 2]), np.array([2, 1])
    net.connect(src, tgt, "one_to_one", {"weight": w, "delay": d})
    times = np.array([1.0, 2.0])
    sg = net.create("spike_generator", params={"spike_times": times})
    net.connect(sg, a)
    tau[:] = -10.0
    w[:] = np.nan
    d[:] = 0.0
    src[:] = 0
    times[:] = np.nan
    sim = net.build()
    assert sim.get(a, ["tau_m"]).tau_m.tolist() == [10.0, 20.0]
    c = sim.connections("static_synapse").sort_values(["source", "target"])
    assert c[c.source <= 2].weight.tolist() == [1.0, 2.0] and c[c.source <= 2].source.tolist() == [1, 2]
    assert net._pop_of(3).params["spike_times"].tolist() == [1.0, 2.0]


# ------------------------------------------------------------------------------------- set
def test_set_like_nest():
    # NEST 3.10: a.set({"V_m": -60.0}) -> (-60, -60); {"V_m": [-60, -61]} -> (-60, -61);
    # a.set([{"V_m": -60.0}, {"tau_m": 4.0}]) -> V_m (-60, -70), tau_m (10, 4)
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 2)
    net.set(a, {"V_m": -60.0})
    assert net._pops[0].params["V_m"].tolist() == [-60.0, -60.0]
    a.set({"V_m": [-60.0, -61.0]})
    assert net._pops[0].params["V_m"].tolist() == [-60.0, -61.0]
    net.set(a, [{"V_m": -62.0}, {"tau_m": 4.0}])
    p = net._pops[0].params
    assert p["V_m"].tolist() == [-62.0, -61.0] and p["tau_m"].tolist() == [10.0, 4.0]
    a[1].set(I_e=5.0)
    assert p is not net._pops[0].params and net._pops[0].params["I_e"].tolist() == [0.0, 5.0]
    net.set(a, {"V_m": jaxsnn.random.uniform(-70.0, -60.0)})
    assert ((-70 <= net._pops[0].params["V_m"]) & (net._pops[0].params["V_m"] < -60)).all()


def test_set_E_L_keeps_absolute_potentials():
    # NEST 3.10: a.set({"E_L": -60.0}) -> V_m -70, V_th -55, V_reset -70 (absolute values kept)
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta")
    net.set(a, {"E_L": -60.0})
    got = net.build().get(a, ["V_m", "V_th", "V_reset", "E_L"]).iloc[0].tolist()
    assert got == [-70.0, -55.0, -70.0, -60.0]


def test_set_refused_value_changes_nothing():
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 2)
    with pytest.raises(JaxsnnError, match="tau_m"):
        net.set(a, [{"V_m": -60.0}, {"tau_m": -1.0}])
    assert net._pops[0].params["V_m"].tolist() == [-70.0, -70.0]


def test_set_devices_per_node():
    # NEST 3.10: g.set(rate=[1.0, 2.0]) -> (1.0, 2.0); sg.set([{"spike_times": [1.]}, {...: [2.]}]) per node;
    # sg.set({"spike_times": [1.0, 2.0]}) -> both generators get both times
    net = jaxsnn.Network()
    pg = net.create("poisson_generator", 2)
    net.set(pg, rate=[1.0, 2.0])
    assert [net._pop_of(i).params["rate"] for i in pg] == [1.0, 2.0]
    net.set(pg, {"rate": 3.0})
    assert [net._pop_of(i).params["rate"] for i in pg] == [3.0, 3.0]


# ------------------------------------------------------------------- spike_generator params
def two_generators(params):
    net = jaxsnn.Network()
    g = net.create("spike_generator", 2, params=params)
    n = net.create("iaf_psc_delta", 2)
    net.connect(g, n, "one_to_one", {"weight": 20.0})
    sr = net.create("spike_recorder")
    net.connect(n, sr)
    return spikes(jaxsnn.simulate(net.build(), 6.0), sr)


def test_spike_generator_params_like_nest():
    # NEST 3.10 (generators 1-2 -> iaf 3-4 one_to_one, weight 20, Simulate(6)):
    # params=[{"spike_times": [1.0]}, {"spike_times": [2.0, 3.0]}] -> [(3, 2.0), (4, 3.0)]
    # params={"spike_times": [1.0, 2.0]} -> both get both: [(3, 2.0), (4, 2.0)]
    # params={"spike_times": [[1.0], [2.0]]} -> TypeMismatch (tests/test_bad_inputs.py)
    assert two_generators([{"spike_times": [1.0]}, {"spike_times": [2.0, 3.0]}]) == [(3, 2.0), (4, 3.0)]
    assert two_generators({"spike_times": [1.0, 2.0]}) == [(3, 2.0), (4, 2.0)]


def test_spike_times_round_to_the_nearest_tic_like_nest():
    # NEST 3.10, h = 0.1: 1.0004 -> stored 1.0; 0.99995 -> 1.0; 1.0005, 1.0006, 1.04 -> BadProperty
    # ('not representable in current resolution'); the run with [1.0004, 1.9996] equals [1.0, 2.0]
    net = jaxsnn.Network()
    g = net.create("spike_generator", params={"spike_times": [0.99995, 1.0004, 1.9996]})
    assert net._pop_of(g.ids[0]).params["spike_times"].tolist() == [1.0, 1.0, 2.0]
    assert two_generators({"spike_times": [1.0004, 2.0 - 0.0004]}) == [(3, 2.0), (4, 2.0)]
    for off in (1.0005, 1.0006, 1.04):
        with pytest.raises(JaxsnnError, match=f"spike_times={off}"):
            net.create("spike_generator", params={"spike_times": [off]})


# ---------------------------------------------------------------------- syn_spec as a name
def test_syn_spec_may_be_a_model_name():
    # NEST 3.10 (brunel_delta_nest.py): CopyModel("static_synapse", "excitatory", {"weight": 2.5, "delay": 1.5});
    # Connect(a, a, {"rule": "all_to_all"}, "excitatory") -> 4 connections, weight 2.5, delay 1.5, model excitatory
    net = jaxsnn.Network()
    net.copy_model("static_synapse", "excitatory", {"weight": 2.5, "delay": 1.5})
    a = net.create("iaf_psc_delta", 2)
    net.connect(a, a, {"rule": "all_to_all"}, "excitatory")
    c = net.build().connections("excitatory")
    assert len(c) == 4 and set(c.weight) == {2.5} and np.allclose(c.delay, 1.5)
    assert set(c.synapse_model) == {"excitatory"}


# ------------------------------------------------------------------------ fixed settings
def test_resolution_cannot_change_after_construction():
    # NEST 3.10: setting resolution once nodes exist -> KernelException
    net = jaxsnn.Network(resolution=0.1)
    with pytest.raises(JaxsnnError, match="resolution cannot be changed"):
        net.resolution = 0.2
    assert net.resolution == 0.1 and net.tics_per_step == 100


def test_build_takes_an_int_or_a_key():
    net = jaxsnn.Network()
    net.create("iaf_psc_delta")
    a, b = net.build(seed=2 ** 32 - 1), net.build(seed=1)
    assert not np.array_equal(np.asarray(a.state.key), np.asarray(b.state.key))
    net.build(seed=jax.random.key(3))


# ------------------------------------------------------------------ connection rules in x64
@pytest.mark.parametrize("rule", [{"rule": "fixed_indegree", "indegree": 4},
                                  {"rule": "fixed_outdegree", "outdegree": 4}])
def test_rules_with_redraws_work_in_float64(x64, rule):
    """A redraw wrote into np.asarray(jax int64 array), read-only in float64 mode."""
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 5)
    net.connect(a, a, {**rule, "allow_autapses": False, "allow_multapses": False})
    c = net._conns[0]
    assert (c.source != c.target).all()
    pairs = c.source * 100 + c.target
    assert len(np.unique(pairs)) == len(pairs) == 20


# ---------------------------------------------------------------------------- recorders
def test_recorders_accept_what_nest_accepts():
    # NEST 3.10: all_to_all / one_to_one onto spike_recorders connect; a multimeter may use
    # pairwise_bernoulli (p = 1 gave 2 connections) and fixed_indegree with distinct partners; two
    # multimeters may record one neuron
    net = jaxsnn.Network()
    n = net.create("iaf_psc_delta", 2)
    sr = net.create("spike_recorder", 2)
    net.connect(n, sr, "one_to_one")
    mm = net.create("multimeter", 2)
    net.connect(mm, n, "one_to_one")
    mm2 = net.create("multimeter")
    net.connect(mm2, n, {"rule": "pairwise_bernoulli", "p": 1.0})
    net.build()


# -------------------------------------------------------------------------------- STDP
def stdp_weights(model="stdp_synapse", **p):
    net = jaxsnn.Network()
    pre, post = net.create("iaf_psc_delta"), net.create("iaf_psc_delta")
    gpre = net.create("spike_generator", params={"spike_times": [1.0, 5.0, 9.0, 13.0]})
    gpost = net.create("spike_generator", params={"spike_times": [3.0, 7.0, 11.0]})
    net.connect(gpre, pre, syn_spec={"weight": 30.0})
    net.connect(gpost, post, syn_spec={"weight": 30.0})
    w = p.pop("weight", 1.0)
    if model == "stdp_synapse_hom":  # common properties go through copy_model, as in NEST
        net.copy_model(model, "h", p)
        model, p = "h", {}
    net.connect(pre, post, syn_spec={"synapse_model": model, "weight": w, **p})
    sim, out = net.build(), []
    for _ in range(4):
        sim = jaxsnn.simulate(sim, 5.0)
        out.append(float(sim.connections(model).weight.iloc[0]))
    return out


@pytest.mark.parametrize("params, nest", [
    # NEST 3.10, pre spikes at 2, 6, 10, 14 ms and post spikes at 4, 8, 12 ms (generators at 1, 5, 9, 13 and
    # 3, 7, 11 with weight 30), stdp_synapse weight 1, GetConnections after each Simulate(5.0):
    ({}, [1.0, 1.8344831679603282, 5.256733779548743, 5.256733779548743]),
    ({"tau_plus": 0.0}, [1.0, 0.990487705754993, 0.9503063199789799, 0.9503063199789799]),  # NEST accepts 0
    ({"Wmax": 0.0}, [0.0, 0.0, 0.0, 0.0]),  # NEST accepts Wmax = 0 (w/Wmax is inf; NaN rules give 0)
    ({"Wmax": 0.0, "weight": 0.0}, [0.0, 0.0, 0.0, 0.0]),
])
def test_stdp_parameters_nest_accepts(x64, params, nest):
    assert stdp_weights(**params) == pytest.approx(nest, rel=1e-12, abs=0)


@pytest.mark.parametrize("params, weight, nest", [
    # NEST 3.10, the same spikes, CopyModel("stdp_synapse_hom", "h", params) (hom checks no signs):
    ({"Wmax": 0.0}, 1.0, [0.0, 0.0, 0.0, 0.0]),
    ({"Wmax": 0.0}, -1.0, [0.0, 0.0, 0.0, 0.0]),
    ({"tau_plus": 0.0}, 1.0, [1.0, 0.990487705754993, 0.9503063199789799, 0.9503063199789799]),
])
def test_stdp_hom_parameters_nest_accepts(x64, params, weight, nest):
    assert stdp_weights("stdp_synapse_hom", weight=weight, **params) == pytest.approx(nest, rel=1e-12, abs=0)


# ------------------------------------------------------------------------- NodeCollection
def test_node_collection_like_nest():
    # NEST 3.10 on a = Create(10): a[2] -> [3]; a[-1] -> [10]; a[0:4] -> [1..4]; a[-3:] -> [8, 9, 10];
    # a[:-3] -> [1..7]; a[:10] -> all; a[::2] -> [1, 3, 5, 7, 9]; a[1:8:3] -> [2, 5, 8]; a[[4, 5, 6]] -> [5, 6, 7];
    # a[np.array([2, 3])] -> [3, 4]; a[[True]*5 + [False]*5] -> [1..5]; a[[]] -> []; a[4:6] + a[0:2] -> [1, 2, 5, 6];
    # (a[2:5] + a[7:9])[3] -> [8]; (a[2:5] + a[7:9])[1:4] -> [4, 5, 8]; 2 in a; a.index(3) -> 2
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 10)
    assert a[2].tolist() == [3] and a[-1].tolist() == [10] and a[np.int64(3)].tolist() == [4]
    assert a[0:4].tolist() == [1, 2, 3, 4] and a[-3:].tolist() == [8, 9, 10] and a[:-3].tolist() == list(range(1, 8))
    assert a[:10].tolist() == list(range(1, 11)) and a[::2].tolist() == [1, 3, 5, 7, 9] and a[1:8:3].tolist() == [2, 5, 8]
    assert a[[4, 5, 6]].tolist() == [5, 6, 7] and a[np.array([2, 3])].tolist() == [3, 4]
    assert a[[True] * 5 + [False] * 5].tolist() == [1, 2, 3, 4, 5] and a[[]].tolist() == []
    assert (a[4:6] + a[0:2]).tolist() == [1, 2, 5, 6]
    assert (a[2:5] + a[7:9])[3].tolist() == [8] and (a[2:5] + a[7:9])[1:4].tolist() == [4, 5, 8]
    assert 2 in a and 11 not in a and a.index(3) == 2
    assert jaxsnn.NodeCollection(net, [1, 5, 7]).tolist() == [1, 5, 7]
    with pytest.raises(JaxsnnError, match="overlapping"):  # NEST: 'Cannot join overlapping NodeCollections'
        a[0:4] + a[2:6]


# ------------------------------------------------------------------------------ Poisson
def exact_log_tail(mu, n):
    """log P(N >= n) for N ~ Poisson(mu), summed in log space (independent of jaxsnn.core.rng)."""
    lp = [k * math.log(mu) - mu - math.lgamma(k + 1) for k in range(n, n + 20 * int(math.sqrt(mu) + 10))]
    top = max(lp)
    return top + math.log(sum(math.exp(x - top) for x in lp))


@pytest.mark.parametrize("mu", [746.0, 1000.0, 1800.0])
def test_poisson_terms_cover_means_beyond_exp_underflow(mu):
    """exp(-mu) underflows above ~745 (7.45 MHz at h = 0.1 ms): the term count must still make
    P(N >= n) < 2**-32, the bound the simulation checks."""
    from jaxsnn.core.rng import n_terms_for

    n = n_terms_for(mu)
    assert exact_log_tail(mu, n) < math.log(2.0 ** -32)


def test_poisson_term_count_unchanged_where_it_worked():
    """The count (and so every Poisson stream) must not change for means that worked before: these are
    the counts of the original direct sum (computed by it before the change)."""
    from jaxsnn.core.rng import n_terms_for

    before = {0.0: 1, 0.008: 5, 0.08: 7, 0.8: 12, 8.0: 33, 60.9: 117, 80.0: 144, 400.0: 534, 478.47: 624, 700.0: 875}
    assert {mu: n_terms_for(mu) for mu in before} == before


def test_poisson_rate_above_exp_underflow_simulates():
    # NEST accepts any finite rate >= 0; 1e7 Hz at h = 1 ms is mu = 1e4 > 2048 terms: refused (bad inputs),
    # 8e5 Hz at h = 1 ms (mu = 800, beyond exp(-mu) underflow) builds and runs
    net = jaxsnn.Network(resolution=1.0)
    pg = net.create("poisson_generator", params={"rate": 8e5})
    n = net.create("iaf_psc_delta", params={"V_th": math.inf, "tau_m": 1e9, "C_m": 1e9})
    net.connect(pg, n, syn_spec={"weight": 1e-3})
    sim = jaxsnn.simulate(net.build(), 12.0)
    v = float(sim.get(n, ["V_m"]).V_m.iloc[0]) + 70.0
    assert v == pytest.approx(10 * 800 * 1e-3, rel=0.02)  # steps 1..10 fire, arriving with d = 1 ms by t = 12


def test_per_node_device_params_reach_the_simulation():
    # NEST 3.10: Create("poisson_generator", 2, params={"rate": [1.0, 2.0]}) -> rates (1.0, 2.0), and
    # params=[{"rate": 1.0}, {"rate": 2.0}] the same; each generator drives its own targets
    net = jaxsnn.Network()
    pg = net.create("poisson_generator", 2, params={"rate": [0.0, 5e4]})
    n = net.create("iaf_psc_delta", 2, params={"V_th": math.inf})
    net.connect(pg, n, "one_to_one", {"weight": 1.0})
    v = jaxsnn.simulate(net.build(), 5.0).get(n, ["V_m"]).V_m.to_numpy() + 70.0
    assert v[0] == 0.0 and v[1] > 0.0


def test_copy_model_keeps_a_private_copy():
    net = jaxsnn.Network()
    v = np.array([-60.0, -61.0])
    net.copy_model("iaf_psc_delta", "x", {"V_m": v})
    v[:] = np.nan
    net.create("x", 2)
    assert net._pops[0].params["V_m"].tolist() == [-60.0, -61.0]
