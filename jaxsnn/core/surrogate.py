"""The spike threshold as a Heaviside step with a surrogate gradient, and the reset through the spike.

Forward: ``spike(x) = 1.0 if x >= 0 else 0.0`` (x = V_m − V_th in mV, so a neuron exactly at threshold
fires, as in NEST). Backward (differentiable build only): ``ds/dx = σ'(x)``, one of the pseudo-derivatives
below, each 1/mV at threshold and of width ~1/β, where β (``scale``, in 1/mV) is chosen at build time
(``net.build(differentiable=True, surrogate=("fast_sigmoid", 10.0))``):

==================  ===============================  =========================================
name                σ'(x) (1/mV)                     reference
==================  ===============================  =========================================
fast_sigmoid        1 / (1 + β|x|)²                  SuperSpike (Zenke & Ganguli 2018)
sigmoid             4 σ(βx) (1 − σ(βx))              derivative of a logistic sigmoid
piecewise_linear    max(0, 1 − β|x|)                 triangle (Esser et al. 2016, Bellec 2018)
arctan              1 / (1 + (βx)²)                  derivative of arctan (Fang et al. 2021)
gaussian            exp(−(βx)² / 2)                  Gaussian (Yin et al. 2021)
exponential         exp(−β|x|)                       exponential (Shrestha & Orchard 2018)
none                0                                spikes pass no gradient: the exact derivative
                                                     for a fixed spike pattern (β ignored)
==================  ===============================  =========================================

Each spiking model declares its default (``NeuronModel.default_surrogate``: shape, β and whether the
reset passes gradient), chosen by measuring d(rate)/d(I_e, V_th, tau_m, weights) against finite differences on
recurrent E/I networks (``docs/gradients.md``). The forward pass never sees the surrogate: spikes are
exactly 0 or 1, so the differentiable build computes the event-driven build's bits.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import bad_value

SURROGATES = {
    "fast_sigmoid": lambda x, b: 1.0 / (1.0 + b * jnp.abs(x)) ** 2,
    "sigmoid": lambda x, b: 4.0 * jax.nn.sigmoid(b * x) * (1.0 - jax.nn.sigmoid(b * x)),
    "piecewise_linear": lambda x, b: jnp.maximum(0.0, 1.0 - b * jnp.abs(x)),
    "arctan": lambda x, b: 1.0 / (1.0 + (b * x) ** 2),
    "gaussian": lambda x, b: jnp.exp(-0.5 * (b * x) ** 2),
    "exponential": lambda x, b: jnp.exp(-b * jnp.abs(x)),
    "none": lambda x, b: jnp.zeros_like(x),
}
DEFAULT = ("fast_sigmoid", 20.0)  # (name, β in 1/mV) of a name given without a scale


def default_for(models) -> tuple:
    """The default ``(name, β, detach_reset)`` of a network of ``models`` (model instances or classes):
    each model's own ``default_surrogate``; where they differ, the narrowest surrogate (largest β) and
    a detached reset if any of them detaches it (the safer choice for each; measure mixed networks with
    ``benchmarks/surrogate_choice.py``). Without any: :data:`DEFAULT`, the reset through the spike."""
    own = [d for d in (getattr(m, "default_surrogate", None) for m in models) if d is not None]
    if not own:
        return (*DEFAULT, False)
    name, beta, _ = max(own, key=lambda d: d[1])
    return name, beta, any(d[2] for d in own)


def validated(surrogate) -> tuple:
    """``surrogate`` as a hashable ``(name, β)``: a name (default β), or a (name, β) pair, β > 0 in 1/mV."""
    if isinstance(surrogate, str):
        surrogate = (surrogate, DEFAULT[1])
    ok = isinstance(surrogate, (tuple, list)) and len(surrogate) == 2 and surrogate[0] in SURROGATES
    if ok:  # a number, not a bool or a string that float() would read
        ok = isinstance(surrogate[1], (int, float, np.integer, np.floating)) and not isinstance(
            surrogate[1], (bool, np.bool_))
        beta = float(surrogate[1]) if ok else 0.0
    if not ok or not (beta > 0 and beta < float("inf")):
        raise bad_value("surrogate", surrogate, f"one of {', '.join(SURROGATES)}, or (name, scale) with a scale > 0 "
                        "in 1/mV")
    return (surrogate[0], beta)


@partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def spike_as(x, name: str = DEFAULT[0], beta: float = DEFAULT[1]):
    """1.0 where ``x >= 0`` else 0.0 (dtype of x); derivative ``SURROGATES[name](x, beta)``."""
    return (x >= 0).astype(x.dtype)


@spike_as.defjvp
def _spike_as_jvp(name, beta, primals, tangents):
    (x,), (dx,) = primals, tangents
    return spike_as(x, name, beta), dx * SURROGATES[name](x, beta).astype(x.dtype)


def threshold(y, theta, free, y_reset, r, refractory_steps, surrogate=None):
    """The threshold test and reset of the iaf models: where ``y >= theta`` (mV), ``y ← y_reset`` and ``r``
    ← ``refractory_steps``. Returns (y, r, spiked).

    ``surrogate`` None (the event-driven build): ``spiked`` is bool. ``(name, β, detach_reset)`` (the
    differentiable build): ``spiked`` is the float :func:`spike_as` (the same spikes, as 0.0 or 1.0) and
    the reset goes through it (:func:`reset`); neurons refractory at the step's start (``~free``) cannot
    cross threshold and pass no surrogate gradient.
    """
    if surrogate is None:
        spiked = (y - theta) >= 0
        return jnp.where(spiked, y_reset, y), jnp.where(spiked, refractory_steps, r), spiked
    name, beta, detach = surrogate
    s = spike_as(y - theta, name, beta)
    s = jnp.where(free, s, jax.lax.stop_gradient(s))
    return reset(y, s, y_reset, detach), jnp.where(s > 0, refractory_steps, r), s


@partial(jax.custom_jvp, nondiff_argnums=(3,))
def reset(y, s, v_reset, detach: bool = False):
    """``v_reset`` where the spike ``s`` is 1, else ``y`` (the bits of ``jnp.where``); derivative that of
    ``y (1 − s) + v_reset s``, i.e. ds · (v_reset − y) flows through the spike unless ``detach``."""
    return jnp.where(s > 0, v_reset, y)


@reset.defjvp
def _reset_jvp(detach, primals, tangents):
    y, s, v = primals
    dy, ds, dv = tangents
    out = reset(y, s, v, detach)
    d = jnp.where(s > 0, dv, dy)  # s is 0 or 1: (1 − s) dy + s dv
    if not detach:
        d = d + ds * (v - y)
    return out, d
