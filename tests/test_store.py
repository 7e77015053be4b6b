"""Selective stores, complete checkpoints, periodic checkpoints and crash recovery."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import jaxsnn
from jaxsnn import JaxsnnError
from jaxsnn.io.checkpoint_io import CheckpointError

from .conftest import cpu_devices
from .networks import outcome, small_network


def test_complete_checkpoint_resumes_bit_for_bit(tmp_path):
    sim, sr, mm = small_network()
    whole = jaxsnn.simulate(sim, 120.0)
    first = jaxsnn.simulate(sim, 43.7)  # mid-slice, spikes in transit over delays up to 12 ms
    jaxsnn.save_checkpoint(tmp_path / "ck", first)
    resumed = jaxsnn.load_checkpoint(tmp_path / "ck", small_network()[0])
    rest = jaxsnn.simulate(resumed, 120.0 - 43.7)
    for a, b in zip(outcome(whole, sr, mm), outcome(rest, sr, mm)):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_of_another_network_is_refused(tmp_path):
    sim, _, _ = small_network(seed=1)
    jaxsnn.save_checkpoint(tmp_path / "ck", sim)
    with pytest.raises(JaxsnnError, match=r"different network: its connectivity or devices differ \(model/synapses/"):
        jaxsnn.load_checkpoint(tmp_path / "ck", small_network(seed=2)[0])
    other = sim.set(sim.layout.node_of_neuron[10:30], {"I_e": 5.0})
    with pytest.raises(JaxsnnError, match=r"params/neurons/models/iaf_psc_delta/I_e differs for 20 of 100 "
                                         r"iaf_psc_delta neurons \(first: node 11"):
        jaxsnn.load_checkpoint(tmp_path / "ck", other)

    def pair(weight):
        net = jaxsnn.Network()
        a, b = net.create("iaf_psc_delta"), net.create("iaf_psc_delta")
        net.connect(a, b, syn_spec={"weight": weight})
        return net.build()

    jaxsnn.save_checkpoint(tmp_path / "pair", pair(1.0))
    with pytest.raises(JaxsnnError, match="built with other initial V_m or weights"):
        jaxsnn.load_checkpoint(tmp_path / "pair", pair(2.0))
    net = jaxsnn.Network()
    net.create("iaf_psc_delta", 3)
    with pytest.raises(JaxsnnError, match="different network: n_neurons is 100 in the checkpoint but 3 here"):
        jaxsnn.load_checkpoint(tmp_path / "ck", net.build())


def test_damaged_checkpoint_is_an_error(tmp_path):
    sim, _, _ = small_network()
    jaxsnn.save_checkpoint(tmp_path / "ck", jaxsnn.simulate(sim, 20.0))
    big = max((p for p in (tmp_path / "ck").rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    data = bytearray(big.read_bytes())
    data[len(data) // 2] ^= 0x10
    big.write_bytes(bytes(data))
    with pytest.raises(CheckpointError):
        jaxsnn.load_checkpoint(tmp_path / "ck", sim)


def test_selective_store_restores_each_population_and_the_connections(tmp_path):
    from jaxsnn.testing.ei_network import EINetwork

    ein = EINetwork(scale=0.05)
    sim = jaxsnn.simulate(ein.build(), 50.0)
    jaxsnn.store(tmp_path / "st", sim, {"e": ein.e_neurons, "i": ein.i_neurons}, ("e_syn", "i_syn"))
    stored = jaxsnn.load(tmp_path / "st")
    np.testing.assert_array_equal(stored.V_m("i"), sim.get(ein.i_neurons).V_m)  # not the E values (NEST's bug)
    runs = []
    for seed in (ein.seed, ein.seed, 987654321):
        e2 = EINetwork(scale=0.05, seed=seed)
        r = e2.rebuild(stored.V_m("e"), stored.V_m("i"), stored.connections("e_syn"), stored.connections("i_syn"))
        np.testing.assert_array_equal(r.get(e2.neurons).V_m, sim.get(ein.neurons).V_m)
        a, b = r.connections(), sim.connections()
        for col in ("source", "target", "weight", "delay", "synapse_model"):
            np.testing.assert_array_equal(a[col], b[col])
        runs.append(jaxsnn.simulate(r, 50.0).events(e2.sr))
    assert runs[0].equals(runs[1]) and not runs[0].equals(runs[2])
    with pytest.raises(JaxsnnError, match="array of length 100"):
        EINetwork(scale=0.05).rebuild(stored.V_m("e")[:-1], stored.V_m("i"), stored.connections("e_syn"),
                                      stored.connections("i_syn"))


CHILD = textwrap.dedent("""
    import sys
    import jaxsnn
    sys.path.insert(0, {root!r})
    from tests.networks import small_network
    sim = jaxsnn.resume({d!r}, small_network()[0], fresh_ok=True)
    jaxsnn.simulate_with_checkpoints(sim, 200.0 - sim.time, {d!r}, every=10.0, keep=2)
""")


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_killed_run_resumes_from_latest_checkpoint_bit_for_bit(tmp_path):
    d = str(tmp_path / "series")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=root, d=d)])
    deadline = time.time() + 300
    while time.time() < deadline and child.poll() is None:
        steps = [p for p in os.listdir(d) if p.isdigit()] if os.path.isdir(d) else []
        if len(steps) >= 2:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    sim, sr, mm = small_network()
    resumed = jaxsnn.resume(d, sim)
    assert 0 < resumed.time < 200.0
    done = jaxsnn.simulate_with_checkpoints(resumed, 200.0 - resumed.time, d, every=10.0, keep=2)
    assert sorted(int(p) for p in os.listdir(d) if p.isdigit()) == [1900, 2000]  # the last k=2 kept
    whole = jaxsnn.simulate(sim, 200.0)
    for a, b in zip(outcome(whole, sr, mm), outcome(done, sr, mm)):
        np.testing.assert_array_equal(a, b)


def test_partial_restore_into_an_existing_network(tmp_path):
    from jaxsnn.testing.ei_network import EINetwork

    ein = EINetwork(scale=0.05)
    trained = jaxsnn.simulate(ein.build(), 60.0)
    jaxsnn.store(tmp_path / "st", trained, {"e": ein.e_neurons, "i": ein.i_neurons}, ("e_syn",))
    stored = jaxsnn.load(tmp_path / "st")
    fresh = EINetwork(scale=0.05)
    sim = fresh.build()  # same connectivity (same seed), initial V_m and weights
    out = jaxsnn.restore_into(sim, stored, {"i": fresh.i_neurons}, ("e_syn",))
    np.testing.assert_array_equal(out.get(fresh.i_neurons).V_m, trained.get(ein.i_neurons).V_m)
    np.testing.assert_array_equal(out.get(fresh.e_neurons).V_m, sim.get(fresh.e_neurons).V_m)  # untouched
    np.testing.assert_array_equal(out.connections("e_syn").weight, trained.connections("e_syn").weight)
    np.testing.assert_array_equal(out.connections("i_syn").weight, sim.connections("i_syn").weight)
    with pytest.raises(JaxsnnError, match="100 stored V_m values for 25 neurons"):
        jaxsnn.restore_into(sim, stored, {"e": fresh.i_neurons})
    with pytest.raises(JaxsnnError, match="not those of this network"):
        jaxsnn.restore_into(EINetwork(scale=0.05, seed=5).build(), stored, synapse_models=("e_syn",))


def test_network_from_nest_frames():
    """A network stored by NEST's example: V_m per node id, (source, target, weight) frames indexed by source."""
    import pandas as pd

    from jaxsnn.testing.ei_network import EINetwork

    rng = np.random.default_rng(0)
    nE, nI = 100, 25
    V = pd.DataFrame({"V_m": rng.normal(-65, 5, nE + nI)}, index=pd.Index(np.arange(1, nE + nI + 1)))
    src_e = rng.integers(1, nE + 1, 2000)
    e_syns = pd.DataFrame({"source": src_e, "target": rng.integers(1, nE + nI + 1, 2000),
                           "weight": rng.uniform(0.9, 1.1, 2000)}, index=src_e)
    src_i = rng.integers(nE + 1, nE + nI + 1, 500)
    i_syns = pd.DataFrame({"source": src_i, "target": rng.integers(1, nE + nI + 1, 500), "weight": -4.0}, index=src_i)
    ein = EINetwork(scale=0.05)
    sim = ein.rebuild(V.V_m.values[:nE], V.V_m.values[nE:], e_syns, i_syns)
    c = sim.connections("e_syn").sort_values(["source", "target", "weight"]).reset_index(drop=True)
    ref = e_syns.sort_values(["source", "target", "weight"]).reset_index(drop=True)
    np.testing.assert_array_equal(c.source, ref.source)
    np.testing.assert_allclose(c.weight, ref.weight, rtol=1e-7)
    assert (c.delay == 1.0).all()  # NEST's example stores no delays: the model default
    np.testing.assert_allclose(sim.get(ein.neurons).V_m, V.V_m, rtol=1e-7)
    assert len(jaxsnn.simulate(sim, 20.0).events(ein.sr)) > 0


def test_missing_leaf_is_named(tmp_path):
    from jaxsnn.io import checkpoint_io

    sim, _, _ = small_network()
    jaxsnn.save_checkpoint(tmp_path / "ck", sim)
    arrays, meta = checkpoint_io.read(tmp_path / "ck")
    del arrays["state/plasticity/pre/Kplus"]
    checkpoint_io.write(tmp_path / "ck2", arrays, meta)
    with pytest.raises(JaxsnnError, match=r"state leaves are not those of this network: \[\] only in the checkpoint, \['state/plasticity/pre/Kplus'\] missing"):
        jaxsnn.load_checkpoint(tmp_path / "ck2", sim)


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability:
# test_complete_checkpoint_resumes_bit_for_bit
def test_founding_network_checkpoint_resumes_bit_for_bit(tmp_path):
    from jaxsnn.testing.ei_network import EINetwork

    ein = EINetwork()
    sim = ein.build()
    whole = jaxsnn.simulate(sim, 300.0)
    first = jaxsnn.simulate(sim, 170.0)
    jaxsnn.save_checkpoint(tmp_path / "ck", first)
    rest = jaxsnn.simulate(jaxsnn.load_checkpoint(tmp_path / "ck", EINetwork().build()), 130.0)
    assert rest.events(ein.sr).equals(whole.events(ein.sr))
    np.testing.assert_array_equal(rest.get().V_m, whole.get().V_m)
    np.testing.assert_array_equal(rest.connections().weight, whole.connections().weight)
    np.testing.assert_array_equal(np.asarray(rest.state.weights), np.asarray(whole.state.weights))


DEVICES = textwrap.dedent("""
    import json, sys
    import jaxsnn, jax
    from jaxsnn.testing.ei_network import EINetwork
    ein = EINetwork(scale=0.1)
    sim = jaxsnn.simulate(ein.build(), 50.0)
    ev = sim.events(ein.sr)
    print(json.dumps({"devices": len(jax.devices()), "spikes": ev.senders.tolist(), "times": ev.times.tolist(),
                      "w": sim.connections().weight.tolist()}))
""")


@pytest.mark.slow  # about 35 s: two child processes, one with 4 devices
def test_results_do_not_depend_on_device_or_thread_count():
    outs = []
    for env in (cpu_devices(1, "--xla_cpu_multi_thread_eigen=false"), cpu_devices(4)):
        r = subprocess.run([sys.executable, "-c", DEVICES], capture_output=True, text=True, env=env, check=True)
        outs.append(json.loads(r.stdout.strip().splitlines()[-1]))
    assert [o["devices"] for o in outs] == [1, 4]
    assert outs[0]["spikes"] == outs[1]["spikes"] and outs[0]["times"] == outs[1]["times"]
    assert outs[0]["w"] == outs[1]["w"] and len(outs[0]["spikes"]) > 100
