"""iaf_psc_exp: leaky integrate-and-fire neuron with exponentially decaying synaptic currents, exactly as
NEST 3.10 (docs/nest_semantics.md §10, §11).

With V relative to the resting potential (y = V_m − E_L):

    τ_m dy/dt = −y + τ_m / C_m · (I_syn_ex + I_syn_in + I_e + I_0),   τ_syn dI_syn/dt = −I_syn,

and a spike of weight·multiplicity s makes I_syn_ex jump by s (s > 0) or I_syn_in by s (s ≤ 0), in pA.
Update of a step (NEST's order): V from the *old* currents (unless refractory), then the currents decay
and take this step's spikes (and receptor 1's current, filtered like I_syn_ex), then the threshold
test and reset. Refractoriness clamps V only: spikes arriving then still charge the currents. The
current of generators on receptor 0 (I_0) acts from the next step on.

Parameters (``params.neurons``, NEST's names and defaults):

=============  =======  ====================================================
E_L            -70 mV   resting potential
C_m            250 pF   membrane capacitance
tau_m          10 ms    membrane time constant
tau_syn_ex     2 ms     time constant of the excitatory synaptic current
tau_syn_in     2 ms     time constant of the inhibitory synaptic current
t_ref          2 ms     refractory period (whole steps, rounded up)
V_th           -55 mV   spike threshold
V_reset        -70 mV   reset potential
I_e            0 pA     constant input current
tau_minus      20 ms    time constant of the postsynaptic STDP trace
=============  =======  ====================================================

Not here: NEST's escape noise (``rho``, ``delta``; the catalogue refuses delta > 0). Recordables: V_m,
I_syn_ex, I_syn_in. tau_syn == tau_m is legal (singular propagator, :mod:`.iaf_propagator`).
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from .iaf_propagator import host_p32, host_table
from .iaf_psc_delta import separately_rounded as sr
from .surrogate import threshold


def host_constants(tau_m, C_m, tau_syn_ex, tau_syn_in, h: float) -> dict:
    """P11ex, P11in, P21ex, P21in, P20 in float64 with NEST's bits (``pre_run_hook``)."""
    P22 = host_table(lambda t: math.exp(-h / t), tau_m)
    return dict(P11ex=host_table(lambda t: math.exp(-h / t), tau_syn_ex),
                P11in=host_table(lambda t: math.exp(-h / t), tau_syn_in),
                P21ex=host_table(lambda ts, tm, c: host_p32(ts, tm, c, h), tau_syn_ex, tau_m, C_m),
                P21in=host_table(lambda ts, tm, c: host_p32(ts, tm, c, h), tau_syn_in, tau_m, C_m),
                P20=np.asarray(tau_m, float) / np.asarray(C_m, float) * (1.0 - P22))


def P20(tau_m, C_m, P22):
    """In-graph (tau_m / C_m)(1 − P22)."""
    return tau_m / C_m * (1.0 - P22)


def update(p, k, y, r, i_ex, i_in, i_0, i_1, ex, inh, receptor1: bool, surrogate=None):
    """One step: ``k`` = (P11ex, P11in, P22, P21ex, P21in, P20, refractory steps); ``ex``/``inh`` this
    step's spike input per channel, ``i_0``/``i_1`` the previous step's currents. Returns
    (y, r, i_ex, i_in, spiked). Products are rounded before they are added (as NEST: no FMA).
    ``surrogate``: as in :func:`jaxsnn.core.surrogate.threshold`."""
    P11ex, P11in, P22, P21ex, P21in, P20_, ref = k
    free = r == 0
    y_new = ((sr(y * P22, r >= 0) + sr(i_ex * P21ex, r >= -1)) + sr(i_in * P21in, r >= -2)) \
        + sr((p.I_e + i_0) * P20_, r >= -3)
    y = jnp.where(free, y_new, y)
    r = jnp.where(free, r, r - 1)
    i_ex = sr(i_ex * P11ex, r >= -4)
    i_in = sr(i_in * P11in, r >= -5)
    if receptor1:
        i_ex = i_ex + sr((1.0 - P11ex) * i_1, r >= -6)
    i_ex = i_ex + ex
    i_in = i_in + inh
    y, r, spiked = threshold(y, p.V_th - p.E_L, free, p.V_reset - p.E_L, r, ref, surrogate)
    return y, r, i_ex, i_in, spiked
