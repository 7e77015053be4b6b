"""JAX's threefry key derivation on the host: the same key words as ``jax.random``, no XLA program.

``jax.random.key(seed)`` and ``jax.random.fold_in(key, data)`` each run a small XLA program, traced,
lowered and compiled (or read from the persistent cache) once per process: tens of ms before a small
network's first step. Threefry-2x32 (Salmon et al. 2011, 20 rounds, as in JAX) is a few integer
operations on two words, so the keys jaxsnn derives from an int seed are computed here with NumPy:

* ``seed_words(s)``  = JAX's ``key_data(jax.random.key(s))``  = ``[s >> 32, s & 0xFFFFFFFF]``
* ``fold_in(k, d)``  = JAX's ``key_data(jax.random.fold_in(k, d))`` = ``threefry2x32(k, [0, d])``

and, with ``jax_threefry_partitionable`` (JAX's default: element i of a draw depends on the key and i
only), the draws of a small connection rule (:func:`randint`, :func:`uniform`, :func:`split`), whose
programs a fresh process would otherwise compile (or read from the cache) once per shape:

* ``split(k)``       = the keys ``threefry2x32(k, [0, 0], [0, 1])`` (as JAX's foldlike split)
* random bits i      = ``y0 ^ y1`` of ``threefry2x32(k, [i >> 32], [i & 0xFFFFFFFF])`` (32 bits), or
  ``y0 << 32 | y1`` (64 bits)
* ``randint``        = JAX's: two draws of bits (keys ``split(k)``) combined modulo the span
* ``uniform``        = JAX's: the mantissa bits over an exponent of 1, minus 1

Valid only for JAX's default implementation (``jax_default_prng_impl == "threefry2x32"``); callers
check :func:`available` and use ``jax.random`` otherwise. ``tests/test_threefry.py`` compares the bits
with ``jax.random`` over many seeds.
"""
from __future__ import annotations

import jax
import numpy as np

U32 = np.uint32
_MASK = 0xFFFFFFFF
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA  # Threefish's key-schedule constant


def available() -> bool:
    """Whether ``jax.random``'s keys are threefry-2x32 keys (JAX's default)."""
    return str(jax.config.jax_default_prng_impl) == "threefry2x32"


def seed_words(seed: int) -> np.ndarray:
    """uint32[2] key data of ``jax.random.key(seed)`` for an int ``0 <= seed < 2**32``."""
    seed = int(seed)
    if not 0 <= seed <= _MASK:
        raise ValueError(f"seed {seed} is outside 0 … 2**32 - 1")
    return np.array([0, seed], U32)


def fold_in(words, data: int) -> np.ndarray:
    """uint32[2] key data of ``jax.random.fold_in(key, data)``, ``key`` given by its ``words``;
    ``data`` an int in 0 … 2**32 - 1 (JAX converts it to uint32)."""
    k = np.asarray(words, U32)
    return threefry2x32(k[0], k[1], np.array([0], U32), np.array([int(data) & _MASK], U32)).reshape(2)


def fold_in_key(key, data):
    """``jax.random.fold_in(key, data)`` for a typed key: computed here for a concrete threefry key and an
    int ``data`` in 0 … 2**32 - 1, by ``jax.random`` otherwise (traced keys, other implementations)."""
    if isinstance(key, jax.core.Tracer) or not isinstance(data, (int, np.integer)) or isinstance(data, bool) \
            or not 0 <= data <= _MASK or not jax.dtypes.issubdtype(getattr(key, "dtype", None), jax.dtypes.prng_key) \
            or key.shape != () or str(jax.random.key_impl(key)) != "threefry2x32":
        return jax.random.fold_in(key, data)
    return jax.random.wrap_key_data(fold_in(np.asarray(jax.random.key_data(key)), data))


def host_key(key):
    """The key words of a concrete threefry typed key, or None (traced, another implementation, not typed)."""
    if isinstance(key, jax.core.Tracer) or not jax.dtypes.issubdtype(getattr(key, "dtype", None), jax.dtypes.prng_key) \
            or key.shape != () or str(jax.random.key_impl(key)) != "threefry2x32":
        return None
    return np.asarray(jax.random.key_data(key))


def _partitionable() -> bool:
    return bool(jax.config.jax_threefry_partitionable)


def split(key, num: int = 2) -> tuple:
    """The keys of ``jax.random.split(key, num)`` as a tuple, made on the host where :func:`host_key` and
    partitionable threefry allow (unpacking JAX's key array would run a program too)."""
    words = host_key(key)
    if words is None or not _partitionable():
        return tuple(jax.random.split(key, num))
    y = threefry2x32(words[0], words[1], np.zeros(num, U32), np.arange(num, dtype=U32))
    return tuple(jax.random.wrap_key_data(np.array([y[i], y[num + i]], U32)) for i in range(num))


def _bits(words, n: int, nbits: int) -> np.ndarray:
    """JAX's partitionable random bits (32 or 64) of a flat draw of ``n`` values."""
    i = np.arange(n, dtype=np.uint64)
    y = threefry2x32(words[0], words[1], (i >> np.uint64(32)).astype(U32), (i & np.uint64(_MASK)).astype(U32))
    y0, y1 = y[:n], y[n:]
    if nbits == 32:
        return y0 ^ y1
    return (y0.astype(np.uint64) << np.uint64(32)) | y1.astype(np.uint64)


def randint(key, shape, minval, maxval, dtype=int):
    """``jax.random.randint(key, shape, minval, maxval, dtype)``; on the host for int bounds with
    ``minval < maxval`` within the dtype, a concrete threefry key and partitionable threefry."""
    words = host_key(key)
    dt = np.dtype(jax.dtypes.canonicalize_dtype(dtype))
    ints = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (minval, maxval))
    if words is None or not _partitionable() or not ints or not np.issubdtype(dt, np.signedinteger) \
            or not np.iinfo(dt).min <= minval < maxval <= np.iinfo(dt).max:
        return jax.random.randint(key, shape, minval, maxval, dtype)
    nbits = dt.itemsize * 8
    if nbits not in (32, 64):
        return jax.random.randint(key, shape, minval, maxval, dtype)
    n = int(np.prod(shape, dtype=np.int64))
    k = [np.asarray(jax.random.key_data(x)) for x in split(key)]
    u = np.uint32 if nbits == 32 else np.uint64
    higher, lower = _bits(k[0], n, nbits).astype(u), _bits(k[1], n, nbits).astype(u)
    span = u(int(maxval) - int(minval))
    with np.errstate(over="ignore"):
        multiplier = u(2 ** (nbits // 2) % int(span))
        multiplier = u(multiplier * multiplier % span)
        offset = (higher % span * multiplier + lower % span) % span  # wraps around as XLA's unsigned ints
    return (offset.astype(dt) + dt.type(minval)).reshape(shape)


def uniform(key, shape, minval=0.0, maxval=1.0, dtype=float):
    """``jax.random.uniform(key, shape, minval, maxval, dtype)``; on the host for float32 and float64, a
    concrete threefry key and partitionable threefry."""
    words = host_key(key)
    dt = np.dtype(jax.dtypes.canonicalize_dtype(dtype))
    scalars = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in (minval, maxval))
    if words is None or not _partitionable() or dt not in (np.dtype(np.float32), np.dtype(np.float64)) \
            or not scalars:
        return jax.random.uniform(key, shape, dtype, minval, maxval)
    n = int(np.prod(shape, dtype=np.int64))
    nbits, nmant = dt.itemsize * 8, np.finfo(dt).nmant
    u = np.uint32 if nbits == 32 else np.uint64
    bits = _bits(words, n, nbits).astype(u)
    one = np.array(1.0, dt).view(u)
    floats = ((bits >> u(nbits - nmant)) | one).view(dt) - dt.type(1.0)
    lo, hi = dt.type(minval), dt.type(maxval)
    return np.maximum(lo, floats * (hi - lo) + lo).reshape(shape)


def threefry2x32(key0, key1, x0, x1) -> np.ndarray:
    """Threefry-2x32 of the counter pairs (x0[i], x1[i]) under the key (key0, key1), as JAX's
    ``threefry2x32_p``: returns the concatenation of the two output words ``[y0..., y1...]``."""
    with np.errstate(over="ignore"):
        ks = [U32(key0), U32(key1), U32(key0) ^ U32(key1) ^ U32(_PARITY)]
        x = [np.asarray(x0, U32) + ks[0], np.asarray(x1, U32) + ks[1]]
        for i in range(5):  # five blocks of four rounds, each followed by a key injection
            for r in _ROTATIONS[i % 2]:
                x[0] = x[0] + x[1]
                x[1] = (x[1] << U32(r)) | (x[1] >> U32(32 - r))
                x[1] = x[0] ^ x[1]
            x = [x[0] + ks[(i + 1) % 3], x[1] + ks[(i + 2) % 3] + U32(i + 1)]
    return np.concatenate(x)
