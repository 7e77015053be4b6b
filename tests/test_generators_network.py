"""Generators of the device interface in networks, against NEST 3.10's numbers
(tests/reference/nest_cases/gen_*.json, made by tests/reference/tools/nest_generators.py)."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jaxsnn
from jaxsnn import JaxsnnError

from .conftest import CASES, cpu_devices


def _case(name):
    return json.loads((CASES / f"{name}.json").read_text())


def _ac_network(case, n=1):
    net = jaxsnn.Network(resolution=case["resolution"])
    nrn = net.create(case["neuron"], n, params=case["neuron_params"])
    g = net.create("ac_generator", params=case["params"])
    net.connect(g, nrn, syn_spec={"weight": case["weight"], "delay": case["delay"]})
    mm = net.create("multimeter", params={"record_from": ["V_m"], "interval": case["resolution"]})
    sr = net.create("spike_recorder")
    net.connect(mm, nrn)
    net.connect(nrn, sr)
    return net, mm, sr


@pytest.mark.parametrize("name", ["gen_ac_generator", "gen_ac_generator_window"])
@pytest.mark.parametrize("runs", [(None,), (70.0, None)])
def test_ac_generator_drives_a_neuron_as_nest(name, runs, x64):
    """V_m of an iaf_psc_exp driven by an ac_generator, bit for bit, and its spike times; a run split into
    two calls continues the oscillator (the bits of one run)."""
    case = _case(name)
    exp = case["expected"]
    net, mm, sr = _ac_network(case)
    sim = jaxsnn.build(net)
    for t in runs:
        sim = jaxsnn.simulate(sim, t or case["t_sim"] - float(sim.time))
    V = np.asarray(sim.events(mm)["V_m"])
    np.testing.assert_array_equal(V[:len(exp["V_m"])], exp["V_m"])
    np.testing.assert_allclose(sim.events(sr)["times"], exp["spike_times"], rtol=0, atol=1e-9)


def test_ac_generator_changed_between_runs_is_nests(x64):
    """amplitude, frequency, phase, offset and stop set between simulate calls: the oscillator restarts at
    the current time with the new values (NEST's pre_run_hook); V_m bit for bit."""
    case = _case("gen_ac_generator_set")
    exp = case["expected"]
    net, mm, sr = _ac_network(case)
    sim = jaxsnn.build(net)
    gen = [i for i, (m, *_rest) in enumerate(sim.layout.populations) if m == "ac_generator"]
    gid = sim.layout.populations[gen[0]][2]
    for changes, t in case["runs"]:
        if changes:
            sim = sim.set([gid], changes)
        sim = jaxsnn.simulate(sim, t)
    V = np.asarray(sim.events(mm)["V_m"])
    np.testing.assert_array_equal(V[:len(exp["V_m"])], exp["V_m"])
    np.testing.assert_allclose(sim.events(sr)["times"], exp["spike_times"], rtol=0, atol=1e-9)


def test_generator_parameters_that_cannot_change_between_runs_are_refused():
    net, sr = _parrots("sinusoidal_poisson_generator", {"rate": 10.0}, 2)
    sim = jaxsnn.build(net)
    with pytest.raises(JaxsnnError, match="individual_spike_trains.*can change between runs: rate"):
        sim.set([1], {"individual_spike_trains": False})
    net, sr = _parrots("mip_generator", {"rate": 10.0}, 2)
    sim = jaxsnn.build(net)
    with pytest.raises(JaxsnnError, match=r"p_copy.*2\.0.*probability in \[0, 1\]"):
        sim.set([1], {"p_copy": 2.0})


def test_ac_generator_refuses_a_bad_value():
    net = jaxsnn.Network()
    with pytest.raises(JaxsnnError, match="frequency.*nan.*finite"):
        net.create("ac_generator", params={"frequency": float("nan")})


SPLIT = textwrap.dedent("""
    import json, sys, jax, numpy as np
    jax.config.update("jax_enable_x64", True)
    import jaxsnn
    sys.path.insert(0, ".")
    from tests.test_generators_network import _ac_network, _case
    case = _case("gen_ac_generator")
    net, mm, sr = _ac_network(case, n=5)
    out = []
    for devices in (1, 2):
        sim = jaxsnn.simulate(jaxsnn.build(net, devices=devices), 120.0)
        out.append(np.asarray(sim.events(mm)["V_m"]))
    assert np.array_equal(out[0], out[1]), "split differs"
    assert np.array_equal(out[0][::5][:1190], case["expected"]["V_m"][:1190]), "not NEST's"
    print("ok")
""")


@pytest.mark.slow  # the fast suite splits generators over devices in one test
def test_ac_generator_split_over_two_devices_gives_the_same_bits():
    r = subprocess.run([sys.executable, "-c", SPLIT], capture_output=True, text=True, env=cpu_devices(2))
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]


EVERY = {"sinusoidal_poisson_generator": {"rate": 300.0, "amplitude": 200.0, "frequency": 20.0},
         "sinusoidal_gamma_generator": {"rate": 300.0, "amplitude": 100.0, "frequency": 20.0, "order": 2.0},
         "inhomogeneous_poisson_generator": {"rate_times": [5.0, 20.0], "rate_values": [400.0, 100.0]},
         "mip_generator": {"rate": 300.0, "p_copy": 0.5},
         "gamma_sup_generator": {"rate": 50.0, "gamma_shape": 3, "n_proc": 5},
         "ppd_sup_generator": {"rate": 60.0, "dead_time": 2.0, "n_proc": 4, "frequency": 10.0,
                               "relative_amplitude": 0.5},
         "pulsepacket_generator": {"pulse_times": [10.0, 30.0], "activity": 20, "sdev": 3.0}}


def every_generator_network(seed=3):
    """Every stochastic generator into its own parrots (7 each, over both devices of a split run)."""
    net = jaxsnn.Network(seed=seed)
    sr = net.create("spike_recorder")
    for model, params in EVERY.items():
        g = net.create(model, params=params)
        p = net.create("parrot_neuron", 7)
        net.connect(g, p, syn_spec={"delay": 1.0})
        net.connect(p, sr)
    return net, sr


SPLIT_ALL = textwrap.dedent("""
    import sys, jax, numpy as np
    jax.config.update("jax_enable_x64", True)
    import jaxsnn
    sys.path.insert(0, ".")
    from tests.test_generators_network import every_generator_network
    net, sr = every_generator_network()
    one = jaxsnn.simulate(jaxsnn.build(net, devices=1), 60.0).events(sr)
    two = jaxsnn.simulate(jaxsnn.build(net, devices=2), 60.0).events(sr)
    assert len(one["times"]) > 500, len(one["times"])
    assert np.array_equal(one["times"], two["times"]) and np.array_equal(one["senders"], two["senders"])
    print("ok")
""")


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_generator_recording.py::test_recorded_generator_spikes_in_split_runs_checkpoints_and_devices
def test_every_generator_split_over_two_devices_gives_the_same_spikes():
    r = subprocess.run([sys.executable, "-c", SPLIT_ALL], capture_output=True, text=True, env=cpu_devices(2))
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]


def test_every_generator_in_split_runs_and_from_a_checkpoint_gives_the_same_spikes(tmp_path):
    """One run; three simulate calls; a checkpoint at 25 ms resumed into a fresh build: the same spikes
    (the generators' state travels in the state and the checkpoint)."""
    net, sr = every_generator_network()
    whole = jaxsnn.simulate(jaxsnn.build(net), 60.0).events(sr)
    sim = jaxsnn.build(net)
    for t in (13.0, 12.0, 35.0):
        sim = jaxsnn.simulate(sim, t)
    parts = sim.events(sr)
    sim = jaxsnn.simulate(jaxsnn.build(net), 25.0)
    jaxsnn.save_checkpoint(tmp_path / "c", sim)
    resumed = jaxsnn.simulate(jaxsnn.load_checkpoint(tmp_path / "c", jaxsnn.build(net)), 35.0).events(sr)
    assert len(whole["times"]) > 500
    for other in (parts, resumed):
        np.testing.assert_array_equal(other["times"], whole["times"])
        np.testing.assert_array_equal(other["senders"], whole["senders"])
    different = jaxsnn.simulate(jaxsnn.build(net, seed=4), 60.0).events(sr)
    assert not np.array_equal(different["times"], whole["times"])  # the draws follow the seed


def _parrots(model, params, n, resolution=0.1, seed=1, delay=1.0):
    net = jaxsnn.Network(resolution=resolution, seed=seed)
    g = net.create(model, params=params)
    p = net.create("parrot_neuron", n)
    sr = net.create("spike_recorder")
    net.connect(g, p, syn_spec={"delay": delay})
    net.connect(p, sr)
    return net, sr


def test_pulsepacket_at_sdev_zero_is_nests(x64):
    case = _case("gen_pulsepacket_sdev0")
    net, sr = _parrots(case["model"], case["params"], case["n_targets"], case["resolution"])
    ev = jaxsnn.simulate(jaxsnn.build(net), case["t_sim"]).events(sr)
    order = np.lexsort((ev["senders"], ev["times"]))
    np.testing.assert_allclose(np.asarray(ev["times"])[order], case["expected"]["spike_times"], rtol=0, atol=1e-9)
    assert np.asarray(ev["senders"])[order].tolist() == case["expected"]["spike_senders"]


def test_pulsepacket_spread_is_a_normal_packet():
    """sdev > 0: each packet's spikes have the pulse time as mean and sdev as spread (within 4 standard
    errors), every spike is sent once to every target (one shared train)."""
    net, sr = _parrots("pulsepacket_generator", {"pulse_times": [50.0, 150.0], "activity": 2000, "sdev": 4.0}, 2)
    ev = jaxsnn.simulate(jaxsnn.build(net), 220.0).events(sr)
    t, s = np.asarray(ev["times"]) - 1.1, np.asarray(ev["senders"])  # emission: parrot time - delay - h
    assert np.array_equal(np.sort(t[s == 2]), np.sort(t[s == 3]))
    for centre in (50.0, 150.0):
        x = t[(s == 2) & (abs(t - centre) < 40)]
        assert x.size == 2000
        assert abs(x.mean() - centre) < 4 * 4.0 / np.sqrt(2000) + 0.05
        assert abs(x.std() - 4.0) < 0.2


def test_pulsepacket_refuses_negative_activity():
    with pytest.raises(JaxsnnError, match="activity.*-1.*cannot be negative"):
        jaxsnn.Network().create("pulsepacket_generator", params={"activity": -1})


def _network_stats(case, seed):
    """The case's statistics of the parrots' spikes in a jaxsnn network (NEST's set-up)."""
    from jaxsnn.testing.spike_statistics import spike_stats

    net, sr = _parrots(case["model"], case["params"], case["n_targets"], case["resolution"], seed, case["delay"])
    ev = jaxsnn.simulate(jaxsnn.build(net), case["t_sim"]).events(sr)
    ids = list(range(2, 2 + case["n_targets"]))
    return spike_stats(np.asarray(ev["times"]), np.asarray(ev["senders"]), ids, case["t_sim"], case["bin"],
                       case["period"], case["n_phase"], case["resolution"])


STATS = ["gen_sinusoidal_poisson", "gen_sinusoidal_poisson_shared", "gen_inhomogeneous_poisson", "gen_mip",
         "gen_sinusoidal_gamma", "gen_sinusoidal_gamma_shared", "gen_gamma_sup", "gen_ppd_sup", "gen_ppd_sup_modulated"]


@pytest.mark.slow
@pytest.mark.parametrize("name", STATS)
def test_statistics_in_a_network_are_nests(name, x64):
    """Rates, CV, Fano factor, correlations, shared spikes and the modulation of the parrots' trains over
    NEST's 10 seeds, within the bounds of tests/test_rate_generators.py."""
    from .test_rate_generators import assert_like_nest

    case = _case(name)
    assert_like_nest(case, [_network_stats(case, seed) for seed in case["seeds"]])


def test_sinusoidal_rate_at_its_peak_fits_the_table_in_float32():
    """The oscillator's rounding in float32 must not push the rate beyond the table built for rate +
    amplitude (which would stop the run)."""
    net, sr = _parrots("sinusoidal_poisson_generator", {"rate": 5000.0, "amplitude": 2000.0, "frequency": 10.0}, 3)
    n = len(jaxsnn.simulate(jaxsnn.build(net), 200.0).events(sr)["times"])
    assert abs(n - 3 * 5000.0 * 0.199) < 5 * np.sqrt(3 * 5000.0 * 0.199)


def test_pynest_script_with_new_generators_and_a_change_between_runs():
    """A PyNEST script (jaxsnn.nest) creates the new generators, and a rate set between Simulate calls
    takes effect: parrots' rate ~ 2000 Hz, then ~ 200 Hz (within 6 Poisson standard deviations)."""
    import jaxsnn.nest as nest

    nest.ResetKernel()
    g = nest.Create("sinusoidal_poisson_generator", params={"rate": 2000.0, "amplitude": 500.0, "frequency": 10.0})
    m = nest.Create("mip_generator", params={"rate": 100.0, "p_copy": 0.5})
    p, q = nest.Create("parrot_neuron", 4), nest.Create("parrot_neuron", 4)
    sr = nest.Create("spike_recorder")
    nest.Connect(g, p)
    nest.Connect(m, q)
    nest.Connect(p + q, sr)
    nest.Simulate(201.0)
    first = len(nest.GetStatus(sr, "events")[0]["senders"])
    g.set({"rate": 200.0, "amplitude": 0.0})
    nest.Simulate(200.0)
    ev = nest.GetStatus(sr, "events")[0]
    second = np.isin(ev["senders"], p.tolist()) & (np.asarray(ev["times"]) > 202.0)
    for n, mean in ((first, 4 * 2000 * 0.2 + 4 * 50 * 0.2), (int(second.sum()), 4 * 200 * 0.199)):
        assert abs(n - mean) < 6 * np.sqrt(mean), (n, mean)
    assert g.get("rate") == 200.0


@pytest.mark.parametrize("rebuild", [False, True])
def test_pynest_ac_generator_changed_between_simulate_calls_is_nests(rebuild, x64):
    """The same NEST script through jaxsnn.nest: V_m bit for bit, whether the change is taken in place or a
    new node makes the layer rebuild and carry the run over (the oscillator restarts at the current time)."""
    import jaxsnn.nest as nest

    case = _case("gen_ac_generator_set")
    nest.ResetKernel()
    nest.resolution = case["resolution"]
    n = nest.Create("iaf_psc_exp")
    g = nest.Create("ac_generator", params=case["params"])
    nest.Connect(g, n, syn_spec={"weight": case["weight"], "delay": case["delay"]})
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": case["resolution"]})
    nest.Connect(mm, n)
    for changes, t in case["runs"]:
        if changes:
            g.set(changes)
            if rebuild:
                nest.Create("iaf_psc_exp")
        nest.Simulate(t)
    V = np.asarray(mm.get("events")["V_m"])
    np.testing.assert_array_equal(V[:len(case["expected"]["V_m"])], case["expected"]["V_m"])
