"""JAX's threefry key derivation on the host: the same key words as ``jax.random``, no XLA program.

``jax.random.key(seed)`` and ``jax.random.fold_in(key, data)`` each run a small XLA program, traced,
lowered and compiled (or read from the persistent cache) once per process: tens of ms before a small
network's first step. Threefry-2x32 (Salmon et al. 2011, 20 rounds, as in JAX) is a few integer
operations on two words, so the keys jaxsnn derives from an int seed are computed here with NumPy:

* ``seed_words(s)``  = JAX's ``key_data(jax.random.key(s))``  = ``[s >> 32, s & 0xFFFFFFFF]``
* ``fold_in(k, d)``  = JAX's ``key_data(jax.random.fold_in(k, d))`` = ``threefry2x32(k, [0, d])``

and, with ``jax_threefry_partitionable`` (JAX's default: element i of a draw depends on the key and i
only), every draw a network makes while it is built (:func:`draw` with the kernels :class:`RandInt`,
:class:`Uniform`, :class:`Bits64`; :func:`randint`, :func:`uniform`, :func:`split`), which would otherwise
compile (or load) and run one XLA program per shape and function:

* ``split(k)``       = the keys ``threefry2x32(k, [0, 0], [0, 1])`` (as JAX's foldlike split)
* random bits i      = ``y0 ^ y1`` of ``threefry2x32(k, [i >> 32], [i & 0xFFFFFFFF])`` (32 bits), or
  ``y0 << 32 | y1`` (64 bits: ``jax.random.bits(k, shape, uint64)``)
* ``randint``        = JAX's: two draws of bits (keys ``split(k)``) combined modulo the span
* ``uniform``        = JAX's: the mantissa bits over an exponent of 1, minus 1, then
  ``max(min, u * (max - min) + min)`` rounded once, as XLA's fused multiply-add (:func:`fma`)

Speed: the 20 rounds run in place on uint32 arrays of :data:`CHUNK` values (about 112 NumPy calls per
chunk, no temporaries), in the host's threads (:data:`jaxsnn.core.host.THREADS`; NumPy releases the GIL in
its loops); randint's remainders use NumPy's division by a scalar (libdivide), ten times faster than its
``%``. On one thread 5 (randint) to 8 (uniform) times faster than the plain NumPy version, about as fast as
JAX's compiled program on the project's CPU (``benchmarks/draws.py --raw``).

Valid only for JAX's default implementation (``jax_default_prng_impl == "threefry2x32"``); callers
check :func:`available` and use ``jax.random`` otherwise. ``tests/test_threefry.py`` compares the bits
with ``jax.random`` over many seeds.
"""
from __future__ import annotations

import jax
import numpy as np

from . import host

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
    return np.array(_threefry_int(int(words[0]), int(words[1]), 0, int(data) & _MASK), U32)


def _threefry_int(k0: int, k1: int, x0: int, x1: int) -> tuple:
    """Threefry-2x32 of one counter pair with Python ints: ten times faster than NumPy on arrays of one
    (each key derivation of a network's construction is one)."""
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    x0, x1 = (x0 + k0) & _MASK, (x1 + k1) & _MASK
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = (x0 + x1) & _MASK
            x1 = ((x1 << r) & _MASK) | (x1 >> (32 - r))
            x1 ^= x0
        x0 = (x0 + ks[(i + 1) % 3]) & _MASK
        x1 = (x1 + ks[(i + 2) % 3] + i + 1) & _MASK
    return x0, x1


def fold_in_key(key, data):
    """``jax.random.fold_in(key, data)`` for a typed key: computed here for a concrete threefry key and an
    int ``data`` in 0 … 2**32 - 1, by ``jax.random`` otherwise (traced keys, other implementations)."""
    words = host_key(key)
    if words is None or not isinstance(data, (int, np.integer)) or isinstance(data, bool) or not 0 <= data <= _MASK:
        return jax.random.fold_in(key, data)
    return jax.random.wrap_key_data(fold_in(words, data))


def host_key(key):
    """The key words of a concrete threefry typed key, or None (traced, another implementation, not typed)."""
    dtype = getattr(key, "dtype", None)
    if isinstance(key, jax.core.Tracer) or not isinstance(key, jax.Array) or key.shape != () or dtype is None:
        return None
    if dtype not in _THREEFRY_DTYPES:  # one check per key dtype: jax.random.key_impl is slow
        _THREEFRY_DTYPES[dtype] = jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key) \
            and str(jax.random.key_impl(key)) == "threefry2x32"
    if not _THREEFRY_DTYPES[dtype]:
        return None
    # the key's own uint32 words where JAX exposes them: key_data dispatches a primitive (20 us a key; a
    # network's construction derives thousands of keys)
    base = getattr(key, "_base_array", None)
    return np.asarray(base if isinstance(base, jax.Array) and base.shape == (2,) else jax.random.key_data(key))


_THREEFRY_DTYPES = {}


def _partitionable() -> bool:
    return bool(jax.config.jax_threefry_partitionable)


def split(key, num: int = 2) -> tuple:
    """The keys of ``jax.random.split(key, num)`` as a tuple, made on the host where :func:`host_key` and
    partitionable threefry allow (unpacking JAX's key array would run a program too)."""
    words = host_key(key)
    if words is None or not _partitionable():
        return tuple(jax.random.split(key, num))
    k0, k1 = int(words[0]), int(words[1])
    return tuple(jax.random.wrap_key_data(np.array(_threefry_int(k0, k1, 0, i), U32)) for i in range(num))


def randint(key, shape, minval, maxval, dtype=int):
    """``jax.random.randint(key, shape, minval, maxval, dtype)``; on the host for int bounds with
    ``minval < maxval`` within the dtype, a concrete threefry key and partitionable threefry."""
    words = host_key(key)
    if words is None or not _partitionable() or not randint_on_host(minval, maxval, dtype):
        return jax.random.randint(key, shape, minval, maxval, dtype)
    n = int(np.prod(shape, dtype=np.int64))
    return draw(RandInt(minval, maxval, dtype), words[None], n, max(n, 1)).reshape(shape)


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
    return draw(Uniform(minval, maxval, dt), words[None], n, max(n, 1)).reshape(shape)


def randint_on_host(minval, maxval, dtype=int) -> bool:
    """Whether :class:`RandInt` gives ``jax.random.randint``'s values for these bounds: int bounds,
    ``minval < maxval``, both within a signed 32 or 64-bit dtype."""
    dt = np.dtype(jax.dtypes.canonicalize_dtype(dtype))
    ints = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (minval, maxval))
    return ints and np.issubdtype(dt, np.signedinteger) and dt.itemsize in (4, 8) \
        and np.iinfo(dt).min <= minval < maxval <= np.iinfo(dt).max


# ---------------------------------------------------------------------------------------------- fast draws
# A draw is made of segments of ``seg`` values, each with its own key (one segment: a plain draw of a key;
# several: jaxsnn.random's blocks). Value i of a segment is a function of the segment's key and i only
# (partitionable threefry), so the work is cut into chunks of CHUNK values, done in place on uint32 arrays
# that stay in the core's cache, by the host's threads (jaxsnn.core.host.shared; NumPy releases the GIL inside its
# loops).

CHUNK = 2**16  # values per pass: long enough that NumPy's per-call cost is small, short enough for the L2 cache
TRANSFORM_CHUNK = 2**14  # values per call of a Bits64 transform (twice as fast as 2**16 for the normal's)
_IOTA = np.arange(CHUNK, dtype=U32)


class _Scratch:
    """One thread's work arrays."""

    def __init__(self):
        self.x0, self.x1, self.t = (np.empty(CHUNK, U32) for _ in range(3))
        self.a64, self.b64, self.c64 = (np.empty(CHUNK, np.uint64) for _ in range(3))
        self.a32, self.b32 = np.empty(CHUNK, U32), np.empty(CHUNK, U32)


def _words(k0: int, k1: int, start: int, m: int, s: _Scratch):
    """Threefry-2x32 of the counters (0, start + i), i < m, under the key (k0, k1), computed in place in
    ``s``: the output words (y0, y1) as views of length m."""
    x0, x1, t = s.x0[:m], s.x1[:m], s.t[:m]
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    x0.fill(k0)
    if isinstance(start, np.ndarray):  # m counters of their own (draw_at)
        np.add(start, k1, out=x1, casting="unsafe")
    else:
        np.add(_IOTA[:m], (start + k1) & _MASK, out=x1)
    for i in range(5):  # five blocks of four rounds, each followed by a key injection
        for r in _ROTATIONS[i % 2]:
            x0 += x1
            np.left_shift(x1, r, out=t)
            x1 >>= 32 - r
            x1 |= t
            x1 ^= x0
        x0 += ks[(i + 1) % 3]
        x1 += (ks[(i + 2) % 3] + i + 1) & _MASK
    return x0, x1


def _bits32(k0, k1, start, m, s, out):
    """JAX's 32 random bits (``y0 ^ y1``) of counters start … start + m - 1 into ``out`` (uint32[m])."""
    y0, y1 = _words(k0, k1, start, m, s)
    return np.bitwise_xor(y0, y1, out=out)


def _bits64(k0, k1, start, m, s, out):
    """JAX's 64 random bits (``y0 << 32 | y1``) into ``out`` (uint64[m])."""
    y0, y1 = _words(k0, k1, start, m, s)
    out[:] = y0
    out <<= 32
    out |= y1
    return out


class RandInt:
    """``jax.random.randint``'s values: per key two draws of bits (keys ``split(k)``) combined modulo
    the span (wrapping as XLA's unsigned ints). Keys: ``(k0, k1)`` of the draw; the kernel splits them."""

    def __init__(self, minval, maxval, dtype=int):
        self.dt = np.dtype(jax.dtypes.canonicalize_dtype(dtype))
        self.nbits = self.dt.itemsize * 8
        self.u = U32 if self.nbits == 32 else np.uint64
        self.lo = int(minval)
        span = int(maxval) - int(minval)
        self.span = self.u(span)
        m = 2 ** (self.nbits // 2) % span
        self.mult = self.u((m * m & (2**self.nbits - 1)) % span)  # the square wraps, as in JAX's unsigned ints

    def keys(self, words: np.ndarray) -> np.ndarray:
        """Per segment key words ``(S, 2)`` → the words of its two split keys ``(S, 4)``."""
        y0, y1 = _threefry(words[:, 0:1], words[:, 1:2], np.zeros(2, U32), np.arange(2, dtype=U32))
        return np.stack([y0[:, 0], y1[:, 0], y0[:, 1], y1[:, 1]], axis=1)

    def fill(self, k, start, m, s, out):
        bits = _bits32 if self.nbits == 32 else _bits64
        hi = bits(int(k[0]), int(k[1]), start, m, s, (s.a32 if self.nbits == 32 else s.a64)[:m])
        lo = bits(int(k[2]), int(k[3]), start, m, s, (s.b32 if self.nbits == 32 else s.b64)[:m])
        t = (s.x0 if self.nbits == 32 else s.c64)[:m]  # x0 is free once both bits are drawn
        with np.errstate(over="ignore"):
            _mod(hi, self.span, t)
            _mod(lo, self.span, t)
            hi *= self.mult
            hi += lo
            _mod(hi, self.span, t)
        np.add(hi.view(self.dt), self.dt.type(self.lo), out=out, casting="unsafe")

    @property
    def out_dtype(self):
        return self.dt


def _mod(x, span, t):
    """x %= span in place: NumPy divides by a scalar with libdivide, ten times faster than its remainder."""
    if span & (span - 1) == 0:
        x &= span - 1
        return
    np.floor_divide(x, span, out=t)
    t *= span
    x -= t


class Uniform:
    """``jax.random.uniform``'s values on [minval, maxval): the mantissa bits over an exponent of 1, minus 1,
    then ``max(minval, u * (maxval - minval) + minval)`` with ONE rounding, as XLA fuses it (a fused
    multiply-add, emulated exactly: :func:`fma`)."""

    def __init__(self, minval=0.0, maxval=1.0, dtype=float):
        self.dt = np.dtype(jax.dtypes.canonicalize_dtype(dtype))
        self.lo, self.hi = self.dt.type(minval), self.dt.type(maxval)
        self.unit = (self.lo, self.hi) == (0, 1)

    def keys(self, words):
        return words

    @property
    def out_dtype(self):
        return self.dt

    def fill(self, k, start, m, s, out):
        if self.dt == np.float32:
            b = _bits32(int(k[0]), int(k[1]), start, m, s, s.a32[:m])
            b >>= 9
            b |= 0x3F800000
            f = b.view(np.float32)
        else:
            b = _bits64(int(k[0]), int(k[1]), start, m, s, s.a64[:m])
            b >>= 12
            b |= 0x3FF0000000000000
            f = b.view(np.float64)
        f -= 1.0
        if self.unit:
            out[:] = f
        else:
            out[:] = np.maximum(self.lo, fma(f, self.hi - self.lo, self.lo))


class Bits64:
    """JAX's 64 random bits per value (``jax.random.bits(key, shape, uint64)``), turned into values by
    ``transform`` (uint64[m] → float64[m]); the input of jaxsnn.random's continuous distributions."""

    out_dtype = np.dtype(np.float64)

    def __init__(self, transform):
        self.transform = transform

    def keys(self, words):
        return words

    def fill(self, k, start, m, s, out):
        bits = _bits64(int(k[0]), int(k[1]), start, m, s, s.a64[:m])
        for i in range(0, m, TRANSFORM_CHUNK):  # the transforms' float64 temporaries stay in the cache
            out[i:i + TRANSFORM_CHUNK] = self.transform(bits[i:i + TRANSFORM_CHUNK])


def draw(kernel, words: np.ndarray, n: int, seg: int) -> np.ndarray:
    """``n`` values of ``kernel`` (:class:`RandInt`, :class:`Uniform`, :class:`Bits64`), segment ``c`` (values
    ``c*seg`` … ``(c+1)*seg - 1``) drawn from the key ``words[c]`` (uint32[S, 2]) at counters 0 … seg - 1."""
    out = np.empty(n, kernel.out_dtype)
    if n == 0:
        return out
    if seg > 2**32:
        raise ValueError(f"a segment of {seg} values exceeds threefry's 2**32 counters")
    keys = kernel.keys(np.asarray(words, U32).reshape(-1, 2))
    items = [(c, b, min(CHUNK, seg - b, n - c * seg - b))
             for c in range(-(-n // seg)) for b in range(0, min(seg, n - c * seg), CHUNK)]

    def work(part):
        s = _Scratch()
        for c, b, m in part:
            o = c * seg + b
            kernel.fill(keys[c], b, m, s, out[o:o + m])

    if host.shares(len(items)):  # in 2 · THREADS parts, taken by the threads in turn (a part: one scratch)
        k = 2 * host.THREADS
        parts = [items[len(items) * i // k:len(items) * (i + 1) // k] for i in range(k)]
        host.shared(lambda i: work(parts[i]), k)
    else:
        work(items)
    return out


def draw_at(kernel, keys: dict, index: np.ndarray, seg: int) -> np.ndarray:
    """The values of :func:`draw` at the positions ``index`` (ints) only: segment ``c`` has the key words
    ``keys[c]`` (uint32[2]) for each c in ``index // seg``. For the few values a redraw needs."""
    out = np.empty(len(index), kernel.out_dtype)
    s = _Scratch()
    seg_of, counter = np.divmod(np.asarray(index, np.int64), seg)
    for c, k in keys.items():
        where = np.flatnonzero(seg_of == c)
        k = kernel.keys(np.asarray(k, U32).reshape(1, 2))[0]
        for b in range(0, len(where), CHUNK):
            w = where[b:b + CHUNK]
            tmp = np.empty(len(w), kernel.out_dtype)
            kernel.fill(k, counter[w].astype(U32), len(w), s, tmp)
            out[w] = tmp
    return out


def segment_keys(words, data) -> np.ndarray:
    """uint32[len(data), 2]: the key words of ``fold_in(key, d)`` for each ``d`` of ``data``, at once."""
    k = np.asarray(words, U32)
    y0, y1 = _threefry(k[0], k[1], np.zeros(len(data), U32), np.asarray(data, np.int64).astype(U32))
    return np.stack([y0, y1], axis=1)


def fma(a, b, c):
    """``a * b + c`` rounded once (XLA's fused multiply-add), for float32 or float64 arrays and scalars.

    float32: the product is exact in float64; the sum is rounded to odd in float64 (rounding to nearest
    then moving to the odd neighbour when inexact), after which rounding to float32 is correct (53 ≥ 24 + 2
    bits). float64: Dekker's exact product and Knuth's exact sums give ``a*b + c = ph + pl + c`` exactly;
    ``RN(sh + RO(sl + pl'))`` is the correctly rounded sum of three (Boldo & Melquiond 2008, rounding to odd).
    """
    dt = np.result_type(a, b, c)
    if dt == np.float32:
        p = np.asarray(a, np.float64) * np.float64(b)
        return _round_odd_sum(p, np.float64(c)).astype(np.float32)
    a, b, c = (np.asarray(x, np.float64) for x in (a, b, c))
    ph, pl = _two_prod(a, b)
    s1, e1 = _two_sum(pl, c)
    sh, sl = _two_sum(ph, s1)
    return sh + _round_odd_sum(sl, e1)


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's splitting constant for float64


def _two_prod(a, b):
    p = a * b
    ca, cb = _SPLIT * a, _SPLIT * b
    ah = ca - (ca - a)
    bh = cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _round_odd_sum(a, b):
    """a + b in float64 rounded to odd: the nearest double, moved one ulp towards the exact sum when that
    was inexact and the double's last mantissa bit is even."""
    s, e = _two_sum(a, b)
    s = np.asarray(s, np.float64)
    even = (s.view(np.uint64) & np.uint64(1)) == 0
    move = (e != 0) & even
    if np.any(move):
        s = np.where(move, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)
    return s


def threefry2x32(key0, key1, x0, x1) -> np.ndarray:
    """Threefry-2x32 of the counter pairs (x0[i], x1[i]) under the key (key0, key1), as JAX's
    ``threefry2x32_p``: returns the concatenation of the two output words ``[y0..., y1...]``."""
    return np.concatenate(_threefry(key0, key1, x0, x1))


def _threefry(key0, key1, x0, x1):
    """Threefry-2x32 for small arrays (key derivation): keys and counters broadcast; returns (y0, y1)."""
    with np.errstate(over="ignore"):
        key0, key1 = np.asarray(key0, U32), np.asarray(key1, U32)
        ks = [key0, key1, key0 ^ key1 ^ U32(_PARITY)]
        x = [np.asarray(x0, U32) + ks[0], np.asarray(x1, U32) + ks[1]]
        for i in range(5):  # five blocks of four rounds, each followed by a key injection
            for r in _ROTATIONS[i % 2]:
                x[0] = x[0] + x[1]
                x[1] = (x[1] << U32(r)) | (x[1] >> U32(32 - r))
                x[1] = x[0] ^ x[1]
            x = [x[0] + ks[(i + 1) % 3], x[1] + ks[(i + 2) % 3] + U32(i + 1)]
    return x[0], x[1]
