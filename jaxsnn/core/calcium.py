"""NEST's calcium trace ``Ca`` (StructuralPlasticityNode, the base of every NEST neuron), bit for bit.

NEST keeps per neuron ``Ca`` (its ``Ca_minus_``), the time ``Ca_t`` (ms) it was last brought up to date, and the
parameters ``tau_Ca`` (ms) and ``beta_Ca``. At each spike at t (once per unit of a parrot's multiplicity) and at
the end of each ``Simulate`` (t: the time reached), for every neuron::

    Ca = Ca * exp((Ca_t - t) / tau_Ca)      # rounded, then
    Ca_t = t
    Ca = Ca + beta_Ca                       # at a spike only

with t = 0.001 · tics, the C library's exp (:func:`jaxsnn.core.libm.exp` in the engine, :func:`math.exp` on
the host) and each operation rounded on its own, as NEST computes it. ``Ca`` therefore depends on where the runs
end, as NEST's does.

Where it lives: :class:`~jaxsnn.core.types.PostArchive` ``Ca``, ``Ca_t``, ``tau_Ca``, ``beta_Ca`` ([neurons]), in
networks that keep it (``build(calcium=True)``; every ``jaxsnn.nest`` network); None elsewhere, which then pay
nothing. The engine adds a slice's spikes once per slice (:func:`add_spikes`: one exp per neuron and slice where a
neuron spikes at most once a slice, else one per step of the slice); at the end of a run the host adds the spikes
the engine has not processed yet and decays every neuron to the end (:func:`end_of_run`). Each spike is added
once: by whichever comes first, since both add only spikes later than ``Ca_t``.
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
from jax import lax

from .libm import exp as _exp
from .stdp import ms_apart

FIELDS = ("Ca", "Ca_t", "tau_Ca", "beta_Ca")  # PostArchive's fields of the trace


def initial(Ca, tau_Ca, beta_Ca, dtype) -> dict:
    """The fields of a network's trace at t = 0 (NEST's Ca_t_ = 0) from its neurons' parameters (host arrays)."""
    return {"Ca": jnp.asarray(Ca, dtype), "Ca_t": jnp.zeros(len(Ca), dtype),
            "tau_Ca": jnp.asarray(tau_Ca, dtype), "beta_Ca": jnp.asarray(beta_Ca, dtype)}


def _spike(Ca, Ca_t, tau, beta, hit, t, nz):
    """(Ca, Ca_t) after NEST's update at a spike at ``t`` (ms) of the neurons ``hit``: the decay, rounded alone,
    then + beta_Ca (``+ nz`` keeps the compiler from fusing the product into the sum: NEST rounds it apart)."""
    decayed = Ca * _exp((Ca_t - t) / tau) + nz
    return jnp.where(hit, decayed + beta, Ca), jnp.where(hit, t, Ca_t)


def add_spikes(spec, post, block, first_step, counts=None):
    """``post`` after the spikes of a slice: ``block`` [L, N] (bool, step first_step + k in row k), ``counts``
    [L, N] their multiplicities (None: one each). Only spikes after ``Ca_t`` (those the host has not added at the
    end of a run). One update per neuron and slice where a neuron spikes at most once a slice, else one a step."""
    dtype, tau, beta = post.Ca.dtype, post.tau_Ca, post.beta_Ca
    nz = jnp.where(jnp.isnan(tau), tau, -0.0)  # −0.0 the compiler cannot fold
    L = block.shape[0]
    if counts is None and L <= spec.sizes.min_isi:
        stamp = first_step + 1 + jnp.argmax(block, axis=0).astype(jnp.int32)
        t = ms_apart(spec, stamp, dtype, nz)
        Ca, Ca_t = _spike(post.Ca, post.Ca_t, tau, beta, jnp.any(block, axis=0) & (t > post.Ca_t), t, nz)
        return post.replace(Ca=Ca, Ca_t=Ca_t)

    def row(k, carry):
        Ca, Ca_t = carry
        t = ms_apart(spec, first_step + 1 + k, dtype, nz)
        hit = block[k] & (t > Ca_t)
        Ca, Ca_t = _spike(Ca, Ca_t, tau, beta, hit, t, nz)
        if counts is not None:  # NEST sets the spike time once per unit: exp(0) = 1, then + beta_Ca each
            m = jnp.where(hit, counts[k], 0)
            Ca = lax.fori_loop(1, jnp.max(m, initial=1), lambda j, ca: jnp.where(m > j, ca + beta, ca), Ca)
        return Ca, Ca_t

    Ca, Ca_t = lax.fori_loop(0, L, row, (post.Ca, post.Ca_t))
    return post.replace(Ca=Ca, Ca_t=Ca_t)


# ----------------------------------------------------------------------------------------- host
def end_of_run(post, history, counts, now: int, tics_per_step: int) -> dict:
    """NEST's end of a run at step ``now`` for the trace ``post``: the spikes of ``history`` = (steps, rows: bool
    [steps, N]; the steps the engine may not have processed yet) that it has not added, then every neuron decayed
    to the end (NEST's update_synaptic_elements at the end of Simulate). ``counts``: the rows' multiplicities
    (None: one each). Returns the new ``Ca`` and ``Ca_t`` (numpy)."""
    Ca, Ca_t = np.array(post.Ca), np.array(post.Ca_t)
    tau, beta = np.asarray(post.tau_Ca), np.asarray(post.beta_Ca)
    steps, rows = history
    for k, s in enumerate(steps):
        t = _ms(int(s) + 1, tics_per_step, Ca.dtype)
        hit = np.nonzero(rows[k] & (t > Ca_t))[0]
        if not len(hit):
            continue
        _decay(Ca, Ca_t, tau, hit, t)
        m = np.ones(len(hit), np.int64) if counts is None else np.asarray(counts[k])[hit]
        for j in range(int(m.max())):
            more = hit[m > j]
            Ca[more] = Ca[more] + beta[more]
    _decay(Ca, Ca_t, tau, np.nonzero(Ca != 0)[0], _ms(now, tics_per_step, Ca.dtype))
    Ca_t[:] = _ms(now, tics_per_step, Ca.dtype)
    return {"Ca": Ca, "Ca_t": Ca_t}


def _ms(stamp: int, tics_per_step: int, dtype):
    """NEST's Time::get_ms of a stamp: 0.001 · tics."""
    return dtype.type(0.001 * float(stamp * tics_per_step)) if dtype == np.float64 else \
        np.asarray(0.001, dtype) * np.asarray(stamp * tics_per_step, dtype)


def _decay(Ca, Ca_t, tau, idx, t):
    """Ca[idx] decayed from Ca_t to t in place (the C library's exp in float64: NEST's bits), Ca_t[idx] = t."""
    if not len(idx):
        return
    x = (Ca_t[idx] - t) / tau[idx]
    e = np.array([math.exp(v) for v in x.tolist()], Ca.dtype) if Ca.dtype == np.float64 else np.exp(x)
    Ca[idx] = Ca[idx] * e
    Ca_t[idx] = t
