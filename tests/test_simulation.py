"""Simulation invariants and analytic results: split runs, Poisson input, capacities, recording."""
import math
import subprocess
import sys

import jax
import numpy as np
import pandas as pd
import pytest

import jaxsnn
from jaxsnn import JaxsnnError

from .conftest import cpu_devices
from .networks import outcome, small_network


def test_split_run_is_bit_identical_to_one_run():
    sim, sr, mm = small_network()
    whole = jaxsnn.simulate(sim, 200.0)
    parts = jaxsnn.simulate(jaxsnn.simulate(jaxsnn.simulate(sim, 33.3), 100.0), 66.7)
    for a, b in zip(outcome(whole, sr, mm), outcome(parts, sr, mm)):
        np.testing.assert_array_equal(a, b)
    assert len(whole.events(sr)) > 500  # the network is active, so the comparison means something
    assert not np.array_equal(sim.connections().weight, whole.connections().weight)  # and plastic


@pytest.mark.slow  # about 35 s: every capacity growth recompiles the loop
def test_capacities_grow_instead_of_dropping():
    big, sr, mm = small_network()
    tiny, _, _ = small_network(record_capacity=8, slice_capacity=2)
    a, b = jaxsnn.simulate(big, 100.0), jaxsnn.simulate(tiny, 100.0)
    for x, y in zip(outcome(a, sr, mm), outcome(b, sr, mm)):
        np.testing.assert_array_equal(x, y)
    capacity = {r.name: r.capacity for r in b.spec.models.recorders}
    assert min(capacity["spike_recorder"]) > 8 and b.spec.capacities.slice_capacity > 2


def test_seeds_change_the_input_only():
    s1, sr, mm = small_network(seed=1)
    a = jaxsnn.simulate(s1, 50.0)
    b = jaxsnn.simulate(s1, 50.0)
    c = jaxsnn.simulate(small_network(seed=1)[0].replace(state=s1.state.replace(
        key=jaxsnn.simulation_key(99))), 50.0)
    np.testing.assert_array_equal(a.events(sr).times, b.events(sr).times)
    assert not np.array_equal(a.events(sr).senders, c.events(sr).senders)


def poisson_counts(rate, t_sim, start=0.0, stop=math.inf, n=400, delay=1.0):
    net = jaxsnn.Network(seed=5)
    # a neuron that cannot spike and does not leak over one step: V_m jumps count the events
    nrn = net.create("iaf_psc_delta", n, params={"V_th": 1e9, "tau_m": 1e12, "C_m": 1.0})
    pg = net.create("poisson_generator", params={"rate": rate, "start": start, "stop": stop})
    net.connect(pg, nrn, syn_spec={"weight": 1.0, "delay": delay})
    mm = net.create("multimeter", params={"interval": 0.1})
    net.connect(mm, nrn)
    sim = jaxsnn.simulate(net.build(), t_sim)
    v = sim.events(mm).pivot(index="times", columns="senders", values="V_m").to_numpy()
    return np.diff(np.vstack([np.full(n, -70.0), v]), axis=0)  # events arriving per step and target


def test_poisson_counts_match_the_poisson_distribution():
    jumps = poisson_counts(800.0, 200.0)
    mu = 800.0 * 0.1e-3
    counts = np.rint(jumps[11:]).astype(int)  # steps 1.. reach V at >= 1.2 ms
    n = counts.size
    for k in range(3):
        p = math.exp(-mu) * mu ** k / math.factorial(k)
        assert abs((counts == k).sum() / n - p) < 5 * math.sqrt(p * (1 - p) / n)
    # independent trains per target: no two targets share the same train
    assert len({counts[:, j].tobytes() for j in range(counts.shape[1])}) == counts.shape[1]


def test_poisson_generator_window_and_never_in_step_zero():
    jumps = poisson_counts(50000.0, 20.0, start=5.0, stop=10.0)
    arrived = np.nonzero(np.abs(jumps).sum(axis=1) > 0.5)[0] + 1  # stamps (steps) where V jumped
    # active steps s satisfy start < s h <= stop; the count lands in slot s + d and shows in V at stamp s + d + 1
    assert arrived.min() == 51 + 10 + 1 and arrived.max() == 100 + 10 + 1
    early = poisson_counts(50000.0, 3.0, n=50)
    assert np.abs(early[:11]).max() < 0.5  # step 0 never fires: the first event shows at 1.2 ms


def test_subthreshold_response_is_the_analytic_solution(x64):
    net = jaxsnn.Network()
    n = net.create("iaf_psc_delta", 1, params={"I_e": 300.0, "tau_m": 10.0, "C_m": 250.0})
    mm = net.create("multimeter", params={"interval": 0.1})
    net.connect(mm, n)
    sim = jaxsnn.simulate(net.build(), 5.0)
    v = sim.events(mm)
    expected = -70.0 + 300.0 * 10.0 / 250.0 * (1 - np.exp(-v.times.to_numpy() / 10.0))
    np.testing.assert_allclose(v.V_m, expected, rtol=0, atol=1e-10)


def test_constant_current_interspike_interval(x64):
    I_e, tau, C, t_ref = 400.0, 10.0, 250.0, 2.0
    net = jaxsnn.Network()
    n = net.create("iaf_psc_delta", 1, params={"I_e": I_e})
    sr = net.create("spike_recorder")
    net.connect(n, sr)
    t = jaxsnn.simulate(net.build(), 300.0).events(sr).times.to_numpy()
    RI = I_e * tau / C
    isi = t_ref + tau * math.log(RI / (RI - 15.0))  # from V_reset = E_L to V_th = E_L + 15 mV
    # the threshold is tested on the grid: ISIs are the analytic value rounded up to a step (+ t_ref step)
    assert np.all(np.abs(np.diff(t) - isi) <= 0.1 + 1e-9)


def test_several_spike_recorders_each_get_exactly_their_neurons_spikes():
    """Recorders on overlapping subsets (filled at different speeds, sharing one buffer array) hold the
    spikes of a recorder on every neuron, filtered to their neurons, in the same order."""
    net = jaxsnn.Network(seed=3)
    n = net.create("iaf_psc_delta", 40, params={"I_e": 0.0})
    pg = net.create("poisson_generator", params={"rate": 20000.0})
    net.connect(pg, n, syn_spec={"weight": 1.2})
    everything = net.create("spike_recorder")
    net.connect(n, everything)
    subsets = [n[:5], n[3:30], n[35:]]
    parts = [net.create("spike_recorder") for _ in subsets]
    for sub, sr in zip(subsets, parts):
        net.connect(sub, sr)
    sim = jaxsnn.simulate(net.build(), 200.0)
    ref = sim.events(everything)
    assert len(ref) > 200
    for sub, sr in zip(subsets, parts):
        want = ref[ref.senders.isin(sub.ids)]
        got = sim.events(sr)
        np.testing.assert_array_equal(got.senders.to_numpy(), want.senders.to_numpy())
        np.testing.assert_array_equal(got.times.to_numpy(), want.times.to_numpy())


def test_long_delays_arrive_exactly():
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 1, params={"V_m": -50.0})  # fires in the first step
    b = net.create("iaf_psc_delta", 1)
    net.connect(a, b, syn_spec={"weight": 5.0, "delay": 100.0})
    mm = net.create("multimeter", params={"interval": 0.1})
    net.connect(mm, b)
    v = jaxsnn.simulate(net.build(), 101.0).events(mm)
    first = v.times[v.V_m > -69.0].iloc[0]
    assert abs(first - (0.1 + 100.0)) < 1e-9  # stamp 0.1 + d


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_ensemble_over_seeds_and_rates_in_one_call():
    sim, sr, mm = small_network()
    keys = jax.vmap(jaxsnn.simulation_key)(jax.numpy.arange(1, 5))
    states = jax.vmap(lambda k: sim.state.replace(key=k))(keys)
    run = jaxsnn.jit(jaxsnn.advance_ensemble, static_argnums=(3, 4, 5))
    out = run(sim.model, sim.params, states, 200, None, False)
    jaxsnn.check(out)
    v = np.asarray(out.neurons["iaf_psc_delta"]["V_rel"])
    assert v.shape == (4, 100) and len({row.tobytes() for row in v}) == 4 and (np.asarray(out.step) == 200).all()
    one = jaxsnn.jit(jaxsnn.advance)(sim.model, sim.params, sim.state.replace(key=keys[2]), 200)
    for a, b in zip(jax.tree_util.tree_leaves(one), jax.tree_util.tree_leaves(out)):  # each member: its own run
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b)[2])
    # batched (vmap), from one shared step: the same spikes; the last bits of the arithmetic may differ
    batched = run(sim.model, sim.params, states.replace(step=sim.state.step), 200, None, True)
    assert (np.asarray(batched.step) == 200).all()
    np.testing.assert_array_equal(np.asarray(batched.transit.spike_history), np.asarray(out.transit.spike_history))
    np.testing.assert_allclose(np.asarray(batched.neurons["iaf_psc_delta"]["V_rel"]), v, rtol=0, atol=1e-4)
    # over the input rate: members get different parameters, the same key
    rate = sim.params.generators["poisson_generator"]["rate"]
    rates = rate[None] * jax.numpy.array([[0.5], [1.0]], rate.dtype)
    params = sim.params.with_generator("poisson_generator", rate=rates)
    axes = jax.tree_util.tree_map(lambda _: None, sim.params)
    axes = axes.with_generator("poisson_generator", rate=0)
    states = jax.tree_util.tree_map(lambda x: np.stack([x, x]), sim.state).replace(step=sim.state.step)
    out = run(sim.model, params, states, 200, axes, False)
    ref = jaxsnn.jit(jaxsnn.advance)(sim.model, sim.params, sim.state, 200)
    np.testing.assert_array_equal(np.asarray(out.neurons["iaf_psc_delta"]["V_rel"])[1], np.asarray(ref.neurons["iaf_psc_delta"]["V_rel"]))
    assert not np.array_equal(np.asarray(out.neurons["iaf_psc_delta"]["V_rel"])[0], np.asarray(ref.neurons["iaf_psc_delta"]["V_rel"]))
    with pytest.raises(JaxsnnError, match="params_axes.*1"):
        jaxsnn.advance_ensemble(sim.model, params, states, 200, axes.with_generator("poisson_generator", rate=1))


ENSEMBLE_ON_DEVICES = """
import jax, numpy as np
import jaxsnn
from jaxsnn.testing.ei_network import EINetwork
sim = EINetwork(scale=0.1).build()
keys = jax.vmap(jaxsnn.simulation_key)(jax.numpy.arange(1, 5))
states = jax.vmap(lambda k: sim.state.replace(key=k))(keys)
out = jaxsnn.jit(lambda st: jaxsnn.advance_ensemble(sim.model, sim.params, st, 300))(states)
jaxsnn.check(out)
assert len(jax.devices()) == 2 and len(out.neurons["iaf_psc_delta"]["V_rel"].sharding.device_set) == 2
for m in range(4):
    one = jaxsnn.jit(jaxsnn.advance)(sim.model, sim.params, sim.state.replace(key=keys[m]), 300)
    for a, b in zip(jax.tree_util.tree_leaves(one), jax.tree_util.tree_leaves(out)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b)[m])
print("ok")
"""


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability
def test_ensemble_members_spread_over_devices_are_their_own_runs():
    r = subprocess.run([sys.executable, "-c", ENSEMBLE_ON_DEVICES], capture_output=True, text=True, env=cpu_devices(2))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-2000:]


def test_static_synapse_onto_a_plastic_target_is_never_changed(x64):
    """A static synapse whose target spiked one delay before the source, in the same slice as the source's
    spike, keeps its weight even above the plastic model's W_max (only plastic synapses are facilitated)."""
    net = jaxsnn.Network()
    net.copy_model("stdp_synapse_hom", "plastic", {"Wmax": 2.0})
    a, b, c = (net.create("iaf_psc_delta", 1) for _ in range(3))
    net.connect(a, b, syn_spec={"synapse_model": "plastic", "weight": 1.0})  # b archives its spikes
    net.connect(c, b, syn_spec={"weight": 5.0})  # static, 1 ms delay
    for target, t in ((b, 4.3), (c, 5.6)):  # b spikes at 5.3 ms (step 52), c at 6.6 ms (step 65)
        g = net.create("spike_generator", params={"spike_times": [t], "spike_weights": [100.0]})
        net.connect(g, target, syn_spec={"weight": 1.0})
    sr = net.create("spike_recorder")
    net.connect(b + c, sr)
    sim = jaxsnn.simulate(net.build(), 20.0)
    assert np.round(sim.events(sr).times, 6).tolist() == [5.3, 6.6]
    static = sim.connections("static_synapse", devices=False)
    assert static.weight.tolist() == [5.0]


def _driven(net, times, h):
    """A neuron that spikes exactly at ``times`` (ms)."""
    n = net.create("iaf_psc_delta", 1, params={"t_ref": 0.0, "V_th": 1e9, "V_reset": -70.0})
    g = net.create("spike_generator", params={"spike_times": [round(t - h, 10) for t in times],
                                              "spike_weights": [1e12] * len(times)})
    net.connect(g, n, syn_spec={"weight": 1.0, "delay": h})
    return n


def _stdp_weights(synapses, h=0.1):
    """Final weights of stdp_synapse connections from one driven source to driven targets."""
    net = jaxsnn.Network(resolution=h)
    pre = _driven(net, [10.0, 30.0, 32.0, 50.0, 80.0], h)
    for post_times, params in synapses:
        net.connect(pre, _driven(net, post_times, h), "one_to_one",
                    {"synapse_model": "stdp_synapse", "weight": 1.0, "delay": 1.0, **params})
    sim = jaxsnn.simulate(net.build(), 100.0)
    return sim.connections("stdp_synapse").weight.to_numpy(), sim


def test_kplus_traces_are_shared_exactly_by_synapses_that_see_the_same_spikes(x64):
    """Synapses of one source share a K+ trace only when tau_plus and the initial K+ agree; each ends with
    the weight it reaches when simulated alone (up to XLA's use of fused multiply-adds, which may differ
    between differently shaped programs in the last bit)."""
    # four post spikes each: the four networks of one synapse have the same shapes, one compiled program
    synapses = [([12.0, 29.0, 45.0, 85.0], {"tau_plus": 10.0}),
                ([15.0, 31.0, 33.0, 70.0], {"tau_plus": 20.0}),
                ([20.0, 40.0, 60.0, 81.0], {"tau_plus": 20.0, "Kplus": 0.5}),
                ([11.0, 35.0, 51.0, 66.0], {"tau_plus": 20.0})]  # shares the second one's trace
    together, sim = _stdp_weights(synapses)
    alone = [_stdp_weights([s])[0][0] for s in synapses]
    np.testing.assert_allclose(together, alone, rtol=1e-14)
    assert np.asarray(sim.state.plasticity.pre.Kplus).shape == (3,) and len(set(together.tolist())) == 4


def test_connection_filters_select_the_rows_of_the_whole_table():
    net = jaxsnn.Network()
    a = net.create("iaf_psc_delta", 6)
    b = net.create("iaf_psc_delta", 4)
    pg = net.create("poisson_generator", params={"rate": 10.0})
    net.connect(a, a + b, {"rule": "fixed_indegree", "indegree": 3}, {"weight": 1.0})
    net.connect(b, a, "all_to_all", {"synapse_model": "stdp_synapse", "weight": 2.0})
    net.connect(pg, a)
    sim = net.build()
    whole = sim.connections(devices=False)
    assert len(whole) == 10 * 3 + 4 * 6 and whole.index.equals(pd.RangeIndex(len(whole)))
    assert len(sim.connections()) == len(whole) + 6  # NEST counts the generator's connections too
    cases = [({"synapse_model": "stdp_synapse"}, whole.synapse_model == "stdp_synapse"),
             ({"source": b}, whole.source.isin(b.ids)),
             ({"target": [2, 5]}, whole.target.isin([2, 5])),
             ({"source": a, "target": a[:2], "synapse_model": "static_synapse"},
              whole.source.isin(a.ids) & whole.target.isin(a.ids[:2]) & (whole.synapse_model == "static_synapse"))]
    for kw, expected in cases:
        got = sim.connections(**kw, devices=False)
        assert 0 < len(got) < len(whole)
        pd.testing.assert_frame_equal(got, whole[np.asarray(expected)].reset_index(drop=True), check_index_type=False)
    none = sim.connections(target=[], devices=False)
    assert len(none) == 0 and list(none.columns) == list(whole.columns)
    with pytest.raises(JaxsnnError, match="target=10000.*node ids"):
        sim.connections(target=[2, 10_000])
    with pytest.raises(JaxsnnError, match="source.*node ids"):
        sim.connections(source=[1.5])


def test_connections_list_device_connections_and_stdp_parameters_as_nest_does(x64):
    # NEST 3.10's GetConnections for this script (2 neurons, spike_recorder, multimeter, poisson and spike
    # generators, stdp_synapse one_to_one): source, target, weight, delay, synapse_model per row
    nest = {(1, 3, 1.0, 1.0, "static_synapse"), (2, 3, 1.0, 1.0, "static_synapse"),
            (4, 1, 1.0, 1.0, "static_synapse"), (4, 2, 1.0, 1.0, "static_synapse"),
            (5, 1, 2.0, 1.5, "static_synapse"), (5, 2, 2.0, 1.5, "static_synapse"),
            (6, 1, 1.0, 1.0, "static_synapse"), (6, 2, 1.0, 1.0, "static_synapse"),
            (1, 1, 3.0, 1.0, "pl"), (2, 2, 3.0, 1.0, "pl")}
    net = jaxsnn.Network()
    n = net.create("iaf_psc_delta", 2)
    sr, mm = net.create("spike_recorder"), net.create("multimeter")
    pg, sg = net.create("poisson_generator", params={"rate": 10.0}), net.create("spike_generator")
    net.connect(n, sr)
    net.connect(mm, n)
    net.connect(pg, n, syn_spec={"weight": 2.0, "delay": 1.5})
    net.connect(sg, n)
    net.copy_model("stdp_synapse", "pl")
    net.connect(n, n, "one_to_one", {"synapse_model": "pl", "weight": 3.0,
                                     "tau_plus": jaxsnn.random.uniform(10.0, 30.0)})
    c = net.build().connections()
    got = {(r.source, r.target, r.weight, r.delay, r.synapse_model) for r in c.itertuples()}
    assert got == nest and len(c) == len(nest)
    pl = c[c.synapse_model == "pl"]
    # NEST's defaults for the rest, and the drawn tau_plus per connection
    assert (pl.alpha == 1.0).all() and (pl["lambda"] == 0.01).all() and (pl.Wmax == 100.0).all()
    assert (pl.Kplus == 0.0).all() and pl.tau_plus.between(10.0, 30.0).all() and pl.tau_plus.nunique() == 2
    assert c[c.synapse_model == "static_synapse"].tau_plus.isna().all()


def test_spike_recorders_sized_by_their_own_neurons():
    """Each spike_recorder's segment of the buffers is sized by the neurons it records (100 Hz through a
    chunk, at least 16,384 entries), and what each records is the part of the spikes of its neurons."""
    net = jaxsnn.Network(seed=3)
    n = net.create("iaf_psc_delta", 60, params={"V_m": jaxsnn.random.uniform(-70.0, -55.0)})
    pg = net.create("poisson_generator", params={"rate": 20000.0})
    net.connect(pg, n, syn_spec={"weight": 1.0})
    few, many, every = (net.create("spike_recorder") for _ in range(3))
    net.connect(n[:2], few)
    net.connect(n[2:], many)
    net.connect(n, every)
    sim = net.build(chunk_steps=100_000)  # 10 s chunks: 100 Hz is 1,000 spikes per neuron
    assert next(r for r in sim.spec.models.recorders if r.name == "spike_recorder").capacity == (16384, 58000, 60000)
    sim = jaxsnn.simulate(sim, 100.0)
    ev = {k: sim.events(r) for k, r in (("few", few), ("many", many), ("every", every))}
    assert len(ev["few"]) > 0 and len(ev["many"]) > 100
    for k, nodes in (("few", n[:2]), ("many", n[2:])):
        mine = ev["every"][ev["every"].senders.isin(nodes.tolist())].reset_index(drop=True)
        assert mine.equals(ev[k].reset_index(drop=True)), k
