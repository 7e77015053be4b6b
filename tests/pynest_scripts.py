"""PyNEST-style scripts, written for jaxsnn's tests: each takes a ``nest`` module (NEST 3.10's or
``jaxsnn.nest``) and returns what it observed as plain lists and numbers.

``tests/reference/tools/pynest_cases.py`` runs them in NEST 3.10 and stores the results under
``tests/reference/pynest_cases/pynest_*.json``; ``tests/test_nest_api.py`` runs them through
``jaxsnn.nest`` and compares. Only the call that names the module differs between the two runs.
"""
import numpy as np


def _events(rec, *names):
    ev = rec.get("events")
    return {k: np.asarray(ev[k]).tolist() for k in names}


def one_neuron(nest):
    """A neuron driven by I_e, changed between runs (parameter and state)."""
    nest.ResetKernel()
    nest.resolution = 0.1
    neuron = nest.Create("iaf_psc_delta")
    neuron.I_e = 376.0
    vm = nest.Create("voltmeter")
    sr = nest.Create("spike_recorder")
    nest.Connect(vm, neuron)
    nest.Connect(neuron, sr)
    nest.Simulate(300.0)
    first = sr.n_events
    neuron.set(I_e=500.0, tau_m=12.0)
    nest.Simulate(200.0)
    neuron.V_m = -60.0
    neuron.set({"V_th": -52.0, "E_L": -68.0})
    nest.Simulate(200.5)
    out = {"first_n_events": int(first), "n_events": int(sr.n_events), "time": float(nest.biological_time),
           "V_m": float(neuron.V_m), "I_e": float(neuron.get("I_e"))}
    out.update(_events(sr, "senders", "times"))
    out["vm"] = _events(vm, "times", "V_m")
    return out


def two_neurons(nest):
    """Two neurons, one driving the other; a weight changed between runs; Create and Connect after
    Simulate."""
    nest.ResetKernel()
    n1 = nest.Create("iaf_psc_delta", params={"I_e": 376.0})
    n2 = nest.Create("iaf_psc_delta")
    nest.Connect(n1, n2, syn_spec={"weight": 20.0, "delay": 1.5})
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    nest.Connect(vm, n1 + n2)
    sr = nest.Create("spike_recorder")
    nest.Connect(n1 + n2, sr)
    nest.Simulate(250.0)
    conn = nest.GetConnections(n1, n2)
    conn.weight = 14.0
    nest.Simulate(250.0)
    n3 = nest.Create("iaf_psc_delta", params={"I_e": 420.0, "V_m": -62.0})
    nest.Connect(n3, n2, syn_spec={"weight": 9.0, "delay": 1.2})
    nest.Connect(n3, sr)
    nest.Simulate(250.0)
    out = _events(sr, "senders", "times")
    out["vm"] = _events(vm, "times", "senders", "V_m")
    out["weights"] = [float(w) for w in nest.GetConnections(source=n1 + n3, target=n2).weight]
    out["num_connections"] = int(nest.GetDefaults("static_synapse")["num_connections"])
    out["network_size"] = int(nest.network_size)
    out["min_delay"] = float(nest.min_delay)
    out["max_delay"] = float(nest.max_delay)
    out["V_m"] = [float(v) for v in (n1 + n2 + n3).V_m]
    return out


def repeated_stimulation(nest):
    """A spike_generator's origin moved each trial (NEST's repeated-stimulation idiom), a recorder's
    window and n_events changed between trials, a dc_generator's amplitude changed."""
    nest.ResetKernel()
    trial = 50.0
    sg = nest.Create("spike_generator", params={"spike_times": [1.0, 4.0, 4.5, 20.0], "start": 0.0, "stop": 30.0})
    pg_like = nest.Create("dc_generator", params={"amplitude": 100.0})
    n = nest.Create("iaf_psc_delta", 2)
    nest.Connect(sg, n, syn_spec={"weight": 8.0})
    nest.Connect(pg_like, n[1])
    sr = nest.Create("spike_recorder")
    parrot = nest.Create("parrot_neuron")
    nest.Connect(sg, parrot)
    nest.Connect(parrot, sr)
    vm = nest.Create("voltmeter", params={"interval": 1.0})
    nest.Connect(vm, n)
    counts = []
    for k in range(4):
        sg.origin = k * trial
        if k == 2:
            pg_like.amplitude = 250.0
            sr.n_events = 0
            sg.spike_times = [2.0, 3.0]
        if k == 3:
            vm.stop = k * trial + 30.0
        nest.Simulate(trial)
        counts.append(int(sr.n_events))
    out = _events(sr, "senders", "times")
    out["counts"] = counts
    out["vm"] = _events(vm, "times", "senders", "V_m")
    return out


def poisson_trials(nest):
    """poisson_generator windows moved by origin between runs: every trial gets input (statistical)."""
    nest.ResetKernel()
    nest.rng_seed = 12345
    pg = nest.Create("poisson_generator", params={"rate": 2000.0, "start": 0.0, "stop": 100.0})
    parrots = nest.Create("parrot_neuron", 20)
    sr = nest.Create("spike_recorder")
    nest.Connect(pg, parrots)
    nest.Connect(parrots, sr)
    counts = []
    for k in range(3):
        pg.origin = k * 200.0
        if k == 2:
            pg.rate = 4000.0
        before = sr.n_events
        nest.Simulate(200.0)
        counts.append(int(sr.n_events - before))
    return {"counts": counts}


def ascii_files(nest):
    """record_to "ascii": file names and contents as NEST writes them (label, time_in_steps, a multimeter),
    over two Simulate calls, and the recorders' n_events (counted as with "memory", emptied by n_events = 0)."""
    import os
    import tempfile

    nest.ResetKernel()
    with tempfile.TemporaryDirectory() as where:
        nest.data_path = where
        nest.data_prefix = "run1_"
        nest.overwrite_files = True
        n = nest.Create("iaf_psc_delta", 2, params={"I_e": [400.0, 450.0]})
        sr = nest.Create("spike_recorder", params={"record_to": "ascii"})
        sr2 = nest.Create("spike_recorder", params={"record_to": "ascii", "label": "steps", "time_in_steps": True})
        mm = nest.Create("multimeter", params={"record_to": "ascii", "record_from": ["V_m"], "interval": 5.0})
        nest.Connect(n, sr)
        nest.Connect(n, sr2)
        nest.Connect(mm, n)
        nest.Simulate(60.0)
        counts = [int(r.n_events) for r in (sr, sr2, mm)]  # NEST counts events of every backend
        sr.n_events = 0
        nest.Simulate(40.0)
        counts += [int(r.n_events) for r in (sr, sr2, mm)]
        files = {}
        for name in sorted(os.listdir(where)):
            with open(os.path.join(where, name)) as f:
                files[name] = f.read().splitlines()
        nest.ResetKernel()
    return {"files": files, "n_events": counts}




def plastic_changes(nest):
    """stdp_synapse connections changed between runs (Wmax, tau_plus, lambda, alpha, Kplus, the delay of a
    plastic and of a static connection), weights of generator connections changed, then Create and Connect
    after Simulate in the plastic network (a new plastic connection from a new neuron)."""
    nest.ResetKernel()
    nest.resolution = 0.1
    pre = nest.Create("iaf_psc_alpha", 2, params={"I_e": [450.0, 470.0]})
    post = nest.Create("iaf_psc_alpha", params={"I_e": 300.0})
    sg = nest.Create("spike_generator", params={"spike_times": [5.0, 30.0, 31.0, 80.0, 150.0, 260.0, 330.0,
                                                                 400.0, 520.0, 555.0]})
    dc = nest.Create("dc_generator", params={"amplitude": 40.0})
    nest.Connect(pre, post, syn_spec={"synapse_model": "stdp_synapse", "weight": 60.0, "delay": 1.5, "Wmax": 150.0})
    nest.Connect(pre[0], pre[1], syn_spec={"weight": 30.0, "delay": 2.0})
    nest.Connect(sg, post, syn_spec={"weight": 300.0})
    nest.Connect(dc, post)
    sr = nest.Create("spike_recorder")
    nest.Connect(pre + post, sr)
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    nest.Connect(vm, post)
    nest.Simulate(200.0)
    plastic = nest.GetConnections(pre, post)
    out = {"w1": [float(w) for w in plastic.weight]}
    plastic[0].set(Wmax=90.0, tau_plus=15.0, delay=1.0)
    plastic[1].set({"lambda": 0.05, "alpha": 0.8})
    nest.GetConnections(pre[0], pre[1]).delay = 1.2
    nest.GetConnections(sg, post).weight = 250.0
    nest.GetConnections(dc, post).weight = 3.0
    nest.Simulate(200.0)
    out["w2"] = [float(w) for w in plastic.weight]
    out["kplus2"] = [float(k) for k in plastic.Kplus]
    plastic[1].Kplus = 0.5
    new = nest.Create("iaf_psc_alpha", params={"I_e": 480.0})
    nest.Connect(new, post, syn_spec={"synapse_model": "stdp_synapse", "weight": 50.0, "delay": 1.0})
    nest.Connect(pre[1], new, syn_spec={"weight": 5.0})
    nest.Connect(new, sr)
    nest.Simulate(200.0)
    out.update(_events(sr, "senders", "times"))
    out["vm"] = _events(vm, "times", "senders", "V_m")
    conns = nest.GetConnections(pre + new, post)
    out["w3"] = [float(w) for w in conns.weight]
    out["kplus3"] = [float(k) for k in conns.Kplus]
    out["Wmax"] = [float(k) for k in conns.Wmax]
    out["tau_plus"] = [float(k) for k in conns.tau_plus]
    out["delay"] = [float(k) for k in conns.delay]
    out["num_connections"] = int(nest.num_connections)
    return out


def first_plastic_input(nest):
    """A neuron that gets its first plastic input after Simulate, in a network that already had plastic
    synapses elsewhere: NEST archives its spikes (and K-) only from then on."""
    nest.ResetKernel()
    a = nest.Create("iaf_psc_alpha", params={"I_e": 450.0})
    b = nest.Create("iaf_psc_alpha", params={"I_e": 420.0})
    nest.Connect(a, b, syn_spec={"weight": 20.0})
    d = nest.Create("iaf_psc_alpha")
    nest.Connect(a, d, syn_spec={"synapse_model": "stdp_synapse", "weight": 5.0})
    sr = nest.Create("spike_recorder")
    nest.Connect(a + b, sr)
    nest.Simulate(150.0)
    c = nest.Create("iaf_psc_alpha", params={"I_e": 460.0})
    nest.Connect(c, b, syn_spec={"synapse_model": "stdp_synapse", "weight": 30.0, "delay": 1.0})
    nest.Connect(c, sr)
    nest.Simulate(250.0)
    out = _events(sr, "senders", "times")
    out["weights"] = [float(w) for w in nest.GetConnections(a + c, b + d, synapse_model="stdp_synapse").weight]
    return out


def triplet_after_simulate(nest):
    """stdp_triplet_synapse between driven neurons (per-connection Kplus, Kplus_triplet; the target's own
    tau_minus_triplet), its weights and traces read between runs, then a neuron created and connected by a new
    triplet connection after Simulate: the traces and the triplet archive carry over."""
    nest.ResetKernel()
    nest.resolution = 0.1
    pre = nest.Create("iaf_psc_alpha", 2, params={"I_e": [450.0, 470.0]})
    post = nest.Create("iaf_psc_alpha", params={"I_e": 340.0, "tau_minus": 25.0, "tau_minus_triplet": 90.0})
    syn = {"synapse_model": "stdp_triplet_synapse", "weight": 200.0, "delay": 1.5, "Wmax": 400.0, "Aplus": 0.5,
           "Aminus": 0.6, "Aplus_triplet": 0.3, "Aminus_triplet": 0.05}
    nest.Connect(pre[0], post, syn_spec=dict(syn, Kplus=0.5, Kplus_triplet=0.2))
    nest.Connect(pre[1], post, syn_spec=dict(syn, Kplus=1.0))
    sr = nest.Create("spike_recorder")
    nest.Connect(pre + post, sr)
    nest.Simulate(300.0)
    plastic = nest.GetConnections(pre, post)
    out = {"w1": [float(w) for w in plastic.weight], "k1": [float(k) for k in plastic.Kplus_triplet]}
    new = nest.Create("iaf_psc_alpha", params={"I_e": 480.0})
    nest.Connect(new, post, syn_spec=dict(syn, weight=150.0, delay=1.0))
    nest.Connect(new, sr)
    nest.Simulate(300.0)
    out.update(_events(sr, "senders", "times"))
    conns = nest.GetConnections(pre + new, post)
    out["w2"] = [float(w) for w in conns.weight]
    out["kplus2"] = [float(k) for k in conns.Kplus]
    out["ktriplet2"] = [float(k) for k in conns.Kplus_triplet]
    return out


def plastic_from_evolved_source(nest):
    """New stdp_synapse connections after Simulate from a neuron whose plastic connections carry an evolved
    K+ (one onto a new target, one more onto an old target), and one old connection's Kplus set to another
    value: NEST gives every synapse its own K+ (the new ones start at 0), the old ones keep theirs."""
    nest.ResetKernel()
    nest.resolution = 0.1
    a = nest.Create("iaf_psc_alpha", params={"I_e": 500.0})
    b = nest.Create("iaf_psc_alpha", params={"I_e": 380.0})
    d = nest.Create("iaf_psc_alpha", params={"I_e": 370.0})
    syn = {"synapse_model": "stdp_synapse", "weight": 60.0, "delay": 1.5, "Wmax": 200.0}
    nest.Connect(a, b + d, syn_spec=syn)
    sr = nest.Create("spike_recorder")
    nest.Connect(a + b + d, sr)
    nest.Simulate(150.0)
    old = nest.GetConnections(a, b + d)
    out = {"kplus1": [float(k) for k in old.Kplus], "w1": [float(w) for w in old.weight]}
    c = nest.Create("iaf_psc_alpha", params={"I_e": 360.0})
    nest.Connect(a, c, syn_spec=dict(syn, weight=80.0))
    nest.Connect(a, b, syn_spec=dict(syn, weight=40.0, delay=1.0))
    nest.Connect(c, sr)
    new = nest.GetConnections(a, b + c)
    out["kplus_new"] = [float(k) for k in new.Kplus]
    old[1].Kplus = 0.3
    nest.Simulate(250.0)
    out.update(_events(sr, "senders", "times"))
    conns = nest.GetConnections(a, b + c + d)
    out["source"] = [int(x) for x in conns.source]
    out["target"] = [int(x) for x in conns.target]
    out["delay"] = [float(x) for x in conns.delay]
    out["w2"] = [float(w) for w in conns.weight]
    out["kplus2"] = [float(k) for k in conns.Kplus]
    return out


def stdp_dopamine_set(nest):
    """stdp_dopamine_synapse between parrots, dopamine through a volume_transmitter; the connection's c and
    n set between two runs: GetConnections' weight, c, n, Kplus after each run, the weight_recorder's events
    and the connection into the transmitter."""
    nest.ResetKernel()
    sg_pre = nest.Create("spike_generator", params={"spike_times": [10.0, 30.0, 50.0, 52.0]})
    sg_post = nest.Create("spike_generator", params={"spike_times": [12.0, 28.0, 55.0]})
    sg_d = nest.Create("spike_generator", params={"spike_times": [5.0, 20.0, 21.0, 40.0]})
    pre, post, dn = nest.Create("parrot_neuron"), nest.Create("parrot_neuron"), nest.Create("parrot_neuron")
    vt = nest.Create("volume_transmitter")
    wr = nest.Create("weight_recorder")
    nest.Connect(sg_pre, pre)
    nest.Connect(sg_post, post)
    nest.Connect(sg_d, dn)
    nest.Connect(dn, vt)
    nest.CopyModel("stdp_dopamine_synapse", "dopa", {"volume_transmitter": vt, "weight_recorder": wr})
    nest.Connect(pre, post, syn_spec={"synapse_model": "dopa", "weight": 35.0})
    keys = ["weight", "c", "n", "Kplus"]
    nest.Simulate(30.0)
    c = nest.GetConnections(synapse_model="dopa")
    out = {"after_30": {k: float(v) for k, v in c.get(keys).items()}}
    c.set({"c": 1.0, "n": 0.5})
    nest.Simulate(70.0)
    out["after_100"] = {k: float(v) for k, v in c.get(keys).items()}
    out.update(_events(wr, "weights", "times"))
    into = nest.GetConnections(target=vt).get()
    out["into_transmitter"] = [int(into["source"]), int(into["target"]), str(into["synapse_model"])]
    return out


def spike_weights_at_create(nest):
    """A spike_generator created with spike_times, spike_weights and spike_multiplicities in one params
    dict (and one per node in a list), driving neurons: their V_m."""
    nest.ResetKernel()
    sg = nest.Create("spike_generator", params={"spike_times": [2.0, 4.0, 4.5], "spike_weights": [30.0, -12.0, 20.0],
                                                "spike_multiplicities": [1, 2, 3]})
    sgs = nest.Create("spike_generator", 2, params=[{"spike_times": [3.0], "spike_weights": [50.0]},
                                                    {"spike_times": [1.0, 6.0], "spike_weights": [7.0, 9.0]}])
    n = nest.Create("iaf_psc_delta", 3)
    nest.Connect(sg, n[0], syn_spec={"weight": 2.0})
    nest.Connect(sgs, n[1:], "one_to_one")
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    nest.Connect(vm, n)
    nest.Simulate(10.0)
    return {"vm": _events(vm, "times", "senders", "V_m")}


def mixed_generators_recorded(nest):
    """Generators of several models in one Connect call: into one spike_recorder (its events) and into
    neurons (their V_m)."""
    nest.ResetKernel()
    sg = nest.Create("spike_generator", params={"spike_times": [1.0, 2.5, 7.0]})
    pp = nest.Create("pulsepacket_generator", params={"pulse_times": [5.0, 15.0], "activity": 3, "sdev": 0.0})
    sg2 = nest.Create("spike_generator", params={"spike_times": [4.0]})
    n = nest.Create("iaf_psc_delta", 2)
    sr = nest.Create("spike_recorder")
    vm = nest.Create("voltmeter", params={"interval": 0.5})
    nest.Connect(sg + pp + sg2, sr)
    nest.Connect(sg + pp + sg2, n, syn_spec={"weight": 3.0, "delay": 1.5})
    nest.Connect(vm, n)
    nest.Simulate(20.0)
    out = _events(sr, "senders", "times")
    out["vm"] = _events(vm, "times", "senders", "V_m")
    return out


def plastic_set_pending_facilitation(nest):
    """Plastic connections set between runs while a facilitation is pending (the target fired after the
    source's last spike): lambda/eta set to 0 on two connections, the weight on two others. NEST
    facilitates lazily at the next presynaptic spike, with the parameters and weight as set."""
    nest.ResetKernel()
    pre = nest.Create("iaf_psc_alpha", params={"I_e": 377.0})  # slow source
    post = nest.Create("iaf_psc_alpha", 4, params={"I_e": 600.0})  # fast targets
    nest.CopyModel("vogels_sprekeler_synapse", "vs", {"weight": -1.0, "Wmax": -200.0, "eta": 0.5})
    stdp = {"synapse_model": "stdp_synapse", "weight": 50.0, "Wmax": 200.0}
    nest.Connect(pre, post[0], syn_spec=stdp)
    nest.Connect(pre, post[1], syn_spec=stdp)
    nest.Connect(pre, post[2], syn_spec={"synapse_model": "vs", "weight": -50.0})
    nest.Connect(pre, post[3], syn_spec={"synapse_model": "vs", "weight": -50.0})
    nest.Simulate(300.0)
    c = [nest.GetConnections(pre, post[k]) for k in range(4)]
    w1 = [float(x.weight) for x in c]
    c[0].set({"lambda": 0.0})
    c[1].weight = 50.0
    c[2].set(eta=0.0)
    c[3].weight = -50.0
    nest.Simulate(200.0)
    return {"w1": w1, "w2": [float(x.weight) for x in c]}


def delay_bounds(nest):
    """The kernel's min_delay and max_delay as a script builds its network: before any connection, after
    connections of several delays, with recorders only, with a generator recorded by a spike_recorder."""
    out = []
    nest.ResetKernel()
    out.append([nest.min_delay, nest.max_delay])
    nest.ResetKernel()
    nest.resolution = 0.05
    out.append([nest.min_delay, nest.max_delay])
    n = nest.Create("iaf_psc_alpha", 2)
    out.append([nest.min_delay, nest.max_delay])
    nest.Connect(n[0], n[1], syn_spec={"delay": 2.5})
    out.append([nest.min_delay, nest.max_delay])
    nest.Connect(n[1], n[0], syn_spec={"delay": 0.5})
    out.append([nest.min_delay, nest.max_delay])
    nest.ResetKernel()
    nest.resolution = 0.25
    n = nest.Create("iaf_psc_alpha", 2)
    nest.Connect(n, nest.Create("spike_recorder"))
    out.append([nest.min_delay, nest.max_delay])
    nest.ResetKernel()
    nest.resolution = 0.25
    nest.Connect(nest.Create("spike_generator", params={"spike_times": [1.0]}), nest.Create("spike_recorder"))
    out.append([nest.min_delay, nest.max_delay])
    return {"bounds": out}


def step_current_held_over_rebuild(nest):
    """A step_current_generator's times changed between runs while the network grows (a neuron created and
    connected: a rebuild): the amplitude it holds continues until its first new time, as in NEST."""
    nest.ResetKernel()
    n = nest.Create("iaf_psc_exp")
    scg = nest.Create("step_current_generator", params={"amplitude_times": [10.0, 30.0],
                                                         "amplitude_values": [200.0, 500.0]})
    nest.Connect(scg, n)
    vm = nest.Create("voltmeter", params={"interval": 1.0})
    nest.Connect(vm, n)
    nest.Simulate(60.0)
    scg.set(amplitude_times=[70.0, 90.0], amplitude_values=[600.0, 0.0])
    m = nest.Create("iaf_psc_exp", params={"I_e": 400.0})
    nest.Connect(m, n, syn_spec={"weight": 50.0})
    nest.Connect(scg, m)
    nest.Simulate(50.0)
    return {"vm": _events(vm, "times", "senders", "V_m"), "V_m": [float(v) for v in (n + m).V_m]}


def plastic_set_between_runs(nest):
    """Ten source-target pairs, each through its own plastic connection, set between runs while a facilitation
    is pending (each target fired once or twice after its source's last spike): stdp_synapse's lambda, weight,
    Wmax and tau_plus, stdp_nn_symm_synapse's lambda, weight and Wmax, stdp_nn_pre_centered_synapse's weight,
    and a copy of stdp_synapse_hom's lambda (SetDefaults). NEST facilitates at the next presynaptic spike, from
    the weight and with the parameters set."""
    nest.ResetKernel()
    pre = nest.Create("iaf_psc_alpha", 10, params={"I_e": 500.0})
    post = nest.Create("iaf_psc_alpha", 10, params={"I_e": 600.0, "tau_minus": 15.0})
    pre.V_m = [-70.0 + 1.9 * k for k in range(10)]
    post.V_m = [-69.0 + 1.3 * k for k in range(10)]
    nest.CopyModel("stdp_synapse_hom", "hom", {"lambda": 0.05, "Wmax": 100.0})
    rules = ["stdp_synapse"] * 4 + ["stdp_nn_symm_synapse"] * 3 + ["stdp_nn_pre_centered_synapse"]
    for k, model in enumerate(rules):
        nest.Connect(pre[k], post[k], syn_spec={"synapse_model": model, "weight": 40.0, "Wmax": 100.0,
                                                "delay": 2.0, "lambda": 0.05})
    nest.Connect(pre[8:], post[8:], "one_to_one", syn_spec={"synapse_model": "hom", "weight": 40.0, "delay": 2.0})
    nest.Simulate(215.0)
    c = [nest.GetConnections(pre[k], post[k]) for k in range(10)]
    w1 = [float(x.weight) for x in c]
    sets = [{"lambda": 0.2}, {"weight": 60.0}, {"Wmax": 70.0}, {"tau_plus": 40.0},
            {"lambda": 0.01}, {"weight": 25.0}, {"Wmax": 55.0}, {"weight": 30.0}]
    for x, s in zip(c, sets):
        x.set(s)
    nest.SetDefaults("hom", {"lambda": 0.3})
    nest.Simulate(100.0)
    return {"w1": w1, "w2": [float(x.weight) for x in c],
            "Kplus": [float(c[k].get("Kplus")) for k in (0, 1, 2, 3, 7, 8, 9)]}


def plastic_set_between_runs_more_rules(nest):
    """plastic_set_between_runs for the other rules, in one network: vogels_sprekeler_synapse's eta and weight,
    stdp_triplet_synapse's weight and Aplus_triplet, stdp_nn_restr_synapse's lambda and weight, a copy of
    stdp_pl_synapse_hom's weight and lambda (SetDefaults), and a stdp_synapse's mu_plus."""
    nest.ResetKernel()
    pre = nest.Create("iaf_psc_alpha", 8, params={"I_e": 500.0})
    post = nest.Create("iaf_psc_alpha", 8, params={"I_e": 600.0, "tau_minus": 15.0})
    pre.V_m = [-70.0 + 1.9 * k for k in range(8)]
    post.V_m = [-69.0 + 1.3 * k for k in range(8)]
    nest.CopyModel("stdp_pl_synapse_hom", "pl", {"lambda": 0.05})
    vs = {"weight": 40.0, "Wmax": 100.0, "eta": 0.5}
    triplet = {"weight": 40.0, "Wmax": 100.0, "Aplus": 0.5}
    nn = {"weight": 40.0, "Wmax": 100.0, "lambda": 0.05}
    specs = [("vogels_sprekeler_synapse", vs, {"eta": 2.0}), ("vogels_sprekeler_synapse", vs, {"weight": 60.0}),
             ("stdp_triplet_synapse", triplet, {"weight": 20.0}),
             ("stdp_triplet_synapse", triplet, {"Aplus_triplet": 1.0}),
             ("stdp_nn_restr_synapse", nn, {"lambda": 0.3}), ("stdp_nn_restr_synapse", nn, {"weight": 20.0}),
             ("pl", {"weight": 40.0}, {"weight": 20.0}), ("stdp_synapse", nn, {"mu_plus": 0.5})]
    for k, (model, p, _) in enumerate(specs):
        nest.Connect(pre[k], post[k], syn_spec={"synapse_model": model, "delay": 2.0, **p})
    nest.Simulate(215.0)
    c = [nest.GetConnections(pre[k], post[k]) for k in range(8)]
    w1 = [float(x.weight) for x in c]
    for x, (_, _, s) in zip(c, specs):
        x.set(s)
    nest.SetDefaults("pl", {"lambda": 0.2})
    nest.Simulate(100.0)
    return {"w1": w1, "w2": [float(x.weight) for x in c]}


def recorder_windows_between_runs(nest):
    """Multimeters' and a spike_recorder's start, stop and origin changed between runs, one run ending inside a
    min_delay slice: NEST hands a multimeter a slice's samples at the next slice, through the window it has
    then, so a run's last slice is filtered by the next run's window."""
    nest.ResetKernel()
    n = nest.Create("iaf_psc_delta", params={"I_e": 1000.0})
    nest.Connect(n, nest.Create("iaf_psc_delta"), syn_spec={"delay": 2.0})
    first = [{}, {"start": 15.0}, {"stop": 9.0}, {"origin": 20.0}, {}, {"interval": 0.3}]
    then = [{"stop": 9.5}, {"start": 9.5}, {"stop": 30.0}, {"origin": 0.0}, {"origin": 5.0, "stop": 4.6},
            {"start": 9.7, "stop": 25.0}]
    again = [{"stop": 1000.0}, {"start": 19.2}, {"stop": 19.6}, {"origin": 1.0}, {"stop": 100.0}, {"stop": 19.0}]
    mms = [nest.Create("multimeter", params={"interval": 0.1, "record_from": ["V_m"], **p}) for p in first]
    sr = nest.Create("spike_recorder", params={"stop": 5.0})
    for mm in mms:
        nest.Connect(mm, n)
    nest.Connect(n, sr)
    nest.Simulate(10.5)
    for mm, p in zip(mms, then):
        mm.set(p)
    sr.set(stop=12.0)
    nest.Simulate(9.5)
    for mm, p in zip(mms, again):
        mm.set(p)
    sr.set(start=15.0, stop=30.0)
    nest.Simulate(5.0)
    return {"mm": [_events(mm, "times", "V_m") for mm in mms], "sr": _events(sr, "times")}


def plastic_set_after_many_post_spikes(nest):
    """Plastic connections set between runs while a facilitation is pending by far more post spikes than a max
    delay holds (sources silent for 300 ms, targets firing every 2.7-10 ms, delays of 2 and 20 ms): stdp_synapse's
    lambda, weight and mu_plus, stdp_nn_symm_synapse's weight, vogels_sprekeler_synapse's eta,
    stdp_triplet_synapse's weight and Aplus_triplet, then one more run with the sources' next spikes; the weights
    before the set, after the set and after the sources' spikes."""
    nest.ResetKernel()
    pre = nest.Create("parrot_neuron", 2)
    nest.Connect(nest.Create("spike_generator", params={"spike_times": [1.0, 330.0, 331.0]}), pre[0])
    nest.Connect(nest.Create("spike_generator", params={"spike_times": [2.0, 300.0, 480.0]}), pre[1])
    post = nest.Create("iaf_psc_alpha", 4, params=[{"I_e": i} for i in (2000.0, 1200.0, 600.0, 2500.0)])
    stdp = {"synapse_model": "stdp_synapse", "weight": 10.0, "Wmax": 100.0}
    nest.Connect(pre[0], post[0], syn_spec=dict(stdp, delay=20.0))
    nest.Connect(pre[0], post[1], syn_spec=dict(stdp, delay=2.0))
    nest.Connect(pre[1], post[0], syn_spec={"synapse_model": "stdp_nn_symm_synapse", "weight": 5.0, "delay": 20.0})
    nest.Connect(pre[1], post[2], syn_spec={"synapse_model": "vogels_sprekeler_synapse", "weight": -5.0,
                                            "Wmax": -100.0, "delay": 7.0})
    nest.Connect(pre[0], post[3], syn_spec=dict(stdp, delay=15.0))
    nest.Connect(pre[1], post[3], syn_spec={"synapse_model": "stdp_triplet_synapse", "weight": 5.0, "delay": 12.0})
    nest.Simulate(150.0)
    nest.Simulate(150.0)
    c = [nest.GetConnections(pre[k], post[j]) for k, j in ((0, 0), (0, 1), (1, 0), (1, 2), (0, 3), (1, 3))]
    w1 = [float(x.weight) for x in c]
    c[0].set({"lambda": 0.05, "weight": 20.0})
    c[1].weight = 30.0
    c[2].weight = 12.0
    c[3].set(eta=0.05)
    c[4].set({"mu_plus": 0.0})
    c[5].set({"weight": 8.0, "Aplus_triplet": 0.01})
    nest.Simulate(100.0)
    w2 = [float(x.weight) for x in c]
    nest.Simulate(200.0)
    return {"w1": w1, "w2": w2, "w3": [float(x.weight) for x in c]}


def stdp_dopamine_set_pending(nest):
    """stdp_dopamine_synapse with post spikes pending (after the last pre spike and the last dopamine spike)
    when three connections' weight, Kplus and c are set between runs, and later (post spikes pending again) the
    model's A_plus, A_minus, tau_c, tau_n, b and Wmax (SetDefaults); the weights, c and n after each run."""
    nest.ResetKernel()
    sg_pre = nest.Create("spike_generator", params={"spike_times": [10.0, 30.0, 50.0, 90.0, 130.0]})
    sg_post = nest.Create("spike_generator", params={"spike_times": [12.0, 33.0, 36.0, 41.0, 45.0, 95.0, 99.0]})
    sg_d = nest.Create("spike_generator", params={"spike_times": [5.0, 20.0, 32.0, 70.0, 120.0]})
    pre, dn = nest.Create("parrot_neuron"), nest.Create("parrot_neuron")
    post = nest.Create("parrot_neuron", 3)
    vt = nest.Create("volume_transmitter")
    nest.Connect(sg_pre, pre)
    nest.Connect(sg_post, post)
    nest.Connect(sg_d, dn)
    nest.Connect(dn, vt)
    nest.CopyModel("stdp_dopamine_synapse", "dopa", {"volume_transmitter": vt, "A_plus": 0.5, "A_minus": 0.3})
    nest.Connect(pre, post, syn_spec={"synapse_model": "dopa", "weight": 35.0, "delay": 1.0})
    keys = ["weight", "c", "n"]
    nest.Simulate(47.0)
    c = nest.GetConnections(synapse_model="dopa")
    out = {"after_47": {k: [float(v) for v in c.get(k)] for k in keys}}
    c[0].set({"weight": 50.0})
    c[1].set({"Kplus": 2.0})
    c[2].set({"weight": 20.0, "c": 0.5})
    nest.Simulate(53.0)
    out["after_100"] = {k: [float(v) for v in c.get(k)] for k in keys}
    nest.SetDefaults("dopa", {"A_plus": 2.0, "A_minus": 1.0, "tau_c": 500.0, "tau_n": 50.0, "b": 0.1,
                              "Wmax": 60.0})
    nest.Simulate(60.0)
    out["after_160"] = {k: [float(v) for v in c.get(k)] for k in keys}
    return out


SCRIPTS = {"ascii_files": ascii_files, "one_neuron": one_neuron, "two_neurons": two_neurons, "repeated_stimulation": repeated_stimulation,
           "poisson_trials": poisson_trials, "plastic_changes": plastic_changes,
           "first_plastic_input": first_plastic_input,
           "triplet_after_simulate": triplet_after_simulate, "plastic_from_evolved_source": plastic_from_evolved_source,
           "stdp_dopamine_set": stdp_dopamine_set, "spike_weights_at_create": spike_weights_at_create,
           "mixed_generators_recorded": mixed_generators_recorded,
           "plastic_set_pending_facilitation": plastic_set_pending_facilitation, "delay_bounds": delay_bounds,
           "step_current_held_over_rebuild": step_current_held_over_rebuild,
           "plastic_set_between_runs": plastic_set_between_runs,
           "recorder_windows_between_runs": recorder_windows_between_runs,
           "plastic_set_between_runs_more_rules": plastic_set_between_runs_more_rules,
           "plastic_set_after_many_post_spikes": plastic_set_after_many_post_spikes,
           "stdp_dopamine_set_pending": stdp_dopamine_set_pending}

