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
    assert sim.spec.models.neuron_models[0].consistent is None
    ev = jaxsnn.simulate(sim, cases[0]["t_sim"]).events(mm)
    for node, case in zip(nodes, cases):
        mine = ev[(ev.senders == node.ids[0]) & (ev.times <= case["t_sim"] - 1.0 + 1e-9)]
        for q in ("V_m", "U_m"):
            np.testing.assert_array_equal(mine[q].to_numpy(), case["expected"][q], err_msg=q)


# Replays of NEST's per-synapse rules for single-synapse cases, keyed by the cases' model names (testing
# code beside the models, not code that runs a network)
# nest/connection_info.py: NEST 3.10's table of synapse model ids and sizes, keyed by NEST's names (data that
# reports what NEST reports, not logic that decides by a name)
NAMES_ALLOWED_IN = ("testing/synapse_replay.py", "nest/connection_info.py")


def _model_names_deciding(tree) -> list:
    """String constants equal to a model's name that logic compares with or looks up by: operands of a
    comparison (also inside a tuple, list or set there) and dict keys."""
    import ast

    names = set(models.NEURONS) | set(models.SYNAPSES) | set(models.SYNAPSE_ALIASES) | set(models.GENERATORS) \
        | set(models.RECORDERS) | {a for r in models.RECORDERS.values() for a in r.aliases}
    found = []
    for node in ast.walk(tree):
        operands = [node.left, *node.comparators] if isinstance(node, ast.Compare) else \
            [k for k in node.keys if k is not None] if isinstance(node, ast.Dict) else []
        for op in operands:
            for c in ([op] if not isinstance(op, (ast.Tuple, ast.List, ast.Set)) else op.elts):
                if isinstance(c, ast.Constant) and c.value in names:
                    found.append((c.lineno, c.value))
    return found


def test_no_model_name_decides_anything_outside_the_models():
    """Build, core, runner, I/O, the PyNEST layer and the testing tools ask the registry and the model
    objects (kind, recordables, capabilities); only jaxsnn/models names models (docstrings and messages
    may name them: they are not compared with)."""
    import ast
    import pathlib

    root = pathlib.Path(models.__file__).parent.parent
    bad = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("models/") or rel in NAMES_ALLOWED_IN:
            continue
        bad += [f"{rel}:{line}: {name!r}" for line, name in _model_names_deciding(ast.parse(path.read_text()))]
    assert not bad, "\n".join(bad)


def _recorder_words_used(tree, words) -> list:
    """Identifiers (names, attributes, arguments, keywords, definitions) and string constants that contain a
    recorder model's name, alias or capacity name (docstrings and the messages of raise statements may
    name them: they decide nothing)."""
    import ast

    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    docstrings |= {id(c) for n in ast.walk(tree) if isinstance(n, ast.Raise) for c in ast.walk(n)}
    found = []
    for node in ast.walk(tree):
        texts = []
        if isinstance(node, ast.Name):
            texts = [node.id]
        elif isinstance(node, ast.Attribute):
            texts = [node.attr]
        elif isinstance(node, ast.arg):
            texts = [node.arg]
        elif isinstance(node, ast.keyword) and node.arg:
            texts = [node.arg]
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            texts = [node.name]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            texts = [node.value]
        found += [(getattr(node, "lineno", 0), w) for t in texts for w in words if w in t]
    return found


def test_no_recorder_is_known_to_the_engine_build_runner_or_io():
    """A recorder is one module and one registry line: core, build, run and io reach recorders through
    Spec.recorders and the Recorder contract only, never by a model's name or a field of its own."""
    import ast
    import pathlib

    words = {w for r in models.RECORDERS.values() for w in (r.name, *r.aliases, r.capacity_name)}
    root = pathlib.Path(models.__file__).parent.parent
    bad = []
    for folder in ("core", "build", "run", "io"):
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            bad += [f"{rel}:{line}: {w!r}" for line, w in _recorder_words_used(ast.parse(path.read_text()), words)]
    assert not bad, "\n".join(bad)
