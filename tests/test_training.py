"""Training-sized differentiable runs: dense projections against the event loop, and what a training
loop needs from the API (indices, weight views, inputs as data, readouts and losses)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsnn
from jaxsnn import observables as obs


def layered(model="iaf_psc_delta", sparse=False, seed=2):
    """Poisson → parrots → recurrent hidden layer (``model``) → readout: all-to-all projections (one of
    them sparse with ``sparse``), two delays, mixed-sign weights."""
    w = {"iaf_psc_delta": 1.0, "iaf_psc_exp": 150.0, "iaf_psc_alpha": 80.0}[model]
    net = jaxsnn.Network(resolution=0.5, seed=seed)
    pg = net.create("poisson_generator", 12, params={"rate": 400.0})
    par = net.create("parrot_neuron", 12)
    psc = {} if model == "iaf_psc_delta" else {"tau_syn_ex": 1.0, "tau_syn_in": 4.0}  # channels differ
    hid = net.create(model, 30, params={"V_m": jaxsnn.random.uniform(-70.0, -56.0), "I_e": 200.0, **psc})
    out = net.create("iaf_psc_delta", 4)
    net.connect(pg, par, "one_to_one", {"weight": 1.0, "delay": 0.5})
    net.connect(par, hid, "all_to_all", {"weight": jaxsnn.random.normal(2.0 * w, 2.0 * w), "delay": 1.0})
    rec = {"rule": "fixed_indegree", "indegree": 3} if sparse else "all_to_all"
    net.connect(hid, hid, rec, {"weight": jaxsnn.random.normal(0.0, 1.5 * w), "delay": 1.5})
    net.connect(hid, out, "all_to_all", {"weight": jaxsnn.random.normal(0.5, 1.0), "delay": 0.5})
    return net


def run(sim, n_steps, weights=None):
    st = sim.state if weights is None else sim.state.with_weights(weights)
    _, ys = jaxsnn.scan(sim.model, sim.params, st, n_steps // sim.spec.slice_steps,
                        observe=lambda s: (obs.spikes(s), s.neurons.V_rel))
    return ys


# --------------------------------------------------------------------------- dense projections
@pytest.mark.parametrize("model", ["iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha"])
def test_dense_projections_give_the_event_loops_spikes_and_V(x64, model):
    net = layered(model)
    ev, d = net.build(differentiable=True, dense=False), net.build(differentiable=True, dense=True)
    assert not ev.spec.dense_blocks and len(d.spec.dense_blocks) == 3 and not d.spec.event_synapses
    (s0, v0), (s1, v1) = run(ev, 200), run(d, 200)
    assert float(s0[:, :, 12:42].sum()) > 50  # the hidden layer spikes
    np.testing.assert_array_equal(np.asarray(s1), np.asarray(s0))
    np.testing.assert_allclose(np.asarray(v1), np.asarray(v0), rtol=0, atol=1e-9)


def test_dense_and_event_projections_mixed(x64):
    net = layered(sparse=True)
    d = net.build(differentiable=True)  # by density: the sparse recurrent projection stays event-driven
    assert [(b[0], b[2]) for b in d.spec.dense_blocks] == [(0, 12), (12, 42)]
    assert d.spec.event_synapses and int(np.sum(np.asarray(d.model.event_mask))) == 90
    (s0, v0), (s1, v1) = run(net.build(differentiable=True, dense=False), 200), run(d, 200)
    np.testing.assert_array_equal(np.asarray(s1), np.asarray(s0))
    np.testing.assert_allclose(np.asarray(v1), np.asarray(v0), rtol=0, atol=1e-9)


def test_dense_weight_gradients_equal_the_event_loops_for_a_fixed_spike_pattern(x64):
    """With the ``none`` surrogate the spike pattern is fixed and d/dw is exact: both paths agree."""
    net = layered("iaf_psc_exp")
    sims = [net.build(differentiable=True, surrogate="none", dense=flag) for flag in (False, True)]

    def loss(sim):
        return lambda w: jnp.sum(run(sim, 120, w)[1][:, 42:] ** 2)

    g0, g1 = (jax.grad(loss(s))(s.state.weights) for s in sims)
    assert float(jnp.abs(g0).max()) > 0
    np.testing.assert_allclose(np.asarray(g1), np.asarray(g0), rtol=1e-9, atol=1e-12)


def test_dense_option_is_checked():
    with pytest.raises(jaxsnn.JaxsnnError, match="dense"):
        layered().build(differentiable=True, dense="yes")
    with pytest.raises(jaxsnn.JaxsnnError, match="dense"):
        layered().build(dense=True)  # the event-driven build keeps NEST's order of summation


# ------------------------------------------------------------------------------ JAX citizenship
def small(seed=3):
    net = jaxsnn.Network(seed=seed)
    pg = net.create("poisson_generator", params={"rate": 8000.0})
    e = net.create("iaf_psc_delta", 20, params={"V_m": jaxsnn.random.uniform(-70.0, -56.0)})
    o = net.create("iaf_psc_delta", 3)
    net.connect(pg, e, syn_spec={"weight": 1.0})
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": 4}, {"weight": 0.5, "delay": 1.0})
    net.connect(e, o, "all_to_all", {"weight": 0.2, "delay": 1.0})
    return net, pg, e, o


def test_simulation_is_a_pytree_that_jit_takes_whole():
    net, *_ = small()
    sim = net.build(differentiable=True)
    traces = []

    @jax.jit
    def f(s):
        traces.append(1)
        return jaxsnn.advance(s.model, s.params, s.state, 10).neurons.V_rel

    a = f(sim)
    b = f(sim.replace(state=sim.state.replace(step=sim.state.step)))  # same host parts: no new trace
    assert len(traces) == 1
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    leaves, tree = jax.tree_util.tree_flatten(sim)
    back = jax.tree_util.tree_unflatten(tree, leaves)
    assert back.layout is sim.layout and back.spec == sim.spec


def test_network_takes_a_jax_key_as_seed():
    def v(seed):
        net = jaxsnn.Network(seed=seed)
        net.create("iaf_psc_delta", 5, params={"V_m": jaxsnn.random.uniform(-70.0, -60.0)})
        return np.asarray(net.build().state.neurons.V_rel)

    np.testing.assert_array_equal(v(jax.random.key(3)), v(jax.random.key(3)))
    assert not np.array_equal(v(jax.random.key(3)), v(jax.random.key(4)))
    with pytest.raises(jaxsnn.JaxsnnError, match="seed"):
        jaxsnn.Network(seed=jax.random.split(jax.random.key(3), 2))


def test_index_maps_node_ids_to_state_indices_and_refuses_devices():
    net, pg, e, o = small()
    sim = net.build()
    np.testing.assert_array_equal(sim.index(o), [20, 21, 22])  # node ids 22–24: the generator came first
    assert sim.index(o).tolist() == [int(sim.layout.neuron_of_node[i]) for i in o.tolist()]
    with pytest.raises(jaxsnn.JaxsnnError, match="poisson_generator"):
        sim.index(pg)
    with pytest.raises(jaxsnn.JaxsnnError, match="1 … 24"):
        sim.index([25])


def test_projection_views_read_initialise_and_update_weights():
    net, pg, e, o = small()
    sim = net.build(differentiable=True)
    w = sim.state.weights
    p, rec = sim.projection(e, o), sim.projection(e, e)
    assert p.shape == (20, 3) and len(p.synapses) == 60 and len(rec.synapses) == 80
    np.testing.assert_array_equal(np.asarray(p.matrix(w)), np.full((20, 3), 0.2, np.float32))
    W = jnp.arange(60.0).reshape(20, 3)
    w2 = p.with_matrix(w, W)
    np.testing.assert_array_equal(np.asarray(p.matrix(w2)), np.asarray(W))
    np.testing.assert_array_equal(np.asarray(rec.get(w2)), np.asarray(rec.get(w)))  # others untouched
    frame = sim.replace(state=sim.state.with_weights(w2)).connections(source=e, target=o)
    np.testing.assert_array_equal(frame["weight"].to_numpy(),  # NEST's view agrees, pair by pair
                                  np.asarray(W)[np.asarray(sim.index(frame["source"].to_numpy())),
                                                np.asarray(sim.index(frame["target"].to_numpy())) - 20])
    g = jax.grad(lambda W: jnp.sum(p.get(p.with_matrix(w, W)) ** 2))(W)  # differentiable
    np.testing.assert_allclose(np.asarray(g), 2 * np.asarray(W))


def test_float_view_of_the_state_for_grad():
    net, *_ = small()
    sim = net.build(differentiable=True)
    floats, rest = sim.state.floats()
    assert all(jnp.issubdtype(x.dtype, jnp.floating) for x in jax.tree_util.tree_leaves(floats))
    assert jaxsnn.State.merge(floats, rest).neurons.refractory is sim.state.neurons.refractory
    g = jax.grad(lambda f: jaxsnn.advance(sim.model, sim.params, jaxsnn.State.merge(f, rest), 20)
                 .neurons.V_rel.sum())(floats)
    assert float(jnp.abs(g.neurons.V_rel).sum()) > 0


def test_poisson_overflow_says_to_build_at_the_highest_rate(x64, caplog):
    net, *_ = small()
    sim = net.build(differentiable=True)
    p = sim.params.replace(poisson=sim.params.poisson.replace(rate=sim.params.poisson.rate * 50))
    f = jax.jit(jax.grad(lambda p: jaxsnn.advance(sim.model, p, sim.state, 20).neurons.V_rel.sum()))
    with pytest.raises(Exception, match="highest rate") as err:
        jax.block_until_ready(f(p))
    assert "slice_capacity" not in str(err.value)  # growing capacities would not help
    assert "callback failed" not in caplog.text  # no second, logged traceback
