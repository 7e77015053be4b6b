"""iaf_psc_delta: leaky integrate-and-fire neuron with delta-shaped synaptic input, exactly as NEST 3.10.

Sub-threshold dynamics, with V stored relative to the resting potential (y = V_m − E_L):

    τ_m dy/dt = −y + τ_m / C_m · I_e,      input spikes make y jump by their weight (mV).

Exact integration over one step h gives ``y ← P30·I_e + P33·y + Σw`` with ``P33 = exp(−h/τ_m)`` and
``P30 = (1/C_m)(1 − P33)·τ_m``. After a spike y is clamped to V_reset for ``t_ref`` (rounded up to
whole steps); input arriving then is dropped, or with ``refractory_input`` kept, discounted by
``exp(−r·h/τ_m)`` for the r steps left, and added when refractoriness ends. ``V_min`` bounds y from
below outside refractoriness. The threshold test runs every step. Propagators are computed on the host
with the C library's ``exp``, and products are rounded before they are added (no fused multiply-add),
so that float64 runs match NEST to the bit.
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from .surrogate import spike


def propagators(tau_m: np.ndarray, C_m: np.ndarray, h: float):
    """(P33, P30) in float64 with NEST's evaluation order."""
    P33 = np.array([math.exp(-h / t) for t in np.asarray(tau_m, float)])
    P30 = ((1.0 / np.asarray(C_m, float)) * (1.0 - P33)) * np.asarray(tau_m, float)
    return P33, P30


def refractory_steps(t_ref: np.ndarray, tics_per_step: int) -> np.ndarray:
    """t_ref in whole steps, rounded up to the grid: ceil(round(t_ref · 1000 tics/ms) / tics_per_step)."""
    tics = np.floor(np.asarray(t_ref, float) * 1000.0 + 0.5).astype(np.int64)
    return (-(-tics // tics_per_step)).astype(np.int32)


def separately_rounded(product, always):
    """``product`` as it is, rounded before any addition that uses it.

    NEST rounds every product before adding it. On CPUs with FMA, XLA's backend contracts ``a*b + c``
    into one fused multiply-add (rounded once), which changes the last bit of V_m. A select on a mask
    the compiler cannot prove true (``always``, true at run time) stands between the two and prevents it;
    two products added together need different masks, or XLA merges the selects and then the products.
    """
    return jnp.where(always, product, 0.0)


def update(p, h: float, any_refractory_input: bool, y, r, refr_buf, inp):
    """One step for every neuron: returns (y, r, refr_buf, spiked)."""
    free = r == 0
    y_new = (separately_rounded(p.P30 * p.I_e, r >= 0) + separately_rounded(p.P33 * y, r < 2**31 - 1)) + inp
    if any_refractory_input:
        release = p.refractory_input & (refr_buf != 0)
        y_new = jnp.where(release, y_new + refr_buf, y_new)
        gathered = refr_buf + separately_rounded(inp * jnp.exp(-r.astype(y.dtype) * h / p.tau_m), r >= 0)
        refr_buf = jnp.where(free, jnp.where(release, 0.0, refr_buf),
                             jnp.where(p.refractory_input, gathered, refr_buf))
    y_new = jnp.maximum(y_new, p.V_min - p.E_L)
    y = jnp.where(free, y_new, y)
    r = jnp.where(free, r, r - 1)
    spiked = spike(y - (p.V_th - p.E_L)) > 0
    r = jnp.where(spiked, p.refractory_steps, r)
    y = jnp.where(spiked, p.V_reset - p.E_L, y)
    return y, r, refr_buf, spiked
