"""Arrays made on the host and put on the device.

``jnp.asarray(numpy_array)`` and ``jnp.zeros(shape)`` each run a small XLA program, compiled once per
shape and dtype in every fresh process (or read from the persistent cache): a few tens of ms each,
most of the build of a small network. ``jax.device_put`` of a numpy array compiles nothing, so the
build makes its arrays with numpy and puts them on the device with :func:`put`.
"""
from __future__ import annotations

import jax
import numpy as np


def put(a, dtype=None) -> jax.Array:
    """``a`` (array-like) converted on the host to ``dtype`` and put on the default device."""
    return jax.device_put(np.asarray(a, dtype))


def filled(shape, dtype, value=0) -> jax.Array:
    """An array of ``shape`` and ``dtype`` holding ``value`` everywhere, on the default device."""
    return jax.device_put(np.full(shape, value, dtype))
