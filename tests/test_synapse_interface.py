"""The synapse half of the model contract (jaxsnn.models.base.SynapseModel): each registered synapse
model's docstring holds its declared parameter table, the registry feeds the catalogue (the *_hpc names
included), and a plastic rule defined in this file runs in networks with no edit under ``jaxsnn/``."""
import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest

import jaxsnn
from jaxsnn import JaxsnnError, models
from jaxsnn.build.registry import ModelRegistry
from jaxsnn.models.base import CONNECTION, Param, PlasticityRule, SynapseModel, table

BUILT_IN = ["static_synapse", "static_synapse_hom_w", "stdp_synapse", "stdp_synapse_hom", "stdp_pl_synapse_hom",
            "tsodyks_synapse", "tsodyks_synapse_hom", "tsodyks2_synapse"]


@pytest.mark.parametrize("name", BUILT_IN)
def test_docstring_holds_the_declared_parameter_table(name):
    model = models.SYNAPSES[name]
    module = __import__(model.__module__, fromlist=["_"])
    assert table(model) in module.__doc__


def test_the_registry_feeds_the_catalogue():
    reg = ModelRegistry()
    for name, model in models.SYNAPSES.items():
        assert reg.get(name, "synapse").defaults == model.defaults()
        for alias in model.aliases:
            assert reg.get(alias, "synapse").base == name
    assert reg.get("stdp_pl_synapse_hom_hpc", "synapse").base == "stdp_pl_synapse_hom"


def test_register_synapse_refuses_what_is_not_a_synapse_model():
    with pytest.raises(JaxsnnError, match="not a SynapseModel subclass"):
        models.register_synapse(dict)
    with pytest.raises(JaxsnnError, match="'static_synapse' exists already"):
        models.register_synapse(type("Other", (SynapseModel,), {"name": "static_synapse", "parameters": {}}))


# --------------------------------------------------------------------------- a rule defined here
@dataclasses.dataclass(frozen=True)
class AdditiveRule(PlasticityRule):
    """Additive STDP bounded to [0, w_max]: w + λ K₊, w − α λ K₋."""

    columns = ("tau_plus", "lambda", "alpha", "w_max")

    def facilitate(self, w, k, p, mu_is_one=False):
        new = w + (self.column(p, "lambda") * k)
        return jnp.where(new < self.column(p, "w_max"), new, self.column(p, "w_max"))

    def depress(self, w, k, p, mu_is_one=False):
        new = w - (self.column(p, "alpha") * self.column(p, "lambda") * k)
        return jnp.where(new > 0.0, new, 0.0)


class ToyAdditiveSynapseHom(SynapseModel):
    name = "toy_additive_synapse_hom"
    parameters = {**CONNECTION, "Kplus": Param(0.0, "", "presynaptic trace", state=True),
                  "tau_plus": Param(20.0, "ms", "time constant of K+"), "lambda": Param(0.01, "", "step size"),
                  "alpha": Param(1.0, "", "asymmetry"), "w_max": Param(1.0, "", "upper bound")}
    common = ("tau_plus", "lambda", "alpha", "w_max")
    rule = AdditiveRule()


models.register_synapse(ToyAdditiveSynapseHom)


def _run(model, common):
    net = jaxsnn.Network(seed=3)
    e = net.create("iaf_psc_alpha", 30, params={"V_m": jaxsnn.random.uniform(-70.0, -55.0)})
    pg = net.create("poisson_generator", params={"rate": 15000.0})
    sr = net.create("spike_recorder")
    wr = net.create("weight_recorder")
    net.copy_model(model, "plastic", {**common, "weight_recorder": wr})
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": 6}, {"synapse_model": "plastic", "weight": 0.5,
                                                                  "delay": 1.5})
    net.connect(pg, e, syn_spec={"weight": 30.0})
    net.connect(e, sr)
    sim = jaxsnn.simulate(net.build(), 150.0)
    return sim.events(sr), sim.events(wr), sim.connections("plastic")


def test_a_rule_defined_in_a_test_runs_in_networks(x64):
    """Additive STDP with bounds [0, 1] is stdp_synapse_hom's rule at mu_plus = mu_minus = 0 and Wmax = 1
    (w / 1 = w, x**0 = 1): the same spikes, and the same transmitted and final weights up to the last bit
    (the compiler may fuse the toy's w + λK into one multiply-add)."""
    lam, alpha = 0.05, 1.2
    mine = _run("toy_additive_synapse_hom", {"lambda": lam, "alpha": alpha, "tau_plus": 15.0, "w_max": 1.0})
    nest = _run("stdp_synapse_hom", {"lambda": lam, "alpha": alpha, "tau_plus": 15.0, "Wmax": 1.0,
                                     "mu_plus": 0.0, "mu_minus": 0.0})
    assert len(mine[0]) > 50 and len(mine[1]) > 50
    assert np.any(mine[2].weight.to_numpy() != 0.5)  # the rule acted
    assert mine[0].equals(nest[0])
    close = dict(rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(mine[1].weights.to_numpy(), nest[1].weights.to_numpy(), **close)
    np.testing.assert_allclose(mine[2].weight.to_numpy(), nest[2].weight.to_numpy(), **close)
    np.testing.assert_array_equal(mine[2].Kplus.to_numpy(), nest[2].Kplus.to_numpy())
    assert list(mine[2].columns[-5:]) == ["tau_plus", "lambda", "alpha", "w_max", "Kplus"]


def test_common_properties_of_a_registered_model_are_refused_per_connection():
    net = jaxsnn.Network()
    a = net.create("iaf_psc_alpha", 2)
    with pytest.raises(JaxsnnError, match=r"\['w_max'\] are common properties of toy_additive_synapse_hom"):
        net.connect(a, a, syn_spec={"synapse_model": "toy_additive_synapse_hom", "w_max": 2.0})


def _pairs(rule_of):
    """A network whose plastic connections (explicit pairs) follow ``rule_of(k)`` = (model, lambda) for pair
    number k: (spikes, (source, target, final weight) rows in order)."""
    rng = np.random.default_rng(7)
    src, tgt = rng.integers(0, 30, 180), rng.integers(0, 30, 180)
    net = jaxsnn.Network(seed=3)
    e = net.create("iaf_psc_alpha", 30, params={"V_m": jaxsnn.random.uniform(-70.0, -55.0)})
    pg = net.create("poisson_generator", params={"rate": 15000.0})
    sr = net.create("spike_recorder")
    net.copy_model("toy_additive_synapse_hom", "toy", {"lambda": 0.05, "alpha": 1.2, "tau_plus": 15.0, "w_max": 1.0})
    net.copy_model("stdp_synapse", "stdp", {"alpha": 1.2, "tau_plus": 15.0, "Wmax": 1.0, "mu_plus": 0.0,
                                            "mu_minus": 0.0})
    rules = [rule_of(k) for k in range(len(src))]
    for model, lam in sorted(set(rules)):
        k = np.array([r == (model, lam) for r in rules])
        spec = {"synapse_model": model, "weight": 0.5, "delay": 1.5} | ({} if model == "toy" else {"lambda": lam})
        net.connect(e.ids[0] + src[k], e.ids[0] + tgt[k], "one_to_one", spec)
    net.connect(pg, e, syn_spec={"weight": 30.0})
    net.connect(e, sr)
    sim = jaxsnn.simulate(net.build(), 150.0)
    c = sim.connections()
    c = c[c.synapse_model.isin(["toy", "stdp"])].sort_values(["source", "target", "weight"])
    return sim.events(sr), c[["source", "target", "weight"]].to_numpy(float)


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_a_rule_defined_in_a_test_shares_a_network_with_nests_rules(x64):
    """The toy rule (λ = 0.05) on every other pair, stdp_synapse (λ = 0.02) on the rest: each synapse follows
    its own rule, so the network is the one where every pair is an stdp_synapse with the toy's arithmetic
    (mu = 0, Wmax = 1) and its pair's λ, spike for spike and weight for weight."""
    mixed = _pairs(lambda k: ("toy", 0.05) if k % 2 else ("stdp", 0.02))
    alone = _pairs(lambda k: ("stdp", 0.05) if k % 2 else ("stdp", 0.02))
    assert len(alone[0]) > 50 and np.any(alone[1][:, 2] != 0.5)  # the rule acted
    assert mixed[0].equals(alone[0])
    np.testing.assert_allclose(mixed[1], alone[1], rtol=1e-13, atol=1e-15)
