"""NEST 3.10 reference cases for the models and devices beyond iaf_psc_delta, and a checker for them.

Run with a Python that has nest-simulator 3.10.0 installed:
    python nest_models.py write OUTDIR [PREFIX] # (re)make every case file below (named PREFIX…) into OUTDIR
    python nest_models.py check FILE_OR_DIR...  # re-run case files through NEST, report any difference
Each case holds the whole scenario (parameters, input spike times, generator settings, the seed where NEST
draws) and NEST's output; the schema is in tests/reference/README.md ("Cases made by nest_models.py").
Nothing here draws at replay time: random input trains are drawn by numpy once and stored in the case.
Case kinds are new names ("model", "stdp_multiplicity", "noise_stats", "recorder_pair", "validation") so
that the existing conformance test, which runs "neuron"/"stdp"/"network", does not pick them up.
"""
import json
import math
import os
import sys

import numpy as np

import nest

nest.set_verbosity("M_ERROR")
GENERATOR = "nest_models.py"
PSC_RECORDABLES = ["V_m", "I_syn_ex", "I_syn_in"]


def grid(t, dt):
    """Time t (ms) rounded to the resolution grid, as a short decimal."""
    return float(np.round(np.round(t / dt) * dt, 10))


def ms(x):
    return [round(float(v), 6) for v in x]


# ------------------------------------------------------------------ kind "model"

def run_model(case):
    """One neuron (or parrot) of case["model"] driven by spike generators and current generators,
    simulated in one or more Simulate calls (case["segments"]), recorded at every step."""
    dt = case["resolution"]
    nest.ResetKernel()
    nest.resolution = dt
    neuron = nest.Create(case["model"], params=case["params"])
    gens = []
    for cur in case.get("currents", []):
        g = nest.Create(cur["model"], params=cur["params"])
        nest.Connect(g, neuron, syn_spec={"weight": cur["weight"], "delay": cur["delay"],
                                          "receptor_type": cur.get("receptor_type", 0)})
        gens.append(g)
    for inp in case.get("inputs", []):
        sp = {"spike_times": inp["times"]}
        if "weights" in inp:
            sp["spike_weights"] = inp["weights"]
        if "multiplicities" in inp:
            sp["spike_multiplicities"] = inp["multiplicities"]
        sg = nest.Create("spike_generator", params=sp)
        nest.Connect(sg, neuron, syn_spec={"weight": inp.get("conn_weight", 1.0), "delay": inp["delay"],
                                           "receptor_type": inp.get("receptor_type", 0)})
    rec = case.get("recordables", [])
    mm = None
    if rec:
        mm = nest.Create("multimeter", params={"record_from": rec, "interval": dt})
        nest.Connect(mm, neuron)
    sr = nest.Create("spike_recorder")
    nest.Connect(neuron, sr)
    probe = None
    if "probe" in case:  # an iaf_psc_delta downstream of the neuron shows what the neuron's events carry
        pr = case["probe"]
        probe = nest.Create("iaf_psc_delta", params=pr.get("params", {}))
        nest.Connect(neuron, probe, syn_spec={"weight": pr["weight"], "delay": pr["delay"]})
        pmm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": dt})
        nest.Connect(pmm, probe)
    for seg in case["segments"]:
        for label, p in seg.get("set", {}).items():
            node = neuron if label == "neuron" else gens[int(label.removeprefix("current"))]
            node.set(p)
        nest.Simulate(seg["t"])
    out = dict(spike_times=ms(sr.get("events")["times"]))
    if mm is not None:
        ev = mm.get("events")
        out["times"] = ms(ev["times"])
        for r in rec:
            out[r] = [float(x) for x in ev[r]]
    if probe is not None:
        pev = pmm.get("events")
        out["probe_times"] = ms(pev["times"])
        out["probe_V_m"] = [float(x) for x in pev["V_m"]]
    return out


def model_case(name, model, params, t_sim, inputs=(), currents=(), note="", dt=0.1, segments=None,
               recordables=None, probe=None):
    if recordables is None:
        recordables = ["V_m"] if model == "iaf_psc_delta" else ([] if model == "parrot_neuron" else PSC_RECORDABLES)
    case = dict(kind="model", generator=GENERATOR, name=name, note=note, model=model, resolution=dt,
                t_sim=t_sim, params=dict(params), inputs=list(inputs), currents=list(currents),
                segments=segments or [dict(t=t_sim)], recordables=recordables)
    if probe:
        case["probe"] = probe
    assert abs(sum(s["t"] for s in case["segments"]) - t_sim) < 1e-9
    return case


# ------------------------------------------------------------------ kind "stdp_multiplicity"

def run_stdp(case):
    """An stdp_synapse_hom between two parrot neurons, as tools/nest_reference.py's stdp cases, but the
    spike generators may repeat a time (each repeat a separate event) so that parrots emit multiplicity > 1."""
    nest.ResetKernel()
    nest.resolution = case["resolution"]
    sg_pre = nest.Create("spike_generator", params={"spike_times": case["pre_input_times"]})
    sg_post = nest.Create("spike_generator", params={"spike_times": case["post_input_times"]})
    pre = nest.Create("parrot_neuron")
    post = nest.Create("parrot_neuron", params={"tau_minus": case["post_tau_minus"]})
    wr = nest.Create("weight_recorder")
    nest.CopyModel(case["synapse"], "plastic", dict(case["syn_params"], weight_recorder=wr))
    nest.Connect(sg_pre, pre, syn_spec={"delay": 1.0})
    nest.Connect(sg_post, post, syn_spec={"delay": 1.0})
    nest.Connect(pre, post, syn_spec={"synapse_model": "plastic", "weight": case["weight"],
                                      "delay": case["delay"], "receptor_type": 1})
    probe = nest.Create("iaf_psc_delta", params={"V_th": 1e6})
    nest.Connect(pre, probe, syn_spec={"synapse_model": "plastic", "weight": case["weight"], "delay": case["delay"]})
    pmm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": case["resolution"]})
    nest.Connect(pmm, probe)
    srp = nest.Create("spike_recorder"); srq = nest.Create("spike_recorder")
    nest.Connect(pre, srp); nest.Connect(post, srq)
    nest.Simulate(case["t_sim"])
    wev = wr.get("events")
    conn = nest.GetConnections(pre, post)
    pev = pmm.get("events")
    out = dict(
        pre_spike_times=ms(srp.get("events")["times"]), post_spike_times=ms(srq.get("events")["times"]),
        weight_recorder_times=ms(wev["times"]), weight_recorder_targets=[int(x) for x in wev["targets"]],
        weight_recorder_weights=[float(x) for x in wev["weights"]],
        final_weight=float(conn.weight), probe_times=ms(pev["times"]), probe_V_m=[float(x) for x in pev["V_m"]])
    if "Kplus" in conn.get():  # (the nearest-neighbour models without a trace have none)
        out["final_Kplus"] = float(conn.get("Kplus"))
    return out


# ------------------------------------------------------------------ kind "noise_stats"

def run_noise(case):
    """n_targets neurons of each model in case["models"] get one noise_generator; V_m of every neuron is
    recorded every `interval`; statistics across neurons (per time) are returned for every seed."""
    out = dict(seeds={})
    for seed in case["seeds"]:
        nest.ResetKernel()
        nest.resolution = case["resolution"]
        nest.rng_seed = seed
        ng = nest.Create("noise_generator", params=case["noise"])
        per_model = {}
        for model in case["models"]:
            pop = nest.Create(model, case["n_targets"], params=case["params"])
            nest.Connect(ng, pop, syn_spec={"delay": case["delay"]})
            mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": case["interval"]})
            nest.Connect(mm, pop)
            per_model[model] = (pop, mm)
        mmi = nest.Create("multimeter", params={"record_from": ["I"], "interval": case["resolution"]})
        nest.Connect(mmi, ng)
        nest.Simulate(case["t_sim"])
        res = {}
        for model, (pop, mm) in per_model.items():
            ev = mm.get("events")
            times = np.unique(ev["times"])
            v = np.full((len(times), len(pop)), np.nan)
            ti = np.searchsorted(times, ev["times"]); si = np.asarray(ev["senders"]) - pop[0].global_id
            v[ti, si] = ev["V_m"]
            res[model] = dict(times=ms(times), V_m_mean=[float(x) for x in v.mean(axis=1)],
                              V_m_var=[float(x) for x in v.var(axis=1, ddof=1)],
                              first_neuron_V_m=[float(x) for x in v[:, 0]])
            if len(pop) <= 5:
                res[model]["V_m_all"] = [[float(x) for x in v[:, j]] for j in range(len(pop))]
        iev = mmi.get("events")
        res["generator_I"] = dict(times=ms(iev["times"]), I=[float(x) for x in iev["I"]])
        out["seeds"][str(seed)] = res
    return out


def noise_expectation(case):
    """Analytic mean and variance of V_m for the linear (never spiking) neurons under NEST's drawing rule:
    one N(mean, std^2) amplitude per target, drawn in global steps s = 0, dt, 2dt, ... (the first active
    step), held for dt steps, sent at lag s with delay D, so it enters the membrane in steps s+D+1 ...
    (as I_0 / y0 for iaf_psc_delta and iaf_psc_exp: read at the end of step s+D, used from step s+D+1 on).
    Returned at the recorded times t = (k+1)h for step k, propagating the exact discrete linear recurrence
    (only an affine map per step, so mean and covariance with the current are exact)."""
    h = case["resolution"]; p = case["params"]; nz = case["noise"]
    tau_m, C_m, I_e, E_L = p.get("tau_m", 10.0), p.get("C_m", 250.0), p.get("I_e", 0.0), p.get("E_L", -70.0)
    V0 = p.get("V_m", E_L) - E_L
    D = round(case["delay"] / h)
    dts = round(nz.get("dt", 10 * h) / h)
    n_steps = round(case["t_sim"] / h)
    P22 = math.exp(-h / tau_m)
    P20 = tau_m / C_m * (1.0 - P22)
    # state: V (mean m, variance var), current in use c (mean mc, var vc), cov(V, c) = cv
    m, var, mc, vc, cv = V0, 0.0, 0.0, 0.0, 0.0
    means, variances = [], []
    for k in range(n_steps):
        # step k: V <- P22 V + P20 (I_e + c)
        m = P22 * m + P20 * (I_e + mc)
        var = P22 * P22 * var + P20 * P20 * vc + 2 * P22 * P20 * cv
        cv = P22 * cv + P20 * vc
        # end of step k: the current read for step k+1 was sent in step s = k - D
        s = k - D
        if s >= 0 and s % dts == 0:  # a fresh, independent draw replaces c
            mc, vc, cv = nz.get("mean", 0.0), nz.get("std", 0.0) ** 2, 0.0
        elif s < 0:
            mc, vc, cv = 0.0, 0.0, 0.0
        means.append(m + E_L); variances.append(var)
    return dict(times=[round((k + 1) * h, 6) for k in range(n_steps)], V_m_mean=means, V_m_var=variances)


# ------------------------------------------------------------------ kind "recorder_pair"

def run_recorder_pair(case):
    """A voltmeter and a multimeter(record_from V_m) with the same interval on the same neuron."""
    nest.ResetKernel()
    nest.resolution = case["resolution"]
    n = nest.Create(case["model"], params=case["params"])
    vm = nest.Create("voltmeter", params=case["voltmeter"])
    mm = nest.Create("multimeter", params=dict(case["voltmeter"], record_from=["V_m"]))
    nest.Connect(vm, n); nest.Connect(mm, n)
    nest.Simulate(case["t_sim"])
    v, m = vm.get("events"), mm.get("events")
    dv = nest.GetDefaults("voltmeter")
    return dict(voltmeter_defaults=dict(record_from=list(dv["record_from"]), interval=float(dv["interval"])),
                voltmeter_times=ms(v["times"]), voltmeter_V_m=[float(x) for x in v["V_m"]],
                multimeter_times=ms(m["times"]), multimeter_V_m=[float(x) for x in m["V_m"]])


# ------------------------------------------------------------------ kind "validation"

def run_validation(case):
    """Each probe sets parameters on a fresh node (or Connects) and records NEST's error name and message."""
    out = []
    for pr in case["probes"]:
        nest.ResetKernel()
        nest.resolution = pr.get("resolution", 0.1)
        err, msg = None, None
        try:
            n = nest.Create(pr["model"])
            for step in pr["set"]:
                n.set(step)
        except nest.NESTError as e:
            err = type(e).__name__
            msg = str(e)
        out.append(dict(error=err, message=msg))
    return dict(results=out)


RUNNERS = {"model": run_model, "stdp_multiplicity": run_stdp, "noise_stats": run_noise,
           "recorder_pair": run_recorder_pair, "validation": run_validation}


def run(case):
    return RUNNERS[case["kind"]](case)


# ------------------------------------------------------------------ the cases

def poisson_grid_times(rng, rate_hz, t0, t1, dt):
    """Sorted grid times (with repeats where two events fall in one step) of a Poisson train."""
    n = rng.poisson(rate_hz * (t1 - t0) / 1000.0)
    return sorted(grid(x, dt) for x in rng.uniform(t0, t1, n))


def psc_cases(model, short):
    """The same scenario set for iaf_psc_exp and iaf_psc_alpha."""
    rng = np.random.default_rng({"iaf_psc_exp": 20261201, "iaf_psc_alpha": 20261202}[model])
    c = []
    c.append(model_case(f"{short}_subthreshold", model, {}, 60.0, inputs=[
        dict(times=[2.0, 10.0, 10.0, 20.0, 30.0, 30.0], weights=[100.0, 80.0, 60.0, -150.0, 120.0, -120.0], delay=1.0)],
        note="PSCs below threshold; receptor chosen by the sign of weight*multiplicity of each event: two same-step "
             "excitatory events add in I_syn_ex, at 30 ms one excitatory and one inhibitory event fill both"))
    c.append(model_case(f"{short}_constant_current", model, {"I_e": 450.0}, 200.0,
                        note="I_e above rheobase gives regular firing; V_m reset, refractory clamp"))
    c.append(model_case(f"{short}_refractory", model, {"t_ref": 3.0}, 40.0, inputs=[
        dict(times=[5.0, 5.5, 6.0, 7.0, 8.0, 9.0, 12.0], weights=[5000.0, 300.0, 300.0, 300.0, -300.0, 300.0, 300.0],
             delay=1.0)],
        note="a large PSC makes the neuron fire; input during t_ref still charges I_syn_* (only V_m is clamped) "
             "and acts on V_m once refractoriness ends"))
    c.append(model_case(f"{short}_custom_params", model,
                        {"tau_m": 15.0, "C_m": 180.0, "E_L": -65.0, "V_reset": -72.0, "V_th": -52.0, "t_ref": 4.05,
                         "tau_syn_ex": 1.3, "tau_syn_in": 6.5, "V_m": -60.0, "I_e": 250.0}, 150.0,
                        inputs=[dict(times=[3.0, 20.0, 20.1, 20.2, 60.0, 61.0], weights=[150.0, 200.0, 200.0, 200.0, -400.0, -400.0],
                                     delay=2.5)],
                        note="tau_syn_ex != tau_syn_in, t_ref 4.05 (rounds up to 41 steps), V_reset below E_L, "
                             "initial V_m, delay 2.5"))
    c.append(model_case(f"{short}_tau_syn_equals_tau_m", model,
                        {"tau_m": 5.0, "tau_syn_ex": 5.0, "tau_syn_in": 5.0, "I_e": 50.0}, 80.0,
                        inputs=[dict(times=[5.0, 30.0, 30.0, 50.0], weights=[300.0, 1500.0, 1500.0, -400.0], delay=1.0)],
                        note="singular case tau_syn == tau_m: NEST's propagator switches to the limit formula"))
    c.append(model_case(f"{short}_tau_syn_near_tau_m", model,
                        {"tau_m": 5.0, "tau_syn_ex": 5.0 * (1 + 1e-9), "tau_syn_in": 4.9999, "I_e": 50.0}, 80.0,
                        inputs=[dict(times=[5.0, 30.0, 30.0, 50.0], weights=[300.0, 1500.0, 1500.0, -400.0], delay=1.0)],
                        note="tau_syn within 1e-9 (ex) and 2e-5 (in) relative of tau_m: the regular formula, near the limit"))
    ex = poisson_grid_times(rng, 3000.0, 1.0, 395.0, 0.1)
    inh = poisson_grid_times(rng, 800.0, 1.0, 395.0, 0.1)
    c.append(model_case(f"{short}_random_drive", model, {"I_e": 300.0 if model == "iaf_psc_exp" else 200.0}, 400.0, inputs=[
        dict(times=ex, weights=[40.0] * len(ex), delay=1.0),
        dict(times=inh, weights=[-90.0] * len(inh), delay=1.5)],
        note="random excitatory (3 kHz, 40 pA) and inhibitory (800 Hz, -90 pA) drive, drawn by numpy, stored; "
             "repeated times are separate events in the same step"))
    c.append(model_case(f"{short}_two_runs", model, {"I_e": 100.0}, 60.0, inputs=[
        dict(times=[15.0, 18.5, 19.0, 22.0], weights=[300.0, 300.0, -200.0, 300.0], delay=1.5)],
        segments=[dict(t=19.3), dict(t=40.7, set={"neuron": {"I_e": 500.0}})],
        note="two Simulate calls (19.3 + 40.7 ms, not multiples of min_delay), I_e raised in between; PSCs in "
             "flight across the boundary are kept"))
    res = {"iaf_psc_exp": 0.05, "iaf_psc_alpha": 0.2}[model]
    c.append(model_case(f"{short}_resolution_{str(res).replace('.', '')}", model,
                        {"I_e": 380.0, "tau_syn_in": 4.0, "t_ref": 1.5}, 60.0, dt=res,
                        inputs=[dict(times=[3.0, 3.0, 10.2, 25.4], weights=[200.0, 100.0, -300.0, 500.0], delay=1.2 if res == 0.2 else 1.05)],
                        note=f"resolution {res} ms: propagators depend on h, delays and t_ref in steps of h"))
    return c


def current_cases():
    c = []
    dc = dict(model="dc_generator", params={"amplitude": 300.0, "start": 5.0, "stop": 25.0}, weight=1.0, delay=1.0)
    for model, short in (("iaf_psc_delta", "delta"), ("iaf_psc_exp", "exp"), ("iaf_psc_alpha", "alpha")):
        c.append(model_case(f"dc_onto_{short}", model, {"V_th": 1e3},
                            40.0, currents=[dc],
                            note="dc_generator start 5, stop 25, delay 1: acts on V in the steps (start+d, stop+d]; "
                                 "V_th raised so the trace stays linear"))
    c.append(model_case("dc_spiking_weight_delay", "iaf_psc_exp", {"tau_syn_ex": 0.5},
                        120.0, currents=[dict(model="dc_generator", params={"amplitude": 200.0, "start": 10.0, "stop": 90.0},
                                              weight=2.5, delay=2.3),
                                         dict(model="dc_generator", params={"amplitude": -100.0}, weight=1.0, delay=0.1)],
                        segments=[dict(t=50.0), dict(t=70.0, set={"current0": {"amplitude": 260.0}})],
                        note="two dc_generators (one always on, delay 0.1), connection weight 2.5 scales the current; "
                             "amplitude changed to 260 between the two Simulate calls"))
    c.append(model_case("dc_onto_exp_receptor1", "iaf_psc_exp", {"V_th": 1e3, "tau_syn_ex": 3.0}, 40.0,
                        currents=[dict(dc, receptor_type=1), dict(dc, params={"amplitude": -80.0, "start": 12.0})],
                        note="iaf_psc_exp's current receptor 1: the current is filtered by the excitatory synapse "
                             "(I_syn_ex += (1 - P11ex) * I_1); the second dc_generator on receptor 0 acts directly"))
    c.append(model_case("dc_resolution_02", "iaf_psc_alpha", {"V_th": 1e3}, 30.0, dt=0.2,
                        currents=[dict(model="dc_generator", params={"amplitude": 150.0, "start": 4.0, "stop": 16.0},
                                       weight=1.0, delay=0.6)],
                        note="dc_generator at resolution 0.2 with delay 0.6"))
    sc = dict(model="step_current_generator",
              params={"amplitude_times": [2.0, 10.0, 10.1, 25.0, 40.0], "amplitude_values": [100.0, -50.0, 400.0, 0.0, 700.0]},
              weight=1.0, delay=1.0)
    for model, short in (("iaf_psc_delta", "delta"), ("iaf_psc_exp", "exp"), ("iaf_psc_alpha", "alpha")):
        c.append(model_case(f"step_current_onto_{short}", model, {}, 60.0, currents=[sc],
                            note="step_current_generator: amplitude set at time t acts on V in the steps after t+d"))
    c.append(model_case("step_current_window_and_reset", "iaf_psc_delta", {"V_th": 1e3}, 60.0,
                        currents=[dict(model="step_current_generator",
                                       params={"amplitude_times": [2.0, 8.0, 30.0], "amplitude_values": [200.0, 300.0, 50.0],
                                               "start": 5.0, "stop": 45.0}, weight=1.0, delay=1.0)],
                        segments=[dict(t=20.0), dict(t=40.0, set={"current0": {"amplitude_times": [15.0, 20.0, 25.0, 35.0],
                                                                               "amplitude_values": [-100.0, 999.0, 120.0, 80.0]}})],
                        note="start/stop window (the 2.0 value is held until start), new times/values set at t=20: "
                             "entries at or before the current time (15 and also 20) are skipped, the held amplitude "
                             "300 stays until 25"))
    c.append(model_case("step_current_offgrid", "iaf_psc_delta", {"V_th": 1e3}, 30.0,
                        currents=[dict(model="step_current_generator",
                                       params={"allow_offgrid_times": True, "amplitude_times": [2.03, 5.05, 9.96, 12.0],
                                               "amplitude_values": [100.0, 200.0, -100.0, 0.0]}, weight=1.0, delay=1.0)],
                        note="allow_offgrid_times: off-grid amplitude times are rounded up to the next grid point (ms_stamp)"))
    return c


def parrot_cases():
    c = []
    probe = dict(weight=2.0, delay=1.0, params={"V_th": 1e6})
    c.append(model_case("parrot_repeats", "parrot_neuron", {}, 30.0, inputs=[
        dict(times=[2.0, 5.0, 5.0, 5.0, 9.3], weights=[1.0, -3.0, 0.5, 1.0, 0.0], delay=1.0),
        dict(times=[4.0, 12.0, 12.0], delay=2.0),
        dict(times=[11.0], delay=1.0, conn_weight=-7.0)],
        probe=probe,
        note="a parrot repeats every arriving spike whatever its weight (also 0 or negative): 3 events in one step "
             "from one generator (delay 1) plus one from another (delay 2) leave at 6.0 as one event of multiplicity "
             "4, recorded 4 times; NEST unrolls it into 4 events of multiplicity 1 towards the probe "
             "(iaf_psc_delta, weight 2), which jumps by 2+2+2+2"))
    c.append(model_case("parrot_multiplicities", "parrot_neuron", {}, 20.0, inputs=[
        dict(times=[3.0, 7.0], delay=1.0)], probe=probe,
        note="spike_generator spike_multiplicities [3, 1] (inputs[0].multiplicities): a device event of "
             "multiplicity 3 reaches the parrot as one event, the parrot repeats it 3 times"))
    c[-1]["inputs"][0]["multiplicities"] = [3, 1]
    return c


def stdp_cases():
    rng = np.random.default_rng(20261203)
    pre = poisson_grid_times(rng, 60.0, 5.0, 480.0, 0.1)
    post = poisson_grid_times(rng, 60.0, 5.0, 480.0, 0.1)
    pre += [100.0, 100.0, 300.0, 300.0, 300.0]; post += [150.0, 150.0, 305.0, 305.0]
    return [dict(kind="stdp_multiplicity", generator=GENERATOR, name="stdp_parrot_multiplicity",
                 note="stdp_synapse_hom between parrots whose input repeats times (100 and 300 pre, 150 and 305 post): "
                      "a pre event of multiplicity m updates the weight and K+ once; a post spike of multiplicity m "
                      "enters the archive m times; the probe iaf_psc_delta (same synapse model) shows w*m",
                 synapse="stdp_synapse_hom", resolution=0.1, t_sim=500.0,
                 syn_params={"Wmax": 10.0, "lambda": 0.05, "alpha": 1.1, "mu_plus": 0.4, "mu_minus": 0.4},
                 weight=3.0, delay=1.0, post_tau_minus=20.0,
                 pre_input_times=sorted(pre), post_input_times=sorted(post))]


def noise_cases():
    base = dict(kind="noise_stats", generator=GENERATOR, resolution=0.1, models=["iaf_psc_delta", "iaf_psc_exp"],
                params={"V_th": 1e6, "I_e": 0.0}, delay=1.0, n_targets=400, t_sim=100.0, interval=1.0,
                seeds=[1, 2, 3])
    c = [dict(base, name="noise_stats_dt1", noise={"mean": 100.0, "std": 50.0, "dt": 1.0},
              note="noise_generator (mean 100 pA, std 50 pA, dt 1 ms = its default 10h) onto 400 iaf_psc_delta "
                   "and 400 iaf_psc_exp (V_th 1e6: linear); V_m mean and variance across neurons every 1 ms for 3 seeds"),
         dict(base, name="noise_stats_dt01", noise={"mean": -50.0, "std": 200.0, "dt": 0.1},
              note="noise_generator with dt = h (a new draw every step), negative mean"),
         dict(base, name="noise_exact_small", noise={"mean": 20.0, "std": 100.0, "dt": 0.5}, n_targets=3, t_sim=30.0,
              interval=0.1, seeds=[12345], models=["iaf_psc_delta"],
              note="3 targets, every step recorded: bit-exact only for a replay of NEST's RNG (seed 12345, mt19937_64, "
                   "1 VP, std::normal_distribution polar method; see nest_semantics.md)"),
         dict(base, name="noise_exact_modulated", noise={"mean": 0.0, "std": 100.0, "std_mod": 80.0, "frequency": 150.0,
                                                          "phase": 30.0, "dt": 0.2, "start": 1.0, "stop": 20.0},
              n_targets=2, t_sim=30.0, interval=0.1, seeds=[777], models=["iaf_psc_delta"],
              note="variance modulation (std_mod 80, 150 Hz, phase 30 deg), start 1.0 / stop 20.0, dt 0.2: the "
                   "oscillator turns once per active step from its value at the start of Simulate")]
    return c


def other_cases():
    vp = dict(kind="recorder_pair", generator=GENERATOR, name="voltmeter_equals_multimeter", resolution=0.1,
              model="iaf_psc_alpha", params={"I_e": 400.0}, t_sim=50.0, voltmeter={"interval": 0.3, "offset": 0.2},
              note="voltmeter = multimeter with record_from [V_m] (interval default 1.0); same interval/offset give "
                   "identical output")
    probes = []
    for model, bad in (
            ("iaf_psc_exp", [{"C_m": 0.0}]), ("iaf_psc_exp", [{"tau_m": -1.0}]), ("iaf_psc_exp", [{"tau_syn_ex": 0.0}]),
            ("iaf_psc_exp", [{"t_ref": -0.1}]), ("iaf_psc_exp", [{"V_reset": -55.0}]), ("iaf_psc_exp", [{"rho": -1.0}]),
            ("iaf_psc_exp", [{"delta": -1.0}]),
            ("iaf_psc_alpha", [{"C_m": -1.0}]), ("iaf_psc_alpha", [{"tau_m": 0.0}]), ("iaf_psc_alpha", [{"tau_syn_in": -2.0}]),
            ("iaf_psc_alpha", [{"t_ref": -1.0}]), ("iaf_psc_alpha", [{"V_th": -70.0}]),
            ("iaf_psc_alpha", [{"V_min": -80.0}]), ("iaf_psc_exp", [{"V_min": -80.0}]),
            ("step_current_generator", [{"amplitude_times": [1.0, 2.0], "amplitude_values": [1.0]}]),
            ("step_current_generator", [{"amplitude_times": [1.0]}]),
            ("step_current_generator", [{"amplitude_times": [2.0, 2.0], "amplitude_values": [1.0, 2.0]}]),
            ("step_current_generator", [{"amplitude_times": [0.0], "amplitude_values": [1.0]}]),
            ("step_current_generator", [{"amplitude_times": [1.05], "amplitude_values": [1.0]}]),
            ("step_current_generator", [{"allow_offgrid_times": True, "amplitude_times": [1.01, 1.05], "amplitude_values": [1.0, 2.0]}]),
            ("step_current_generator", [{"amplitude_times": [1.0], "amplitude_values": [1.0]}, {"allow_offgrid_times": True}]),
            ("dc_generator", [{"start": 1.05}]), ("dc_generator", [{"stop": 0.5, "start": 1.0}]),
            ("noise_generator", [{"std": -1.0}]), ("noise_generator", [{"std": 1.0, "std_mod": 2.0}]),
            ("noise_generator", [{"dt": 0.15}]), ("noise_generator", [{"dt": 0.0}]),
            ("parrot_neuron", [{"V_m": 1.0}])):
        probes.append(dict(model=model, set=bad))
    val = dict(kind="validation", generator=GENERATOR, name="validation_messages", resolution=0.1, t_sim=0.0,
               note="parameter values NEST refuses (error class name and message as PyNEST reports them; "
                    "error None = accepted)", probes=probes)
    return [vp, val]


def izhikevich_cases():
    """izhikevich with both consistent_integration settings: spike input (weights of both signs),
    currents, V_min, several runs, the published resolution of 1 ms."""
    rng = np.random.default_rng(2910)
    rec = ["V_m", "U_m"]
    c = []
    for consistent, tag in ((True, "consistent"), (False, "published")):
        base = {"consistent_integration": consistent}
        c.append(model_case(f"izh_{tag}_regular_spiking", "izhikevich", {**base, "I_e": 10.0}, 200.0,
                            recordables=rec, note="regular spiking (a, b, c, d defaults) driven by I_e"))
        times = poisson_grid_times(rng, 400.0, 0.1, 300.0, 0.1)
        inp = dict(times=times, weights=[round(float(w), 3) for w in rng.uniform(-6.0, 9.0, len(times))], delay=1.0)
        c.append(model_case(f"izh_{tag}_chattering_random_drive", "izhikevich",
                            {**base, "a": 0.02, "b": 0.2, "c": -50.0, "d": 2.0, "I_e": 4.0, "V_m": -70.0,
                             "U_m": -14.0}, 300.0, inputs=[inp], recordables=rec,
                            note="chattering parameters, random excitatory and inhibitory spike input"))
        c.append(model_case(f"izh_{tag}_dc_and_vmin", "izhikevich", {**base, "V_min": -75.0}, 120.0,
                            inputs=[dict(times=[20.0, 20.1, 20.2, 60.0], weights=[-30.0, -30.0, -30.0, 25.0],
                                         delay=1.5)],
                            currents=[dict(model="dc_generator", params={"amplitude": 12.0, "start": 30.0,
                                                                         "stop": 90.0}, weight=1.0, delay=1.0)],
                            recordables=rec, note="V_min bound under strong inhibition; a dc current window"))
        c.append(model_case(f"izh_{tag}_two_runs_resolution_1", "izhikevich", {**base, "I_e": 10.0}, 200.0,
                            dt=1.0, recordables=rec, segments=[dict(t=70.0), dict(t=130.0, set={"neuron": {
                                "I_e": 14.0, "d": 6.0}})],
                            note="h = 1 ms (the published setting); I_e and d changed between two runs"))
    return c


def all_cases():
    return (psc_cases("iaf_psc_exp", "exp") + psc_cases("iaf_psc_alpha", "alpha") + current_cases()
            + parrot_cases() + stdp_cases() + noise_cases() + other_cases() + izhikevich_cases())


def write(outdir, prefix=""):
    """(Re)make the cases whose name starts with ``prefix`` (all by default) into ``outdir``."""
    os.makedirs(outdir, exist_ok=True)
    for case in all_cases():
        if not case["name"].startswith(prefix):
            continue
        case["expected"] = run(case)
        if case["kind"] == "noise_stats":
            case["analytic"] = noise_expectation(case)
        path = os.path.join(outdir, f"{case['name']}.json")
        with open(path, "w") as f:
            json.dump(case, f, separators=(",", ":"))
            f.write("\n")
        print(f"{os.path.getsize(path) / 1e3:8.1f} kB  {path}")


def check(paths):
    files = []
    for p in paths:
        files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".json")) if os.path.isdir(p) else [p]
    bad = 0
    for path in files:
        with open(path) as f:
            case = json.load(f)
        if case.get("generator") != GENERATOR:
            continue
        again = json.loads(json.dumps(run(case)))
        same = again == case["expected"]
        bad += not same
        print(("ok      " if same else "DIFFERS ") + path)
    print(f"{bad} case(s) differ")
    return bad


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("write", "check"):
        sys.exit(__doc__)
    if sys.argv[1] == "write":
        write(sys.argv[2], *sys.argv[3:4])
    else:
        sys.exit(1 if check(sys.argv[2:]) else 0)
