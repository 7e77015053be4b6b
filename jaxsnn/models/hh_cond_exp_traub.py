"""hh_cond_exp_traub: Hodgkin–Huxley neuron of Traub and Miles with exponential synaptic conductances, as NEST
3.10 integrates it. Equations, update order and parity: :mod:`._hh` (kind ``"traub"``).

Parameters (NEST's names and defaults; state variables are initial values):

=================  ===========  =========================================================
g_Na               20000 nS     sodium peak conductance
g_K                6000 nS      potassium peak conductance
g_L                10 nS        leak conductance
C_m                200 pF       membrane capacitance
E_Na               50 mV        sodium reversal potential
E_K                -90 mV       potassium reversal potential
E_L                -60 mV       leak reversal potential
V_T                -63 mV       voltage offset of the rate functions (threshold ≈ −50 mV)
E_ex               0 mV         excitatory reversal potential
E_in               -80 mV       inhibitory reversal potential
tau_syn_ex         5 ms         excitatory synaptic time constant
tau_syn_in         10 ms        inhibitory synaptic time constant
t_ref              2 ms         refractory period
I_e                0 pA         constant input current
V_m                -60 mV       state variable (state)
Act_m              9.89556e-09  state variable (state)
Inact_h            1            state variable (state)
Act_n              2.55158e-07  state variable (state)
g_ex               0 nS         state variable (state)
g_in               0 nS         state variable (state)
tau_minus          20 ms        time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms       time constant of the postsynaptic triplet STDP trace
Ca                 0            calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms     time constant of the calcium trace
beta_Ca            0.001        increment of the calcium trace per spike
=================  ===========  =========================================================

Recordables: Act_m, Act_n, Inact_h, V_m, g_ex, g_in.
"""
from __future__ import annotations

import sys

from . import _gsl, _hh

NAME = "hh_cond_exp_traub"
KIND = "traub"
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
