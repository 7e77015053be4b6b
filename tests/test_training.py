"""Training-sized differentiable runs: dense projections against the event loop, and what a training
loop needs from the API (indices, weight views, inputs as data, readouts and losses)."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsnn
from jaxsnn import observables as obs


def layered(model="iaf_psc_delta", sparse=False, seed=2, out_delay=0.5):
    """Poisson → parrots → recurrent hidden layer (``model``) → readout: all-to-all projections (one of
    them sparse with ``sparse``), two delays (the readout's ``out_delay``), mixed-sign weights."""
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
    net.connect(hid, out, "all_to_all", {"weight": jaxsnn.random.normal(0.5, 1.0), "delay": out_delay})
    return net


@functools.partial(jax.jit, static_argnums=1)  # compiled whole: operation by operation costs more compiling
def run(sim, n_steps, weights=None):
    st = sim.state if weights is None else sim.state.with_weights(weights)
    _, ys = jaxsnn.scan(sim.model, sim.params, st, n_steps // sim.spec.time.slice_steps,
                        observe=lambda s: (obs.spikes(s), obs.by_neuron(sim.spec, "V_rel")(s)))
    return ys


# --------------------------------------------------------------------------- dense projections
# fast: iaf_psc_exp (the same dense path; delta and alpha in the full suite)
@pytest.mark.parametrize("model", [pytest.param("iaf_psc_delta", marks=pytest.mark.slow), "iaf_psc_exp",
                                   pytest.param("iaf_psc_alpha", marks=pytest.mark.slow)])
def test_dense_projections_give_the_event_loops_spikes_and_V(x64, model):
    net = layered(model)
    ev, d = net.build(differentiable=True, dense=False), net.build(differentiable=True, dense=True)
    assert not ev.spec.autodiff.dense_blocks and len(d.spec.autodiff.dense_blocks) == 3 and not d.spec.autodiff.event_synapses
    (s0, v0), (s1, v1) = run(ev, 200), run(d, 200)
    assert float(s0[:, :, 12:42].sum()) > 50  # the hidden layer spikes
    np.testing.assert_array_equal(np.asarray(s1), np.asarray(s0))
    np.testing.assert_allclose(np.asarray(v1), np.asarray(v0), rtol=0, atol=1e-9)


# iaf_psc_delta's dense path is checked fast by test_dense_projections_give_the_event_loops_spikes_and_V; shared
# products and several steps per slice fast with iaf_psc_exp (two receptor channels), delta in the full suite
DELTA_IN_FULL_SUITE = [pytest.param("iaf_psc_delta", marks=pytest.mark.slow), "iaf_psc_exp"]


@pytest.mark.parametrize("model", DELTA_IN_FULL_SUITE)
def test_dense_projections_of_one_source_and_delay_share_a_product(x64, model):
    """Recurrent and readout weights of one delay: one product per step, placed at both targets."""
    net = layered(model, out_delay=1.5)
    ev, d = net.build(differentiable=True, dense=False), net.build(differentiable=True, dense=True)
    assert [b[4] for b in d.spec.autodiff.dense_blocks][1:] == [3, 3]  # hid → hid and hid → out, 3 steps
    (s0, v0), (s1, v1) = run(ev, 200), run(d, 200)
    assert float(s0[:, :, 12:42].sum()) > 50 and float(jnp.abs(v0[:, 42:]).max()) > 0.5
    np.testing.assert_array_equal(np.asarray(s1), np.asarray(s0))
    np.testing.assert_allclose(np.asarray(v1), np.asarray(v0), rtol=0, atol=1e-9)


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_dense_projections_of_one_source_and_delay_share_a_product[iaf_psc_exp]
@pytest.mark.parametrize("model", DELTA_IN_FULL_SUITE)
def test_dense_projections_with_several_steps_per_slice(x64, model):
    """Delays of 1 ms and more at h = 0.5 ms and no parrots (whose spikes may follow each step): two
    steps per slice, so each projection adds a slice's rows of the ring at once."""
    w = {"iaf_psc_delta": 1.0, "iaf_psc_exp": 150.0}[model]
    net = jaxsnn.Network(resolution=0.5, seed=4)
    pg = net.create("poisson_generator", 1, params={"rate": 4000.0})
    hid = net.create(model, 30, params={"V_m": jaxsnn.random.uniform(-70.0, -56.0), "I_e": 200.0})
    out = net.create("iaf_psc_delta", 4)
    net.connect(pg, hid, syn_spec={"weight": 2.0 * w, "delay": 1.0})
    net.connect(hid, hid, "all_to_all", {"weight": jaxsnn.random.normal(0.0, 1.5 * w), "delay": 1.5})
    net.connect(hid, out, "all_to_all", {"weight": jaxsnn.random.normal(0.5, 1.0), "delay": 1.0})
    ev, d = net.build(differentiable=True, dense=False), net.build(differentiable=True, dense=True)
    assert d.spec.time.slice_steps == 2 and len(d.spec.autodiff.dense_blocks) == 2
    (s0, v0), (s1, v1) = run(ev, 200), run(d, 200)
    assert float(s0[:, :, :30].sum()) > 50
    np.testing.assert_array_equal(np.asarray(s1), np.asarray(s0))
    np.testing.assert_allclose(np.asarray(v1), np.asarray(v0), rtol=0, atol=1e-9)


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_dense_and_event_projections_mixed(x64):
    net = layered(sparse=True)
    d = net.build(differentiable=True)  # by density: the sparse recurrent projection stays event-driven
    assert [(b[0], b[2]) for b in d.spec.autodiff.dense_blocks] == [(0, 12), (12, 42)]
    assert d.spec.autodiff.event_synapses and int(np.sum(np.asarray(d.model.event_mask))) == 90
    (s0, v0), (s1, v1) = run(net.build(differentiable=True, dense=False), 200), run(d, 200)
    np.testing.assert_array_equal(np.asarray(s1), np.asarray(s0))
    np.testing.assert_allclose(np.asarray(v1), np.asarray(v0), rtol=0, atol=1e-9)


def test_dense_weight_gradients_equal_the_event_loops_for_a_fixed_spike_pattern(x64):
    """With the ``none`` surrogate the spike pattern is fixed and d/dw is exact: both paths agree."""
    net = layered("iaf_psc_exp")
    sims = [net.build(differentiable=True, surrogate="none", dense=flag) for flag in (False, True)]

    def loss(sim):
        return lambda w: jnp.sum(run(sim, 120, w)[1][:, 42:] ** 2)

    g0, g1 = (jax.jit(jax.grad(loss(s)))(s.state.weights) for s in sims)  # compiled whole: op by op costs more
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
        return jaxsnn.advance(s.model, s.params, s.state, 10).neurons["iaf_psc_delta"]["V_rel"]

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
        return np.asarray(net.build().state.neurons["iaf_psc_delta"]["V_rel"])

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
    delta = "iaf_psc_delta"
    assert jaxsnn.State.merge(floats, rest).neurons[delta]["refractory"] is sim.state.neurons[delta]["refractory"]
    g = jax.grad(lambda f: jaxsnn.advance(sim.model, sim.params, jaxsnn.State.merge(f, rest), 20)
                 .neurons["iaf_psc_delta"]["V_rel"].sum())(floats)
    assert float(jnp.abs(g.neurons["iaf_psc_delta"]["V_rel"]).sum()) > 0


def test_poisson_overflow_says_to_build_at_the_highest_rate(x64, caplog):
    net, *_ = small()
    sim = net.build(differentiable=True)
    p = sim.params.with_generator("poisson_generator", rate=sim.params.generators["poisson_generator"]["rate"] * 50)
    f = jax.jit(jax.grad(lambda p: jaxsnn.advance(sim.model, p, sim.state, 20)
                         .neurons["iaf_psc_delta"]["V_rel"].sum()))
    with pytest.raises(Exception, match="highest rate") as err:
        jax.block_until_ready(f(p))
    assert "slice_capacity" not in str(err.value)  # growing capacities would not help
    assert "callback failed" not in caplog.text  # no second, logged traceback


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_overflow_of_one_sample_in_a_batch_raises():
    """Under jax.vmap the samples' overflow bits are checked together: one overflowing sample raises,
    a batch without overflow runs."""
    net, *_ = small()
    sim = net.build(differentiable=True)

    def loss(scale):
        p = sim.params.with_generator("poisson_generator", rate=sim.params.generators["poisson_generator"]["rate"] * scale)
        return jaxsnn.advance(sim.model, p, sim.state, 20).neurons["iaf_psc_delta"]["V_rel"].sum()

    f = jax.jit(jax.vmap(jax.vmap(jax.grad(loss))))
    assert np.all(np.isfinite(f(jnp.ones((2, 2)))))
    with pytest.raises(Exception, match="highest rate"):
        jax.block_until_ready(f(jnp.array([[1.0, 1.0], [1.0, 50.0]])))


# ------------------------------------------------------------------------------ inputs as data
def plus_I_e(neurons, x):
    """``params.neurons`` with ``x`` added to I_e of every model that has it."""
    return neurons.replace(models={m: {**p, "I_e": p["I_e"] + x} if "I_e" in p else p
                                   for m, p in neurons.models.items()})


def targets(with_generator, seed=4):
    """Two neurons of each model (and a parrot feeding one of them); with a spike_generator onto them."""
    net = jaxsnn.Network(seed=seed)
    psc = {"tau_syn_ex": 1.0, "tau_syn_in": 4.0}  # the channels differ: an event in the wrong one shows
    nrn = [net.create(m, 2, params={"V_m": -60.0, **({} if m == "iaf_psc_delta" else psc)})
           for m in ("iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha")]
    par = net.create("parrot_neuron")
    net.connect(par, nrn[0], syn_spec={"weight": 3.0, "delay": 1.0})
    if with_generator:
        sg = net.create("spike_generator", params={"spike_times": [2.0, 3.5, 3.5, 7.0]})
        for pop, w in zip(nrn, (4.0, 300.0, -200.0)):
            net.connect(sg, pop, syn_spec={"weight": w, "delay": 1.5})
        net.connect(sg, par, syn_spec={"weight": 1.0, "delay": 1.0})
    return net


@pytest.mark.parametrize("differentiable", [pytest.param(False, marks=pytest.mark.slow), True])  # fast: True
def test_spike_input_as_data_gives_a_spike_generators_bits(x64, differentiable):
    gen, bare = (targets(g).build(differentiable=differentiable) for g in (True, False))
    n_steps = 120
    ev = gen.model.generators["spike_generator"]  # each event reaches its target in step (emission step + delay)
    x = np.zeros((n_steps, bare.spec.sizes.n_neurons))
    w = np.asarray(gen.params.generators["spike_generator"]["weight"])
    np.add.at(x, (np.asarray(ev["step"]) + np.asarray(ev["delay"]), np.asarray(ev["target"])), w)
    assert np.count_nonzero(x) == 3 * 7  # three distinct spike times per target (two events at 3.5 ms)
    by = lambda name: obs.by_neuron(gen.spec, name)  # every neuron's value in neuron order (0: its model lacks it)
    obs_ = lambda s: (by("V_rel")(s), by("I_syn_ex")(s), by("I_syn_in")(s), obs.spikes(s))
    _, a = jaxsnn.scan(gen.model, gen.params, gen.state, n_steps // gen.spec.time.slice_steps, observe=obs_)
    _, b = jaxsnn.scan(bare.model, bare.params, bare.state, n_steps // bare.spec.time.slice_steps, observe=obs_,
                       inputs=jaxsnn.Inputs(spikes=jnp.asarray(x)))
    assert float(a[3][..., 6].sum()) == 3  # the parrot relayed its input (2.0, 3.5 twice, 7.0 ms)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(np.asarray(v), np.asarray(u))


@pytest.mark.parametrize("differentiable", [pytest.param(False, marks=pytest.mark.slow), True])  # fast: True
def test_current_input_as_data_adds_to_I_e_in_each_step(x64, differentiable):
    bare = targets(False).build(differentiable=differentiable)
    n_steps = 100
    more = bare.params.replace(neurons=plus_I_e(bare.params.neurons, 80.0))
    I = jnp.zeros((n_steps, bare.spec.sizes.n_neurons)).at[:].add(80.0)
    V_rel = obs.by_neuron(bare.spec, "V_rel")
    _, a = jaxsnn.scan(bare.model, more, bare.state, n_steps // bare.spec.time.slice_steps, observe=V_rel)
    _, b = jaxsnn.scan(bare.model, bare.params, bare.state, n_steps // bare.spec.time.slice_steps, observe=V_rel,
                       inputs=jaxsnn.Inputs(current=I))
    np.testing.assert_array_equal(np.asarray(b), np.asarray(a))
    with pytest.raises(jaxsnn.JaxsnnError, match="inputs.current"):
        jaxsnn.scan(bare.model, bare.params, bare.state, 5, inputs=jaxsnn.Inputs(current=I))


def test_inputs_vmap_over_a_batch_and_carry_gradients(x64):
    sim = targets(False).build(differentiable=True)
    n, N = 60, sim.spec.sizes.n_neurons
    feats = jnp.array([[0.9, 0.2, 0.5], [0.1, 0.7, 0.0]])  # a batch of two samples, 3 features
    idx = sim.index([1, 3, 5])
    enc = jax.vmap(lambda f: jaxsnn.encoders.place(jaxsnn.encoders.latency(f, n), idx, N, weight=200.0))(feats)
    assert enc.shape == (2, n, N) and float(enc[1, :, 5].sum()) == 0.0  # x = 0: no spike

    def V(spikes, I):
        _, v = jaxsnn.scan(sim.model, sim.params, sim.state, n, observe=obs.by_neuron(sim.spec, "V_rel"),
                           inputs=jaxsnn.Inputs(spikes=spikes, current=I))
        return v

    I0 = jnp.zeros((n, N))
    batch = jax.jit(jax.vmap(V, in_axes=(0, None)))(enc, I0)  # compiled whole: op by op costs more
    one = jax.jit(V)
    for i in range(2):
        np.testing.assert_array_equal(np.asarray(batch[i]), np.asarray(one(enc[i], I0)))
    # d/dc of a constant current c in every step is d/dI_e
    loss_c = lambda c: V(enc[0], I0 + c)[:, :6].sum()
    loss_e = lambda e: jnp.sum(jaxsnn.scan(sim.model, sim.params.replace(neurons=plus_I_e(sim.params.neurons, e)),
                                           sim.state, n, observe=obs.by_neuron(sim.spec, "V_rel"),
                                           inputs=jaxsnn.Inputs(spikes=enc[0]))[1][:, :6])
    np.testing.assert_allclose(float(jax.jit(jax.grad(loss_c))(0.0)), float(jax.jit(jax.grad(loss_e))(0.0)), rtol=1e-12)


def test_rate_encoder_draws_poisson_counts():
    x = jnp.array([0.0, 0.1, 0.5, 1.0])
    c = jax.vmap(lambda k: jaxsnn.encoders.rate(x, 500, 1.0, 400.0, k))(jax.random.split(jax.random.key(0), 40))
    mu = np.asarray(x) * 0.4  # mean count per step
    n = c.reshape(-1, 4)
    np.testing.assert_allclose(np.asarray(n.mean(0)), mu, atol=0.01)
    np.testing.assert_allclose(np.asarray(n.var(0)), mu, atol=0.02)  # Poisson: variance = mean
    assert float(c[..., 0].sum()) == 0.0


# ----------------------------------------------------------------------------- readouts and losses
def test_van_rossum_distance_is_the_analytic_one():
    h, tau, n = 0.01, 5.0, 20000  # 200 ms: the kernels have decayed
    a = jnp.zeros((n, 3)).at[1000, 0].set(1.0).at[1000, 1].set(1.0)
    b = jnp.zeros((n, 3)).at[1300, 0].set(1.0)  # neuron 0: Δ = 3 ms; neuron 1: one spike against none
    d = jaxsnn.losses.van_rossum(a, b, tau, h)
    np.testing.assert_allclose(np.asarray(d ** 2), [1 - np.exp(-3.0 / tau), 0.5, 0.0], atol=2e-3)


def test_cross_entropy_losses_and_V_observables():
    logits = jnp.array([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]])
    labels = jnp.array([1, 0])
    expect = [-np.log(np.exp(2.0) / np.exp([1.0, 2.0, 0.5]).sum()), -np.log(1.0 / (2.0 + np.exp(3.0)))]
    np.testing.assert_allclose(np.asarray(jaxsnn.losses.cross_entropy(logits, labels)), expect, rtol=1e-6)
    spikes = jnp.zeros((50, 3)).at[jnp.array([3, 9, 20]), jnp.array([1, 1, 2])].set(1.0)  # counts 0, 2, 1
    np.testing.assert_allclose(float(jaxsnn.losses.spike_count_cross_entropy(spikes, 1)),
                               -np.log(np.exp(2.0) / (1 + np.exp(2.0) + np.e)), rtol=1e-6)
    V = jnp.array([[0.0, 1.0], [3.0, -1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(np.asarray(obs.V_max(V)), [3.0, 1.0])
    np.testing.assert_allclose(np.asarray(obs.V_mean(V)), [4 / 3, 0.0])


# ------------------------------------------------------------------------------------ notebook
@pytest.mark.slow  # trains a small classifier (compiles a batched gradient: about a minute)
def test_training_notebook_runs_and_learns():
    import re

    from .conftest import notebook_output

    text = notebook_output("training.ipynb", timeout=900)
    first, last = map(float, re.search(r"loss first ([\d.]+), last ([\d.]+)", text).groups())
    before, after = map(float, re.search(r"accuracy before ([\d.]+), after ([\d.]+)", text).groups())
    assert last < first and after > before  # the loss falls, the test accuracy rises


def test_place_puts_each_column_at_its_neuron():
    """One population's contiguous indices take a pad, others a scatter: both put x[:, i] at index[i]."""
    x = jnp.arange(1.0, 13.0).reshape(4, 3)
    for index in ([2, 3, 4], [4, 0, 2], [0, 1, 2], [5, 6, 7]):
        got = np.asarray(jaxsnn.encoders.place(x, np.array(index), 8, weight=2.0))
        want = np.zeros((4, 8))
        want[:, index] = 2.0 * np.asarray(x)
        np.testing.assert_array_equal(got, want)
    traced = jax.jit(lambda i: jaxsnn.encoders.place(x, i, 8))(jnp.array([1, 2, 3]))
    np.testing.assert_array_equal(np.asarray(traced)[:, 1:4], np.asarray(x))
