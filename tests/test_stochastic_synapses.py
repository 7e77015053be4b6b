"""bernoulli_synapse and quantal_stp_synapse against NEST 3.10's statistics: the transmitted weight per
presynaptic spike, averaged over 100 connections and 10 seeds, within 4.5 standard errors, from the rules
(jaxsnn.core.stp) and from networks; in networks split runs, checkpoints and device counts give the same bits."""
import inspect
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jaxsnn
from jaxsnn.core import stp
from jaxsnn.core.engine import simulation_key
from jaxsnn.errors import JaxsnnError

from .conftest import CASES, ROOT, cpu_devices, whole_parts_resumed


def transmitted(case, seed):
    """Weights sent [connections, spikes] (0: not sent) by the case's connections for ``seed``."""
    p, w = case["syn_params"], case["weight"]
    h = case["resolution"]
    steps = np.round(np.asarray(case["pre_spike_times"]) / h).astype(np.int64) - 1  # the stamp's step
    times = 0.001 * ((steps + 1) * round(h * 1000))
    key, syn = simulation_key(seed), np.arange(case["n_conn"])
    if case["synapse"] == "bernoulli_synapse":
        sent = np.stack([np.asarray(stp.bernoulli(key, s, syn, p["p_transmit"])) for s in steps], axis=1)
        return np.where(sent, w, 0.0)
    n = p["n"]
    a, u = np.full(len(syn), p["a"]), np.full(len(syn), p["u"], float)
    out, t_last = [], -1.0
    for s, t in zip(steps, times):
        a, u, r = stp.quantal_stp(key, np.full(len(syn), s), syn, a, u, t - t_last, p["U"], n, p["tau_rec"],
                                  p["tau_fac"], t_last >= 0.0, n)
        out.append(np.asarray(r) * w)
        t_last = t
    return np.stack(out, axis=1)


def in_network(case, seed):
    """Weights sent [connections, spikes] (0: not sent) by the case's network (a spike_generator, a parrot, its
    connections of the case's model onto parrots' receptor 1), as NEST's case was made, simulated by jaxsnn."""
    net = jaxsnn.Network(resolution=case["resolution"])
    sg = net.create("spike_generator", params={"spike_times": case["pre_input_times"]})
    pre = net.create("parrot_neuron")
    post = net.create("parrot_neuron", case["n_conn"])
    wr = net.create("weight_recorder")
    net.copy_model(case["synapse"], "stochastic", {"weight_recorder": wr})
    net.connect(sg, pre, syn_spec={"delay": 1.0})
    net.connect(pre, post, "all_to_all", {**case["syn_params"], "synapse_model": "stochastic",
                                          "weight": case["weight"], "receptor_type": 1})
    ev = jaxsnn.simulate(net.build(seed=seed), case["t_sim"]).events(wr)
    k = np.searchsorted(np.round(case["pre_spike_times"], 6), np.round(ev.times.to_numpy(), 6))
    W = np.zeros((case["n_conn"], len(case["pre_spike_times"])))
    W[ev.targets.to_numpy() - post.tolist()[0], k] = ev.weights.to_numpy()
    return W


@pytest.mark.parametrize("name", ["syn_bernoulli_stats", "syn_quantal_stp_stats"])
@pytest.mark.parametrize("how", ["rule", "network"])
def test_transmitted_weights_are_nests(name, how, x64):
    case = json.loads((CASES / f"{name}.json").read_text())
    exp = case["expected"]
    draw = transmitted if how == "rule" else in_network
    W = np.array([draw(case, seed) for seed in case["seeds"]])  # [seeds, conn, spikes]
    if how == "network":  # a spike not sent leaves no event: the weights sent are the rule's values
        assert set(np.unique(W)) <= ({0.0, case["weight"]} if "bernoulli" in name else
                                     {case["weight"] * r for r in range(case["syn_params"]["n"] + 1)})
    count = W.shape[0] * W.shape[1]
    mean = W.mean(axis=(0, 1))
    se = np.sqrt((W.var(axis=(0, 1)) + np.asarray(exp["var_weight"])) / count)
    assert np.all(np.abs(mean - exp["mean_weight"]) <= 4.5 * se + 1e-12), (mean, exp["mean_weight"])
    np.testing.assert_allclose(W.var(axis=(0, 1)), exp["var_weight"], rtol=0.25)
    ours, nest = W.mean(axis=(1, 2)), np.asarray(exp["per_seed_mean"])  # pooled over spikes: tighter
    bound = 4.5 * np.hypot(ours.std(ddof=1), nest.std(ddof=1)) / np.sqrt(len(ours))
    assert abs(ours.mean() - nest.mean()) <= bound, (ours.mean(), nest.mean(), bound)


def _stochastic_network(model):
    """iaf_psc_exp neurons recurrently connected by ``model`` (per-connection parameters drawn), Poisson drive."""
    net = jaxsnn.Network(seed=3)
    e = net.create("iaf_psc_exp", 40, params={"V_m": jaxsnn.random.uniform(-70.0, -55.0)})
    pg = net.create("poisson_generator", params={"rate": 20000.0})
    sr = net.create("spike_recorder")
    wr = net.create("weight_recorder")
    net.copy_model(model, "stoch", {"weight_recorder": wr})
    per_conn = ({"p_transmit": jaxsnn.random.uniform(0.2, 0.8)} if model == "bernoulli_synapse" else
                {"n": 4, "a": 3, "U": jaxsnn.random.uniform(0.2, 0.6), "tau_fac": 30.0, "tau_rec": 150.0})
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": 6},
                {"synapse_model": "stoch", "weight": 40.0, "delay": 1.5, **per_conn})
    net.connect(pg, e, syn_spec={"weight": 15.0})
    net.connect(e, sr)
    return net, sr, wr


MODELS = ("bernoulli_synapse", "quantal_stp_synapse")


# fast: quantal_stp_synapse (its draws and its a, u state); bernoulli_synapse in the full suite
@pytest.mark.parametrize("model", [pytest.param(MODELS[0], marks=pytest.mark.slow), MODELS[1]])
def test_split_runs_and_checkpoint_are_bit_identical(tmp_path, x64, model):
    net, sr, wr = _stochastic_network(model)
    whole, parts, resumed = whole_parts_resumed(net, 120.0, 47.3, 61.0, tmp_path)
    spikes, sent = len(whole.events(sr)), len(whole.events(wr))
    assert spikes > 50 and 0 < sent < 6 * spikes  # some spikes were not sent
    other_seed = jaxsnn.simulate(net.build(seed=4), 120.0)
    assert not whole.events(wr).equals(other_seed.events(wr))  # the draws follow the seed
    for other in (parts, resumed):
        assert whole.events(sr).equals(other.events(sr))
        assert whole.events(wr).equals(other.events(wr))
        if model == "quantal_stp_synapse":
            for k in ("a", "u"):
                np.testing.assert_array_equal(whole.connections("stoch")[k].to_numpy(),
                                              other.connections("stoch")[k].to_numpy(), err_msg=k)


@pytest.mark.slow
def test_over_devices_is_bit_identical():
    """Each model's network on 1 and on 3 CPU devices: the same spikes, events sent and state."""
    script = "MODELS = " + repr(MODELS) + "\n" + textwrap.dedent(inspect.getsource(_stochastic_network)) + \
        textwrap.dedent("""
        import jax, numpy as np
        import jaxsnn
        for model in MODELS:
            net, sr, wr = _stochastic_network(model)
            a = jaxsnn.simulate(net.build(devices=1), 80.0)
            b = jaxsnn.simulate(net.build(), 80.0)
            assert len(jax.devices()) == 3 and b._plan and len(b._plan[-1].devices) == 3
            assert a.events(sr).equals(b.events(sr)) and a.events(wr).equals(b.events(wr)), model
            ca, cb = a.connections("stoch"), b.connections("stoch")
            for k in ("source", "target", "weight") + tuple(k for k in ("a", "u") if k in ca):
                np.testing.assert_array_equal(ca[k].to_numpy(), cb[k].to_numpy(), err_msg=model + " " + k)
            assert len(a.events(sr)) > 30
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                       env=cpu_devices(3, JAX_ENABLE_X64="True", PYTHONPATH=str(ROOT)))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


@pytest.mark.parametrize("model,spec,words", [
    ("bernoulli_synapse", {"p_transmit": 1.5}, r"p_transmit=1.5: Spike transmission probability must be in \[0, 1\]"),
    ("quantal_stp_synapse", {"U": 1.5}, r"'U' must be in \[0,1\]"),
    ("quantal_stp_synapse", {"tau_rec": 0.0}, "'tau_rec' must be > 0"),
    ("quantal_stp_synapse", {"n": 2.5}, "whole number"),
    ("quantal_stp_synapse", {"n": 2, "a": 3}, "a=3.0 > n=2.0"),
])
def test_nest_checks(model, spec, words):
    net = jaxsnn.Network()
    a = net.create("parrot_neuron", 2)
    with pytest.raises(JaxsnnError, match=words):
        net.connect(a[0], a[1], syn_spec={"synapse_model": model, **spec})


@pytest.mark.parametrize("model,params", [("quantal_stp_synapse", {"n": 4, "a": 4, "U": 0.4, "u": 0.4}),
                                          # fast: quantal_stp_synapse; bernoulli_synapse (its stream: the same
                                          # code) and tsodyks2_synapse in the full suite
                                          pytest.param("bernoulli_synapse", {"p_transmit": 0.4},
                                                       marks=pytest.mark.slow),
                                          pytest.param("tsodyks2_synapse", {"U": 0.3, "u": 0.3, "tau_fac": 50.0},
                                                       marks=pytest.mark.slow)])
def test_connect_after_simulate_keeps_state_and_streams(model, params):
    """jaxsnn.nest rebuilds when a Connect follows a Simulate: the old connections keep their short-term state
    and their random streams (the same transmitted weights as without the new connections), and the new
    connections draw from ids that no connection had before."""
    import jaxsnn.nest as nest
    from jaxsnn.nest.kernel import KERNEL

    def run(extra):
        nest.ResetKernel()
        nest.rng_seed = 12
        g = nest.Create("spike_generator", params={"spike_times": [float(t) for t in range(2, 80, 3)]})
        pre, post, other = nest.Create("parrot_neuron"), nest.Create("parrot_neuron", 20), nest.Create("parrot_neuron")
        wr = nest.Create("weight_recorder")
        nest.CopyModel(model, "syn", {"weight_recorder": wr})
        nest.Connect(g, pre)
        nest.Connect(g, other)
        nest.Connect(pre, post, syn_spec={"synapse_model": "syn", "receptor_type": 1, "weight": 2.0, **params})
        nest.Simulate(30.0)
        if extra:
            nest.Connect(other, post, syn_spec={"synapse_model": "syn", "receptor_type": 1, "weight": 2.0, **params})
            nest.Connect(pre, other, syn_spec={"synapse_model": "syn", "receptor_type": 1, "weight": 2.0, **params})
        nest.Simulate(50.0)
        ev = {k: np.asarray(v) for k, v in wr.get("events").items()}
        mine = (ev["senders"] == pre.tolist()[0]) & np.isin(ev["targets"], post.tolist())
        old = np.stack([ev[k][mine] for k in ("times", "targets", "weights")])
        state = {k: v for k, v in nest.GetConnections(pre, post).get().items() if k in ("x", "u", "a", "weight")}
        sid = np.asarray(KERNEL.sim.state.synapses.stp["sid"]) if model != "tsodyks2_synapse" else None
        return old, state, sid, ev["times"]

    a_old, a_state, _, _ = run(False)
    b_old, b_state, sid, b_all = run(True)
    assert a_old.shape[1] > 50
    np.testing.assert_array_equal(a_old, b_old)
    assert a_state == b_state
    if sid is not None:
        assert len(np.unique(sid)) == len(sid) == 41
        assert len(b_all) > a_old.shape[1]  # the new connections transmit too
