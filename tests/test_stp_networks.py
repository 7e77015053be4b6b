"""Short-term plasticity (tsodyks_synapse, tsodyks_synapse_hom, tsodyks2_synapse) in recurrent networks:
split runs, checkpoints and device counts give the same bits, beside STDP and static synapses; NEST's
checks with NEST's words. (Exactness to NEST: tests/test_synapse_models.py runs the stored NEST cases.)"""
import inspect
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jaxsnn
from jaxsnn.errors import JaxsnnError

from .conftest import ROOT, cpu_devices, whole_parts_resumed


def _stp_network():
    """iaf_psc_exp neurons with tsodyks_synapse (per-connection U), a tsodyks_synapse_hom copy, stdp_synapse
    and static synapses, driven by Poisson input."""
    net = jaxsnn.Network(seed=7)
    e = net.create("iaf_psc_exp", 40, params={"V_m": jaxsnn.random.uniform(-70.0, -55.0)})
    pg = net.create("poisson_generator", params={"rate": 20000.0})
    sr = net.create("spike_recorder")
    wr = net.create("weight_recorder")
    net.copy_model("tsodyks_synapse", "stp", {"weight_recorder": wr, "tau_fac": 50.0})
    net.copy_model("tsodyks_synapse_hom", "stp_hom", {"weight": 60.0, "U": 0.3, "tau_rec": 200.0})
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": 5},
                {"synapse_model": "stp", "weight": 80.0, "delay": 1.5, "U": jaxsnn.random.uniform(0.1, 0.6)})
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": 3}, {"synapse_model": "stp_hom", "delay": 2.0})
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": 3}, {"synapse_model": "stdp_synapse", "weight": 20.0})
    net.connect(pg, e, syn_spec={"weight": 15.0})
    net.connect(e, sr)
    return net, sr, wr


STATE = ("x", "y", "u")


def test_stp_split_runs_and_checkpoint_are_bit_identical(tmp_path, x64):
    net, sr, wr = _stp_network()
    whole, parts, resumed = whole_parts_resumed(net, 120.0, 47.3, 61.0, tmp_path)
    c = whole.connections("stp")
    assert len(whole.events(sr)) > 50 and len(whole.events(wr)) > 50
    assert np.all(c.x.to_numpy() < 1.0) and np.any(whole.events(wr).weights.to_numpy() < 80.0)  # depression acted
    for other in (parts, resumed):
        assert whole.events(sr).equals(other.events(sr))
        assert whole.events(wr).equals(other.events(wr))
        for model in ("stp", "stp_hom"):
            a, b = whole.connections(model), other.connections(model)
            for k in STATE + ("U", "weight"):
                np.testing.assert_array_equal(a[k].to_numpy(), b[k].to_numpy(), err_msg=f"{model} {k}")


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_generator_recording.py::test_recorded_generator_spikes_in_split_runs_checkpoints_and_devices
def test_stp_over_devices_is_bit_identical():
    """The same network on 1 and on 3 CPU devices: the same spikes, transmitted weights and x, y, u."""
    script = textwrap.dedent(inspect.getsource(_stp_network)) + textwrap.dedent("""
        import jax, numpy as np
        import jaxsnn
        net, sr, wr = _stp_network()
        a = jaxsnn.simulate(net.build(devices=1), 80.0)
        b = jaxsnn.simulate(net.build(), 80.0)
        assert len(jax.devices()) == 3 and b._plan and len(b._plan[-1].devices) == 3
        assert a.events(sr).equals(b.events(sr)) and a.events(wr).equals(b.events(wr))
        for model in ("stp", "stp_hom"):
            ca, cb = a.connections(model), b.connections(model)
            for k in ("source", "target", "weight", "x", "y", "u", "U"):
                np.testing.assert_array_equal(ca[k].to_numpy(), cb[k].to_numpy(), err_msg=k)
        assert len(a.events(sr)) > 30
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                       env=cpu_devices(3, JAX_ENABLE_X64="True", PYTHONPATH=str(ROOT)))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


def test_connections_report_nest_names(x64):  # float64: the split-run test's program serves it
    net, sr, wr = _stp_network()
    c = jaxsnn.simulate(net.build(), 5.0).connections("stp_hom")
    for k in ("U", "tau_psc", "tau_rec", "tau_fac", "x", "y", "u"):
        assert k in c
    assert (c.U == 0.3).all() and (c.tau_rec == 200.0).all() and (c.weight == 60.0).all()


@pytest.mark.parametrize("model,spec,words", [
    ("tsodyks2_synapse", {"U": 1.5}, r"U=1.5: 'U' must be in \[0,1\]"),
    ("tsodyks2_synapse", {"u": -0.1}, r"u=-0.1: 'u' must be in \[0,1\]"),
    ("tsodyks2_synapse", {"tau_rec": 0.0}, "'tau_rec' must be > 0"),
    ("tsodyks2_synapse", {"tau_fac": -1.0}, "'tau_fac' must be >= 0"),
    ("tsodyks_synapse", {"tau_psc": 0.0}, "'tau_psc' must be > 0"),
    ("tsodyks_synapse", {"x": 0.8, "y": 0.5}, r"x \+ y must be <= 1.0"),
    ("tsodyks_synapse", {"u": 1.5}, r"'u' must be in \[0,1\]"),
    ("tsodyks_synapse", {"tau_psc": 400.0, "tau_rec": 400.0}, "divides by zero"),
    ("tsodyks_synapse_hom", {"x": 0.8, "y": 0.5}, r"x \+ y must be <= 1.0"),
])
def test_nest_checks_per_connection(model, spec, words):
    net = jaxsnn.Network()
    a = net.create("parrot_neuron", 2)
    with pytest.raises(JaxsnnError, match=words):
        net.connect(a[0], a[1], syn_spec={"synapse_model": model, **spec})


def test_nest_accepts_what_jaxsnn_accepts():
    """NEST accepts x outside [0, 1] for tsodyks2_synapse and u outside [0, 1] for tsodyks_synapse_hom."""
    net = jaxsnn.Network()
    a = net.create("parrot_neuron", 2)
    net.connect(a[0], a[1], syn_spec={"synapse_model": "tsodyks2_synapse", "x": 1.5})
    net.connect(a[0], a[1], syn_spec={"synapse_model": "tsodyks_synapse_hom", "u": 1.5})


@pytest.mark.parametrize("params,words", [({"U": 1.5}, r"U must be in \[0,1\]"), ({"tau_psc": 0.0}, "tau_psc must be > 0"),
                                          ({"tau_psc": 800.0}, "divides by zero")])
def test_nest_checks_of_common_properties(params, words):
    net = jaxsnn.Network()
    with pytest.raises(JaxsnnError, match=words):
        net.copy_model("tsodyks_synapse_hom", "x", params)


def test_common_properties_refused_per_connection():
    net = jaxsnn.Network()
    a = net.create("parrot_neuron", 2)
    with pytest.raises(JaxsnnError, match="common properties of tsodyks_synapse_hom"):
        net.connect(a[0], a[1], syn_spec={"synapse_model": "tsodyks_synapse_hom", "U": 0.2})


def test_two_short_term_rules_in_one_network_are_refused_by_name():
    net = jaxsnn.Network()
    a = net.create("iaf_psc_alpha", 2)
    net.connect(a, a, syn_spec={"synapse_model": "tsodyks2_synapse"})
    net.connect(a, a, syn_spec={"synapse_model": "tsodyks_synapse"})
    with pytest.raises(JaxsnnError, match="tsodyks2_synapse only in networks"):
        net.build()


def test_differentiable_build_refuses_short_term_plasticity_by_name():
    net = jaxsnn.Network()
    a = net.create("iaf_psc_alpha", 2)
    net.connect(a, a, syn_spec={"synapse_model": "tsodyks2_synapse"})
    with pytest.raises(JaxsnnError, match="tsodyks2_synapse is not differentiable"):
        net.build(differentiable=True)


def test_restored_weights_keep_the_short_term_state(tmp_path, x64):
    """Restoring stored tsodyks weights into a simulated network changes the weights only: the synapses' x, y, u
    carry on, so the continuation equals the run that was never restored (static_synapse, here only from the
    generator, has no weights to put back)."""
    net, sr, wr = _stp_network()
    sim = jaxsnn.simulate(net.build(), 40.0)
    path = tmp_path / "store"
    jaxsnn.store(path, sim, {}, synapse_models=("stp", "static_synapse"))
    restored = jaxsnn.restore_into(sim, jaxsnn.load(path), synapse_models=("stp", "static_synapse"))
    a, b = jaxsnn.simulate(sim, 40.0), jaxsnn.simulate(restored, 40.0)
    assert a.events(sr).equals(b.events(sr))
    for k in STATE:
        np.testing.assert_array_equal(a.connections("stp")[k].to_numpy(), b.connections("stp")[k].to_numpy(), err_msg=k)
