"""NEST's adaptive integrator in JAX: GSL's Runge–Kutta–Fehlberg 4(5) step with the standard error
control, advanced over one simulation step as ``gsl_odeiv_evolve_apply`` inside NEST's ``while (t < h)``.

NEST integrates its conductance-based, adaptive and Hodgkin–Huxley neurons with
``gsl_odeiv_step_rkf45``, ``gsl_odeiv_control_y_new(eps_abs, eps_rel)`` (or ``_yp_new``) and
``gsl_odeiv_evolve_apply``, once per neuron and simulation step of length ``h``::

    t = 0
    while t < h:
        evolve_apply(&t, h, &IntegrationStep, y)      # one accepted substep, maybe after rejections
        [model's code between substeps: aeif's spike/reset, refractory clamp]

``IntegrationStep`` is per-neuron state: it starts at ``h`` (the resolution) and is carried from one
substep and one simulation step to the next, so it belongs to the neuron's state (checkpointed).

One evolve_apply (GSL 1.15 – 2.x ``ode-initval``, as NEST links it):

1. ``dydt_in = f(y)`` at the start (rkf45 can use it: it is its k1).
2. try: ``h0 = min(h0, h − t)`` (then the step is the final one: ``t`` becomes exactly ``h``);
   one rkf45 step gives ``y1``, the error estimate ``yerr`` and ``dydt_out = f(y1)``.
3. control: ``D0_i = eps_rel·(a_y·|y1_i| + a_dydt·|h0·dydt_out_i|) + eps_abs``,
   ``rmax = max(DBL_MIN, |yerr_i| / |D0_i|)`` in order of i;
   rmax > 1.1: ``h0 ← max(0.9·rmax^(−1/5), 0.2)·h0`` and, if that shrinks h0 and moves ``t`` by at
   least one ulp, the step is undone and tried again (y, dydt_in kept);
   rmax < 0.5: ``h0 ← min(max(0.9·rmax^(−1/6), 1), 5)·h0``; else h0 stays.
4. the suggested h0 is the new IntegrationStep.

Arithmetic: every sum and product in GSL's order, each product rounded before it is added (GSL is
compiled without fused multiply-add, XLA's CPU and GPU backends would fuse ``a*b + c``): products pass
through :func:`product`, which adds a ``-0.0`` the compiler cannot see through (``x + (−0.0) = x``
for every x, so the value is the correctly rounded product); divisions by parameters through
:func:`quotient` (XLA would multiply by a rounded reciprocal).

Cost: neurons differ in how many attempts a simulation step needs (a neuron hit by a strong input
shrinks its step, a quiet one takes one). The first attempt runs on every neuron (all need it); the
remaining attempts run on a fixed-size *slab* of the still-unfinished neurons (their indices gathered
by ``nonzero``, results scattered back), so a step costs ``N + (extra attempts rounded up to the
slab)`` neuron-attempts rather than ``N × (most attempts any neuron needs)``. ``slab=None`` picks
``max(32, N // 16)``, ``slab=0`` runs every attempt densely (every neuron every iteration, masked),
which is the better choice for tiny populations. Both give the same bits: lanes never interact.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

Array = Any

# Runge–Kutta–Fehlberg 4(5) (Hairer, Nørsett & Wanner 2000, Table II.5.1), as GSL writes them: each
# coefficient a quotient evaluated in double precision, zero entries left out.
A2 = 1.0 / 4.0
B3 = (3.0 / 32.0, 9.0 / 32.0)
B4 = (1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0)
B5 = (8341.0 / 4104.0, -32832.0 / 4104.0, 29440.0 / 4104.0, -845.0 / 4104.0)
B6 = (-6080.0 / 20520.0, 41040.0 / 20520.0, -28352.0 / 20520.0, 9295.0 / 20520.0, -5643.0 / 20520.0)
C = (902880.0 / 7618050.0, 3953664.0 / 7618050.0, 3855735.0 / 7618050.0, -1371249.0 / 7618050.0,
     277020.0 / 7618050.0)                                   # weights of k1, k3, k4, k5, k6
EC = (1.0 / 360.0, -128.0 / 4275.0, -2197.0 / 75240.0, 1.0 / 50.0, 2.0 / 55.0)  # 5th − 4th order
ORDER = 5
SAFETY = 0.9


class Control(NamedTuple):
    """GSL's standard step-size control: ``gsl_odeiv_control_y_new(abs, rel)`` is
    ``Control(abs, rel, 1, 0)``, ``gsl_odeiv_control_yp_new(abs, rel)`` is ``Control(abs, rel, 0, 1)``.
    Each field a float or a per-neuron array [n]."""
    eps_abs: Any
    eps_rel: Any
    a_y: Any = 1.0
    a_dydt: Any = 0.0


def y_control(eps_abs, eps_rel) -> Control:
    return Control(eps_abs, eps_rel, 1.0, 0.0)


def yp_control(eps_abs, eps_rel) -> Control:
    return Control(eps_abs, eps_rel, 0.0, 1.0)


def negative_zero(x: Array) -> Array:
    """``-0.0`` shaped like ``x``, computed from ``x`` so that no compiler folds it away (NaN where x is
    NaN, which is garbage anyway)."""
    return jnp.where(jnp.isnan(x), x, -0.0)


def product(a, b, nz):
    """``a * b`` rounded to the dtype before any addition uses it (``nz``: :func:`negative_zero`)."""
    return a * b + nz


def quotient(a, b, nz):
    """``a / b`` correctly rounded: XLA turns a division by a constant or by a broadcast scalar into a
    multiplication by its reciprocal (not the same bits); ``b + nz`` is neither."""
    return a / (b + nz)


class _Lanes(NamedTuple):
    t: Array        # [m] time within the simulation step, ms
    y: Array        # [d, m] state
    dydt: Array     # [d, m] f(y): the next attempt's k1 (GSL's dydt_in)
    h: Array        # [m] the step size of the next attempt (GSL's h0, NEST's IntegrationStep_)
    aux: Any        # pytree of [m] arrays: the model's per-neuron values (constants and its own state)
    ctrl: Control   # [m] arrays
    active: Array   # [m] bool: t < step (NEST's while condition)


def rkf45_step(rhs, y, k1, h, aux, nz):
    """One Runge–Kutta–Fehlberg 4(5) step of size ``h`` from ``y`` with ``k1 = f(y)``, in GSL's order
    of operations. Returns (y1, yerr). ``rhs(y, aux, nz)`` -> f(y), [d, m]; the system is autonomous
    (NEST's right-hand sides do not read t)."""
    p = lambda a, b: product(a, b, nz)  # noqa: E731
    k2 = rhs(y + p(p(A2, h), k1), aux, nz)
    k3 = rhs(y + p(h, p(B3[0], k1) + p(B3[1], k2)), aux, nz)
    k4 = rhs(y + p(h, (p(B4[0], k1) + p(B4[1], k2)) + p(B4[2], k3)), aux, nz)
    k5 = rhs(y + p(h, ((p(B5[0], k1) + p(B5[1], k2)) + p(B5[2], k3)) + p(B5[3], k4)), aux, nz)
    k6 = rhs(y + p(h, (((p(B6[0], k1) + p(B6[1], k2)) + p(B6[2], k3)) + p(B6[3], k4)) + p(B6[4], k5)),
             aux, nz)
    d = (((p(C[0], k1) + p(C[1], k3)) + p(C[2], k4)) + p(C[3], k5)) + p(C[4], k6)
    y1 = y + p(h, d)
    yerr = h * ((((p(EC[0], k1) + p(EC[1], k3)) + p(EC[2], k4)) + p(EC[3], k5)) + p(EC[4], k6))
    return y1, yerr


def error_ratio(y1, yerr, dydt_out, h, ctrl: Control, nz):
    """GSL's rmax = max(DBL_MIN, |yerr_i| / |D0_i|), the maximum taken in order of i as GSL does
    (``r > rmax ? r : rmax``, so a NaN ratio is skipped)."""
    tiny = jnp.finfo(y1.dtype).tiny
    rmax = jnp.full(y1.shape[1:], tiny, y1.dtype)
    for i in range(y1.shape[0]):
        scale = product(ctrl.a_y, jnp.abs(y1[i]), nz) + product(ctrl.a_dydt, jnp.abs(h * dydt_out[i]), nz)
        d0 = product(ctrl.eps_rel, scale, nz) + ctrl.eps_abs
        r = quotient(jnp.abs(yerr[i]), jnp.abs(d0), nz)
        rmax = jnp.where(r > rmax, r, rmax)
    return rmax


def adjusted_step(rmax, h, nz):
    """GSL's std_control_hadjust: (new h, decreased?). (XLA would rewrite ``S / pow(r, e)`` as
    ``S * pow(r, -e)``: :func:`quotient` keeps the division.)"""
    dec = rmax > 1.1
    r_dec = jnp.maximum(quotient(SAFETY, jnp.power(rmax, 1.0 / ORDER), nz), 0.2)
    r_inc = quotient(SAFETY, jnp.power(rmax, 1.0 / (ORDER + 1.0)), nz)
    r_inc = jnp.where(r_inc > 5.0, 5.0, r_inc)
    r_inc = jnp.where(r_inc < 1.0, 1.0, r_inc)
    h_new = jnp.where(dec, r_dec * h, jnp.where(rmax < 0.5, r_inc * h, h))
    return h_new, dec


def _attempt(rhs, after, step, lanes: _Lanes, go):
    """One try of evolve_apply's loop on the lanes where ``go``; the others are returned unchanged."""
    t, y, k1, h0, aux, ctrl, _ = lanes
    nz = negative_zero(h0)
    remaining = step - t
    final = h0 > remaining
    h = jnp.where(final, remaining, h0)
    y1, yerr = rkf45_step(rhs, y, k1, h, aux, nz)
    dydt_out = rhs(y1, aux, nz)
    t1 = jnp.where(final, step, t + h)
    h_adj, dec = adjusted_step(error_ratio(y1, yerr, dydt_out, h, ctrl, nz), h, nz)
    retry = dec & (jnp.abs(h_adj) < jnp.abs(h)) & (t1 + h_adj != t1)
    h_next = jnp.where(dec & ~retry, h, h_adj)
    accept = go & ~retry
    if after is not None:
        y1, aux1, changed = after(y1, aux, nz)
        changed = changed & accept
        # a changed state needs its own f(y) for the next evolve_apply: evaluated only if some lane needs it
        dydt_out = lax.cond(jnp.any(changed), lambda: jnp.where(changed, rhs(y1, aux1, nz), dydt_out),
                            lambda: dydt_out)
        aux = jax.tree.map(lambda new, old: jnp.where(accept, new, old), aux1, aux)
    return _Lanes(t=jnp.where(accept, t1, t), y=jnp.where(accept, y1, y), dydt=jnp.where(accept, dydt_out, k1),
                  h=jnp.where(go, h_next, h0), aux=aux, ctrl=ctrl, active=jnp.where(accept, t1 < step, lanes.active))


def _take(tree, idx):
    return jax.tree.map(lambda a: jnp.take(a, idx, axis=a.ndim - 1, mode="clip"), tree)


def _put(tree, idx, sub):
    return jax.tree.map(lambda a, s: a.at[..., idx].set(s, mode="drop"), tree, sub)


def evolve(rhs: Callable, y: Array, h: Array, aux: Any, *, step: float, control: Control,
           after: Callable | None = None, slab: int | None = None):
    """Advance every neuron over one simulation step of length ``step`` (ms) as NEST's ``while (t <
    step) gsl_odeiv_evolve_apply(...)`` does.

    ``y`` [d, n] state; ``h`` [n] the carried integration step (NEST's ``IntegrationStep_``); ``aux`` a
    pytree of [n] arrays read by ``rhs(y, aux, nz)`` (-> [d, n]); ``after(y, aux, nz)`` -> (y, aux,
    changed [n]) runs after every accepted substep (NEST's code inside the while loop: spike and reset
    of aeif models); ``control``: :class:`Control`. Returns (y, h, aux).
    """
    n = y.shape[-1]
    bcast = lambda v: jnp.broadcast_to(jnp.asarray(v, y.dtype), (n,))  # noqa: E731
    ctrl = Control(*(bcast(v) for v in control))
    aux = jax.tree.map(lambda a: jnp.broadcast_to(a, (n,)), aux)
    h = bcast(h)
    nz = negative_zero(h)
    lanes = _Lanes(t=jnp.zeros(n, y.dtype), y=y, dydt=rhs(y, aux, nz), h=h, aux=aux, ctrl=ctrl,
                   active=jnp.ones(n, bool))
    lanes = _attempt(rhs, after, step, lanes, lanes.active)
    if slab is None:
        slab = max(32, n // 16)
    if slab <= 0 or slab >= n:
        lanes = lax.while_loop(lambda c: jnp.any(c.active), lambda c: _attempt(rhs, after, step, c, c.active),
                               lanes)
    else:
        def body(c):
            idx = jnp.nonzero(c.active, size=slab, fill_value=n)[0]
            sub = _attempt(rhs, after, step, _take(c, idx), (idx < n) & _take(c.active, idx))
            return _put(c, idx, sub)

        lanes = lax.while_loop(lambda c: jnp.any(c.active), body, lanes)
    return lanes.y, lanes.h, lanes.aux
