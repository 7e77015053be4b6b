"""NEST's calcium trace ``Ca`` and its parameters ``tau_Ca``, ``beta_Ca`` in ``jaxsnn.nest`` and the functional API,
against NEST 3.10's bits (``tests/reference/tools/nest_calcium.py`` over ``tests/calcium_scripts.py``)."""
import json
import pathlib
import subprocess
import sys

import jax
import pytest

import jaxsnn
import jaxsnn.nest as nest
from jaxsnn.errors import CheckpointError, JaxsnnError

from .calcium_scripts import SCRIPTS
from .conftest import cpu_devices

HERE = pathlib.Path(__file__).resolve().parent
REFERENCE = HERE / "reference" / "pynest_cases"


def _nest(name):
    return json.loads((REFERENCE / f"calcium_{name}.json").read_text())


def test_dc_runs_give_nests_ca(x64):
    """Runs ending inside slices, a run of 0 ms, tau_Ca/beta_Ca from SetDefaults, Create and CopyModel, set between
    runs, Ca set between runs: every Ca has NEST's bits (one spike a slice: the engine's once-a-slice update)."""
    assert json.loads(json.dumps(SCRIPTS["dc_runs"](nest))) == _nest("dc_runs")


@pytest.mark.slow  # the resolution's arithmetic; test_dc_runs_give_nests_ca covers the capability at 0.1 ms
def test_dc_runs_at_a_finer_resolution_give_nests_ca(x64):
    assert json.loads(json.dumps(SCRIPTS["dc_runs_fine"](nest))) == _nest("dc_runs_fine")


@pytest.mark.slow  # a rebuild between runs (two compilations); test_dc_runs_give_nests_ca covers the runs
def test_neurons_created_between_runs_and_prepare_run_give_nests_ca(x64):
    assert json.loads(json.dumps(SCRIPTS["created_between_runs"](nest))) == _nest("created_between_runs")


def test_several_spikes_a_slice_and_multiplicities_give_nests_ca(x64):
    """Neurons spiking several times a slice (the engine's update a step), parrots' multiplicities, runs ending
    just after spikes (added on the host at the end of the run, not again by the engine)."""
    assert json.loads(json.dumps(SCRIPTS["several_spikes_a_slice"](nest))) == _nest("several_spikes_a_slice")


@pytest.mark.slow  # compiles a plastic network; test_several_spikes_a_slice_and_multiplicities_give_nests_ca
# and test_dc_runs_give_nests_ca cover the trace
def test_network_with_parrots_stdp_and_several_spikes_a_slice_gives_nests_ca(x64):
    """Several spikes of a neuron in a slice (the engine's update a step), parrots' multiplicities, STDP input."""
    assert json.loads(json.dumps(SCRIPTS["network"](nest))) == _nest("network")


@pytest.mark.slow  # a child process on two CPU devices; the network test covers the trace on one
def test_network_split_over_two_devices_gives_nests_ca():
    """The same network with its neurons split over two devices (each keeps its neurons' trace)."""
    code = ("import jax, json, sys; jax.config.update('jax_enable_x64', True); sys.path.insert(0, 'tests')\n"
            "import jaxsnn.nest as nest, jaxsnn.nest.kernel as k; k.SPLIT_FROM = 1\n"
            "assert len(jax.devices()) == 2\n"
            "from calcium_scripts import SCRIPTS; print(json.dumps(SCRIPTS['network'](nest)))")
    out = subprocess.run([sys.executable, "-c", code], env=cpu_devices(2), capture_output=True, text=True,
                         cwd=HERE.parent, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == _nest("network")


def _nest_dc_network():
    """dc_runs' network in jaxsnn.nest (SetDefaults, CopyModel, Create params)."""
    nest.ResetKernel()
    nest.SetDefaults("iaf_psc_delta", {"tau_Ca": 250.0})
    nest.CopyModel("iaf_psc_delta", "fast_ca", {"tau_Ca": 20.0, "beta_Ca": 0.05})
    a = nest.Create("iaf_psc_delta", params={"beta_Ca": 0.125})
    b = nest.Create("fast_ca")
    nest.Connect(nest.Create("dc_generator", params={"amplitude": 900.0}), a + b)
    return a + b


def test_nest_checkpoint_after_changes_resumes_nests_ca(x64, tmp_path):
    """nest.save_checkpoint after runs and after tau_Ca, beta_Ca and Ca were set; the script rebuilt without the
    changes and nest.load_checkpoint: the last run gives the uninterrupted script's Ca, NEST's bits."""
    want = _nest("dc_runs")["runs"]
    ab = _nest_dc_network()
    for t in (7.3, 0.0, 25.0, 1.0):
        nest.Simulate(t)
    ab[0].set({"tau_Ca": 3.5, "beta_Ca": 0.5})
    ab[1].Ca = 0.75
    nest.save_checkpoint(tmp_path / "c")
    ab = _nest_dc_network()
    nest.load_checkpoint(tmp_path / "c")
    assert ab.get("tau_Ca") == (3.5, 20.0) and ab[1].Ca == 0.75
    nest.Simulate(13.3)
    assert [float(x).hex() for x in ab.get("Ca")] == want[4]


def test_bad_values_are_refused_and_change_nothing():
    """NEST refuses Ca < 0, tau_Ca <= 0, beta_Ca <= 0 (BadProperty) by SetStatus, Create and SetDefaults and keeps
    the values it had; jaxsnn refuses them as every bad parameter value (JaxsnnError, naming it)."""
    want = _nest("refusals")
    assert all(e == "BadProperty" for e in want["errors"])
    got = SCRIPTS["refusals"](nest)
    assert got["errors"] == ["JaxsnnError"] * len(want["errors"])
    assert got["after"] == want["after"]
    with pytest.raises(JaxsnnError, match="Ca=-0.5 is not allowed: Ca >= 0"):
        nest.Create("iaf_psc_exp").set({"Ca": -0.5})


def _dc_network(calcium=True):
    """The functional API's dc_runs: its neurons' parameters as NEST's SetDefaults, CopyModel and Create give them."""
    net = jaxsnn.Network(resolution=0.1)
    a = net.create("iaf_psc_delta", params={"tau_Ca": 250.0, "beta_Ca": 0.125} if calcium else {})
    b = net.create("iaf_psc_delta", params={"tau_Ca": 20.0, "beta_Ca": 0.05} if calcium else {})
    dc = net.create("dc_generator", params={"amplitude": 900.0})
    net.connect(dc, a + b)
    return net.build(calcium=calcium), a, b


def _hex(sim, nodes):
    return [float(x).hex() for x in sim.get(nodes, ["Ca"])["Ca"]]


def test_functional_api_gives_nests_ca_and_checkpoints_resume_its_bits(x64, tmp_path):
    """build(calcium=True): each simulate ends as NEST's Simulate (Ca decayed to its end); sim.set of tau_Ca, beta_Ca
    and Ca between runs; a complete checkpoint after a run resumes to the uninterrupted run's bits (NEST's)."""
    want = _nest("dc_runs")["runs"]
    sim, a, b = _dc_network()
    for t, w in zip((7.3, 0.0, 25.0, 1.0), want):
        sim = jaxsnn.simulate(sim, t)
        assert _hex(sim, a + b) == w
    jaxsnn.save_checkpoint(tmp_path / "c", sim)
    sim = sim.set(a, {"tau_Ca": 3.5, "beta_Ca": 0.5}).set(b, {"Ca": 0.75})
    assert list(sim.get(a, ["tau_Ca", "beta_Ca"]).iloc[0]) == [3.5, 0.5]
    assert _hex(jaxsnn.simulate(sim, 13.3), a + b) == want[4]
    resumed = jaxsnn.load_checkpoint(tmp_path / "c", _dc_network()[0])
    resumed = resumed.set(a, {"tau_Ca": 3.5, "beta_Ca": 0.5}).set(b, {"Ca": 0.75})
    assert _hex(jaxsnn.simulate(resumed, 13.3), a + b) == want[4]
    with pytest.raises(CheckpointError, match="built with calcium=True"):  # a trace this network does not keep
        jaxsnn.load_checkpoint(tmp_path / "c", _dc_network(calcium=False)[0])


def test_checkpoint_without_calcium_is_refused_with_a_reason(tmp_path):
    """A checkpoint without the trace (before jaxsnn kept it, or built without calcium=True) cannot continue a
    network that keeps it: refused, saying why; Ca, tau_Ca, beta_Ca are refused where the trace is not kept."""
    sim, a, _ = _dc_network(calcium=False)
    jaxsnn.save_checkpoint(tmp_path / "c", sim)
    with pytest.raises(CheckpointError, match="has no calcium trace"):
        jaxsnn.load_checkpoint(tmp_path / "c", _dc_network()[0])
    with pytest.raises(JaxsnnError, match="build it with build\\(calcium=True\\)"):
        sim.get(a, ["Ca"])
    with pytest.raises(JaxsnnError, match="tau_Ca"):
        sim.set(a, {"tau_Ca": 5.0})
    net = jaxsnn.Network()
    net.create("iaf_psc_alpha", params={"beta_Ca": 0.5})
    with pytest.raises(JaxsnnError, match="beta_Ca.*calcium=True"):
        net.build()


@pytest.mark.parametrize("min_isi", [8, 1], ids=["once a slice", "a step"])
def test_engine_update_is_nests_arithmetic_on_random_values(x64, min_isi):
    """The engine's update of a slice of 3 steps against NEST's expressions in Python (the C library's exp, each
    operation rounded): random Ca, Ca_t, tau_Ca, beta_Ca; bit for bit."""
    import math
    from types import SimpleNamespace

    import jax.numpy as jnp
    import numpy as np

    from jaxsnn.core import calcium
    from jaxsnn.core.types import PostArchive

    rng = np.random.default_rng(3)
    N, L, first, tps = 3000, 3, 1234, 100
    Ca, Ca_t = rng.uniform(0, 5, N), 0.001 * (rng.integers(0, first + 1, N) * tps).astype(float)
    tau, beta = rng.uniform(0.5, 2e4, N), rng.uniform(1e-4, 1.0, N)
    block = np.zeros((L, N), bool)
    block[rng.integers(0, L, N), np.arange(N)] = rng.random(N) < 0.8  # at most one spike a neuron (both paths)
    spec = SimpleNamespace(x64=True, sizes=SimpleNamespace(min_isi=min_isi), time=SimpleNamespace(tics_per_step=tps))
    post = PostArchive(*[None] * 5, Ca=jnp.asarray(Ca), Ca_t=jnp.asarray(Ca_t), tau_Ca=jnp.asarray(tau),
                       beta_Ca=jnp.asarray(beta))
    got = jax.jit(lambda p, b, s: calcium.add_spikes(spec, p, b, s))(post, jnp.asarray(block), jnp.int32(first))
    want = Ca.copy()
    for k, i in zip(*np.nonzero(block)):
        t = 0.001 * float((first + 1 + k) * tps)
        want[i] = Ca[i] * math.exp((Ca_t[i] - t) / tau[i])
        want[i] = want[i] + beta[i]
    assert np.array_equal(np.asarray(got.Ca), want)


def test_checkpoints_every_so_often_are_one_run(x64, tmp_path):
    """simulate_with_checkpoints is one run (Ca decayed at its end only): its Ca equals one simulate's, also when
    resumed from a checkpoint it wrote on the way."""
    sim, a, b = _dc_network()
    whole = jaxsnn.simulate(sim, 33.3)
    every = jaxsnn.simulate_with_checkpoints(sim, 33.3, tmp_path / "s", every=10.0)
    assert _hex(every, a + b) == _hex(whole, a + b)
    resumed = jaxsnn.load_checkpoint(next(p for p in (tmp_path / "s").iterdir() if p.name.startswith("2")), sim)
    assert int(resumed.state.step) == 200
    assert _hex(jaxsnn.simulate(resumed, 13.3), a + b) == _hex(whole, a + b)


def test_nest_checkpoint_without_calcium_is_refused_with_a_reason(tmp_path):
    """A jaxsnn.nest checkpoint from before Ca was kept (its neurons have no Ca, tau_Ca, beta_Ca; made here by
    dropping them from the description before saving) is refused, saying why; the script's kernel runs on."""
    from jaxsnn.models.base import CALCIUM

    ab = _nest_dc_network()
    nest.Simulate(5.0)
    for p in nest.KERNEL.net._pops:
        if isinstance(p.params, dict) and "Ca" in p.params:
            for k in CALCIUM:
                del p.params[k]
    nest.save_checkpoint(tmp_path / "old")
    ab = _nest_dc_network()
    with pytest.raises(CheckpointError, match="did not keep NEST's calcium trace"):
        nest.load_checkpoint(tmp_path / "old")
    nest.Simulate(1.0)
    assert ab.get("Ca") == (0.0, 0.0)
