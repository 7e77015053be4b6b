"""Building large networks: random draws without a compile per call, the synapse tables in one pass."""
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import jaxsnn
from jaxsnn.core import threefry
from jaxsnn.random import BLOCK, BLOCK_STREAM, in_blocks

from .conftest import cpu_devices

DRAWS = {
    "randint": (jax.random.randint, (0, 977)),
    "uniform": (jax.random.uniform, (jax.dtypes.canonicalize_dtype(float), -2.0, 3.0)),
    "normal": jaxsnn.random.normal(1.5, 0.75),
    "lognormal": jaxsnn.random.lognormal(0.2, 0.5),
    "exponential": jaxsnn.random.exponential(2.0),
}


def draw_as(name):
    """``name``'s draw as f(key, shape) (JAX's program: for the continuous distributions their transform of
    ``jax.random.bits(key, shape, uint64)``), and as the blocked draw computed on the host."""
    if name in ("randint", "uniform"):
        draw, args = DRAWS[name]
        return (lambda k, shape: np.asarray(draw(k, shape, *args))), (lambda k, shape: in_blocks(draw, k, shape, *args))
    dist = DRAWS[name]

    def direct(k, shape):
        with jax.enable_x64(True):
            return dist._transform(np.asarray(jax.random.bits(k, shape, jax.numpy.uint64)))

    return direct, (lambda k, shape: in_blocks(threefry.Bits64(dist._transform), k, shape))


@pytest.mark.parametrize("name", DRAWS)
@pytest.mark.parametrize("shape", [(1,), (7,), (1023,), (3001,), (13, 101), (BLOCK,)])
def test_a_draw_of_up_to_a_block_has_the_bits_of_the_draw_at_its_own_shape(name, shape):
    direct, blocked = draw_as(name)
    key = jax.random.fold_in(jax.random.key(3), 11)
    cut = blocked(key, shape)
    assert cut.shape == shape and np.array_equal(direct(key, shape), cut)


@pytest.mark.parametrize("name", ["randint", "normal"])
def test_a_longer_draw_is_blocks_from_keys_of_their_own(name):
    direct, blocked = draw_as(name)
    key = jax.random.fold_in(jax.random.key(3), 11)
    n = 2 * BLOCK + 5
    x = blocked(key, (n,))
    stream = jax.random.fold_in(key, BLOCK_STREAM)
    assert np.array_equal(x[:BLOCK], direct(key, (BLOCK,)))
    for c in (1, 2):
        assert np.array_equal(x[c * BLOCK:(c + 1) * BLOCK], direct(jax.random.fold_in(stream, c), (BLOCK,))[:n - c * BLOCK])
    # the blocks are not the redraw streams of jaxsnn.build.connect (fold_in(key, round))
    assert not np.array_equal(x[BLOCK:2 * BLOCK], direct(jax.random.fold_in(key, 1), (BLOCK,)))


class Compiles:
    """XLA compilations seen while the listener is on."""

    count = 0
    on = False

    @classmethod
    def listen(cls, event, duration, **kw):
        if cls.on and event.endswith("backend_compile_duration"):
            cls.count += 1


jax.monitoring.register_event_duration_secs_listener(Compiles.listen)


@pytest.mark.parametrize("rule, key, sizes", [
    ("fixed_total_number", "N", (9001, 30007, 211003, 1000)),
    ("fixed_indegree", "indegree", (37, 410, 1200, 3)),
])
def test_connect_compiles_nothing_new_for_other_sizes(rule, key, sizes):
    net = jaxsnn.Network(seed=7)
    a = net.create("iaf_psc_delta", 250)
    weight = jaxsnn.math.redraw(jaxsnn.random.normal(1.0, 0.1), min=0.0, max=np.inf)
    spec = lambda n: ({"rule": rule, key: n, "allow_autapses": False}, {"weight": weight, "delay": 1.0})
    net.connect(a, a, *spec(100))  # compiles the draws
    Compiles.count, Compiles.on = 0, True
    try:
        for n in sizes:
            net.connect(a, a, *spec(n))
    finally:
        Compiles.on = False
    assert Compiles.count == 0


@pytest.mark.parametrize("targets", [np.arange(5, 305), np.arange(304, 4, -1), np.r_[np.arange(100, 300), 1:5]],
                         ids=["ascending", "descending", "unordered"])
def test_fixed_total_number_groups_its_pairs_by_target_in_draw_order(targets):
    """NEST's order: the pairs drawn, grouped by target id (ascending), in the order drawn within a target
    (a stable sort by target; jaxsnn sorts target indices or ranks by radix instead of the ids)."""
    from jaxsnn.build.connect import _fixed_total_number

    sources, n, key = np.arange(1, 401, dtype=np.int32), 70000, jax.random.fold_in(jax.random.key(5), 2)
    targets = targets.astype(np.int32)
    s, t = _fixed_total_number({"N": n, "allow_multapses": True, "allow_autapses": True}, sources, targets, key)
    ks, kt = threefry.split(threefry.fold_in_key(key, 0))  # round 0 draws every pair (autapses allowed)
    drawn_s = sources[in_blocks(jax.random.randint, ks, (n,), 0, len(sources))]
    drawn_t = targets[in_blocks(jax.random.randint, kt, (n,), 0, len(targets))]
    order = np.argsort(drawn_t, kind="stable")
    assert s.dtype == t.dtype == np.int32
    assert np.array_equal(t, drawn_t[order]) and np.array_equal(s, drawn_s[order])


@pytest.mark.parametrize("N, M", [(1, 0), (1, 5), (7, 1000), (300, 20000), (70000, 200000)])
@pytest.mark.parametrize("piece", [None, 997], ids=["whole", "pieces"])
def test_order_by_source_is_the_stable_order(N, M, piece, monkeypatch):
    """By radix sort or 64-bit keys, whole or in pieces merged (the pieces of a large network, here small)."""
    from jaxsnn.build import lower
    from jaxsnn.build.lower import by_source

    if piece:
        monkeypatch.setattr(lower, "SORT_PIECE", piece)
        monkeypatch.setattr(lower.host, "THREADS", 2)

    src = np.random.default_rng(N + M).integers(0, N, M).astype(np.int32)
    order, counts = by_source(src, N)
    assert order.dtype == np.int32
    assert np.array_equal(order, np.argsort(src, kind="stable"))
    assert np.array_equal(counts, np.bincount(src, minlength=N))


@pytest.mark.parametrize("values", [(1.5, -0.5, 2.0, 0.25), (3.0, 3.0, 3.0, 3.0)])
def test_a_column_of_one_value_per_connection_is_the_gathered_column(values):
    """Shared weights or delays are looked up by connect call (or filled) instead of gathered: same values."""
    from types import SimpleNamespace

    from jaxsnn.build.lower import _concat, _per_synapse, by_source

    sizes = (700, 0, 1, 2299)  # an empty call and a call of one synapse among them
    conns = [SimpleNamespace(w=np.broadcast_to(np.float64(v), (k,))) for v, k in zip(values, sizes)]
    M = sum(sizes)
    order, _ = by_source(np.random.default_rng(3).integers(0, 50, M).astype(np.int32), 50)
    expected = _concat([c.w for c in conns], M, np.float32)[order]
    assert np.array_equal(_per_synapse([c.w for c in conns], np.float32, order, M), expected)
    out = np.zeros((M, 2), np.float32)  # into a column of a table
    _per_synapse([c.w for c in conns], np.float32, order, M, out[:, 1])
    assert np.array_equal(out[:, 1], expected) and not out[:, 0].any()


def test_lowered_arrays_are_the_device_buffers_on_a_cpu():
    from jaxsnn.build.lower import aligned, to_device

    a = aligned((1000, 4), np.int32)
    a[:] = np.arange(4000).reshape(1000, 4)
    d = to_device(a)
    assert np.array_equal(np.asarray(d), a)
    if jax.default_backend() == "cpu":  # no second copy of the synapse tables
        assert np.asarray(d).ctypes.data == a.ctypes.data


def held(a):
    """Bytes ``a`` holds: a broadcast view of one value holds one."""
    return a.itemsize if a.ndim == 1 and len(a) > 1 and a.strides[0] == 0 else a.nbytes


def test_a_connection_costs_the_description_its_two_ids_when_weight_and_delay_are_shared():
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 100)
    net.connect(a, a, {"rule": "fixed_indegree", "indegree": 20}, {"weight": 0.5, "delay": 1.5})
    net.connect(a, a, {"rule": "fixed_indegree", "indegree": 10}, {"weight": jaxsnn.random.normal(0.0, 1.0)})
    shared, drawn = net.description().connections
    assert sum(held(x) for x in (shared.source, shared.target, shared.weight, shared.delay)) <= 8 * 2000 + 16
    assert held(drawn.weight) == 4 * 1000 and held(drawn.delay) <= 8  # float32 draws: float32
    sim = net.build()
    c = sim.connections()  # the values as given, per connection
    assert len(c) == 3000 and (c.weight[c.delay == 1.5] == 0.5).all() and (c.delay[c.weight != 0.5] == 1.0).all()
    assert not sim.layout.recorders and not sim.model.recorders  # no recorder: nothing per synapse


def test_weights_drawn_in_float32_are_held_as_float32_and_nothing_else_is_narrowed(x64):
    """A description keeps per-connection weights that are float32 numbers in 4 bytes, any other in 8; the
    network's weights are the values given or drawn, to the last bit of float64."""
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 100)
    given = np.linspace(0.1, 0.9, 1000)  # float64 numbers that float32 would round
    exact = np.arange(1000) * 0.25  # float32 numbers, given as float64
    net.connect(a, a, {"rule": "fixed_indegree", "indegree": 10}, {"weight": given})
    net.connect(a, a, {"rule": "fixed_indegree", "indegree": 10}, {"weight": exact})
    net.connect(a, a, {"rule": "fixed_indegree", "indegree": 10}, {"weight": jaxsnn.random.normal(0.0, 1.0)})
    jax.config.update("jax_enable_x64", False)  # (the fixture turns it back)
    net.connect(a, a, {"rule": "fixed_indegree", "indegree": 10}, {"weight": jaxsnn.random.normal(0.0, 1.0)})
    jax.config.update("jax_enable_x64", True)
    d = net.description().connections
    assert [c.weight.dtype for c in d] == [np.float64, np.float32, np.float64, np.float32]
    assert np.array_equal(d[0].weight, given) and np.array_equal(d[1].weight, exact)
    c = net.build(devices=1).connections()
    order = np.argsort(np.concatenate([x.source for x in d]), kind="stable")
    assert np.array_equal(c.weight.to_numpy(), np.concatenate([np.asarray(x.weight, np.float64) for x in d])[order])
    assert np.array_equal(np.sort(c.weight.to_numpy()), np.sort(np.concatenate([given, exact, d[2].weight,
                                                                                   np.float64(d[3].weight)])))


def test_a_static_network_keeps_two_int32_per_synapse_record():
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 50)
    net.connect(a, a, {"rule": "fixed_indegree", "indegree": 5}, {"weight": 0.5, "delay": 1.5})
    static = net.build().model.synapses
    assert static.out_syn.shape == (250, 2) and (static.stdp_row == -1).all() and (static.trace == 0).all()
    net.connect(a, a, {"rule": "fixed_indegree", "indegree": 1}, "stdp_synapse")
    plastic = net.build().model.synapses
    assert plastic.out_syn.shape == (300, 4) and (np.asarray(plastic.stdp_row) >= 0).sum() == 50


def test_a_static_network_holds_its_synapses_in_thirteen_bytes_each_on_the_device():
    """(target, delay) 8 bytes, the synapse model 1, the weight 4 (float32); the source is derived from the
    CSR pointers and no weight-recorder mask is held without a weight_recorder."""
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 60)
    net.connect(a, a, {"rule": "fixed_indegree", "indegree": 7}, {"weight": 0.5, "delay": 1.5})
    net.connect(a[:20], a, {"rule": "fixed_outdegree", "outdegree": 3}, {"weight": -1.0})
    sim = net.build(devices=1)
    M = 60 * 7 + 20 * 3
    per_synapse = [x for x in jax.tree_util.tree_leaves((sim.model, sim.state)) if x.shape and x.shape[0] == M]
    assert sum(x.nbytes for x in per_synapse) == 13 * M
    assert not sim.model.recorders
    c = sim.connections()  # sorted by source, as the description's pairs are after a stable sort
    desc = net.description().connections
    src = np.concatenate([d.source for d in desc])
    order = np.argsort(src, kind="stable")
    assert np.array_equal(c.source.to_numpy(), src[order])
    assert np.array_equal(c.target.to_numpy(), np.concatenate([d.target for d in desc])[order])
    assert np.array_equal(np.asarray(sim.layout.node_of_neuron)[sim.model.synapses.source], src[order])


SPLIT_FIRST_RUN = textwrap.dedent("""
    import jax
    import jaxsnn

    names = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: names.append(event) if event.endswith("backend_compile_duration") else None)
    net = jaxsnn.Network(seed=1)
    n = net.create("iaf_psc_delta", 20, params={"I_e": 1000.0})
    net.connect(n, n, {"rule": "fixed_indegree", "indegree": 3}, {"weight": 0.1, "delay": 1.0})
    a, b = net.create("spike_recorder"), net.create("spike_recorder")
    net.connect(n[:5], a)
    net.connect(n[3:], b)
    sim = net.build(devices=2)
    names.clear()
    sim = jaxsnn.simulate(sim, 30.0)
    assert len(sim.events(a)) > 0 and len(sim.events(b)) > len(sim.events(a))
    print(len(names))
""")


def test_the_first_run_of_a_split_network_compiles_only_its_loop():
    """A user's first run compiles the simulation loop and nothing else (a step count passed as a device
    scalar compiled a conversion program of its own)."""
    r = subprocess.run([sys.executable, "-c", SPLIT_FIRST_RUN], capture_output=True, text=True, env=cpu_devices(2))
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split()[-1] == "1", r.stdout


def test_shared_items_run_once_each_in_order_and_nested_calls_run_serially():
    """host.shared: the lowering's sorts and gathers split over threads; every item once, results in item
    order, an item's error raised to the caller, and a call from inside an item run in that thread (the pool
    would otherwise wait on itself)."""
    import threading

    from jaxsnn.core import host

    seen = []

    def item(i):
        seen.append(i)
        inner = host.shared(lambda j: (i, j, threading.current_thread().name), 8)
        return i * i, inner

    result = []
    run = threading.Thread(target=lambda: result.append(host.shared(item, 40)), daemon=True)
    run.start()
    run.join(60)
    assert result, "host.shared did not finish (a nested call waiting on the pool it runs in)"
    out = result[0]
    assert sorted(seen) == list(range(40)) and [r for r, _ in out] == [i * i for i in range(40)]
    for i, (_, inner) in enumerate(out):  # nested: in the item's own thread
        assert [x[:2] for x in inner] == [(i, j) for j in range(8)] and len({x[2] for x in inner}) == 1
    with pytest.raises(ZeroDivisionError):
        host.shared(lambda i: 1 // (i - 7), 20)
