"""iaf_psc_exp, iaf_psc_alpha and the current generators keep jaxsnn's guarantees: several models in
one network are each exact, and split runs, checkpoints and devices give the same bits."""
import json
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import jaxsnn
from jaxsnn import JaxsnnError

from .conftest import CASES, cpu_devices

MIXED = textwrap.dedent("""
    import jax, numpy as np
    import jaxsnn

    def mixed(**options):
        net = jaxsnn.Network(seed=3)
        d = net.create("iaf_psc_delta", 12, params={"V_m": jaxsnn.random.normal(-62.0, 4.0)})
        x = net.create("iaf_psc_exp", 10, params={"V_m": jaxsnn.random.normal(-62.0, 4.0), "tau_syn_in": 5.0})
        a = net.create("iaf_psc_alpha", 9, params={"V_m": jaxsnn.random.normal(-62.0, 4.0), "I_e": 120.0})
        pg = net.create("poisson_generator", params={"rate": 9000.0})
        dc = net.create("dc_generator", params={"amplitude": 150.0, "start": 5.0, "stop": 60.0})
        st = net.create("step_current_generator", params={"amplitude_times": [3.0, 20.0, 41.0],
                                                          "amplitude_values": [90.0, -40.0, 200.0]})
        nz = net.create("noise_generator", params={"mean": 50.0, "std": 80.0, "dt": 0.5})
        sr = net.create("spike_recorder")
        mm = net.create("multimeter", params={"interval": 0.5, "record_from": ["V_m", "I_syn_ex", "I_syn_in"]})
        vm = net.create("voltmeter", params={"interval": 0.3})
        allnrn = d + x + a
        net.connect(allnrn, allnrn, {"rule": "fixed_indegree", "indegree": 6},
                    {"weight": jaxsnn.random.uniform(-40.0, 60.0), "delay": jaxsnn.random.uniform(1.0, 4.0)})
        net.connect(pg, d, syn_spec={"weight": 1.0})
        net.connect(pg, x + a, syn_spec={"weight": 40.0})
        net.connect(dc, x[:5] + d[:4], syn_spec={"weight": 1.5, "delay": 2.0})
        net.connect(dc, x[5:], syn_spec={"weight": 1.0, "delay": 1.0, "receptor_type": 1})
        net.connect(st, a + d[6:], syn_spec={"weight": 1.0, "delay": 1.5})
        net.connect(nz, allnrn, syn_spec={"weight": 1.0, "delay": 1.0})
        net.connect(allnrn, sr)
        net.connect(mm, x[:3] + a[-3:])
        net.connect(vm, d[:2] + x[-2:] + a[:1])
        return net.build(**options), sr, mm, vm
""")


@pytest.fixture
def mixed():
    scope = {}
    exec(MIXED, scope)
    return scope["mixed"]


def _outcome(sim, sr, mm, vm):
    return [sim.events(sr), sim.events(mm), sim.events(vm), sim.get(names=("V_m",))]


def _same(a, b):
    for x, y in zip(_outcome(*a), _outcome(*b)):
        assert x.equals(y), (x, y)
    for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(a[0].state.replace(buffers=None)),
                            jax.tree_util.tree_leaves(b[0].state.replace(buffers=None))):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=jax.tree_util.keystr(path))


def test_split_runs_are_bit_identical(mixed, x64):
    sim, sr, mm, vm = mixed()
    whole = jaxsnn.simulate(sim, 80.0)
    parts = jaxsnn.simulate(jaxsnn.simulate(jaxsnn.simulate(sim, 17.3), 30.2), 32.5)
    _same((whole, sr, mm, vm), (parts, sr, mm, vm))
    assert len(whole.events(sr)) > 50  # active, so the comparison means something
    ev = whole.events(mm)
    assert (ev.I_syn_ex > 0).any() and (ev.I_syn_in < 0).any()


def test_checkpoint_resumes_bit_for_bit(mixed, tmp_path, x64):
    sim, sr, mm, vm = mixed()
    whole = jaxsnn.simulate(sim, 60.0)
    jaxsnn.save_checkpoint(tmp_path / "ck", jaxsnn.simulate(sim, 23.4))
    resumed = jaxsnn.simulate(jaxsnn.load_checkpoint(tmp_path / "ck", mixed()[0]), 60.0 - 23.4)
    _same((whole, sr, mm, vm), (resumed, sr, mm, vm))


SPLIT = MIXED + textwrap.dedent("""
    one, sr, mm, vm = mixed(devices=1)
    split = mixed()[0]
    a = jaxsnn.simulate(jaxsnn.simulate(one, 31.1), 28.9)
    b = jaxsnn.simulate(jaxsnn.simulate(split, 31.1), 28.9)
    assert len(jax.devices()) == 3 and b._plan and len(b._plan[-1].devices) == 3
    for x, y in zip([a.events(sr), a.events(mm), a.events(vm), a.get()],
                    [b.events(sr), b.events(mm), b.events(vm), b.get()]):
        assert x.equals(y), (x, y)
    for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(a.state.replace(buffers=None)),
                            jax.tree_util.tree_leaves(b.state.replace(buffers=None))):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=jax.tree_util.keystr(path))
    assert len(a.events(sr)) > 30
    print("ok")
""")


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_generator_recording.py::test_recorded_generator_spikes_in_split_runs_checkpoints_and_devices
def test_split_over_devices_is_bit_identical():
    r = subprocess.run([sys.executable, "-c", SPLIT], capture_output=True, text=True,
                       env=cpu_devices(3, JAX_ENABLE_X64="True"))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


def test_models_side_by_side_are_each_exact(x64):
    """NEST's exp, alpha and delta cases as three neurons of one network: each still bit-identical."""
    names = ("exp_subthreshold", "alpha_subthreshold", "step_current_onto_delta")
    cases = [json.loads((CASES / f"{n}.json").read_text()) for n in names]
    net = jaxsnn.Network(resolution=0.1)
    nodes = []
    for case in cases:
        node = net.create(case["model"], 1, params=case["params"])
        for cur in case.get("currents", []):
            net.connect(net.create(cur["model"], params=cur["params"]), node,
                        syn_spec={"weight": cur["weight"], "delay": cur["delay"]})
        for inp in case.get("inputs", []):
            sg = net.create("spike_generator", params={"spike_times": inp["times"], "spike_weights": inp["weights"]})
            net.connect(sg, node, syn_spec={"delay": inp["delay"]})
        mm = net.create("multimeter", params={"interval": 0.1, "record_from": case["recordables"]})
        net.connect(mm, node)
        nodes.append(mm)
    sim = jaxsnn.simulate(net.build(), 60.0)
    for case, mm in zip(cases, nodes):
        ev, exp = sim.events(mm), case["expected"]
        for name in case["recordables"]:
            np.testing.assert_array_equal(ev[name].to_numpy()[:len(exp[name])], exp[name], err_msg=case["name"])


def test_psc_neurons_refuse_what_nest_refuses():
    net = jaxsnn.Network()
    with pytest.raises(JaxsnnError, match="V_min"):
        net.create("iaf_psc_exp", params={"V_min": -80.0})
    with pytest.raises(JaxsnnError, match="delta"):
        net.create("iaf_psc_exp", params={"delta": 1.0})  # escape noise is not simulated
    n = net.create("iaf_psc_alpha")
    dc = net.create("dc_generator")
    with pytest.raises(JaxsnnError, match="receptor_type"):
        net.connect(dc, n, syn_spec={"receptor_type": 1})
    mm = net.create("multimeter", params={"record_from": ["I_syn_ex"]})
    d = net.create("iaf_psc_delta")
    net.connect(mm, d)
    with pytest.raises(JaxsnnError, match="I_syn_ex"):
        net.build()


def test_psc_parameters_drive_the_dynamics(x64):
    """tau_syn_ex changed after build: the in-graph propagators take over (close to a build with it)."""
    def run(tau, after=None):
        net = jaxsnn.Network()
        n = net.create("iaf_psc_exp", params={"tau_syn_ex": tau})
        sg = net.create("spike_generator", params={"spike_times": [2.0], "spike_weights": [300.0]})
        net.connect(sg, n)
        sim = net.build()
        if after is not None:
            sim = sim.set(n, {"tau_syn_ex": after})
        return jaxsnn.simulate(sim, 10.0).get(n).V_m.iloc[0]

    built, changed = run(3.0), run(2.0, after=3.0)
    assert changed != run(2.0)
    np.testing.assert_allclose(changed, built, rtol=0, atol=1e-12)


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_ensemble_members_are_their_own_runs(mixed, x64):
    """Members differing in seed (so in their noise currents and Poisson input) each give the bits of
    their own advance."""
    sim = mixed()[0]
    keys = [jaxsnn.simulation_key(s) for s in (1, 2)]
    states = jax.tree_util.tree_map(lambda x: np.stack([x, x]), sim.state)  # NumPy's: nothing to compile
    states = states.replace(key=np.stack(keys))
    out = jaxsnn.jit(jaxsnn.advance_ensemble, static_argnums=3)(sim.model, sim.params, states, 300)
    advance = jaxsnn.jit(jaxsnn.advance)  # one program for both members (not one per operation)
    for i, key in enumerate(keys):
        own = advance(sim.model, sim.params, sim.state.replace(key=key), 300)
        for path, a in jax.tree_util.tree_flatten_with_path(own.neurons)[0]:
            b = jax.tree_util.tree_flatten_with_path(out.neurons)[0]
            np.testing.assert_array_equal(dict(b)[path][i], a, err_msg=jax.tree_util.keystr(path))
    assert not np.array_equal(out.neurons.current[0], out.neurons.current[1])


def test_gradients_reach_psc_and_current_parameters(x64):
    """jax.grad through iaf_psc_exp/alpha and a dc generator: finite, and of the analytic sign and size
    (dV/d amplitude = sum of P20 e^{-k h / tau_m} over the steps the current acted, sub-threshold)."""
    net = jaxsnn.Network()
    x = net.create("iaf_psc_exp", params={"V_th": 1e6})
    a = net.create("iaf_psc_alpha", params={"V_th": 1e6})
    sg = net.create("spike_generator", params={"spike_times": [1.0], "spike_weights": [200.0]})
    dc = net.create("dc_generator", params={"amplitude": 100.0})
    net.connect(sg, x + a)
    net.connect(dc, x, syn_spec={"delay": 1.0})
    sim = net.build(differentiable=True)

    def V_exp(params):
        return jaxsnn.advance(sim.model, params, sim.state, 100).neurons["iaf_psc_exp"]["V_rel"][0]

    def V_alpha(params):
        return jaxsnn.advance(sim.model, params, sim.state, 100).neurons["iaf_psc_alpha"]["V_rel"][0]

    g = jax.grad(V_exp)(sim.params)
    # the current acts on V in steps 12 .. 100 (d + 2h onwards), each step's contribution decaying
    P22 = np.exp(-0.1 / 10.0)
    expected = sum(10.0 / 250.0 * (1 - P22) * P22 ** k for k in range(100 - 11))
    np.testing.assert_allclose(float(g.generators["dc_generator"]["amplitude"][0]), expected, rtol=1e-9)
    assert float(g.neurons["iaf_psc_exp"]["tau_syn_ex"][0]) > 0  # a slower synaptic current charges V more
    ga = jax.grad(V_alpha)(sim.params)
    assert float(ga.neurons["iaf_psc_alpha"]["tau_syn_ex"][0]) > 0
    assert np.isfinite(float(ga.neurons["iaf_psc_alpha"]["tau_m"][0]))


def test_spike_multiplicities_are_whole_numbers_per_time():
    net = jaxsnn.Network()
    with pytest.raises(JaxsnnError, match="spike_multiplicities"):
        net.create("spike_generator", params={"spike_times": [1.0, 2.0], "spike_multiplicities": [1.5, 1]})
    with pytest.raises(JaxsnnError, match="spike_multiplicities"):
        net.create("spike_generator", params={"spike_times": [1.0, 2.0], "spike_multiplicities": [1]})
