"""Per-sample input as data: spike input and external currents given per step, as traced arrays.

A run of :func:`jaxsnn.scan` takes ``inputs`` (:class:`Inputs`), arrays over the run's steps and the
neurons (state indices, :meth:`jaxsnn.Simulation.index`), which may be traced, batched with
``jax.vmap`` and differentiated (in the differentiable build):

- ``spikes[k, n]``: synaptic input that neuron n reads in step k (the step from t = k h to (k + 1) h),
  as a spike_generator's event arriving in that step would deliver it: mV for iaf_psc_delta (a jump of
  V_m), pA for iaf_psc_exp/alpha (a jump of the excitatory current if > 0, else of the inhibitory one),
  a spike count for parrot_neuron (which relays it in step k). 0 where nothing arrives.
- ``current[k, n]``: pA added to I_e of neuron n during step k (a per-step external current).

Either may be None. Neither depends on sorting or on event lists: the same arrays give the same bits in
the event-driven and the differentiable build.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .dense import one_row
from .types import BY_SIGN, pytree


@pytree
class Inputs:
    spikes: jax.Array | None = None  # [steps, neurons]: mV (delta), pA (psc), counts (parrots)
    current: jax.Array | None = None  # [steps, neurons]: pA added to I_e


def per_slice(inputs: Inputs, n_slices: int, L: int, n_neurons: int):
    """``inputs`` reshaped to [n_slices, L, neurons] (the xs of a scan over slices); checks the shapes."""
    from ..errors import bad_value

    def shaped(name, x):
        if x is None:
            return None
        if x.shape != (n_slices * L, n_neurons):
            raise bad_value(f"inputs.{name}", f"<array of shape {x.shape}>",
                            f"an array [steps, neurons] of shape {(n_slices * L, n_neurons)}")
        return x.reshape(n_slices, L, n_neurons)

    return Inputs(spikes=shaped("spikes", inputs.spikes), current=shaped("current", inputs.current))


def push_spikes(spec, model, ring, x, step):
    """``ring`` with the slice's spike input ``x`` [L, N] added to the rows read in steps step … step+L−1."""
    rows = (step + jnp.arange(x.shape[0])) % spec.sizes.ring
    x = x.astype(ring.dtype)
    if x.shape[0] == 1:  # one step per slice: elementwise (dense.one_row), no scatter
        add = lambda ring, rows, x: ring + one_row(ring.shape[0], rows[0], ring.dtype) * x
    else:
        add = lambda ring, rows, x: ring.at[rows].add(x, unique_indices=True)
    if not spec.models.routed:
        return add(ring, rows, x)
    inh = (model.neurons.route == BY_SIGN) & (x <= 0)  # NEST: weight > 0 excitatory, else inhibitory
    ring = add(ring, rows, jnp.where(inh, 0.0, x))
    return add(ring, rows + spec.sizes.ring, jnp.where(inh, x, 0.0))
