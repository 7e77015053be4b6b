"""iaf_psc_alpha: leaky integrate-and-fire neuron with alpha-shaped synaptic currents, exactly as NEST 3.10
(docs/nest_semantics.md §10, §12).

With y = V_m − E_L, each synaptic current is the solution of
``dI/dt = dI − I/τ_syn, d(dI)/dt = −dI/τ_syn``; a spike of weight·multiplicity s makes dI_ex (s > 0) or
dI_in (s ≤ 0) jump by e·s/τ_syn, so that the current peaks at s pA τ_syn after arrival. Update of a
step (NEST's order): V from the old currents and the previous step's generator current (unless
refractory; bounded below by V_min), then the currents, then dI decays and takes this step's spikes,
then threshold and reset. Refractoriness clamps V only.

Parameters (``params.neurons``, NEST's names and defaults):

=============  =======  ====================================================
E_L            -70 mV   resting potential
C_m            250 pF   membrane capacitance
tau_m          10 ms    membrane time constant
tau_syn_ex     2 ms     rise time of the excitatory synaptic current
tau_syn_in     2 ms     rise time of the inhibitory synaptic current
t_ref          2 ms     refractory period (whole steps, rounded up)
V_th           -55 mV   spike threshold
V_reset        -70 mV   reset potential
V_min          -inf mV  lower bound of V_m
I_e            0 pA     constant input current
tau_minus      20 ms    time constant of the postsynaptic STDP trace
=============  =======  ====================================================

Recordables: V_m, I_syn_ex, I_syn_in.
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from .iaf_propagator import host_p31_p32, host_table, nest_expm1
from .iaf_psc_delta import separately_rounded as sr
from .surrogate import threshold


def host_constants(tau_m, C_m, tau_syn_ex, tau_syn_in, h: float) -> dict:
    """P11ex, P11in, P21ex (= P32ex), P21in, P31ex, P31in, P20 (= P30), expm1_tau_m with NEST's bits."""
    ex = host_table(lambda ts, tm, c: host_p31_p32(ts, tm, c, h), tau_syn_ex, tau_m, C_m).reshape(-1, 2)
    inh = host_table(lambda ts, tm, c: host_p31_p32(ts, tm, c, h), tau_syn_in, tau_m, C_m).reshape(-1, 2)
    for name, table, tau_syn in (("tau_syn_ex", ex, tau_syn_ex), ("tau_syn_in", inh, tau_syn_in)):
        bad = ~np.isfinite(table).all(axis=1)
        if bad.any():  # NEST computes NaN there (exp(h (1/tau_syn - 1/tau_m)) overflows) and V_m becomes NaN
            i = int(np.argmax(bad))
            from ..errors import bad_value
            raise bad_value(f"iaf_psc_alpha: {name}", float(np.asarray(tau_syn, float).reshape(-1)[i]),
                            f"a time constant for which NEST's propagators are finite (with tau_m="
                            f"{float(np.asarray(tau_m, float).reshape(-1)[i])} ms at h = {h} ms, exp(h / {name}) "
                            f"must not overflow: {name} > h / 709 = {h / 709:.3g} ms; NEST gives V_m = NaN)")
    return dict(P11ex=host_table(lambda t: math.exp(-h / t), tau_syn_ex),
                P11in=host_table(lambda t: math.exp(-h / t), tau_syn_in),
                P21ex=ex[:, 1], P21in=inh[:, 1], P31ex=ex[:, 0], P31in=inh[:, 0],
                P20=host_table(lambda tm, c: -tm / c * nest_expm1(-h / tm), tau_m, C_m),
                expm1_tau_m=host_table(lambda tm: nest_expm1(-h / tm), tau_m))


def P30(tau_m, C_m, h):
    """In-graph −tau_m / C_m · expm1(−h / tau_m)."""
    return -tau_m / C_m * jnp.expm1(-h / tau_m)


def update(p, k, h: float, y, r, I_ex, I_in, dI_ex, dI_in, y_0, ex, inh, surrogate=None):
    """One step: ``k`` = (P11ex, P11in, P32ex, P32in, P31ex, P31in, P30, expm1_tau_m, refractory
    steps). Returns (y, r, I_ex, I_in, dI_ex, dI_in, spiked). ``surrogate``: as in
    :func:`jaxsnn.core.surrogate.threshold`."""
    P11ex, P11in, P32ex, P32in, P31ex, P31in, P30_, em1, ref = k
    free = r == 0
    y_new = (((((sr(P30_ * (y_0 + p.I_e), r >= 0) + sr(P31ex * dI_ex, r >= -1)) + sr(P32ex * I_ex, r >= -2))
               + sr(P31in * dI_in, r >= -3)) + sr(P32in * I_in, r >= -4)) + sr(em1 * y, r >= -5)) + y
    V_min = p.V_min - p.E_L
    y_new = jnp.where(y_new < V_min, V_min, y_new)
    y = jnp.where(free, y_new, y)
    r = jnp.where(free, r, r - 1)
    I_ex = sr((h * P11ex) * dI_ex, r >= -6) + sr(P11ex * I_ex, r >= -7)
    dI_ex = sr(dI_ex * P11ex, r >= -8) + sr((math.e / p.tau_syn_ex) * ex, r >= -9)
    I_in = sr((h * P11in) * dI_in, r >= -10) + sr(P11in * I_in, r >= -11)
    dI_in = sr(dI_in * P11in, r >= -12) + sr((math.e / p.tau_syn_in) * inh, r >= -13)
    y, r, spiked = threshold(y, p.V_th - p.E_L, free, p.V_reset - p.E_L, r, ref, surrogate)
    return y, r, I_ex, I_in, dI_ex, dI_in, spiked
