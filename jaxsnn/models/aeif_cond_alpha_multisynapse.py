"""aeif_cond_alpha_multisynapse: adaptive exponential integrate-and-fire neuron with alpha-shaped synaptic
conductances on any number of receptor ports (each with its own reversal potential and time constant),
as NEST 3.10 integrates it. Equations, update order and parity: :mod:`._aeif_multi` (kind ``"alpha"``).

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
tau_syn            [2] ms    synaptic time constants, one per receptor port
E_rev              [0] mV    reversal potentials, one per receptor port
I_e                0 pA      constant input current
gsl_error_tol      1e-06     error tolerance of the integrator
V_m                -70.6 mV  membrane potential (state)
w                  0 pA      adaptation current (state)
tau_minus          20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms    time constant of the postsynaptic triplet STDP trace
Ca                 0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms  time constant of the calcium trace
beta_Ca            0.001     increment of the calcium trace per spike
=================  ========  =======================================================

Recordables: V_m, w, g_1 … g_n (n: the number of ports, the length of E_rev).
"""
from __future__ import annotations

import sys

from . import _aeif_multi, _gsl

NAME = "aeif_cond_alpha_multisynapse"
KIND = "alpha"
INPUTS = "ports"  # spikes arrive per receptor port 1 … n (one input column per port)
PARAMETERS = _aeif_multi.parameters(KIND)
PORT_PARAMETERS = _aeif_multi.port_parameters(KIND)  # one value per port: [neurons, ports]
STATE = _aeif_multi.STATE
RECORDABLES = ("V_m", "w")  # and g_1 … g_n (see record)
PORT_RECORDABLES = ("g",)  # one per port: g_1 … g_n
PORT_CHANGE = "grow"  # NEST refuses fewer ports once a spike connection arrives, not more
NEST_STATE = {"V_m": (-70.6, "mV", "membrane potential"), "w": (0.0, "pA", "adaptation current")}
ports = _aeif_multi.ports
record = _aeif_multi.record


def check(p):
    _aeif_multi.check(KIND, p)


def host_constants(p, tics_per_step):
    return _aeif_multi.host_constants(KIND, p, tics_per_step)


def initial_state(p):
    """V_m at E_L, the conductances per port zero."""
    z = [0.0] * _aeif_multi.ports(p)
    return {"V_m": float(p.get("V_m", p["E_L"])), "dg": z, "g": list(z)}


def update(p, k, s, ex, inh, I_stim, *, h, slab=None):
    return _aeif_multi.update(KIND, p, k, s, ex, inh, I_stim, h=h, slab=slab)


MODEL = _gsl.make(sys.modules[__name__])
