"""Building large networks: random draws without a compile per call, the synapse tables in one pass."""
import jax
import numpy as np
import pytest

import jaxsnn
from jaxsnn.random import bucket, bucketed

DRAWS = {
    "randint": lambda k, s: jax.random.randint(k, s, 0, 977),
    "uniform": lambda k, s: jax.random.uniform(k, s, minval=-2.0, maxval=3.0),
    "normal": jaxsnn.random.normal(1.5, 0.75)._draw,
    "lognormal": jaxsnn.random.lognormal(0.2, 0.5)._draw,
    "exponential": jaxsnn.random.exponential(2.0)._draw,
}


@pytest.mark.parametrize("name", DRAWS)
@pytest.mark.parametrize("shape", [(1,), (7,), (1023,), (1025,), (3001,), (13, 101)])
def test_bucketed_draw_has_the_bits_of_the_draw_at_its_own_shape(name, shape):
    draw = DRAWS[name]
    key = jax.random.fold_in(jax.random.key(3), 11)
    if name in ("randint", "uniform"):
        direct, cut = draw(key, shape), bucketed(draw, key, shape)
    else:
        dtype = jax.numpy.zeros(0).dtype
        direct, cut = draw(key, shape, dtype), bucketed(draw, key, shape, dtype)
    assert cut.shape == shape
    assert np.array_equal(np.asarray(direct), cut)


def test_buckets_are_at_most_one_and_a_half_times_the_size_and_few():
    sizes = np.unique(np.geomspace(1, 10**7, 5000).astype(int))
    b = np.array([bucket(int(n)) for n in sizes])
    assert (b >= sizes).all() and (b[sizes > 1024] <= 1.5 * sizes[sizes > 1024]).all()
    assert len(np.unique(b)) <= 2 * 14 + 1  # two per doubling from 1,024 to 10^7


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
    ("fixed_total_number", "N", (9001, 10007, 11003, 12000)),
    ("fixed_indegree", "indegree", (37, 41, 45, 47)),
])
def test_connect_compiles_nothing_new_for_other_sizes_in_a_bucket(rule, key, sizes):
    net = jaxsnn.Network(seed=7)
    a = net.create("iaf_psc_delta", 250)
    weight = jaxsnn.math.redraw(jaxsnn.random.normal(1.0, 0.1), min=0.0, max=np.inf)
    spec = lambda n: ({"rule": rule, key: n}, {"weight": weight, "delay": 1.0})
    net.connect(a, a, *spec(12288 if rule == "fixed_total_number" else 48))  # compiles the bucket's draws
    Compiles.count, Compiles.on = 0, True
    try:
        for n in sizes:
            net.connect(a, a, *spec(n))
    finally:
        Compiles.on = False
    assert Compiles.count == 0


@pytest.mark.parametrize("N, M", [(1, 0), (1, 5), (7, 1000), (300, 20000)])
def test_order_by_source_is_the_stable_order(N, M):
    from jaxsnn.build.lower import by_source

    src = np.random.default_rng(N + M).integers(0, N, M).astype(np.int32)
    order, counts = by_source(src, N)
    assert order.dtype == np.int32
    assert np.array_equal(order, np.argsort(src, kind="stable"))
    assert np.array_equal(counts, np.bincount(src, minlength=N))


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
    assert held(drawn.weight) == 8 * 1000 and held(drawn.delay) <= 8
    sim = net.build()
    c = sim.connections()  # the values as given, per connection
    assert len(c) == 3000 and (c.weight[c.delay == 1.5] == 0.5).all() and (c.delay[c.weight != 0.5] == 1.0).all()
    assert held(sim.layout.synapse_recorder) <= 4  # no weight recorder: one -1 for all
