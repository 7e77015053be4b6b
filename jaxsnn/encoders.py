"""Encoders: features in [0, 1] as per-step spike input (:class:`jaxsnn.Inputs` ``spikes``).

Each returns an array [n_steps, n_features]; :func:`place` puts it on the neurons that receive it
(state indices from :meth:`jaxsnn.Simulation.index`), scaled by a weight (mV, pA or a count), giving
the [n_steps, n_neurons] array that :func:`jaxsnn.scan` takes:

    x = encoders.latency(pixels, n_steps)                             # one spike per feature
    inputs = jaxsnn.Inputs(spikes=encoders.place(x, sim.index(inp), sim.spec.n_neurons, weight=1.0))
    _, V = jaxsnn.scan(sim.model, sim.params, sim.state, n_steps, observe=obs.V_rel, inputs=inputs)

All are pure JAX: they jit and vmap over a batch of samples.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def rate(x, n_steps: int, h: float, max_rate: float, key):
    """Poisson spike counts per step, feature i at ``x[i] × max_rate`` Hz (step ``h`` ms)."""
    return jax.random.poisson(key, jnp.asarray(x) * (max_rate * h * 1e-3), (n_steps,) + jnp.shape(x)).astype(
        jnp.result_type(float))


def latency(x, n_steps: int, threshold: float = 0.0):
    """One spike per feature, the earlier the larger: at step ``round((1 − x) (n_steps − 1))``; none where
    ``x <= threshold``."""
    x = jnp.asarray(x)
    when = jnp.round((1.0 - jnp.clip(x, 0.0, 1.0)) * (n_steps - 1)).astype(jnp.int32)
    hit = (jnp.arange(n_steps)[:, None] == when[None, :]) & (x > threshold)[None, :]
    return hit.astype(jnp.result_type(float))


def place(x, index, n_neurons: int, weight=1.0):
    """[n_steps, n_neurons] with ``weight × x[:, i]`` at neuron ``index[i]`` and 0 elsewhere."""
    x = jnp.asarray(x)
    return jnp.zeros((x.shape[0], n_neurons), x.dtype).at[:, jnp.asarray(index)].set(weight * x)
