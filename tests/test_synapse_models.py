"""Synapse models beyond static_synapse and stdp_synapse(_hom) in networks, against NEST 3.10's
``kind: "synapse"`` cases (transmitted weights, final state, the receiving neuron's spikes and V_m)."""
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
from jaxsnn.testing.conformance import case_network, compare, run_case

from .conftest import CASES as CASE_DIR
from .conftest import ROOT, case_files, cpu_devices, whole_parts_resumed

IN_NETWORKS = ("stdp_pl_synapse_hom", "static_synapse_hom_w", "tsodyks_synapse", "tsodyks_synapse_hom",
               "tsodyks2_synapse", "stdp_nn_symm_synapse", "stdp_nn_restr_synapse", "stdp_nn_pre_centered_synapse",
               "vogels_sprekeler_synapse", "stdp_triplet_synapse")
# (cases of other kinds share the prefixes: net_rules_* name two synapse models, not one "synapse")
CASES = [f for f in case_files("syn_") if json.loads(f.read_text()).get("synapse") in IN_NETWORKS]
NETWORKS = [f for f in case_files("net_") if json.loads(f.read_text()).get("synapse") in IN_NETWORKS]
# one-connection cases whose aspects a fast NEST network case of the same rule checks (test_synapse_network_case:
# non-integer mu, per-connection parameters, delays 1 to 3.2 ms, iaf_psc_alpha targets' spikes and V_m, negative
# weights): they run in the full suite. Each rule keeps a fast one-connection case (its default parameters where
# a case has them).
IN_FULL_SUITE = {"syn_stdp_nn_symm", "syn_stdp_nn_symm_onto_alpha", "syn_stdp_nn_restr", "syn_stdp_nn_restr_onto_alpha",
                 "syn_stdp_nn_pre_centered", "syn_stdp_nn_pre_centered_onto_alpha", "syn_stdp_triplet",
                 "syn_stdp_triplet_onto_alpha", "syn_vogels_sprekeler_negative", "syn_vogels_sprekeler_onto_alpha"}
# The STDP family's and vogels_sprekeler's one-connection cases and the short-term rules' further cases run in
# the full suite too: the fast suite keeps each of these rules against NEST in a network through
# test_two_rules.py (test_pynest_script_gives_nests_numbers, test_two_rule_case[net_rules_stdp_nn_symm]), spike by
# spike through test_synapse_rules.py::test_rule_matches_nest, and one case each of static_synapse_hom_w,
# tsodyks_synapse, tsodyks_synapse_hom and tsodyks2_synapse here.
IN_FULL_SUITE |= {"syn_stdp_nn_pre_centered_delay", "syn_stdp_nn_restr_delay", "syn_stdp_nn_symm_delay",
                  "syn_stdp_pl_hom_default", "syn_stdp_pl_hom_hpc", "syn_stdp_pl_hom_onto_delta",
                  "syn_stdp_triplet_default", "syn_tsodyks2_facilitating", "syn_tsodyks2_onto_exp",
                  "syn_tsodyks_facilitating", "syn_tsodyks_onto_exp", "syn_vogels_sprekeler"}
assert IN_FULL_SUITE <= {f.stem for f in CASES}, IN_FULL_SUITE - {f.stem for f in CASES}
FAST_CASES = [pytest.param(f, marks=pytest.mark.slow) if f.stem in IN_FULL_SUITE else f for f in CASES]


@pytest.mark.parametrize("path", FAST_CASES, ids=lambda p: p.stem)
def test_synapse_case(path, precision):
    case = json.loads(path.read_text())
    result = compare(case, run_case(case), precision)
    assert all(ok for ok, _ in result.values()), {k: d for k, (ok, d) in result.items() if not ok}


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_two_rules.py::test_pynest_script_gives_nests_numbers
# and test_two_rule_case[net_rules_stdp_nn_symm] (each STDP-family rule and vogels_sprekeler against NEST in a network)
@pytest.mark.parametrize("path", NETWORKS, ids=lambda p: p.stem)
def test_synapse_network_case(path, x64):
    """A recurrent network of a plastic model: every spike, final V_m, every transmitted weight and every
    connection's final state as NEST's (float64)."""
    case = json.loads(path.read_text())
    assert len(case["expected"]["spike_times"]) > 300 and len(case["expected"]["weight_recorder"]["times"]) > 1000
    result = compare(case, run_case(case), True)
    assert all(ok for ok, _ in result.values()), {k: d for k, (ok, d) in result.items() if not ok}


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_conformance_models.py::test_parrot_multiplicity_through_stdp
@pytest.mark.parametrize("name", ["stdp_nn_pre_centered_parrot_multiplicity", "stdp_triplet_parrot_multiplicity",
                                  "stdp_nn_restr_parrot_multiplicity"])
def test_parrot_multiplicity_case(name, x64):
    """Parrots' spikes of multiplicity 2 and 3 on either side: only the first repeat of a post spike pairs
    (pre_centered), each repeat's archived K-,3 is one more (triplet), only the first repeat of a pre spike
    finds the post spikes since the last one (restr); NEST's weights and traces."""
    case = json.loads((CASE_DIR / f"{name}.json").read_text())
    result = compare(case, run_case(case), True)
    assert all(ok for ok, _ in result.values()), {k: d for k, (ok, d) in result.items() if not ok}


def _pair(model="stdp_pl_synapse_hom", **common):
    net = jaxsnn.Network()
    p = net.create("parrot_neuron", 2)
    net.copy_model(model, "syn", common)
    return net, p[0], p[1]


@pytest.mark.parametrize("model,param", [("stdp_pl_synapse_hom", "mu"), ("stdp_pl_synapse_hom", "tau_plus"),
                                         ("static_synapse_hom_w", "weight")])
def test_common_properties_only_by_copy_model(model, param):
    net, a, b = _pair(model)
    with pytest.raises(JaxsnnError, match=f"common properties of {model}"):
        net.connect(a, b, syn_spec={"synapse_model": "syn", param: 2.0})


def test_static_synapse_hom_w_weight_from_the_model():
    net, a, b = _pair("static_synapse_hom_w", weight=3.5)
    net.connect(a, b, syn_spec={"synapse_model": "syn", "delay": 2.0})
    c = net.build().connections("syn")
    assert c.weight.tolist() == [3.5] and c.delay.tolist() == [2.0]


def test_stdp_pl_connections_report_nest_names():
    net, a, b = _pair(mu=0.3, alpha=0.5)
    net.connect(a, b, syn_spec={"synapse_model": "syn", "weight": 4.0, "Kplus": 0.5})
    c = net.build().connections("syn")
    assert {"tau_plus", "lambda", "alpha", "mu", "Kplus"} <= set(c.columns)
    assert (c.mu.iloc[0], c.alpha.iloc[0], c.Kplus.iloc[0], c.weight.iloc[0]) == (0.3, 0.5, 0.5, 4.0)


def test_stdp_pl_refuses_differentiable_build_by_name():
    net, a, b = _pair()
    net.connect(a, b, syn_spec={"synapse_model": "syn"})
    with pytest.raises(JaxsnnError, match="stdp_pl_synapse_hom is not differentiable"):
        net.build(differentiable=True)


@pytest.mark.parametrize("model", ["stdp_nn_symm_synapse", "stdp_nn_restr_synapse", "stdp_nn_pre_centered_synapse",
                                   "stdp_triplet_synapse", "vogels_sprekeler_synapse", "bernoulli_synapse",
                                   "quantal_stp_synapse"])
def test_differentiable_build_refuses_by_name(model):
    net = jaxsnn.Network()
    a = net.create("iaf_psc_alpha", 2)
    net.connect(a[0], a[1], syn_spec={"synapse_model": model})
    with pytest.raises(JaxsnnError, match=f"{model} is not differentiable"):
        net.build(differentiable=True)


# the fast suite keeps one alias (static_synapse_hpc): the others run the same lookup on costlier programs
@pytest.mark.parametrize("alias", [pytest.param("stdp_pl_synapse_hom_hpc", marks=pytest.mark.slow), "static_synapse_hpc",
                                   pytest.param("stdp_synapse_hom_hpc", marks=pytest.mark.slow),
                                   "stdp_synapse_hpc", "static_synapse_hom_w_hpc"])
def test_hpc_names(alias, x64):
    """NEST's *_hpc models compute what their base models do."""
    base = alias[:-4]
    case = json.loads(next(f for f in CASES if "stdp_pl_hom_hpc" in f.name).read_text())
    out = {}
    for name in (base, alias):
        net = jaxsnn.Network()
        g = net.create("spike_generator", params={"spike_times": case["pre_input_times"]})
        h = net.create("spike_generator", params={"spike_times": case["post_input_times"]})
        p = net.create("parrot_neuron", 2)
        a, b = p[0], p[1]
        net.connect(g, a, syn_spec={"delay": 1.0})
        net.connect(h, b, syn_spec={"delay": 1.0})
        net.copy_model(name, "syn", {"weight": 2.0} if "hom_w" in name else {})
        net.connect(a, b, syn_spec={"synapse_model": "syn", "receptor_type": 1,
                                    **({} if "hom_w" in name else {"weight": 5.0})})
        out[name] = jaxsnn.simulate(net.build(), 500.0).connections("syn").weight.to_numpy()
    np.testing.assert_array_equal(out[base], out[alias])


def _pl_network():
    """A small recurrent iaf_psc_alpha network with stdp_pl_synapse_hom on E->E and Poisson drive."""
    net = jaxsnn.Network(seed=5)
    e = net.create("iaf_psc_alpha", 40, params={"V_m": jaxsnn.random.uniform(-70.0, -55.0), "tau_minus": 30.0})
    pg = net.create("poisson_generator", params={"rate": 12000.0})
    sr = net.create("spike_recorder")
    wr = net.create("weight_recorder")
    net.copy_model("stdp_pl_synapse_hom", "pl", {"alpha": 0.5, "lambda": 0.05, "tau_plus": 15.0,
                                                 "weight_recorder": wr})
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": 8}, {"synapse_model": "pl", "weight": 40.0,
                                                                  "delay": 1.5})
    net.connect(pg, e, syn_spec={"weight": 30.0})
    net.connect(e, sr)
    return net, sr, wr


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_two_rules.py::test_two_rules_split_runs_and_checkpoint_are_bit_identical
def test_stdp_pl_split_runs_and_checkpoint_are_bit_identical(tmp_path, x64):
    net, sr, wr = _pl_network()
    whole, parts, resumed = whole_parts_resumed(net, 120.0, 47.3, 61.0, tmp_path)
    w = whole.connections("pl").weight.to_numpy()
    assert len(whole.events(sr)) > 50 and len(whole.events(wr)) > 50 and np.any(w != 40.0)  # plasticity acted
    for other in (parts, resumed):
        assert whole.events(sr).equals(other.events(sr))
        assert whole.events(wr).equals(other.events(wr))
        np.testing.assert_array_equal(w, other.connections("pl").weight.to_numpy())
        np.testing.assert_array_equal(whole.connections("pl").Kplus.to_numpy(),
                                      other.connections("pl").Kplus.to_numpy())


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_stdp_pl_over_devices_is_bit_identical():
    """The same stdp_pl network on 1 and on 3 CPU devices: the same spikes, weights and traces."""
    script = textwrap.dedent(inspect.getsource(_pl_network)) + textwrap.dedent("""
        import jax, numpy as np
        import jaxsnn
        net, sr, wr = _pl_network()
        a = jaxsnn.simulate(net.build(devices=1), 80.0)
        b = jaxsnn.simulate(net.build(), 80.0)
        assert len(jax.devices()) == 3 and b._plan and len(b._plan[-1].devices) == 3
        assert a.events(sr).equals(b.events(sr)) and a.events(wr).equals(b.events(wr))
        ca, cb = a.connections("pl"), b.connections("pl")
        for k in ("source", "target", "weight", "Kplus"):
            np.testing.assert_array_equal(ca[k].to_numpy(), cb[k].to_numpy(), err_msg=k)
        assert len(a.events(sr)) > 30
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                       env=cpu_devices(3, JAX_ENABLE_X64="True", PYTHONPATH=str(ROOT)))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


FAMILY = {  # a rule with per-connection parameters and initial traces, where the model has them
    "stdp_nn_symm_synapse": ({"alpha": 1.1, "mu_plus": 0.5, "Wmax": 120.0}, {"lambda": (0.01, 0.05)}),
    "stdp_nn_restr_synapse": ({"alpha": 1.1, "mu_minus": 0.5, "Wmax": 120.0}, {"lambda": (0.01, 0.05)}),
    "stdp_nn_pre_centered_synapse": ({"alpha": 1.1, "Wmax": 120.0}, {"Kplus": (0.0, 2.0)}),
    "vogels_sprekeler_synapse": ({"eta": 1.5, "alpha": 0.2, "Wmax": 150.0, "weight": 20.0}, {"Kplus": (0.0, 1.0)}),
    "stdp_triplet_synapse": ({"Aplus": 0.4, "Aminus": 0.5, "Aplus_triplet": 0.2, "Aminus_triplet": 0.05, "Wmax": 120.0},
                             {"Kplus": (0.0, 1.0), "Kplus_triplet": (0.0, 1.0)}),
}


def _family_network(model):
    """A recurrent iaf_psc_alpha network whose E->E synapses follow ``model`` (FAMILY: common and per-connection
    values), with Poisson drive."""
    common, per_conn = FAMILY[model]
    net = jaxsnn.Network(seed=11)
    e = net.create("iaf_psc_alpha", 40, params={"V_m": jaxsnn.random.uniform(-70.0, -55.0), "tau_minus": 20.0,
                                                "tau_minus_triplet": 90.0})
    pg = net.create("poisson_generator", params={"rate": 12000.0})
    sr = net.create("spike_recorder")
    wr = net.create("weight_recorder")
    net.copy_model(model, "fam", {**common, "weight_recorder": wr})
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": 8},
                {"synapse_model": "fam", "weight": jaxsnn.random.uniform(20.0, 60.0),
                 "delay": jaxsnn.random.uniform_int(4) * 0.5 + 1.0,
                 **{k: jaxsnn.random.uniform(*r) for k, r in per_conn.items()}})
    net.connect(pg, e, syn_spec={"weight": 30.0})
    net.connect(e, sr)
    return net, sr, wr


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_two_rules.py::test_two_rules_split_runs_and_checkpoint_are_bit_identical
@pytest.mark.parametrize("model", list(FAMILY))
def test_stdp_family_split_runs_and_checkpoint_are_bit_identical(tmp_path, x64, model):
    """The rule's NEST network case (per-connection parameters and initial traces, delays 1 to 3.2 ms) run whole,
    in two parts and resumed from a checkpoint: the same spikes, transmitted weights and final state. The
    network is test_synapse_network_case's, so its compiled program serves both tests."""
    case = json.loads(next(f for f in NETWORKS if json.loads(f.read_text())["synapse"] == model).read_text())
    net, _, sr, wr = case_network(case)
    t = case["t_sim"]
    whole, parts, resumed = whole_parts_resumed(net, t, 147.3, 201.0, tmp_path)
    c = whole.connections("plastic")
    assert len(whole.events(sr)) > 50 and len(whole.events(wr)) > 50
    w0 = net.build().connections("plastic").weight.to_numpy()
    assert np.any(c.weight.to_numpy() != w0)  # plasticity acted
    for other in (parts, resumed):
        assert whole.events(sr).equals(other.events(sr))
        assert whole.events(wr).equals(other.events(wr))
        o = other.connections("plastic")
        for k in ("weight",) + SYNAPSES[model].rule.traces:
            np.testing.assert_array_equal(c[k].to_numpy(), o[k].to_numpy(), err_msg=k)


@pytest.mark.slow
def test_stdp_family_over_devices_is_bit_identical():
    """Each rule's network on 1 and on 3 CPU devices: the same spikes, transmitted weights and traces."""
    script = "FAMILY = " + repr(FAMILY) + "\n" + textwrap.dedent(inspect.getsource(_family_network)) + textwrap.dedent("""
        import jax, numpy as np
        import jaxsnn
        for model in FAMILY:
            net, sr, wr = _family_network(model)
            a = jaxsnn.simulate(net.build(devices=1), 60.0)
            b = jaxsnn.simulate(net.build(), 60.0)
            assert len(jax.devices()) == 3 and b._plan and len(b._plan[-1].devices) == 3
            assert a.events(sr).equals(b.events(sr)) and a.events(wr).equals(b.events(wr)), model
            ca, cb = a.connections("fam"), b.connections("fam")
            for k in ("source", "target", "weight") + tuple(k for k in ("Kplus", "Kplus_triplet") if k in ca):
                np.testing.assert_array_equal(ca[k].to_numpy(), cb[k].to_numpy(), err_msg=model + " " + k)
            assert len(a.events(sr)) > 30
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                       env=cpu_devices(3, JAX_ENABLE_X64="True", PYTHONPATH=str(ROOT)))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_stdp_pl_weights_stored_and_restored(tmp_path):
    """Selective store of a stdp_pl model's weights (also negative ones: the model has no sign check, as NEST)
    and restore into a fresh build of the same network."""
    net, sr, wr = _pl_network()
    sim = jaxsnn.simulate(net.build(), 60.0)
    w = sim.connections("pl").weight.to_numpy()
    assert np.any(w != 40.0)
    jaxsnn.store(tmp_path / "st", sim, {}, synapse_models=("pl",))
    fresh = net.build()
    back = jaxsnn.restore_into(fresh, jaxsnn.load(tmp_path / "st"), synapse_models=("pl",))
    np.testing.assert_array_equal(back.connections("pl").weight.to_numpy(), w.astype(np.float32))
    neg = fresh.replace(state=fresh.state.with_weights(-fresh.state.weights))
    jaxsnn.store(tmp_path / "neg", neg, {}, synapse_models=("pl",))
    back = jaxsnn.restore_into(fresh, jaxsnn.load(tmp_path / "neg"), synapse_models=("pl",))
    assert (back.connections("pl").weight.to_numpy() == -40.0).all()
