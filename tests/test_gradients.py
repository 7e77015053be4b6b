"""Gradients through a simulation: reverse mode (jax.grad) with the differentiable spec."""
import dataclasses
import math

import jax
import numpy as np

import jaxsnn
from jaxsnn import engine


def test_grad_of_membrane_potential_wrt_weight_is_the_analytic_kernel(x64):
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 1, params={"V_m": -50.0})  # fires in the first step (stamp 0.1 ms)
    b = net.create("iaf_psc_delta", 1)
    net.connect(a, b, syn_spec={"weight": 2.0, "delay": 1.0})
    sim = net.build()
    spec = dataclasses.replace(sim.spec, differentiable=True)
    n = 50  # 5 ms: the input arrives at 1.1 ms and decays with tau_m = 10 ms

    def V_b(weight):
        st = engine.advance(spec, sim.params, sim.state.replace(weight=weight, weight_reported=weight), n)
        return st.V_rel[1]

    w = sim.state.weight
    g = jax.grad(V_b)(w)
    expected = math.exp(-(5.0 - 1.1) / 10.0)  # dV(t)/dw = exp(-(t - t_arrival)/tau_m)
    np.testing.assert_allclose(np.asarray(g), [expected], rtol=1e-12)
    np.testing.assert_allclose(float(V_b(w)), 2.0 * expected, rtol=1e-12)
    # the differentiable loops give the same trajectory as the event-driven ones
    np.testing.assert_array_equal(np.asarray(engine.advance(spec, sim.params, sim.state, n).V_rel),
                                  np.asarray(engine.advance_jit(sim.spec, sim.params, sim.state, n).V_rel))


def test_surrogate_gradient_flows_through_spikes():
    from tests.networks import small_network

    sim, _, _ = small_network()
    spec = dataclasses.replace(sim.spec, differentiable=True)

    def mean_V(weight):
        st = engine.advance(spec, sim.params, sim.state.replace(weight=weight, weight_reported=weight), 100)
        return st.V_rel.mean()

    g = np.asarray(jax.jit(jax.grad(mean_V))(sim.state.weight))
    assert np.isfinite(g).all() and np.abs(g).max() > 0
