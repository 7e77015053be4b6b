"""dc_generator: a constant current (NEST's ``dc_generator``).

Connection c adds ``weight[c] · amplitude`` (pA) to its target's current input in every active step k
(``origin + start < k + 2 <= origin + stop``: NEST's ``is_active`` for current generators), arriving
after the connection's delay; the neuron reads it at the end of step k + d, so it acts on V from the
next step (:func:`jaxsnn.core.generators.push_currents`). Between runs ``amplitude`` may change
(``Simulation.set``): it acts from the next slice on.

Parameters (NEST's names and units):

=========  =======  ====================================
name       default  doc
=========  =======  ====================================
amplitude  0 pA     the current
origin     0 ms     global time offset of start and stop
start      0 ms     active after origin + start (exclusive)
stop       inf ms   active until origin + stop (inclusive)
=========  =======  ====================================
"""
from __future__ import annotations

from ..errors import bad_value
from .base import CURRENT, WINDOW, Generator, Param, check_stop, real


class DCGenerator(Generator):
    name = "dc_generator"
    parameters = {"amplitude": Param(0.0, "pA", "the current"), **WINDOW}
    emits = CURRENT
    table = "currents"
    settable = ("amplitude",)

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        check_stop(v, where)
        if not real(v["amplitude"]):
            raise bad_value(f"{where}: amplitude", v["amplitude"], "a current in pA (a finite number)")
        return v

    @classmethod
    def schedule(cls, p, tics_per_step, now=0, held=0.0):
        """One entry: the amplitude from the start (a change between runs replaces it)."""
        return [(-1, float(p["amplitude"]))]


MODEL = DCGenerator
