"""Generators and recorders as modules (jaxsnn/models): the tables they declare are the ones the build
uses and their docstrings show; the runner's growth and set-between-runs follow their declarations."""
import re

import numpy as np
import pytest

import jaxsnn
from jaxsnn.build.registry import DEVICES, VECTOR_PARAMS, ModelRegistry
from jaxsnn.core.status import Overflow
from jaxsnn.models import GENERATORS, RECORDERS
from jaxsnn.run.simulation import _grown

DEVICE_MODELS = {**GENERATORS, **RECORDERS}


def _doc_table(model):
    """(name, default text) rows of the parameter table in the module docstring."""
    doc = __import__(model.__module__, fromlist=["_"]).__doc__
    blocks = re.findall(r"^(=+ +=+ +=+)\n(.*?)\n\1\n(.*?)\n\1$", doc, re.S | re.M)
    assert len(blocks) == 1, f"{model.name}: one parameter table in the docstring"
    return [re.split(r"\s{2,}", line.strip())[:2] for line in blocks[0][2].splitlines()]


def _shown(p):
    v = p.default
    if isinstance(v, bool) or v is None or isinstance(v, tuple):
        return str(v)
    text = "inf" if v == np.inf else f"{v:g}"
    return f"{text} {p.unit}".strip() if p.unit and p.unit != "" else text


@pytest.mark.parametrize("name", sorted(DEVICE_MODELS))
def test_docstring_table_is_the_declared_table(name):
    model = DEVICE_MODELS[name]
    rows = _doc_table(model)
    assert [r[0] for r in rows] == list(model.parameters)
    for (pname, shown), p in zip(rows, model.parameters.values()):
        assert shown == _shown(p) or isinstance(p.default, tuple) and shown.startswith("("), (name, pname, shown)


def test_the_build_takes_defaults_and_list_parameters_from_the_modules():
    for name, model in DEVICE_MODELS.items():
        assert DEVICES[name] == {k: p.default for k, p in model.parameters.items()}
        assert set(model.vector_params) <= set(VECTOR_PARAMS)
    reg = ModelRegistry()
    assert reg.get("voltmeter").base == "multimeter"  # an alias the multimeter module declares
    assert reg.get("voltmeter").defaults == DEVICES["multimeter"]


def test_growth_grows_exactly_the_recorders_whose_buffers_are_full():
    net = jaxsnn.Network()
    n = net.create("iaf_psc_delta", 2)
    net.connect(n, net.create("spike_recorder"))
    net.connect(net.create("multimeter"), n)
    net.copy_model("static_synapse", "recorded", {"weight_recorder": net.create("weight_recorder")})
    net.connect(n, n, syn_spec="recorded")
    spec = net.build().spec
    assert len(spec.models.recorders) == len(RECORDERS)
    for r in spec.models.recorders:
        buffers = {q.name: {"full": np.int32(q is r)} for q in spec.models.recorders}
        grown = {q.name: q.capacity for q in _grown(spec, Overflow.RECORDER, buffers).models.recorders}
        assert grown == {q.name: q.grown().capacity if q is r else q.capacity for q in spec.models.recorders}
        c = r.capacity
        assert r.grown().capacity == (tuple(2 * x for x in c) if isinstance(c, tuple) else 2 * c)
    with pytest.raises(jaxsnn.JaxsnnError, match="cannot continue"):
        _grown(spec, Overflow.REFRACTORY, {})


def test_set_between_runs_allows_exactly_the_settable_parameters():
    net = jaxsnn.Network()
    n = net.create("iaf_psc_exp", 1)
    gens = {name: net.create(name) for name, g in GENERATORS.items() if g.emits == "current"}
    for g in gens.values():
        net.connect(g, n)
    sim = net.build()
    for name, g in gens.items():
        model = GENERATORS[name]
        for pname in model.parameters:
            if pname in model.settable:
                continue
            with pytest.raises(jaxsnn.JaxsnnError, match="can change between runs"):
                sim.set(g, {pname: 1.0})
    sim.set(gens["dc_generator"], {"amplitude": 3.0})
    with pytest.raises(jaxsnn.JaxsnnError, match="reset together"):
        sim.set(gens["step_current_generator"], {"amplitude_times": [1.0]})


def test_currents_of_several_generator_models_add_in_node_id_order(x64):
    """NEST adds the currents onto a neuron in generator node id order, whatever their models: +1e16 pA and
    −1e16 pA (step_current generators, the lower ids) then 1 pA (a dc_generator) sum to exactly 1 pA; any
    other order loses the 1 pA. So the neuron is, bit for bit, a neuron driven by that dc_generator alone."""
    net = jaxsnn.Network()
    both = net.create("iaf_psc_delta", 2)
    big = [net.create("step_current_generator", params={"amplitude_times": [0.1], "amplitude_values": [a]})
           for a in (1e16, -1e16)]
    dc = net.create("dc_generator", params={"amplitude": 1.0})
    net.connect(dc, both)
    for g in big:
        net.connect(g, both[:1])
    sim = jaxsnn.simulate(net.build(), 50.0)
    v = sim.get(both, ["V_m"]).V_m.to_numpy()
    assert v[1] > -70.0 + 0.03  # 1 pA through R = tau_m / C_m = 0.04 GΩ, over 5 tau_m
    assert v[0] == v[1]
