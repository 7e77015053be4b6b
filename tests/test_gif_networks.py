"""gif_psc_exp and gif_cond_exp in networks: NEST's spike statistics through a built network, draws from
(seed, step, node id), adaptation elements as list parameters of any length per neuron.

The stored NEST runs (tools/nest_gsl_models.py, kind "gif_rate": spike counts of independent neurons
under constant input) are compared as in tests/test_gif_models.py: the mean count within 4 standard
errors, the variance of the counts within a factor 1.6.
"""
import json
import math
import os

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytestmark = pytest.mark.usefixtures("x64")  # float64 for each test, restored after it (not for the whole session)

import jaxsnn  # noqa: E402

CASES = os.path.join(os.path.dirname(__file__), "reference", "nest_cases")
ADAPTING = {"tau_sfa": [20.0, 200.0], "q_sfa": [2.0, 0.5], "tau_stc": [10.0, 100.0], "q_stc": [8.0, 2.0],
            "Delta_V": 1.0, "lambda_0": 50.0, "t_ref": 2.0}


@pytest.mark.parametrize("name", ["gif_psc_rate", pytest.param("gif_cond_rate", marks=pytest.mark.slow)])
def test_rate_through_a_network_matches_nest(name):
    with open(os.path.join(CASES, name + ".json")) as f:
        case = json.load(f)
    net = jaxsnn.Network(resolution=case["resolution"], seed=11)
    pop = net.create(case["model"], case["n"], params=case["params"])
    sr = net.create("spike_recorder")
    net.connect(pop, sr)
    sim = jaxsnn.simulate(net.build(), case["t_sim"])
    ours = np.bincount(sim.events(sr).senders.to_numpy() - pop.ids[0], minlength=case["n"]).astype(float)
    theirs = np.asarray(case["expected"]["counts"], float)
    n = case["n"]
    se = math.sqrt(theirs.var(ddof=1) / n + ours.var(ddof=1) / n)
    assert abs(ours.mean() - theirs.mean()) < 4 * se, (ours.mean(), theirs.mean(), se)
    assert 1 / 1.6 < ours.var(ddof=1) / theirs.var(ddof=1) < 1.6


def _network(model, seed, other=None, rate=5000.0):
    """gif neurons with adaptation driven by a Poisson generator of ``rate``, a second population
    (``other``'s list parameters) and recurrent connections."""
    net = jaxsnn.Network(seed=seed)
    a = net.create(model, 6, params=dict(ADAPTING, I_e=150.0))
    b = net.create(model, 3, params=dict(other or {}, I_e=100.0))
    pg = net.create("poisson_generator", params={"rate": rate})
    sr = net.create("spike_recorder")
    net.connect(pg, a + b, syn_spec={"weight": 8.0})
    net.connect(a, b, syn_spec={"weight": 20.0, "delay": 1.5})
    net.connect(a + b, sr)
    return net, a, b, sr


@pytest.mark.parametrize("model", ["gif_psc_exp", pytest.param("gif_cond_exp", marks=pytest.mark.slow)])  # fast: gif_psc_exp
def test_draws_follow_the_seed_and_survive_split_runs_and_checkpoints(model, tmp_path):
    net, a, b, sr = _network(model, seed=3)
    one = jaxsnn.simulate(net.build(), 300.0)
    assert len(one.events(sr)) > 30
    split = jaxsnn.simulate(jaxsnn.simulate(net.build(), 110.0), 190.0)
    assert one.events(sr).equals(split.events(sr))
    half = jaxsnn.simulate(net.build(), 150.0)
    jaxsnn.save_checkpoint(tmp_path / "ck", half)
    resumed = jaxsnn.simulate(jaxsnn.load_checkpoint(tmp_path / "ck", net.build()), 150.0)
    for x, y in zip(jax.tree_util.tree_leaves(one.state.neurons), jax.tree_util.tree_leaves(resumed.state.neurons)):
        assert np.array_equal(np.asarray(x), np.asarray(y))
    quiet = [jaxsnn.simulate(_network(model, seed=s, rate=0.0)[0].build(), 300.0).events(sr) for s in (3, 3, 4)]
    assert quiet[0].equals(quiet[1]) and not quiet[0].equals(quiet[2])  # the seed reaches the escape draws


def test_lists_of_any_length_per_neuron():
    """Each neuron keeps its own adaptation elements: ``get`` gives them back, and the padding that
    lets neurons with fewer elements share arrays with longer ones changes no bit of their run."""
    three = {"tau_sfa": [5.0, 50.0, 500.0], "q_sfa": [1.0, 1.0, 1.0], "tau_stc": [30.0], "q_stc": [3.0]}
    def run(other):
        net, a, b, _ = _network("gif_psc_exp", seed=5, other=other)
        mm = net.create("multimeter", params={"record_from": ["E_sfa", "I_stc"], "interval": 0.1})
        net.connect(mm, a)
        sim = jaxsnn.simulate(net.build(), 200.0)
        return sim, a, b, sim.events(mm)

    sim, a, b, recorded = run(three)
    got = sim.get(a + b, ["tau_sfa", "q_stc"])
    assert [list(x) for x in got.tau_sfa] == [ADAPTING["tau_sfa"]] * 6 + [three["tau_sfa"]] * 3
    assert [list(x) for x in got.q_stc] == [ADAPTING["q_stc"]] * 6 + [three["q_stc"]] * 3
    alone, _, _, alone_recorded = run({})  # b: no elements, so a's lists are not padded
    assert recorded.E_sfa.nunique() > 100 and recorded.equals(alone_recorded)
    assert [list(x) for x in alone.get(b, ["tau_sfa"]).tau_sfa] == [[]] * 3


def test_mismatched_lists_are_refused_as_nest_refuses_them():
    net = jaxsnn.Network()
    with pytest.raises(jaxsnn.JaxsnnError, match="tau_sfa' and 'q_sfa' need to have the same dimensions"):
        net.create("gif_psc_exp", 2, params={"tau_sfa": [10.0, 20.0], "q_sfa": [1.0]})


SPLIT = """
import jax, sys
sys.path.insert(0, "tests")
import jaxsnn
from test_gif_networks import _network

def run(**options):
    net, a, b, sr = _network("gif_cond_exp", seed=7)
    return jaxsnn.simulate(net.build(**options), 150.0).events(sr)

one, split = run(devices=1), run()
assert len(jax.devices()) == 3 and len(one) > 20
assert one.equals(split), (one, split)
print("ok")
"""


@pytest.mark.slow  # a child process compiles for 3 devices
def test_split_over_devices_is_bit_identical():
    """The draws' streams (node ids) and the adaptation elements travel with their neurons."""
    import subprocess
    import sys

    from .conftest import ROOT, cpu_devices

    r = subprocess.run([sys.executable, "-c", SPLIT], capture_output=True, text=True, cwd=ROOT,
                       env=cpu_devices(3, JAX_ENABLE_X64="True"))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


def test_pynest_set_resizes_the_elements_as_nest():
    """NEST's pre_run_hook resizes the elements to the new lists: the old ones that remain keep their
    values, new ones start at 0; ``get`` gives each neuron's list."""
    import jaxsnn.nest as nest

    nest.ResetKernel()
    n = nest.Create("gif_psc_exp", 4, params=dict(ADAPTING, I_e=150.0))
    nest.Simulate(100.0)
    before = np.asarray(nest.kernel.KERNEL.sim.state.neurons["gif_psc_exp"]["stc_elems"])
    assert (before != 0.0).all()
    n[:2].set(tau_stc=[10.0, 100.0, 1000.0], q_stc=[8.0, 2.0, 1.0])
    n[3].set(tau_stc=[10.0], q_stc=[8.0])
    nest.Simulate(0.1)
    after = np.asarray(nest.kernel.KERNEL.sim.state.neurons["gif_psc_exp"]["stc_elems"])
    P = np.exp(-0.1 / np.array([10.0, 100.0]))
    np.testing.assert_allclose(after[:3, :2], before[:3] * P, rtol=1e-6)  # decayed by one step, or spiked
    assert (after[:2, 2] == 0.0).all() and after[3, 1:].tolist() == [0.0, 0.0]
    assert [len(x) for x in n.get("tau_stc")] == [3, 3, 2, 1]
