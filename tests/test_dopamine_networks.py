"""stdp_dopamine_synapse with a volume_transmitter in networks, against NEST 3.10's cases (``syn_stdp_dopamine*``:
one connection; ``net_stdp_dopamine*``: pre parrots onto iaf_psc_alpha neurons, dopamine parrots into the
transmitter): transmitted weights, final weight, K+, c and n, the post neurons' spikes and V_m; split runs and
checkpoints give the same bits, and so do runs split over devices; what is refused is refused by name."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jaxsnn
from jaxsnn.errors import JaxsnnError
from jaxsnn.testing.conformance import case_network, compare, run_case

from .conftest import CASES as CASES_DIR
from .conftest import REFERENCE, ROOT, case_files, cpu_devices, whole_parts_resumed

# every case runs in the full suite (a dopamine network compiles for 20-70 s): the fast suite keeps the rule
# against NEST's bits spike by spike (test_synapse_rules.py::test_rule_matches_nest[syn_stdp_dopamine_interval])
# and the network case of deliver_interval 3 (Wmin/Wmax bounds, a dopamine spike of multiplicity 2, iaf_psc_alpha
# targets) in test_split_runs_and_checkpoint_are_bit_identical
CASES = [f for f in case_files("syn_stdp_dopamine")] + [f for f in case_files("net_stdp_dopamine")]
FAST_CASES = [pytest.param(f, marks=pytest.mark.slow) for f in CASES]


# every case's transmitted weights and final weight, K+, c and n are NEST's bits in float64 (NEST's own expm1 and
# the C library's exp reproduced, every product rounded apart and every division a division, as NEST computes them)
@pytest.mark.parametrize("path", FAST_CASES, ids=lambda p: p.stem)
def test_dopamine_case(path, x64):
    case = json.loads(path.read_text())
    out, exp = run_case(case), case["expected"]
    result = compare(case, out, True)
    assert all(ok for ok, _ in result.values()), {k: d for k, (ok, d) in result.items() if not ok}
    if case["kind"] == "synapse":
        assert out["weight_recorder_weights"] == exp["weight_recorder_weights"]
    else:
        assert out["weight_recorder"]["weights"] == exp["weight_recorder"]["weights"]
        assert out["final_V_m"] == exp["final_V_m"]
    for k in ("weight", "Kplus", "c", "n"):
        assert out["final"][k] == exp["final"][k], k

def test_nest_expm1(x64):
    """NEST 3.10's numerics::expm1 as the released packages build it (no C library expm1: its Taylor series below
    ln 2, exp(x) - 1 above), elementwise as the plain loop computes it; within a few ulp of the exact value."""
    from jaxsnn.models._propagators import nest_expm1 as loop  # the host's scalar loop (NEST's propagators)
    from jaxsnn.models.stdp_dopamine_synapse import nest_expm1

    xs = np.concatenate([np.random.default_rng(4).uniform(-1.0, 1.0, 3000), [0.0, -0.03, -0.01, 0.69, -0.7, -5.0]])
    got = np.asarray(nest_expm1(jax_array(xs)))
    np.testing.assert_array_equal(got, [loop(float(x)) for x in xs])
    np.testing.assert_allclose(got, np.expm1(xs), rtol=1e-15, atol=0)


def jax_array(x):
    import jax.numpy as jnp

    return jnp.asarray(x, jnp.float64)


def test_cases_exercise_the_rule():
    """The network cases move weights through dopamine, fire the post neurons and deliver every few slices."""
    cases = [json.loads(f.read_text()) for f in case_files("net_stdp_dopamine")]
    assert len(cases) == 2 and {c["vt_params"].get("deliver_interval", 1) for c in cases} == {1, 3}
    for c in cases:
        e = c["expected"]
        assert len(e["spike_times"]) > 40 and len(e["weight_recorder"]["times"]) > 150
        w0 = sorted((x["source"], x["target"], x["weight"]) for x in c["connections"])
        assert np.max(np.abs(np.array(e["final"]["weight"]) - np.array([w for *_, w in w0]))) > 1.0


def _network(interval=2):
    """Pre parrots onto iaf_psc_alpha neurons through stdp_dopamine_synapse, dopamine parrots into a transmitter."""
    net = jaxsnn.Network(seed=3)
    rng = np.random.default_rng(5)
    times = lambda rate: sorted(set(np.round(rng.uniform(1.0, 190.0, int(rate * 0.19)), 1).tolist()))
    pre, post, dopa = net.create("parrot_neuron", 6), net.create("iaf_psc_alpha", 3), net.create("parrot_neuron", 2)
    vt = net.create("volume_transmitter", params={"deliver_interval": interval})
    wr, sr = net.create("weight_recorder"), net.create("spike_recorder")
    for nodes, rate in ((pre, 60.0), (dopa, 30.0)):
        for i in range(len(nodes)):
            net.connect(net.create("spike_generator", params={"spike_times": times(rate)}), nodes[i])
    net.connect(net.create("poisson_generator", params={"rate": 3000.0}), post, syn_spec={"weight": 300.0})
    net.connect(dopa, vt, syn_spec={"delay": 1.5})
    net.copy_model("stdp_dopamine_synapse", "dopa", {"volume_transmitter": vt, "weight_recorder": wr, "tau_c": 100.0,
                                                      "tau_n": 50.0, "Wmax": 150.0})
    net.connect(pre, post, syn_spec={"synapse_model": "dopa", "weight": jaxsnn.random.uniform(40.0, 90.0),
                                     "delay": jaxsnn.random.uniform_int(3) * 0.5 + 1.0})
    net.connect(post, sr)
    return net, sr, wr


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability:
# test_synapse_rules.py::test_rule_matches_nest (the rule's arithmetic against NEST),
# test_two_rules.py::test_two_rules_split_runs_and_checkpoint_are_bit_identical (split runs and checkpoints)
def test_split_runs_and_checkpoint_are_bit_identical(tmp_path, x64):
    """The NEST network case with deliver_interval 3 (a split inside an interval) run whole, in two parts and
    resumed from a checkpoint: the same spikes, transmitted weights and final w, K+, c and n. The network is
    test_dopamine_case's, so its compiled program serves both tests."""
    case = json.loads((CASES_DIR / "net_stdp_dopamine_interval.json").read_text())
    net, _, sr, wr = case_network(case)
    t = case["t_sim"]
    whole, parts, resumed = whole_parts_resumed(net, t, 213.4, 301.0, tmp_path)
    c = whole.connections("dopa")
    assert len(whole.events(sr)) > 20 and len(whole.events(wr)) > 100
    assert np.any(c.weight.to_numpy() != net.build().connections("dopa").weight.to_numpy())
    for other in (parts, resumed):
        assert whole.events(sr).equals(other.events(sr))
        assert whole.events(wr).equals(other.events(wr))
        o = other.connections("dopa")
        for k in ("weight", "Kplus", "c", "n"):
            np.testing.assert_array_equal(c[k].to_numpy(), o[k].to_numpy(), err_msg=k)


# in a child process whose CPU is 3 devices: the NEST cases split over devices (the volume transmitter's input from
# dopamine neurons on other devices, the synapses on devices other than their transmitter's inputs)
SPLIT = textwrap.dedent("""
    import json, sys, jax, numpy as np
    jax.config.update("jax_enable_x64", True)
    import jaxsnn
    from jaxsnn.testing.conformance import compare, run_case
    from tests.conftest import CASES
    from tests.test_dopamine_networks import _network
    names, against_one = [n for n in sys.argv[1].split(",") if n], sys.argv[2] == "1"
    for name in names:  # NEST's bits, as one device gives them (test_dopamine_case)
        case = json.loads((CASES / f"{name}.json").read_text())
        out, exp = run_case(case, devices=2), case["expected"]
        bad = {k: d for k, (ok, d) in compare(case, out, True).items() if not ok}
        assert not bad, (name, bad)
        assert out["weight_recorder"] == exp["weight_recorder"], name
        assert out["final_V_m"] == exp["final_V_m"] and out["spike_times"] == exp["spike_times"], name
        assert all(out["final"][k] == exp["final"][k] for k in ("weight", "Kplus", "c", "n")), name
    if against_one:  # synapses on two devices (unequal numbers of them), the transmitter's input on a third
        net, sr, wr = _network()
        one, three = (jaxsnn.simulate(net.build(devices=d), 200.0) for d in (1, 3))
        assert len(one.events(wr)) > 100 and one.events(sr).equals(three.events(sr))
        assert one.events(wr).equals(three.events(wr))
        a, b = one.connections("dopa"), three.connections("dopa")
        for k in ("weight", "Kplus", "c", "n"):
            assert np.array_equal(a[k].to_numpy(), b[k].to_numpy()), k
    print("ok")
""")


def _split(names, against_one):
    r = subprocess.run([sys.executable, "-c", SPLIT, ",".join(names), "1" if against_one else "0"], cwd=ROOT,
                       capture_output=True, text=True, env=cpu_devices(3, PYTHONPATH=str(ROOT)), timeout=1800)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_split_over_devices_gives_nests_bits():
    """The network cases on two devices: NEST's bits (which one device gives, test_dopamine_case). The
    synapse cases (one pre/post pair) split the same way: the transmitter's input on another device."""
    _split([p.stem for p in CASES if p.stem.startswith("net_")], False)


@pytest.mark.slow
def test_split_over_devices_is_bit_identical():
    """A network over three devices as on one."""
    _split([], True)


def _pair(**common):
    net = jaxsnn.Network()
    pre, post = net.create("parrot_neuron"), net.create("parrot_neuron")
    return net, pre, post


def test_refused_by_name():
    net, pre, post = _pair()
    net.copy_model("stdp_dopamine_synapse", "nov")
    with pytest.raises(JaxsnnError, match="no volume transmitter"):
        net.connect(pre, post, syn_spec="nov")
    vt = net.create("volume_transmitter", 2)
    with pytest.raises(JaxsnnError, match="volume_transmitter"):
        net.copy_model("stdp_dopamine_synapse", "two", {"volume_transmitter": vt})
    with pytest.raises(JaxsnnError, match="volume_transmitter"):
        net.copy_model("stdp_dopamine_synapse", "wrong", {"volume_transmitter": post})
        net.connect(pre, post, syn_spec="wrong")
    with pytest.raises(JaxsnnError, match="common properties"):
        net.copy_model("stdp_dopamine_synapse", "ok", {"volume_transmitter": vt[0]})
        net.connect(pre, post, syn_spec={"synapse_model": "ok", "tau_c": 10.0})
    with pytest.raises(JaxsnnError, match="deliver_interval"):
        net.create("volume_transmitter", params={"deliver_interval": 0})
    with pytest.raises(JaxsnnError, match="volume_transmitter"):
        net.connect(net.create("spike_generator"), vt[0])
    net.connect(pre, post, syn_spec="ok")
    with pytest.raises(JaxsnnError, match="stdp_dopamine_synapse is not differentiable"):
        net.build(differentiable=True)
    net.connect(pre, post, syn_spec="stdp_synapse")
    with pytest.raises(JaxsnnError, match="stdp_dopamine_synapse.*stdp_synapse|stdp_synapse.*stdp_dopamine_synapse"):
        net.build()


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability:
# test_synapse_rules.py::test_rule_matches_nest[syn_stdp_dopamine_interval] (the rule),
# test_two_rules.py::test_pynest_script_gives_nests_numbers (a plastic network through jaxsnn.nest)
def test_pynest_script(x64):
    """A PyNEST script (tests/pynest_scripts.py's stdp_dopamine_set) through jaxsnn.nest: Create("volume_transmitter"),
    CopyModel with it, Connect into it, GetConnections' weight, c, n, Kplus, their set between Simulate calls,
    the weight_recorder's events, as NEST's."""
    import jaxsnn.nest as nest

    from .pynest_scripts import SCRIPTS

    exp = json.loads((REFERENCE / "pynest_cases" / "pynest_stdp_dopamine_set.json").read_text())
    got = SCRIPTS["stdp_dopamine_set"](nest)
    for when in ("after_30", "after_100"):
        for k, v in exp[when].items():
            np.testing.assert_allclose(got[when][k], v, rtol=1e-12, err_msg=f"{when} {k}")
    np.testing.assert_allclose(got["weights"], exp["weights"], rtol=1e-12)
    np.testing.assert_array_equal(got["times"], exp["times"])
    assert got["into_transmitter"] == exp["into_transmitter"]

@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_pynest_rebuild_carries_the_state(x64):
    """A connection made after Simulate makes jaxsnn.nest rebuild: the dopamine synapses' state and the
    transmitter's list and input carry over, so the first synapse evolves as without the new one (to the last
    bits: the rebuild is another compiled program, whose float rounding of c may differ in the last bit)."""
    import jaxsnn.nest as nest

    def run(extra):
        nest.ResetKernel()
        g = nest.Create("spike_generator", params={"spike_times": [3.0, 9.0, 14.0, 22.0, 27.0, 33.0]})
        gd = nest.Create("spike_generator", params={"spike_times": [4.0, 8.0, 9.5, 15.0, 21.0, 26.5]})
        gp = nest.Create("spike_generator", params={"spike_times": [5.0, 12.0, 20.0, 30.0]})
        pre, post, dn, other = (nest.Create("parrot_neuron") for _ in range(4))
        vt = nest.Create("volume_transmitter", params={"deliver_interval": 2})
        for a, b in ((g, pre), (gd, dn), (gp, post)):
            nest.Connect(a, b)
        nest.Connect(dn, vt, syn_spec={"delay": 2.5})
        nest.CopyModel("stdp_dopamine_synapse", "dopa", {"volume_transmitter": vt, "tau_n": 20.0, "tau_c": 30.0})
        nest.Connect(pre, post, syn_spec={"synapse_model": "dopa", "weight": 35.0})
        nest.Simulate(10.0)
        if extra:
            nest.Connect(other, post, syn_spec={"synapse_model": "dopa", "weight": 20.0})
        nest.Simulate(30.0)
        return nest.GetConnections(pre, post).get(["weight", "c", "n", "Kplus"])

    a, b = run(False), run(True)
    assert a["weight"] != 35.0 and a["n"] > 0
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=1e-13, err_msg=k)
