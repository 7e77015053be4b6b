"""NEST's parameter algebra: one :class:`Parameter` type, an expression tree evaluated on the host.

A Parameter stands for one value per node (``create``/``set``) or per connection (``syn_spec``). Leaves
are constants, random draws (:mod:`jaxsnn.random`) and, later, spatial quantities (distance,
positions); inner nodes combine them with ``+ - * /``, ``**`` (by a number), unary minus, comparisons
(``< <= > >= == !=``, giving 1.0 or 0.0), :mod:`jaxsnn.math` (``exp``, ``sin``, ``cos``, ``min``,
``max``, ``redraw``) and :func:`jaxsnn.logic.conditional`:

>>> w = -4.0 * jaxsnn.random.normal(20.0, 0.5)             # NEST: -g * nest.random.normal(20, 0.5)
>>> d = jaxsnn.math.redraw(jaxsnn.random.normal(1.5, 0.75), min=0.1, max=10.0)

**Evaluation.** :meth:`Parameter.evaluate` takes a :class:`Context`: the number of values ``n`` and one
explicit JAX key (the Network derives it from its seed and the number of the ``create``/``set``/
``connect`` call). A lone random leaf draws from that key itself; inside a tree the key is split by
position (the left operand folds in 0, the right 1, a conditional's branches 1 and 2), so every leaf
has its own stream and a given script gives the same values on every run and device count. Values
are float64 NumPy arrays of length ``n``.

**Hook for spatial leaves.** ``Context`` also carries ``sources`` and ``targets`` (node ids per value:
for a ``create``/``set`` both are the nodes themselves; for a ``connect`` the pair of each connection)
and ``positions`` (a callable mapping node ids to an ``(len, dim)`` array, or ``None`` while no layer
exists). A spatial leaf is a subclass of :class:`Parameter` whose ``_eval(ctx, key)`` reads them, e.g.
the distance ``|positions(targets) - positions(sources)|``; nothing else needs to change. A leaf that
needs what the context lacks raises :class:`~jaxsnn.JaxsnnError` naming the call.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import numpy as np

from .core import threefry
from .errors import JaxsnnError, bad_value

MAX_REDRAWS = 1000  # NEST's RedrawParameter gives up after as many tries


@dataclasses.dataclass(frozen=True)
class Context:
    """What a Parameter is evaluated for: ``n`` values, from ``key``.

    ``sources``/``targets``: node ids per value (or ``None``); ``positions``: node ids → coordinates
    (or ``None``); ``where``: the call, for error messages. ``index``/``size``: set by :meth:`subset` only: the
    positions of these values in a draw of ``size`` values, whose values at those positions they are."""

    n: int
    key: object
    sources: np.ndarray | None = None
    targets: np.ndarray | None = None
    positions: Callable | None = None
    where: str = "parameter"
    index: np.ndarray | None = dataclasses.field(default=None, kw_only=True)
    size: int | None = dataclasses.field(default=None, kw_only=True)

    def subset(self, sel: np.ndarray) -> Context:
        """The context of the values at positions ``sel`` (ascending ints) of this one: every leaf gives them
        the values it gives those positions here (random leaves draw at those counters only)."""
        return dataclasses.replace(self, n=len(sel), index=sel if self.index is None else self.index[sel],
                                   size=self.n if self.size is None else self.size, **self._per_value(sel))

    def _per_value(self, sel) -> dict:
        return {k: getattr(self, k)[sel] for k in ("sources", "targets") if getattr(self, k) is not None}


class Parameter:
    """A value per node or connection: see the module docstring. Subclasses implement ``_eval``."""

    __array_priority__ = 100  # numpy scalars on the left defer to our operators

    def _eval(self, ctx: Context, key) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def evaluate(self, ctx: Context) -> np.ndarray:
        """``ctx.n`` values (a float64 array)."""
        out = np.asarray(self._eval(ctx, ctx.key), np.float64)
        return np.broadcast_to(out, (ctx.n,)).copy()

    def sample(self, key, n: int) -> np.ndarray:
        """``n`` values from ``key`` (the path without node ids or positions)."""
        return self.evaluate(Context(int(n), key))

    def GetValue(self) -> float:
        """One value, as PyNEST's ``Parameter.GetValue`` (from a fixed key: for a look, not for networks)."""
        return float(self.sample(jax.random.wrap_key_data(threefry.seed_words(1)), 1)[0])  # jax.random.key(1)

    # ------------------------------------------------------------------------------ algebra
    def __add__(self, other):
        return _binary("+", self, other)

    def __radd__(self, other):
        return _binary("+", other, self)

    def __sub__(self, other):
        return _binary("-", self, other)

    def __rsub__(self, other):
        return _binary("-", other, self)

    def __mul__(self, other):
        return _binary("*", self, other)

    def __rmul__(self, other):
        return _binary("*", other, self)

    def __truediv__(self, other):
        return _binary("/", self, other)

    def __rtruediv__(self, other):
        return _binary("/", other, self)

    def __pow__(self, other):
        if isinstance(other, Parameter):
            raise bad_value("Parameter ** exponent", other, "a number (NEST: only a float exponent)")
        return _binary("**", self, other)

    def __neg__(self):
        return _binary("*", -1.0, self)

    def __pos__(self):
        return self

    def __lt__(self, other):
        return _binary("<", self, other)

    def __le__(self, other):
        return _binary("<=", self, other)

    def __gt__(self, other):
        return _binary(">", self, other)

    def __ge__(self, other):
        return _binary(">=", self, other)

    def __eq__(self, other):  # NEST compares element-wise too; identity stays available through ``is``
        return _binary("==", self, other)

    def __ne__(self, other):
        return _binary("!=", self, other)

    __hash__ = object.__hash__

    def __bool__(self):
        raise JaxsnnError("a Parameter has one value per node or connection, not one truth value; use "
                          "jaxsnn.logic.conditional(condition, if_true, if_false)")


@dataclasses.dataclass(frozen=True, eq=False)
class Constant(Parameter):
    """The same number everywhere."""

    value: float

    def _eval(self, ctx, key):
        return np.float64(self.value)


_OPS = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power,
    "<": lambda a, b: np.less(a, b).astype(np.float64), "<=": lambda a, b: np.less_equal(a, b).astype(np.float64),
    ">": lambda a, b: np.greater(a, b).astype(np.float64),
    ">=": lambda a, b: np.greater_equal(a, b).astype(np.float64),
    "==": lambda a, b: np.equal(a, b).astype(np.float64), "!=": lambda a, b: np.not_equal(a, b).astype(np.float64),
    "min": np.minimum, "max": np.maximum,
}


def as_parameter(x, name: str = "operand") -> Parameter:
    """``x`` as a Parameter: Parameters pass, a finite or infinite real number becomes a :class:`Constant`."""
    if isinstance(x, Parameter):
        return x
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise bad_value(name, x, "a number or a Parameter (jaxsnn.random, jaxsnn.math, ...)")
    if np.isnan(x):
        raise bad_value(name, x, "a number, not NaN")
    return Constant(float(x))


@dataclasses.dataclass(frozen=True, eq=False)
class Binary(Parameter):
    """``left op right`` element-wise (op: + - * / ** < <= > >= == != min max)."""

    op: str
    left: Parameter
    right: Parameter

    def _eval(self, ctx, key):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _OPS[self.op](self.left._eval(ctx, _fold(key, 0)), self.right._eval(ctx, _fold(key, 1)))


def _binary(op, a, b):
    return Binary(op, as_parameter(a, f"Parameter {op} x: x"), as_parameter(b, f"x {op} Parameter: x"))


@dataclasses.dataclass(frozen=True, eq=False)
class Unary(Parameter):
    """``fn(operand)`` element-wise: ``exp``, ``sin``, ``cos``."""

    fn: str
    operand: Parameter

    def _eval(self, ctx, key):
        with np.errstate(over="ignore"):
            return getattr(np, self.fn)(self.operand._eval(ctx, _fold(key, 0)))


@dataclasses.dataclass(frozen=True, eq=False)
class Conditional(Parameter):
    """``if_true`` where ``condition`` is non-zero, else ``if_false`` (NEST's ``logic.conditional``)."""

    condition: Parameter
    if_true: Parameter
    if_false: Parameter

    def _eval(self, ctx, key):
        c = np.broadcast_to(self.condition._eval(ctx, _fold(key, 0)), (ctx.n,))
        return np.where(c != 0, self.if_true._eval(ctx, _fold(key, 1)), self.if_false._eval(ctx, _fold(key, 2)))


@dataclasses.dataclass(frozen=True, eq=False)
class Redraw(Parameter):
    """``operand`` drawn again wherever it falls outside [``min``, ``max``] (NEST's ``math.redraw``;
    at most :data:`MAX_REDRAWS` rounds, then an error). Round r takes, where a value is still outside, the
    value at that position of ``operand`` evaluated from a key folded with r, computing only those
    (:meth:`Context.subset`: a round costs what it redraws, not ``n`` values)."""

    operand: Parameter
    min: float
    max: float

    def _eval(self, ctx, key):
        out = np.array(np.broadcast_to(self.operand._eval(ctx, key), (ctx.n,)), np.float64)
        bad = self._outside(out)
        for rnd in range(1, MAX_REDRAWS + 1):
            idx = np.flatnonzero(bad)
            if not len(idx):
                return out
            again = np.broadcast_to(self.operand._eval(ctx.subset(idx), _fold(_fold(key, 7), rnd)), (len(idx),))
            out[idx] = again
            bad[idx] = self._outside(again)
        if bad.any():
            raise JaxsnnError(f"{ctx.where}: redraw(min={self.min}, max={self.max}) found no value inside the "
                              f"bounds after {MAX_REDRAWS} draws; widen the bounds or change the distribution.")
        return out

    def _outside(self, x):
        """Where ``x`` is outside [min, max] (NaN is not: NEST's comparisons pass it); an infinite bound is not
        compared."""
        if self.min == -np.inf:
            return x > self.max
        return x < self.min if self.max == np.inf else (x < self.min) | (x > self.max)


def _fold(key, i):
    return None if key is None else threefry.fold_in_key(key, i)
