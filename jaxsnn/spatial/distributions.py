"""Distance kernels (NEST's ``nest.spatial_distributions``): functions of one or two Parameters, usually
``jaxsnn.spatial.distance`` or its components, for connection probabilities, weights and delays.

==========================================  =====================================================================
kernel                                      value
==========================================  =====================================================================
``exponential(x, beta=1)``                  ``exp(−x / beta)``
``gaussian(x, mean=0, std=1)``              ``exp(−(x − mean)² / (2 std²))``
``gaussian2D(x, y, mean_x=0, mean_y=0,      ``exp(−dx²/(2(1−ρ²)σx²) − dy²/(2(1−ρ²)σy²) + ρ dx dy/((1−ρ²)σx σy))``,
std_x=1, std_y=1, rho=0)``                  ``dx = x − mean_x``, ``dy = y − mean_y``
``gamma(x, kappa=1, theta=1)``              ``x^(κ−1) exp(−x/θ) / (θ^κ Γ(κ))``
``gabor(x, y, theta=0, gamma=1, std=1,      ``exp(−γ² x'²/(2σ²) − y'²/(2σ²)) · max(cos(2π y'/λ + ψ), 0)`` with
lam=1, psi=0)``                             ``x' = x cos θ + y sin θ``, ``y' = −x sin θ + y cos θ`` (θ, ψ in degrees)
==========================================  =====================================================================

NEST's arithmetic in NEST's order (its constants such as ``1/(2 std²)`` computed once, as NEST does), so
values agree with NEST's to rounding. Each kernel is a :class:`~jaxsnn.parameters.Parameter` and combines
with the rest of the algebra (``0.5 * gaussian(distance, std=0.2)``).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..core import threefry
from ..errors import bad_value
from ..parameters import Parameter, as_parameter

PI = math.pi


def _positive(name, v):
    if not (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and v > 0):
        raise bad_value(name, v, "a number > 0")
    return float(v)


def _fold(key, i):
    return None if key is None else threefry.fold_in_key(key, i)


@dataclasses.dataclass(frozen=True, eq=False)
class _Kernel(Parameter):
    """A function of one or two Parameters (x, y); subclasses define ``_f``."""

    def _eval(self, ctx, key):
        args = [a._eval(ctx, _fold(key, i)) for i, a in enumerate(self._args())]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._f(*[np.asarray(a, np.float64) for a in args])


@dataclasses.dataclass(frozen=True, eq=False)
class ExponentialKernel(_Kernel):
    x: Parameter
    beta: float

    def _args(self):
        return (self.x,)

    def _f(self, x):
        return np.exp(-x * (1.0 / self.beta))


@dataclasses.dataclass(frozen=True, eq=False)
class GaussianKernel(_Kernel):
    x: Parameter
    mean: float
    std: float

    def _args(self):
        return (self.x,)

    def _f(self, x):
        dx = x - self.mean
        return np.exp(-dx * dx * (1.0 / (2 * self.std * self.std)))


@dataclasses.dataclass(frozen=True, eq=False)
class Gaussian2DKernel(_Kernel):
    x: Parameter
    y: Parameter
    mean_x: float
    mean_y: float
    std_x: float
    std_y: float
    rho: float

    def _args(self):
        return (self.x, self.y)

    def _f(self, x, y):
        rho, sx, sy = self.rho, self.std_x, self.std_y
        xc = 1. / (2. * (1. - rho * rho) * sx * sx)
        yc = 1. / (2. * (1. - rho * rho) * sy * sy)
        xyc = rho / ((1. - rho * rho) * sx * sy)
        dx, dy = x - self.mean_x, y - self.mean_y
        return np.exp(-dx * dx * xc - dy * dy * yc + dx * dy * xyc)


@dataclasses.dataclass(frozen=True, eq=False)
class GammaKernel(_Kernel):
    x: Parameter
    kappa: float
    theta: float

    def _args(self):
        return (self.x,)

    def _f(self, x):
        inv_theta = 1.0 / self.theta
        delta = math.pow(inv_theta, self.kappa) / math.gamma(self.kappa)
        return np.power(x, self.kappa - 1.) * np.exp(-1. * inv_theta * x) * delta


@dataclasses.dataclass(frozen=True, eq=False)
class GaborKernel(_Kernel):
    x: Parameter
    y: Parameter
    theta: float
    gamma: float
    std: float
    lam: float
    psi: float

    def _args(self):
        return (self.x, self.y)

    def _f(self, x, y):
        c, s = math.cos(self.theta * PI / 180.), math.sin(self.theta * PI / 180.)
        inv = 1.0 / (2 * self.std * self.std)
        xp = x * c + y * s
        yp = -x * s + y * c
        g = np.exp(-self.gamma * self.gamma * xp * xp * inv - yp * yp * inv)
        return g * np.maximum(np.cos(2 * PI * yp / self.lam + self.psi * PI / 180.), 0.)


def exponential(x, beta=1.0):
    """``exp(−x / beta)`` (NEST: ``spatial_distributions.exponential``)."""
    return ExponentialKernel(as_parameter(x, "exponential: x"), _positive("exponential: beta", beta))


def gaussian(x, mean=0.0, std=1.0):
    """``exp(−(x − mean)² / (2 std²))``."""
    return GaussianKernel(as_parameter(x, "gaussian: x"), float(mean), _positive("gaussian: std", std))


def gaussian2D(x, y, mean_x=0.0, mean_y=0.0, std_x=1.0, std_y=1.0, rho=0.0):  # noqa: N802 - NEST's name
    """The bivariate Gaussian of ``x`` and ``y`` with correlation ``rho`` (unnormalised, peak 1)."""
    if not -1 < rho < 1:
        raise bad_value("gaussian2D: rho", rho, "a correlation in (-1, 1)")
    return Gaussian2DKernel(as_parameter(x, "gaussian2D: x"), as_parameter(y, "gaussian2D: y"), float(mean_x),
                            float(mean_y), _positive("gaussian2D: std_x", std_x),
                            _positive("gaussian2D: std_y", std_y), float(rho))


def gamma(x, kappa=1.0, theta=1.0):
    """The gamma density ``x^(κ−1) exp(−x/θ) / (θ^κ Γ(κ))``."""
    return GammaKernel(as_parameter(x, "gamma: x"), _positive("gamma: kappa", kappa),
                       _positive("gamma: theta", theta))


def gabor(x, y, theta=0.0, gamma=1.0, std=1.0, lam=1.0, psi=0.0):
    """A Gabor patch (half-wave rectified cosine grating in a Gaussian envelope); angles in degrees."""
    return GaborKernel(as_parameter(x, "gabor: x"), as_parameter(y, "gabor: y"), float(theta),
                       _positive("gabor: gamma", gamma), _positive("gabor: std", std), float(lam), float(psi))


__all__ = ["exponential", "gamma", "gabor", "gaussian", "gaussian2D"]
