"""Short-term plasticity (Tsodyks–Markram): NEST 3.10's per-spike updates as pure, elementwise JAX functions.

The state lives in each synapse and changes only when a presynaptic spike is sent, from the time h (ms)
since the synapse's previous spike; NEST's order of floating-point operations is kept, so float64 results
agree to the last bits (up to XLA's exponentials).

``tsodyks2_synapse`` (Tsodyks & Markram 1997, Fuhrmann et al. 2002; state x, u; t_last starts at −1, so the
first spike sends with the initial x, u):

    if a spike was sent before:  x ← 1 + (x − x u − 1) e^{−h/τ_rec};  u ← U + u (1 − U) e^{−h/τ_fac}
                                 (e^{−h/τ_fac} is 0 for τ_fac = 0: no facilitation)
    sends the weight x u w (then nothing changes until the next spike)

``tsodyks_synapse`` / ``tsodyks_synapse_hom`` (Tsodyks, Uziel & Markram 2000; state x, y, u with
z = 1 − x − y; t_last starts at 0.0, so the first spike sees h = its own time):

    P_uu = e^{−h/τ_fac} (0 for τ_fac = 0),  P_yy = e^{−h/τ_psc},  P_zz = expm1(−h/τ_rec),
    P_xy = (P_zz τ_rec − (P_yy − 1) τ_psc) / (τ_psc − τ_rec)
    u ← u P_uu;  x ← x + (P_xy y − P_zz z);  y ← y P_yy;  u ← u + U (1 − u)
    Δ = u x;  x ← x − Δ;  y ← y + Δ;  sends the weight Δ w

(the `_hom` model keeps U, τ_psc, τ_rec, τ_fac and w as common properties: the arithmetic is the same).
"""
from __future__ import annotations

import jax.numpy as jnp


def tsodyks2(x, u, h, U, tau_rec, tau_fac, sent_before):
    """(x, u) at a spike h ms after the previous one; unchanged where ``sent_before`` is False."""
    x_decay = jnp.exp(-h / tau_rec)
    u_decay = jnp.where(tau_fac == 0, 0.0, jnp.exp(-h / jnp.where(tau_fac == 0, 1.0, tau_fac)))
    x_new = 1. + (x - x * u - 1.) * x_decay
    u_new = U + u * (1. - U) * u_decay
    return jnp.where(sent_before, x_new, x), jnp.where(sent_before, u_new, u)


def tsodyks(x, y, u, h, U, tau_psc, tau_rec, tau_fac):
    """(x, y, u, Δ) at a spike h ms after the previous one; the spike sends Δ · w."""
    Puu = jnp.where(tau_fac == 0.0, 0.0, jnp.exp(-h / jnp.where(tau_fac == 0.0, 1.0, tau_fac)))
    Pyy = jnp.exp(-h / tau_psc)
    Pzz = jnp.expm1(-h / tau_rec)
    Pxy = (Pzz * tau_rec - (Pyy - 1.0) * tau_psc) / (tau_psc - tau_rec)
    z = 1.0 - x - y
    u = u * Puu
    x = x + (Pxy * y - Pzz * z)  # C's x += a - b
    y = y * Pyy
    u = u + U * (1.0 - u)
    delta = u * x
    return x - delta, y + delta, u, delta
