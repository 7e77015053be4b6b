"""PyNEST scripts for NEST's calcium trace ``Ca`` (``tests/test_calcium.py``): each takes a ``nest`` module (NEST
3.10's or ``jaxsnn.nest``) and returns what it observed as plain values, floats as ``float.hex`` strings (the
test compares bits).

``tests/reference/tools/nest_calcium.py`` runs them in NEST 3.10 and stores the results in
``tests/reference/pynest_cases/calcium_*.json``.
"""


def _ca(nodes) -> list:
    return [float(x).hex() for x in nodes.get("Ca", output="pandas")["Ca"]] if len(nodes) > 1 else \
        [float(nodes.get("Ca")).hex()]


def dc_runs(nest, resolution=0.1):
    """:func:`_dc_runs`' observations."""
    return _dc_runs(nest, resolution)[0]


def _dc_runs(nest, resolution):
    """Two neurons driven by a DC generator over runs of odd lengths (ending inside min_delay slices, a run of
    0 ms); tau_Ca and beta_Ca given by SetDefaults, Create and CopyModel, set by SetStatus between runs, Ca set
    between runs."""
    nest.ResetKernel()
    nest.resolution = resolution
    nest.SetDefaults("iaf_psc_delta", {"tau_Ca": 250.0})
    nest.CopyModel("iaf_psc_delta", "fast_ca", {"tau_Ca": 20.0, "beta_Ca": 0.05})
    a = nest.Create("iaf_psc_delta", params={"beta_Ca": 0.125})
    b = nest.Create("fast_ca")
    dc = nest.Create("dc_generator", params={"amplitude": 900.0})
    nest.Connect(dc, a + b)
    seen = {"defaults": [nest.GetDefaults("iaf_psc_delta", k) for k in ("Ca", "tau_Ca", "beta_Ca")],
            "created": [list(a.get(["Ca", "tau_Ca", "beta_Ca"]).values()), list(b.get(["tau_Ca", "beta_Ca"]).values())]}
    out = []
    for t in (7.3, 0.0, 25.05 if resolution == 0.05 else 25.0, 1.0):
        nest.Simulate(t)
        out.append(_ca(a + b))
    a.set({"tau_Ca": 3.5, "beta_Ca": 0.5})
    b.Ca = 0.75
    nest.Simulate(13.3)
    out.append(_ca(a + b))
    seen["runs"] = out
    seen["set"] = [list(a.get(["tau_Ca", "beta_Ca"]).values()), float(b.get("Ca")).hex()]
    return seen, a, b


def dc_runs_fine(nest):
    """:func:`dc_runs` at a resolution of 0.05 ms."""
    return dc_runs(nest, 0.05)


def created_between_runs(nest):
    """:func:`dc_runs`, then a neuron created with a Ca and connected (the network is rebuilt), Prepare, Run,
    Run, Cleanup, Simulate."""
    seen, a, b = _dc_runs(nest, 0.1)
    c = nest.Create("iaf_psc_delta", params={"I_e": 1200.0, "Ca": 0.25})
    nest.Connect(a, c, syn_spec={"weight": 5.0})
    out = []
    nest.Prepare()
    for t in (4.4, 10.0):
        nest.Run(t)
        out.append(_ca(a + b + c))
    nest.Cleanup()
    nest.Simulate(2.0)
    out.append(_ca(a + b + c))
    return {"runs": seen["runs"] + out}


def network(nest):
    """A small network: neurons driven by DC at several strengths with recurrent static and STDP connections (the
    STDP archive's path; their refractory time makes slices of 4 steps), neurons without a refractory time
    and parrots relaying a spike_generator's spikes with multiplicities (several spikes a slice: the engine's
    update a step), runs ending inside slices just after spikes; Ca of every neuron after each run."""
    nest.ResetKernel()
    nest.resolution = 0.1
    e = nest.Create("iaf_psc_alpha", 6, params={"t_ref": 0.3, "tau_Ca": 90.0,
                                                "I_e": [400.0, 600.0, 900.0, 1500.0, 2500.0, 4000.0]})
    f = nest.Create("iaf_psc_alpha", 2, params={"t_ref": 0.0, "I_e": [9000.0, 20000.0], "beta_Ca": 0.02})
    p = nest.Create("parrot_neuron", 2, params={"beta_Ca": 0.01})
    sg = nest.Create("spike_generator", params={"spike_times": [1.0, 2.5, 2.6, 7.1, 11.7, 13.8, 30.0, 44.4],
                                                "spike_multiplicities": [1, 3, 1, 2, 4, 1, 2, 5]})
    nest.Connect(sg, p, syn_spec={"delay": 2.0})
    nest.Connect(e[:-1], e[1:], "one_to_one", {"weight": 30.0, "delay": 2.0})
    nest.Connect(e[:2], e[3:] + f, syn_spec={"weight": -45.0, "delay": 2.5})
    nest.Connect(e[4:], e[:4], syn_spec={"synapse_model": "stdp_synapse", "weight": 50.0, "delay": 2.0})
    out = []
    for t in (13.7, 40.2, 0.1, 6.1):
        nest.Simulate(t)
        out.append(_ca(e + f + p))
    return {"runs": out}


def several_spikes_a_slice(nest):
    """:func:`network` without STDP (a faster compilation): slices of 4 steps, neurons spiking several times a slice,
    parrots' multiplicities, runs ending just after spikes."""
    nest.ResetKernel()
    nest.resolution = 0.1
    e = nest.Create("iaf_psc_delta", 2, params={"t_ref": 0.3, "I_e": [1500.0, 4000.0], "tau_Ca": [33.0, 7.0]})
    f = nest.Create("iaf_psc_delta", params={"t_ref": 0.0, "I_e": 20000.0, "beta_Ca": 0.02, "tau_Ca": 3.3})
    p = nest.Create("parrot_neuron", params={"beta_Ca": 0.01, "tau_Ca": 1.7})
    sg = nest.Create("spike_generator", params={"spike_times": [1.0, 2.5, 2.6, 11.7, 13.8],
                                                "spike_multiplicities": [1, 3, 1, 4, 2]})
    nest.Connect(sg, p, syn_spec={"delay": 2.0})
    nest.Connect(e[0], e[1], syn_spec={"weight": -30.0, "delay": 2.0})
    nest.Connect(e[1], e[0], syn_spec={"weight": -30.0, "delay": 2.0})
    out = []
    for t in (13.7, 3.5, 0.1):
        nest.Simulate(t)
        out.append(_ca(e + f + p))
    return {"runs": out}


def refusals(nest):
    """NEST's errors for a negative Ca and non-positive tau_Ca and beta_Ca (SetStatus, Create, SetDefaults)."""
    nest.ResetKernel()
    n = nest.Create("iaf_psc_exp")
    out = []
    for how, params in (("set", {"Ca": -0.5}), ("set", {"tau_Ca": 0.0}), ("set", {"beta_Ca": -1.0}),
                        ("create", {"tau_Ca": -2.0}), ("defaults", {"beta_Ca": 0.0})):
        try:
            if how == "set":
                n.set(params)
            elif how == "create":
                nest.Create("iaf_psc_exp", params=params)
            else:
                nest.SetDefaults("iaf_psc_exp", params)
            out.append(None)
        except Exception as err:  # noqa: BLE001 (NEST's error classes differ from jaxsnn's: compared by name)
            out.append(type(err).__name__)
    return {"errors": out, "after": list(n.get(["Ca", "tau_Ca", "beta_Ca"]).values())}


SCRIPTS = {"dc_runs": dc_runs, "dc_runs_fine": dc_runs_fine, "created_between_runs": created_between_runs,
           "network": network, "several_spikes_a_slice": several_spikes_a_slice, "refusals": refusals}
