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


@pytest.mark.parametrize("name", ["gen_recordables", "gen_recordables_set"])
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


def test_recorded_generators_split_over_two_devices_give_the_same_bits():
    r = subprocess.run([sys.executable, "-c", SPLIT], capture_output=True, text=True, env=cpu_devices(2))
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]


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
