"""gif_psc_exp and gif_cond_exp: the stochastic spiking against NEST 3.10 in distribution.

Given the draws, the models are NEST's bit for bit (tests/test_gsl_models.py replays NEST's spikes and
runs a case where escape is certain). NEST draws from its own generator, so here the spike counts of many
independent neurons under constant input (tools/nest_gsl_models.py, kind "gif_rate") are compared with
ours, drawn from the model's own counter-based stream: the mean count within 4 standard errors, the
variance of the counts within a factor 1.6. The pieces the escape probability is made of (NEST's expm1
series) are checked bit for bit, the draws for uniformity and for their dependence on (stream, step) only.
"""
import json
import math
import os

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytestmark = pytest.mark.usefixtures("x64")  # float64 for each test, restored after it (not for the whole session)
import jax.numpy as jnp  # noqa: E402

from jaxsnn.models import _gif, gif_cond_exp, gif_psc_exp  # noqa: E402
from jaxsnn.models._propagators import nest_expm1  # noqa: E402

CASES = os.path.join(os.path.dirname(__file__), "reference", "nest_cases")
MODULES = {"gif_psc_exp": gif_psc_exp, "gif_cond_exp": gif_cond_exp}


def _counts(case):
    """Our spike count of each of the case's n neurons (draws from each neuron's own stream)."""
    mod = MODULES[case["model"]]
    n, h = case["n"], case["resolution"]
    tps = round(h * 1000)
    p = {k: v[0] for k, v in mod.PARAMETERS.items()}
    p.update(case["params"])
    host = {k: np.array([v] * n, float) for k, v in p.items()}
    K = {k: jnp.asarray(v) for k, v in mod.host_constants(host, tps).items()}
    P = {k: jnp.asarray(v) for k, v in host.items()}
    s = {k: jnp.asarray(v) for k, v in mod.to_state(dict(host, V_m=np.full(n, -70.0))).items()}
    s.update(r=jnp.zeros(n, jnp.int32), h_int=jnp.full(n, h), I_stim=jnp.zeros(n))
    z = jnp.zeros(n)

    def body(c, _):
        st, count = c
        st, spk = mod.update(P, K, st, z, z, z, h=h)
        return (st, count + spk), None

    (_, counts), _ = jax.jit(lambda c: jax.lax.scan(body, c, None, length=round(case["t_sim"] / h)))(
        (s, jnp.zeros(n, jnp.int32)))
    return np.asarray(counts)


@pytest.mark.parametrize("name", ["gif_psc_rate", "gif_cond_rate"])
def test_rate_matches_nest(name):
    with open(os.path.join(CASES, name + ".json")) as f:
        case = json.load(f)
    theirs = np.asarray(case["expected"]["counts"], float)
    ours = _counts(case).astype(float)
    n = case["n"]
    se = math.sqrt(theirs.var(ddof=1) / n + ours.var(ddof=1) / n)
    assert abs(ours.mean() - theirs.mean()) < 4 * se, (ours.mean(), theirs.mean(), se)
    assert 1 / 1.6 < ours.var(ddof=1) / theirs.var(ddof=1) < 1.6


def test_expm1_is_nests():
    rng = np.random.default_rng(5)
    x = np.concatenate([-rng.exponential(0.05, 5000), rng.uniform(-0.7, 0.7, 5000), rng.uniform(-60.0, 0.0, 2000),
                        [0.0, -1e-300, -math.log(2.0), -0.6931471805599454, -40.0]])
    nz = jnp.full(x.shape, -0.0)
    got = np.asarray(jax.jit(_gif.expm1)(jnp.asarray(x), nz))
    assert got.tolist() == [nest_expm1(float(v)) for v in x]


def test_draws_depend_on_stream_and_step_only():
    n = 20000
    s = {"rng_stream": jnp.arange(n, dtype=jnp.int32), "rng_step": jnp.full(n, 7, jnp.int32)}
    u = np.asarray(_gif.uniform(s))
    assert ((u >= 0) & (u < 1)).all() and len(np.unique(u)) == n
    assert abs(u.mean() - 0.5) < 4 * math.sqrt(1 / 12 / n) and abs(u.var() - 1 / 12) < 0.005
    # the same (stream, step) gives the same number, whatever else is drawn with it
    one = {"rng_stream": jnp.array([123], jnp.int32), "rng_step": jnp.array([7], jnp.int32)}
    assert float(_gif.uniform(one)[0]) == u[123]
    later = dict(s, rng_step=s["rng_step"] + 1)
    assert not np.array_equal(np.asarray(_gif.uniform(later)), u)


@pytest.mark.parametrize("change, message", [
    ({"tau_sfa": [[10.0, 20.0]]}, "'tau_sfa' and 'q_sfa' need to have the same dimensions"),
    ({"Delta_V": [0.0]}, "Delta_V must be strictly positive."),
    ({"lambda_0": [-1.0]}, "lambda_0 must not be negative."),
    ({"tau_stc": [[0.0]], "q_stc": [[1.0]]}, "All time constants must be strictly positive."),
])
def test_nests_checks(change, message):
    p = {k: np.asarray([v[0]]) for k, v in gif_psc_exp.PARAMETERS.items()}
    p.update({k: np.asarray(v) for k, v in change.items()})
    if "tau_sfa" in change:
        p["q_sfa"] = np.asarray([[1.0]])
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        gif_psc_exp.check(p)
