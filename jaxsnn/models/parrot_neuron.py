"""parrot_neuron: repeats every spike it receives, one step later in NEST's stamps, as NEST 3.10.

A parrot emits, in the step its input arrives, one spike of multiplicity n for n incoming events
(weights are ignored: the ring counts events). Events on receptor_type 1 reach it without being
repeated (NEST's way to drive STDP with a parrot as the postsynaptic neuron). In the differentiable
build a spike of multiplicity n passes its input's gradient straight through (∂(n·s)/∂input = 1).

Parameters (NEST's names and defaults):

=================  ========  =======================================================
tau_minus          20 ms     time constant of the postsynaptic STDP trace
tau_minus_triplet  110 ms    time constant of the postsynaptic triplet STDP trace
Ca                 0         calcium trace (beta_Ca per spike, decay tau_Ca) (state)
tau_Ca             10000 ms  time constant of the calcium trace
beta_Ca            0.001     increment of the calcium trace per spike
=================  ========  =======================================================

Recordables: none.
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from .base import ARCHIVING, COUNTS, NeuronModel, check_tau_minus

PARAMETERS = dict(ARCHIVING)


@dataclasses.dataclass(frozen=True)
class ParrotNeuron(NeuronModel):
    name = "parrot_neuron"
    parameters = PARAMETERS
    recordables = ()
    inputs = COUNTS
    current_receptors = 0
    receptors = {"neuron": (0, 1), "generator": (0,), "current": ()}

    @classmethod
    def check(cls, v, where, tics_per_step):
        check_tau_minus(v, where)

    def update(self, p, k, s, inp, h, surrogate=None):
        """A spike of multiplicity n for n events arrived; returns (state, spiked, multiplicity)."""
        x = inp.spikes[0]
        n = jnp.round(x).astype(jnp.int32)
        fired = n > 0
        if surrogate is not None:
            # a spike of multiplicity n is delivered n times: n · s = n + (input − stop_gradient(input))
            fired = jnp.where(fired, 1.0 + (x - jax.lax.stop_gradient(x)) / jnp.maximum(n, 1), 0.0).astype(x.dtype)
        return s, fired, n * (fired > 0)


MODEL = ParrotNeuron
