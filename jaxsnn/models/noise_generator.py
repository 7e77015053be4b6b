"""noise_generator: a Gaussian white-noise current, redrawn every ``dt`` (NEST's ``noise_generator``).

Each connection draws its own current I = mean + sqrt(std² + y₁·std_mod²) · N(0, 1) at its first active
step and every ``dt`` after, with y₁ = sin(phase + 2π · frequency · t) (NEST's oscillator, from the
first active step) and N(0, 1) from the bits of (key, draw step, connection) by Box–Muller
(:func:`jaxsnn.core.generators.push_currents`): split, resumed and sharded runs draw the same currents.
The current reaches its targets as a dc_generator's does.

Parameters (NEST's names and units):

=========  =======  ====================================================
name       default  doc
=========  =======  ====================================================
mean       0 pA     mean current
std        0 pA     standard deviation of the draws
std_mod    0 pA     modulation of the standard deviation (<= std)
frequency  0 Hz     frequency of the modulation
phase      0        phase of the modulation (degrees)
dt         None     ms between draws (None: 10 resolutions, set at create)
origin     0 ms     global time offset of start and stop
start      0 ms     active after origin + start (exclusive)
stop       inf ms   active until origin + stop (inclusive)
=========  =======  ====================================================
"""
from __future__ import annotations

from ..errors import bad_value
from .base import CURRENT, WINDOW, Generator, Param, check_stop, real


class NoiseGenerator(Generator):
    name = "noise_generator"
    parameters = {
        "mean": Param(0.0, "pA", "mean current"),
        "std": Param(0.0, "pA", "standard deviation of the draws"),
        "std_mod": Param(0.0, "pA", "modulation of the standard deviation (<= std)"),
        "frequency": Param(0.0, "Hz", "frequency of the modulation"),
        "phase": Param(0.0, "", "phase of the modulation (degrees)"),
        "dt": Param(None, "ms", "time between draws (None: 10 resolutions, set at create)"),
        **WINDOW,
    }
    emits = CURRENT
    table = "currents"
    noise = True  # drawn per connection (not a schedule)

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        check_stop(v, where)
        for name in ("mean", "std", "std_mod", "frequency", "phase"):
            if not real(v[name]):
                raise bad_value(f"{where}: {name}", v[name], "a finite number")
        if v["std"] < 0 or v["std_mod"] < 0:
            raise bad_value(f"{where}: std/std_mod", (v["std"], v["std_mod"]), "The standard deviation cannot be "
                            "negative.")
        if v["std_mod"] > v["std"]:
            raise bad_value(f"{where}: std_mod", v["std_mod"], f"std_mod <= std ({v['std']}): The modulation "
                            "amplitude must be smaller or equal to the baseline amplitude.")
        if v["dt"] is None:
            v["dt"] = 10 * h
        dt = v["dt"]
        if not (isinstance(dt, (int, float)) and dt > 0 and abs(dt / h - round(dt / h)) < 1e-9):
            raise bad_value(f"{where}: dt", dt, f"a positive multiple of the resolution {h} ms (NEST: "
                            "StepMultipleRequired)")
        return v


MODEL = NoiseGenerator
