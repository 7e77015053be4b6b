"""PyNEST scripts for the status keys NEST 3.10 reports and the refusals it makes (``tests/test_nest_status_keys.py``):
each takes a ``nest`` module (NEST 3.10's or ``jaxsnn.nest``) and returns what it observed as plain values.

``tests/reference/tools/nest_status_keys.py`` runs them in NEST 3.10 and stores the results in
``tests/reference/pynest_cases/status_keys_*.json``.
"""
import os

import numpy as np

CONNECTION_KEYS = ("source", "target", "port", "receptor", "sizeof", "synapse_id", "target_thread")


def _rows(conns) -> list:
    """One row per connection (CONNECTION_KEYS), sorted: NEST's GetConnections order differs with threads."""
    cols = conns.get(list(CONNECTION_KEYS))
    return sorted(zip(*[cols[k] if isinstance(cols[k], (list, tuple)) else [cols[k]] for k in CONNECTION_KEYS]))


def connection_keys(nest):
    """Ports, receptors, model ids, sizes and threads of connections between neurons, from generators and
    multimeters, to a spike_recorder, of copied models, with one thread and with two."""
    nest.ResetKernel()
    a = nest.Create("aeif_cond_alpha", 2)
    e = nest.Create("iaf_psc_exp")
    m = nest.Create("iaf_psc_alpha_multisynapse")
    m.set({"tau_syn": [1.0, 2.0]})
    mm1, mm2, dc = nest.Create("multimeter"), nest.Create("voltmeter"), nest.Create("dc_generator")
    nest.Connect(mm1, a[0])
    nest.Connect(mm2, a)
    nest.Connect(mm1, a[1])
    nest.Connect(dc, e, syn_spec={"receptor_type": 1})
    nest.Connect(dc, a)
    nest.Connect(a[0], m, syn_spec={"receptor_type": 2})
    nest.Connect(a[1], m, syn_spec={"receptor_type": 1})
    nest.CopyModel("static_synapse", "my_static")
    nest.CopyModel("stdp_synapse", "my_stdp")
    nest.Connect(a, e, syn_spec={"synapse_model": "my_stdp"})
    nest.Connect(a[0], e, syn_spec={"synapse_model": "my_static"})
    nest.Connect(e, a, syn_spec={"synapse_model": "stdp_synapse_hom"})
    nest.Connect(e, a[1], syn_spec={"synapse_model": "static_synapse_hpc"})
    one = _rows(nest.GetConnections())
    defaults = {m: [nest.GetDefaults(m).get(k) for k in ("synapse_modelid", "sizeof", "has_delay", "requires_symmetric")]
                for m in ("static_synapse", "my_static", "my_stdp", "quantal_stp_synapse", "stdp_synapse_hpc")}

    nest.ResetKernel()
    nest.local_num_threads = 2
    n = nest.Create("iaf_psc_alpha", 5)
    sr, pg = nest.Create("spike_recorder"), nest.Create("poisson_generator")
    nest.Connect(n, n[1:4])
    nest.Connect(n[::2], n[::2], syn_spec={"synapse_model": "stdp_synapse"})
    nest.Connect(n, sr)
    nest.Connect(pg, n)
    two = _rows(nest.GetConnections())
    thread, vp, tlid = list(n.get("thread")), list(n.get("vp")), list(n.get("thread_local_id"))

    nest.ResetKernel()
    n = nest.Create("iaf_psc_alpha", 2)
    nest.Connect(n[0], n[1])
    keys = sorted(nest.GetConnections().get().keys())  # (jaxsnn lists plastic keys for every connection of a
    # network with plastic ones: the differences table of docs/nest.md)
    return {"one_thread": [list(r) for r in one], "keys": keys, "two_threads": [list(r) for r in two],
            "thread": thread, "vp": vp, "thread_local_id": tlid, "defaults": defaults}


def _read(path) -> str:
    with open(path) as f:
        return f.read()


def static_run(nest, data_path):
    """t_spike, archiver_length, Ca, synaptic_elements of neurons without STDP, across two Simulate calls; the
    ascii backend's precision and file_extension; a weight_recorder's ports and receptors; a Connect after
    Simulate outside min_delay/max_delay."""
    nest.ResetKernel()
    nest.set(data_path=data_path, overwrite_files=True)
    n = nest.Create("iaf_psc_alpha", 2, {"I_e": [400.0, 0.0]})
    sr = nest.Create("spike_recorder", {"record_to": "ascii", "precision": 1})
    mm = nest.Create("multimeter", {"record_to": "ascii", "record_from": ["V_m"], "interval": 10.0})
    mm.set(precision=5, file_extension="gdf")
    steps = nest.Create("spike_recorder", {"record_to": "ascii", "time_in_steps": True, "precision": -2})
    wr = nest.Create("weight_recorder")
    nest.CopyModel("static_synapse", "recorded", {"weight_recorder": wr})
    m = nest.Create("iaf_psc_alpha_multisynapse")
    m.set({"tau_syn": [1.0, 2.0]})
    nest.Connect(n[1], m, syn_spec={"synapse_model": "recorded", "receptor_type": 1})
    nest.Connect(n[0], m, syn_spec={"synapse_model": "recorded", "receptor_type": 2, "weight": 2.0})
    nest.Connect(n[0], m, syn_spec={"synapse_model": "recorded", "receptor_type": 1, "weight": 3.0})
    keys = ("t_spike", "archiver_length", "Ca", "synaptic_elements")
    out = {"initial": [n[0].get(k) for k in keys], "sr_keys": [sr.get("precision"), sr.get("file_extension")],
           "memory_has_precision": "precision" in nest.Create("spike_recorder").get()}
    nest.Connect(n, sr)
    nest.Connect(n, steps)
    nest.Connect(mm, n[0])
    nest.Simulate(50.0)
    out["t_spike_50"] = list(n.get("t_spike"))
    out["Ca_50"] = list(n.get("Ca"))
    nest.Simulate(60.0)
    out["t_spike_110"] = list(n.get("t_spike"))
    out["archiver_length_110"] = list(n.get("archiver_length"))
    out["files"] = {os.path.basename(f): _read(f) for r in (sr, mm, steps) for f in r.get("filenames")}
    ev = wr.get("events")
    out["weight_events"] = {k: np.asarray(ev[k]).tolist() for k in ("senders", "times", "weights", "ports", "receptors")}
    refused = []
    for d in (0.5, 2.0):
        try:
            nest.Connect(n[0], n[1], syn_spec={"delay": d})
            refused.append(None)
        except Exception as e:  # noqa: BLE001 - NEST's and jaxsnn's error classes differ in module
            refused.append(type(e).__name__)
    nest.Connect(n[0], n[1], syn_spec={"delay": 1.0})
    out["refused"] = refused
    out["delays"] = [nest.min_delay, nest.max_delay]
    return out


def plastic_run(nest):
    """archiver_length and t_spike of neurons with STDP input; a weight_recorder's ports and receptors."""
    nest.ResetKernel()
    wr = nest.Create("weight_recorder")
    nest.CopyModel("stdp_synapse", "recorded_stdp", {"weight_recorder": wr})
    sg = nest.Create("spike_generator", {"spike_times": [float(x) for x in range(5, 60, 10)]})
    pre, post = nest.Create("parrot_neuron", 2), nest.Create("parrot_neuron")
    nest.Connect(sg, pre)
    nest.Connect(sg, post)
    nest.Connect(pre, post, syn_spec={"synapse_model": "recorded_stdp", "delay": 1.0})
    nest.Connect(pre[0], post, syn_spec={"synapse_model": "stdp_synapse", "delay": 1.0})
    out = {"initial": [post.get("archiver_length"), post.get("t_spike")]}
    for t in (10.0, 30.0):
        nest.Simulate(t)
        out[f"archiver_length_{int(nest.biological_time)}"] = [pre.get("archiver_length"), post.get("archiver_length")]
        out[f"t_spike_{int(nest.biological_time)}"] = [list(pre.get("t_spike")), post.get("t_spike")]
    ev = wr.get("events")
    out["events"] = {k: np.asarray(ev[k]).tolist() for k in ("senders", "targets", "times", "ports", "receptors")}
    return out


def _error_name(f) -> str:
    """The class name of the error ``f()`` raises ("accepted" if none)."""
    try:
        f()
    except Exception as e:  # noqa: BLE001 (NEST's and jaxsnn's classes are compared by name)
        return type(e).__name__
    return "accepted"


def after_simulate(nest):
    """The delays of models' defaults after Simulate (fixed bounds), min_delay set with connections, joins of
    overlapping collections, setting a read-only key, getting an unknown one, GetDefaults of a list of keys, and
    thread_local_id before and after Simulate with one thread and two (a recorder first, nodes created after
    Simulate)."""
    out = {}
    for threads in (1, 2):
        nest.ResetKernel()
        nest.local_num_threads = threads
        sr = nest.Create("spike_recorder")
        n = nest.Create("iaf_psc_exp", 3)
        tlid = [list(n.get("thread_local_id"))]
        nest.Connect(n[0], n[1], syn_spec={"delay": 2.0})
        nest.Connect(n[1], n[2], syn_spec={"delay": 4.0})
        nest.Simulate(1.0)
        tlid += [list(n.get("thread_local_id")), sr.get("thread_local_id")]
        m = nest.Create("iaf_psc_exp", 2)
        tlid.append(list(m.get("thread_local_id")))
        nest.Simulate(1.0)
        tlid += [list(m.get("thread_local_id")), list(n.get("thread_local_id"))]
        out[f"thread_local_id_{threads}"] = tlid
    out["errors"] = [_error_name(f) for f in (
        lambda: nest.SetDefaults("static_synapse", {"delay": 9.0}),
        lambda: nest.SetDefaults("stdp_synapse", {"delay": 0.5}),
        lambda: nest.SetDefaults("static_synapse", {"delay": 3.0}),
        lambda: nest.CopyModel("static_synapse", "far", {"delay": 9.0}),
        lambda: nest.set(min_delay=0.5, max_delay=3.0),
        lambda: n + n,
        lambda: n[0:2] + n[1:],
        lambda: n.set(t_spike=2.0),
        lambda: n.set(archiver_length=2))]
    sr = nest.Create("spike_recorder", params={"record_to": "ascii"})
    sr.record_to = "memory"
    out["get_errors"] = [_error_name(f) for f in (
        lambda: n.get("no_such_key"), lambda: n.no_such_key, lambda: nest.GetDefaults("iaf_psc_exp", "no_such_key"),
        lambda: sr.get("precision"))]
    out["defaults_delay"] = nest.GetDefaults("static_synapse", "delay")
    keys = nest.GetDefaults("static_synapse", ["delay", "weight"])
    out["defaults_list"] = [type(keys).__name__, list(keys)]
    return out


SCRIPTS = {"connection_keys": connection_keys, "static_run": static_run, "plastic_run": plastic_run,
           "after_simulate": after_simulate}
