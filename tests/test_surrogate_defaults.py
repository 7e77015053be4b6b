"""Each spiking model's default surrogate gives gradients that agree with finite differences on a
recurrent E/I network (docs/gradients.md, "Defaults per model"): d(mean rate)/dθ for θ = I_e, V_th,
tau_m and a common weight factor J, AD of the differentiable build against central differences of the
event-driven build with common random numbers over 8 seeds; the seed mean has FD's sign and lies
within a factor 2 of it, and the sign is right on at least 75 % of single seeds."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsnn

PSP = {"iaf_psc_delta": 1.0, "iaf_psc_exp": 150.0, "iaf_psc_alpha": 80.0}  # weight of a ~1 mV PSP
HALF_STEPS = np.array([20.0, 0.5, 0.5, 0.05])  # I_e (pA), V_th (mV), tau_m (ms), J (relative)


def ei_network(model, n_e=100, n_i=25, g=5.0):
    net = jaxsnn.Network(seed=1)
    pop = net.create(model, n_e + n_i, params={"V_m": jaxsnn.random.uniform(-70.0, -56.0)})
    e, i = pop[:n_e], pop[n_e:]
    pg = net.create("poisson_generator", params={"rate": 2500.0})
    w = 0.5 * PSP[model]
    net.connect(e, pop, {"rule": "fixed_indegree", "indegree": n_e // 10}, {"weight": w, "delay": 1.0})
    net.connect(i, pop, {"rule": "fixed_indegree", "indegree": n_i // 10}, {"weight": -g * w, "delay": 1.0})
    net.connect(pg, pop, syn_spec={"weight": PSP[model]})
    return net


def rate_fn(sim, n_steps=1000):
    w0 = sim.state.weights

    def rate(th, key):
        nrn = sim.params.neurons
        nrn = nrn.replace(I_e=nrn.I_e + th[0], V_th=nrn.V_th + th[1], tau_m=nrn.tau_m + th[2])
        st = sim.state.with_weights(w0 * (1.0 + th[3])).replace(key=key)
        _, counts = jaxsnn.scan(sim.model, sim.params.replace(neurons=nrn), st, n_steps // sim.spec.slice_steps,
                                observe=lambda s: s.spikes.sum())
        return counts.sum() / (sim.spec.n_neurons * n_steps * sim.spec.resolution * 1e-3)
    return rate


@pytest.mark.slow  # a differentiable and an event-driven E/I network over 8 seeds (minutes)
@pytest.mark.parametrize("model", ["iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha"])
def test_default_gradients_agree_with_finite_differences_on_ei_networks(x64, model):
    net = ei_network(model)
    keys = jax.vmap(jaxsnn.simulation_key)(jnp.arange(1, 9))
    ev = net.build(slice_capacity=1000)
    f = jax.jit(jax.vmap(jax.vmap(rate_fn(ev), in_axes=(None, 0)), in_axes=(0, None)))
    steps = np.diag(HALF_STEPS)
    r = np.asarray(f(jnp.asarray(np.concatenate([steps, -steps])), keys))
    fd = (r[:4] - r[4:]) / (2 * HALF_STEPS[:, None])  # [parameter, seed]
    sim = net.build(differentiable=True, slice_capacity=1000)  # the model's default surrogate and reset
    ad = np.asarray(jax.jit(jax.vmap(jax.grad(rate_fn(sim)), in_axes=(None, 0)))(jnp.zeros(4), keys)).T
    for k, name in enumerate(("I_e", "V_th", "tau_m", "J")):
        ratio = ad[k].mean() / fd[k].mean()
        signs = np.mean(np.sign(ad[k]) == np.sign(fd[k].mean()))
        assert 0.5 <= ratio <= 2.0 and signs >= 0.75, (name, ratio, signs)
