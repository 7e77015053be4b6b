"""hh_cond_exp_traub: Hodgkin–Huxley neuron of Traub and Miles with exponential synaptic conductances, as NEST
3.10 integrates it. Equations, update order and parity: :mod:`._hh` (kind ``"traub"``).
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
