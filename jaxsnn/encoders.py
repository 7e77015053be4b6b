"""Encoders: features in [0, 1] as per-step spike input (:class:`jaxsnn.Inputs` ``spikes``).

Each returns an array [n_steps, n_features]; :func:`place` puts it on the neurons that receive it
(state indices from :meth:`jaxsnn.Simulation.index`), scaled by a weight (mV, pA or a count), giving
the [n_steps, n_neurons] array that :func:`jaxsnn.scan` takes:

    x = encoders.latency(pixels, n_steps)                             # one spike per feature
    inputs = jaxsnn.Inputs(spikes=encoders.place(x, sim.index(inp), sim.spec.sizes.n_neurons, weight=1.0))
    _, V = jaxsnn.scan(sim.model, sim.params, sim.state, n_steps, observe=obs.by_neuron(sim.spec, "V_rel"),
                       inputs=inputs)

All are pure JAX: they jit and vmap over a batch of samples.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def rate(x, n_steps: int, h: float, max_rate: float, key, terms: int = 16):
    """Poisson spike counts per step [n_steps, features], feature i at ``x[i] × max_rate`` Hz (step ``h``
    ms), drawn by the inverse CDF of the first ``terms`` terms (one uniform per count: vectorised, where
    ``jax.random.poisson``'s rejection loop is slow under ``vmap``; counts of ``terms`` or more in one step
    are ``terms`` − 1, negligible below a mean of a few per step)."""
    dtype = jnp.result_type(float)
    mu = jnp.asarray(x, dtype) * (max_rate * h * 1e-3)
    k = jnp.arange(terms, dtype=dtype)[:, None]
    log_p = k * jnp.log(jnp.maximum(mu, 1e-30)) - mu - jax.scipy.special.gammaln(k + 1)
    cdf = jnp.cumsum(jnp.exp(log_p), axis=0)  # [terms, features]
    u = jax.random.uniform(key, (n_steps,) + mu.shape, dtype)
    return jnp.sum(u[:, None] > cdf[None], axis=1).astype(dtype)


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
    try:
        idx = np.asarray(index)
    except (TypeError, jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
        idx = None  # traced indices: a scatter
    if idx is not None and idx.ndim == 1 and idx.size and np.array_equal(idx, idx[0] + np.arange(idx.size)) \
            and 0 <= idx[0] and idx[-1] < n_neurons and x.shape[-1] == idx.size:
        # one population (sim.index of one create): a pad, not a scatter (under jax.vmap a batched
        # scatter, an element-by-element loop on CPU)
        return jnp.pad((weight * x).astype(x.dtype), ((0, 0), (int(idx[0]), n_neurons - int(idx[-1]) - 1)))
    return jnp.zeros((x.shape[0], n_neurons), x.dtype).at[:, jnp.asarray(index)].set(weight * x)
