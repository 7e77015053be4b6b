"""JAX's threefry key derivation on the host: the same key words as ``jax.random``, no XLA program.

``jax.random.key(seed)`` and ``jax.random.fold_in(key, data)`` each run a small XLA program, traced,
lowered and compiled (or read from the persistent cache) once per process: tens of ms before a small
network's first step. Threefry-2x32 (Salmon et al. 2011, 20 rounds, as in JAX) is a few integer
operations on two words, so the keys jaxsnn derives from an int seed are computed here with NumPy:

* ``seed_words(s)``  = JAX's ``key_data(jax.random.key(s))``  = ``[s >> 32, s & 0xFFFFFFFF]``
* ``fold_in(k, d)``  = JAX's ``key_data(jax.random.fold_in(k, d))`` = ``threefry2x32(k, [0, d])``

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
