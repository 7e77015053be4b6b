"""Event iteration visits exactly the listed synapses, in order, across block boundaries."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsnn import events


@pytest.mark.parametrize("static", [False, True])
def test_for_each_range_visits_every_event_once_in_order(static):
    rng = np.random.default_rng(3)
    n, count, max_degree = 400, 350, 60  # about 9,000 events: three blocks, and spikes past count
    sizes = rng.integers(0, max_degree + 1, n)
    sizes[::7] = 0  # empty ranges (a spike with no synapses on this device)
    starts = rng.integers(0, 10_000, n)
    expected = [(s + j, k) for k, (s, m) in enumerate(zip(starts[:count], sizes[:count])) for j in range(m)]

    def body(syn, valid, k, carry):
        buf_syn, buf_k, pos = carry
        at = jnp.where(valid, pos + jnp.cumsum(valid) - 1, buf_syn.shape[0])
        return buf_syn.at[at].set(syn, mode="drop"), buf_k.at[at].set(k, mode="drop"), pos + jnp.sum(valid)

    size = n * max_degree
    run = jax.jit(lambda s, m: events.for_each_range(
        s, m, count, max_degree, body, (jnp.zeros(size, jnp.int32), jnp.zeros(size, jnp.int32), 0), static))
    got_syn, got_k, total = run(jnp.asarray(starts, jnp.int32), jnp.asarray(sizes, jnp.int32))
    assert len(expected) > 2 * events.SLOTS and int(total) == len(expected)
    np.testing.assert_array_equal(np.asarray(got_syn)[:len(expected)], [e[0] for e in expected])
    np.testing.assert_array_equal(np.asarray(got_k)[:len(expected)], [e[1] for e in expected])
