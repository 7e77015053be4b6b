"""Random parameters for neurons and connections, in NEST's vocabulary (``nest.random.*``).

A distribution is a small immutable description and a :class:`~jaxsnn.parameters.Parameter` (it
combines with numbers, other Parameters and :mod:`jaxsnn.math` into expressions);
:meth:`~jaxsnn.parameters.Parameter.sample` draws from an explicit JAX key. When a :class:`~jaxsnn.Network`
draws a parameter it derives the key from its seed and the number of the ``create``/``connect`` call (or
uses the ``key`` given to that call), so a script gives the same network on every run, on any device count.

**How values are drawn.** Every draw is computed on the host with NumPy from JAX's threefry random bits
(:mod:`jaxsnn.core.threefry`): no XLA program is compiled or run while a network is built. A draw of ``n``
values is made of blocks of :data:`BLOCK` values: block 0 is drawn from the key itself, block c > 0 from
``fold_in(fold_in(key, BLOCK_STREAM), c)``, so the first values of a draw do not depend on its length.

===============  ======================================================================================
``uniform``      ``jax.random.uniform(key, (BLOCK,), dtype, min, max)``'s values, bit for bit (float32,
                 or float64 with x64; ``min + (max - min) * u`` with one rounding, as XLA's fused
                 multiply-add)
``uniform_int``  ``jax.random.randint(key, (BLOCK,), 0, max)``'s values, bit for bit
``normal``       ``mean + std * Φ⁻¹(p)``, ``p = (k + ½)·2⁻⁵²`` with ``k`` the top 52 of JAX's 64 random
                 bits of the value (``jax.random.bits(key, shape, uint64)``); Φ⁻¹ by Wichura's algorithm
                 AS 241 (1988), relative error about 1e-16; |values − mean| ≤ 8.2 std
``lognormal``    ``exp(mean + std * Φ⁻¹(p))``, p as for ``normal``
``exponential``  ``−beta · log(1 − k·2⁻⁵²)`` (a uniform value in (0, 1]); values ≤ 36.04 beta
===============  ======================================================================================

``normal``, ``lognormal`` and ``exponential`` are computed in float64 and, unless x64 is enabled, rounded
once to float32 (JAX's default precision, in which the network holds them), so float32 and float64
networks get the same draws to float32's precision. They are NOT the values of ``jax.random.normal``,
``lognormal`` or ``exponential`` (which earlier versions used): XLA's erf_inv cannot be reproduced bit for
bit on the host (the compiler fuses its multiply-adds), so a network with these distributions differs
from one built before, with the same statistics. They depend only on the key, not on the device or the
number of processes (NumPy's ``log``/``exp``/``sqrt``; another C library may differ in the last bit).
For keys the host cannot read (another PRNG implementation, ``jax_threefry_partitionable`` off), the same
values come from JAX's own bits at the draw's shape.

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
    """Base class of the random leaves: ``n`` values from one key, in JAX's default float precision (module
    docstring)."""

    def _eval(self, ctx: Context, key):
        if key is None:
            raise JaxsnnError(f"{ctx.where}: {self!r} needs a random key")
        return self._values(key, ctx)


@dataclasses.dataclass(frozen=True, eq=False)
class _FromBits(Distribution):
    """A distribution computed from 64 random bits per value by ``_transform`` (uint64 → float64)."""

    def _values(self, key, ctx):
        out = draw_for(threefry.Bits64(self._transform), key, ctx)
        if out is None:  # a key the host cannot read: JAX's bits of the same key at the draw's shape
            size = ctx.n if ctx.size is None else ctx.size
            with jax.enable_x64(True):
                out = self._transform(np.asarray(jax.random.bits(key, (size,), jnp.uint64)))
            out = out if ctx.index is None else out[ctx.index]
        return out if jax.config.jax_enable_x64 else out.astype(np.float32)  # float32 draws are held as such


@dataclasses.dataclass(frozen=True, eq=False)
class normal(_FromBits):
    """Normal distribution with ``mean`` and standard deviation ``std`` (``std`` ≥ 0)."""

    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self):
        if not self.std >= 0:
            raise bad_value("normal: std", self.std, "a standard deviation >= 0")

    def _transform(self, bits):
        return self.mean + self.std * std_normal(bits)


@dataclasses.dataclass(frozen=True, eq=False)
class uniform(Distribution):
    """Uniform distribution on [``min``, ``max``)."""

    min: float = 0.0
    max: float = 1.0

    def __post_init__(self):
        if not self.max >= self.min:
            raise bad_value("uniform: max", self.max, f"max >= min (= {self.min})")

    def _values(self, key, ctx):
        return draw_for(jax.random.uniform, key, ctx, jax.dtypes.canonicalize_dtype(float), self.min, self.max)


@dataclasses.dataclass(frozen=True, eq=False)
class lognormal(_FromBits):
    """exp(X) with X normal: ``mean`` and ``std`` are those of the underlying normal (as in NEST)."""

    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self):
        if not self.std >= 0:
            raise bad_value("lognormal: std", self.std, "a standard deviation >= 0")

    def _transform(self, bits):
        return np.exp(self.mean + self.std * std_normal(bits))


@dataclasses.dataclass(frozen=True, eq=False)
class exponential(_FromBits):
    """Exponential distribution with scale ``beta`` (mean ``beta``, > 0)."""

    beta: float = 1.0

    def __post_init__(self):
        if not self.beta > 0:
            raise bad_value("exponential: beta", self.beta, "a scale > 0")

    def _transform(self, bits):
        u = 1.0 - (bits >> np.uint64(12)).astype(np.float64) * 2.0**-52  # exact, in (0, 1]
        return self.beta * -np.log(u)


@dataclasses.dataclass(frozen=True, eq=False)
class uniform_int(Distribution):
    """Whole numbers 0 … ``max`` − 1, each equally likely (NEST's ``uniform_int``; ``max`` ≥ 1)."""

    max: int = 1

    def __post_init__(self):
        if isinstance(self.max, bool) or not isinstance(self.max, (int, np.integer)) or self.max < 1:
            raise bad_value("uniform_int: max", self.max, "a whole number >= 1")

    def _values(self, key, ctx):
        return np.asarray(draw_for(jax.random.randint, key, ctx, 0, int(self.max)), np.float64)


# ------------------------------------------------------------------------------ the standard normal
# Wichura, M. J. (1988). Algorithm AS 241: The percentage points of the normal distribution. Applied
# Statistics 37(3), 477-484: PPND16, rational approximations of Φ⁻¹ in three ranges (coefficients as
# published, highest degree first for Horner's scheme).
_AS241 = {
    "a": (2509.0809287301226727, 33430.575583588128105, 67265.770927008700853, 45921.953931549871457,
          13731.693765509461125, 1971.5909503065514427, 133.14166789178437745, 3.3871328727963666080),
    "b": (5226.4952788528545610, 28729.085735721942674, 39307.895800092710610, 21213.794301586595867,
          5394.1960214247511077, 687.18700749205790830, 42.313330701600911252, 1.0),
    "c": (7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1,
          1.27045825245236838258, 3.64784832476320460504, 5.76949722146069140550, 4.63033784615654529590,
          1.42343711074968357734),
    "d": (1.05075007164441684324e-9, 5.47593808499534494600e-4, 1.51986665636164571966e-2,
          1.48103976427480074590e-1, 6.89767334985100004550e-1, 1.67638483018380384940,
          2.05319162663775882187, 1.0),
    "e": (2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3,
          2.65321895265761230930e-2, 2.96560571828504891230e-1, 1.78482653991729133580,
          5.46378491116411436990, 6.65790464350110377720),
    "f": (2.04426310338993978564e-15, 1.42151175831644588870e-7, 1.84631831751005468180e-5,
          7.86869131145613259100e-4, 1.48753612908506148525e-2, 1.36929880922735805310e-1,
          5.99832206555887937690e-1, 1.0),
}


def _horner(coef, x):
    y = x * coef[0]
    y += coef[1]
    for c in coef[2:]:
        y *= x
        y += c
    return y


def ndtri(p) -> np.ndarray:
    """Φ⁻¹(p), the standard normal quantile, for float64 ``p`` in (0, 1) (AS 241; relative error ~1e-16)."""
    p = np.asarray(p, np.float64)
    q = p - 0.5
    r = q * q
    np.subtract(0.180625, r, out=r)
    out = _horner(_AS241["a"], r)  # |q| <= 0.425: 85 % of the values
    out *= q
    out /= _horner(_AS241["b"], r)
    tail = np.flatnonzero(np.abs(q) > 0.425)
    if len(tail):
        pt = p.ravel()[tail]
        low = pt < 0.5
        r = np.sqrt(-np.log(np.where(low, pt, 1.0 - pt)))
        near = r - 1.6
        val = _horner(_AS241["c"], near) / _horner(_AS241["d"], near)
        far = np.flatnonzero(r > 5.0)  # p or 1 - p below exp(-25): almost never
        if len(far):
            x = r[far] - 5.0
            val[far] = _horner(_AS241["e"], x) / _horner(_AS241["f"], x)
        np.negative(val, out=val, where=low)
        out.ravel()[tail] = val
    return out


def std_normal(bits) -> np.ndarray:
    """Standard normal values from 64 random bits each: Φ⁻¹((k + ½)·2⁻⁵²), k = bits >> 12. The
    probabilities are symmetric about ½ (k ↔ 2⁵² − 1 − k gives −z), so the values are symmetric exactly."""
    p = (np.asarray(bits, np.uint64) >> np.uint64(12)).astype(np.float64)
    p += 0.5
    p *= 2.0**-52
    return ndtri(p)


BLOCK = 2**16  # values per block of a draw
BLOCK_STREAM = 0x0B10C  # folded into a key for the keys of a long draw's blocks after the first


def _kernel(draw, args):
    """The host kernel (:mod:`jaxsnn.core.threefry`) giving the values of ``draw(key, shape, *args)``, or None."""
    if isinstance(draw, (threefry.RandInt, threefry.Uniform, threefry.Bits64)):
        return draw
    if draw is jax.random.randint:
        minval, maxval, *dtype = args
        if threefry.randint_on_host(minval, maxval, *dtype):
            return threefry.RandInt(minval, maxval, *dtype)
    elif draw is jax.random.uniform:
        dtype, minval, maxval = (*args, *(float, 0.0, 1.0)[len(args):])[:3]  # uniform(key, shape, dtype, min, max)
        dt = np.dtype(jax.dtypes.canonicalize_dtype(dtype))
        scalars = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in (minval, maxval))
        if dt in (np.dtype(np.float32), np.dtype(np.float64)) and scalars:
            return threefry.Uniform(minval, maxval, dt)
    return None


def in_blocks(draw, key, shape: tuple, *args) -> np.ndarray | None:
    """``draw(key, shape, *args)`` as a NumPy array of blocks of :data:`BLOCK` values (module docstring).

    ``draw``: ``jax.random.randint`` or ``jax.random.uniform`` (their values bit for bit), a kernel of
    :mod:`jaxsnn.core.threefry`, or another ``jax.random`` function (or one applying elementwise operations
    to one). The first two and the kernels are computed on the host, no XLA program, for a concrete threefry
    key with ``jax_threefry_partitionable`` (JAX's default: element i of a draw depends on the key and i only,
    so block 0 has the bits of ``draw(key, shape)`` itself). Otherwise JAX computes each block (one program
    for every size), or, without that flag, the draw at ``shape`` itself; a kernel then gives None."""
    n = math.prod(shape)
    kernel = _kernel(draw, args)
    words = threefry.host_key(key)
    if kernel is not None and words is not None and jax.config.jax_threefry_partitionable:
        blocks = -(-n // BLOCK)
        keys = words[None]
        if blocks > 1:
            keys = np.concatenate([keys, threefry.segment_keys(threefry.fold_in(words, BLOCK_STREAM),
                                                               np.arange(1, blocks))])
        return threefry.draw(kernel, keys, n, BLOCK).reshape(shape)
    if kernel is draw:
        return None
    if not jax.config.jax_threefry_partitionable or n == 0:
        return np.asarray(draw(key, shape, *args))
    blocks = -(-n // BLOCK)
    first = np.asarray(draw(key, (BLOCK,), *args))
    if blocks == 1:
        return first[:n].reshape(shape)
    out = np.empty(blocks * BLOCK, first.dtype)
    out[:BLOCK] = first
    stream = threefry.fold_in_key(key, BLOCK_STREAM)
    for c in range(1, blocks):
        out[c * BLOCK:(c + 1) * BLOCK] = np.asarray(draw(threefry.fold_in_key(stream, c), (BLOCK,), *args))
    return out[:n].reshape(shape)


def draw_for(draw, key, ctx: Context, *args) -> np.ndarray | None:
    """The values of ``in_blocks(draw, key, (ctx.n,), *args)``, or for a :meth:`~Context.subset` those at its
    positions ``ctx.index`` of the draw of ``ctx.size`` values, computed at those counters only where the host
    computes the draw (else drawn whole and indexed; None for a kernel the host cannot compute)."""
    if ctx.index is None:
        return in_blocks(draw, key, (ctx.n,), *args)
    kernel = _kernel(draw, args)
    words = threefry.host_key(key)
    if kernel is not None and words is not None and jax.config.jax_threefry_partitionable:
        index = np.asarray(ctx.index, np.int64)
        blocks = np.unique(index // BLOCK)
        keys = np.empty((len(blocks), 2), np.uint32)
        keys[blocks == 0] = words
        later = blocks[blocks > 0]
        if len(later):
            keys[blocks > 0] = threefry.segment_keys(threefry.fold_in(words, BLOCK_STREAM), later)
        return threefry.draw_at(kernel, dict(zip(blocks.tolist(), keys)), index, BLOCK)
    whole = in_blocks(draw, key, (ctx.size,), *args)
    return None if whole is None else whole[ctx.index]


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
