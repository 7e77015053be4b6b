"""jaxsnn.nest reports the status keys NEST 3.10 reports (neurons' t_spike, archiver_length, Ca,
synaptic_elements; connections' port, receptor, sizeof, synapse_id, target_thread; weight_recorder events'
ports and receptors; the ascii backend's precision and file_extension) with NEST's values, and refuses
what NEST refuses (a delay outside min_delay/max_delay after Simulate, joining different spatial layers).
NEST's observations: ``tests/reference/tools/nest_status_keys.py`` over ``tests/status_key_scripts.py``."""
import json
import os

import pytest

os.environ.setdefault("JAXSNN_COMPILATION_CACHE", "off")  # hermetic: no user cache folder in tests

import jaxsnn.nest as nest  # noqa: E402
from jaxsnn.errors import JaxsnnError  # noqa: E402

from .conftest import REFERENCE  # noqa: E402
from .status_key_scripts import SCRIPTS  # noqa: E402


def reference(name):
    return json.loads((REFERENCE / "pynest_cases" / f"status_keys_{name}.json").read_text())


def test_connection_keys_are_nests():
    """Ports (per connector: between neurons by target thread and model, sorted by source; from and to
    devices in the order made), receptors (receptor_type; a multimeter's data-logger index), NEST's model
    ids (copies from 77) and sizes, and target threads with local_num_threads = 2: NEST's, row for row; the
    synapse models' GetDefaults ids and sizes; the neurons' thread, vp and thread_local_id."""
    want, got = reference("connection_keys"), SCRIPTS["connection_keys"](nest)
    for key in ("one_thread", "two_threads"):
        assert [list(r) for r in got[key]] == want[key], key
    assert got["keys"] == want["keys"]
    for key in ("thread", "vp", "thread_local_id", "defaults"):
        assert got[key] == want[key], key


def test_neuron_keys_recorder_precision_and_delays_after_simulate_are_nests(x64, tmp_path):
    """t_spike (-1.0, then the last spike's time, carried across Simulate calls), archiver_length 0 without
    STDP, Ca (NEST's, tests/test_nest_calcium.py checks its bits), synaptic_elements {}; the ascii files
    with NEST's precision (a negative one: 6 decimals) and file_extension; a Connect after Simulate with a
    delay outside the min_delay/max_delay of then refused as NEST's BadDelay, the bounds unchanged."""
    want, got = reference("static_run"), SCRIPTS["static_run"](nest, str(tmp_path))
    for key in ("initial", "sr_keys", "memory_has_precision", "t_spike_50", "t_spike_110", "archiver_length_110",
                "files", "weight_events", "refused", "delays"):
        assert got[key] == want[key], key
    assert got["Ca_50"] == want["Ca_50"]
    # the functional API's Simulation.get (the simulation jaxsnn.nest runs) gives the same t_spike
    sim = nest.KERNEL.sim
    assert sim.get([1, 2], ["t_spike"])["t_spike"].tolist() == want["t_spike_110"]


@pytest.mark.slow  # compiling a plastic network; the fast test_neuron_keys_recorder_precision_and_delays_after_
# simulate_are_nests checks archiver_length without STDP and a weight_recorder's ports and receptors
def test_plastic_neuron_keys_and_weight_recorder_ports_are_nests(x64):
    """archiver_length of a parrot with STDP input (spikes of multiplicity 3 archived 3 times) and the
    weight_recorder's ports and receptors, at two Simulate calls: NEST's."""
    want, got = reference("plastic_run"), SCRIPTS["plastic_run"](nest)
    for key, value in want.items():
        g = json.loads(json.dumps(got[key]))  # tuples as NEST's JSON holds them
        assert g == value, key


def test_refusals_carry_nests_error_names():
    """Joining a grid layer and a free layer (or a layer and other nodes) is NEST's BadProperty; the error
    says which layers; ``except nest.NESTErrors.<name>`` still catches every jaxsnn error."""
    nest.ResetKernel()
    grid = nest.Create("iaf_psc_alpha", positions=nest.spatial.grid(shape=[2, 2]))
    free = nest.Create("iaf_psc_alpha", positions=nest.spatial.free(nest.random.uniform(), num_dimensions=2), n=3)
    plain = nest.Create("iaf_psc_alpha", 2)
    for a, b in ((grid, free), (free, grid), (grid, plain), (plain, free)):
        with pytest.raises(nest.NESTErrors.BadProperty, match="same spatial layer") as e:
            a + b
        assert type(e.value).__name__ == "BadProperty" and isinstance(e.value, JaxsnnError)
    assert len(grid[0] + grid[2]) == 2 and len(plain[0] + plain[1]) == 2  # one layer, or no layer: joined


def test_set_and_bad_values_of_the_new_keys():
    """precision and file_extension only with record_to='ascii' (NEST: no such keys otherwise), of NEST's
    types, back to NEST's defaults when record_to changes; the connection keys are not settable."""
    nest.ResetKernel()
    mm = nest.Create("multimeter")
    with pytest.raises(JaxsnnError, match="record_to='ascii'"):
        mm.set(precision=4)
    with pytest.raises(KeyError, match="'ascii' backend"):  # NEST: KeyError
        mm.get("precision")
    mm.set(record_to="ascii", precision=7, file_extension="txt")
    assert mm.get(["precision", "file_extension"]) == {"precision": 7, "file_extension": "txt"}
    assert mm.filenames[0].endswith("multimeter-1-0.txt")
    for name, bad in (("precision", 2.5), ("precision", True), ("file_extension", 3)):
        with pytest.raises(JaxsnnError, match=f"set: {name}="):
            mm.set({name: bad})
    mm.set(record_to="memory")
    mm.set(record_to="ascii")
    assert mm.get(["precision", "file_extension"]) == {"precision": 3, "file_extension": "dat"}
    n = nest.Create("iaf_psc_alpha", 2)
    nest.Connect(n[0], n[1])
    with pytest.raises(JaxsnnError, match="port"):
        nest.GetConnections().set(port=3)
    with pytest.raises(JaxsnnError, match="t_spike"):
        n.set(t_spike=3.0)


def test_refusals_and_thread_local_ids_after_simulate_are_nests():
    """After the first Simulate a model default's delay outside the fixed bounds (SetDefaults, CopyModel) is
    BadDelay, min_delay set with connections BadProperty, overlapping joins BadProperty, a read-only key set
    UnaccessedDictionaryEntry, an unknown key asked KeyError; GetDefaults of a list gives a list; thread_local_id is -1 until a Simulate
    numbers the nodes (a recorder on every thread counts), with one thread and two: NEST's."""
    want, got = reference("after_simulate"), SCRIPTS["after_simulate"](nest)
    assert json.loads(json.dumps(got)) == want


def test_get_defaults_of_keys_names_an_unknown_key():
    """GetDefaults with a list of keys: an unknown one is NEST's KeyError, naming the model and the known keys."""
    with pytest.raises(KeyError, match="unknown parameter of iaf_psc_exp 'no_such_key'. Known: C_m"):
        nest.GetDefaults("iaf_psc_exp", ["V_m", "no_such_key"])
