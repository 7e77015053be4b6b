"""Gradients through a simulation: reverse mode (jax.grad) in the differentiable build."""
import math

import jax
import numpy as np

import jaxsnn


def test_grad_of_membrane_potential_wrt_weight_is_the_analytic_kernel(x64):
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 1, params={"V_m": -50.0})  # fires in the first step (stamp 0.1 ms)
    b = net.create("iaf_psc_delta", 1)
    net.connect(a, b, syn_spec={"weight": 2.0, "delay": 1.0})
    sim = net.build(differentiable=True)
    n = 50  # 5 ms: the input arrives at 1.1 ms and decays with tau_m = 10 ms

    def V_b(weight):
        return jaxsnn.advance(sim.model, sim.params, sim.state.with_weights(weight), n).neurons.V_rel[1]

    w = sim.state.weights
    g = jax.grad(V_b)(w)
    expected = math.exp(-(5.0 - 1.1) / 10.0)  # dV(t)/dw = exp(-(t - t_arrival)/tau_m)
    np.testing.assert_allclose(np.asarray(g), [expected], rtol=1e-12)
    np.testing.assert_allclose(float(V_b(w)), 2.0 * expected, rtol=1e-12)
    # the differentiable loops give the same trajectory as the event-driven ones
    event_driven = net.build()
    np.testing.assert_array_equal(
        np.asarray(jaxsnn.advance(sim.model, sim.params, sim.state, n).neurons.V_rel),
        np.asarray(jaxsnn.jit(jaxsnn.advance)(event_driven.model, event_driven.params, event_driven.state, n).neurons.V_rel))


def test_grad_of_subthreshold_V_wrt_tau_m_and_I_e_is_analytic(x64):
    # V(t) - E_L = I_e R (1 - exp(-t / tau_m)), R = tau_m / C_m, sampled at whole steps: exact integration
    net = jaxsnn.Network()
    net.create("iaf_psc_delta", 1, params={"I_e": 100.0, "V_th": 1e6})
    sim = net.build(differentiable=True)
    n, t = 30, 3.0

    def V(p):
        return jaxsnn.advance(sim.model, p, sim.state, n).neurons.V_rel[0]

    g = jax.grad(V)(sim.params)
    tau, C, I = 10.0, 250.0, 100.0
    dV_dtau = I / C * (1 - math.exp(-t / tau)) - I / C * tau * math.exp(-t / tau) * t / tau ** 2
    np.testing.assert_allclose(float(g.neurons.tau_m[0]), dV_dtau, rtol=1e-9)
    np.testing.assert_allclose(float(g.neurons.I_e[0]), tau / C * (1 - math.exp(-t / tau)), rtol=1e-9)
    np.testing.assert_allclose(float(g.neurons.C_m[0]), -I * tau / C ** 2 * (1 - math.exp(-t / tau)), rtol=1e-9)
