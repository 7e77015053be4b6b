"""Misuse of the paths that change or advance a built network, and of the files a run writes: each is
refused with a named error, or gives what it promises, never a silently wrong result
(docs/reliability.md, sections 1.5, 3 and 4).

Two tables. ``REFUSED``: (id, action, error type, fragment of the message) — the action must raise.
``HOLDS``: (id, check) — the check runs a legal but unusual action and asserts what must hold
(against analytic values, NEST's numbers or invariants). Every row was seen to fail before its fix,
except those marked "held before", which pin behaviour that was already right.
"""
import json
import math
import os
import pathlib
import stat

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsnn
from jaxsnn import JaxsnnError
from jaxsnn.errors import CapacityError, CheckpointError
from jaxsnn.io import checkpoint_io as cio

INF, NAN = math.inf, math.nan


# ------------------------------------------------------------------------------------------ helpers
def tiny(tmp_path, name="ck"):
    path = tmp_path / name
    cio.write(path, {"v": np.arange(4.0)}, {"note": "x"})
    return path


def lock_as_link(tmp_path):
    """A .lock planted as a link to a file of the user's: the writer must refuse it and leave the file be."""
    run = tmp_path / "run"
    run.mkdir()
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (run / ".lock").symlink_to(victim)
    try:
        cio.CheckpointSeries(run).save(1, {"v": np.arange(3)}, {})
    finally:
        assert victim.read_text() == "keep me"


def lock_as_dangling_link(tmp_path):
    """A .lock linking to a path that does not exist: following it would create a file outside."""
    run = tmp_path / "run"
    run.mkdir()
    (run / ".lock").symlink_to(tmp_path / "created-outside")
    try:
        cio.CheckpointSeries(run).save(1, {"v": np.arange(3)}, {})
    finally:
        assert not os.path.lexists(tmp_path / "created-outside")


def lock_as_hard_link(tmp_path):
    """A .lock that is a second name of another file: writing the pid would change that file."""
    run = tmp_path / "run"
    run.mkdir()
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    os.link(victim, run / ".lock")
    try:
        cio.CheckpointSeries(run).save(1, {"v": np.arange(3)}, {})
    finally:
        assert victim.read_text() == "keep me"


def lock_as_fifo(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    os.mkfifo(run / ".lock")
    cio.CheckpointSeries(run).save(1, {"v": np.arange(3)}, {})


def arrays_as_link(tmp_path):
    path = tiny(tmp_path)
    (path / "arrays").rename(tmp_path / "elsewhere")
    (path / "arrays").symlink_to(tmp_path / "elsewhere")
    cio.read(path)


def small_sim(**build):
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 3, params={"I_e": 400.0})
    net.connect(a, a, syn_spec={"weight": 0.1, "delay": 1.0})
    return net.build(**build)


def checkpoints_beyond_the_step_counter(tmp_path):
    """A total past step 2**31 is refused before the directory is made (not after hours of checkpoints)."""
    try:
        jaxsnn.simulate_with_checkpoints(small_sim(), 3e8, tmp_path / "run", every=1e6)
    finally:
        assert not os.path.lexists(tmp_path / "run")


def core(call, driven=False):
    """``call(model, params, state)`` on a small built network (no tmp_path needed); ``driven``: with a
    poisson_generator."""
    def run(tmp_path):
        sim = small_sim()
        if driven:
            net = jaxsnn.Network()
            a = net.create("iaf_psc_delta", 3)
            net.connect(net.create("poisson_generator", params={"rate": 100.0}), a)
            sim = net.build()
        return call(sim.model, sim.params, sim.state)
    return run


def leaf(tree, path, value):
    """``tree`` with the leaf at ``path`` ("neurons.I_e") replaced by ``value(old)``."""
    head, _, rest = path.partition(".")
    sub = tree[head] if isinstance(tree, dict) else getattr(tree, head)
    new = leaf(sub, rest, value) if rest else value(sub)
    return {**tree, head: new} if isinstance(tree, dict) else tree.replace(**{head: new})


def build_with(**kw):
    return lambda tmp_path: small_sim(**kw)


def ensemble(states_of, params_axes=None):
    def run(tmp_path):
        sim = small_sim()
        states = states_of(sim)
        return jaxsnn.advance_ensemble(sim.model, sim.params, states, 10, params_axes=params_axes)
    return run


def stacked(sim, k=2):
    return jax.tree_util.tree_map(lambda x: jnp.stack([x] * k), sim.state)


def trace(tau):
    return lambda tmp_path: jaxsnn.observables.trace(jnp.zeros((5, 2)), tau=tau, h=0.1)


def poisson_raised(run, factor=1000.0, **build):
    """A network built at 8000 Hz whose rate is raised in params: far beyond, every survival term of its
    table underflows to 0 in float32 and every draw would be 0."""
    def action(tmp_path):
        net = jaxsnn.Network()
        a = net.create("iaf_psc_delta", 2)
        pg = net.create("poisson_generator", params={"rate": 8000.0})
        net.connect(pg, a, syn_spec={"weight": 0.1})
        sim = net.build(**build)
        p = sim.params.with_generator("poisson_generator", rate=sim.params.generators["poisson_generator"]["rate"] * factor)
        return run(sim.replace(params=p))
    return action


def ensemble_of_rates(sim):
    k = 2
    states = jax.tree_util.tree_map(lambda x: jnp.stack([x] * k), sim.state)
    params = sim.params.with_generator("poisson_generator", rate=jnp.stack([sim.params.generators["poisson_generator"]["rate"]] * k))
    axes = jax.tree_util.tree_map(lambda _: None, sim.params).with_generator("poisson_generator", rate=0)
    return jaxsnn.advance_ensemble(sim.model, params, states, 20, params_axes=axes)


def restore(edit, populations=lambda a, sr: {"a": a}):
    """store a small network, rewrite the store with ``edit(arrays)`` (valid checksums: only the content is
    wrong) and restore it into the network."""
    def action(tmp_path):
        net = jaxsnn.Network()
        a = net.create("iaf_psc_delta", 3, params={"I_e": 400.0})
        sr = net.create("spike_recorder")
        net.connect(a, a, syn_spec={"weight": 0.1, "delay": 1.0})
        net.connect(a, sr)
        sim = net.build()
        jaxsnn.store(tmp_path / "s", sim, {"a": a}, ["static_synapse"])
        arrays, meta = cio.read(tmp_path / "s")
        edit(arrays)
        cio.write(tmp_path / "forged", arrays, meta)
        return jaxsnn.restore_into(sim, jaxsnn.load(tmp_path / "forged"), populations(a, sr), ["static_synapse"])
    return action


def connect_many(conn_spec, n=3):
    net = jaxsnn.Network()
    a = net.create("parrot_neuron", n)
    net.connect(a, a, conn_spec)


def set_entry(name, i, value):
    def edit(arrays):
        arrays[name] = arrays[name].copy()
        arrays[name][i] = value
    return edit


def sim_set(params, model="iaf_psc_delta"):
    """Simulation.set on a built network of 3 neurons of ``model`` (after 1 ms)."""
    def action(tmp_path):
        net = jaxsnn.Network()
        a = net.create(model, 3)
        sim = jaxsnn.simulate(net.build(), 1.0)
        return sim.set(a, params)
    return action


def net_set_psc(params):
    net = jaxsnn.Network()
    a = net.create("iaf_psc_exp", 2)
    net.set(a, params)


def current(model, params, later=None):
    """A current generator of ``params`` onto a neuron, built (and, with ``later``, changed by Simulation.set)."""
    def action(tmp_path):
        net = jaxsnn.Network()
        n = net.create("iaf_psc_delta")
        g = net.create(model, params=params)
        net.connect(g, n)
        sim = net.build()
        return sim.set(g, later) if later is not None else sim
    return action


def steps_current(times, values):
    return current("step_current_generator", {"amplitude_times": times, "amplitude_values": values})


POISSON = r"Poisson table was built for .*highest rate you will use .*before net.build"


# (id, action(tmp_path), error type, fragment of the message)
REFUSED = [
    # ---- files: nothing outside the checkpoint directory is written; links are named
    ("lock is a link to a user's file", lock_as_link, CheckpointError, r"\.lock is a link"),
    ("lock is a dangling link", lock_as_dangling_link, CheckpointError, r"\.lock is a link"),
    ("lock is a hard link", lock_as_hard_link, CheckpointError, r"\.lock has 2 names"),
    ("lock is a FIFO", lock_as_fifo, CheckpointError, r"\.lock is a FIFO"),
    ("arrays/ is a link", arrays_as_link, CheckpointError, r"arrays/ is a link"),
    # ---- time ranges, checked up front
    ("simulate_with_checkpoints past step 2**31", checkpoints_beyond_the_step_counter, JaxsnnError,
     r"t=300000000.0 .*before step 2\*\*31 - 1"),
    # ---- Simulation.set applies create's rules, with the same messages
    ("sim.set tau_m=-10", sim_set({"tau_m": -10.0}), JaxsnnError, r"set\('iaf_psc_delta' nodes\): tau_m=-10.0 .*tau_m > 0"),
    ("sim.set tau_m=0", sim_set({"tau_m": 0.0}), JaxsnnError, r"tau_m=0.0 .*tau_m > 0"),
    ("sim.set C_m=0", sim_set({"C_m": 0.0}), JaxsnnError, r"C_m=0.0 .*C_m > 0"),
    ("sim.set V_reset above V_th", sim_set({"V_reset": -50.0}), JaxsnnError, r"V_reset=-50.0 must be below V_th=-55.0"),
    ("sim.set V_min=nan", sim_set({"V_min": NAN}), JaxsnnError, r"V_min=nan"),
    ("sim.set V_min=+inf", sim_set({"V_min": INF}), JaxsnnError, r"V_min=inf"),
    ("sim.set I_e='10'", sim_set({"I_e": "10"}), JaxsnnError, r"I_e'\]='10' is not allowed: a number"),
    ("sim.set I_e=True", sim_set({"I_e": True}), JaxsnnError, r"I_e'\]=True .*not a bool"),
    ("sim.set I_e=1e39 (inf in float32)", sim_set({"I_e": 1e39}), JaxsnnError, r"I_e'\]=1e\+39 .*float32"),
    ("sim.set tau_syn_ex=0 (iaf_psc_exp)", sim_set({"tau_syn_ex": 0.0}, "iaf_psc_exp"), JaxsnnError,
     r"set\('iaf_psc_exp' nodes\): tau_m=10.0, tau_syn_ex=0.0, tau_syn_in=2.0: Membrane and synapse time constants"),
    ("sim.set tau_syn_ex=-2 (iaf_psc_alpha)", sim_set({"tau_syn_ex": -2.0}, "iaf_psc_alpha"), JaxsnnError,
     r"tau_syn_ex=-2.0, tau_syn_in=2.0: All synaptic time constants must be > 0"),
    ("sim.set tau_syn_ex=1e-6 (iaf_psc_alpha)", sim_set({"tau_syn_ex": 1e-6}, "iaf_psc_alpha"), JaxsnnError,
     r"tau_syn_ex=1e-06 is not allowed: a time constant for which NEST's propagators are finite"),
    ("sim.set params=None", sim_set(None), JaxsnnError, r"set: params=None .*a dict"),
    ("sim.set list of 2 dicts for 3 nodes", sim_set([{"I_e": 1.0}] * 2), JaxsnnError, r"one dict per node"),
    ("sim.set list of dicts with a bad value", sim_set([{"I_e": 1.0}, {"tau_m": -1.0}, {}]), JaxsnnError,
     r"set\('iaf_psc_delta' nodes\): tau_m=-1.0"),
    ("Network.set tau_syn_ex=0 (iaf_psc_exp)", lambda tmp_path: net_set_psc({"tau_syn_ex": 0.0}), JaxsnnError,
     r"set\('iaf_psc_exp' nodes\): tau_m=10.0, tau_syn_ex=0.0, tau_syn_in=2.0: Membrane and synapse"),
    # ---- current generators: times within the step range, amplitudes finite numbers in one flat list
    ("step_current time beyond int32 steps", steps_current([429496732.6], [100.0]), JaxsnnError,
     r"amplitude_times=429496732.6 is not allowed: at most 2147483646 steps"),
    ("step_current time inf", steps_current([INF], [100.0]), JaxsnnError, r"amplitude_times=inf"),  # held before
    ("step_current amplitude nan", steps_current([1.0], [NAN]), JaxsnnError, r"amplitude_values=nan"),
    ("step_current amplitude inf", steps_current([1.0], [INF]), JaxsnnError, r"amplitude_values=inf"),
    ("step_current amplitude '5'", steps_current([1.0], ["5"]), JaxsnnError, r"amplitude_values=\['5'\]"),
    ("step_current 2-d amplitudes", steps_current([1.0, 2.0], [[1.0], [2.0]]), JaxsnnError,
     r"amplitude_values=\[\[1.0\], \[2.0\]\] .*one flat list"),
    ("sim.set step_current time beyond int32 steps", current(
        "step_current_generator", {"amplitude_times": [1.0], "amplitude_values": [1.0]},
        {"amplitude_times": [3e8], "amplitude_values": [5.0]}), JaxsnnError, r"amplitude_times=300000000.0 "),
    # ---- no silent loss: a Poisson table that no longer covers the rate is flagged by the core
    ("Poisson rate x1000 in params: simulate", poisson_raised(lambda sim: jaxsnn.simulate(sim, 2.0)),
     JaxsnnError, POISSON),
    ("Poisson rate x1000 in params: advance, check", poisson_raised(lambda sim: jaxsnn.check(jaxsnn.advance(
        sim.model, sim.params, sim.state, 20))), CapacityError, POISSON),
    ("Poisson rate x10 in params: advance, check", poisson_raised(lambda sim: jaxsnn.check(jaxsnn.advance(
        sim.model, sim.params, sim.state, 20)), factor=10.0), CapacityError, POISSON),
    ("Poisson rate x1000 in params: advance_ensemble", poisson_raised(ensemble_of_rates), CapacityError, POISSON),
    ("Poisson rate x1000 in params: differentiable build", poisson_raised(lambda sim: jaxsnn.check(jaxsnn.advance(
        sim.model, sim.params, sim.state, 20)), differentiable=True), CapacityError, POISSON),
    ("Poisson rate -1 in params", poisson_raised(lambda sim: jaxsnn.check(jaxsnn.advance(
        sim.model, sim.params, sim.state, 20)), factor=-1.0), CapacityError, POISSON),
    # ---- restore_into checks what it puts back, as connect and create would
    ("restore_into a spike_recorder as a population", restore(lambda arrays: None, lambda a, sr: {"a": sr}),
     JaxsnnError, r"populations\['a'\]=4 .*node ids of neurons"),
    ("restore_into a NaN weight", restore(set_entry("static_synapse/weight", 2, NAN)), JaxsnnError,
     r"stored weight of 'static_synapse'=nan .*finite"),
    ("restore_into an infinite V_m", restore(set_entry("V_m/a", 1, INF)), JaxsnnError,
     r"stored V_m of population 'a'=inf .*finite"),
    # ---- sizes beyond the machine's memory, refused by name before allocating (not a raw MemoryError)
    ("create 10**12 neurons", lambda tmp_path: jaxsnn.Network().create("iaf_psc_delta", 10 ** 12), JaxsnnError,
     r"create\('iaf_psc_delta'\): n=1000000000000 nodes needs at least .* bytes .* GiB\) of host memory"),
    ("connect fixed_total_number N=10**12", lambda tmp_path: connect_many({"rule": "fixed_total_number", "N": 10 ** 12}),
     JaxsnnError, r"connect: rule 'fixed_total_number' with 1e\+12 connections needs at least"),
    ("connect all_to_all 10**5 x 10**5", lambda tmp_path: connect_many("all_to_all", 10 ** 5), JaxsnnError,
     r"connect: rule 'all_to_all' with 1e\+10 connections needs at least 6.4e\+11 bytes"),
    # ---- parameters whose NEST propagators overflow
    ("iaf_psc_alpha tau_syn_ex=1e-6 (NEST: V_m NaN)", lambda tmp_path: psc_tiny_tau_syn("iaf_psc_alpha"),
     JaxsnnError, r"tau_syn_ex=1e-06 is not allowed: .*propagators are finite"),
    # ---- the pure core's arguments, checked at trace time
    ("advance(n_steps=1.5)", core(lambda m, p, s: jaxsnn.advance(m, p, s, 1.5)), JaxsnnError,
     r"n_steps=1.5 is not allowed: a whole number >= 0"),
    ("advance(n_steps=-5)", core(lambda m, p, s: jaxsnn.advance(m, p, s, -5)), JaxsnnError, r"n_steps=-5 "),
    ("advance(n_steps=True)", core(lambda m, p, s: jaxsnn.advance(m, p, s, True)), JaxsnnError, r"n_steps=True "),
    ("advance(traced float n_steps)", core(lambda m, p, s: jax.jit(lambda p, s, n: jaxsnn.advance(
        m, p, s, n))(p, s, 2.0)), JaxsnnError, r"n_steps='<traced float32"),
    ("scan(n_slices=-1)", core(lambda m, p, s: jaxsnn.scan(m, p, s, -1)), JaxsnnError, r"n_slices=-1 "),
    ("build(slice_capacity=-5)", build_with(slice_capacity=-5), JaxsnnError, r"slice_capacity=-5 .*whole number"),
    ("build(record_capacity=1.5)", build_with(record_capacity=1.5), JaxsnnError, r"record_capacity=1.5 "),
    ("build(slice_capcity=10) misspelt", build_with(slice_capcity=10), JaxsnnError,
     r"unknown build option 'slice_capcity'. Did you mean 'slice_capacity'"),
    ("params leaf of another shape", core(lambda m, p, s: jaxsnn.advance(
        m, leaf(p, "neurons.models.iaf_psc_delta.I_e", lambda x: x[:2]), s, 10)), JaxsnnError,
     r"params.neurons\['iaf_psc_delta'\]\['I_e'\]='<float32 array of shape \(2,\)>' .*shape \(3,\) and dtype "
     r"float32"),
    ("params leaf of another dtype", core(lambda m, p, s: jaxsnn.advance(
        m, leaf(p, "stdp", lambda x: x.astype(jnp.int32)), s, 10)), JaxsnnError,
     r"params.stdp='<int32 array"),
    ("generator params leaf of another dtype", core(lambda m, p, s: jaxsnn.advance(
        m, leaf(p, "generators.poisson_generator.rate", lambda x: x.astype(jnp.int32)), s, 10), driven=True),
     JaxsnnError, r"params.generators\['poisson_generator'\]\['rate'\]='<int32 array"),
    ("generator weights of another shape", core(lambda m, p, s: jaxsnn.advance(
        m, leaf(p, "generators.poisson_generator.weight", lambda x: x[:2]), s, 10), driven=True),
     JaxsnnError, r"params.generators\['poisson_generator'\]\['weight'\]='<float32 array of shape \(2,\)>' .*shape "
     r"\(3,\)"),
    ("state leaf of another shape", core(lambda m, p, s: jaxsnn.step(
        m, p, leaf(s, "neurons.models.iaf_psc_delta.V_rel", lambda x: x[None]))), JaxsnnError,
     r"state.neurons\['iaf_psc_delta'\]\['V_rel'\]='<float32 array of "
     r"shape \(1, 3\)>"),
    ("scan with a state leaf of another dtype", core(lambda m, p, s: jaxsnn.scan(
        m, p, leaf(s, "neurons.models.iaf_psc_delta.refractory", lambda x: x.astype(jnp.float32)), 2)), JaxsnnError,
     r"state.neurons\['iaf_psc_delta'\]\['refractory'\]='<float32"),
    ("advance_ensemble of one unbatched state", ensemble(lambda sim: sim.state), JaxsnnError,
     r"states='<State with key of shape \(2,\)>' .*leading member axis"),
    ("advance_ensemble with a leaf not batched", ensemble(lambda sim: leaf(stacked(sim), "neurons.models.iaf_psc_delta.refractory",
                                                                          lambda x: x[0])), JaxsnnError,
     r"states.neurons.models\['iaf_psc_delta'\]\['refractory'\]='<array of shape \(3,\)>' .*leading member axis "
     r"of 2"),
    ("advance_ensemble params_axes on an unbatched leaf",
     lambda tmp_path: ensemble(stacked, params_axes=jax.tree_util.tree_map(lambda _: None, small_sim().params)
                               .replace(stdp=0))(tmp_path), JaxsnnError,
     r"params.stdp='<array of shape \(0, 6\)>' .*leading member axis of 2"),
    ("advance_ensemble params_axes of another structure", ensemble(stacked, params_axes={"rate": 0}), JaxsnnError,
     r"params_axes=\{'rate': 0\} .*prefix"),
    ("observables.trace(tau=0)", trace(0.0), JaxsnnError, r"trace: tau=0.0 .*> 0"),
    ("observables.trace(tau=-5)", trace(-5.0), JaxsnnError, r"trace: tau=-5.0"),
    ("observables.trace(tau=nan)", trace(NAN), JaxsnnError, r"trace: tau=nan"),
    ("surrogate=('arctan', True)", build_with(differentiable=True, surrogate=("arctan", True)), JaxsnnError,
     r"surrogate=\('arctan', True\)"),
    ("surrogate=('arctan', '2')", build_with(differentiable=True, surrogate=("arctan", "2")), JaxsnnError,
     r"surrogate=\('arctan', '2'\)"),
]


@pytest.mark.parametrize("action, error, fragment", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_misuse_is_refused_by_name(action, error, fragment, tmp_path):
    with pytest.raises(error, match=fragment) as info:
        action(tmp_path)
    assert isinstance(info.value, JaxsnnError)


def lock_owned_and_regular(tmp_path):
    run = tmp_path / "run"
    with cio.CheckpointSeries(run) as series:
        series.save(1, {"v": np.arange(3)}, {})
        st = os.lstat(run / ".lock")
        assert stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and st.st_nlink == 1
    with cio.CheckpointSeries(run) as series:  # the lock file stays and is taken again
        series.save(2, {"v": np.arange(3)}, {})
    assert sorted(os.listdir(tmp_path)) == ["run"]


def refused_calls_shift_no_draws(tmp_path):
    """A refused create, set or connect leaves later random draws as they are without it."""
    def draws(refused):
        net = jaxsnn.Network(seed=3)
        a = net.create("iaf_psc_delta", 20)
        for call in refused:
            with pytest.raises(JaxsnnError):
                call(net, a)
        net.set(a, {"V_m": jaxsnn.random.uniform(-70.0, -60.0)})
        net.connect(a, a, {"rule": "fixed_indegree", "indegree": 3}, {"weight": jaxsnn.random.normal(1.0, 0.1)})
        sim = net.build()
        return np.asarray(sim.get(a)["V_m"]), sim.connections()[["source", "target", "weight"]].to_numpy()

    V_ref, c_ref = draws([])
    V, c = draws([lambda net, a: net.set(a, {"V_m": jaxsnn.random.uniform(-70.0, -60.0), "tau_m": -1.0}),
                  lambda net, a: net.create("iaf_psc_delta", 2, params={"tau_m": -1.0}),
                  lambda net, a: net.connect(a, a, syn_spec={"weight": NAN})])
    np.testing.assert_array_equal(V, V_ref)
    np.testing.assert_array_equal(c, c_ref)


NEST = json.loads((pathlib.Path(__file__).parent / "reference" / "nest_misuse.json").read_text())


def x64(check):
    def run(tmp_path):
        old = jax.config.jax_enable_x64
        jax.config.update("jax_enable_x64", True)
        try:
            check(tmp_path)
        finally:
            jax.config.update("jax_enable_x64", old)
    return run


def psc_tiny_tau_syn(model):
    net = jaxsnn.Network()
    n = net.create(model, params={"tau_syn_ex": 1e-6})
    sg = net.create("spike_generator", params={"spike_times": [1.0]})
    net.connect(sg, n, syn_spec={"weight": 100.0})
    return float(jaxsnn.simulate(net.build(), 5.0).get(n)["V_m"].iloc[0])


def exp_tiny_tau_syn_is_nests(tmp_path):
    """exp(h / tau_syn) overflows: NEST's C++ gets inf and takes the singular limit (not an OverflowError)."""
    assert psc_tiny_tau_syn("iaf_psc_exp") == float(NEST["iaf_psc_exp tau_syn_ex=1e-6 V_m after 5 ms"])


def delay_reported_as_nest(tmp_path):
    """1.0 ms at h = 0.3 ms is 3 steps; NEST 3.10 reports 3 * 0.3 = 0.8999999999999999, and so do we."""
    net = jaxsnn.Network(resolution=0.3)
    a = net.create("iaf_psc_delta", 2)
    net.connect(a, a, "one_to_one", syn_spec={"delay": 1.0})
    assert net.build().connections()["delay"].tolist() == NEST["h=0.3 delay=1.0 reported"]


def parrot_multiplicity_delivered(tmp_path):
    """5 parrots each receiving 200 spikes in one step send 1,000 events (NEST delivers all of them): the
    target's V_m equals that of the same 1,000 events sent to it directly."""
    def V_m(parrots):
        net = jaxsnn.Network()
        gens = net.create("spike_generator", 200, params={"spike_times": [1.0]})
        target = net.create("iaf_psc_delta", params={"V_th": INF})
        if parrots:
            p = net.create("parrot_neuron", 5)
            net.connect(gens, p)
            net.connect(p, target, syn_spec={"weight": 0.01})
        else:
            for _ in range(5):
                net.connect(gens, target, syn_spec={"weight": 0.01, "delay": 2.0})  # the parrot's two delays
        return float(jaxsnn.simulate(net.build(), 5.0).get(target)["V_m"].iloc[0])

    direct = V_m(False)
    assert direct > -70.0 + 8.0  # 1,000 events of 0.01 mV, decayed for about 2 ms
    assert V_m(True) == direct


def sim_set_list_of_dicts(tmp_path):
    """NEST's list of one dict per node works in Simulation.set as in Network.set: each node gets its
    values, the others keep theirs (V_m stays in mV where E_L changes)."""
    rows = [{"I_e": 100.0}, {"E_L": -60.0}, {"V_m": -66.0, "tau_m": 20.0}]
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 3)
    before = net.build()
    net.set(a, rows)
    names = ["I_e", "E_L", "V_m", "tau_m"]
    want = net.build().get(a, names)
    got = before.set(a, rows).get(a, names)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


def numpy_amplitudes(tmp_path):
    """np.float32 amplitudes of dc and noise generators are currents like Python floats (same dynamics)."""
    def V_m(kind, value):
        net = jaxsnn.Network()
        n = net.create("iaf_psc_delta")
        g = net.create(kind, params={"amplitude": value} if kind == "dc_generator" else {"mean": value, "std": value})
        net.connect(g, n)
        return float(jaxsnn.simulate(net.build(), 5.0).get(n)["V_m"].iloc[0])

    for kind in ("dc_generator", "noise_generator"):
        assert V_m(kind, np.float32(300.0)) == V_m(kind, 300.0) != -70.0


# (id, check(tmp_path))
HOLDS = [
    ("np.float32 amplitudes of dc and noise generators", numpy_amplitudes),
    ("Simulation.set takes a list of one dict per node", sim_set_list_of_dicts),
    ("parrots: 200 spikes in one step each are all delivered", parrot_multiplicity_delivered),
    ("iaf_psc_exp tau_syn_ex=1e-6 gives NEST's V_m", x64(exp_tiny_tau_syn_is_nests)),
    ("a delay at h = 0.3 is reported as NEST reports it", delay_reported_as_nest),  # held before
    ("refused create/set/connect shift no later draws", refused_calls_shift_no_draws),
    ("the lock is a regular file of the user's, reused", lock_owned_and_regular),  # held before
]


@pytest.mark.parametrize("check", [r[1] for r in HOLDS], ids=[r[0] for r in HOLDS])
def test_unusual_but_legal_use_gives_what_is_promised(check, tmp_path):
    check(tmp_path)
