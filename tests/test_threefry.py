"""The host threefry (jaxsnn.core.threefry) gives jax.random's key bits, so every draw of a network
built with it is the draw jax.random would make."""
import jax
import numpy as np
import pytest

from jaxsnn.core import engine, threefry

RNG = np.random.default_rng(20261207)
SEEDS = [0, 1, 2, 143202461, 2**31 - 1, 2**31, 2**32 - 1, *(int(s) for s in RNG.integers(0, 2**32, 40))]
DATA = [0, 1, 7, 0x5EED, 0x0B10C, 2**31 - 1, 2**31, 2**32 - 1, *(int(d) for d in RNG.integers(0, 2**32, 4))]


def _data(key):
    return np.asarray(jax.random.key_data(key))


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "float64"])
def test_seed_and_fold_in_match_jax_random(x64):
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", x64)
    try:
        for s in SEEDS:
            key = jax.random.key(s)
            np.testing.assert_array_equal(threefry.seed_words(s), _data(key), err_msg=f"seed {s}")
            for d in DATA:
                want = _data(jax.random.fold_in(key, d))
                np.testing.assert_array_equal(threefry.fold_in(threefry.seed_words(s), d), want,
                                              err_msg=f"seed {s}, data {d}")
                got = threefry.fold_in_key(key, d)
                assert jax.dtypes.issubdtype(got.dtype, jax.dtypes.prng_key)
                np.testing.assert_array_equal(_data(got), want)
    finally:
        jax.config.update("jax_enable_x64", old)


def test_counter_pairs_match_threefry_2x32():
    """Several counters at once, as jax's threefry_2x32 splits an even-sized count."""
    from jax._src.random.threefry2x32 import threefry_2x32

    key = np.array([0x13198A2E, 0x03707344], np.uint32)
    count = RNG.integers(0, 2**32, 64).astype(np.uint32)
    want = np.asarray(threefry_2x32(jax.numpy.asarray(key), jax.numpy.asarray(count)))
    np.testing.assert_array_equal(threefry.threefry2x32(key[0], key[1], count[:32], count[32:]), want)


def test_simulation_key_is_jax_randoms():
    for s in SEEDS[:12]:
        want = _data(jax.random.fold_in(jax.random.key(s), engine.SIM_STREAM))
        np.testing.assert_array_equal(np.asarray(engine.simulation_key(s)), want)


def test_other_keys_go_through_jax_random():
    rbg = jax.random.key(5, impl="rbg")
    np.testing.assert_array_equal(_data(threefry.fold_in_key(rbg, 3)), _data(jax.random.fold_in(rbg, 3)))
    with pytest.raises(ValueError, match="outside"):
        threefry.seed_words(2**32)


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "float64"])
def test_draws_match_jax_random(x64):
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", x64)
    try:
        for s in SEEDS[:6]:
            key = jax.random.fold_in(jax.random.key(s), 3)
            np.testing.assert_array_equal(np.stack([_data(k) for k in threefry.split(key)]),
                                          _data(jax.random.split(key)))
            for shape, lo, hi in [((1000,), 0, 7), ((2**16,), 0, 100_003), ((37, 5), 3, 2**31 - 1), ((9,), 0, 1)]:
                want = np.asarray(jax.random.randint(key, shape, lo, hi))
                got = threefry.randint(key, shape, lo, hi)
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got, want, err_msg=f"seed {s}, {shape}, [{lo}, {hi})")
            for shape in [(1000,), (20, 33)]:
                want = np.asarray(jax.random.uniform(key, shape))
                got = threefry.uniform(key, shape)
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got, want)
    finally:
        jax.config.update("jax_enable_x64", old)


def _connections(host: bool, monkeypatch):
    import jaxsnn
    import jaxsnn.random as jr

    if not host:
        monkeypatch.setattr(jr, "_kernel", lambda draw, args: None)  # JAX computes every block
    net = jaxsnn.Network(seed=11)
    a = net.create("iaf_psc_delta", 60)
    b = net.create("iaf_psc_delta", 40)
    net.connect(a, b, {"rule": "fixed_indegree", "indegree": 7, "allow_multapses": False})
    net.connect(b, a, {"rule": "fixed_outdegree", "outdegree": 5, "allow_autapses": False})
    net.connect(a, a, {"rule": "pairwise_bernoulli", "p": 0.1, "allow_autapses": False})
    net.connect(b, b, {"rule": "fixed_total_number", "N": 300, "allow_autapses": False})
    return [(np.asarray(c.source), np.asarray(c.target)) for c in net._conns]


def test_random_rules_draw_jax_randoms_bits_on_the_host(monkeypatch, caplog):
    with jax.log_compiles():
        host = _connections(True, monkeypatch)
    compiled = [r.getMessage() for r in caplog.records if "Compiling" in r.getMessage()]
    assert not compiled, compiled  # nothing compiled for the draws
    jax_made = _connections(False, monkeypatch)
    assert len(host) == 4 and all(len(s) for s, _ in host)
    for (s1, t1), (s2, t2) in zip(host, jax_made):
        np.testing.assert_array_equal(s1, s2)
        np.testing.assert_array_equal(t1, t2)
