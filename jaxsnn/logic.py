"""NEST's ``nest.logic``: choosing between Parameters by a condition."""
from __future__ import annotations

from .parameters import Conditional, Parameter, as_parameter

__all__ = ["conditional"]


def conditional(condition, param_if_true, param_if_false) -> Parameter:
    """``param_if_true`` where ``condition`` holds (is non-zero), else ``param_if_false``, element-wise;
    ``condition`` is typically a comparison such as ``jaxsnn.random.uniform() < 0.2``."""
    return Conditional(as_parameter(condition, "conditional: condition"),
                       as_parameter(param_if_true, "conditional: param_if_true"),
                       as_parameter(param_if_false, "conditional: param_if_false"))
