"""jaxsnn.nest's kernel and collections behave as PyNEST 3.10's (values taken from NEST 3.10 where
noted), and refuse what they cannot do by name."""
import os

import numpy as np
import pytest

os.environ.setdefault("JAXSNN_COMPILATION_CACHE", "off")

import jaxsnn  # noqa: E402
import jaxsnn.nest as nest  # noqa: E402


@pytest.fixture(autouse=True)
def fresh():
    nest.ResetKernel()
    yield
    nest.ResetKernel()


def test_kernel_attributes():
    assert nest.resolution == 0.1 and nest.rng_seed == 143202461 and nest.biological_time == 0.0
    nest.resolution = 0.2
    nest.rng_seed = 7
    nest.local_num_threads = 4  # accepted: results do not depend on it
    nest.print_time = False
    assert nest.GetKernelStatus("resolution") == 0.2 and nest.GetKernelStatus(["rng_seed"]) == (7,)
    assert nest.total_num_virtual_procs == 4
    nest.SetKernelStatus({"resolution": 0.1})
    assert nest.GetKernelStatus()["resolution"] == 0.1
    nest.Create("iaf_psc_delta")
    with pytest.raises(jaxsnn.JaxsnnError, match="resolution"):
        nest.resolution = 0.5
    with pytest.raises(jaxsnn.JaxsnnError, match="read-only"):
        nest.biological_time = 3.0
    with pytest.raises(jaxsnn.JaxsnnError, match="Did you mean 'resolution'"):
        nest.SetKernelStatus({"resolutoin": 0.1})
    nest.ResetKernel()
    assert nest.network_size == 0 and nest.resolution == 0.1


def test_nests_other_kernel_names(capsys):
    """NEST 3.10's verbosity levels, messages, error names, RunManager, tuning attributes (accepted with
    NEST's defaults) and read-only attributes of features jaxsnn lacks (NEST's values)."""
    assert nest.verbosity == nest.VerbosityLevel.INFO == 10
    nest.verbosity = nest.VerbosityLevel.WARNING
    nest.message("quiet", nest.VerbosityLevel.INFO)
    nest.message("shown", nest.VerbosityLevel.ERROR)
    assert capsys.readouterr().err == "[ERROR] shown\n"
    nest.set_verbosity("M_FATAL")
    assert nest.get_verbosity() == nest.VerbosityLevel.FATAL
    with pytest.raises(jaxsnn.JaxsnnError, match="M_WARNING"):
        nest.verbosity = "loud"
    with pytest.raises(nest.NESTErrors.BadProperty):
        nest.Create("iaf_psc_delta", params={"C_m": -1.0})
    assert nest.buffer_size_spike_data == 2 and nest.use_wfr is True and nest.wfr_tol == 1e-4
    nest.SetKernelStatus({"buffer_size_spike_data": 8, "use_wfr": False})
    assert nest.buffer_size_spike_data == 8 and nest.use_wfr is False
    with pytest.raises(jaxsnn.JaxsnnError, match="use_wfr"):
        nest.use_wfr = "no"
    with pytest.raises(jaxsnn.JaxsnnError, match="read-only"):
        nest.off_grid_spiking = True
    assert nest.off_grid_spiking is False and nest.recording_backends == ("ascii", "memory")
    assert nest.build_info["version"].startswith("jaxsnn") and nest.memory_size > 1000
    with pytest.raises(jaxsnn.JaxsnnError, match="mymodule"):
        nest.Install("mymodule")
    assert "tau_m" in nest.help("iaf_psc_alpha", return_text=True)
    with pytest.raises(jaxsnn.JaxsnnError, match="Did you mean 'iaf_psc_alpha'"):
        nest.help("iaf_psc_alpa")
    n = nest.Create("iaf_psc_delta", params={"I_e": 400.0})
    with nest.RunManager():
        nest.Run(10.0)
        nest.Run(15.0)
    assert nest.biological_time == 25.0 and n.V_m != -70.0


def test_defaults_models_and_connection_counts():
    nest.CopyModel("static_synapse", "inh", {"weight": -2.0})
    nest.SetDefaults("iaf_psc_delta", {"I_e": 5.0})
    assert nest.GetDefaults("iaf_psc_delta", "I_e") == 5.0
    assert nest.GetDefaults("inh")["weight"] == -2.0
    assert nest.GetDefaults("iaf_psc_delta")["element_type"] == "neuron"
    assert nest.GetDefaults("spike_recorder")["element_type"] == "recorder"
    assert nest.GetDefaults("poisson_generator")["element_type"] == "stimulator"
    assert "inh" in nest.Models("synapses") and "iaf_psc_delta" in nest.Models("nodes")
    n = nest.Create("iaf_psc_delta", 3)
    assert n.I_e == (5.0, 5.0, 5.0)
    sr = nest.Create("spike_recorder")
    nest.Connect(n, n, "all_to_all", "inh")
    nest.Connect(n, sr)
    # NEST counts recorder connections as static_synapse
    assert nest.GetDefaults("static_synapse")["num_connections"] == 3
    assert nest.GetDefaults("inh")["num_connections"] == 9
    assert nest.num_connections == 12
    with pytest.raises(jaxsnn.JaxsnnError, match="V_th"):
        nest.SetDefaults("iaf_psc_delta", {"V_th": -80.0})  # below V_reset


def test_node_collections_as_pynest():
    n = nest.Create("iaf_psc_delta", 4, params=[{"I_e": float(k)} for k in range(4)])
    assert n.global_id == (1, 2, 3, 4) and n[0].global_id == 1 and n.tolist() == [1, 2, 3, 4]
    assert [m.global_id for m in n] == [1, 2, 3, 4] and all(len(m) == 1 for m in n)
    assert n[1] in n and 2 in n and n[1:3] == n[1] + n[2]
    assert n.I_e == (0.0, 1.0, 2.0, 3.0) and n[2].I_e == 2.0
    n.V_m = -60.0
    n[0].set({"V_m": -61.0})
    n.set([{"tau_m": 5.0}, {}, {}, {"tau_m": 7.0}])
    n[1:3].set(C_m=[200.0, 300.0])
    df = n.get(["V_m", "tau_m", "C_m"], output="pandas")
    assert list(df.index) == [1, 2, 3, 4]
    np.testing.assert_array_equal(df.V_m, [-61.0, -60.0, -60.0, -60.0])
    np.testing.assert_array_equal(df.tau_m, [5.0, 10.0, 10.0, 7.0])
    np.testing.assert_array_equal(df.C_m, [250.0, 200.0, 300.0, 250.0])
    assert n.get("V_m") == (-61.0, -60.0, -60.0, -60.0) and n.get(["I_e"]) == {"I_e": (0.0, 1.0, 2.0, 3.0)}
    assert n[0].get()["model"] == "iaf_psc_delta" and nest.GetStatus(n[0], "C_m") == (250.0,)
    nest.SetStatus(n[3], "I_e", 9.0)
    assert n[3].I_e == 9.0
    assert nest.GetNodes({"I_e": 9.0}) == n[3] and len(nest.GetNodes()) == 4
    with pytest.raises(jaxsnn.JaxsnnError, match="Did you mean 'tau_m'"):
        n.tau_n = 3.0
    with pytest.raises(jaxsnn.JaxsnnError, match="reset"):
        nest.ResetKernel()
        _ = n.V_m


def test_recorder_properties_and_refusals():
    sg = nest.Create("spike_generator", params={"spike_times": [1.04, 2.01], "allow_offgrid_times": True})
    np.testing.assert_allclose(sg.spike_times, [1.1, 2.1])
    assert sg.allow_offgrid_times
    with pytest.raises(jaxsnn.JaxsnnError, match="precise_times"):
        sg.precise_times = True
    sr = nest.Create("spike_recorder", params={"label": "x"})
    assert sr.record_to == "memory" and sr.label == "x" and sr.n_events == 0
    assert set(sr.events) == {"senders", "times"}
    with pytest.raises(jaxsnn.JaxsnnError, match="n_events"):
        sr.n_events = 3
    with pytest.raises(jaxsnn.JaxsnnError, match="record_to"):
        sr.record_to = "screen"
    with pytest.raises(jaxsnn.JaxsnnError, match="spatial"):
        nest.Create("iaf_psc_delta", positions=object())


def test_2d_weights(x64):
    """all_to_all takes a (targets, sources) weight matrix, as NEST."""
    pre = nest.Create("parrot_neuron", 2)
    post = nest.Create("iaf_psc_delta", 3)
    w = np.arange(6.0).reshape(3, 2)
    nest.Connect(pre, post, "all_to_all", {"weight": w})
    c = nest.GetConnections(pre, post)
    got = {(s, t): x for s, t, x in zip(c.source, c.target, c.weight)}
    assert all(got[(pre[j].global_id, post[i].global_id)] == w[i, j] for i in range(3) for j in range(2))
    with pytest.raises(jaxsnn.JaxsnnError, match="shape"):
        nest.Connect(pre, post, "all_to_all", {"weight": w.T})


def test_plots_draw_what_was_recorded():
    import matplotlib

    matplotlib.use("Agg")
    n = nest.Create("iaf_psc_delta", 2, params={"I_e": [400.0, 500.0]})
    sr = nest.Create("spike_recorder")
    vm = nest.Create("voltmeter")
    nest.Connect(n, sr)
    nest.Connect(vm, n)
    nest.Simulate(100.0)
    axes = nest.raster_plot.from_device(sr, hist=True)
    x, y = axes[0].lines[0].get_data()
    np.testing.assert_array_equal(x, sr.events["times"])
    np.testing.assert_array_equal(y, sr.events["senders"])
    lines = nest.voltage_trace.from_device(vm)
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[1].get_ydata(), vm.events["V_m"][vm.events["senders"] == 2])
    with pytest.raises(jaxsnn.JaxsnnError, match="spike_recorder"):
        nest.raster_plot.from_device(vm)


def test_pynest_helpers_and_refusals():
    """PyNEST's smaller names: nest.get/set of kernel attributes, NESTError, Parameter, ConnectionRules,
    the one-process helpers; Disconnect is refused with a message saying what to do instead."""
    nest.ResetKernel()
    nest.set(resolution=0.2, rng_seed=3)
    assert nest.get("resolution") == 0.2 and nest.get(["rng_seed"]) == {"rng_seed": 3}
    assert nest.get()["resolution"] == 0.2
    assert "fixed_indegree" in nest.ConnectionRules()
    assert isinstance(nest.random.normal(0.0, 1.0), nest.Parameter)
    n = nest.Create("iaf_psc_delta", 2)
    assert nest.GetLocalNodeCollection(n) == n and nest.GetLocalVPs() == (0,)
    nest.SyncProcesses()
    assert nest.get_verbosity() == nest.VerbosityLevel.INFO
    with pytest.raises(nest.NESTError, match="Disconnect.*weight"):
        nest.Disconnect(n[0], n[1])
    with pytest.raises(nest.NESTError, match="resolution"):
        nest.set(resolution=0.1)  # nodes exist: NEST refuses too


def test_small_script_imports_no_heavy_modules():
    """A one-neuron script (create, connect, simulate, read events and n_events) imports neither pandas nor
    orbax nor matplotlib: they load only when a frame, a checkpoint or a plot is asked for."""
    import subprocess
    import sys

    code = ("import sys, jaxsnn.nest as nest\n"
            "n = nest.Create('iaf_psc_delta', params={'I_e': 376.0}); sr = nest.Create('spike_recorder')\n"
            "vm = nest.Create('voltmeter'); nest.Connect(n, sr); nest.Connect(vm, n)\n"
            "nest.Simulate(20.0); sr.n_events; vm.events; n.I_e\n"
            "print(sorted(m for m in ('pandas', 'orbax', 'matplotlib') if m in sys.modules))\n")
    env = {**os.environ, "JAXSNN_COMPILATION_CACHE": "off", "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_set_gives_a_device_list_to_every_node_and_cuts_per_node_values():
    """NEST 3.10: ``(a + b).set(spike_times=[1.0, 2.0])`` on two spike generators of different models
    gives each both times; arrays of one value per node are cut, one list per node of a list parameter
    too."""
    nest.CopyModel("spike_generator", "sg2")
    gens = nest.Create("spike_generator") + nest.Create("sg2")
    gens.set(spike_times=[1.0, 2.0])
    assert [list(t) for t in gens.get("spike_times")] == [[1.0, 2.0], [1.0, 2.0]]
    n = nest.Create("gif_psc_exp", 2)
    n.set(I_e=[10.0, 20.0], tau_sfa=[[5.0], [6.0]], q_sfa=[[1.0], [2.0]])
    assert list(n.get("I_e")) == [10.0, 20.0] and [list(t) for t in n.get("tau_sfa")] == [[5.0], [6.0]]


@pytest.mark.parametrize("delay, want", [(1.5, [70, 90, 190, 190, 220]), (0.1, [72, 93, 193, 194, 224])])
def test_multimeter_shows_a_runs_last_slice_at_the_next_simulate(delay, want):
    """NEST 3.10 hands a multimeter each min_delay slice's samples at the start of the next slice, on a grid
    of min_delay from t = 0: the counts after each Simulate are NEST's (recorded with NEST 3.10; min_delay
    1 ms with the recorder's delay, 0.1 ms with a 0.1 ms connection). biological_time is NEST's clock,
    0.001 × tics (7.3, not 73 × 0.1 = 7.300000000000001)."""
    nest.ResetKernel()
    nest.resolution = 0.1
    n = nest.Create("iaf_psc_alpha", params={"I_e": 400.0})
    nest.Connect(n, nest.Create("iaf_psc_alpha"), syn_spec={"delay": delay, "weight": 100.0})
    mm = nest.Create("multimeter", params={"interval": 0.1, "record_from": ["V_m"]})
    nest.Connect(mm, n)
    got = []
    for t in (7.3, 2.1, 10.0, 0.1, 3.0):
        nest.Simulate(t)
        got.append(mm.n_events)
        assert len(mm.events["times"]) == got[-1]
    assert got == want
    assert [nest.biological_time, nest.min_delay] == [22.5, min(delay, 1.0)]
    nest.ResetKernel()
    nest.resolution = 0.1
    nest.Simulate(7.3)
    assert nest.biological_time == 7.3


def test_values_are_python_numbers_and_new_recorders_are_empty():
    """As PyNEST: attribute and get values are Python floats (a printed tuple reads (-70.0, ...), not
    (np.float64(-70.0), ...)); a recorder created after Simulate has no events until the next one."""
    nest.ResetKernel()
    n = nest.Create("iaf_psc_delta", 3, params={"I_e": 400.0})
    nest.Connect(n[0], n[1], syn_spec={"weight": 0.0})  # min/max_delay 1 ms: a recorder may connect after Simulate
    nest.Simulate(1.0)
    for values in (n.V_m, n[0:2].I_e, n.get(["V_m", "I_e"])["V_m"], n.get("I_e")):
        assert all(type(v) is float for v in values), values
    assert type(n[0].V_m) is float and type(n.global_id[0]) is int
    sr = nest.Create("spike_recorder")
    assert sr.n_events == 0 and len(sr.events["times"]) == 0
    sr.n_events = 0
    nest.Connect(n, sr)
    nest.Simulate(100.0)
    assert sr.n_events > 0


def test_min_and_max_delay_set_by_the_user_as_nest():
    """min_delay and max_delay set together before any connection, as NEST 3.10 takes them (each behaviour
    below checked with NEST): reported as set, a delay outside them refused (BadDelay) without making the
    connection, set alone, in the wrong order, below the resolution or after a connection refused; a
    multimeter gets its samples on the grid of the user's min_delay: NEST's counts after each Simulate."""
    from jaxsnn.errors import JaxsnnError

    nest.ResetKernel()
    assert (nest.min_delay, nest.max_delay) == (0.1, 0.1)
    for bad, match in [({"min_delay": 0.5}, "together"), ({"max_delay": 3.0}, "together"),
                       ({"min_delay": 0.5, "max_delay": 0.3}, "max_delay"),
                       ({"min_delay": 0.05, "max_delay": 3.0}, "resolution")]:
        with pytest.raises(JaxsnnError, match=match):
            nest.set(**bad)
    with pytest.raises(JaxsnnError, match="together"):
        nest.min_delay = 0.5
    nest.set(min_delay=0.5, max_delay=3.0)
    assert nest.GetKernelStatus(["min_delay", "max_delay"]) == (0.5, 3.0)
    a = nest.Create("iaf_psc_alpha", 2, params={"I_e": 400.0})
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    for d in (0.2, 5.0):
        with pytest.raises(JaxsnnError, match="BadDelay"):
            nest.Connect(a[0], a[1], syn_spec={"delay": d})
    assert nest.num_connections == 0
    nest.Connect(a[0], a[1], syn_spec={"delay": 1.5, "weight": 50.0})
    nest.Connect(mm, a)
    with pytest.raises(JaxsnnError, match="already exist"):
        nest.set(min_delay=0.3, max_delay=4.0)
    with pytest.raises(JaxsnnError, match="BadDelay"):
        nest.GetConnections(a[0], a[1]).set(delay=4.0)
    got = []
    for t in (7.3, 2.0, 0.4, 1.1):
        nest.Simulate(t)
        got.append(mm.n_events)
    assert got == [140, 180, 190, 210]
    assert (nest.min_delay, nest.max_delay) == (0.5, 3.0)
