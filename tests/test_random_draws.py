"""Random draws of networks are made on the host: no XLA program while a network is created and connected;
uniform and uniform_int keep jax.random's bits at every size; normal, lognormal and exponential follow their
analytic distributions; the first values of a draw do not depend on its length."""
from statistics import NormalDist

import jax
import numpy as np
import pytest
from scipy import stats

from jaxsnn import math as jmath
from jaxsnn import random as jr

N_STATS = 1_000_000

# The construction scenarios run in one fresh process: there, every program that runs is compiled (or read
# from the cache) first, which JAX reports as a backend_compile_duration event; in the test process earlier
# tests' programs would run unseen (and clearing JAX's caches would make later tests compile theirs again).
SCENARIOS = r"""
import collections, json, sys
import jax
import jaxsnn
from jaxsnn import math as jmath, random as jr, spatial

names = collections.Counter()
jax.monitoring.register_event_duration_secs_listener(
    lambda ev, d, **kw: names.update([kw.get("fun_name")]) if ev == "/jax/core/compile/backend_compile_duration" else None)
RULES = [{"rule": "fixed_indegree", "indegree": 30}, {"rule": "fixed_outdegree", "outdegree": 20},
         {"rule": "fixed_total_number", "N": 700, "allow_autapses": False},
         {"rule": "pairwise_bernoulli", "p": 0.1, "allow_autapses": False}, "all_to_all", "one_to_one",
         # 300 targets x 250: more than one block of draws, redraws of multapses and autapses
         {"rule": "fixed_indegree", "indegree": 250, "allow_multapses": False, "allow_autapses": False}]

def every_distribution(create, connect):
    a = create("iaf_psc_alpha", 300, {"V_m": jr.normal(-65.0, 3.0), "C_m": jr.lognormal(5.0, 0.1),
                                      "tau_m": jr.uniform(5.0, 20.0), "I_e": jr.exponential(2.0)})
    create("iaf_psc_alpha", 20, {"V_m": jr.uniform_int(10) - 70.0})
    for i, rule in enumerate(RULES):
        weight = [jr.normal(1.0, 0.1), -4.0 * jr.lognormal(0.0, 0.5), jr.exponential(0.3), jr.uniform(0.5, 1.5),
                  jr.uniform_int(5) + 1.0, jr.normal(2.0, 0.2), jr.uniform(-1.0, 1.0)][i]
        connect(a, a, rule, {"weight": weight, "delay": jmath.redraw(jr.normal(1.5, 0.5), 0.1, 5.0)})

def functional():
    net = jaxsnn.Network(seed=5)
    every_distribution(lambda m, n, p: net.create(m, n, params=p), lambda s, t, r, syn: net.connect(s, t, r, syn_spec=syn))
    return sum(len(c.source) for c in net._conns)

def spatial_network():
    net = jaxsnn.Network(seed=3)
    free = net.create("iaf_psc_alpha", 200, positions=spatial.free(jr.uniform(-0.5, 0.5), extent=[1.0, 1.0]))
    grid = net.create("iaf_psc_alpha", positions=spatial.grid([12, 12], extent=[1.0, 1.0], edge_wrap=True))
    mask = {"circular": {"radius": 0.3}}
    net.connect(free, grid, {"rule": "pairwise_bernoulli", "p": 0.5 * spatial.distance < 0.2, "mask": mask},
                {"weight": jr.normal(1.0, 0.1), "delay": 1.0 + spatial.distance})
    net.connect(grid, free, {"rule": "fixed_indegree", "indegree": 5, "mask": mask})
    net.connect(free, free, {"rule": "fixed_outdegree", "outdegree": 4, "mask": mask, "allow_multapses": False})
    return sum(len(c.source) for c in net._conns)

def pynest():
    import jaxsnn.nest as nest
    nest.ResetKernel()
    nest.rng_seed = 17
    every_distribution(lambda m, n, p: nest.Create(m, n, params=p), lambda s, t, r, syn: nest.Connect(s, t, r, syn))
    return int(nest.num_connections)

out = {}
for name, make in [("float32", functional), ("spatial", spatial_network), ("pynest", pynest), ("float64", functional)]:
    jax.config.update("jax_enable_x64", name == "float64")
    names.clear()
    made = make()
    out[name] = {"programs": dict(names), "connections": made}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def construction_programs():
    import json
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "JAX_PLATFORMS": "cpu", "JAXSNN_COMPILATION_CACHE": "off"}
    res = subprocess.run([sys.executable, "-c", SCENARIOS], env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("scenario", ["float32", "float64", "spatial", "pynest"])
def test_building_a_network_compiles_nothing(construction_programs, scenario):
    """Every distribution and every connection rule (functional Network in float32 and float64, PyNEST's
    Create/Connect, a spatial network): no XLA program compiled, loaded or run. (In the one process a program
    shows in the first scenario that runs it: on the code before, float32, float64 and spatial failed.)"""
    got = construction_programs[scenario]
    assert got["connections"] > 0
    assert not got["programs"], got["programs"]


@pytest.mark.parametrize("x64_on", [False, True], ids=["float32", "float64"])
def test_uniform_and_uniform_int_keep_jax_randoms_bits(x64_on):
    """uniform(min, max): jax.random.uniform's values bit for bit, also where XLA's fused multiply-add rounds
    u * (max - min) + min once (a plain NumPy product and sum differ on ~10 % of the values)."""
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", x64_on)
    rng = np.random.default_rng(3)
    dt = jax.dtypes.canonicalize_dtype(float)
    try:
        for s in range(12):
            key = jax.random.fold_in(jax.random.key(s), 9)
            lo = float(rng.normal() * 10.0 ** rng.integers(-3, 4))
            hi = lo + float(rng.exponential() * 10.0 ** rng.integers(-3, 4))
            want = np.asarray(jax.random.uniform(key, (jr.BLOCK,), dt, lo, hi))
            np.testing.assert_array_equal(jr.uniform(lo, hi).sample(key, jr.BLOCK), want, err_msg=f"[{lo}, {hi})")
            top = int(rng.integers(1, 2**31 - 1))
            want = np.asarray(jax.random.randint(key, (jr.BLOCK,), 0, top))
            np.testing.assert_array_equal(jr.uniform_int(top).sample(key, jr.BLOCK), want)
    finally:
        jax.config.update("jax_enable_x64", old)


@pytest.mark.parametrize("draw, args", [(jax.random.randint, (0, 12345)), (jax.random.randint, (-7, 2**31 - 1)),
                                        (jax.random.randint, (0, 1024)), (jax.random.uniform, ()),
                                        (jax.random.uniform, (np.float32, -3.0, 7.5))])
def test_long_draws_on_the_host_are_jaxs_blocks(draw, args):
    """More than one block: the host gives the values JAX's program gives for each block's key."""
    key = jax.random.key(11)
    n = 3 * jr.BLOCK + 17
    host = jr.in_blocks(draw, key, (n,), *args)
    stream = jax.random.fold_in(key, jr.BLOCK_STREAM)
    want = np.concatenate([np.asarray(draw(k, (jr.BLOCK,), *args)) for k in
                           [key] + [jax.random.fold_in(stream, c) for c in range(1, 4)]])[:n]
    assert host.dtype == want.dtype
    np.testing.assert_array_equal(host, want)


@pytest.mark.parametrize("dist", [jr.normal(1.0, 2.0), jr.lognormal(0.5, 0.3), jr.exponential(2.0),
                                  jr.uniform(-1.0, 3.0), jr.uniform_int(7)], ids=repr)
def test_the_first_values_do_not_depend_on_the_length(dist):
    key = jax.random.key(23)
    long = dist.sample(key, 2 * jr.BLOCK + 5)
    for n in (1, 10, jr.BLOCK - 1, jr.BLOCK, jr.BLOCK + 1):
        np.testing.assert_array_equal(dist.sample(key, n), long[:n])


def test_normal_quantile_is_as241():
    """Φ⁻¹ against Python's statistics.NormalDist (also AS 241, in C), in the centre and both tails."""
    rng = np.random.default_rng(5)
    p = np.concatenate([rng.random(5000), 10.0 ** -rng.uniform(1, 16, 5000), 1 - 10.0 ** -rng.uniform(1, 15.5, 5000),
                        [2.0**-53, 0.075, 0.5, 0.925, 1 - 2.0**-53]])
    want = np.array([NormalDist().inv_cdf(float(x)) for x in p])
    np.testing.assert_allclose(jr.ndtri(p), want, rtol=1e-15, atol=1e-300)
    k = rng.integers(0, 2**52, 1000, dtype=np.uint64)
    np.testing.assert_array_equal(jr.std_normal(k << np.uint64(12)),
                                  -jr.std_normal((np.uint64(2**52 - 1) - k) << np.uint64(12)))  # symmetric


def _ks(values, cdf):
    return stats.kstest(values, cdf).pvalue


@pytest.mark.parametrize("seed", [1, 2])
def test_normal_lognormal_exponential_follow_their_distributions(seed):
    """N_STATS values (16 blocks) against the analytic CDF (Kolmogorov-Smirnov) and moments (5 sigma)."""
    key = jax.random.key(seed)
    n = N_STATS
    x = jr.normal(-65.0, 5.0).sample(key, n)
    assert _ks(x, stats.norm(-65.0, 5.0).cdf) > 1e-4
    assert abs(x.mean() + 65.0) < 5 * 5.0 / np.sqrt(n)
    assert abs(x.var() / 25.0 - 1.0) < 5 * np.sqrt(2.0 / n)
    assert abs(stats.skew(x)) < 5 * np.sqrt(6.0 / n) and abs(stats.kurtosis(x)) < 5 * np.sqrt(24.0 / n)
    y = jr.lognormal(0.5, 0.3).sample(jax.random.fold_in(key, 1), n)
    assert _ks(y, stats.lognorm(0.3, scale=np.exp(0.5)).cdf) > 1e-4
    mean, var = np.exp(0.5 + 0.3**2 / 2), (np.exp(0.3**2) - 1) * np.exp(1.0 + 0.3**2)
    assert abs(y.mean() - mean) < 5 * np.sqrt(var / n)
    e = jr.exponential(2.0).sample(jax.random.fold_in(key, 2), n)
    assert _ks(e, stats.expon(scale=2.0).cdf) > 1e-4
    assert abs(e.mean() - 2.0) < 5 * 2.0 / np.sqrt(n) and e.min() >= 0.0
    # the tails: as many values beyond 3 sigma as the normal has (binomial, 5 sigma)
    far = np.mean(np.abs(x + 65.0) > 15.0)
    p3 = 2 * stats.norm.sf(3.0)
    assert abs(far - p3) < 5 * np.sqrt(p3 / n)


def test_the_same_draws_in_float32_and_float64():
    """The continuous distributions are computed in float64 either way, then rounded to float32 without x64."""
    key = jax.random.key(4)
    old = jax.config.jax_enable_x64
    try:
        jax.config.update("jax_enable_x64", False)
        f32 = [d.sample(key, 1000) for d in (jr.normal(0, 1), jr.lognormal(0, 1), jr.exponential(1))]
        jax.config.update("jax_enable_x64", True)
        f64 = [d.sample(key, 1000) for d in (jr.normal(0, 1), jr.lognormal(0, 1), jr.exponential(1))]
    finally:
        jax.config.update("jax_enable_x64", old)
    for a, b in zip(f32, f64):
        np.testing.assert_array_equal(a, b.astype(np.float32).astype(np.float64))
        assert not np.array_equal(b, b.astype(np.float32))  # float64's draws keep their precision


def test_other_key_implementations_draw_through_jax():
    key = jax.random.key(5, impl="rbg")
    x = jr.normal(0.0, 1.0).sample(key, 20_000)
    assert abs(x.mean()) < 5 / np.sqrt(20_000) and abs(x.std() - 1) < 0.05
    np.testing.assert_array_equal(jr.uniform(0.0, 1.0).sample(key, 10),
                                  np.asarray(jax.random.uniform(key, (10,), minval=0.0, maxval=1.0)))


def _redraw_by_whole_rounds(p, ctx, key):
    """math.redraw as defined: round r replaces the values still outside by those at the same positions of the
    operand's whole draw from fold_in(fold_in(key, 7), r)."""
    fold = jax.random.fold_in
    out = np.array(np.broadcast_to(p.operand._eval(ctx, key), (ctx.n,)), np.float64)
    for rnd in range(1, 1000):
        bad = (out < p.min) | (out > p.max)
        if not bad.any():
            return out
        out[bad] = np.broadcast_to(p.operand._eval(ctx, fold(fold(key, 7), rnd)), (ctx.n,))[bad]
    raise AssertionError("no convergence")


@pytest.mark.parametrize("impl", ["threefry2x32", "rbg"])
def test_redraw_rounds_compute_only_what_they_replace(impl):
    """A round evaluates its operand at the positions it replaces only (Context.subset), with the values a whole
    draw has there: random leaves of every kind, arithmetic, nested redraws and spatial leaves."""
    from jaxsnn.spatial.parameters import PairContext, distance

    key = jax.random.key(5, impl=impl)
    n = 3 * jr.BLOCK // 2 if impl == "threefry2x32" else 5000
    rng = np.random.default_rng(1)
    src, tgt = 0.2 * rng.random((n, 2)), 0.2 * rng.random((n, 2))  # distances below 0.3
    ctx = PairContext(n, key, np.arange(n), np.arange(n) + 1, None, "test", src, tgt, np.array([1.0, 1.0]),
                      np.array([False, False]))
    for p in [jmath.redraw(jr.normal(1.5, 0.75), 0.1, 2.0), jmath.redraw(jr.uniform(0.0, 1.0), 0.2, 0.3),
              jmath.redraw(-4.0 * jr.normal(1.0, 1.0) + jr.uniform_int(5), -3.0, 0.0),
              jmath.redraw(jmath.redraw(jr.normal(0.0, 1.0), -1.0, 1.0) + jr.lognormal(0.0, 1.0), 0.5, 1.5),
              jmath.redraw(jr.exponential(0.2) + distance, 0.0, 0.5)]:
        got = p.evaluate(ctx)
        np.testing.assert_array_equal(got, _redraw_by_whole_rounds(p, ctx, key), err_msg=repr(p))
        assert np.all((got >= p.min) & (got <= p.max))
