"""NEST's ``nest.math``: element-wise functions of :class:`~jaxsnn.parameters.Parameter` expressions.

``exp``, ``sin``, ``cos`` (radians), ``min(x, value)``, ``max(x, value)`` and ``redraw(x, min, max)``
(values of ``x`` outside [min, max] drawn again). Each returns a Parameter; numbers are accepted where
a Parameter is.
"""
from __future__ import annotations

import math as _math

from .errors import bad_value
from .parameters import Binary, Parameter, Redraw, Unary, as_parameter

__all__ = ["cos", "exp", "max", "min", "redraw", "sin"]


def exp(x) -> Parameter:
    """e^x."""
    return Unary("exp", as_parameter(x, "exp: x"))


def sin(x) -> Parameter:
    """sin(x), x in radians."""
    return Unary("sin", as_parameter(x, "sin: x"))


def cos(x) -> Parameter:
    """cos(x), x in radians."""
    return Unary("cos", as_parameter(x, "cos: x"))


def min(x, value) -> Parameter:  # noqa: A001 - NEST's name
    """The smaller of ``x`` and ``value``, element-wise."""
    return Binary("min", as_parameter(x, "min: x"), as_parameter(value, "min: value"))


def max(x, value) -> Parameter:  # noqa: A001 - NEST's name
    """The larger of ``x`` and ``value``, element-wise."""
    return Binary("max", as_parameter(x, "max: x"), as_parameter(value, "max: value"))


def redraw(x, min, max) -> Parameter:  # noqa: A002 - NEST's keywords
    """``x`` drawn again wherever it falls outside [``min``, ``max``] (NEST's ``math.redraw``)."""
    lo = _number("redraw: min", min)
    hi = _number("redraw: max", max)
    if not lo <= hi:
        raise bad_value("redraw: max", max, f"max >= min (= {min})")
    return Redraw(as_parameter(x, "redraw: x"), lo, hi)


def _number(name, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or _math.isnan(v):
        raise bad_value(name, v, "a number (not NaN; ±inf for no bound)")
    return float(v)
