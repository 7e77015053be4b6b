"""Differentiable observables: what a loss reads from a run of the differentiable build.

In the differentiable build ``state.spikes`` is float (0.0/1.0 forward; the surrogate derivative
backward), so sums and filters of it carry gradients. Pass these to :func:`jaxsnn.scan` as ``observe``
or use :func:`run`:

    st, counts = jaxsnn.scan(model, params, state, n_slices, observe=jaxsnn.observables.spike_counts)
    r = jaxsnn.observables.rates(counts, model.spec)              # Hz per neuron
    _, spikes = jaxsnn.scan(model, params, state, n_slices, observe=jaxsnn.observables.spikes)
    x = jaxsnn.observables.trace(spikes, tau=20.0, h=model.spec.time.resolution)   # [steps, neurons]

All of them work in the event-driven build too (bools become counts), without gradients.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .core.engine import scan
from .errors import bad_value


def spike_counts(state):
    """Spikes of each neuron in the slice just advanced ([neurons]; ``observe`` for :func:`jaxsnn.scan`)."""
    return jnp.sum(state.spikes, axis=0, dtype=state.transit.ring.dtype)


def spikes(state):
    """Spikes of each step of the slice just advanced ([slice_steps, neurons], float)."""
    return state.spikes.astype(state.transit.ring.dtype)


def by_neuron(spec, name: str):
    """``observe`` for :func:`jaxsnn.scan`: the state variable ``name`` of every neuron, in neuron order
    ([N]; 0 where a neuron's model has no such variable), e.g. ``by_neuron(sim.spec, "V_rel")``."""
    runs = sorted((a, i, n) for i, rs in enumerate(spec.models.neuron_runs) for a, n in rs)

    def observe(state):
        pieces, at = [], [0] * len(spec.models.neuron_models)
        for _, i, n in runs:
            v = state.neurons.models[spec.models.neuron_models[i].name].get(name)
            pieces.append(jnp.zeros(n, state.transit.ring.dtype) if v is None else v[at[i]:at[i] + n])
            at[i] += n
        return jnp.concatenate(pieces) if pieces else jnp.zeros(0, state.transit.ring.dtype)

    return observe


def V_rel(model: str):
    """``observe`` for :func:`jaxsnn.scan`: V_m − E_L (mV) of the neurons of an iaf ``model`` (e.g.
    ``"iaf_psc_delta"``) at the end of each slice (add ``params.neurons[model]["E_L"]`` for V_m)."""
    return lambda state: state.neurons.models[model]["V_rel"]


def run(model, params, state, n_slices: int, observe=spike_counts):
    """:func:`jaxsnn.scan` with ``observe`` (default per-slice spike counts). Returns (state, ys)."""
    return scan(model, params, state, n_slices, observe=observe)


def total_counts(counts):
    """Spike count of each neuron over a run from per-slice ``counts`` ([slices, neurons])."""
    return jnp.sum(counts, axis=0)


def rates(counts, spec):
    """Firing rate of each neuron (Hz) from per-slice ``counts`` ([slices, neurons]) of slices of ``spec``."""
    duration_s = counts.shape[0] * spec.time.slice_steps * spec.time.resolution * 1e-3
    return total_counts(counts) / duration_s


def steps(spikes_per_slice):
    """Per-slice spikes ([slices, slice_steps, neurons], from ``observe=spikes``) as [steps, neurons]."""
    return spikes_per_slice.reshape((-1,) + spikes_per_slice.shape[2:])


def trace(spikes_per_step, tau: float, h: float, x0=0.0):
    """Exponentially filtered spike train x (dimensionless; 1 per spike, decaying with ``tau`` ms) after
    each step: ``x_k = exp(−h/τ) x_{k−1} + s_k`` for spikes ``[steps, neurons]`` (or [slices,
    slice_steps, neurons]) with step ``h`` ms. ``tau`` may be traced (and differentiated)."""
    s = spikes_per_step if spikes_per_step.ndim == 2 else steps(spikes_per_step)
    for name, value in (("tau", tau), ("h", h)):  # checked where concrete (a traced tau is the caller's)
        if not isinstance(value, jax.core.Tracer) and not (np.ndim(value) == 0 and np.isreal(value)
                                                             and not isinstance(value, (bool, np.bool_))
                                                             and 0 < float(value) < np.inf):
            raise bad_value(f"trace: {name}", value, "a time constant > 0 in ms (finite)" if name == "tau"
                            else "the resolution in ms (> 0, finite)")
    decay = jnp.exp(-h / jnp.asarray(tau, s.dtype))

    def one(x, sk):
        x = decay * x + sk
        return x, x

    return lax.scan(one, jnp.broadcast_to(jnp.asarray(x0, s.dtype), s.shape[1:]), s)[1]


def V_max(V_per_slice, axis=0):
    """The maximum over time (mV) of each neuron's V from ``observe=V_rel`` ([slices, neurons]): the
    logits of a leaky-integrator readout. Its gradient flows through the time of the maximum."""
    return jnp.max(V_per_slice, axis=axis)


def V_mean(V_per_slice, axis=0):
    """The mean over time (mV) of each neuron's V from ``observe=V_rel`` ([slices, neurons])."""
    return jnp.mean(V_per_slice, axis=axis)
