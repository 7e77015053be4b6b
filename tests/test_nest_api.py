"""jaxsnn.nest: PyNEST-style scripts (tests/pynest_scripts.py) give NEST 3.10's numbers, stored by
tests/reference/tools/pynest_cases.py: exact in float64 where NEST is deterministic."""
import json
import os

import numpy as np
import pytest

os.environ.setdefault("JAXSNN_COMPILATION_CACHE", "off")  # hermetic: no user cache folder in tests

import jaxsnn.nest as nest  # noqa: E402
from jaxsnn.errors import JaxsnnError  # noqa: E402

from .conftest import REFERENCE  # noqa: E402
from .pynest_scripts import SCRIPTS  # noqa: E402


def reference(name):
    return json.loads((REFERENCE / "pynest_cases" / f"pynest_{name}.json").read_text())


def canonical(events: dict) -> dict:
    """Events sorted by time, then sender (NEST's order is unspecified)."""
    cols = {k: np.asarray(v) for k, v in events.items()}
    order = np.lexsort((cols["senders"], cols["times"]))
    return {k: v[order] for k, v in cols.items()}


@pytest.mark.parametrize("name", ["one_neuron", "two_neurons", "repeated_stimulation"])
def test_deterministic_scripts_give_nests_numbers_exactly(name, x64):
    want, got = reference(name), SCRIPTS[name](nest)
    for key, value in want.items():
        if key == "nest_version":
            continue
        if key == "vm":
            value = {"senders": np.ones(len(value["times"]), int), **value}
            w = canonical(value)
            g = canonical({"senders": np.ones(len(got["vm"]["times"]), int), **got["vm"]})
            for col in w:
                np.testing.assert_array_equal(g[col], w[col], err_msg=f"{name}: vm {col}")
            continue
        if key in ("senders", "times"):
            w, g = canonical({k: want[k] for k in ("senders", "times")}), canonical(
                {k: got[k] for k in ("senders", "times")})
            np.testing.assert_array_equal(g[key], w[key], err_msg=f"{name}: {key}")
            continue
        if isinstance(value, list):
            np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(value), err_msg=f"{name}: {key}")
        else:
            assert got[key] == value, (name, key)


def test_poisson_trials_all_get_input():
    """The repeated-stimulation idiom with a poisson_generator: every trial receives NEST's amount of
    input (each count within 5 sigma of NEST's), the third at twice the rate."""
    want, got = reference("poisson_trials")["counts"], SCRIPTS["poisson_trials"](nest)["counts"]
    for w, g in zip(want, got):
        assert abs(g - w) < 5 * np.sqrt(2 * w), (got, want)


def test_ascii_files_have_nests_names_and_format(x64):
    """record_to='ascii': names (data_path, data_prefix, label), header and rows as NEST writes them (a
    multimeter's file holds the last min_delay slice of the run before and not its own, as NEST's), and
    n_events counts the events written, as with 'memory'."""
    ref, out = reference("ascii_files"), SCRIPTS["ascii_files"](nest)
    want, got = ref["files"], out["files"]
    assert sorted(got) == sorted(want)
    for name, lines in want.items():
        assert got[name] == lines, name
    assert out["n_events"] == ref["n_events"]  # n_events counts what went to the files, as NEST's


def test_spike_weights_given_with_the_times_at_create(x64):
    """Create("spike_generator", params) with spike_weights and spike_multiplicities beside spike_times (a
    dict, and a list of dicts): the driven neurons' V_m are NEST's."""
    want, got = reference("spike_weights_at_create")["vm"], SCRIPTS["spike_weights_at_create"](nest)["vm"]
    w, g = canonical(want), canonical(got)
    for col in w:
        np.testing.assert_array_equal(g[col], w[col], err_msg=col)


def test_generators_of_several_models_in_one_connect(x64):
    """Connect(sg + pp + sg2, recorder) and Connect(sg + pp + sg2, neurons), as NEST allows: the recorder's
    events and the neurons' V_m are NEST's."""
    want, got = reference("mixed_generators_recorded"), SCRIPTS["mixed_generators_recorded"](nest)
    for key in ("spikes", "vm"):
        cols = ("senders", "times") if key == "spikes" else ("times", "senders", "V_m")
        src_w, src_g = (want, got) if key == "spikes" else (want["vm"], got["vm"])
        w, g = canonical({c: src_w[c] for c in cols}), canonical({c: src_g[c] for c in cols})
        for col in cols:
            np.testing.assert_array_equal(g[col], w[col], err_msg=f"{key} {col}")


def test_delay_bounds_as_nests_kernel_reports_them():
    """min_delay and max_delay: the resolution before any connection, then over the connections, recorders'
    and recorded generators' (1 ms) included."""
    assert SCRIPTS["delay_bounds"](nest)["bounds"] == reference("delay_bounds")["bounds"]


def test_step_current_held_over_a_rebuild_gives_nests_numbers(x64):
    """A step current's new times set between runs, then a rebuild (a neuron created and connected): the
    amplitude held continues until the first new time; V_m are NEST's."""
    want, got = reference("step_current_held_over_rebuild"), SCRIPTS["step_current_held_over_rebuild"](nest)
    w, g = canonical(want["vm"]), canonical(got["vm"])
    for col in w:
        np.testing.assert_array_equal(g[col], w[col], err_msg=col)
    assert got["V_m"] == want["V_m"]


def plastic_network(nest, seed=4321):
    """A small E/I network with STDP and Poisson input, written as a PyNEST script."""
    nest.ResetKernel()
    nest.rng_seed = seed
    nest.CopyModel("stdp_synapse_hom", "exc", {"Wmax": 3.0})
    e = nest.Create("iaf_psc_delta", 80, params={"V_m": nest.random.uniform(-70.0, -55.0)})
    i = nest.Create("iaf_psc_delta", 20, params={"V_m": -65.0 + 3.0 * nest.random.normal()})
    pg = nest.Create("poisson_generator", {"rate": 9000.0})
    sr = nest.Create("spike_recorder")
    nest.Connect(e, e + i, {"rule": "fixed_indegree", "indegree": 8}, {"synapse_model": "exc", "weight": 1.5})
    nest.Connect(i, e + i, {"rule": "fixed_indegree", "indegree": 4},
                 {"weight": -4.0 * nest.random.uniform(0.8, 1.2), "delay": 1.5})
    nest.Connect(pg, e + i, syn_spec={"weight": 1.2})
    nest.Connect(e + i, sr)
    return e, i, pg, sr


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_nest_checkpoint_changes.py::test_every_change_between_runs_resumes_bit_for_bit
def test_checkpoint_resumes_bit_for_bit(tmp_path):
    """save_checkpoint, then the same script in a fresh kernel and load_checkpoint: the continuation is
    the uninterrupted run's, spikes and STDP weights bit for bit; a change made before saving (a rate)
    is part of it."""
    e, i, pg, sr = plastic_network(nest)
    nest.Simulate(40.0)
    pg.rate = 11000.0
    sr.n_events = 0  # the layer's own state is part of the checkpoint too
    nest.save_checkpoint(tmp_path / "ck")
    nest.Simulate(40.0)
    want = sr.get("events")
    w_want = nest.GetConnections(synapse_model="exc").weight

    e, i, pg, sr = plastic_network(nest)
    pg.rate = 11000.0
    nest.load_checkpoint(tmp_path / "ck")
    assert nest.biological_time == 40.0
    nest.Simulate(40.0)
    got = sr.get("events")
    for k in ("senders", "times"):
        np.testing.assert_array_equal(got[k], want[k])
    assert np.array_equal(nest.GetConnections(synapse_model="exc").weight, w_want)
    assert len(got["times"]) > 50 and (got["times"] > 40.0).all()


def test_store_restore_idiom_with_pickled_frames(tmp_path):
    """NEST's store/restore idiom: V_m and connection frames pickled, the network restored in a fresh
    kernel from arrays (one_to_one) with time at 0; the same seed gives the same spikes."""
    import pickle

    e, i, pg, sr = plastic_network(nest)
    nest.Simulate(30.0)
    assert nest.NumProcesses() == 1 and nest.Rank() == 0
    saved = {"n_vp": nest.total_num_virtual_procs,
             "nrns": (e + i).get(["V_m"], output="pandas"),
             "exc": nest.GetConnections(synapse_model="exc").get(("source", "target", "weight"), output="pandas"),
             "inh": nest.GetConnections(synapse_model="static_synapse", source=i, target=e + i).get(
                 ("source", "target", "weight", "delay"), output="pandas")}
    (tmp_path / "net.pkl").write_bytes(pickle.dumps(saved, pickle.HIGHEST_PROTOCOL))
    assert list(saved["nrns"].index) == list(range(1, 101))

    def restored():
        nest.ResetKernel()
        stored = pickle.loads((tmp_path / "net.pkl").read_bytes())
        assert stored["n_vp"] == nest.total_num_virtual_procs
        nest.CopyModel("stdp_synapse_hom", "exc", {"Wmax": 3.0})
        n = nest.Create("iaf_psc_delta", 100, params={"V_m": stored["nrns"].V_m.values})
        nest.Connect(stored["exc"].source.values, stored["exc"].target.values, "one_to_one",
                     {"synapse_model": "exc", "weight": stored["exc"].weight.values})
        nest.Connect(stored["inh"].source.values, stored["inh"].target.values, "one_to_one",
                     {"weight": stored["inh"].weight.values, "delay": stored["inh"].delay.values})
        pg = nest.Create("poisson_generator", {"rate": 9000.0})
        sr = nest.Create("spike_recorder")
        nest.Connect(pg, n, syn_spec={"weight": 1.2})
        nest.Connect(n, sr)
        np.testing.assert_array_equal(n.get("V_m"), stored["nrns"].V_m.values)
        nest.Simulate(30.0)
        return sr.get("events")

    a, b = restored(), restored()
    assert nest.biological_time == 30.0 and len(a["times"]) > 20
    np.testing.assert_array_equal(a["times"], b["times"])
    np.testing.assert_array_equal(a["senders"], b["senders"])


def test_generators_recorded_by_a_spike_recorder(x64):
    """spike_generator -> spike_recorder records the generator's spikes at their times (relative to
    origin, inside the window); poisson_generator -> spike_recorder records about rate × time of them."""
    nest.ResetKernel()
    sg = nest.Create("spike_generator", params={"spike_times": [1.0, 2.5, 7.0], "stop": 5.0})
    pg = nest.Create("poisson_generator", params={"rate": 5000.0})
    sr = nest.Create("spike_recorder")
    nest.Create("iaf_psc_delta")  # a network of generators alone is not simulated
    nest.Connect(sg + pg, sr)
    nest.Simulate(10.0)
    sg.origin = 10.0
    nest.Simulate(10.0)
    ev = sr.events
    mine = ev["senders"] == sg.global_id
    np.testing.assert_array_equal(ev["times"][mine], [1.0, 2.5, 11.0, 12.5])  # NEST 3.10: the same
    n = int((ev["senders"] == pg.global_id).sum())
    assert abs(n - 100) < 5 * 10 and np.all(np.diff(ev["times"]) >= 0)
    assert nest.GetDefaults("static_synapse")["num_connections"] == 2


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_nest_between_runs.py::test_plastic_set_with_a_pending_facilitation_gives_nests_weights
def test_plastic_changes_between_runs_give_nests_numbers(x64):
    """stdp_synapse properties (Wmax, tau_plus, lambda, alpha, Kplus, delay), a static delay and the weights
    of spike_generator and dc_generator connections changed between runs, then a neuron created and
    connected (plastic and static) after Simulate: NEST 3.10's spikes exactly; V_m, weights and K+ within
    1e-12 (jaxsnn's STDP arithmetic is NEST's to the last bit or one ulp, see docs/nest.md)."""
    want, got = reference("plastic_changes"), SCRIPTS["plastic_changes"](nest)
    w, g = canonical({k: want[k] for k in ("senders", "times")}), canonical({k: got[k] for k in ("senders", "times")})
    for col in w:
        np.testing.assert_array_equal(g[col], w[col], err_msg=f"spikes: {col}")
    wv = canonical(want["vm"])
    gv = canonical(got["vm"])
    np.testing.assert_array_equal(gv["times"], wv["times"])
    np.testing.assert_allclose(gv["V_m"], wv["V_m"], rtol=0, atol=1e-12)
    for key in ("w1", "w2", "w3", "kplus2", "kplus3"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, err_msg=key)
    for key in ("Wmax", "tau_plus", "delay", "num_connections"):
        assert got[key] == want[key], key


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_triplet_connections_carry_over_a_rebuild(x64):
    """stdp_triplet_synapse between driven neurons, read between runs, then a neuron created and connected by a
    new triplet connection after Simulate (the traces K+, K+,3 and the targets' triplet archive carry over):
    NEST 3.10's spikes exactly, weights and traces within 1e-12."""
    want, got = reference("triplet_after_simulate"), SCRIPTS["triplet_after_simulate"](nest)
    w, g = canonical({k: want[k] for k in ("senders", "times")}), canonical({k: got[k] for k in ("senders", "times")})
    for col in w:
        np.testing.assert_array_equal(g[col], w[col], err_msg=f"spikes: {col}")
    for key in ("w1", "k1", "w2", "kplus2", "ktriplet2"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, err_msg=key)


def test_connection_changes_refused_by_name():
    """What NEST refuses (common properties of *_hom synapses, recorder connections) and what a run cannot
    take (a delay below its min_delay, a negative Kplus) is refused, naming the property."""
    nest.ResetKernel()
    n = nest.Create("iaf_psc_alpha", 2, params={"I_e": 450.0})
    nest.CopyModel("stdp_synapse_hom", "hom")
    nest.Connect(n[0], n[1], syn_spec={"synapse_model": "hom", "delay": 2.0})
    nest.Connect(n[1], n[0], syn_spec={"synapse_model": "stdp_synapse", "delay": 2.0})
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    nest.Simulate(10.0)
    with pytest.raises(JaxsnnError, match="common property.*SetDefaults"):
        nest.GetConnections(n[0], n[1]).set(Wmax=50.0)
    with pytest.raises(JaxsnnError, match="spike_recorder have no properties"):
        nest.GetConnections(target=sr).weight = 2.0
    with pytest.raises(JaxsnnError, match="delay=0.5.*min_delay"):
        nest.GetConnections(n[1], n[0]).delay = 0.5
    with pytest.raises(JaxsnnError, match="Kplus"):
        nest.GetConnections(n[1], n[0]).Kplus = -1.0
    with pytest.raises(JaxsnnError, match="U"):
        nest.GetConnections(n[1], n[0]).set(U=0.5)
    c = nest.GetConnections(n[1], n[0])
    c.set(Wmax=80.0, tau_plus=10.0)
    nest.Simulate(10.0)
    assert c.Wmax == 80.0 and c.tau_plus == 10.0 and nest.biological_time == 20.0


def test_poisson_generator_recorded_the_same_however_the_run_is_split():
    """A poisson_generator's train seen by a spike_recorder is a function of (rng_seed, generator,
    recorder, step): one Simulate or three give the same spikes; its count is rate × time (5 sigma)."""
    def run(pieces):
        nest.ResetKernel()
        nest.rng_seed = 7
        pg = nest.Create("poisson_generator", params={"rate": 2000.0})
        nest.Create("iaf_psc_delta")
        sr = nest.Create("spike_recorder")
        nest.Connect(pg, sr)
        for t in pieces:
            nest.Simulate(t)
        return sr.events["times"]

    whole, split = run([500.0]), run([123.4, 0.1, 376.5])
    np.testing.assert_array_equal(split, whole)
    assert abs(len(whole) - 1000) < 5 * np.sqrt(1000)


def test_shift_now_spikes_as_nest():
    """spike_generator with shift_now_spikes: a spike due at the current time (origin + t) is sent one step
    later and stored as NEST 3.10 stores it; one due later is not moved (NEST 3.10's output)."""
    cases = [(0.0, [10.0, 10.5], [11.1, 11.5], [10.1, 10.5]), (5.0, [5.0, 7.0], [11.1, 13.0], [5.1000000000000005, 7.0]),
             (5.0, [10.0], [16.0], [10.0]), (0.0, [9.99999999999], [11.1], [10.1])]
    for origin, times, sent, stored in cases:
        nest.ResetKernel()
        sg = nest.Create("spike_generator", params={"shift_now_spikes": True, "origin": origin})
        p, sr = nest.Create("parrot_neuron"), nest.Create("spike_recorder")
        nest.Connect(sg, p)
        nest.Connect(p, sr)
        nest.Simulate(10.0)
        sg.spike_times = times
        nest.Simulate(10.0)
        np.testing.assert_array_equal(sr.events["times"], sent, err_msg=str((origin, times)))
        np.testing.assert_array_equal(sg.spike_times, stored, err_msg=str((origin, times)))


def test_poisson_window_moved_in_place_as_rebuilt():
    """A poisson_generator's origin, start, stop and rate set between runs go into the running simulation in
    place; the spikes are those of the run rebuilt with the state carried over (and every trial gets input)."""
    def trials(rebuild):
        nest.ResetKernel()
        nest.rng_seed = 11
        pg = nest.Create("poisson_generator", params={"rate": 3000.0, "start": 5.0, "stop": 40.0})
        parrots = nest.Create("parrot_neuron", 5)
        sr = nest.Create("spike_recorder")
        nest.Connect(pg, parrots)
        nest.Connect(parrots, sr)
        counts = []
        for k in range(3):
            pg.set(origin=k * 60.0, rate=3000.0 + 1000.0 * k, stop=40.0 - 10.0 * k)
            if rebuild:
                nest.KERNEL.changed()
            before = sr.n_events
            nest.Simulate(60.0)
            counts.append(sr.n_events - before)
        return counts, sr.events

    (c1, e1), (_, e2) = trials(False), trials(True)
    assert min(c1) > 100, c1
    np.testing.assert_array_equal(e1["times"], e2["times"])
    np.testing.assert_array_equal(e1["senders"], e2["senders"])


def test_poisson_connection_weight_set_between_runs():
    """The weight of a poisson_generator -> neuron connection set to 0 between runs: the input stops (V_m
    relaxes to E_L); Connect(return_synapsecollection=True) names the connections it made."""
    nest.ResetKernel()
    pg = nest.Create("poisson_generator", params={"rate": 8000.0})
    n = nest.Create("iaf_psc_delta", params={"V_th": 1e3})
    conns = nest.Connect(pg, n, syn_spec={"weight": 0.5}, return_synapsecollection=True)
    assert len(conns) == 1 and conns.source == pg.global_id and conns.weight == 0.5
    nest.Simulate(100.0)
    assert n.V_m > n.E_L + 5.0
    conns.weight = 0.0
    nest.Simulate(300.0)
    assert nest.GetConnections(pg, n).weight == 0.0
    assert abs(n.V_m - n.E_L) < 1e-6


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_new_plastic_connections_from_an_evolved_source_give_nests_numbers(x64):
    """New stdp_synapse connections after Simulate from a neuron whose K+ has grown start at K+ = 0 while its
    old connections keep theirs, and an old connection's Kplus set apart from its siblings' evolves on its
    own, as each of NEST's synapses holds its own K+: NEST 3.10's spikes exactly, weights and K+ within 1e-12."""
    want, got = reference("plastic_from_evolved_source"), SCRIPTS["plastic_from_evolved_source"](nest)
    w, g = canonical({k: want[k] for k in ("senders", "times")}), canonical({k: got[k] for k in ("senders", "times")})
    assert len(w["times"]) > 30
    for col in w:
        np.testing.assert_array_equal(g[col], w[col], err_msg=col)
    for k in ("kplus1", "w1", "kplus_new"):
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12, err_msg=k)

    def by_connection(r):
        order = np.lexsort((r["delay"], r["target"], r["source"]))
        return {k: np.asarray(r[k])[order] for k in ("source", "target", "delay", "w2", "kplus2")}

    w, g = by_connection(want), by_connection(got)
    for k in ("source", "target", "delay"):
        np.testing.assert_array_equal(g[k], w[k], err_msg=k)
    for k in ("w2", "kplus2"):
        np.testing.assert_allclose(g[k], w[k], rtol=1e-12, err_msg=k)
    assert len(np.unique(w["kplus2"])) == 3  # three K+ values at the end: the case needs separate traces


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_first_plastic_input_after_simulate_gives_nests_numbers(x64):
    """A neuron whose first plastic input is connected after Simulate starts an empty archive (K- = 0), as
    NEST's: NEST 3.10's spikes exactly, weights within 1e-12."""
    want, got = reference("first_plastic_input"), SCRIPTS["first_plastic_input"](nest)
    w, g = canonical({k: want[k] for k in ("senders", "times")}), canonical({k: got[k] for k in ("senders", "times")})
    for col in w:
        np.testing.assert_array_equal(g[col], w[col], err_msg=col)
    np.testing.assert_allclose(got["weights"], want["weights"], rtol=1e-12)
