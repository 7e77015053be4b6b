"""Run status: overflow flags (which fixed capacity a run exceeded, in words) and how the core sets them.

Every buffer of a compiled network has a fixed size (``Spec`` capacities). When a run needs more, the
engine does not grow anything inside ``jit``: it sets a bit in ``state.overflow`` and the results of
that call are incomplete. :func:`jaxsnn.simulate` grows the capacity and recomputes (nothing is lost);
users of :func:`jaxsnn.step`, :func:`jaxsnn.advance`, :func:`jaxsnn.scan` call :func:`check` on the
state they keep (results are valid only when it passes), as with jax-md's neighbour lists.
"""
from __future__ import annotations

import enum

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import CapacityError


class Overflow(enum.IntFlag):
    """Bits of ``state.overflow``."""

    SLICE = 1  # more spikes in one slice than spec.capacities.slice_capacity: some were not delivered
    RECORDER = 2  # a recorder's buffers are full (its capacity; the recorder's "full" says which): records lost
    POISSON = 16  # a Poisson rate the compiled table does not cover: counts truncated or all 0
    POST = 32  # more post spikes in the STDP window than spec.capacities.post_capacity: facilitation skipped
    STDP_SPECIALISATION = 64  # plasticity parameters changed after build so that a specialisation fails
    REFRACTORY = 128  # t_ref lowered below the one the slices were built for: spikes could be lost
    MISALIGNED = 256  # jaxsnn.step called on a state that is not at a slice start
    STEP_COUNTER = 512  # the run would pass step 2**31 - 1, where the 32-bit step counter ends
    MULTIPLICITY = 1024  # differentiable build: a parrot_neuron spike of multiplicity > 1 with plastic synapses

    def describe(self) -> str:
        return "; ".join(_WORDS[f] for f in Overflow if f & self) or "nothing overflowed"


def flag(cond, bit):
    """``bit`` where ``cond`` holds, else 0 (int32): the core ORs these into ``state.overflow``."""
    return jnp.where(cond, int(bit), 0).astype(jnp.int32)


_WORDS = {
    Overflow.SLICE: "more spikes in one slice than slice_capacity (spikes were not delivered)",
    Overflow.RECORDER: "a recorder's buffer is full (its capacity)",
    Overflow.POISSON: "a poisson_generator rate in params is beyond what the network's Poisson table was built "
                      "for (or negative), so its draws would be truncated, or all 0 far beyond: set the highest "
                      "rate you will use on the generator before net.build() (or split it over several generators)",
    Overflow.POST: "more postsynaptic spikes in an STDP window than post_capacity (facilitation skipped)",
    Overflow.STDP_SPECIALISATION: "plasticity parameters were changed so that mu_plus/mu_minus or the number "
                                  "of rules differ from the built network (build it with the values you use)",
    Overflow.REFRACTORY: "t_ref is shorter than the network was built with (build it with the shortest t_ref "
                         "you will use)",
    Overflow.STEP_COUNTER: "the run passes step 2**31 - 1, the end of the 32-bit step counter (59.6 h of simulated "
                           "time at h = 0.1 ms): longer runs are not supported",
    Overflow.MISALIGNED: "jaxsnn.step was given a state that is not at a slice start (use jaxsnn.advance to get "
                         "there)",
    Overflow.MULTIPLICITY: "a parrot_neuron emitted a spike of multiplicity > 1 (several spikes arrived in one "
                           "step) in a differentiable build with plastic synapses, whose fixed-length loops "
                           "cannot repeat its STDP updates (build with differentiable=False)",
}


def check(state) -> None:
    """Raise :class:`~jaxsnn.CapacityError` naming every overflow recorded in ``state`` (any batch shape)."""
    flags = Overflow(int(np.bitwise_or.reduce(np.asarray(jax.device_get(state.overflow)).reshape(-1), initial=0)))
    if flags:
        raise CapacityError(f"the run exceeded a capacity, so its results are incomplete: {flags.describe()}. "
                            "jaxsnn.simulate grows capacities by itself; with step/advance/scan, build with larger "
                            "capacities (net.build(slice_capacity=..., record_capacity=...)).")
