"""Event iteration visits exactly the listed synapses, in order, across block boundaries; a slice's spike
lists and the input ring's scatter follow their reference semantics."""
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsnn.core import engine, events, generators


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


def test_for_each_range_under_vmap_gives_each_members_own_result():
    # members with 0, 1 and 2 blocks of events; the carry's third leaf is never written
    rng = np.random.default_rng(4)
    n, max_degree = 300, 40
    starts = rng.integers(0, 10_000, (3, n)).astype(np.int32)
    sizes = rng.integers(0, max_degree + 1, (3, n)).astype(np.int32)
    counts = np.array([0, 150, n], np.int32)

    def body(syn, valid, k, carry):
        total, weighted, untouched = carry
        return total + jnp.sum(valid), weighted + jnp.sum(jnp.where(valid, syn * (k + 1), 0)), untouched

    def run(s, m, c, untouched):
        return events.for_each_range(s, m, c, max_degree, body, (0, 0, untouched))

    untouched = jnp.arange(5)
    out = jax.jit(jax.vmap(run, in_axes=(0, 0, 0, None), out_axes=(0, 0, None)))(starts, sizes, counts, untouched)
    assert (-(-np.asarray(out[0]) // events.SLOTS)).tolist() == [0, 1, 2]  # blocks: the loops differ in length
    for m in range(3):
        own = jax.jit(run)(starts[m], sizes[m], counts[m], untouched)
        assert int(out[0][m]) == int(own[0]) == sizes[m, :counts[m]].sum()
        assert int(out[1][m]) == int(own[1])
    np.testing.assert_array_equal(out[2], untouched)


def test_batched_block_loop_runs_every_member_to_the_largest_count():
    # what lets vmap skip selecting each member's carry per block: the extra blocks are no-ops for the
    # bodies of for_each_range; a counting body shows that they run
    count = lambda n: events._loop_to_the_longest(n, lambda i, c: c + 1, 0)
    assert jax.vmap(count)(jnp.array([0, 2, 5])).tolist() == [5, 5, 5]
    assert int(jax.jit(count)(2)) == 2


@pytest.mark.parametrize("one_per_neuron", [True, False])
def test_slice_spikes_lists_a_blocks_spikes_by_neuron_then_step(one_per_neuron):
    rng = np.random.default_rng(5)
    L, N, first = 10, 300, 1234
    block = rng.random((L, N)) < 0.05
    if one_per_neuron:  # the engine's fast path: a neuron spikes at most once per block
        block &= np.cumsum(block, axis=0) == 1
    spec = SimpleNamespace(sizes=SimpleNamespace(min_isi=L if one_per_neuron else L - 1))
    neurons, steps = np.nonzero(block.T)
    expected = list(zip(neurons, first + steps))
    for capacity in (len(expected) + 7, len(expected) - 3):  # room to spare; too little: the first ones, flagged
        ids, at, count, over = engine.slice_spikes(spec, jnp.asarray(block), jnp.int32(first), capacity)
        kept = min(capacity, len(expected))
        assert int(count) == kept and bool(over) == (capacity < len(expected))
        assert list(zip(np.asarray(ids)[:kept], np.asarray(at)[:kept])) == expected[:kept]


@pytest.mark.parametrize("counted", [False, True])
def test_ring_add_onehot_gives_the_scatters_bits_batched(counted):
    """The one-hot matmul of the differentiable build's generator push: for events on distinct entries,
    bit for bit the scatter's sums (weights, or the counts of COUNTS targets), per sample under vmap."""
    from jaxsnn.core.types import COUNTS, SUMMED

    rng = np.random.default_rng(8)
    n, steps, ring_rows = 30, 3, 4
    spec = SimpleNamespace(sizes=SimpleNamespace(ring=ring_rows),
                           models=SimpleNamespace(routed=False, has_multiplicity=True))
    route = jnp.full(n, COUNTS if counted else SUMMED, jnp.int32)
    targets = jnp.asarray(rng.permutation(n)[:20])  # distinct: no two events on one entry
    rows = jnp.asarray((7 + np.arange(steps)[:, None] + rng.integers(1, 2, 20)) % ring_rows)
    ring = jnp.asarray(rng.standard_normal((5, ring_rows, n)).astype(np.float32))
    values = jnp.asarray(rng.standard_normal((5, steps, 20)).astype(np.float32) / 3)
    count = jnp.asarray(rng.integers(0, 4, (5, steps, 20)).astype(np.float32))

    def by(f):
        return np.asarray(jax.jit(jax.vmap(lambda r, v, c: f(spec, route, r, rows, targets, v, c)))(ring, values, count))

    onehot, scatter = by(generators.ring_add_onehot), by(generators.ring_add_routed)
    np.testing.assert_array_equal(onehot, scatter)
    assert not np.array_equal(onehot, np.asarray(ring))


def test_ring_add_drops_rows_past_the_ring_and_sums_repeats():
    rng = np.random.default_rng(6)
    ring = rng.random((20, 50)).astype(np.float32)
    rows, targets = rng.integers(0, 25, 3000), rng.integers(0, 50, 3000)  # rows 20-24: past the ring
    values = rng.random(3000).astype(np.float32)
    expected = ring.copy()
    keep = rows < 20
    np.add.at(expected, (rows[keep], targets[keep]), values[keep])  # one by one, in order: NEST's sums
    got = np.asarray(generators.ring_add(jnp.asarray(ring), jnp.asarray(rows), jnp.asarray(targets), jnp.asarray(values)))
    if jax.default_backend() == "cpu":
        np.testing.assert_array_equal(got, expected)
    else:  # GPU scatters sum a cell's values in another order (README: "On GPUs")
        np.testing.assert_allclose(got, expected, rtol=1e-6)
