"""The sine oscillator of NEST's periodic generators (ac_generator, sinusoidal_poisson_generator,
sinusoidal_gamma_generator's rate), step by step in NEST 3.10's arithmetic, as pure JAX functions.

NEST does not evaluate sin(ωt + φ) at each step: at the start of a run (time t₀) it sets
y₀ = A cos(ωt₀ + φ), y₁ = A sin(ωt₀ + φ) and then rotates (y₀, y₁) by ωh every step, *before* using y₁:

    ac_generator:                  y₀' = cos(ωh) y₀ − sin(ωh) y₁,  y₁' = sin(ωh) y₀ + cos(ωh) y₁
                                   (as A₀₀ y₀ + A₀₁ y₁ with A₀₁ = −sin(ωh): the same products, summed)
    sinusoidal_poisson_generator:  y₀' = cos(ωh) y₀ − sin(ωh) y₁ (a subtraction), y₁' as above

so the value used in step k of a run from t₀ is the k+1-th rotation (ω = 2π f / 1000 per ms, φ in radians
from degrees). ac_generator sends I = y₁ + offset in its active steps (0 otherwise, also in its recordable
``I``); sinusoidal_poisson_generator's ``rate`` is max(rate + y₁, 0) in Hz every step (its recordable). The
rounding of the rotation accumulates, so exact agreement needs the same recurrence from the same t₀.
"""
from __future__ import annotations

import math

import jax.numpy as jnp
from jax import lax

from .rounding import separately_rounded


def start(amplitude, omega, phase_rad, t0, h):
    """(y₀, y₁, cos ωh, sin ωh) of a run starting at t₀ ms, on the host with the C library's cos and sin
    (correctly rounded where XLA's are not): per-run constants, like the neurons' propagators."""
    return (amplitude * math.cos(omega * t0 + phase_rad), amplitude * math.sin(omega * t0 + phase_rad),
            math.cos(h * omega), math.sin(h * omega))


def rotate(y0, y1, c, s, n, subtract=False):
    """Rotations 1..n of (y₀, y₁) by the angle whose cosine and sine are ``c``, ``s``: returns the final
    (y₀, y₁) and y₁ after every rotation ([n, ...]). ``subtract``: sinusoidal generators' form
    (c·y₀ − s·y₁) instead of ac_generator's (c·y₀ + (−s)·y₁); they differ only in the sign of a zero. Every
    product is rounded before the sum, as in NEST (no fused multiply-add: see
    :func:`jaxsnn.core.rounding.separately_rounded`)."""
    y0, y1 = jnp.asarray(y0), jnp.asarray(y1)
    ms = -s

    def one(carry, _):
        a, b = carry
        # two masks the compiler cannot prove true (finite values), a different one for each product of a sum
        m1, m2 = jnp.abs(a) < jnp.inf, jnp.abs(b) < jnp.inf
        new0 = separately_rounded(c * a, m1) + separately_rounded((-s * b) if subtract else ms * b, m2)
        new1 = separately_rounded(s * a, m1) + separately_rounded(c * b, m2)
        return (new0, new1), new1

    (y0, y1), ys = lax.scan(one, (y0, y1), None, length=n)
    return y0, y1, ys


def ac_current(amplitude, offset, frequency, phase_deg, h, n, active, t0=0.0):
    """ac_generator's current in steps 0..n-1 of a run from t₀ (``active``: bool[n], NEST's is_active)."""
    omega = 2.0 * math.pi * frequency / 1000.0
    y0, y1, c, s = start(amplitude, omega, phase_deg * 2.0 * math.pi / 360.0, t0, h)
    _, _, ys = rotate(y0, y1, c, s, n)
    return jnp.where(active, ys + offset, 0.0)


def gamma_rate(rate, amplitude, frequency, phase_deg, h, n, tics_per_step=None):
    """sinusoidal_gamma_generator's rate (Hz) in steps 0..n-1: it evaluates the sine directly (no oscillator),
    rate + A sin(ω t + φ) at the step's end t = (k + 1) h, in 1/ms, reported in Hz (not clipped at 0). The
    sine is XLA's: within a few ulp of NEST's."""
    tics = tics_per_step or round(h * 1000)
    omega = frequency * (2.0 * math.pi / 1000.0)
    t = 0.001 * ((jnp.arange(n) + 1) * tics)
    return 1000.0 * (rate / 1000.0 + amplitude / 1000.0 * jnp.sin(omega * t + phase_deg * (math.pi / 180.0)))


def sinusoidal_rate(rate, amplitude, frequency, phase_deg, h, n, t0=0.0):
    """sinusoidal_poisson_generator's rate (Hz) in steps 0..n-1 of a run from t₀: max(rate + y₁, 0), with the
    recurrence in 1/ms as NEST keeps it (rate/1000, amplitude/1000), reported in Hz."""
    omega = frequency * (2.0 * math.pi / 1000.0)  # NEST's om_ (and φ below): other roundings than ac_generator's
    y0, y1, c, s = start(amplitude / 1000.0, omega, phase_deg * (math.pi / 180.0), t0, h)
    _, _, ys = rotate(y0, y1, c, s, n, subtract=True)
    r = rate / 1000.0 + ys
    return 1000.0 * jnp.where(r < 0, 0.0, r)
