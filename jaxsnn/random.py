"""Random parameters for neurons and connections, in NEST's vocabulary (``nest.random.*``).

A distribution is a small immutable description; :meth:`Distribution.sample` draws from an explicit
JAX key. When a :class:`~jaxsnn.Network` draws a parameter it derives the key from its seed and the
number of the ``create``/``connect`` call (or uses the ``key`` given to that call), so a script gives
the same network on every run, on any device count.

Unlike NEST, the draws do not depend on the number of threads, and a distribution object carries no
hidden state (NEST's ``normal`` caches the second value of each polar-method pair).
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .errors import bad_value


@dataclasses.dataclass(frozen=True)
class Distribution:
    """Base class: ``sample(key, n, dtype) -> np.ndarray`` of ``n`` draws."""

    def sample(self, key, n: int) -> np.ndarray:
        """``n`` draws in JAX's default float precision (float64 when x64 is enabled)."""
        return np.asarray(self._draw(key, (n,), jnp.zeros(0).dtype))


@dataclasses.dataclass(frozen=True)
class normal(Distribution):
    """Normal distribution with ``mean`` and standard deviation ``std`` (``std`` ≥ 0)."""

    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self):
        if not self.std >= 0:
            raise bad_value("normal: std", self.std, "a standard deviation >= 0")

    def _draw(self, key, shape, dtype):
        return self.mean + self.std * jax.random.normal(key, shape, dtype)


@dataclasses.dataclass(frozen=True)
class uniform(Distribution):
    """Uniform distribution on [``min``, ``max``)."""

    min: float = 0.0
    max: float = 1.0

    def __post_init__(self):
        if not self.max >= self.min:
            raise bad_value("uniform: max", self.max, f"max >= min (= {self.min})")

    def _draw(self, key, shape, dtype):
        return jax.random.uniform(key, shape, dtype, self.min, self.max)


@dataclasses.dataclass(frozen=True)
class lognormal(Distribution):
    """exp(X) with X normal: ``mean`` and ``std`` are those of the underlying normal (as in NEST)."""

    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self):
        if not self.std >= 0:
            raise bad_value("lognormal: std", self.std, "a standard deviation >= 0")

    def _draw(self, key, shape, dtype):
        return jnp.exp(self.mean + self.std * jax.random.normal(key, shape, dtype))


@dataclasses.dataclass(frozen=True)
class exponential(Distribution):
    """Exponential distribution with scale ``beta`` (mean ``beta``, > 0)."""

    beta: float = 1.0

    def __post_init__(self):
        if not self.beta > 0:
            raise bad_value("exponential: beta", self.beta, "a scale > 0")

    def _draw(self, key, shape, dtype):
        return self.beta * jax.random.exponential(key, shape, dtype)


def resolve(value, n: int, name: str, key) -> np.ndarray:
    """A scalar, an array of length ``n`` or a :class:`Distribution`, as a NEW array of length ``n``
    (never the caller's array: changing that afterwards must not change the network).

    An array of another length is an error: NEST silently truncates a longer one.
    """
    if isinstance(value, Distribution):
        return value.sample(key, n)
    arr = np.array(value, copy=True)
    if arr.ndim == 0:
        return np.full(n, arr)
    if arr.shape != (n,):
        raise bad_value(name, f"<array of shape {arr.shape}>", f"a scalar, a distribution or an array of length {n}")
    return arr
