"""iaf_psc_delta: leaky integrate-and-fire neuron with delta-shaped synaptic input, exactly as NEST 3.10.

Sub-threshold dynamics, with V stored relative to the resting potential (y = V_m − E_L):

    τ_m dy/dt = −y + τ_m / C_m · I_e,      input spikes make y jump by their weight (mV).

Exact integration over one step h gives ``y ← P30·I_e + P33·y + Σw`` with ``P33 = exp(−h/τ_m)`` and
``P30 = (1/C_m)(1 − P33)·τ_m``. After a spike y is clamped to V_reset for ``t_ref`` (rounded up to
whole steps); input arriving then is dropped, or with ``refractory_input`` kept, discounted by
``exp(−r·h/τ_m)`` for the r steps left, and added when refractoriness ends. ``V_min`` bounds y from
below outside refractoriness. The threshold test runs every step. Products are rounded before they are
added (no fused multiply-add), so that float64 runs match NEST to the bit; so are the propagators, which
the host computes with the C library's ``exp`` for the built parameters (:func:`step_constants`).

Parameters (``params.neurons``, NEST's names and defaults):

=============  =======  ====================================================
E_L            -70 mV   resting potential
C_m            250 pF   membrane capacitance
tau_m          10 ms    membrane time constant
t_ref          2 ms     refractory period (whole steps, rounded up)
V_th           -55 mV   spike threshold
V_reset        -70 mV   reset potential
I_e            0 pA     constant input current
V_min          -inf mV  lower bound of V_m
tau_minus      20 ms    time constant of the postsynaptic STDP trace
=============  =======  ====================================================
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from . import surrogate as sg


def propagators(tau_m: np.ndarray, C_m: np.ndarray, h: float):
    """(P33, P30) in float64 with NEST's evaluation order."""
    P33 = np.array([math.exp(-h / t) for t in np.asarray(tau_m, float)])
    P30 = ((1.0 / np.asarray(C_m, float)) * (1.0 - P33)) * np.asarray(tau_m, float)
    return P33, P30


def refractory_steps(t_ref: np.ndarray, tics_per_step: int) -> np.ndarray:
    """t_ref in whole steps, rounded up to the grid: ceil(round(t_ref · 1000 tics/ms) / tics_per_step)."""
    tics = np.floor(np.asarray(t_ref, float) * 1000.0 + 0.5).astype(np.int64)
    return (-(-tics // tics_per_step)).astype(np.int32)


def step_constants(model, nrn, h: float, tics_per_step: int):
    """(P33, P30, refractory steps) for the neuron parameters ``nrn`` (traced: any of tau_m, C_m, t_ref
    may have been changed after build).

    Where tau_m and C_m are those the network was built with, the host's propagators (libm ``exp``,
    NEST's bits) are used; elsewhere they are computed here. The derivative is that of the formulas in
    both cases. t_ref enters as whole steps (its derivative is 0).
    """
    top = model.neurons
    P33_f = jnp.exp(-h / nrn.tau_m)
    P30_f = ((1.0 / nrn.C_m) * (1.0 - P33_f)) * nrn.tau_m
    built = (nrn.tau_m == top.built_tau_m) & (nrn.C_m == top.built_C_m)
    # value from the exact table where built, derivative from the formula everywhere (x - x is 0 exactly)
    P33 = jnp.where(built, top.P33, P33_f) + (P33_f - jax.lax.stop_gradient(P33_f))
    P30 = jnp.where(built, top.P30, P30_f) + (P30_f - jax.lax.stop_gradient(P30_f))
    tics = jnp.floor(jax.lax.stop_gradient(nrn.t_ref) * 1000.0 + 0.5).astype(jnp.int32)
    steps = jnp.where(nrn.t_ref == top.built_t_ref, top.refractory_steps, -(-tics // tics_per_step))
    return P33, P30, steps


def separately_rounded(product, always):
    """``product`` as it is, rounded before any addition that uses it.

    NEST rounds every product before adding it. On CPUs with FMA, XLA's backend contracts ``a*b + c``
    into one fused multiply-add (rounded once), which changes the last bit of V_m. A select on a mask
    the compiler cannot prove true (``always``, true at run time) stands between the two and prevents it;
    two products added together need different masks, or XLA merges the selects and then the products.
    """
    return jnp.where(always, product, 0.0)


def update(p, c, h: float, any_refractory_input: bool, y, r, refr_buf, inp, i0=None, surrogate=None):
    """One step for every neuron (``p``: NeuronParams, ``c``: :func:`step_constants` and the
    refractory_input mask; ``i0``: the current generators' input of the previous step in pA, None
    without current generators): returns (y, r, refr_buf, spiked).

    ``surrogate``: None, or ``(name, β, detach_reset)`` in the differentiable build
    (:func:`jaxsnn.core.surrogate.threshold`).
    """
    P33, P30, refractory_steps, refractory_input = c
    free = r == 0
    drive = p.I_e if i0 is None else i0 + p.I_e  # NEST: P30 * (y0 + I_e)
    y_new = (separately_rounded(P30 * drive, r >= 0) + separately_rounded(P33 * y, r < 2**31 - 1)) + inp
    if any_refractory_input:
        release = refractory_input & (refr_buf != 0)
        y_new = jnp.where(release, y_new + refr_buf, y_new)
        gathered = refr_buf + separately_rounded(inp * jnp.exp(-r.astype(y.dtype) * h / p.tau_m), r >= 0)
        refr_buf = jnp.where(free, jnp.where(release, 0.0, refr_buf),
                             jnp.where(refractory_input, gathered, refr_buf))
    y_new = jnp.maximum(y_new, p.V_min - p.E_L)
    y = jnp.where(free, y_new, y)
    r = jnp.where(free, r, r - 1)
    y, r, spiked = sg.threshold(y, p.V_th - p.E_L, free, p.V_reset - p.E_L, r, refractory_steps, surrogate)
    return y, r, refr_buf, spiked
