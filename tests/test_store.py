"""Selective stores, complete checkpoints, periodic checkpoints and crash recovery."""
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
from jaxsnn.checkpoint_io import CheckpointError

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
    with pytest.raises(JaxsnnError, match="different network: params_sha256"):
        jaxsnn.load_checkpoint(tmp_path / "ck", small_network(seed=2)[0])
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
    from jaxsnn.ei_network import EINetwork

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
    sim = jaxsnn.resume({d!r}, small_network()[0])
    jaxsnn.simulate_with_checkpoints(sim, 200.0 - sim.time, {d!r}, every=10.0, keep=2)
""")


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
