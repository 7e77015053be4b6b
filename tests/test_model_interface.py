"""The model contract (jaxsnn.models.base): every registered neuron model's docstring holds the
parameter table generated from its declaration, and the registry is the only list of models."""
import pytest

from jaxsnn import models
from jaxsnn.build.registry import ModelRegistry
from jaxsnn.models.base import table


@pytest.mark.parametrize("name", ["iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha", "parrot_neuron", "izhikevich",
                                  "leaky_integrator", "iaf_cond_exp", "iaf_cond_alpha", "iaf_cond_beta",
                                  "aeif_cond_alpha", "aeif_cond_exp", "aeif_psc_alpha", "aeif_psc_exp", "aeif_psc_delta",
                                  "hh_psc_alpha", "hh_cond_exp_traub", "mat2_psc_exp",
                                  "iaf_psc_exp_multisynapse", "iaf_psc_alpha_multisynapse", "aeif_cond_alpha_multisynapse",
                                  "aeif_cond_beta_multisynapse"])
def test_docstring_holds_the_declared_parameter_table(name):
    model = models.NEURONS[name]
    module = __import__(model.__module__, fromlist=["_"])
    assert table(model) in module.__doc__


def test_the_registry_feeds_the_catalogue():
    reg = ModelRegistry()
    for name, model in models.NEURONS.items():
        assert reg.get(name, "neuron").defaults == model.defaults()


def test_izhikevich_with_both_numerics_in_one_network_is_exact_to_nest(x64):
    """Neurons of both consistent_integration settings side by side (the model computes both and
    selects per neuron): each equals NEST's own run bit for bit."""
    import json

    import numpy as np

    import jaxsnn

    from .conftest import CASES

    cases = [json.loads((CASES / f"izh_{k}_regular_spiking.json").read_text()) for k in ("consistent", "published")]
    net = jaxsnn.Network(resolution=0.1)
    nodes = [net.create("izhikevich", 1, params=c["params"]) for c in cases]
    mm = net.create("multimeter", params={"interval": 0.1, "record_from": ["V_m", "U_m"]})
    net.connect(mm, nodes[0] + nodes[1])
    sim = net.build()
    assert sim.spec.neuron_models[0].consistent is None
    ev = jaxsnn.simulate(sim, cases[0]["t_sim"]).events(mm)
    for node, case in zip(nodes, cases):
        mine = ev[(ev.senders == node.ids[0]) & (ev.times <= case["t_sim"] - 1.0 + 1e-9)]
        for q in ("V_m", "U_m"):
            np.testing.assert_array_equal(mine[q].to_numpy(), case["expected"][q], err_msg=q)
