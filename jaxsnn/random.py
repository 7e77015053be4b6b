"""Random parameters for neurons and connections, in NEST's vocabulary (``nest.random.*``).

A distribution is a small immutable description and a :class:`~jaxsnn.parameters.Parameter` (it
combines with numbers, other Parameters and :mod:`jaxsnn.math` into expressions);
:meth:`Distribution.sample` draws from an explicit JAX key. When a :class:`~jaxsnn.Network` draws a
parameter it derives the key from its seed and the number of the ``create``/``connect`` call (or uses
the ``key`` given to that call), so a script gives the same network on every run, on any device count.

Unlike NEST, the draws do not depend on the number of threads, and a distribution object carries no
hidden state (NEST's ``normal`` caches the second value of each polar-method pair).
"""
from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from .core import threefry
from .errors import JaxsnnError, bad_value
from .parameters import Context, Parameter

__all__ = ["Distribution", "exponential", "lognormal", "normal", "uniform", "uniform_int"]


@dataclasses.dataclass(frozen=True, eq=False)
class Distribution(Parameter):
    """Base class of the random leaves: ``n`` draws from one key, in JAX's default float precision
    (float64 when x64 is enabled), returned as float64."""

    def _eval(self, ctx: Context, key):
        if key is None:
            raise JaxsnnError(f"{ctx.where}: {self!r} needs a random key")
        return in_blocks(self._draw, key, (ctx.n,), jnp.zeros(0).dtype)


@dataclasses.dataclass(frozen=True, eq=False)
class normal(Distribution):
    """Normal distribution with ``mean`` and standard deviation ``std`` (``std`` ≥ 0)."""

    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self):
        if not self.std >= 0:
            raise bad_value("normal: std", self.std, "a standard deviation >= 0")

    def _draw(self, key, shape, dtype):
        return self.mean + self.std * jax.random.normal(key, shape, dtype)


@dataclasses.dataclass(frozen=True, eq=False)
class uniform(Distribution):
    """Uniform distribution on [``min``, ``max``)."""

    min: float = 0.0
    max: float = 1.0

    def __post_init__(self):
        if not self.max >= self.min:
            raise bad_value("uniform: max", self.max, f"max >= min (= {self.min})")

    def _draw(self, key, shape, dtype):
        return jax.random.uniform(key, shape, dtype, self.min, self.max)


@dataclasses.dataclass(frozen=True, eq=False)
class lognormal(Distribution):
    """exp(X) with X normal: ``mean`` and ``std`` are those of the underlying normal (as in NEST)."""

    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self):
        if not self.std >= 0:
            raise bad_value("lognormal: std", self.std, "a standard deviation >= 0")

    def _draw(self, key, shape, dtype):
        return jnp.exp(self.mean + self.std * jax.random.normal(key, shape, dtype))


@dataclasses.dataclass(frozen=True, eq=False)
class exponential(Distribution):
    """Exponential distribution with scale ``beta`` (mean ``beta``, > 0)."""

    beta: float = 1.0

    def __post_init__(self):
        if not self.beta > 0:
            raise bad_value("exponential: beta", self.beta, "a scale > 0")

    def _draw(self, key, shape, dtype):
        return self.beta * jax.random.exponential(key, shape, dtype)


@dataclasses.dataclass(frozen=True, eq=False)
class uniform_int(Distribution):
    """Whole numbers 0 … ``max`` − 1, each equally likely (NEST's ``uniform_int``; ``max`` ≥ 1)."""

    max: int = 1

    def __post_init__(self):
        if isinstance(self.max, bool) or not isinstance(self.max, (int, np.integer)) or self.max < 1:
            raise bad_value("uniform_int: max", self.max, "a whole number >= 1")

    def _draw(self, key, shape, dtype):
        return jax.random.randint(key, shape, 0, int(self.max)).astype(dtype)


BLOCK = 2**16  # values per compiled draw
BLOCK_STREAM = 0x0B10C  # folded into a key for the keys of a long draw's blocks after the first


_HOST = {jax.random.randint: threefry.randint, jax.random.uniform: threefry.uniform}  # the same bits on the host


def in_blocks(draw, key, shape: tuple, *args) -> np.ndarray:
    """``draw(key, shape, *args)`` (a ``jax.random`` function, or one applying elementwise operations to one)
    as a NumPy array, made of draws of :data:`BLOCK` values, so that every size uses one compiled program
    (JAX compiles a random function once per shape: a network's construction compiled once per ``connect``).

    The first block is the draw from ``key`` itself: with ``jax_threefry_partitionable`` (JAX's default)
    element i of a draw depends on the key and on i only, so a draw of up to :data:`BLOCK` values has the bits
    of ``draw(key, shape)``. Block c > 0 is drawn from ``fold_in(fold_in(key, BLOCK_STREAM), c)``. Without
    that flag the draw is made at ``shape`` itself. A draw of one block by ``jax.random.randint`` or
    ``uniform`` is computed on the host (:mod:`jaxsnn.core.threefry`: the same bits, nothing compiled); larger
    draws run JAX's program, faster per value."""
    n = math.prod(shape)
    if not jax.config.jax_threefry_partitionable or n == 0:
        return np.asarray(draw(key, shape, *args))
    blocks = -(-n // BLOCK)
    host = _HOST.get(draw)
    if blocks == 1 and host is not None and threefry.host_key(key) is not None:
        # the first n values of the block, computed with NumPy: no program to compile in a fresh process
        return np.asarray(host(key, (n,), *args)).reshape(shape)
    first = np.asarray(draw(key, (BLOCK,), *args))
    if blocks == 1:
        return first[:n].reshape(shape)
    out = np.empty(blocks * BLOCK, first.dtype)
    out[:BLOCK] = first
    stream = threefry.fold_in_key(key, BLOCK_STREAM)
    for c in range(1, blocks):
        out[c * BLOCK:(c + 1) * BLOCK] = np.asarray(draw(threefry.fold_in_key(stream, c), (BLOCK,), *args))
    return out[:n].reshape(shape)


def resolve(value, n: int, name: str, key) -> np.ndarray:
    """A scalar, an array of length ``n`` or a :class:`~jaxsnn.parameters.Parameter`, as a NEW array of length ``n``
    (never the caller's array: changing that afterwards must not change the network).

    An array of another length is an error: NEST silently truncates a longer one.
    """
    if isinstance(value, Parameter):
        return value.sample(key, n)
    arr = np.array(value, copy=True)
    if arr.ndim == 0:
        return np.full(n, arr)
    if arr.shape != (n,):
        raise bad_value(name, f"<array of shape {arr.shape}>", f"a scalar, a distribution or an array of length {n}")
    return arr
