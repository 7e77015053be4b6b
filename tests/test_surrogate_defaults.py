"""Each spiking model's default surrogate gives gradients that agree with finite differences on a
recurrent E/I network (docs/gradients.md, "Defaults per model"): d(mean rate)/dθ for θ = I_e, V_th,
tau_m and a common weight factor J, AD of the differentiable build against central differences of the
event-driven build with common random numbers over 8 seeds; the seed mean has FD's sign and lies
within a factor 2 of it, and the sign is right on at least 75 % of single seeds."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsnn
from jaxsnn.testing import surrogate_check
from jaxsnn.testing.surrogate_check import ei_network, ei_rate_fn

HALF_STEPS = np.array(list(surrogate_check.HALF_STEPS.values()))  # I_e (pA), V_th (mV), tau_m (ms), J (relative)


@pytest.mark.slow  # a differentiable and an event-driven E/I network over 8 seeds (minutes)
@pytest.mark.parametrize("model", ["iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha"])
def test_default_gradients_agree_with_finite_differences_on_ei_networks(x64, model):
    net = ei_network(model)
    keys = jax.vmap(jaxsnn.simulation_key)(jnp.arange(1, 9))
    ev = net.build(slice_capacity=1000)
    f = jax.jit(jax.vmap(jax.vmap(ei_rate_fn(ev), in_axes=(None, 0)), in_axes=(0, None)))
    steps = np.diag(HALF_STEPS)
    r = np.asarray(f(jnp.asarray(np.concatenate([steps, -steps])), keys))
    fd = (r[:4] - r[4:]) / (2 * HALF_STEPS[:, None])  # [parameter, seed]
    sim = net.build(differentiable=True, slice_capacity=1000)  # the model's default surrogate and reset
    ad = np.asarray(jax.jit(jax.vmap(jax.grad(ei_rate_fn(sim)), in_axes=(None, 0)))(jnp.zeros(4), keys)).T
    for k, name in enumerate(("I_e", "V_th", "tau_m", "J")):
        ratio = ad[k].mean() / fd[k].mean()
        signs = np.mean(np.sign(ad[k]) == np.sign(fd[k].mean()))
        assert 0.5 <= ratio <= 2.0 and signs >= 0.75, (name, ratio, signs)


def declared_defaults():
    """{model: (name, β, detach_reset)} of every registered model that declares a default surrogate."""
    from jaxsnn.models import NEURONS

    return {name: m.default_surrogate for name, m in NEURONS.items() if m.default_surrogate is not None}


def test_docs_table_of_defaults_is_the_models_declarations():
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "gradients.md").read_text()
    head = "| model | surrogate | β (1/mV) | reset |\n|---|---|---|---|\n"
    assert head in text
    rows = text.split(head, 1)[1].split("\n\n", 1)[0].strip().splitlines()
    table = {}
    for row in rows:
        model, name, beta, reset = (c.strip() for c in row.strip("|").split("|"))
        assert reset in ("detached", "through spike"), row
        table[model] = (name, float(beta), reset == "detached")
    assert table == declared_defaults()
    assert set(table) >= {"iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha"}


@pytest.mark.parametrize("models", [["iaf_psc_delta"], ["iaf_psc_exp"], ["iaf_psc_alpha"],
                                    ["iaf_psc_delta", "iaf_psc_exp", "leaky_integrator"], ["leaky_integrator"]])
def test_the_differentiable_build_uses_the_models_defaults(models):
    net = jaxsnn.Network()
    for m in models:
        net.create(m, 2)
    spec = net.build(differentiable=True).spec
    own = [d for m, d in declared_defaults().items() if m in models]
    if own:  # several models: the largest β, detached if any model detaches
        want = (max(own, key=lambda d: d[1])[:2], any(d[2] for d in own))
    else:  # no spiking model declares one: the plain default, reset through the spike
        want = (jaxsnn.core.surrogate.DEFAULT, False)
    assert (spec.autodiff.surrogate, spec.autodiff.detach_reset) == want
    assert net.build(differentiable=True, surrogate=("arctan", 7.0), detach_reset=False).spec.autodiff.surrogate == ("arctan", 7.0)
