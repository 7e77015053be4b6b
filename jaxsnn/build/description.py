"""The frozen description of a network: what :mod:`jaxsnn.build.lower` reads.

A :class:`~jaxsnn.Network` is mutable while it is built up (``create``, ``connect``, ``set``,
``copy_model``); :meth:`~jaxsnn.Network.description` freezes what it holds at that moment into a
:class:`Description`: the resolution, the populations and devices in node-id order, the connections in
the order they were made, and the model catalogue. The lowering reads only this, never the Network,
so the build and the description do not import each other.
"""
from __future__ import annotations

import bisect
import dataclasses
import functools
from collections.abc import Mapping

import numpy as np

from ..errors import bad_value


@dataclasses.dataclass(frozen=True)
class Population:
    """``n`` consecutive nodes of one model from node id ``first``: a neuron population (``params``: name
    -> float64 array of ``n`` values) or a run of devices with equal parameters (name -> value)."""

    model: str  # the name created (a copy_model name, or the base model's)
    base: str  # the built-in model it derives from
    first: int
    n: int
    params: Mapping

    @property
    def ids(self) -> np.ndarray:
        return np.arange(self.first, self.first + self.n)


@dataclasses.dataclass(frozen=True)
class Connections:
    """One ``connect`` call: between neurons, from a generator, or with a recorder (``model`` is then the
    recorder's base model)."""

    source: np.ndarray  # node ids
    target: np.ndarray
    model: str  # synapse model name (or the recorder's base model)
    weight: np.ndarray
    delay: np.ndarray  # steps
    extra: Mapping  # per-connection plasticity parameters (stdp_synapse), Kplus, receptor_type


@dataclasses.dataclass(frozen=True)
class Description:
    """A network as built so far, frozen: what the lowering reads."""

    resolution: float  # ms
    tics_per_step: int
    n_nodes: int
    populations: tuple  # Population, by node id
    connections: tuple  # Connections, in the order of the connect calls
    models: Mapping  # name -> registry.Model (built-in models and copies)
    layers: tuple = ()  # (first id, jaxsnn.spatial Layer) of each population created with positions

    def population_of(self, node_id) -> Population:
        """The population (or run of devices) holding ``node_id``."""
        i = bisect.bisect_right(self._firsts, int(node_id)) - 1
        if i < 0 or node_id >= self.populations[i].first + self.populations[i].n:
            raise bad_value("node id", int(node_id), f"an id of an existing node (1 … {self.n_nodes})")
        return self.populations[i]

    def base_of(self, node_id) -> str:
        return self.population_of(node_id).base

    def nodes_of(self, base: str) -> tuple:
        """Node ids of every node whose base model is ``base``, ascending."""
        return tuple(p.first + k for p in self.populations if p.base == base for k in range(p.n))

    def source_base(self, c: Connections) -> str:
        """Base model of the sources of ``c`` (one kind per connect call)."""
        return self.base_of(c.source[0])

    @functools.cached_property
    def _firsts(self) -> list:
        return [p.first for p in self.populations]
