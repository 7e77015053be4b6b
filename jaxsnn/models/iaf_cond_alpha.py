"""iaf_cond_alpha: leaky integrate-and-fire neuron with alpha-shaped synaptic conductances, as NEST 3.10
integrates it. Equations, update order and parity: :mod:`._iaf_cond`.

Parameters (NEST's names and defaults; state variables are initial values):

=================  ==========  =======================================================
V_th               -55 mV      spike threshold
V_reset            -60 mV      reset potential
t_ref              2 ms        refractory period
g_L                16.6667 nS  leak conductance
C_m                250 pF      membrane capacitance
E_ex               0 mV        excitatory reversal potential
E_in               -85 mV      inhibitory reversal potential
E_L                -70 mV      leak reversal potential
tau_syn_ex         0.2 ms      rise and decay time of the excitatory conductance
tau_syn_in         2 ms        rise and decay time of the inhibitory conductance
I_e                0 pA        constant input current
V_m                -70 mV      state variable (state)
g_ex               0 nS        state variable (state)
g_in               0 nS        state variable (state)
tau_minus          20 ms       time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms      time constant of the postsynaptic triplet STDP trace
Ca                 0           calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms    time constant of the calcium trace
beta_Ca            0.001       increment of the calcium trace per spike
=================  ==========  =======================================================

Recordables: V_m, g_ex, g_in, t_ref_remaining.
"""
from __future__ import annotations

import sys

from . import _gsl, _iaf_cond

NAME = "iaf_cond_alpha"
KIND = "alpha"
PARAMETERS = _iaf_cond.parameters(KIND)
STATE = _iaf_cond.STATE
RECORDABLES = _iaf_cond.RECORDABLES
rhs = _iaf_cond.rhs_of(KIND)


def check(p):
    _iaf_cond.check(KIND, p)


def host_constants(p, tics_per_step):
    return _iaf_cond.host_constants(KIND, p, tics_per_step)


def update(p, k, s, ex, inh, I_stim, *, h, slab=None):
    return _iaf_cond.update(KIND, p, k, s, ex, inh, I_stim, h=h, slab=slab)


def record(p, s, h):
    return _iaf_cond.record(p, s, h)


MODEL = _gsl.make(sys.modules[__name__])
