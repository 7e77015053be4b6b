"""Gradients through a simulation: the differentiable build (surrogate spikes, straight-through Poisson
counts), against analytic results, finite differences and the event-driven build's bits."""
import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxsnn
from jaxsnn import observables as obs
from jaxsnn.core import surrogate as sg

from .conftest import notebook_output

# ----------------------------------------------------------------------------- helpers
PSP_PER_MV = {"iaf_psc_delta": 1.0, "iaf_psc_exp": 150.0, "iaf_psc_alpha": 80.0}  # weights of a ~1 mV PSP


def recurrent(n=100, rate=3000.0, seed=1, stdp=False, indegree=10, w=0.5, mu=1.0, model="iaf_psc_delta"):
    """The measurement network of docs/gradients.md: Poisson drive, recurrent synapses (weights in mV of
    iaf_psc_delta input, scaled to similar PSPs for the psc models)."""
    net = jaxsnn.Network(seed=seed)
    e = net.create(model, n, params={"V_m": jaxsnn.random.uniform(-70.0, -56.0)})
    pg = net.create("poisson_generator", params={"rate": rate})
    syn = {"weight": w * PSP_PER_MV[model], "delay": 1.0}
    if stdp:
        net.copy_model("stdp_synapse", "plastic", {"Wmax": 2.0, "lambda": 0.05, "mu_plus": mu, "mu_minus": mu})
        syn["synapse_model"] = "plastic"
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": indegree}, syn)
    net.connect(pg, e, syn_spec={"weight": PSP_PER_MV[model]})
    return net


def with_neurons(params, model="iaf_psc_delta", **kw):
    return params.replace(neurons=params.neurons.updated(model, **kw))


def mean_rate(sim, n_slices):
    """Mean rate (Hz) of a run from ``sim``'s state: a function of (params, key)."""
    def rate(params, key):
        _, counts = jaxsnn.scan(sim.model, params, sim.state.replace(key=key), n_slices, observe=obs.spike_counts)
        return jnp.mean(obs.rates(counts, sim.spec))
    return rate


def seeds(n):
    return jax.vmap(jaxsnn.simulation_key)(jnp.arange(1, n + 1))


def ad_and_fd(net, build_kw, perturb, delta, n_slices, n_seeds):
    """Mean over seeds of d(mean rate)/dθ: AD (differentiable build) and central FD (event-driven build,
    common random numbers). ``perturb(params, θ)`` applies θ."""
    d = net.build(differentiable=True, **build_kw)
    ev = net.build()
    keys = seeds(n_seeds)
    r_d, r_ev = mean_rate(d, n_slices), mean_rate(ev, n_slices)
    ad = jax.jit(jax.vmap(jax.grad(lambda th, k: r_d(perturb(d.params, th), k)), in_axes=(None, 0)))(0.0, keys)
    f = jax.jit(jax.vmap(lambda th, k: r_ev(perturb(ev.params, th), k), in_axes=(None, 0)))
    fd = (f(delta, keys) - f(-delta, keys)) / (2 * delta)
    return float(jnp.mean(ad)), float(jnp.mean(fd))


# ------------------------------------------------------------------ forward pass unchanged
def test_grad_of_membrane_potential_wrt_weight_is_the_analytic_kernel(x64):
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 1, params={"V_m": -50.0})  # fires in the first step (stamp 0.1 ms)
    b = net.create("iaf_psc_delta", 1)
    net.connect(a, b, syn_spec={"weight": 2.0, "delay": 1.0})
    sim = net.build(differentiable=True, surrogate="none")  # the exact derivative for the fixed spikes
    n = 50  # 5 ms: the input arrives at 1.1 ms and decays with tau_m = 10 ms

    def V_b(weight):
        return jaxsnn.advance(sim.model, sim.params, sim.state.with_weights(weight), n).neurons["iaf_psc_delta"]["V_rel"][1]

    w = sim.state.weights
    g = jax.grad(V_b)(w)
    expected = math.exp(-(5.0 - 1.1) / 10.0)  # dV(t)/dw = exp(-(t - t_arrival)/tau_m)
    np.testing.assert_allclose(np.asarray(g), [expected], rtol=1e-12)
    np.testing.assert_allclose(float(V_b(w)), 2.0 * expected, rtol=1e-12)


def test_grad_of_subthreshold_V_wrt_tau_m_and_I_e_is_analytic(x64):
    # V(t) - E_L = I_e R (1 - exp(-t / tau_m)), R = tau_m / C_m, sampled at whole steps: exact integration
    net = jaxsnn.Network()
    net.create("iaf_psc_delta", 1, params={"I_e": 100.0, "V_th": 1e6})
    sim = net.build(differentiable=True)
    n, t = 30, 3.0

    def V(p):
        return jaxsnn.advance(sim.model, p, sim.state, n).neurons["iaf_psc_delta"]["V_rel"][0]

    g = jax.grad(V)(sim.params)
    tau, C, I = 10.0, 250.0, 100.0
    dV_dtau = I / C * (1 - math.exp(-t / tau)) - I / C * tau * math.exp(-t / tau) * t / tau ** 2
    np.testing.assert_allclose(float(g.neurons["iaf_psc_delta"]["tau_m"][0]), dV_dtau, rtol=1e-9)
    np.testing.assert_allclose(float(g.neurons["iaf_psc_delta"]["I_e"][0]), tau / C * (1 - math.exp(-t / tau)), rtol=1e-9)
    np.testing.assert_allclose(float(g.neurons["iaf_psc_delta"]["C_m"][0]), -I * tau / C ** 2 * (1 - math.exp(-t / tau)), rtol=1e-9)


# fast: iaf_psc_exp (the same differentiable build; the other models in the full suite)
@pytest.mark.parametrize("model,stdp", [pytest.param("iaf_psc_delta", False, marks=pytest.mark.slow),
                                        pytest.param("iaf_psc_delta", True, marks=pytest.mark.slow),
                                        ("iaf_psc_exp", False), pytest.param("iaf_psc_alpha", False, marks=pytest.mark.slow)])
def test_differentiable_forward_pass_has_the_event_driven_bits(x64, model, stdp):
    net = recurrent(n=60, rate=4000.0, stdp=stdp, model=model)
    ev, d = net.build(), net.build(differentiable=True, surrogate=("sigmoid", 3.0))
    n = 600
    a = jaxsnn.jit(jaxsnn.advance)(ev.model, ev.params, ev.state, n)
    b = jax.jit(jaxsnn.advance, static_argnums=3)(d.model, d.params, d.state, n)
    assert int(np.sum(a.transit.spike_history)) > 20  # the network spikes
    assert b.transit.spike_history.dtype == np.float64 and set(np.unique(b.transit.spike_history)) <= {0.0, 1.0}
    np.testing.assert_array_equal(np.asarray(b.transit.spike_history) > 0, np.asarray(a.transit.spike_history))
    np.testing.assert_array_equal(np.asarray(b.neurons[model]["V_rel"]), np.asarray(a.neurons[model]["V_rel"]))  # same bits
    np.testing.assert_array_equal(np.asarray(b.synapses.weight), np.asarray(a.synapses.weight))
    np.testing.assert_array_equal(np.asarray(b.plasticity.pre.Kplus), np.asarray(a.plasticity.pre.Kplus))
    jaxsnn.check(b)


# ------------------------------------------------------------------------- surrogates
@pytest.mark.parametrize("name", [n for n in sg.SURROGATES if n != "none"])
def test_each_surrogate_is_a_step_forward_and_its_pseudo_derivative_backward(x64, name):
    x = jnp.array([-2.0, -0.05, 0.0, 0.05, 2.0])
    s, ds = jax.jvp(lambda x: sg.spike_as(x, name, 4.0), (x,), (jnp.ones_like(x),))
    np.testing.assert_array_equal(np.asarray(s), [0, 0, 1, 1, 1])
    assert float(ds[2]) == pytest.approx(1.0)  # 1/mV at threshold
    assert np.all(np.asarray(ds) >= 0) and ds[0] < ds[1] and ds[4] < ds[3]  # peaked at threshold
    assert float(ds[1]) == pytest.approx(float(ds[3]))  # symmetric


@pytest.mark.slow  # compiles differentiable runs (tens of seconds on busy cores)
@pytest.mark.parametrize("model", ["iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha"])
def test_spikes_carry_gradient_in_a_two_neuron_chain(x64, model):
    # a fires regularly from I_e; b, held just below threshold (14.8 of 15 mV), fires only from a's
    # input: b's rate depends on I_e of a, through a's spikes
    net = jaxsnn.Network()
    a = net.create(model, 1, params={"I_e": 450.0})
    b = net.create(model, 1, params={"I_e": 370.0})
    net.connect(a, b, syn_spec={"weight": 0.5 * PSP_PER_MV[model], "delay": 1.0})
    n_slices = 1000  # 100 ms

    def rate_b(I_a, sim):
        p = with_neurons(sim.params, model, I_e=sim.params.neurons[model]["I_e"].at[0].set(I_a))
        _, counts = jaxsnn.scan(sim.model, p, sim.state, n_slices, observe=obs.spike_counts)
        return obs.rates(counts, sim.spec)[1]

    ev = net.build()
    assert float(rate_b(450.0, ev)) > 10.0
    fd = (float(rate_b(490.0, ev)) - float(rate_b(410.0, ev))) / 80.0
    assert fd > 0
    # the default (reset through the spike) passes gradient from a to b, though not with FD's sign: a
    # regular spiker's reset feeds each threshold derivative back into the next (docs/gradients.md)
    default = net.build(differentiable=True)
    g = float(jax.grad(rate_b)(450.0, default))
    assert g != 0 and math.isfinite(g)
    detached = net.build(differentiable=True, detach_reset=True, surrogate=("fast_sigmoid", 40.0))
    g = float(jax.grad(rate_b)(450.0, detached))
    assert g > 0, (g, fd)  # FD's sign (its size: docs/gradients.md)


def test_reset_through_the_spike_or_detached(x64):
    net = jaxsnn.Network()
    net.create("iaf_psc_delta", 1, params={"I_e": 400.0})
    y = {}
    for detach in (False, True):
        sim = net.build(differentiable=True, detach_reset=detach)
        V = lambda p, sim=sim: jaxsnn.advance(sim.model, p, sim.state, 150).neurons["iaf_psc_delta"]["V_rel"][0]
        y[detach] = jax.grad(V)(sim.params)
    # a spike at ~8 ms; detached, d V / d V_reset is the decay since the end of refractoriness, as without
    # any surrogate; through the spike the threshold's pseudo-derivative adds a term
    exact = net.build(differentiable=True, surrogate="none")
    g0 = jax.grad(lambda p: jaxsnn.advance(exact.model, p, exact.state, 150).neurons["iaf_psc_delta"]["V_rel"][0])(exact.params)
    assert float(y[True].neurons["iaf_psc_delta"]["V_reset"][0]) == pytest.approx(float(g0.neurons["iaf_psc_delta"]["V_reset"][0]), rel=1e-12)
    assert float(y[False].neurons["iaf_psc_delta"]["I_e"][0]) != pytest.approx(float(y[True].neurons["iaf_psc_delta"]["I_e"][0]), rel=1e-3)


def test_refractory_neurons_pass_no_surrogate_gradient(x64):
    net = jaxsnn.Network()
    net.create("iaf_psc_delta", 1, params={"V_m": -50.0})  # fires in the first step, then 20 refractory steps
    sim = net.build(differentiable=True, detach_reset=True)

    def count(V_th):  # spikes over 15 steps: the first, then refractory ones (clamped at V_reset)
        p = with_neurons(sim.params, V_th=V_th)
        return jaxsnn.scan(sim.model, p, sim.state, 15, observe=obs.spike_counts)[1].sum()

    assert float(count(sim.params.neurons["iaf_psc_delta"]["V_th"])) == 1.0
    x0 = 20.0 * math.exp(-0.1 / 10.0) - 15.0  # V − V_th after the first step (mV)
    beta = sim.spec.autodiff.surrogate[1]
    np.testing.assert_allclose(float(jax.grad(count)(sim.params.neurons["iaf_psc_delta"]["V_th"])[0]), -1 / (1 + beta * x0) ** 2,
                               rtol=1e-9)


def test_surrogate_options_are_checked():
    net = recurrent(n=5)
    for bad in ("softplus", ("sigmoid", 0.0), ("sigmoid", "x"), 3.0):
        with pytest.raises(jaxsnn.JaxsnnError, match="surrogate"):
            net.build(differentiable=True, surrogate=bad)
    with pytest.raises(jaxsnn.JaxsnnError, match="differentiable=True"):
        net.build(surrogate="sigmoid")
    with pytest.raises(jaxsnn.JaxsnnError, match="checkpoint_every"):
        net.build(differentiable=True, checkpoint_every=-1)
    assert net.build(differentiable=True, surrogate="arctan").spec.autodiff.surrogate == ("arctan", sg.DEFAULT[1])


@pytest.mark.slow
def test_default_surrogate_d_rate_d_I_e_matches_finite_differences_over_seeds(x64):
    ad, fd = ad_and_fd(recurrent(), {}, lambda p, th: with_neurons(p, I_e=p.neurons["iaf_psc_delta"]["I_e"] + th), 20.0, 500, 8)
    assert fd > 0 and fd / 3 < ad < 3 * fd, (ad, fd)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["iaf_psc_exp", "iaf_psc_alpha"])
def test_psc_models_d_rate_d_I_e_matches_finite_differences_over_seeds(x64, model):
    net = recurrent(model=model)
    ad, fd = ad_and_fd(net, {}, lambda p, th: with_neurons(p, model, I_e=p.neurons[model]["I_e"] + th), 20.0, 500, 8)
    assert fd > 0 and fd / 3 < ad < 3 * fd, (ad, fd)


@pytest.mark.slow  # compiles a differentiable run (tens of seconds on busy cores)
def test_d_rate_d_I_e_and_V_th_agree_with_finite_differences(x64):
    net = recurrent(n=40, rate=3000.0)
    ad, fd = ad_and_fd(net, {}, lambda p, th: with_neurons(p, I_e=p.neurons["iaf_psc_delta"]["I_e"] + th), 20.0, 300, 4)
    assert fd > 0 and fd / 3 < ad < 3 * fd, (ad, fd)
    ad, fd = ad_and_fd(net, {}, lambda p, th: with_neurons(p, V_th=p.neurons["iaf_psc_delta"]["V_th"] + th), 1.0, 300, 4)
    assert fd < 0 and ad < 0, (ad, fd)


# --------------------------------------------------------------------------- Poisson input
@pytest.mark.slow  # compiles a differentiable run (tens of seconds on busy cores)
def test_d_rate_d_poisson_rate_and_weight_agree_with_finite_differences(x64):
    net = recurrent(n=40, rate=3000.0)
    pg = "poisson_generator"
    scale_rate = lambda p, th: p.with_generator(pg, rate=p.generators[pg]["rate"] * (1 + th))
    ad, fd = ad_and_fd(net, {}, scale_rate, 0.1, 300, 4)
    assert fd > 0 and fd / 3 < ad < 3 * fd, (ad, fd)
    scale_w = lambda p, th: p.with_generator(pg, weight=p.generators[pg]["weight"] * (1 + th))
    ad, fd = ad_and_fd(net, {}, scale_w, 0.1, 300, 4)
    assert fd > 0 and fd / 3 < ad < 3 * fd, (ad, fd)


def test_straight_through_counts_keep_the_values_and_have_the_mean_derivative(x64):
    from jaxsnn.core.generators import straight_through_counts
    n = jnp.array([0.0, 2.0, 5.0])
    out, dout = jax.jvp(lambda mu: straight_through_counts(n, mu), (jnp.full(3, 0.3),), (jnp.ones(3),))
    np.testing.assert_array_equal(np.asarray(out), np.asarray(n))
    np.testing.assert_array_equal(np.asarray(dout), np.ones(3))


def test_spike_generator_weight_is_differentiable(x64):
    net = jaxsnn.Network()
    sg_ = net.create("spike_generator", params={"spike_times": [1.0, 3.0]})
    nrn = net.create("iaf_psc_delta", 1)
    net.connect(sg_, nrn, syn_spec={"weight": 2.0, "delay": 1.0})
    sim = net.build(differentiable=True, surrogate="none")
    V = lambda w: jaxsnn.advance(sim.model, sim.params.with_generator("spike_generator", weight=w), sim.state,
                                 60).neurons["iaf_psc_delta"]["V_rel"][0]
    g = jax.grad(V)(sim.params.generators["spike_generator"]["weight"])
    # arrivals at 2 and 4 ms (the spike times plus the delay), each decaying with tau_m up to 6 ms
    np.testing.assert_allclose(np.asarray(g), [math.exp(-4.0 / 10), math.exp(-2.0 / 10)], rtol=1e-9)


def test_parrots_pass_the_poisson_rate_gradient_straight_through(x64):
    # below threshold V is linear in the input, so d V / d rate (straight-through counts) does not depend
    # on the draws: relayed by a parrot (delays 0.5 + 1.0 ms), it is that of the direct connection (1.5 ms)
    # as long as the parrot relays a spike in every step (its silent steps deliver nothing, so they pass
    # no gradient): 10 expected per step, none missing with this seed
    def V_after(relayed):
        net = jaxsnn.Network()
        pg = net.create("poisson_generator", params={"rate": 100000.0})
        nrn = net.create("iaf_psc_delta", 1, params={"V_th": 1e6})
        if relayed:
            parrot = net.create("parrot_neuron", 1)
            net.connect(pg, parrot, syn_spec={"weight": 1.0, "delay": 0.5})
            net.connect(parrot, nrn, syn_spec={"weight": 0.3, "delay": 1.0})
        else:
            net.connect(pg, nrn, syn_spec={"weight": 0.3, "delay": 1.5})
        sim = net.build(differentiable=True, slice_capacity=256)
        i = sim.layout.neuron_of_node[nrn.ids[0]]
        V = lambda rate: jaxsnn.advance(sim.model, sim.params.with_generator("poisson_generator", rate=rate),
                                        sim.state, 200).neurons["iaf_psc_delta"]["V_rel"][i]
        return V, sim.params.generators["poisson_generator"]["rate"]

    (V_p, rate), (V_d, _) = V_after(True), V_after(False)
    g = float(jax.jit(jax.grad(V_p))(rate)[0])
    assert g > 0
    assert g == pytest.approx(float(jax.jit(jax.grad(V_d))(rate)[0]), rel=1e-12)


# ------------------------------------------------------- every parameter, where smooth: check_grads
def _fixed_pattern(stdp):
    """Small net with a fixed spike pattern under small perturbations; the exact derivative (no surrogate)."""
    net = recurrent(n=12, rate=4000.0, stdp=stdp, indegree=4, w=1.0, seed=4, mu=0.5)  # mu != 1: powers on
    return net.build(differentiable=True, surrogate="none")


@pytest.mark.slow  # compiles a differentiable run (tens of seconds on busy cores)
def test_neuron_parameters_and_weights_match_finite_differences_where_smooth(x64):
    sim = _fixed_pattern(False)
    n = 300

    def loss(nrn, w):
        p = sim.params.replace(neurons=sim.params.neurons.updated("iaf_psc_delta", **nrn))
        st = jaxsnn.advance(sim.model, p, sim.state.with_weights(w), n)
        return jnp.sum(st.neurons["iaf_psc_delta"]["V_rel"] ** 2)

    nrn = {k: sim.params.neurons["iaf_psc_delta"][k] for k in ("I_e", "tau_m", "C_m", "E_L", "V_reset")}
    spikes = jaxsnn.advance(sim.model, sim.params, sim.state, n).transit.spike_history
    assert float(jnp.sum(spikes)) > 3  # spikes happen, the reset and delivery are on the path
    check_grads(loss, (nrn, sim.state.weights), order=1, modes=["rev"], eps=1e-6, atol=1e-5, rtol=1e-5)


@pytest.mark.slow  # compiles a differentiable run (tens of seconds on busy cores)
def test_stdp_parameters_and_plastic_weights_match_finite_differences_where_smooth(x64):
    sim = _fixed_pattern(True)
    n = 400

    def loss(stdp, w):
        st = jaxsnn.advance(sim.model, sim.params.replace(stdp=jnp.asarray(stdp)), sim.state.with_weights(w), n)
        return jnp.sum(st.synapses.weight ** 2) + jnp.sum(st.neurons["iaf_psc_delta"]["V_rel"])

    assert sim.params.stdp.shape[1] == 6  # tau_plus, lambda, alpha, mu_plus, mu_minus, Wmax
    check_grads(loss, (jnp.asarray(sim.params.stdp), sim.state.weights), order=1, modes=["rev"], eps=1e-6, atol=1e-5,
                rtol=1e-5)
    g = jax.grad(loss)(jnp.asarray(sim.params.stdp), sim.state.weights)
    assert np.all(np.asarray(g) != 0)  # tau_plus, lambda, alpha, mu_plus, mu_minus and Wmax all matter


# ------------------------------------------------------------------- forward mode, errors, memory
@pytest.mark.slow  # compiles a differentiable run (tens of seconds on busy cores)
def test_jvp_and_jacfwd_agree_with_reverse_mode(x64):
    sim = recurrent(n=20, rate=4000.0).build(differentiable=True)
    r = mean_rate(sim, 100)
    f = lambda dI: r(with_neurons(sim.params, I_e=sim.params.neurons["iaf_psc_delta"]["I_e"] + dI), sim.state.key)
    g = jax.grad(f)(0.0)
    _, t = jax.jvp(f, (0.0,), (1.0,))
    np.testing.assert_allclose(float(t), float(g), rtol=1e-10)
    J = jax.jacfwd(lambda I: r(with_neurons(sim.params, I_e=I), sim.state.key))(sim.params.neurons["iaf_psc_delta"]["I_e"])
    np.testing.assert_allclose(float(J.sum()), float(g), rtol=1e-10)


def test_grad_through_the_event_driven_build_says_to_build_differentiable():
    sim = recurrent(n=5).build()
    for run in (lambda p: jaxsnn.advance(sim.model, p, sim.state, 10).neurons["iaf_psc_delta"]["V_rel"].sum(),
                lambda p: jaxsnn.step(sim.model, p, sim.state).neurons["iaf_psc_delta"]["V_rel"].sum(),
                lambda p: jaxsnn.scan(sim.model, p, sim.state, 2)[0].neurons["iaf_psc_delta"]["V_rel"].sum()):
        with pytest.raises(jaxsnn.JaxsnnError, match=r"differentiable=True"):
            jax.grad(run)(sim.params)
        jax.jit(run)(sim.params)  # the forward run is untouched (compiled whole: op by op costs more)


def test_a_differentiated_run_that_overflows_is_an_error(x64):
    net = jaxsnn.Network()
    e = net.create("iaf_psc_delta", 4, params={"V_m": -50.0})  # all fire in the first step
    net.connect(e, e, syn_spec={"weight": 1.0, "delay": 1.0})
    sim = net.build(differentiable=True, slice_capacity=1, dense=False)  # dense: no spike list to overflow
    f = lambda p: jaxsnn.advance(sim.model, p, sim.state, 30).neurons["iaf_psc_delta"]["V_rel"].sum()
    assert jaxsnn.Overflow(int(jaxsnn.advance(sim.model, sim.params, sim.state, 30).overflow))  # the flag
    with pytest.raises(Exception, match="exceeded a capacity"):
        jax.block_until_ready(jax.grad(f)(sim.params))


@pytest.mark.slow  # compiles a differentiable run (tens of seconds on busy cores)
def test_checkpoint_every_gives_the_same_gradient(x64):
    net = recurrent(n=20, rate=4000.0)
    g, h = {}, {}
    for k in (0, 30):
        sim = net.build(differentiable=True, checkpoint_every=k)
        f = lambda I, sim=sim: jaxsnn.advance(sim.model, with_neurons(sim.params, I_e=I), sim.state,
                                              100).neurons["iaf_psc_delta"]["V_rel"].sum()
        g[k] = np.asarray(jax.grad(f)(sim.params.neurons["iaf_psc_delta"]["I_e"]))
        # advance: 3 blocks of 30 steps and 10 more; scan: blocks of 3 slices (1 ms each), 13 = 4 blocks and 1
        r = lambda I, sim=sim: obs.total_counts(jaxsnn.scan(sim.model, with_neurons(sim.params, I_e=I), sim.state, 13,
                                                            observe=obs.spike_counts)[1]).sum()
        h[k] = np.asarray(jax.grad(r)(sim.params.neurons["iaf_psc_delta"]["I_e"]))
    assert np.any(g[0] != 0) and np.any(h[0] != 0)
    np.testing.assert_allclose(g[30], g[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h[30], h[0], rtol=1e-12, atol=1e-12)


@pytest.mark.slow  # compiles a differentiable run (tens of seconds on busy cores)
def test_gradient_across_a_resume_equals_the_unsplit_run(x64, tmp_path):
    net = recurrent(n=20, rate=4000.0)
    sim = net.build(differentiable=True)
    a, b = 40, 60  # 4 ms then 6 ms (the split falls inside a slice: it need not be aligned)

    def loss(I, split):
        p = with_neurons(sim.params, I_e=I)
        if not split:
            return jaxsnn.advance(sim.model, p, sim.state, a + b).neurons["iaf_psc_delta"]["V_rel"].sum()
        mid = jaxsnn.advance(sim.model, p, sim.state, a)
        return jaxsnn.advance(sim.model, p, mid, b).neurons["iaf_psc_delta"]["V_rel"].sum()

    I = sim.params.neurons["iaf_psc_delta"]["I_e"]
    split, whole = np.asarray(jax.grad(loss)(I, True)), np.asarray(jax.grad(loss)(I, False))
    assert np.any(whole != 0)
    np.testing.assert_allclose(split, whole, rtol=1e-12, atol=1e-15)
    # a complete checkpoint restores the state (float spikes included) bit for bit: the second half's
    # gradient from a restored state is that from the state in memory
    half = jaxsnn.simulate(sim, 4.0)
    jaxsnn.save_checkpoint(tmp_path / "c", half)
    back = jaxsnn.load_checkpoint(tmp_path / "c", sim)
    assert back.state.transit.spike_history.dtype == half.state.transit.spike_history.dtype
    second = lambda st: jax.grad(lambda I: jaxsnn.advance(sim.model, with_neurons(sim.params, I_e=I), st, b)
                                 .neurons["iaf_psc_delta"]["V_rel"].sum())(I)
    np.testing.assert_array_equal(np.asarray(second(back.state)), np.asarray(second(half.state)))


# ---------------------------------------------------------------------------- observables
def test_observables_count_rate_and_trace(x64):
    sim = recurrent(n=20, rate=4000.0).build(differentiable=True)
    st, sp = jaxsnn.scan(sim.model, sim.params, sim.state, 50, observe=obs.spikes)
    s = obs.steps(sp)
    assert s.shape == (500, 20) and s.dtype == np.float64 and float(s.sum()) > 0
    _, counts = obs.run(sim.model, sim.params, sim.state, 50)
    np.testing.assert_array_equal(np.asarray(obs.total_counts(counts)), np.asarray(s.sum(0)))
    np.testing.assert_allclose(np.asarray(obs.rates(counts, sim.spec)), np.asarray(s.sum(0)) / 0.05)
    x = obs.trace(sp, tau=5.0, h=0.1)
    k = np.arange(500)
    expected = (np.exp(-0.1 / 5.0) ** (k[:, None] - k[None, :]) * (k[:, None] >= k[None, :])) @ np.asarray(s)
    np.testing.assert_allclose(np.asarray(x), expected, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------------------ training
@pytest.mark.slow  # compiles a differentiable run (tens of seconds on busy cores)
def test_training_I_e_to_target_rates_halves_the_error(x64):
    optax = pytest.importorskip("optax")
    n = 20
    net = recurrent(n=n, rate=3000.0)
    sim = net.build(differentiable=True)
    target = jnp.linspace(5.0, 40.0, n)
    r = lambda I: obs.rates(jaxsnn.scan(sim.model, with_neurons(sim.params, I_e=I), sim.state, 1000,
                                         observe=obs.spike_counts)[1], sim.spec)
    loss = lambda I: jnp.mean((r(I) - target) ** 2)
    opt = optax.adam(20.0)
    I = sim.params.neurons["iaf_psc_delta"]["I_e"]
    state = opt.init(I)
    vg = jax.jit(jax.value_and_grad(loss))
    first = None
    for _ in range(30):
        v, g = vg(I)
        first = float(v) if first is None else first
        u, state = opt.update(g, state)
        I = optax.apply_updates(I, u)
    last = float(loss(I))
    assert math.sqrt(last) < 0.5 * math.sqrt(first), (first, last)


@pytest.mark.slow
def test_notebook_runs_and_both_trainings_make_progress():
    text = notebook_output("differentiable.ipynb", timeout=900)
    first, last = map(float, re.search(r"loss first ([\d.]+), last ([\d.]+)", text).groups())
    assert last < first  # (a) the fit reduces the loss
    m = re.search(r"before \((\d+), (\d+)\), after \((\d+), (\d+)\); targets \((\d+), (\d+)\)", text)
    a0, b0, a1, b1, tA, tB = map(int, m.groups())
    assert abs(a1 - tA) + abs(b1 - tB) < abs(a0 - tA) + abs(b0 - tB)  # (b) closer to the targets
    assert b1 - a1 > b0 - a0  # the answers to A and B move apart
