"""Receptor ports in networks (NEST's 1-based ``receptor_type`` of a multi-receptor neuron, one channel of
the input ring per port), with iaf_psc_exp_multisynapse and the other multisynapse models: NEST's cases through create/connect/multimeter,
NEST's refusals, and invariants of the routing (a port behaves as iaf_psc_exp's excitatory current)."""
import json

import numpy as np
import pytest

import jaxsnn
from jaxsnn.testing import conformance

from .conftest import CASES

MODEL = "iaf_psc_exp_multisynapse"


@pytest.mark.parametrize("name", ["psc_exp_multi_strong_input", "psc_exp_multi_dc_two_runs",
                                  pytest.param("psc_exp_multi_random_drive", marks=pytest.mark.slow),
                                  "psc_alpha_multi_strong_input",
                                  # fast: the psc cases (ports through a network) and the aeif models' own NEST
                                  # cases, test_gsl_models.py::test_case_matches_nest[aeif_*_multi_strong_input]
                                  pytest.param("aeif_alpha_multi_strong_input", marks=pytest.mark.slow),
                                  pytest.param("aeif_beta_multi_strong_input", marks=pytest.mark.slow)])
def test_nest_case_through_a_network_is_nests_bits(name, x64):
    """Spike generators on ports 1, 2, 3 (spikes, refractoriness, a dc_generator, I_e set between runs) of
    iaf_psc_exp_multisynapse, iaf_psc_alpha_multisynapse and the aeif multisynapse models (GSL's rkf45):
    every recorded value is NEST's float64."""
    case = json.loads((CASES / f"{name}.json").read_text())
    out = conformance.run_case(case)
    assert out["spike_times"] == case["expected"]["spike_times"]
    for r in case["recordables"]:
        assert out[r] == case["expected"][r], r


def test_ports_are_refused_as_nest_refuses_them():
    net = jaxsnn.Network()
    n = net.create(MODEL, 2, params={"tau_syn": [1.0, 3.0]})
    g = net.create("spike_generator", params={"spike_times": [1.0]})
    for r in (0, 3):
        with pytest.raises(jaxsnn.JaxsnnError, match=f"receptor_type={r}.*port 1 … 2.*Receptor type {r} in {MODEL} "
                           "does not accept SpikeEvent"):
            net.connect(g, n, syn_spec={"receptor_type": r})
    net.connect(g, n, syn_spec={"receptor_type": 2})
    assert len(net.build().connections(source=g)) == 2  # the refused connections were not made
    with pytest.raises(jaxsnn.JaxsnnError, match="tau_syn"):
        net.create(MODEL, 2, params={"tau_syn": [[1.0, 2.0]] * 3})
    with pytest.raises(jaxsnn.JaxsnnError, match="All synaptic time constants must be strictly positive"):
        net.create(MODEL, params={"tau_syn": [1.0, -1.0]})
    with pytest.raises(jaxsnn.JaxsnnError, match="Membrane and synapse time constant"):
        net.create(MODEL, params={"tau_syn": [10.0]})


def _pair(x64, tau_syn, port, drive):
    """A source neuron driving a multi-receptor neuron on ``port`` and an iaf_psc_exp whose excitatory time
    constant is that port's, with the same weights; ``drive``: the source's input."""
    net = jaxsnn.Network(resolution=0.1)
    multi = net.create(MODEL, 1, params={"tau_syn": tau_syn})
    exp = net.create("iaf_psc_exp", 1, params={"tau_syn_ex": tau_syn[port - 1]})
    src = drive(net)
    net.connect(src, multi, syn_spec={"weight": 6000.0, "delay": 1.5, "receptor_type": port})
    net.connect(src, exp, syn_spec={"weight": 6000.0, "delay": 1.5})
    mm = net.create("multimeter", params={"interval": 0.1, "record_from": ["V_m"]})
    net.connect(mm, multi + exp)
    sr = net.create("spike_recorder")
    net.connect(multi + exp, sr)
    sim = jaxsnn.simulate(net.build(), 300.0)
    v = sim.events(mm)
    ev = sim.events(sr)
    return (v[v.senders == multi.tolist()[0]].V_m.to_numpy(), v[v.senders == exp.tolist()[0]].V_m.to_numpy(),
            ev[ev.senders == multi.tolist()[0]].times.tolist(), ev[ev.senders == exp.tolist()[0]].times.tolist())


def _neuron(net):
    return net.create("iaf_psc_delta", 1, params={"I_e": 500.0})


def _parrot_of_poisson(net):
    pg = net.create("poisson_generator", params={"rate": 800.0})
    parrot = net.create("parrot_neuron")
    net.connect(pg, parrot)
    return parrot


@pytest.mark.parametrize("drive", [_neuron, _parrot_of_poisson])
@pytest.mark.parametrize("tau_syn,port", [([5.0, 0.7, 3.0], 2), ([0.7, 3.0, 5.0], 3)])
def test_a_port_is_iaf_psc_exps_excitatory_current(x64, drive, tau_syn, port):
    """With I_e = 0 and input on one port only, NEST's update of iaf_psc_exp_multisynapse rounds as
    iaf_psc_exp's with that port's time constant as tau_syn_ex: the voltages are equal bit for bit, so every
    event went to the connection's port and no other (neuron-to-neuron synapses)."""
    v_multi, v_exp, s_multi, s_exp = _pair(x64, tau_syn, port, drive)
    assert len(s_exp) > 3
    assert s_multi == s_exp
    np.testing.assert_array_equal(v_multi, v_exp)


def test_generator_pushes_reach_their_port(x64):
    """poisson_generator, spike_generator and sinusoidal_poisson_generator (a generator of the device
    interface) connections onto port 2: the same bits as onto iaf_psc_exp (two networks of the same
    structure draw the same counts)."""
    traces = []
    for model, syn in ((MODEL, {"receptor_type": 2}), ("iaf_psc_exp", {})):
        net = jaxsnn.Network(resolution=0.1, seed=3)
        n = net.create(model, 1, params={"tau_syn": [5.0, 0.7]} if model == MODEL else {"tau_syn_ex": 0.7})
        pg = net.create("poisson_generator", params={"rate": 9000.0})
        sg = net.create("spike_generator", params={"spike_times": [20.0, 20.5, 21.0, 80.0]})
        net.connect(pg, n, syn_spec={"weight": 300.0, **syn})
        net.connect(sg, n, syn_spec={"weight": 4000.0, "delay": 2.0, **syn})
        sp = net.create("sinusoidal_poisson_generator", params={"rate": 2000.0, "amplitude": 1500.0,
                                                                 "frequency": 20.0})
        net.connect(sp, n, syn_spec={"weight": 150.0, "delay": 1.2, **syn})
        mm = net.create("multimeter", params={"interval": 0.1})
        net.connect(mm, n)
        traces.append(jaxsnn.simulate(net.build(), 150.0).events(mm).V_m.to_numpy())
    assert traces[0].max() > -60.0
    np.testing.assert_array_equal(traces[0], traces[1])


def test_neurons_with_different_port_counts_in_one_network(x64):
    """Populations with 3 and 1 ports share one [neurons, 3] layout (the 1-port neurons padded); get returns
    each neuron's own tau_syn and n_synapses; the 1-port neuron runs as it does alone."""
    def run(both):
        net = jaxsnn.Network(resolution=0.1)
        a = net.create(MODEL, 2, params={"tau_syn": [[0.5, 2.0, 8.0], [1.0, 2.0, 3.0]], "I_e": 200.0}) if both \
            else None
        b = net.create(MODEL, 1, params={"tau_syn": [1.5], "I_e": 300.0})
        g = net.create("spike_generator", params={"spike_times": [5.0, 7.0, 30.0]})
        net.connect(g, b, syn_spec={"weight": 2000.0, "receptor_type": 1})
        if both:
            net.connect(g, a, syn_spec={"weight": 1000.0, "receptor_type": 3})
        mm = net.create("multimeter", params={"interval": 0.1, "record_from": ["V_m", "I_syn"]})
        net.connect(mm, b)
        sim = jaxsnn.simulate(net.build(), 60.0)
        return sim, a, b, sim.events(mm)

    sim, a, b, ev = run(True)
    got = sim.get(a + b, ["tau_syn", "n_synapses"])
    assert [list(t) for t in got.tau_syn] == [[0.5, 2.0, 8.0], [1.0, 2.0, 3.0], [1.5]]
    assert got.n_synapses.tolist() == [3, 3, 1]
    alone = run(False)[3]
    np.testing.assert_array_equal(ev.V_m.to_numpy(), alone.V_m.to_numpy())
    np.testing.assert_array_equal(ev.I_syn.to_numpy(), alone.I_syn.to_numpy())
    with pytest.raises(jaxsnn.JaxsnnError, match="I_syn_2"):
        net = jaxsnn.Network()
        n = net.create(MODEL, 1)
        mm = net.create("multimeter", params={"record_from": ["I_syn_2"]})
        net.connect(mm, n)
        net.build()


SPLIT = """
import jax, numpy as np
import jaxsnn

def run(**options):
    net = jaxsnn.Network(seed=2)
    a = net.create("iaf_psc_exp_multisynapse", 5, params={"tau_syn": [0.5, 2.0, 8.0], "I_e": 250.0})
    b = net.create("iaf_psc_exp_multisynapse", 4, params={"tau_syn": [1.5]})
    pg = net.create("poisson_generator", params={"rate": 3000.0})
    sg = net.create("spike_generator", params={"spike_times": [3.0, 4.0, 9.0]})
    net.connect(a, a + b, {"rule": "fixed_indegree", "indegree": 2}, {"weight": 700.0, "receptor_type": 1})
    net.connect(pg, a, syn_spec={"weight": 80.0, "receptor_type": 3})
    net.connect(sg, b, syn_spec={"weight": 900.0, "receptor_type": 1})
    net.connect(a, a, {"rule": "fixed_indegree", "indegree": 1}, {"weight": -400.0, "receptor_type": 2})
    mm = net.create("multimeter", params={"interval": 0.1, "record_from": ["V_m", "I_syn"]})
    net.connect(mm, a + b)
    sr = net.create("spike_recorder")
    net.connect(a + b, sr)
    sim = jaxsnn.simulate(net.build(**options), 80.0)
    return sim.events(mm), sim.events(sr)

one, split = run(devices=1), run()
assert len(jax.devices()) == 3
assert len(one[1]) > 20
for x, y in zip(one, split):
    assert x.equals(y), (x, y)
print("ok")
"""


@pytest.mark.slow  # a child process compiles for 3 devices
def test_split_over_devices_is_bit_identical():
    """The ports travel with their synapses, Poisson connections and spike events to the targets' device."""
    import subprocess
    import sys

    from .conftest import ROOT, cpu_devices

    r = subprocess.run([sys.executable, "-c", SPLIT], capture_output=True, text=True, cwd=ROOT,
                       env=cpu_devices(3, JAX_ENABLE_X64="True"))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


# fast: iaf_psc_exp_multisynapse (the same check of a connected neuron's ports)
@pytest.mark.parametrize("model, grows", [("iaf_psc_exp_multisynapse", False),
                                          pytest.param("aeif_cond_alpha_multisynapse", True, marks=pytest.mark.slow)])
def test_port_count_of_a_connected_neuron_changes_as_nest_allows(model, grows):
    """NEST 3.10: a neuron with a spike connection in keeps its number of ports (iaf_psc_*_multisynapse)
    or may only gain ports (aeif_cond_*_multisynapse); current and recorder connections do not count."""
    lists = lambda n: {"tau_syn": [1.0 + i for i in range(n)], **({"E_rev": [0.0] * n} if "aeif" in model else {})}  # noqa: E731
    net = jaxsnn.Network()
    n = net.create(model, 3, params=lists(3))
    net.connect(net.create("poisson_generator"), n[0], syn_spec={"receptor_type": 1})
    net.connect(net.create("dc_generator"), n[1])
    net.connect(n[1], net.create("spike_recorder"))
    with pytest.raises(jaxsnn.JaxsnnError, match="node 1 has a spike connection in"):
        net.set(n[0], lists(2))
    if grows:
        net.set(n[0], lists(4))
    else:
        with pytest.raises(jaxsnn.JaxsnnError, match="cannot change to 4"):
            net.set(n[0], lists(4))
    net.set(n[1], lists(1))
    net.set(n[2], lists(5))
    got = jaxsnn.simulate(net.build(), 1.0).get(n, ["tau_syn", "n_synapses"])
    assert [len(x) for x in got.tau_syn] == [4 if grows else 3, 1, 5]
    assert got.n_synapses.tolist() == [4 if grows else 3, 1, 5] and got.n_synapses.dtype.kind == "i"  # NEST's ints
