"""multimeter: state variables of the neurons it is connected to, sampled at a fixed interval (NEST's
``multimeter``; ``voltmeter`` is a multimeter whose ``record_from`` is ``["V_m"]``).

In every step whose stamp t satisfies ``t >= offset``, ``(t - offset) % interval == 0`` and
``origin + start < t <= origin + stop``, the engine writes the ``record_from`` quantities of its
neurons into one row of its buffer (:func:`jaxsnn.core.recorders.sample`; ``spec.recording.multimeter_rows``
rows per chunk, per multimeter). The host empties the buffers after every chunk; a full one sets
``Overflow.MULTIMETER`` and :func:`jaxsnn.simulate` doubles the rows and recomputes the chunk.
The quantities are the recordables of the neurons' models (V_m in mV, I_syn_* in pA).

``events``: ``times`` (ms), ``senders`` and one column per recorded quantity (long format: one row per
sample and neuron).

Parameters (NEST's names and units):

===========  ========  ====================================
name         default   doc
===========  ========  ====================================
interval     1 ms      time between samples (a multiple of the resolution)
offset       0 ms      first sample time (0, or a multiple of the resolution)
record_from  ('V_m',)  the recordables to sample
origin       0 ms      global time offset of start and stop
start        0 ms      active after origin + start (exclusive)
stop         inf ms    active until origin + stop (inclusive)
===========  ========  ====================================
"""
from __future__ import annotations

import math

import numpy as np

from ..build import checks
from ..core.status import Overflow
from ..errors import bad_value, unknown_name
from .base import SAMPLES, TO_NEURONS, WINDOW, Param, Recorder, stamps_ms


class Multimeter(Recorder):
    name = "multimeter"
    parameters = {
        "interval": Param(1.0, "ms", "time between samples (a multiple of the resolution)"),
        "offset": Param(0.0, "ms", "first sample time (0, or a multiple of the resolution)"),
        "record_from": Param(("V_m",), "", "the recordables to sample"),
        **WINDOW,
    }
    vector_params = ("record_from",)
    capacity = "multimeter_rows"
    status_bit = Overflow.MULTIMETER
    connects = TO_NEURONS
    refused_rules = ("fixed_total_number",)
    allowed_rules = "all_to_all or one_to_one (or a rule drawing distinct neurons)"
    layout_nodes = "multimeters"
    records = SAMPLES
    aliases = {"voltmeter": {}}  # NEST's voltmeter: a multimeter recording V_m (the default)

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        from . import per_port, recordables  # the neuron models' recordables (the registry imports this module)

        iv = checks.number(f"{where}: interval", v["interval"], "a positive multiple of the resolution (ms)",
                           lambda x: 0 < x < math.inf)
        if checks.tics(iv) % tics_per_step or round(iv / h) > checks.MAX_WINDOW_STEPS:
            raise bad_value(f"{where}: interval", iv, f"a positive multiple of the resolution ({h} ms)")
        v["interval"] = iv
        off = checks.number(f"{where}: offset", v.get("offset", 0.0), "0 or a positive multiple of the resolution")
        if not (off == 0 or (off >= h and not checks.tics(off) % tics_per_step)):
            raise bad_value(f"{where}: offset", off, f"0 or a positive multiple of the resolution ({h} ms)")
        if "offset" in v:
            v["offset"] = off
        rf = v["record_from"]
        if isinstance(rf, str) or not isinstance(rf, (list, tuple)):
            raise bad_value(f"{where}: record_from", rf, "a list of recordable names, e.g. ['V_m']")
        known = sorted({r for rs in recordables().values() for r in rs})
        for name in rf:
            if name not in known and not per_port(name):
                raise unknown_name("recordable", name, known)
        v["record_from"] = tuple(rf)
        return v

    @classmethod
    def drain(cls, spec, layout, top, host) -> dict:
        out, sm = {}, host.buffers.samples
        for k, rid in enumerate(layout.multimeters):
            c = int(sm.count[k])
            if c:
                out[rid] = {"stamps": sm.stamps[k][:c], "V_m": sm.values[k][:c]}  # "V_m": every quantity
        return out

    @classmethod
    def events(cls, sim, rid, columns) -> dict:
        lay = sim.layout
        k = lay.multimeters.index(rid)
        record_from = lay.record_from[k] if lay.record_from else ("V_m",)
        index = np.asarray(sim.model.recorders.sample_index[k])
        n = len(index) // max(1, len(record_from))
        senders = lay.node_of_neuron[index[:n]]
        stamps = columns.get("stamps", np.zeros(0, np.int64))
        values = columns.get("V_m", np.zeros((0, len(index))))  # all columns, quantity-major
        cols = {"times": np.repeat(stamps_ms(sim.spec, stamps), len(senders)), "senders": np.tile(senders, len(stamps))}
        for q, name in enumerate(record_from):
            cols[name] = values[:, q * n:(q + 1) * n].reshape(-1)
        return cols

    @classmethod
    def no_events(cls, p) -> dict:
        return {"times": np.zeros(0), "senders": np.zeros(0, np.int64), **{q: np.zeros(0) for q in p["record_from"]}}

    @classmethod
    def ascii_columns(cls, events) -> list:
        """Every recorded quantity, 3 decimals."""
        return [(c, np.char.mod("%.3f", np.asarray(v))) for c, v in events.items() if c not in ("times", "senders")]


MODEL = Multimeter
