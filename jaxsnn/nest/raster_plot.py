"""NEST's ``nest.raster_plot``: spikes of a spike_recorder as dots, optionally over a rate histogram.

``from_device(detec, hist=False, hist_binwidth=5.0, grayscale=False, title=None, xlabel=None)``
draws with matplotlib (an optional dependency: ``pip install jaxsnn[plot]``) and returns the axes.
"""
from __future__ import annotations

import numpy as np

from ..errors import JaxsnnError, bad_value
from ..models import RECORDERS
from ..models.base import SPIKE_EVENTS


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise JaxsnnError("raster_plot needs matplotlib: pip install matplotlib (or jaxsnn[plot]).") from None
    return plt


def _records(detec):
    """What the recorder ``detec`` (one node) records (its model's ``records``), or None."""
    from .kernel import KERNEL

    recorder = RECORDERS.get(KERNEL.kind_of(int(detec.ids[0]))[1])
    return None if recorder is None else recorder.records


def from_device(detec, hist: bool = False, hist_binwidth: float = 5.0, grayscale: bool = False, title=None,
                xlabel=None, **kwargs):
    """Raster of what spike_recorder ``detec`` recorded (senders over times in ms); with ``hist``, a
    histogram of the population rate (Hz per neuron recorded) below it."""
    if len(detec) != 1 or _records(detec) != SPIKE_EVENTS:
        raise bad_value("raster_plot.from_device: detec", detec, "one spike_recorder")
    ev = detec.get("events")
    return from_data(np.asarray(ev["senders"]), np.asarray(ev["times"]), hist=hist, hist_binwidth=hist_binwidth,
                     grayscale=grayscale, title=title, xlabel=xlabel, **kwargs)


def from_data(senders, times, hist=False, hist_binwidth=5.0, grayscale=False, title=None, xlabel=None, **kwargs):
    """The same plot from arrays of senders and times (ms)."""
    if not hist_binwidth > 0:
        raise bad_value("hist_binwidth", hist_binwidth, "a bin width > 0 ms")
    plt = _pyplot()
    color = "k" if grayscale else kwargs.pop("color", "b")
    fig = plt.figure()
    if hist:
        ax1 = fig.add_axes([0.1, 0.3, 0.85, 0.6])
        ax2 = fig.add_axes([0.1, 0.08, 0.85, 0.17], sharex=ax1)
    else:
        ax1, ax2 = fig.add_subplot(111), None
    ax1.plot(times, senders, ".", color=color, **kwargs)
    ax1.set_ylabel("Neuron ID")
    if title:
        ax1.set_title(title)
    if ax2 is not None and len(times):
        n = max(len(np.unique(senders)), 1)
        edges = np.arange(np.min(times), np.max(times) + hist_binwidth, hist_binwidth)
        counts, edges = np.histogram(times, bins=edges)
        ax2.bar(edges[:-1], counts / n / (hist_binwidth * 1e-3), width=hist_binwidth, align="edge",
                color="gray" if grayscale else "b")
        ax2.set_ylabel("Rate (Hz)")
        ax2.set_xlabel(xlabel or "Time (ms)")
    else:
        ax1.set_xlabel(xlabel or "Time (ms)")
    return [ax1] + ([ax2] if ax2 is not None else [])


def show():
    _pyplot().show()
