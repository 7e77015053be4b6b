"""The leaky_integrator readout: an exact exponential filter of its input (analytic), never spikes,
differentiable (finite differences), and takes the place of a never-firing iaf_psc_delta."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsnn

TAU, C, E_L = 8.0, 200.0, -65.0


def driven(I_e=0.0, times=(1.0, 2.5, 2.6, 7.0), weights=(2.0, -1.0, 3.0, 0.5), delay=1.0, h=0.1):
    """A leaky_integrator driven by a spike_generator (spikes at ``times`` ms of ``weights`` mV) and I_e."""
    net = jaxsnn.Network(resolution=h)
    sg = net.create("spike_generator", 1, params={"spike_times": list(times), "spike_weights": list(weights)})
    li = net.create("leaky_integrator", 1, params={"tau_m": TAU, "C_m": C, "E_L": E_L, "V_m": E_L, "I_e": I_e})
    net.connect(sg, li, syn_spec={"weight": 1.0, "delay": delay})
    return net, li


def analytic(t, I_e=0.0, times=(1.0, 2.5, 2.6, 7.0), weights=(2.0, -1.0, 3.0, 0.5), delay=1.0):
    """V_m(t): each spike's weight decays with tau_m from its arrival (t_spike + delay); I_e charges
    V towards E_L + I_e tau_m / C_m."""
    y = I_e * TAU / C * (1.0 - np.exp(-t / TAU))
    for ts, w in zip(times, weights):
        y = y + np.where(t >= ts + delay - 1e-9, w * np.exp(-(t - ts - delay) / TAU), 0.0)
    return E_L + y


@pytest.mark.parametrize("differentiable", [False, True])
def test_leaky_integrator_is_an_exact_exponential_filter(x64, differentiable):
    net, li = driven(I_e=150.0)
    mm = net.create("multimeter", params={"interval": 0.1, "record_from": ["V_m"]})
    sr = net.create("spike_recorder")
    net.connect(mm, li)
    net.connect(li, sr)
    sim = jaxsnn.simulate(net.build(differentiable=differentiable), 12.0)
    ev = sim.events(mm)
    t, V = ev.times.to_numpy(), ev.V_m.to_numpy()
    assert len(t) == 120
    np.testing.assert_allclose(V, analytic(t, I_e=150.0), rtol=0, atol=1e-12)
    assert len(sim.events(sr)) == 0  # never spikes, however high V goes
    assert V.max() > E_L + 4.0


def test_leaky_integrator_gradients_agree_with_finite_differences(x64):
    net, li = driven(I_e=80.0)
    sim = net.build(differentiable=True)
    n = 100  # 10 ms

    def loss(p, weights):  # a smooth function of the whole trace: the sum of V_m^2 over time
        p = p.with_generator("spike_generator", weight=weights)  # per spike: connection × spike weight
        _, V = jaxsnn.scan(sim.model, p, sim.state, n // sim.spec.time.slice_steps,
                           observe=lambda s: s.neurons["leaky_integrator"]["V_rel"])
        return jnp.sum((V + p.neurons["leaky_integrator"]["E_L"]) ** 2)

    p0, w0 = sim.params, sim.params.generators["spike_generator"]["weight"]
    g_p, g_w = jax.grad(loss, argnums=(0, 1))(p0, w0)
    for name, eps in (("tau_m", 1e-4), ("C_m", 1e-3), ("I_e", 1e-4), ("E_L", 1e-5)):
        def at(d, name=name):
            v = p0.neurons["leaky_integrator"][name] + d
            return loss(p0.replace(neurons=p0.neurons.updated("leaky_integrator", **{name: v})), w0)
        fd = (at(eps) - at(-eps)) / (2 * eps)
        ad = float(g_p.neurons["leaky_integrator"][name][0])
        assert abs(ad) > 1e-6, name
        np.testing.assert_allclose(ad, float(fd), rtol=1e-6, err_msg=name)
    assert w0.shape == (4,)  # one weight per spike: the directional derivative along d
    d, eps = jnp.array([1.0, -2.0, 0.5, 3.0]), 1e-5
    fd = (loss(p0, w0 + eps * d) - loss(p0, w0 - eps * d)) / (2 * eps)
    np.testing.assert_allclose(float(g_w @ d), float(fd), rtol=1e-6)


def test_weight_gradient_is_the_analytic_kernel(x64):
    """d V(t) / d w = exp(−(t − t_arrival)/tau_m): one spike at 1 ms, arriving at 2 ms, V read at 6 ms."""
    net, li = driven(times=(1.0,), weights=(1.0,))
    sim = net.build(differentiable=True)

    def V(w):
        return jaxsnn.advance(sim.model, sim.params.with_generator("spike_generator", weight=w), sim.state, 60
                              ).neurons["leaky_integrator"]["V_rel"][0]

    g = jax.grad(V)(sim.params.generators["spike_generator"]["weight"])
    np.testing.assert_allclose(float(g[0]), math.exp(-(6.0 - 2.0) / TAU), rtol=1e-12)


def test_leaky_integrator_refuses_bad_parameters():
    net = jaxsnn.Network()
    with pytest.raises(jaxsnn.JaxsnnError, match=r"tau_m.*-1.*tau_m > 0"):
        net.create("leaky_integrator", 1, params={"tau_m": -1.0})
    with pytest.raises(jaxsnn.JaxsnnError, match=r"C_m.*nan"):
        net.create("leaky_integrator", 1, params={"C_m": float("nan")})
