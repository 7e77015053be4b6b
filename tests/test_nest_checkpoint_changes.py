"""jaxsnn.nest checkpoints are complete: a script that changed parameters between runs, saved, and was
built again in a fresh kernel without those changes continues after load_checkpoint as the
uninterrupted script does, bit for bit (spikes, V_m, weights, events); a network the checkpoint cannot
be loaded into is refused naming what differs and the two values."""
import os
import re

import numpy as np
import pytest

os.environ.setdefault("JAXSNN_COMPILATION_CACHE", "off")  # hermetic: no user cache folder in tests

import jaxsnn.nest as nest  # noqa: E402
from jaxsnn.errors import CheckpointError, CheckpointMismatchError  # noqa: E402


def network(extra_neuron=False, seed=12, source_of_last=1, full=False):
    """A small network for every kind of between-run change: neurons, a poisson_generator (also recorded by
    the spike_recorder), a step_current_generator, a spike_generator, static connections and a
    spike_recorder; ``full``: an STDP connection and a multimeter too (slower to compile)."""
    nest.ResetKernel()
    nest.rng_seed = seed
    n = nest.Create("iaf_psc_alpha", 4 if extra_neuron else 3, {"I_e": 300.0, "V_m": nest.random.uniform(-70, -60)})
    pg = nest.Create("poisson_generator", {"rate": 8000.0})
    scg = nest.Create("step_current_generator", {"amplitude_times": [5.0, 15.0], "amplitude_values": [100.0, 50.0]})
    sg = nest.Create("spike_generator", {"spike_times": [3.0, 7.0]})
    sr = nest.Create("spike_recorder")
    nest.Connect(pg, n, syn_spec={"weight": 10.0})
    nest.Connect(scg, n)
    nest.Connect(sg, n, syn_spec={"weight": 200.0})
    nest.Connect(n[:2], n[:2], {"rule": "all_to_all", "allow_autapses": False}, {"weight": 20.0, "delay": 2.5})
    nest.Connect(n[source_of_last:source_of_last + 1], n[2:3], syn_spec={
        "synapse_model": "stdp_synapse" if full else "static_synapse", "weight": 40.0})
    nest.Connect(n + pg, sr)
    d = dict(n=n, pg=pg, scg=scg, sg=sg, sr=sr)
    if full:
        d["mm"] = nest.Create("multimeter", {"record_from": ["V_m"], "interval": 0.1})
        nest.Connect(d["mm"], n)
    return d


# each change a script may make between runs (and a rebuilt script may omit)
CHANGES = {
    "neuron_param": lambda d: d["n"].set(I_e=[350.0, 280.0, 420.0]),
    "generator_rate": lambda d: d["pg"].set(rate=7000.0),
    "generator_window": lambda d: d["pg"].set(start=25.0, stop=35.0),
    "weight": lambda d: nest.GetConnections(d["n"][:2], d["n"][:2]).set(weight=[35.0, -10.0]),
    "recorder_window": lambda d: d["sr"].set(start=22.0, stop=33.0),
    "n_events": lambda d: d["sr"].set(n_events=0),
    "models": lambda d: (nest.SetDefaults("iaf_psc_alpha", {"tau_m": 12.0}),
                         nest.CopyModel("static_synapse", "late_synapse", {"weight": 3.0})),
    "spike_times": lambda d: d["sg"].set(spike_times=[25.0, 28.0]),
    # three times, one of them past (skipped, as NEST does): the run's schedule holds the amplitude of now and
    # the two future times, a fresh build's all three
    "step_current": lambda d: d["scg"].set(amplitude_times=[5.0, 25.0, 30.0], amplitude_values=[7.0, 10.0, 20.0]),
}
SLOW_CHANGES = {  # with full=True
    "stdp_param": lambda d: nest.GetConnections(synapse_model="stdp_synapse").set(weight=60.0, Wmax=70.0),
    "kplus": lambda d: nest.GetConnections(synapse_model="stdp_synapse").set(Kplus=0.7),
    "multimeter_window": lambda d: d["mm"].set(start=24.0, stop=36.0),
    "shorter_delay": lambda d: nest.GetConnections(d["n"][:2], d["n"][:2]).set(delay=1.0),  # rings stay longer
    "more_step_times": lambda d: d["scg"].set(amplitude_times=[25.0, 30.0, 35.0], amplitude_values=[1.0, 2.0, 3.0]),
}


def outcome(d) -> dict:
    """What the continuation shows: spikes (neurons' and the generator's), V_m, weights, parameters."""
    sr = d["sr"].get("events")
    conns = nest.GetConnections(d["n"], d["n"])
    out = {"spikes": (sr["senders"], sr["times"]), "V_m": d["n"].V_m, "n_events": d["sr"].n_events,
           "weights": conns.weight, "I_e": d["n"].I_e, "rate": d["pg"].rate, "window": d["sr"].get(["start", "stop"]),
           "amplitude_times": d["scg"].amplitude_times, "time": nest.biological_time,
           "defaults": nest.GetDefaults("iaf_psc_alpha", "tau_m"), "copies": "late_synapse" in nest.Models(),
           "delays": (nest.min_delay, nest.max_delay)}  # fixed at the first Simulate, as NEST
    if "mm" in d:
        mm = d["mm"].get("events")
        out["samples"] = (mm["senders"], mm["times"], mm["V_m"])
        out["Wmax"] = conns.get("Wmax")
    return out


def uninterrupted_and_resumed(changes, path, before_load=(), full=False, then=lambda d: None):
    """The script run 20 ms, changed, saved, changed by ``then``, run 20 ms more; and the script built again
    in a fresh kernel (with the changes ``before_load`` only), loaded from the checkpoint, changed by
    ``then`` and run the same 20 ms."""
    d = network(full=full)
    nest.Simulate(20.0)
    for c in changes:
        {**CHANGES, **SLOW_CHANGES}[c](d)
    nest.save_checkpoint(path)
    then(d)
    nest.Simulate(20.0)
    want = outcome(d)
    d = network(full=full)
    for change in before_load:
        change(d)
    nest.load_checkpoint(path)
    then(d)
    nest.Simulate(20.0)
    return want, outcome(d)


def assert_same(want, got):
    for k in want:
        for a, b in zip(*(x if isinstance(x, tuple) else (x,) for x in (want[k], got[k]))):
            np.testing.assert_array_equal(np.asarray(b), np.asarray(a), err_msg=k)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Every change at once, a checkpoint of it, and the continuations (the rebuilt script sets another rate
    and I_e before loading: the checkpoint's win; both scripts draw new V_m after the save or load: the
    draws continue the checkpointed script's numbering, which counts its set calls)."""
    path = tmp_path_factory.mktemp("ck") / "all"
    other = (lambda d: d["pg"].set(rate=1000.0), lambda d: d["n"].set(I_e=0.0))
    redraw = lambda d: d["n"][1:].set(V_m=nest.random.uniform(-60.0, -55.0))  # noqa: E731
    return path, *uninterrupted_and_resumed(list(CHANGES), path, before_load=other, then=redraw)


def test_every_change_between_runs_resumes_bit_for_bit(saved):
    _, want, got = saved
    assert_same(want, got)
    assert want["time"] == 40.0 and len(want["spikes"][1]) > 20
    assert (np.asarray(want["spikes"][1]) > 20.0).all()  # n_events = 0 emptied what came before
    assert list(got["I_e"]) == [350.0, 280.0, 420.0] and got["rate"] == 7000.0
    assert list(got["amplitude_times"]) == [5.0, 25.0, 30.0] and got["defaults"] == 12.0 and got["copies"]


@pytest.mark.slow  # each change alone, with STDP and a multimeter; test_every_change_between_runs_resumes_bit_for_bit
# covers the changes of CHANGES together
@pytest.mark.parametrize("change", list(CHANGES) + list(SLOW_CHANGES))
def test_each_change_resumes_bit_for_bit(change, tmp_path):
    want, got = uninterrupted_and_resumed([change], tmp_path / "ck", full=True)
    assert_same(want, got)
    assert len(want["samples"][2]) > 100


@pytest.mark.slow  # the rebuilt script repeating the change; covered without it by the fast test
def test_a_repeated_step_current_change_loads(tmp_path):
    """The rebuilt script repeats a step current's change of its number of times (a fresh build's schedule
    has every time, the run's the held amplitude and the future times): the checkpoint's schedule is loaded."""
    repeat = (SLOW_CHANGES["more_step_times"],)
    assert_same(*uninterrupted_and_resumed(["more_step_times"], tmp_path / "ck", before_load=repeat, full=True))


@pytest.mark.parametrize("script, message", [
    (lambda: network(extra_neuron=True), "the number of nodes is 7 in the checkpoint but 8 here"),
    (lambda: network(seed=13), "kernel attribute rng_seed is 12 in the checkpoint but 13 here"),
    (lambda: network(source_of_last=0), "connect call 5's source of connection 0 (static_synapse) is node 2 in "
                                        "the checkpoint but node 1 here"),
    (lambda: one_more_connection(network()),
     "the number of connect calls (Connect, one per kind of source) is 6 in the checkpoint but 7 here"),
])
def test_networks_it_cannot_fill_are_refused_by_name(saved, script, message):
    """Refused before anything changes: the kernel keeps the script's network, at time 0."""
    d = script()
    with pytest.raises(CheckpointMismatchError, match=re.escape(message)):
        nest.load_checkpoint(saved[0])
    assert nest.biological_time == 0.0 and list(d["n"][:3].I_e) == [300.0] * 3


def one_more_connection(d):
    nest.Connect(d["n"][0], d["n"][2])
    return d


def test_a_layer_part_not_of_its_making_is_a_checkpoint_error(saved, tmp_path):
    """Metadata with a valid checksum but a layer part the layer did not write: a CheckpointError naming the
    damage, and the script's network stays."""
    from jaxsnn.io import checkpoint_io as cio

    arrays, meta = cio.read(saved[0])
    meta["layer"]["populations"] = [{"model": {"v": "iaf_psc_alpha"}}]
    cio.write(tmp_path / "bad", arrays, meta)
    d = network()
    with pytest.raises(CheckpointError, match="damaged layer metadata"):
        nest.load_checkpoint(tmp_path / "bad")
    assert nest.biological_time == 0.0 and list(d["n"].I_e) == [300.0] * 3


def test_a_checkpoint_without_the_layers_part_loads_into_the_network_as_built(saved, tmp_path):
    """A checkpoint of jaxsnn.save_checkpoint (no layer part) continues the network as the script built it,
    with a warning that the layer's state is not in it: here the poisson_generator's spikes its
    spike_recorder got before (the same compiled program as the fixture's: cheap)."""
    import jaxsnn
    from jaxsnn.errors import CheckpointWarning
    from jaxsnn.nest.kernel import KERNEL

    d = network()
    nest.Simulate(10.0)
    jaxsnn.save_checkpoint(tmp_path / "plain", KERNEL.sim)
    nest.Simulate(10.0)
    want = outcome(d)
    d = network()
    with pytest.warns(CheckpointWarning, match="without the layer's state"):
        nest.load_checkpoint(tmp_path / "plain")
    nest.Simulate(10.0)
    got = outcome(d)
    neurons = [np.isin(x["spikes"][0], d["n"].tolist()) for x in (want, got)]  # the neurons' spikes, not pg's
    for k in (0, 1):
        np.testing.assert_array_equal(np.asarray(got["spikes"][k])[neurons[1]],
                                      np.asarray(want["spikes"][k])[neurons[0]])
    np.testing.assert_array_equal(got["V_m"], want["V_m"])
    assert neurons[0].sum() > 3 and len(got["spikes"][0]) < len(want["spikes"][0])
