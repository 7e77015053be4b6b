"""hh_psc_alpha: Hodgkin–Huxley neuron with alpha-shaped synaptic currents, as NEST 3.10 integrates it.
Equations, update order and parity: :mod:`._hh` (kind ``"psc_alpha"``).

Parameters (NEST's names and defaults; state variables are initial values):

=================  ==========  =======================================================
t_ref              2 ms        refractory period
g_Na               12000 nS    sodium peak conductance
g_K                3600 nS     potassium peak conductance
g_L                30 nS       leak conductance
C_m                100 pF      membrane capacitance
E_Na               50 mV       sodium reversal potential
E_K                -77 mV      potassium reversal potential
E_L                -54.402 mV  leak reversal potential
tau_syn_ex         0.2 ms      rise time of the excitatory synaptic alpha function
tau_syn_in         2 ms        rise time of the inhibitory synaptic alpha function
I_e                0 pA        constant input current
V_m                -65 mV      state variable (state)
Act_m              0.0529325   state variable (state)
Inact_h            0.596121    state variable (state)
Act_n              0.317677    state variable (state)
I_syn_ex           0 pA        state variable (state)
I_syn_in           0 pA        state variable (state)
tau_minus          20 ms       time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms      time constant of the postsynaptic triplet STDP trace
Ca                 0           calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms    time constant of the calcium trace
beta_Ca            0.001       increment of the calcium trace per spike
=================  ==========  =======================================================

Recordables: Act_m, Act_n, I_syn_ex, I_syn_in, Inact_h, V_m.
"""
from __future__ import annotations

import sys

from . import _gsl, _hh

NAME = "hh_psc_alpha"
KIND = "psc_alpha"
PARAMETERS = _hh.parameters(KIND)
STATE = _hh.ROWS[KIND]
RECORDABLES = _hh.RECORDABLES[KIND]
rhs = _hh.rhs_of(KIND)


def check(p):
    _hh.check(KIND, p)


def initial_state(p):
    return _hh.initial_state(KIND, p)


def host_constants(p, tics_per_step):
    return _hh.host_constants(KIND, p, tics_per_step)


def update(p, k, s, ex, inh, I_stim, *, h, slab=None):
    return _hh.update(KIND, p, k, s, ex, inh, I_stim, h=h, slab=slab)


def record(p, s, h):
    return _hh.record(KIND, p, s, h)


MODEL = _gsl.make(sys.modules[__name__])
