"""Losses for training on spikes and membrane potentials (pure JAX; batch with ``jax.vmap``).

- :func:`cross_entropy`: softmax cross-entropy of logits (e.g. :func:`jaxsnn.observables.V_max` of the
  readouts, in mV) against an integer label.
- :func:`spike_count_cross_entropy`: the same with each readout's spike count as its logit.
- :func:`van_rossum`: the van Rossum distance between spike trains: the L² distance of the trains
  filtered with exp(−t/τ), normalised so that D² = 1 − e^{−Δ/τ} for two single spikes Δ apart (and 1/2
  between one spike and none): D² = (1/τ) ∫ (f − g)² dt, by the rectangle rule on the steps.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .observables import steps, trace


def cross_entropy(logits, label):
    """−log softmax(logits)[label] (nats) for logits [..., classes] and an integer label [...]."""
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(logp, jnp.asarray(label)[..., None], axis=-1)[..., 0]


def spike_count_cross_entropy(spikes, label):
    """:func:`cross_entropy` with the readouts' spike counts as logits; ``spikes`` per step [steps,
    classes] (or per slice [slices, slice_steps, classes], from ``observe=observables.spikes``)."""
    s = spikes if spikes.ndim == 2 else steps(spikes)
    return cross_entropy(jnp.sum(s, axis=0), label)


def van_rossum(spikes_a, spikes_b, tau: float, h: float):
    """Van Rossum distance D (dimensionless) per neuron between spike trains ``[steps, neurons]`` (or per
    slice) of step ``h`` ms with time constant ``tau`` ms: sqrt((h/τ) Σ_k (x_k − y_k)²), x, y the trains
    filtered by :func:`jaxsnn.observables.trace`."""
    d = trace(spikes_a, tau, h) - trace(spikes_b, tau, h)
    return jnp.sqrt(h / tau * jnp.sum(d * d, axis=0))
