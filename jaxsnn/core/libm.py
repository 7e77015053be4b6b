"""The C library's exponential in JAX, bit for bit, so that right-hand sides with ``std::exp`` give NEST's bits.

XLA's float64 exp differs from glibc's in the last bit for about one argument in nine; in a stiff system
(a Hodgkin–Huxley neuron under strong input) the adaptive integrator amplifies that to 1e-4 mV. glibc
(≥ 2.28, also the one NEST links) computes exp(x) as 2^(k/N) · exp(r) with N = 128, a table of 2^(k/N)
split into a double and its relative tail, and a degree-5 polynomial (the algorithm of the Arm
optimized routines); on CPUs with FMA it runs a build that fuses the multiply-adds. This module follows
that algorithm in float64: table entries are computed here from 2^(k/N) to 80 digits; the multiply-adds
that glibc fuses are emulated exactly (:func:`fma`; XLA fuses ``a * b + c`` only where both land in one
kernel, so relying on it gives bits that depend on the surrounding graph), and ``tests/test_gsl_models.py``
checks the result against the C library on random arguments.

For 512 ≤ |x| < 1024 glibc rescales the result (reached by the stages of a stiff step), as here.
Other dtypes: XLA's exp.
"""
from __future__ import annotations

import decimal
import struct

import jax.numpy as jnp
import numpy as np
from jax import lax

N = 128
INV_LN2_N = float.fromhex("0x1.71547652b82fep0") * N
SHIFT = float.fromhex("0x1.8p52")
NEG_LN2_HI_N = float.fromhex("-0x1.62e42fefa0000p-8")
NEG_LN2_LO_N = float.fromhex("-0x1.cf79abc9e3b3ap-47")
C2, C3, C4, C5 = (float.fromhex(s) for s in
                  ("0x1.ffffffffffdbdp-2", "0x1.555555555543cp-3", "0x1.55555cf172b91p-5", "0x1.1111167a4d017p-7"))


def _bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _table() -> np.ndarray:
    """[tail_k, bits(2^(k/N)) − k·2^52/N] for k < N, with 2^(k/N) ≈ H_k (1 + tail_k)."""
    ctx = decimal.Context(prec=80)
    out = []
    for k in range(N):
        exact = ctx.power(decimal.Decimal(2), ctx.divide(decimal.Decimal(k), decimal.Decimal(N)))
        H = float(exact)
        out += [_bits(float(ctx.subtract(ctx.divide(exact, decimal.Decimal(H)), 1))), (_bits(H) - (k << 45)) % 2**64]
    return np.array(out, dtype=np.uint64)


TABLE = _table()


def _split(a, nz):
    """Veltkamp's split: a = hi + lo exactly, each with 26 significant bits."""
    c = 134217729.0 * a + nz
    hi = c - (c - a)
    return hi, a - hi


def fma(a, b, c, nz):
    """round(a·b + c), as a fused multiply-add computes it, without relying on the compiler: the product is
    split exactly into p + e (Dekker), p + c into s + t (Knuth's TwoSum), and s + (t + e) rounded once; it
    differs from a hardware fma only when t + e rounds onto a rounding boundary of s (about 2^-52 of the
    cases). Valid while a·b does not overflow after multiplying a by 2^27."""
    p = a * b + nz
    a_hi, a_lo = _split(a, nz)
    b_hi, b_lo = _split(b, nz)
    e = ((((a_hi * b_hi + nz) - p) + (a_hi * b_lo + nz)) + (a_lo * b_hi + nz)) + (a_lo * b_lo + nz)
    s = p + c
    bb = s - p
    t = (p - (s - bb)) + (c - bb)
    return s + (t + e)


def exp(x):
    """exp(x) with the C library's bits (float64); XLA's exp for other dtypes."""
    x = jnp.asarray(x)
    if x.dtype != jnp.float64:
        return jnp.exp(x)
    nz = jnp.where(jnp.isnan(x), x, -0.0)
    tab = jnp.asarray(TABLE)
    kd = fma(INV_LN2_N + nz, x, SHIFT + nz, nz)     # round(x·N/ln2) in the low bits
    ki = lax.bitcast_convert_type(kd, jnp.uint64)
    kd = (kd + nz) - SHIFT                         # (+ nz: XLA would fold (z + S) − S into z)
    r = fma(kd, NEG_LN2_LO_N + nz, fma(kd, NEG_LN2_HI_N + nz, x, nz), nz)
    idx = (2 * (ki % N)).astype(jnp.int32)
    tail = lax.bitcast_convert_type(tab[idx], jnp.float64)
    r2 = r * r
    q1 = fma(r, C3 + nz, C2 + nz, nz)
    q2 = fma(r, C5 + nz, C4 + nz, nz)
    tmp = fma(r2 * r2, q2, fma(r2, q1, tail + r, nz), nz)
    # scale = H_k · 2^(k >> 7) with H_k in [1, 2): the fma on H_k, then an exact power-of-two scaling
    H = lax.bitcast_convert_type(tab[idx + 1] + ((ki % N) << 45), jnp.float64)
    two_e = lax.bitcast_convert_type(((ki.astype(jnp.int64) >> 7) + 1023).astype(jnp.uint64) << 52, jnp.float64)
    y = fma(H, tmp, H, nz) * two_e + nz  # (+ nz: a caller's 1 + exp(x) must not fuse with this product)
    return jnp.where(jnp.abs(x) < 512.0, y, _large(x, tmp, ki, tab[idx + 1] + (ki << 45), nz))


def _large(x, tmp, ki, sbits, nz):
    """glibc's special case for 512 ≤ |x| < 1024 (the exponent of the scale over- or underflows), and the
    limits beyond."""
    up = (ki & 0x80000000) == 0
    s_up = lax.bitcast_convert_type(sbits - (1009 << 52), jnp.float64)
    y_up = 2.0 ** 1009 * fma(s_up, tmp, s_up, nz) + nz
    s_dn = lax.bitcast_convert_type(sbits + (1022 << 52), jnp.float64)
    y = s_dn + (s_dn * tmp + nz)
    lo = (s_dn - y) + (s_dn * tmp + nz)
    hi = 1.0 + y
    lo = ((1.0 - hi) + y) + lo
    y_sub = ((hi + lo) + nz) - 1.0
    y_dn = 2.0 ** -1022 * jnp.where(y < 1.0, jnp.where(y_sub == 0.0, 0.0, y_sub), y) + nz
    inside = jnp.where(up, y_up, y_dn)
    beyond = jnp.where(jnp.isnan(x) | (x > 0), jnp.where(jnp.isnan(x), x, jnp.inf), 0.0)
    return jnp.where(jnp.abs(x) < 1024.0, inside, beyond)

