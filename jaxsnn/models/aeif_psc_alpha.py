"""aeif_psc_alpha: adaptive exponential integrate-and-fire neuron with alpha-shaped synaptic currents, as NEST
3.10 integrates it. Equations, update order and parity: :mod:`._aeif` (kind ``"psc_alpha"``).

Parameters (NEST's names and defaults; state variables are initial values):

=================  ========  =======================================================
V_peak             0 mV      spike detection threshold (Δ_T > 0)
V_reset            -60 mV    reset potential
t_ref              0 ms      refractory period
g_L                30 nS     leak conductance
C_m                281 pF    membrane capacitance
E_L                -70.6 mV  leak reversal potential
Delta_T            2 mV      slope factor
tau_w              144 ms    adaptation time constant
a                  4 nS      subthreshold adaptation
b                  80.5 pA   spike-triggered adaptation
V_th               -50.4 mV  spike initiation threshold
I_e                0 pA      constant input current
gsl_error_tol      1e-06     error tolerance of the integrator
tau_syn_ex         0.2 ms    excitatory synaptic time constant
tau_syn_in         2 ms      inhibitory synaptic time constant
V_m                -70.6 mV  state variable (state)
I_syn_ex           0 pA      state variable (state)
I_syn_in           0 pA      state variable (state)
w                  0 pA      state variable (state)
tau_minus          20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms    time constant of the postsynaptic triplet STDP trace
Ca                 0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms  time constant of the calcium trace
beta_Ca            0.001     increment of the calcium trace per spike
=================  ========  =======================================================

Recordables: I_syn_ex, I_syn_in, V_m, w.
"""
from __future__ import annotations

import sys

from . import _aeif, _gsl

NAME = "aeif_psc_alpha"
KIND = "psc_alpha"
PARAMETERS = _aeif.parameters(KIND)
STATE = _aeif.ROWS[KIND]
RECORDABLES = tuple(k for k in STATE if not k.startswith("d"))
check = _aeif.check
host_constants = _aeif.host_constants
rhs = _aeif.rhs_of(KIND)


def update(p, k, s, ex, inh, I_stim, *, h, slab=None):
    return _aeif.update(KIND, p, k, s, ex, inh, I_stim, h=h, slab=slab)


def record(p, s, h):
    return {k: s[k] for k in RECORDABLES}


MODEL = _gsl.make(sys.modules[__name__])
