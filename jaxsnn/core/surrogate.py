"""The spike threshold as a Heaviside step with a surrogate gradient.

Forward: ``spike(x) = 1.0 if x >= 0 else 0.0`` (x = V − V_th, so a neuron exactly at threshold fires,
as in NEST). Backward: the derivative of a fast sigmoid, ``1 / (1 + β|x|)²`` (SuperSpike, Zenke &
Ganguli 2018) with ``β`` = :data:`BETA` per mV, so that gradients flow through threshold crossings.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

BETA = 1.0  # 1/mV, steepness of the surrogate


@jax.custom_jvp
def spike(x):
    return (x >= 0).astype(x.dtype)


@spike.defjvp
def _spike_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return spike(x), dx / (1.0 + BETA * jnp.abs(x)) ** 2
