"""NEST's propagators from a synaptic current to V (``libnestutil/iaf_propagator.cpp``), on the host with
NEST's bits and in the graph for changed parameters (docs/nest_semantics.md §10).

On the host, ``exp`` is the C library's (``math.exp``, as NEST's ``std::exp``) and ``expm1`` is NEST's own
Taylor series (:func:`nest_expm1`: the 3.10 wheel was built without ``HAVE_EXPM1``, and the C library's
``expm1`` differs from it in the last bit for common arguments). Host values are computed once per
distinct parameter tuple (populations share them).

In the graph (:func:`p32`, :func:`p31_p32`) the same formulas run with ``jnp.exp``/``jnp.expm1``: close to
NEST's, not bit-identical; the engine uses them only where parameters differ from the built ones.
"""
from __future__ import annotations

import functools
import math
import sys

import jax
import jax.numpy as jnp
import numpy as np

from ..core.rounding import separately_rounded  # noqa: F401  (the models take it from here)

LN2 = math.log(2.0)
TINY = sys.float_info.min  # smallest positive normal double


def nest_expm1(x: float) -> float:
    """``numerics::expm1`` without ``HAVE_EXPM1`` (libnestutil/numerics.h), exactly."""
    if x == 0:
        return 0.0
    if abs(x) > LN2:
        try:
            return math.exp(x) - 1
        except OverflowError:  # C++'s std::exp returns inf (tau_syn of 1e-6 ms)
            return math.inf
    total, term, n = x, x * x / 2, 2
    while abs(term) > abs(total) * sys.float_info.epsilon:
        total += term
        n += 1
        term *= x / n
    return total


@functools.lru_cache(maxsize=4096)
def _host_p32(tau_syn: float, tau_m: float, c_m: float, h: float):
    """(P32, exp_h_tau_syn, expm1_h_tau, exp_h_tau or NaN, beta, gamma) as ``evaluate_P32_``."""
    inv_tau_syn, inv_tau_m, inv_c_m = 1 / tau_syn, 1 / tau_m, 1 / c_m
    beta = tau_syn * tau_m / (tau_m - tau_syn) if tau_m != tau_syn else math.inf  # C++: x / 0.0 = inf
    gamma = beta / c_m
    inv_beta = (tau_m - tau_syn) / (tau_syn * tau_m)
    exp_h_tau_syn = math.exp(-h * inv_tau_syn)
    expm1_h_tau = nest_expm1(h * inv_beta)
    p32 = gamma * exp_h_tau_syn * expm1_h_tau if not math.isinf(gamma) else math.nan  # inf * 0 = NaN
    exp_h_tau = math.nan
    if not (math.isfinite(p32) and p32 > 0 and p32 >= TINY):  # not a positive normal number: singular limit
        exp_h_tau = math.exp(-h * inv_tau_m)
        p32 = h * inv_c_m * exp_h_tau
    return p32, exp_h_tau_syn, expm1_h_tau, exp_h_tau, beta, gamma


def host_p32(tau_syn: float, tau_m: float, c_m: float, h: float) -> float:
    """``IAFPropagatorExp::evaluate``: the propagator from I_syn to V over one step h."""
    return _host_p32(float(tau_syn), float(tau_m), float(c_m), float(h))[0]


def host_p31_p32(tau_syn: float, tau_m: float, c_m: float, h: float) -> tuple[float, float]:
    """``IAFPropagatorAlpha::evaluate``: (P31, P32), from dI_syn and I_syn to V."""
    tau_syn, tau_m, c_m, h = float(tau_syn), float(tau_m), float(c_m), float(h)
    p32, exp_h_tau_syn, expm1_h_tau, exp_h_tau, beta, gamma = _host_p32(tau_syn, tau_m, c_m, h)
    h_min_regular = 1e-7 * tau_m * tau_m / abs(tau_m - tau_syn) if tau_m != tau_syn else math.inf
    if h > h_min_regular:
        return gamma * exp_h_tau_syn * (beta * expm1_h_tau - h), p32
    if math.isnan(exp_h_tau):
        exp_h_tau = math.exp(-h * (1 / tau_m))
    return 0.5 * h * h * (1 / c_m) * exp_h_tau, p32


def host_table(fun, *columns) -> np.ndarray:
    """``fun`` applied per element of the float64 ``columns``: [N] or [N, k] for k results."""
    cols = [np.asarray(c, float) for c in columns]
    return np.array([fun(*vals) for vals in zip(*cols)], float)


# ------------------------------------------------------------------------------------ in the graph
def _regular(tau_syn, tau_m, C_m, h):
    d = tau_m - tau_syn
    d_safe = jnp.where(d == 0, 1.0, d)  # the equal case takes the singular branch; keep its gradient finite
    beta = tau_syn * tau_m / d_safe
    gamma = beta / C_m
    inv_beta = d / (tau_syn * tau_m)
    return d, beta, gamma, jnp.exp(-h * (1 / tau_syn)), jnp.expm1(h * inv_beta)


def p32(tau_syn, tau_m, C_m, h):
    """In-graph ``evaluate_P32_`` (regular value where it is a positive normal number, else the limit)."""
    d, beta, gamma, e_syn, em1 = _regular(tau_syn, tau_m, C_m, h)
    reg = gamma * e_syn * em1
    ok = (d != 0) & jnp.isfinite(reg) & (reg >= jnp.finfo(reg.dtype).tiny)
    return jnp.where(ok, reg, h * (1 / C_m) * jnp.exp(-h * (1 / tau_m)))


def p31(tau_syn, tau_m, C_m, h):
    """In-graph alpha P31 (regular where h > 1e-7 tau_m² / |tau_m - tau_syn|)."""
    d, beta, gamma, e_syn, em1 = _regular(tau_syn, tau_m, C_m, h)
    regular = h * jnp.abs(d) > 1e-7 * tau_m * tau_m
    return jnp.where(regular, gamma * e_syn * (beta * em1 - h), 0.5 * h * h * (1 / C_m) * jnp.exp(-h * (1 / tau_m)))


def exact(table, formula, built):
    """``table`` (the host's exact value) where ``built``, else ``formula``; the derivative is the
    formula's everywhere (x − x is exactly 0)."""
    return jnp.where(built, table, formula) + (formula - jax.lax.stop_gradient(formula))
