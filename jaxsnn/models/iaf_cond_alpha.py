"""iaf_cond_alpha: leaky integrate-and-fire neuron with alpha-shaped synaptic conductances, as NEST 3.10
integrates it. Equations, update order and parity: :mod:`._iaf_cond`.
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
