"""What the generators of the device interface share on the host: per-generator tables and windows.

A generator model's :meth:`~jaxsnn.models.base.Generator.lower` builds its topology from
:meth:`~jaxsnn.models.base.Generator.connections` (per connection: target, delay, receptor, stream, and
``generator``, the index of its generator among the model's nodes) and per generator its window and
parameters (:func:`per_generator`).
"""
from __future__ import annotations

import math

import numpy as np

from .base import CURRENT

NEVER = np.iinfo(np.int32).max  # the end of an open window: no step reaches it


def window(p: dict, h: float) -> tuple:
    """A device's active window (lo, hi] in steps (NEST's origin + start, origin + stop)."""
    lo = round((p["origin"] + p["start"]) / h)
    hi = p["origin"] + p["stop"]
    return lo, (NEVER if not math.isfinite(hi) else round(hi / h))


def recorded(desc, name) -> np.ndarray:
    """Node ids of the generators of model ``name`` that a recorder (a multimeter) is connected to: the
    connections into a generator."""
    into = [c.target for c in desc.connections if len(c.target) and desc.base_of(c.target[0]) == name]
    return np.unique(np.concatenate(into)).astype(np.int64) if into else np.zeros(0, np.int64)


def per_generator(desc, G, neuron_of_node, stream_base: int) -> tuple:
    """(topology, parameters of each generator, node ids) of every generator of model ``G`` that has
    connections or is recorded (:func:`recorded`): topology holds target, delay, receptor, stream,
    generator, node per connection (a current generator's sorted by node: NEST's order of adding
    currents) and the generators' windows ``window`` [n_gen, 2]."""
    c = G.connections(desc, G.name, neuron_of_node, stream_base)
    if G.emits == CURRENT:  # NEST adds the currents onto a neuron in generator node id order
        order = np.argsort(c["node"], kind="stable")
        c = {k: v[order] for k, v in c.items()}
    nodes = np.union1d(c["node"], recorded(desc, G.name)) if G.recordables else np.unique(c["node"])
    gen = np.searchsorted(nodes, c["node"])
    params = [desc.population_of(int(g)).params for g in nodes]
    top = dict(target=c["target"], delay=c["delay"], receptor=c["receptor"], stream=c["stream"], generator=gen,
               node=c["node"], window=np.array([window(p, desc.resolution) for p in params], np.int64).reshape(-1, 2))
    return top, params, nodes, c["weight"]


# ------------------------------------------------------------------------------ in the graph
def current_active(top, k):
    """[L, C]: whether each connection's generator is active in step k (``lo < k + 2 <= hi``: NEST's
    StimulationDevice::is_active of a current generator, whose current acts from the next step)."""
    g = top["generator"]
    return (top["window"][g, 0] < k + 2) & (k + 2 <= top["window"][g, 1])


def generators_active(top, k, current: bool):
    """[L, G]: whether each generator is active in step k (:func:`current_active` for a current generator,
    else :func:`spike_active`), for what it records."""
    lo, hi = top["window"][:, 0], top["window"][:, 1]
    k = k + 2 if current else k
    return (lo < k) & (k <= hi)


def spike_active(top, k):
    """[L, C]: whether each connection's generator is active in step k (``lo < k <= hi``: NEST's
    StimulationDevice::is_active of a spike generator, as poisson_generator)."""
    g = top["generator"]
    return (top["window"][g, 0] < k) & (k <= top["window"][g, 1])


def poisson_draws(key, k, streams, mu, n_terms: int):
    """Poisson counts [L, T] of means ``mu`` ([L, T]) from the bits of (key, step, stream): the inverse CDF
    summed up to ``n_terms`` terms (:func:`jaxsnn.core.rate_generators.poisson_counts`)."""
    from ..core import rate_generators, rng

    return rate_generators.poisson_counts(rng.bits(key, k, streams[None, :]), mu, n_terms)


HEADROOM = 1.01  # tables cover 1 % beyond the largest mean at build: rounding (an oscillator's drift in float32)


def terms_for(mu_max: float, where: str, name: str, value) -> int:
    """Poisson table terms for means up to ``HEADROOM · mu_max`` (per step); a mean beyond the table is
    refused."""
    from ..core.rng import MAX_POISSON_TERMS, n_terms_for
    from ..errors import bad_value

    n = n_terms_for(float(mu_max) * HEADROOM) if mu_max > 0 else 1
    if n > MAX_POISSON_TERMS:
        raise bad_value(f"{where}: {name}", value, f"a rate whose mean count per step (rate·h = {mu_max:.4g}) needs "
                        f"at most {MAX_POISSON_TERMS} Poisson table terms")
    return n


def beyond(mu, mu_max: float):
    """Overflow.POISSON where a mean exceeds what the table was built for (params changed in the pytree
    since the build: ``Simulation.set`` rebuilds the table instead)."""
    import jax.numpy as jnp

    from ..core.status import Overflow, flag

    return flag(jnp.any(mu > mu_max * HEADROOM) | jnp.any(mu < 0), Overflow.POISSON)
