"""aeif_psc_delta: adaptive exponential integrate-and-fire neuron with delta synapses (a spike moves V_m), as
NEST 3.10 integrates it. Equations, update order and parity: :mod:`._aeif` (kind ``"delta"``).
"""
from __future__ import annotations

import sys

from . import _aeif, _gsl

NAME = "aeif_psc_delta"
KIND = "delta"
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
