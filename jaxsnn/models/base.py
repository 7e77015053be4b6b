"""The model contract: what one NEST model provides, in one module of :mod:`jaxsnn.models`.

Devices (generators and recorders) declare their parameter table once (one :class:`Param` per NEST
parameter), NEST's checks, and what the host does with them; see the section "devices" below and
``docs/models.md``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np

from ..build import checks
from ..errors import JaxsnnError, bad_value


@dataclasses.dataclass(frozen=True)
class Param:
    """One row of NEST's parameter table: the only place a default and a unit live."""

    default: Any  # float, or bool for switches (fixed at build)
    unit: str  # "mV", "pF", "ms", "pA", "Hz", "nS", "" (NEST's units)
    doc: str
    state: bool = False  # the initial value of a state variable (NEST's State_), e.g. V_m


# =============================================================================== devices
# Generators and recorders are nodes without dynamics of their own: a parameter table (one
# :class:`Param` per NEST parameter), NEST's checks, and what the host does with them. The device-side
# arithmetic they use (pushing into the input ring, appending to buffers) is in :mod:`jaxsnn.core`.

WINDOW = {  # NEST's StimulationDevice / RecordingDevice activity window (ms)
    "origin": Param(0.0, "ms", "global time offset of start and stop"),
    "start": Param(0.0, "ms", "active after origin + start (exclusive)"),
    "stop": Param(math.inf, "ms", "active until origin + stop (inclusive)"),
}


def check_window(v: dict, where: str, h: float, tics_per_step: int) -> dict:
    """NEST's checks of a device's ``origin``, ``start`` and ``stop`` (times on the grid, stop >= start);
    returns ``v`` with them as floats."""
    v = dict(v)
    for name in ("origin", "start", "stop"):
        if name in v:
            x = checks.number(f"{where}: {name}", v[name], "a time in ms (a number, not NaN)")
            if name != "stop" and not math.isfinite(x):
                raise bad_value(f"{where}: {name}", v[name], "a finite time in ms")
            if x < 0:
                raise bad_value(f"{where}: {name}", v[name], "a time >= 0 ms")
            if math.isfinite(x) and checks.tics(x) % tics_per_step:
                raise bad_value(f"{where}: {name}", v[name], f"a multiple of the resolution ({h} ms)")
            v[name] = x
    if "stop" in v:
        if v["stop"] < v["start"]:
            raise JaxsnnError(f"{where}: stop={v['stop']} must be >= start={v['start']} (ms; NEST: 'stop >= start "
                              "required').")
        for end in ("start", "stop"):
            at = v["origin"] + v[end]
            if math.isfinite(at) and round(at / h) > checks.MAX_WINDOW_STEPS:
                raise bad_value(f"{where}: origin + {end}", at, f"at most {checks.MAX_WINDOW_STEPS} steps "
                                f"({checks.MAX_WINDOW_STEPS * h} ms; device windows are int32 steps), or stop=inf")
    return v


def check_stop(v: dict, where: str) -> None:
    """A current generator's ``stop >= start`` (NEST's message for these)."""
    if math.isfinite(v["stop"]) and v["stop"] < v["start"]:
        raise bad_value(f"{where}: stop", v["stop"], f"stop >= start required (start {v['start']} ms)")


def real(x) -> bool:
    """A finite real number: Python's or NumPy's (np.float32 included), not a bool or a string."""
    return (isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))
            and math.isfinite(x))


def flat_floats(where, value, what) -> np.ndarray:
    """A list parameter's numbers (one flat list; strings, bools and nested lists are refused)."""
    a = checks.floats(where, value)
    if a.ndim > 1:
        raise bad_value(where, checks._show(value), f"one flat list of {what}")
    return a.reshape(-1)


def stamps_ms(spec, stamps) -> np.ndarray:
    """Integer step stamps as ms, exactly as NEST's Time::get_ms of the grid time."""
    return 0.001 * (np.asarray(stamps).astype(np.int64) * spec.tics_per_step)


class Device:
    """What generators and recorders share: a name, a parameter table and NEST's checks."""

    name: ClassVar[str]
    parameters: ClassVar[dict]  # NEST name -> Param
    vector_params: ClassVar[tuple] = ()  # parameters whose one value is a list (not one value per node)

    @classmethod
    def defaults(cls) -> dict:
        return {k: p.default for k, p in cls.parameters.items()}

    @classmethod
    def check(cls, v: dict, where: str, h: float, tics_per_step: int) -> dict:
        """NEST's checks of one device's parameters ``v`` (scalars and lists): the window's, then the
        model's own (:meth:`check_own`); returns a normalised copy (floats, tuples, times on the grid)."""
        return cls.check_own(check_window(v, where, h, tics_per_step), where, h, tics_per_step)

    @classmethod
    def check_own(cls, v: dict, where: str, h: float, tics_per_step: int) -> dict:
        return v

    @classmethod
    def check_given(cls, given: dict, where: str) -> None:
        """Checks of the names given together in one ``create``/``set`` call (before defaults fill in)."""


class Generator(Device):
    """The contract of a generator. ``emits``: :data:`SPIKES` (events into the input ring, which every
    neuron model receives) or :data:`CURRENT` (pA into the current rows, for models with a current
    receptor). ``settable``: the parameters ``Simulation.set`` may change between runs;
    :meth:`schedule` turns the parameters into the amplitude entries of a current generator that
    follows a schedule (dc_generator, step_current_generator)."""

    emits: ClassVar[str]
    settable: ClassVar[tuple] = ()
    noise: ClassVar[bool] = False  # a current drawn per connection (noise_generator), not a schedule

    @classmethod
    def schedule(cls, p: dict, tics_per_step: int, now: int = 0, held: float = 0.0):
        """The amplitude as (from step, pA) entries, or None for a generator without a schedule."""
        return None


SPIKES, CURRENT = "spikes", "current"  # what a generator emits
FROM_NEURONS, TO_NEURONS = "from_neurons", "to_neurons"  # how a recorder is connected


class Recorder(Device):
    """The contract of a recorder: its buffers are sized by ``spec.<capacity>`` (grown by doubling when
    the run sets ``status_bit``); ``layout_nodes`` names the Layout field listing its node ids in
    buffer order; :meth:`drain` turns a chunk's host buffers into records (column dicts, kept in
    checkpoints under these names) and :meth:`events` turns the records into NEST's ``events``
    columns. ``aliases``: other NEST names for it, with their own defaults (voltmeter)."""

    capacity: ClassVar[str]
    status_bit: ClassVar[int]
    layout_nodes: ClassVar[str]
    aliases: ClassVar[dict] = {}
    connects: ClassVar[str | None] = None  # FROM_NEURONS (neuron -> recorder), TO_NEURONS, or not connected
    refused_rules: ClassVar[tuple] = ()  # connection rules NEST refuses for its connections
    allowed_rules: ClassVar[str] = "all_to_all or one_to_one"  # what to say instead

    @staticmethod
    def grown(capacity):
        """The next capacity after an overflow (per recorder for tuples): twice the old one."""
        return tuple(2 * c for c in capacity) if isinstance(capacity, tuple) else 2 * capacity

    @classmethod
    def drain(cls, spec, layout, top, host) -> dict:
        """{recorder node id: columns} of one chunk from the host copy ``host`` of the state."""
        raise NotImplementedError

    @classmethod
    def events(cls, sim, rid: int, columns: dict) -> dict:
        """NEST's ``events`` columns of recorder ``rid`` from its concatenated records."""
        raise NotImplementedError
