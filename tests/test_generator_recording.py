"""Recorders connected to generators, against NEST 3.10's numbers: multimeters sampling the generators'
recordables (tests/reference/nest_cases/gen_recordables*.json, made by
tests/reference/tools/nest_generator_recordables.py)."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jaxsnn
from jaxsnn import JaxsnnError

from .conftest import CASES, cpu_devices

RESTARTED = ("ac_generator", "sinusoidal_poisson_generator")  # NEST restarts their oscillator at each Simulate
EVALUATED = ("sinusoidal_gamma_generator",)  # NEST evaluates the sine: XLA's agrees within 1e-13


def _case(name):
    return json.loads((CASES / f"{name}.json").read_text())


def recordables_network(case, seed=1):
    """The case's generators, the neuron some of them drive and the multimeters (in a Network)."""
    net = jaxsnn.Network(resolution=case["resolution"], seed=seed)
    gens = [net.create(model, params=params) for model, params in case["generators"]]
    n = net.create("iaf_psc_alpha")
    for i in case["drive"]:
        net.connect(gens[i], n, syn_spec={"weight": 1.0, "delay": 1.0})
    mms = []
    for params, recorded in case["multimeters"]:
        mm = net.create("multimeter", params=params)
        for i in recorded:
            net.connect(mm, gens[i])
        mms.append(mm)
    return net, gens, mms


def _run(case, sim, gens, runs=None):
    for changes, t in runs or case["runs"]:
        for i, p in (changes or {}).items():
            sim = sim.set(gens[int(i)], p)
        sim = jaxsnn.simulate(sim, t)
    return sim


def _sorted(times, senders, values):
    o = np.lexsort((senders, np.round(times, 6)))
    return np.round(np.asarray(times)[o], 6), np.asarray(senders)[o], np.asarray(values)[o]


def compare(case, sim, gens, mms, exact=True, events=None, end=None):
    """Each multimeter's events against NEST's (sorted by time, then generator): the same stamps and
    generators up to NEST's last sample (NEST's multimeter lags one min_delay at the end) and jaxsnn's
    complete up to the end of the run (through ``jaxsnn.nest``: NEST's samples and no more); values bit for
    bit (``exact``) or within 1e-12 where NEST restarted an oscillator; the gamma generator's evaluated sine
    within 1e-13. ``events``: how ``jaxsnn.nest`` reads a multimeter's events (default: the functional API's
    ``sim.events``), ``end``: the end of the run (default ``sim.time``)."""
    events = events or sim.events
    end_of_run = sim.time if end is None else end
    position = {int(g.global_id if hasattr(g, "global_id") else g.ids[0]): i for i, g in enumerate(gens)}
    models = [m for m, _ in case["generators"]]
    for (params, recorded), mm, exp in zip(case["multimeters"], mms, case["expected"]):
        q = params["record_from"][0]
        ev = events(mm)
        t, s, v = _sorted(ev["times"], [position[int(x)] for x in ev["senders"]], ev[q])
        et, es, evals = _sorted(exp["times"], exp["senders"], exp[q])
        n = len(et)
        assert n > 0
        np.testing.assert_array_equal(t[:n], et)
        np.testing.assert_array_equal(s[:n], es)
        end = min(end_of_run, params.get("origin", 0.0) + params.get("stop", np.inf))
        if sim is None:  # jaxsnn.nest: the lag as NEST's
            assert len(t) == n
        else:  # samples to the end of the run
            assert t[-1] > end - params["interval"] - 1e-9 and len(t) >= n
        for i in set(recorded):
            mine = s[:n] == i
            if models[i] in EVALUATED:
                np.testing.assert_allclose(v[:n][mine], evals[mine], rtol=1e-13, atol=1e-12)
            elif exact or models[i] not in RESTARTED:
                np.testing.assert_array_equal(v[:n][mine], evals[mine], err_msg=f"{models[i]} (generator {i})")
            else:
                np.testing.assert_allclose(v[:n][mine], evals[mine], rtol=1e-12, atol=1e-9)


# fast: gen_recordables (the same recorders and generators; the changes between runs in the full suite)
@pytest.mark.parametrize("name", ["gen_recordables", pytest.param("gen_recordables_set", marks=pytest.mark.slow)])
def test_multimeters_record_generators_as_nest(name, x64):
    """ac_generator's, dc_generator's and step_current_generator's ``I``, the sinusoidal generators' ``rate``
    (individual and shared trains; recorded or also driving a neuron), with the multimeters' intervals,
    offsets and windows, the generators' windows, and parameters changed between runs: NEST's samples."""
    case = _case(name)
    net, gens, mms = recordables_network(case)
    compare(case, _run(case, jaxsnn.build(net), gens), gens, mms)


def test_samples_across_simulate_calls_are_nests_and_one_runs(x64):
    """Four calls, two of them ending inside a slice: NEST's samples (its restarted oscillators within 1e-12)
    and the bits of one run."""
    case = _case("gen_recordables_split")
    net, gens, mms = recordables_network(case)
    sim = _run(case, jaxsnn.build(net), gens)
    compare(case, sim, gens, mms, exact=False)
    whole = jaxsnn.simulate(jaxsnn.build(net), sim.time)
    for mm in mms:
        a, b = sim.events(mm), whole.events(mm)
        for k in a:
            np.testing.assert_array_equal(np.asarray(a[k]), np.asarray(b[k]))


def test_a_checkpoint_inside_a_slice_resumes_the_samples(tmp_path, x64):
    """A checkpoint taken inside a slice holds the slice's pending generator values: the bits of one run."""
    case = _case("gen_recordables")
    net, gens, mms = recordables_network(case)
    whole = jaxsnn.simulate(jaxsnn.build(net), 20.0)
    sim = jaxsnn.simulate(jaxsnn.build(net), 7.3)
    jaxsnn.save_checkpoint(tmp_path / "c", sim)
    resumed = jaxsnn.simulate(jaxsnn.load_checkpoint(tmp_path / "c", jaxsnn.build(net)), 12.7)
    for mm in mms:
        a, b = resumed.events(mm), whole.events(mm)
        assert len(a["times"])
        for k in a:
            np.testing.assert_array_equal(np.asarray(a[k]), np.asarray(b[k]))


SPLIT = textwrap.dedent("""
    import sys, jax, numpy as np
    jax.config.update("jax_enable_x64", True)
    import jaxsnn
    sys.path.insert(0, ".")
    from tests.test_generator_recording import _case, recordables_network
    case = _case("gen_recordables")
    net, gens, mms = recordables_network(case)
    n2 = net.create("iaf_psc_alpha", 3)  # neurons on both devices
    net.connect(gens[3], n2, syn_spec={"delay": 1.0})
    one = jaxsnn.simulate(jaxsnn.build(net, devices=1), 15.3)
    two = jaxsnn.simulate(jaxsnn.build(net, devices=2), 15.3)
    for mm in mms:
        a, b = one.events(mm), two.events(mm)
        assert len(a["times"])
        for k in a:
            assert np.array_equal(np.asarray(a[k]), np.asarray(b[k])), k
    print("ok")
""")


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_recorded_generator_spikes_in_split_runs_checkpoints_and_devices
def test_recorded_generators_split_over_two_devices_give_the_same_bits():
    r = subprocess.run([sys.executable, "-c", SPLIT], capture_output=True, text=True, env=cpu_devices(2))
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]


def _noise(c, seed=1):
    net = jaxsnn.Network(resolution=0.1, seed=seed)
    g = net.create("noise_generator", params=c["params"])
    if c["n_targets"]:
        net.connect(g, net.create("iaf_psc_alpha", c["n_targets"]), syn_spec={"delay": 1.0})
    mm = net.create("multimeter", params={"record_from": ["I"], "interval": 0.1})
    net.connect(mm, g)
    return net, mm


@pytest.mark.parametrize("name", ["window", "no_targets"])
def test_noise_generator_current_recorded_as_nest(name, x64):
    """noise_generator's ``I`` with std 0: its mean in the active steps, 0 elsewhere and without targets."""
    c = _case("gen_noise_recordable")["expected"][name]
    net, mm = _noise(c)
    e = jaxsnn.simulate(jaxsnn.build(net), c["t_sim"]).events(mm)
    n = len(c["times"])
    np.testing.assert_allclose(np.asarray(e["times"])[:n], c["times"], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(np.asarray(e["I"])[:n], c["I"])


@pytest.mark.parametrize("n_targets", [1, pytest.param(4, marks=pytest.mark.slow)])  # fast: n_targets=1
def test_noise_generator_current_is_the_mean_of_its_targets_currents(n_targets):
    """With std 20 pA and 1 or 4 targets: the recorded I's mean and standard deviation (samples one dt
    apart) over NEST's 10 seeds are NEST's (within 4 combined standard errors): the std of a mean of n
    independent currents is std / sqrt(n)."""
    c = _case("gen_noise_recordable")["expected"][f"stats_{n_targets}"]
    means, stds = [], []
    for seed in range(1, 11):
        net, mm = _noise(c, seed)
        held = np.asarray(jaxsnn.simulate(jaxsnn.build(net), c["t_sim"]).events(mm)["I"])[:20000:10]
        means.append(held.mean())
        stds.append(held.std(ddof=1))
    for ours, theirs in ((means, c["mean"]), (stds, c["std"])):
        sem = np.hypot(np.std(ours, ddof=1), np.std(theirs, ddof=1)) / np.sqrt(10)
        assert abs(np.mean(ours) - np.mean(theirs)) < 4 * sem, (np.mean(ours), np.mean(theirs), sem)
    assert abs(np.mean(stds) - 20.0 / np.sqrt(n_targets)) < 0.05 * 20.0 / np.sqrt(n_targets)


NOISE_SPLIT = textwrap.dedent("""
    import sys, jax, numpy as np
    jax.config.update("jax_enable_x64", True)
    import jaxsnn
    net = jaxsnn.Network(seed=2)
    g = net.create("noise_generator", params={"mean": 5.0, "std": 10.0, "dt": 0.3})
    net.connect(g, net.create("iaf_psc_alpha", 5), syn_spec={"delay": 1.0})
    mm = net.create("multimeter", params={"record_from": ["I"], "interval": 0.1})
    net.connect(mm, g)
    one = jaxsnn.simulate(jaxsnn.build(net, devices=1), 20.3).events(mm)
    two = jaxsnn.simulate(jaxsnn.build(net, devices=2), 20.3).events(mm)
    assert np.array_equal(one["I"], two["I"]) and np.std(one["I"]) > 1.0
    print("ok")
""")


@pytest.mark.slow  # the fast suite splits generators over devices in one test
def test_noise_generator_current_split_over_two_devices_gives_the_same_bits():
    r = subprocess.run([sys.executable, "-c", NOISE_SPLIT], capture_output=True, text=True, env=cpu_devices(2))
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_multimeters_record_generators_as_nest[gen_recordables]
@pytest.mark.parametrize("name", ["gen_recordables", "gen_recordables_set"])
def test_pynest_script_records_generators_as_nest(name, x64):
    """The NEST script of the case (CopyModel for shared trains, Connect, set between Simulate calls) through
    jaxsnn.nest: NEST's samples; GetDefaults and get report the generators' recordables."""
    import jaxsnn.nest as nest

    case = _case(name)
    nest.ResetKernel()
    nest.resolution = case["resolution"]
    gens = []
    for i, (model, params) in enumerate(case["generators"]):
        own = {k: v for k, v in params.items() if k == "individual_spike_trains"}
        if own:
            nest.CopyModel(model, f"gen{i}", own)
        gens.append(nest.Create(f"gen{i}" if own else model, params={k: v for k, v in params.items() if k not in own}))
    n = nest.Create("iaf_psc_alpha")
    for i in case["drive"]:
        nest.Connect(gens[i], n, syn_spec={"weight": 1.0, "delay": 1.0})
    mms = []
    for params, recorded in case["multimeters"]:
        mms.append(nest.Create("multimeter", params=params))
        for i in recorded:
            nest.Connect(mms[-1], gens[i])
    for changes, t in case["runs"]:
        for i, p in (changes or {}).items():
            gens[int(i)].set(p)
        nest.Simulate(t)
    compare(case, None, gens, mms, events=lambda mm: mm.events, end=nest.biological_time)
    assert nest.GetDefaults("ac_generator")["recordables"] == ("I",)
    assert gens[4].get("recordables") == ("rate",)


def test_a_multimeter_refuses_what_a_generator_does_not_record():
    net = jaxsnn.Network()
    g = net.create("ac_generator", params={"amplitude": 1.0})
    mm = net.create("multimeter", params={"record_from": ["V_m"]})
    net.connect(mm, g)
    with pytest.raises(JaxsnnError, match=r"record_from.*V_m.*recordables of ac_generator: \['I'\]"):
        jaxsnn.build(net)
    net = jaxsnn.Network()
    g = net.create("poisson_generator", params={"rate": 1.0})
    mm = net.create("multimeter", params={"record_from": ["rate"]})
    with pytest.raises(JaxsnnError, match="cannot connect multimeter to poisson_generator.*ac_generator"):
        net.connect(mm, g)


def test_a_multimeter_of_neurons_and_generators_together_is_refused():
    net = jaxsnn.Network()
    g = net.create("dc_generator", params={"amplitude": 1.0})
    n = net.create("iaf_psc_alpha")
    mm = net.create("multimeter", params={"record_from": ["I"]})
    net.connect(mm, g)
    net.connect(mm, n)
    with pytest.raises(JaxsnnError):
        jaxsnn.build(net)


# ------------------------------------------------------------------------------ spike_recorder <- generators
def spike_recording_network(case, seed, names=None):
    """Per generator of the case: the generator, its parrot targets (delay as NEST's), a spike_recorder of
    the generator and one of the parrots."""
    net = jaxsnn.Network(resolution=case["resolution"], seed=seed)
    out = {}
    for name, c in case["expected"].items():
        if names is not None and name not in names:
            continue
        g = net.create(c["model"], params=c["params"])
        p = net.create("parrot_neuron", case["n_targets"])
        sr, sp = net.create("spike_recorder"), net.create("spike_recorder")
        net.connect(g, p, syn_spec={"delay": case["delay"]})
        net.connect(g, sr)
        net.connect(p, sp)
        out[name] = (g, p, sr, sp)
    return net, out


def _trains(sim, case, g, p, sr, sp):
    """(the recorded train, each target's train as emitted: parrot times minus the delay, up to the last
    emission that reaches a parrot in the run), senders of the recorded train."""
    e, f = sim.events(sr), sim.events(sp)
    rec = np.sort(np.round(np.asarray(e["times"]), 6))
    t, s = np.asarray(f["times"]), np.asarray(f["senders"])
    targets = [np.sort(np.round(t[s == i] - case["delay"], 6)) for i in p.ids]
    return rec, targets, set(np.asarray(e["senders"]).tolist()) - {int(g.ids[0])}


def test_pulsepacket_recorded_as_nest(x64):
    case = _case("gen_spike_recording")
    net, nodes = spike_recording_network(case, 1, ["pulsepacket_sdev0"])
    sim = jaxsnn.simulate(jaxsnn.build(net), case["t_sim"])
    g, p, sr, sp = nodes["pulsepacket_sdev0"]
    e = sim.events(sr)
    np.testing.assert_allclose(e["times"], case["expected"]["pulsepacket_sdev0"]["times"], rtol=0, atol=1e-9)
    assert set(np.asarray(e["senders"]).tolist()) == {int(g.ids[0])}


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_a_recorder_gets_the_train_a_target_in_its_place_would_get[gamma_sup]
def test_spiking_generators_recorded_as_nest():
    """Every spiking generator of the device interface into a spike_recorder over NEST's 10 seeds: the
    generator is the sender; the recorded rate is NEST's (means within 4 combined standard errors; exact
    counts for the deterministic pulse packets); the recorded train equals every target's where the
    generator has one train (shared trains, pulse packets) and differs where each target has its own,
    as in NEST."""
    case = _case("gen_spike_recording")
    counts = {name: [] for name in case["expected"]}
    for k, seed in enumerate(case["seeds"]):
        net, nodes = spike_recording_network(case, seed)
        sim = jaxsnn.simulate(jaxsnn.build(net), case["t_sim"])
        for name, (g, p, sr, sp) in nodes.items():
            exp = case["expected"][name]
            rec, targets, others = _trains(sim, case, g, p, sr, sp)
            assert not others, (name, others)
            cut = rec[rec <= case["t_sim"] - case["delay"] + 1e-9]
            same = all(len(t) == len(cut) and np.allclose(t, cut, atol=1e-9) for t in targets)
            assert same == exp["same_as_targets"][k], (name, seed)
            counts[name].append(len(rec))
    for name, exp in case["expected"].items():
        rates = np.array(counts[name]) / (case["t_sim"] / 1000.0)
        if exp["rate_sem"] == 0:
            np.testing.assert_array_equal(rates, exp["rate"], err_msg=name)
            continue
        sem = np.hypot(exp["rate_sem"], rates.std(ddof=1) / np.sqrt(len(rates)))
        assert abs(rates.mean() - exp["rate_mean"]) < 4 * sem, (name, rates.mean(), exp["rate_mean"], sem)


# fast: gamma_sup (the same recorder-as-a-target path; each generator's own train in the full suite)
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n != "gamma_sup" else n for n in
                                  ("sinusoidal_poisson", "sinusoidal_gamma", "inhomogeneous_poisson", "mip", "gamma_sup",
                                   "ppd_sup")])
def test_a_recorder_gets_the_train_a_target_in_its_place_would_get(name, x64):
    """Where every target has its own train, the recorder's is the one a parrot connected in its place
    (the same connection, the same stream) gets: the recorder is one more target."""
    c = _case("gen_spike_recording")["expected"][name]
    trains = []
    for first in ("recorder", "parrot"):
        net = jaxsnn.Network(seed=5)
        g = net.create(c["model"], params=c["params"])
        sr = net.create("spike_recorder")
        p = net.create("parrot_neuron", 2)
        sp = net.create("spike_recorder")
        if first == "recorder":
            net.connect(g, sr)
            net.connect(g, p[1], syn_spec={"delay": 1.0})
        else:
            net.connect(g, p[0], syn_spec={"delay": 1.0})
            net.connect(g, p[1], syn_spec={"delay": 1.0})
        net.connect(p, sp)
        sim = jaxsnn.simulate(jaxsnn.build(net), 500.0)
        e, f = sim.events(sr), sim.events(sp)
        if first == "recorder":
            trains.append(np.asarray(e["times"]))
        else:
            mine = np.asarray(f["senders"]) == p.ids[0]
            trains.append(np.asarray(f["times"])[mine] - 1.0)
    rec, parrot = trains
    assert len(rec) > 10
    np.testing.assert_allclose(rec[rec <= 499.0 + 1e-9], parrot, rtol=0, atol=1e-9)


def generators_into_neurons(case, seed):
    """Every generator of the case into a spike_recorder and (delay 1 ms) an iaf_psc_alpha: slices of 1 ms,
    so that runs can end inside one."""
    net = jaxsnn.Network(resolution=case["resolution"], seed=seed)
    nodes = {}
    for name, c in case["expected"].items():
        g = net.create(c["model"], params=c["params"])
        n = net.create("iaf_psc_alpha")
        sr = net.create("spike_recorder")
        net.connect(g, n, syn_spec={"delay": 1.0})
        net.connect(g, sr)
        nodes[name] = (g, n, sr, None)
    return net, nodes


def test_recorded_generator_spikes_in_split_runs_checkpoints_and_devices(tmp_path):
    """One run, four calls (two ending inside a slice), a checkpoint inside a slice resumed: the same
    recorded spikes."""
    case = _case("gen_spike_recording")
    net, nodes = generators_into_neurons(case, 3)
    whole = jaxsnn.simulate(jaxsnn.build(net), 100.0)
    assert whole.spec.time.slice_steps == 10
    sim = jaxsnn.build(net)
    for t in (10.3, 0.1) + (3.7,) * 24 + (0.8,):  # events read inside a slice: those up to now, the rest later
        sim = jaxsnn.simulate(sim, t)
        for _g, _n, sr, _ in nodes.values():
            a, b = whole.events(sr), sim.events(sr)
            up_to = np.asarray(a["times"]) <= sim.time + 1e-9
            np.testing.assert_array_equal(np.asarray(b["times"]), np.asarray(a["times"])[up_to])
    mid = jaxsnn.simulate(jaxsnn.build(net), 37.7)
    jaxsnn.save_checkpoint(tmp_path / "c", mid)
    resumed = jaxsnn.simulate(jaxsnn.load_checkpoint(tmp_path / "c", jaxsnn.build(net)), 62.3)
    total = 0
    for _name, (_g, _p, sr, _sp) in nodes.items():
        a = whole.events(sr)
        total += len(a["times"])
        for other in (sim, resumed):
            b = other.events(sr)
            np.testing.assert_array_equal(np.asarray(b["times"]), np.asarray(a["times"]))
            np.testing.assert_array_equal(np.asarray(b["senders"]), np.asarray(a["senders"]))
    assert total > 40


SPLIT_SPIKES = textwrap.dedent("""
    import sys, jax, numpy as np
    jax.config.update("jax_enable_x64", True)
    import jaxsnn
    sys.path.insert(0, ".")
    from tests.test_generator_recording import _case, generators_into_neurons, spike_recording_network
    for make in (spike_recording_network, generators_into_neurons):
        net, nodes = make(_case("gen_spike_recording"), 3)
        one = jaxsnn.simulate(jaxsnn.build(net, devices=1), 80.3)
        two = jaxsnn.simulate(jaxsnn.build(net, devices=2), 80.3)
        for r in [x for g, p, sr, sp in nodes.values() for x in (sr, sp) if x is not None]:
            a, b = one.events(r), two.events(r)
            assert np.array_equal(a["times"], b["times"]) and np.array_equal(a["senders"], b["senders"])
    print("ok")
""")


@pytest.mark.slow  # the fast suite splits generators over devices in one test
def test_recorded_generator_spikes_split_over_two_devices_give_the_same_spikes():
    r = subprocess.run([sys.executable, "-c", SPLIT_SPIKES], capture_output=True, text=True, env=cpu_devices(2))
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]


def test_generators_alone_into_spike_recorders():
    """A network of generators and recorders only (no neuron): each recorder gets its generator's train, the
    expected count within 5 sigma (sinusoidal_poisson_generator, two whole periods: mean rate × time)."""
    net = jaxsnn.Network(resolution=0.1, seed=3)
    g = net.create("sinusoidal_poisson_generator", params={"rate": 10000.0, "amplitude": 5000.0, "frequency": 10.0})
    sr = net.create("spike_recorder")
    net.connect(g, sr)
    n = len(jaxsnn.simulate(net.build(), 200.0).events(sr))
    assert abs(n - 2000) < 5 * np.sqrt(2000), n


def _poisson_into(first, seed=5, rate=400.0, n_parrots=3):
    """A poisson_generator into a spike_recorder (``first``: "recorder") or a parrot in its place, and into
    parrots: the recorder's train, or the first parrot's train as emitted."""
    net = jaxsnn.Network(seed=seed)
    g = net.create("poisson_generator", params={"rate": rate})
    sr, sp = net.create("spike_recorder"), net.create("spike_recorder")
    p = net.create("parrot_neuron", n_parrots)
    if first == "recorder":
        net.connect(g, sr)
        net.connect(g, p[1:], syn_spec={"delay": 1.0})
    elif first == "recorder last":  # (a split run cuts the connections: the recorder's moves)
        net.connect(g, p, syn_spec={"delay": 1.0})
        net.connect(g, sr)
    else:
        net.connect(g, p, syn_spec={"delay": 1.0})
    net.connect(p, sp)
    return net, g, sr, sp, p


def test_poisson_generator_into_a_spike_recorder_in_a_network():
    """The recorder's train is the one a parrot in its place gets (the same connection and stream), with
    the generator as sender; its count is Poisson's (rate · T within 4 standard deviations)."""
    net, g, sr, _, _ = _poisson_into("recorder")
    sim = jaxsnn.simulate(jaxsnn.build(net), 500.0)
    e = sim.events(sr)
    assert set(np.asarray(e["senders"]).tolist()) == {int(g.ids[0])}
    assert abs(len(e["times"]) - 200.0) < 4 * np.sqrt(200.0)
    net2, _, _, sp, p = _poisson_into("parrot")
    f = jaxsnn.simulate(jaxsnn.build(net2), 500.0).events(sp)
    parrot = np.asarray(f["times"])[np.asarray(f["senders"]) == p.ids[0]] - 1.0
    rec = np.asarray(e["times"])
    np.testing.assert_allclose(rec[rec <= 499.0 + 1e-9], parrot, rtol=0, atol=1e-9)


POISSON_SPLIT = textwrap.dedent("""
    import sys, jax, numpy as np
    jax.config.update("jax_enable_x64", True)
    import jaxsnn
    sys.path.insert(0, ".")
    from tests.test_generator_recording import _poisson_into
    net, g, sr, sp, p = _poisson_into("recorder last", n_parrots=5)
    one = jaxsnn.simulate(jaxsnn.build(net, devices=1), 100.3)
    two = jaxsnn.simulate(jaxsnn.build(net, devices=2), 100.3)
    for r in (sr, sp):
        a, b = one.events(r), two.events(r)
        assert len(a["times"]) > 20
        assert np.array_equal(a["times"], b["times"]) and np.array_equal(a["senders"], b["senders"])
    print("ok")
""")


@pytest.mark.slow  # the fast suite splits generators over devices in one test
def test_poisson_generator_into_a_spike_recorder_split_over_two_devices():
    r = subprocess.run([sys.executable, "-c", POISSON_SPLIT], capture_output=True, text=True, env=cpu_devices(2))
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]
