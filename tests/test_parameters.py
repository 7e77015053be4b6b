"""NEST's parameter algebra: expressions of random draws, numbers and functions, evaluated per node
or connection, checked against analytic moments and exact arithmetic on the same draws."""
import jax
import numpy as np
import pytest

import jaxsnn
from jaxsnn import logic
from jaxsnn import math as jmath
from jaxsnn import random as jr
from jaxsnn.parameters import Constant, Context, Parameter

N = 20000
KEY = jax.random.key(7)


def values(p, n=N, key=KEY):
    return p.evaluate(Context(n, key))


def test_a_lone_distribution_draws_from_the_key_itself():
    """A bare leaf is unchanged by the algebra: the normal quantiles of jax.random's 64 bits of the call's key."""
    from statistics import NormalDist

    got = jr.normal(-65.0, 5.0).sample(KEY, 8)
    with jax.enable_x64(True):
        bits = np.asarray(jax.random.bits(KEY, (8,), jax.numpy.uint64))
    want = [-65.0 + 5.0 * NormalDist().inv_cdf(((int(b) >> 12) + 0.5) * 2.0**-52) for b in bits]
    # float64 with x64, else rounded to float32 once
    np.testing.assert_allclose(got, want, rtol=1e-15 if jax.config.jax_enable_x64 else 2.0**-24, atol=0)


def test_arithmetic_with_numbers_is_exact_on_the_same_draws():
    x = jr.uniform(0.0, 1.0)
    u = values(x, key=jax.random.fold_in(KEY, 1))  # the left operand of a binary node folds in 0 ...
    got = values(-4.0 * x, key=KEY)  # -4 is the left operand, x the right: fold_in(key, 1)
    np.testing.assert_array_equal(got, -4.0 * u)
    np.testing.assert_array_equal(values(x + 2.0, key=KEY), values(x, key=jax.random.fold_in(KEY, 0)) + 2.0)
    np.testing.assert_array_equal(values(-x, key=KEY), -1.0 * u)
    np.testing.assert_array_equal(values(1.0 / (x + 1.0), key=KEY),
                                  1.0 / (values(x, key=jax.random.fold_in(jax.random.fold_in(KEY, 1), 0)) + 1.0))


def test_moments_of_combinations():
    g = 4.0
    w = values(-g * jr.normal(20.0, 0.5))  # NEST: -g * nest.random.normal(20, 0.5)
    assert abs(w.mean() + 80.0) < 5 * 2.0 / np.sqrt(N) and abs(w.std() - 2.0) < 0.05
    s = values(jr.normal(0.0, 1.0) + jr.normal(0.0, 1.0))  # independent leaves: variance 2
    assert abs(s.var() - 2.0) < 0.08
    d = values(jr.normal(0.0, 1.0) - jr.normal(0.0, 1.0))
    assert abs(d.var() - 2.0) < 0.08  # would be 0 if both leaves drew the same values
    e = values(jr.exponential(2.0) * 0.5 + 1.0)
    assert abs(e.mean() - 2.0) < 0.05


def test_uniform_int_covers_0_to_max_minus_1_evenly():
    v = values(jr.uniform_int(5))
    assert set(np.unique(v)) == {0.0, 1.0, 2.0, 3.0, 4.0}
    counts = np.bincount(v.astype(int))
    assert np.all(np.abs(counts - N / 5) < 5 * np.sqrt(N / 5))
    with pytest.raises(jaxsnn.JaxsnnError, match="uniform_int: max"):
        jr.uniform_int(0)


def test_math_functions_are_exact_on_numbers():
    np.testing.assert_array_equal(values(jmath.exp(Constant(1.5)), 3), np.full(3, np.exp(1.5)))
    np.testing.assert_array_equal(values(jmath.sin(jr.uniform(0.0, 1.0)) ** 2 + jmath.cos(Constant(0.0)), 2)[:1] >= 1,
                                  [True])
    u = jr.uniform(-1.0, 1.0)
    assert values(jmath.max(u, 0.0)).min() == 0.0 and values(jmath.min(u, 0.0)).max() == 0.0
    np.testing.assert_array_equal(values(jmath.min(2.0, 3.0), 1), [2.0])


def test_redraw_keeps_values_inside_the_bounds_and_the_shape_of_the_distribution():
    v = values(jmath.redraw(jr.normal(1.5, 0.75), min=0.1, max=2.0))
    assert v.min() >= 0.1 and v.max() <= 2.0
    inside = values(jr.normal(1.5, 0.75))
    inside = inside[(inside >= 0.1) & (inside <= 2.0)]
    assert abs(v.mean() - inside.mean()) < 0.02  # a truncated normal, not clipped at the bounds
    assert (v == 2.0).mean() < 0.001
    with pytest.raises(jaxsnn.JaxsnnError, match="redraw"):
        values(jmath.redraw(jr.uniform(0.0, 1.0), min=5.0, max=6.0), 4)
    with pytest.raises(jaxsnn.JaxsnnError, match="redraw: max"):
        jmath.redraw(jr.uniform(), min=2.0, max=1.0)


def test_conditional_and_comparisons():
    u = jr.uniform(0.0, 1.0)
    c = values(logic.conditional(u < 0.2, 1.0, 0.0))
    assert set(np.unique(c)) == {0.0, 1.0} and abs(c.mean() - 0.2) < 0.015
    np.testing.assert_array_equal(values(Constant(1.0) >= 1.0, 1), [1.0])
    np.testing.assert_array_equal(values(Constant(1.0) != 1.0, 1), [0.0])
    with pytest.raises(jaxsnn.JaxsnnError, match="conditional"):
        bool(u < 0.5)


def test_bad_operands_are_named():
    with pytest.raises(jaxsnn.JaxsnnError, match="x"):
        jr.normal() + "a"
    with pytest.raises(jaxsnn.JaxsnnError, match="NaN"):
        jr.normal() * float("nan")
    with pytest.raises(jaxsnn.JaxsnnError, match="exponent"):
        jr.normal() ** jr.normal()


def test_parameters_are_accepted_where_nest_accepts_them():
    net = jaxsnn.Network(seed=3)
    n = net.create("iaf_psc_delta", 2000, params={"V_m": -55.0 - 10.0 * jr.uniform(0.0, 1.0),
                                                   "I_e": jmath.redraw(jr.normal(100.0, 50.0), min=0.0, max=200.0)})
    net.set(n[:1000], {"V_th": -50.0 + jr.normal(0.0, 1.0)})
    net.connect(n, n, {"rule": "fixed_indegree", "indegree": 5},
                {"weight": -4.0 * jr.normal(1.0, 0.1), "delay": jmath.redraw(jr.normal(1.5, 0.5), 0.1, 3.0)})
    sim = net.build()
    got = sim.get(n, ["V_m", "I_e", "V_th"])
    assert got.V_m.between(-65.0, -55.0).all() and abs(got.V_m.mean() + 60.0) < 0.3
    assert got.I_e.between(0.0, 200.0).all()
    assert abs(got.V_th.iloc[:1000].std() - 1.0) < 0.1 and (got.V_th.iloc[1000:] == -55.0).all()
    c = sim.connections()
    assert abs(c.weight.mean() + 4.0) < 0.05 and (c.weight < 0).all()
    assert c.delay.between(0.1, 3.0).all()


def test_the_context_carries_the_ids_for_spatial_leaves():
    """The documented hook: a leaf reading the context sees each value's node ids."""

    class TargetId(Parameter):
        def _eval(self, ctx, key):
            return ctx.targets.astype(float)

    net = jaxsnn.Network()
    n = net.create("iaf_psc_delta", 3, params={"I_e": 10.0 * TargetId()})
    net.connect(n, n, "all_to_all", {"weight": 0.01 * TargetId() + 1.0})
    sim = net.build()
    np.testing.assert_array_equal(sim.get(n, ["I_e"]).I_e.to_numpy(), [10.0, 20.0, 30.0])
    c = sim.connections()
    np.testing.assert_allclose(c.weight.to_numpy(), 0.01 * c.target.to_numpy() + 1.0, rtol=1e-6)
