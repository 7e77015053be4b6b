"""Views of a network's weights by projection, and node ids as state indices, for training loops.

``state.weights`` is one flat vector of every neuron-to-neuron synapse (sorted by source). A
:class:`Projection` selects the synapses from ``source`` to ``target`` nodes (optionally of one
``synapse_model``), as NEST's ``GetConnections`` does, and reads or writes them as a flat vector in
that order or as a matrix ``[len(source), len(target)]`` (mV per spike, pA for psc models):

    p = sim.projection(hidden, readout)
    W = p.matrix(state.weights)                                      # read
    state = state.with_weights(p.with_matrix(state.weights, W0))     # initialise
    w = p.set(w, jnp.maximum(p.get(w), 0.0))                         # e.g. a sign constraint (Dale)

All of them are pure JAX on traced weights (``jax.grad`` flows through them). A pair of neurons
connected twice has no single matrix entry: :meth:`Projection.matrix` sums such synapses and
:meth:`Projection.with_matrix` refuses them.
"""
from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from ..errors import bad_value
from .frames import node_ids


def index(layout, nodes, name="nodes") -> np.ndarray:
    """The neuron index (``state.spikes[:, i]``, ``state.transit``) of each node id in ``nodes``, int32; a
    node that is not a neuron (a generator or recorder) or does not exist is refused by id and model."""
    ids = node_ids(nodes, name)
    for node in ids:
        if not 1 <= node <= layout.n_nodes:
            raise bad_value(name, int(node), f"node ids of this network (1 … {layout.n_nodes})")
        if layout.neuron_of_node[node] < 0:
            raise bad_value(name, int(node), f"node ids of neurons: node {int(node)} is a {_model_of(layout, node)}, "
                            "which has no state index")
    return layout.neuron_of_node[ids].astype(np.int32)


def _model_of(layout, node) -> str:
    for model, _base, first, n in layout.populations:
        if first <= node < first + n:
            return model
    return "device"


@dataclasses.dataclass(frozen=True, eq=False)
class Projection:
    """The synapses from ``source`` to ``target`` (node ids): ``synapses`` (positions in
    ``state.weights``, by source then creation order), and the row and column of each in the matrix."""

    source: np.ndarray  # node ids (matrix rows)
    target: np.ndarray  # node ids (matrix columns)
    synapses: np.ndarray  # int32 positions in state.weights
    rows: np.ndarray  # int32
    cols: np.ndarray  # int32

    @property
    def shape(self):
        return (len(self.source), len(self.target))

    def get(self, weights):
        """The projection's weights as a flat vector (``len(synapses)``)."""
        return weights[self.synapses]

    def set(self, weights, values):
        """``weights`` with the projection's synapses set to ``values`` (a scalar or ``len(synapses)``)."""
        return weights.at[self.synapses].set(jnp.asarray(values, weights.dtype), unique_indices=True)

    def matrix(self, weights):
        """The projection's weights as a matrix [len(source), len(target)]: 0 where no synapse connects
        the pair, the sum where several do."""
        return jnp.zeros(self.shape, weights.dtype).at[self.rows, self.cols].add(weights[self.synapses])

    def with_matrix(self, weights, matrix):
        """``weights`` with each synapse of the projection set to its entry of ``matrix`` (entries of
        unconnected pairs are ignored)."""
        if np.shape(matrix) != self.shape:
            raise bad_value("matrix", f"<array of shape {np.shape(matrix)}>", f"an array of shape {self.shape}")
        if len(np.unique(self.rows.astype(np.int64) * self.shape[1] + self.cols)) != len(self.synapses):
            raise bad_value("matrix", "<a projection with multapses>", "a projection connecting each pair at most "
                            "once (set its synapses one by one with Projection.set)")
        return self.set(weights, jnp.asarray(matrix, weights.dtype)[self.rows, self.cols])


def projection(sim, source, target, synapse_model=None) -> Projection:
    """The synapses of ``sim`` from the neurons ``source`` to the neurons ``target`` (node ids or
    NodeCollections), of ``synapse_model`` if given."""
    lay = sim.layout
    src_idx, tgt_idx = index(lay, source, "source"), index(lay, target, "target")
    for name, idx in (("source", src_idx), ("target", tgt_idx)):
        if len(np.unique(idx)) != len(idx):
            raise bad_value(name, "<node ids with repeats>", "each node at most once (a row or column per node)")
    if synapse_model is not None and synapse_model not in lay.synapse_models:
        raise bad_value("synapse_model", synapse_model, f"one of {list(lay.synapse_models)}")
    n = sim.spec.sizes.n_neurons
    row_of, col_of = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    row_of[src_idx], col_of[tgt_idx] = np.arange(len(src_idx)), np.arange(len(tgt_idx))
    syn = sim.model.synapses
    src, tgt = np.asarray(syn.source), np.asarray(syn.target)
    keep = (row_of[src] >= 0) & (col_of[tgt] >= 0)
    if synapse_model is not None:
        keep &= np.asarray(syn.model) == lay.synapse_models.index(synapse_model)
    pos = np.nonzero(keep)[0]
    return Projection(source=node_ids(source), target=node_ids(target), synapses=pos.astype(np.int32),
                      rows=row_of[src[pos]].astype(np.int32), cols=col_of[tgt[pos]].astype(np.int32))
