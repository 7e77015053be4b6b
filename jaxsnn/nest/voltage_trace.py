"""NEST's ``nest.voltage_trace``: membrane potentials recorded by a voltmeter (or a multimeter
recording V_m), one line per neuron.

``from_device(detec, nodes=None, title=None, grayscale=False, timeunit="ms")`` draws with matplotlib
(an optional dependency) and returns the lines.
"""
from __future__ import annotations

import numpy as np

from ..errors import bad_value
from ..models.base import SAMPLES
from .raster_plot import _pyplot, _records

UNITS = {"ms": 1.0, "s": 1e-3, "min": 1e-3 / 60}


def from_device(detec, nodes=None, title=None, grayscale=False, timeunit="ms", **kwargs):
    """V_m over time of each neuron ``detec`` recorded (of ``nodes`` only, if given)."""
    if len(detec) != 1 or _records(detec) != SAMPLES:
        raise bad_value("voltage_trace.from_device: detec", detec, "one voltmeter (or multimeter recording V_m)")
    if timeunit not in UNITS:
        raise bad_value("timeunit", timeunit, f"one of {list(UNITS)}")
    ev = detec.get("events")
    if "V_m" not in ev:
        raise bad_value("voltage_trace.from_device: detec", detec, "a recorder of V_m")
    senders, times, v = (np.asarray(ev[k]) for k in ("senders", "times", "V_m"))
    wanted = np.unique(senders) if nodes is None else np.asarray(getattr(nodes, "ids", nodes))
    plt = _pyplot()
    lines = []
    for i in wanted:
        mine = senders == i
        style = {"color": "k"} if grayscale else {}
        lines += plt.plot(times[mine] * UNITS[timeunit], v[mine], label=f"Neuron {int(i)}", **style, **kwargs)
    plt.ylabel("Membrane potential (mV)")
    plt.xlabel(f"Time ({timeunit})")
    plt.title(title or f"Membrane potential of {len(wanted)} neuron{'s' if len(wanted) != 1 else ''}")
    return lines


def show():
    _pyplot().show()
