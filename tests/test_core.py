"""The public core contract: step / scan / advance, float-only params that all drive the dynamics,
one weight leaf, keys, overflow flags."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsnn
from jaxsnn.core.engine import advance_jit
from tests.networks import outcome, small_network

# The tests that run small_network(slice_capacity=32) compiled whole share one program: simulate's own
# advance_jit, called as simulate calls it (the step count an int32 scalar), for the same network
SHARED = dict(slice_capacity=32)


def leaves_equal(a, b):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_scan_of_step_equals_simulate_bit_for_bit(x64):
    # STDP, heterogeneous delays (1-12 ms), Poisson drive, recorders
    sim, _, _ = small_network()
    n_slices = 100 // sim.spec.time.slice_steps * 5  # 50 ms
    run = jax.jit(lambda m, p, s: jaxsnn.scan(m, p, s, n_slices, observe=lambda st: st.spikes.sum()))
    state, counts = run(sim.model, sim.params, sim.state)
    ref = jaxsnn.simulate(sim, 50.0)
    leaves_equal(state.neurons, ref.state.neurons)
    leaves_equal(state.synapses, ref.state.synapses)
    leaves_equal(state.plasticity, ref.state.plasticity)
    leaves_equal(state.transit, ref.state.transit)
    assert counts.shape == (n_slices,) and int(counts.sum()) == len(ref.events(_recorder(ref)))
    # and a Python loop over a jitted step, without static arguments
    step = jax.jit(jaxsnn.step)
    st = sim.state
    for _ in range(n_slices):
        st = step(sim.model, sim.params, st)
    jaxsnn.check(st)
    leaves_equal(st.neurons, ref.state.neurons)
    assert st.spikes.shape == (sim.spec.time.slice_steps, sim.spec.sizes.n_neurons)


def _recorder(sim):
    return sim.layout.recorders["spike_recorder"]["nodes"][0]


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability:
# test_scan_of_step_equals_simulate_bit_for_bit (step and check on whole slices)
def test_step_refuses_a_state_inside_a_slice():
    sim, _, _ = small_network(**SHARED)
    st = advance_jit(sim.model, sim.params, sim.state, np.int32(3))  # compiled whole (op by op costs more)
    with pytest.raises(jaxsnn.JaxsnnError, match="state.step=3"):
        jaxsnn.step(sim.model, sim.params, st)
    out = jax.jit(jaxsnn.step)(sim.model, sim.params, st)  # traced: flagged instead
    with pytest.raises(jaxsnn.CapacityError, match="slice start"):
        jaxsnn.check(out)


def test_params_are_floats_and_grad_covers_all_of_them():
    d, _, _ = small_network(differentiable=True)
    assert all(jnp.issubdtype(x.dtype, jnp.floating) for x in jax.tree_util.tree_leaves(d.params))

    def loss(p):
        return jaxsnn.advance(d.model, p, d.state, 50).neurons["iaf_psc_delta"]["V_rel"].mean()

    g = jax.jit(jax.grad(loss))(d.params)  # compiled whole (operation by operation costs twice the time)
    assert jax.tree_util.tree_structure(g) == jax.tree_util.tree_structure(d.params)
    assert float(jnp.abs(g.neurons["iaf_psc_delta"]["I_e"]).sum()) > 0 and float(jnp.abs(g.neurons["iaf_psc_delta"]["tau_m"]).sum()) > 0


NEURON_PARAMS = ("E_L", "C_m", "tau_m", "t_ref", "V_th", "V_reset", "I_e", "V_min", "tau_minus")
CHANGES = {"E_L": -65.0, "C_m": 200.0, "tau_m": 15.0, "t_ref": 3.0, "V_th": -52.0, "V_reset": -60.0,
           "I_e": 150.0, "V_min": -70.0, "tau_minus": 30.0}
DRIVE = {"I_e": 100.0}  # C_m acts through I_e only


@pytest.mark.parametrize("name", NEURON_PARAMS)
def test_each_neuron_parameter_drives_the_run_as_if_built_with_it(name, x64):
    """Changing params.neurons.<name> inside a traced function gives the run of a network built with
    that value (tau_m, C_m: propagators computed in the step, equal to the host's to rounding)."""
    base, sr, mm = small_network(neuron_params=DRIVE)
    built, _, _ = small_network(neuron_params={**DRIVE, name: CHANGES[name]})
    p = base.params.neurons
    changed = p.updated("iaf_psc_delta", **{name: jnp.full_like(p["iaf_psc_delta"]["E_L"], CHANGES[name])})
    if name == "tau_minus":
        changed = p.replace(tau_minus=jnp.full_like(p.tau_minus, CHANGES[name]))
    changed = base.replace(params=base.params.replace(neurons=changed))
    if name == "E_L":  # V_m is what was drawn: keep it (NEST keeps V_m when E_L changes), as sim.set does
        changed = base.set(base.layout.node_of_neuron, {"E_L": CHANGES[name]})
    a = jaxsnn.simulate(base, 100.0)
    b, c = jaxsnn.simulate(changed, 100.0), jaxsnn.simulate(built, 100.0)
    assert not np.array_equal(a.get().V_m, b.get().V_m) or not np.array_equal(outcome(a, sr, mm)[3],
                                                                                 outcome(b, sr, mm)[3])
    exact = name not in ("tau_m", "C_m")
    for x, y in zip(outcome(b, sr, mm), outcome(c, sr, mm)):
        if exact:
            np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_allclose(x, y, rtol=0, atol=1e-9)


def test_shorter_t_ref_than_built_is_an_error_not_lost_spikes():
    sim, _, _ = small_network(**SHARED)
    p = sim.params.neurons
    short = sim.replace(params=sim.params.replace(neurons=p.updated("iaf_psc_delta",
                                                                    t_ref=p["iaf_psc_delta"]["t_ref"] * 0.25)))
    with pytest.raises(jaxsnn.JaxsnnError, match="t_ref is shorter"):
        jaxsnn.simulate(short, 10.0)


@pytest.mark.parametrize("plastic", [False, True])
def test_one_weight_leaf_drives_static_and_plastic_networks(plastic):
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 1, params={"I_e": 1000.0})
    b = net.create("iaf_psc_delta", 1)
    net.connect(a, b, syn_spec={"synapse_model": "stdp_synapse" if plastic else "static_synapse", "weight": 1.0})
    sim = net.build()
    doubled = sim.replace(state=sim.state.with_weights(sim.state.weights * 2))
    V = lambda s: float(jaxsnn.simulate(s, 30.0).get(b).V_m.iloc[0])
    assert V(doubled) != V(sim)
    assert jaxsnn.simulate(doubled, 0.1).connections().weight.iloc[0] == 2.0


def test_simulation_key_and_build_take_ints_and_keys():
    k = jax.random.key(7)
    np.testing.assert_array_equal(jaxsnn.simulation_key(7), jaxsnn.simulation_key(k))
    assert not np.array_equal(jaxsnn.simulation_key(7), jaxsnn.simulation_key(8))
    sim, _, _ = small_network()
    np.testing.assert_array_equal(sim.state.key, jaxsnn.simulation_key(1))
    net = jaxsnn.Network()
    net.create("iaf_psc_delta", 2)
    np.testing.assert_array_equal(net.build(seed=k).state.key, jaxsnn.simulation_key(7))


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability:
# test_training.py::test_poisson_overflow_says_to_build_at_the_highest_rate
def test_check_names_what_overflowed():
    # the run's fullest slice holds more than 32 spikes: 32 overflows, and simulate doubles the capacity until
    # it fits (each doubling compiles the loop again)
    sim, sr, _ = small_network(**SHARED)
    out = advance_jit(sim.model, sim.params, sim.state, np.int32(200))  # compiled whole, simulate's program
    with pytest.raises(jaxsnn.CapacityError, match="slice_capacity"):
        jaxsnn.check(out)
    assert jaxsnn.Overflow.SLICE in jaxsnn.Overflow(int(out.overflow))
    with pytest.raises(jaxsnn.CapacityError, match="slice_capacity"):
        states = jax.tree_util.tree_map(lambda x: np.stack([x, x]), sim.state)
        jaxsnn.advance_ensemble(sim.model, sim.params, states, 200)  # checks itself (check=True)
    grown = jaxsnn.simulate(sim, 20.0)  # simulate grows instead
    jaxsnn.check(grown.state)
    steps = np.rint(grown.events(sr).times.to_numpy() / 0.1).astype(np.int64)  # slices of 10 steps
    fullest = max(np.bincount(steps // 10).max(), np.bincount((steps - 1) // 10).max())
    assert fullest > 32
    assert grown.spec.capacities.slice_capacity == 32 * 2 ** int(np.ceil(np.log2(fullest / 32)))  # doubled to fit


@pytest.mark.parametrize("late", [21_474_500, 2**30 + 10_000])  # 2**31 tics crossed; open windows past 2**30
def test_time_beyond_two_to_the_thirty_steps_is_exact_and_the_counter_end_is_refused(x64, late):
    """Open windows (stop = inf) reach to the end of the step counter; STDP's tics do not wrap in 32
    bits; a run past step 2**31 - 1 is refused instead of wrapping."""
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 1, params={"I_e": 1000.0})
    b = net.create("iaf_psc_delta", 1)
    net.connect(a, b, syn_spec={"synapse_model": "stdp_synapse", "weight": 10.0})
    sr = net.create("spike_recorder")
    net.connect(a + b, sr)
    sim = net.build()
    buffers = {**sim.state.buffers, "spike_recorder": {**sim.state.buffers["spike_recorder"], "until": jnp.int32(late)}}
    shifted = sim.replace(state=sim.state.replace(step=jnp.int32(late), buffers=buffers))
    ref, far = jaxsnn.simulate(sim, 50.0), jaxsnn.simulate(shifted, 50.0)
    ev_ref, ev_far = ref.events(sr), far.events(sr)
    assert len(ev_ref) > 5 and len(ev_far) == len(ev_ref)
    np.testing.assert_allclose(ev_far.times - late * 0.1, ev_ref.times, atol=1e-6)
    np.testing.assert_allclose(far.connections(synapse_model="stdp_synapse").weight,
                               ref.connections(synapse_model="stdp_synapse").weight, rtol=1e-9)
    end = sim.replace(state=sim.state.replace(step=jnp.int32(2**31 - 100)))
    with pytest.raises(jaxsnn.JaxsnnError, match="step 2\\*\\*31 - 1"):
        jaxsnn.simulate(end, 20.0)
    with pytest.raises(jaxsnn.CapacityError, match="32-bit step counter"):
        jaxsnn.check(jaxsnn.jit(jaxsnn.advance)(end.model, end.params, end.state, 200))  # compiled whole


@pytest.mark.parametrize("chunk_steps", [0, -1, 1.5, True])
def test_chunk_steps_must_be_a_whole_number_of_steps(chunk_steps):
    net = jaxsnn.Network()
    net.create("iaf_psc_delta")
    with pytest.raises(jaxsnn.JaxsnnError, match="chunk_steps"):
        net.build(chunk_steps=chunk_steps)


def test_spec_settings_flatten_and_replace_each_in_its_group():
    """spec.fields() names every setting once, values as they are (models and rules stay objects: the
    checkpoint's fingerprint prints them); spec.replace routes each name to its group."""
    net = jaxsnn.Network()
    n = net.create("iaf_psc_alpha", 2)
    net.connect(n, n, syn_spec={"synapse_model": "stdp_synapse"})
    net.connect(n, net.create("spike_recorder"))
    spec = net.build().spec
    flat = spec.fields()
    assert flat["neuron_models"] is spec.models.neuron_models and flat["stdp_rule"] is spec.plasticity.stdp_rule
    assert spec.replace(**flat) == spec
    grown = spec.replace(slice_capacity=7, x64=not spec.x64)
    assert grown.capacities.slice_capacity == 7 and grown.x64 != spec.x64 and grown.sizes == spec.sizes
    with pytest.raises(TypeError, match="no setting 'slice'"):
        spec.replace(slice=1)
