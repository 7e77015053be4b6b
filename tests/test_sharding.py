"""A network split over devices by neuron gives the same bits as on one device."""
import subprocess
import sys
import textwrap

import pytest

import jaxsnn
from jaxsnn import JaxsnnError

from .conftest import cpu_devices
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
    assert b.spec.slice_capacity > 2 and b.spec.weight_capacity > 4
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
@pytest.mark.parametrize("x64", [False, True])
def test_split_over_devices_is_bit_identical(x64):
    r = subprocess.run([sys.executable, "-c", SPLIT], capture_output=True, text=True,
                       env=cpu_devices(3, JAX_ENABLE_X64=str(x64)))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


@pytest.mark.parametrize("devices", [0, 2, 1.5])
def test_devices_must_be_available(devices):
    sim, _, _ = small_network()
    with pytest.raises(JaxsnnError, match=f"devices={devices}.*from 1 to 1"):
        jaxsnn.simulate(sim.replace(devices=devices), 1.0)
