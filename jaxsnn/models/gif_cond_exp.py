"""gif_cond_exp: generalized integrate-and-fire neuron with stochastic (escape-noise) spiking, spike-triggered
current and threshold adaptation, and exponentially decaying synaptic conductances, as NEST 3.10 integrates it
(GSL's rkf45). Equations, update order, randomness and parity: :mod:`._gif` (kind ``"cond_exp"``).

Parity: given the uniform draws, bit-identical to NEST (checked on NEST's runs with NEST's spikes
replayed, and where escape is certain); NEST's own draws come from its generator, which is not
reproduced, so spike trains agree with NEST's in distribution (rates checked statistically).

Parameters (NEST's names and defaults; state variables are initial values):

=================  ========  =============================================================================
I_e                0 pA      constant input current
E_L                -70 mV    leak reversal potential
g_L                4 nS      leak conductance
C_m                80 pF     membrane capacitance
V_reset            -55 mV    reset potential
Delta_V            0.5 mV    stochasticity level of the escape rate
V_T_star           -35 mV    base threshold
lambda_0           1 1/s     escape rate at the threshold
t_ref              4 ms      refractory period
tau_syn_ex         2 ms      excitatory synaptic time constant
tau_syn_in         2 ms      inhibitory synaptic time constant
E_ex               0 mV      excitatory reversal potential
E_in               -85 mV    inhibitory reversal potential
gsl_error_tol      0.001     error tolerance of the integrator
tau_sfa            [] ms     time constants of the threshold adaptation elements
q_sfa              [] mV     jumps of the threshold adaptation elements at a spike
tau_stc            [] ms     time constants of the spike-triggered current elements
q_stc              [] nA     jumps of the spike-triggered current elements (NEST adds them to I_stc as pA)
V_m                -70 mV    membrane potential (state)
g_ex               0 nS      excitatory conductance (state)
g_in               0 nS      inhibitory conductance (state)
tau_minus          20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms    time constant of the postsynaptic triplet STDP trace
Ca                 0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms  time constant of the calcium trace
beta_Ca            0.001     increment of the calcium trace per spike
=================  ========  =============================================================================

Recordables: V_m, E_sfa, I_stc, g_ex, g_in.
"""
from __future__ import annotations

import sys

from . import _gif, _gsl

NAME = "gif_cond_exp"
KIND = "cond_exp"
STOCHASTIC = True  # spikes drawn: update takes the draws as u (or draws them from its stream)
PARAMETERS = _gif.parameters(KIND)
LIST_PARAMETERS = _gif.LIST_PARAMETERS  # one value per adaptation element: [neurons, elements]
LIST_STATE = _gif.LIST_STATE
STATE = _gif.state(KIND)
RECORDABLES = ("V_m", "E_sfa", "I_stc") + _gif.SYN[KIND]
NEST_STATE = {"V_m": (-70.0, "mV", "membrane potential"), "g_ex": (0.0, "nS", "excitatory conductance"),
              "g_in": (0.0, "nS", "inhibitory conductance")}
check = _gif.check


def host_constants(p, tics_per_step):
    return _gif.host_constants(KIND, p, tics_per_step)


def initial_state(p):
    """The adaptation elements zero (as many as tau_sfa / tau_stc have), E_sfa at V_T_star."""
    import numpy as np

    return {"V_m": float(p.get("V_m", p["E_L"])), "E_sfa": float(p["V_T_star"]),
            "sfa_elems": np.zeros(np.shape(p["tau_sfa"])[-1:]), "stc_elems": np.zeros(np.shape(p["tau_stc"])[-1:])}


def to_state(host):
    return _gif.to_state(KIND, host)


def update(p, k, s, ex, inh, I_stim, *, h, slab=None, u=None, key=None):
    return _gif.update(KIND, p, k, s, ex, inh, I_stim, h=h, slab=slab, u=u, key=key)


def record(p, s, h):
    return _gif.record(KIND, p, s)


MODEL = _gsl.make(sys.modules[__name__])
