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
