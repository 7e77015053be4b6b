"""Networks whose plastic synapses follow two rules (NEST 3.10's ``rules_network`` cases, made by
``tests/reference/tools/nest_two_rules.py``): stdp_synapse with vogels_sprekeler_synapse, stdp_synapse with
stdp_nn_symm_synapse, stdp_nn_pre_centered_synapse and stdp_triplet_synapse (which share its sources),
stdp_nn_restr_synapse and stdp_pl_synapse_hom with vogels_sprekeler_synapse; each rule on its own synapses with its own pairing, every value as NEST's; rules that
cannot share a network yet are refused by name."""
import inspect
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jaxsnn
from jaxsnn.errors import JaxsnnError
from jaxsnn.models import SYNAPSES
from jaxsnn.testing.conformance import compare, rules_network, run_case

from .conftest import ROOT, case_files, cpu_devices, whole_parts_resumed

CASES = case_files("net_rules_")
FAST_CASES = ("net_rules_stdp_nn_symm",)  # the other cases run in the full suite
# through the PyNEST script: every rule of the STDP family and vogels_sprekeler against NEST (the stdp_synapse +
# vogels and stdp_synapse + nn_symm pairs in the full suite: test_two_rule_case runs nn_symm fast)
PYNEST_IN_FULL_SUITE = ("net_rules_stdp_vogels", "net_rules_stdp_nn_symm")


def _load(path):
    return json.loads(path.read_text())


def test_cases_exercise_both_rules():
    """In NEST, both plastic projections of each case transmit and move their weights, none stuck at a bound."""
    cases = [_load(p) for p in CASES]
    assert {c["name"] for c in cases} == {"net_rules_stdp_vogels", "net_rules_stdp_nn_symm",
                                          "net_rules_stdp_nn_pre_centered", "net_rules_nn_restr_vogels",
                                          "net_rules_stdp_pl_vogels", "net_rules_stdp_triplet"}
    for c in cases:
        e = c["expected"]
        plastic = [p for p in c["projections"] if p["synapse"] != "static_synapse"]
        assert len({p["synapse"] for p in plastic}) == 2 and len(e["spike_times"]) > 300
        for p in plastic:
            conn = p["connections"]
            w0 = np.array([w for *_, w in sorted(zip(conn["source"], conn["target"], conn["weight"]))])
            w = np.array(e["final"][p["model"]]["weight"])
            assert len(e["weight_recorder"][p["model"]]["times"]) > 300
            bound = abs(p["common_params"].get("Wmax", np.inf))  # (stdp_pl_synapse_hom has none)
            assert np.max(np.abs(w - w0)) > 5.0 and not np.any(np.abs(w) >= bound)


@pytest.mark.parametrize("path", [p if p.stem in FAST_CASES else pytest.param(p, marks=pytest.mark.slow) for p in CASES],
                         ids=lambda p: p.stem)
def test_two_rule_case(path, x64):
    """Every spike, final V_m, every transmitted weight of each projection and each connection's final state
    (its own rule's parameters and traces) as NEST's (float64; ``synapse_network``'s criteria)."""
    case = _load(path)
    result = compare(case, run_case(case), True)
    keys = {k.split("/")[1] for k in result if k.startswith("weight_recorder/")}
    assert keys == {p["model"] for p in case["projections"] if p["synapse"] != "static_synapse"}
    assert all(ok for ok, _ in result.values()), {k: d for k, (ok, d) in result.items() if not ok}


def test_columns_are_each_rules_own(x64):
    """GetConnections of a two-rule network: each rule's parameters and traces on its own synapses, NaN on the
    other rule's and on static ones; a column both rules have (tau_plus) holds each synapse's own value."""
    case = _load(next(p for p in CASES if p.stem == "net_rules_stdp_nn_symm"))
    net, _, _ = rules_network(case)
    c = net.build().connections()
    ee, ei, st = (c.synapse_model == "ee"), (c.synapse_model == "ei"), c.synapse_model.isin(["ie", "ii"])
    assert (c.tau_plus[ee] == 17.0).all() and (c.tau_plus[ei] == 12.0).all() and c.tau_plus[st].isna().all()
    assert (c.mu_plus[ee] == 1.0).all() and (c.mu_plus[ei] == 0.4).all()
    assert (c.Kplus[ee] == 0.0).all() and c.Kplus[ei | st].isna().all()  # stdp_nn_symm_synapse has no K+
    lam = np.array([x for *_, x in sorted(zip(*(case["projections"][1]["connections"][k]
                                                    for k in ("source", "target", "lambda"))))])
    np.testing.assert_array_equal(c[ei].sort_values(["source", "target"]).loc[:, "lambda"].to_numpy(), lam)


def _mixed(stdp_first=True, inhibitory=True):
    """A small recurrent network with stdp_synapse and vogels_sprekeler_synapse connections, Poisson driven
    (``inhibitory`` False: the vogels_sprekeler_synapse weights and Wmax positive)."""
    sign = -1.0 if inhibitory else 1.0
    net = jaxsnn.Network(seed=5)
    e = net.create("iaf_psc_alpha", 16, params={"V_m": jaxsnn.random.uniform(-70.0, -55.0), "tau_minus": 20.0})
    i = net.create("iaf_psc_alpha", 4, params={"V_m": jaxsnn.random.uniform(-70.0, -55.0), "tau_minus": 20.0})
    wr = net.create("weight_recorder")
    net.copy_model("stdp_synapse", "ee", {"Wmax": 120.0, "lambda": 0.02, "weight_recorder": wr})
    net.copy_model("vogels_sprekeler_synapse", "ie", {"Wmax": sign * 150.0, "weight": sign * 30.0, "eta": 1.5, "alpha": 0.2, "tau": 20.0,
                                                      "weight_recorder": wr})
    rng = np.random.default_rng(3)  # explicit plastic connections: the same whatever the order of connect
    ee_src, ee_tgt = rng.integers(1, 17, 80), np.repeat(np.arange(1, 17), 5)
    ie_src, ie_tgt = rng.integers(17, 21, 48), np.repeat(np.arange(1, 17), 3)
    plastic = [lambda: net.connect(ee_src, ee_tgt, "one_to_one",
                                   {"synapse_model": "ee", "weight": rng.uniform(20.0, 60.0, 80),
                                    "delay": rng.integers(0, 4, 80) * 0.5 + 1.0}),
               lambda: net.connect(ie_src, ie_tgt, "one_to_one",
                                   {"synapse_model": "ie", "weight": sign * 30.0, "delay": 1.5})]
    for f in plastic if stdp_first else plastic[::-1]:
        f()
    net.connect(e, i, {"rule": "fixed_indegree", "indegree": 4}, {"weight": 40.0})
    net.connect(net.create("poisson_generator", params={"rate": 12000.0}), e + i, syn_spec={"weight": 30.0})
    sr = net.create("spike_recorder")
    net.connect(e + i, sr)
    return net, sr, wr


def test_two_rules_split_runs_and_checkpoint_are_bit_identical(tmp_path, x64):
    net, sr, wr = _mixed()
    whole, parts, resumed = whole_parts_resumed(net, 120.0, 47.3, 61.0, tmp_path)
    c = whole.connections()
    w0 = net.build().connections().weight.to_numpy()
    for m in ("ee", "ie"):
        assert np.any((c.weight.to_numpy() != w0)[c.synapse_model == m])  # both rules acted
    assert len(whole.events(sr)) > 50 and len(whole.events(wr)) > 50
    for other in (parts, resumed):
        assert whole.events(sr).equals(other.events(sr)) and whole.events(wr).equals(other.events(wr))
        o = other.connections()
        for k in ("weight", "Kplus"):
            np.testing.assert_array_equal(c[k].to_numpy(), o[k].to_numpy(), err_msg=k)


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_two_rule_case[net_rules_stdp_nn_symm]
def test_order_of_rules_does_not_matter(x64):
    """Connecting the vogels_sprekeler_synapse projection first (its rule becomes the first) changes nothing."""
    (a, sa, wa), (b, sb, wb) = _mixed(), _mixed(stdp_first=False)
    ra, rb = jaxsnn.simulate(a.build(), 80.0), jaxsnn.simulate(b.build(), 80.0)
    assert ra.spec.plasticity.stdp_rule.rules == rb.spec.plasticity.stdp_rule.rules[::-1]
    assert ra.events(sa).equals(rb.events(sb))
    key = ["times", "senders", "targets"]
    assert ra.events(wa).sort_values(key).reset_index(drop=True).equals(
        rb.events(wb).sort_values(key).reset_index(drop=True))
    key = ["source", "target"]
    for m in ("ee", "ie"):
        x = ra.connections(m).sort_values(key).reset_index(drop=True)
        y = rb.connections(m).sort_values(key).reset_index(drop=True)
        np.testing.assert_array_equal(x.weight.to_numpy(), y.weight.to_numpy(), err_msg=m)


def test_stored_weights_keep_each_rules_sign(tmp_path, x64):
    """restore_into checks a stored weight against the sign of its own rule's Wmax (a column of its own place in
    each rule's row): negative for the inhibitory vogels_sprekeler_synapse projection, positive for stdp_synapse."""
    net, _, _ = _mixed()
    sim = jaxsnn.simulate(net.build(), 40.0)
    jaxsnn.store(tmp_path / "s", sim, {}, synapse_models=("ee", "ie"))
    back = jaxsnn.restore_into(net.build(), jaxsnn.load(tmp_path / "s"), synapse_models=("ee", "ie"))
    for m in ("ee", "ie"):
        np.testing.assert_array_equal(back.connections(m).weight.to_numpy(), sim.connections(m).weight.to_numpy())
    excitatory, _, _ = _mixed(inhibitory=False)
    jaxsnn.store(tmp_path / "e", jaxsnn.simulate(excitatory.build(), 1.0), {}, synapse_models=("ie",))
    with pytest.raises(JaxsnnError, match="sign of the synapse's Wmax"):
        jaxsnn.restore_into(net.build(), jaxsnn.load(tmp_path / "e"), synapse_models=("ie",))


def test_each_rule_keeps_its_own_arithmetic(x64):
    """PlasticityRules gives each synapse its own rule's dt/τ₊ (stdp_pl_synapse_hom's product with 1/τ₊, which
    differs from a division in the last bit; NEST's rtol 1e-12 cannot tell them apart), facilitation, depression
    and facilitation term (stdp_nn_symm_synapse's is e^(...) alone), bit for bit."""
    import jax.numpy as jnp

    from jaxsnn.models.base import PlasticityRules

    names = ("stdp_pl_synapse_hom", "vogels_sprekeler_synapse", "stdp_nn_symm_synapse")
    rules = tuple(SYNAPSES[n].rule for n in names)
    both = PlasticityRules(rules=rules)
    rng = np.random.default_rng(0)
    rows = [SYNAPSES[n].row({**SYNAPSES[n].defaults(), "tau_plus": 17.3, "tau": 23.1, "Wmax": 150.0}) for n in names]
    p = jnp.asarray([r + [1.0] * (both.width - 1 - len(r)) + [float(i)] for i, r in enumerate(rows)] * 50)
    dt, w, k = (jnp.asarray(rng.uniform(lo, hi, len(p))) for lo, hi in ((-50.0, -0.1), (1.0, 100.0), (0.0, 2.0)))
    got = [both.over_tau_rows(dt, p), both.facilitate(w, k, p), both.depress(w, k, p), both.term_rows(k, dt, p)]
    for i, r in enumerate(rules):
        mine = np.asarray(p[:, -1] == i)
        want = [r.over_tau(dt, p[:, 0]), r.facilitate(w, k, p), r.depress(w, k, p), r.term(k, dt)]
        for what, a, b in zip(("over_tau", "facilitate", "depress", "term"), got, want):
            np.testing.assert_array_equal(np.asarray(a)[mine], np.asarray(b)[mine], err_msg=f"{names[i]} {what}")


@pytest.mark.parametrize("other", ["stdp_dopamine_synapse"])
def test_rule_that_runs_alone_refused_by_name(other):
    """A rule that does not combine with another yet (the neuromodulated one): refused at build, naming it."""
    net = jaxsnn.Network()
    a = net.create("iaf_psc_alpha", 2)
    net.connect(a[0], a[1], syn_spec={"synapse_model": "stdp_synapse"})
    if other == "stdp_dopamine_synapse":
        vt = net.create("volume_transmitter")
        net.copy_model(other, "d", {"volume_transmitter": vt})
        net.connect(a[1], a[0], syn_spec={"synapse_model": "d"})
    else:
        net.connect(a[1], a[0], syn_spec={"synapse_model": other})
    with pytest.raises(JaxsnnError, match=f"one network uses .*jaxsnn runs {other} only in networks"):
        net.build()


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.slow) if p.stem in PYNEST_IN_FULL_SUITE else p
                                  for p in CASES], ids=lambda p: p.stem)
def test_pynest_script_gives_nests_numbers(path, x64):
    """The case's NEST script run with jaxsnn.nest, its Simulate split in two: the spikes, and GetConnections'
    get() per projection (each rule's own parameters and traces) as NEST's."""
    import jaxsnn.nest as nest

    case = _load(path)
    nest.ResetKernel()
    nest.resolution = case["resolution"]
    n = case["n_exc"] + case["n_inh"]
    pop = nest.Create("iaf_psc_alpha", n, params={"V_m": np.asarray(case["V_m"]), **case["neuron_params"]})
    for p in case["projections"]:
        extra = {} if p["synapse"] == "static_synapse" else {"weight_recorder": nest.Create("weight_recorder")}
        nest.CopyModel(p["synapse"], p["model"], dict(p["common_params"], **extra))
    for i, times in enumerate(case["inputs"]):
        nest.Connect(nest.Create("spike_generator", params={"spike_times": times}), pop[i],
                     syn_spec={"weight": case["input_weight"], "delay": 1.0})
    for p in case["projections"]:
        c = p["connections"]
        syn = {k: np.asarray(v) for k, v in c.items() if k not in ("source", "target")}
        nest.Connect(np.asarray(c["source"]), np.asarray(c["target"]), "one_to_one", dict(syn, synapse_model=p["model"]))
    sr = nest.Create("spike_recorder")
    nest.Connect(pop, sr)
    nest.Simulate(case["t_sim"] / 2)
    nest.Simulate(case["t_sim"] / 2)
    ev = sr.get("events")
    order = np.lexsort((ev["senders"], ev["times"]))
    assert np.round(np.asarray(ev["times"])[order], 6).tolist() == case["expected"]["spike_times"]
    for model, want in case["expected"]["final"].items():
        status = nest.GetConnections(synapse_model=model).get()
        at = np.lexsort((np.asarray(status["target"]), np.asarray(status["source"])))
        for k, v in want.items():
            np.testing.assert_allclose(np.asarray(status[k], float)[at], v, rtol=1e-12, atol=0, err_msg=f"{model} {k}")
        synapse = next(p["synapse"] for p in case["projections"] if p["model"] == model)
        others = set(case["expected"]["final"][next(m for m in case["expected"]["final"] if m != model)]) - set(want)
        for k in others - set(SYNAPSES[synapse].columns()):  # the other rule's columns: NaN on these connections
            assert np.isnan(np.asarray(status[k], float)).all(), (model, k)


@pytest.mark.slow
def test_two_rules_over_devices_are_bit_identical():
    """The two-rule network on 1 and on 3 CPU devices: the same spikes, transmitted weights and traces."""
    script = textwrap.dedent(inspect.getsource(_mixed)) + textwrap.dedent("""
        import jax, numpy as np
        import jaxsnn
        net, sr, wr = _mixed()
        a = jaxsnn.simulate(net.build(devices=1), 60.0)
        b = jaxsnn.simulate(net.build(), 60.0)
        assert len(jax.devices()) == 3 and b._plan and len(b._plan[-1].devices) == 3
        key = ["times", "senders", "targets"]
        assert a.events(sr).equals(b.events(sr))
        assert a.events(wr).sort_values(key).reset_index(drop=True).equals(
            b.events(wr).sort_values(key).reset_index(drop=True))
        ca, cb = a.connections(), b.connections()
        for k in ("source", "target", "weight", "Kplus", "eta", "lambda"):
            np.testing.assert_array_equal(ca[k].to_numpy(), cb[k].to_numpy(), err_msg=k)
        assert len(a.events(sr)) > 30
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                       env=cpu_devices(3, JAX_ENABLE_X64="True", PYTHONPATH=str(ROOT)))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


def _parrots(models, case):
    """Parrots fed with repeated times (spikes of multiplicity 2 and 3, ``case``'s inputs), pre -> post by one
    connection of each of ``models`` (onto receptor 1: the post parrot does not repeat them)."""
    net = jaxsnn.Network(resolution=case["resolution"])
    g_pre = net.create("spike_generator", params={"spike_times": case["pre_input_times"]})
    g_post = net.create("spike_generator", params={"spike_times": case["post_input_times"]})
    pre, post = net.create("parrot_neuron"), net.create("parrot_neuron", params={"tau_minus": 20.0})
    net.connect(g_pre, pre, syn_spec={"delay": 1.0})
    net.connect(g_post, post, syn_spec={"delay": 1.0})
    for m in models:
        net.copy_model(m, f"_{m}", {"Wmax": 10.0, "lambda": 0.05, "alpha": 1.1, "mu_plus": 0.4, "mu_minus": 0.4})
        net.connect(pre, post, syn_spec={"synapse_model": f"_{m}", "weight": 3.0, "delay": 1.0, "receptor_type": 1})
    return jaxsnn.simulate(net.build(), case["t_sim"])


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_multiplicity_pairs_by_each_rule(x64):
    """Spikes of multiplicity 2 and 3 (parrots) through three rules on one pair of neurons: each connection's weight
    and K+ as in a network of its rule alone (whose numbers are NEST's: the *_parrot_multiplicity cases); a
    first_only rule pairs one repeat, stdp_synapse every repeat."""
    from .conftest import CASES as CASE_DIR

    case = json.loads((CASE_DIR / "stdp_nn_pre_centered_parrot_multiplicity.json").read_text())
    # and repeated post spikes that reach the synapses in the slice of a pre spike, before it (the pre spike's pass
    # facilitates them: slices of 1 ms, delays 1 ms)
    same_slice = dict(resolution=0.1, t_sim=120.0, pre_input_times=[10.0, 31.5, 50.0, 71.6, 90.0],
                      post_input_times=[30.1, 30.1, 70.2, 70.2, 70.2])
    models = ("stdp_synapse", "stdp_nn_pre_centered_synapse", "stdp_nn_restr_synapse")
    for inputs in (case, same_slice):
        _compare_alone(models, inputs)


def _compare_alone(models, case):
    both = _parrots(models, case)
    assert len(both.spec.plasticity.stdp_rule.rules) == 3
    for m in models:
        alone = _parrots((m,), case).connections(f"_{m}")
        c = both.connections(f"_{m}")
        assert float(c.weight.iloc[0]) != 3.0
        for k in ("weight", "Kplus") if "Kplus" in alone else ("weight",):
            # (NEST's criterion, rtol 1e-12: the rules' arithmetic in another program may round an ulp apart)
            np.testing.assert_allclose(c[k].to_numpy(), alone[k].to_numpy(), rtol=1e-12, atol=0, err_msg=f"{m} {k}")


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_nest_between_runs.py::test_plastic_set_with_a_pending_facilitation_gives_nests_weights
def test_pynest_set_one_rules_parameter_between_runs(x64):
    """jaxsnn.nest: eta set to 0 on the vogels_sprekeler_synapse connections between Simulate calls freezes their
    weights (|w| + 0, then − α·0) from the set on, a facilitation pending then included (NEST applies it at the next
    presynaptic spike, with the eta of that time), while stdp_synapse's go on; get reports the new eta on those
    connections only."""
    import jaxsnn.nest as nest

    nest.ResetKernel()
    nest.CopyModel("stdp_synapse", "ee", {"Wmax": 120.0, "lambda": 0.02})
    nest.CopyModel("vogels_sprekeler_synapse", "ie", {"Wmax": -150.0, "eta": 1.5, "alpha": 0.2, "weight": -30.0})
    e = nest.Create("iaf_psc_alpha", 16, params={"V_m": -60.0, "tau_minus": 20.0})
    i = nest.Create("iaf_psc_alpha", 4, params={"V_m": -60.0, "tau_minus": 20.0})
    nest.Connect(e, e, {"rule": "fixed_indegree", "indegree": 5}, {"synapse_model": "ee", "weight": 40.0})
    nest.Connect(i, e, {"rule": "fixed_indegree", "indegree": 3}, {"synapse_model": "ie"})
    nest.Connect(e, i, {"rule": "fixed_indegree", "indegree": 4}, {"weight": 40.0})
    nest.Connect(nest.Create("poisson_generator", params={"rate": 12000.0}), e + i, syn_spec={"weight": 30.0})
    nest.Simulate(60.0)
    ee, ie = nest.GetConnections(synapse_model="ee"), nest.GetConnections(synapse_model="ie")
    w_ee, w_ie = np.array(ee.get("weight")), np.array(ie.get("weight"))
    assert np.any(w_ie != -30.0) and np.any(w_ee != 40.0)
    ie.set({"eta": 0.0})
    assert ie.get("eta") == [0.0] * len(ie) and np.isnan(ee.get("eta")).all()
    nest.Simulate(60.0)
    np.testing.assert_array_equal(np.array(ie.get("weight")), w_ie)
    w_ee = np.array(ee.get("weight"))
    nest.Simulate(60.0)
    np.testing.assert_array_equal(np.array(ie.get("weight")), w_ie)
    assert np.any(np.array(ee.get("weight")) != w_ee)
