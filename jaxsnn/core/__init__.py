"""The pure-JAX core: types, the neuron and plasticity arithmetic, the slice step and its loops.

Nothing here does host work (no numpy on data, no pandas, no files): everything can be jitted,
vmapped and differentiated. The host build (:mod:`jaxsnn.compile`) produces its inputs; the host runner
(:mod:`jaxsnn.simulation`) drives it in chunks and turns its buffers into records.
"""
