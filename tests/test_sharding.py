"""A network split over devices by neuron gives the same bits as on one device."""
import os
import subprocess
import sys
import textwrap

import pytest

import jaxsnn
from jaxsnn import JaxsnnError

from .conftest import ROOT, cpu_devices
from .networks import small_network

SPLIT = textwrap.dedent("""
    import jax, numpy as np
    import jaxsnn

    def network(**options):
        net = jaxsnn.Network(seed=5)
        wr = net.create("weight_recorder")
        net.copy_model("stdp_synapse_hom", "e_syn", {"Wmax": 4.0, "lambda": 0.05, "weight_recorder": wr})
        e = net.create("iaf_psc_delta", 61, params={"V_m": jaxsnn.random.normal(-65.0, 5.0)})
        i = net.create("iaf_psc_delta", 16, params={"V_m": jaxsnn.random.normal(-65.0, 5.0)})
        pg = net.create("poisson_generator", params={"rate": 12000.0})
        sg = net.create("spike_generator", params={"spike_times": [5.0, 7.3, 40.0], "spike_weights": [30.0, 30.0, 30.0]})
        sr, mm = net.create("spike_recorder"), net.create("multimeter", params={"interval": 0.5})
        net.connect(e, e + i, {"rule": "fixed_indegree", "indegree": 10},
                    {"synapse_model": "e_syn", "weight": 2.0, "delay": jaxsnn.random.uniform(1.0, 12.0)})
        net.connect(e[:20], i, {"rule": "fixed_indegree", "indegree": 3},  # per-connection plasticity
                    {"synapse_model": "stdp_synapse", "weight": 1.0, "tau_plus": jaxsnn.random.uniform(10.0, 30.0)})
        net.connect(i, e + i, {"rule": "fixed_indegree", "indegree": 5}, {"weight": -6.0, "delay": 1.5})
        net.connect(pg, e + i, syn_spec={"weight": 1.0})
        net.connect(sg, e[50:] + i[-3:], syn_spec={"weight": 1.0, "delay": 2.0})
        net.connect(e + i, sr)
        net.connect(mm, e[:3] + e[40:42] + i[-2:])  # neurons of every device
        return net.build(**options), sr, mm, wr

    def outcome(sim, sr, mm, wr):
        return [sim.events(sr), sim.events(mm), sim.events(wr), sim.connections(), sim.get()]

    one, sr, mm, wr = network(devices=1)
    split, _, _, _ = network(record_capacity=8, slice_capacity=2, weight_capacity=4)  # all 3 devices; grows
    a = jaxsnn.simulate(jaxsnn.simulate(one, 61.7), 88.3)
    b = jaxsnn.simulate(jaxsnn.simulate(split, 61.7), 88.3)
    assert len(jax.devices()) == 3 and b._plan and len(b._plan[-1].devices) == 3
    capacity = {r.name: r.capacity for r in b.spec.models.recorders}
    assert b.spec.capacities.slice_capacity > 2 and capacity["weight_recorder"] > 4
    for x, y in zip(outcome(a, sr, mm, wr), outcome(b, sr, mm, wr)):
        assert x.equals(y), (x, y)
    # every leaf but the recorder buffers (emptied; their sizes differ)
    for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(a.state.replace(buffers=None)),
                            jax.tree_util.tree_leaves(b.state.replace(buffers=None))):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=jax.tree_util.keystr(path))
    assert b.state.neurons["iaf_psc_delta"]["V_rel"].sharding == a.state.neurons["iaf_psc_delta"]["V_rel"].sharding  # back on the first device, as an unsplit run
    assert len(a.events(sr)) > 1000 and len(a.events(wr)) > 100 and not a.connections().weight.equals(
        one.connections().weight)  # active and plastic, so the comparison means something
    print("ok")
""")


@pytest.mark.slow  # 1-2 min: a child process compiles the network for 3 devices and regrows its capacities
def test_split_over_devices_is_bit_identical():
    """In float32, the default (float64 splits: the NEST cases over devices, e.g. test_synapse_models.py,
    test_dopamine_networks.py, test_models.py)."""
    r = subprocess.run([sys.executable, "-c", SPLIT], capture_output=True, text=True, env=cpu_devices(3))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


FUNCTIONAL = textwrap.dedent("""
    import jax, numpy as np
    import jaxsnn
    from jaxsnn.io import checkpoint
    from jaxsnn.run import sharding

    def network(devices):
        net = jaxsnn.Network(seed=1)
        e = net.create("iaf_psc_delta", 80, params={"V_m": jaxsnn.random.normal(-65.0, 5.0)})
        pg = net.create("poisson_generator", params={"rate": 12000.0})
        net.connect(e, e, {"rule": "fixed_indegree", "indegree": 10},
                    {"weight": 0.5, "delay": jaxsnn.random.uniform(1.0, 3.0)})
        net.connect(e[:30], e, {"rule": "fixed_indegree", "indegree": 3}, {"synapse_model": "stdp_synapse"})
        net.connect(pg, e, syn_spec={"weight": 1.0})
        return net.build(devices=devices)

    one, split = network(1), network(2)
    syn = split.model.synapses  # held by the devices' parts only
    assert isinstance(syn.out_syn, sharding.SplitRecords) and isinstance(syn.in_syn, sharding.SplitRecords)
    for name in ("out_syn", "in_syn"):  # assembled on the host: the unsplit table
        np.testing.assert_array_equal(np.asarray(getattr(syn, name)), np.asarray(getattr(one.model.synapses, name)))
    run = jax.jit(jaxsnn.advance, static_argnums=3)  # the functional API takes the split build's model whole
    for x, y in zip(jax.tree_util.tree_leaves(run(one.model, one.params, one.state, 50)),
                    jax.tree_util.tree_leaves(run(split.model, split.params, split.state, 50))):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert checkpoint.fingerprint(one) == checkpoint.fingerprint(split)  # checkpoints cross device counts
    assert one.connections().equals(split.connections())
    print("ok")
""")


def test_a_split_builds_model_is_the_whole_networks_model():
    r = subprocess.run([sys.executable, "-c", FUNCTIONAL], capture_output=True, text=True, env=cpu_devices(2))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


@pytest.mark.parametrize("devices", [0, 2, 1.5])
def test_devices_must_be_available(devices):
    sim, _, _ = small_network()
    with pytest.raises(JaxsnnError, match=f"devices={devices}.*from 1 to 1"):
        jaxsnn.simulate(sim.replace(devices=devices), 1.0)


CORES = textwrap.dedent("""
    import os, sys
    import jax
    if sys.argv[1] == "started":  # JAX ran before jaxsnn was imported: its devices stay
        jax.numpy.zeros(1).block_until_ready()
    import jaxsnn
    from tests.networks import outcome, small_network
    import numpy as np

    print(len(jax.devices()), len(os.sched_getaffinity(0)))
    if sys.argv[1] == "bits":
        (a, sr, mm), (b, _, _) = small_network(), small_network(devices=1)
        a, b = jaxsnn.simulate(a, 40.0), jaxsnn.simulate(b, 40.0)
        assert len(a._plan[-1].devices) == len(jax.devices()) if len(jax.devices()) > 1 else not a._plan
        for x, y in zip(outcome(a, sr, mm), outcome(b, sr, mm)):
            np.testing.assert_array_equal(x, y)
        print("same bits")
""")


def _cores_child(how, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JAX_NUM_CPU_DEVICES")}
    r = subprocess.run([sys.executable, "-c", CORES, how], capture_output=True, text=True, cwd=ROOT, timeout=600,
                       env={**base, "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT), **env})
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout.split("\n")


def test_every_core_is_a_device_unless_the_user_chose():
    """Without XLA_FLAGS, every core this process may use is a JAX CPU device (NEST's threads);
    JAX_NUM_CPU_DEVICES, XLA_FLAGS or a backend that already started win."""
    cores = len(os.sched_getaffinity(0))
    for how, env, want in (("plain", {}, cores), ("plain", {"JAX_NUM_CPU_DEVICES": "1"}, 1),
                           ("plain", {"XLA_FLAGS": "--xla_force_host_platform_device_count=3"}, 3),
                           ("started", {}, 1)):
        assert _cores_child(how, **env)[0] == f"{want} {cores}", (how, env)


@pytest.mark.slow  # ~25 s: compiles the network for every core and for one
def test_every_core_by_default_gives_one_device_bits():
    out = _cores_child("bits")
    assert out[1] == "same bits", out
