"""The recurrent E/I networks on which the spiking models' default surrogates were chosen, and the
rate function whose derivatives are compared with finite differences (``benchmarks/surrogate_choice.py
--ei`` measures, ``tests/test_surrogate_defaults.py`` checks; ``docs/gradients.md``, "Defaults per
model").

Network: ``n_e + n_i`` neurons of one model, V_m uniform in [−70, −56] mV, fixed in-degrees of 10 %
of the E and of the I population, E weights of 0.5 mV PSPs, I weights −g times as large, 1 ms delays,
an independent Poisson drive of 2.5 kHz × ~1 mV PSPs per neuron.

Rate function: the mean rate (Hz) over ``n_steps`` as a function of θ = (shift of I_e in pA, of V_th
in mV, of tau_m in ms, relative change J of every weight) and the simulation key, so that one
compiled program gives all four derivatives (``jax.grad``) or all four finite differences.
"""
from __future__ import annotations

import jaxsnn

from ..models import iaf_psc_alpha, iaf_psc_delta, iaf_psc_exp, poisson_generator

# weight of a ~1 mV PSP, per model
PSP = {iaf_psc_delta.MODEL.name: 1.0, iaf_psc_exp.MODEL.name: 150.0, iaf_psc_alpha.MODEL.name: 80.0}
HALF_STEPS = {"I_e": 20.0, "V_th": 0.5, "tau_m": 0.5, "J": 0.05}  # FD half-steps: pA, mV, ms, relative


def ei_network(model: str, n_e: int = 100, n_i: int = 25, g: float = 5.0, seed: int = 1):
    """A recurrent E/I network of ``model`` (one of :data:`PSP`), as the module docstring says."""
    if model not in PSP:
        raise jaxsnn.JaxsnnError(f"ei_network: model={model!r} is not allowed: one of {', '.join(PSP)}.")
    net = jaxsnn.Network(seed=seed)
    pop = net.create(model, n_e + n_i, params={"V_m": jaxsnn.random.uniform(-70.0, -56.0)})
    e, i = pop[:n_e], pop[n_e:]
    pg = net.create(poisson_generator.MODEL.name, params={"rate": 2500.0})
    w = 0.5 * PSP[model]
    net.connect(e, pop, {"rule": "fixed_indegree", "indegree": n_e // 10}, {"weight": w, "delay": 1.0})
    net.connect(i, pop, {"rule": "fixed_indegree", "indegree": n_i // 10}, {"weight": -g * w, "delay": 1.0})
    net.connect(pg, pop, syn_spec={"weight": PSP[model]})
    return net


def ei_rate_fn(sim, n_steps: int = 1000):
    """``rate(θ, key)``: the mean rate (Hz) of ``sim``'s neurons (one model) over ``n_steps`` steps, with
    I_e, V_th and tau_m shifted by θ[0:3] and every weight multiplied by 1 + θ[3]."""
    (model,) = {m.name for m in sim.spec.models.neuron_models}
    w0 = sim.state.weights

    def rate(th, key):
        p = sim.params.neurons.models[model]
        nrn = sim.params.neurons.updated(model, I_e=p["I_e"] + th[0], V_th=p["V_th"] + th[1],
                                         tau_m=p["tau_m"] + th[2])
        st = sim.state.with_weights(w0 * (1.0 + th[3])).replace(key=key)
        _, counts = jaxsnn.scan(sim.model, sim.params.replace(neurons=nrn), st, n_steps // sim.spec.time.slice_steps,
                                observe=lambda s: s.spikes.sum())
        return counts.sum() / (sim.spec.sizes.n_neurons * n_steps * sim.spec.time.resolution * 1e-3)

    return rate
