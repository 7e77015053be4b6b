"""NEST 3.10 reference cases for the conductance-based, adaptive, Hodgkin–Huxley, MAT and multi-receptor
neurons (kind "model", schema in tests/reference/README.md), and a checker for them.

Run with a Python that has nest-simulator 3.10.0 installed:
    python nest_gsl_models.py write OUTDIR          # (re)make every case file below into OUTDIR
    python nest_gsl_models.py check FILE_OR_DIR...  # re-run case files through NEST, report any difference
Each scenario drives one neuron with strong excitatory and inhibitory spike input (drawn by numpy once and
stored), DC input, refractoriness and (adaptive models) spike-triggered adaptation, and records every
recordable of the model at every step. Weights are nS for conductance-based models, pA otherwise.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nest  # noqa: E402
from nest_models import model_case, ms, poisson_grid_times, run_model, run_validation  # noqa: E402

nest.set_verbosity("M_ERROR")
GENERATOR = "nest_gsl_models.py"

# model: (short name, weight unit scale: excitatory weight, inhibitory weight, I_e that makes it fire)
MODELS = {
    "iaf_cond_exp": ("cond_exp", 6.0, -12.0, 400.0),
    "iaf_cond_alpha": ("cond_alpha", 3.0, -6.0, 420.0),
    "iaf_cond_beta": ("cond_beta", 3.0, -6.0, 420.0),
    "aeif_cond_alpha": ("aeif_cond_alpha", 3.0, -6.0, 800.0),
    "aeif_cond_exp": ("aeif_cond_exp", 4.0, -8.0, 800.0),
    "aeif_psc_alpha": ("aeif_psc_alpha", 60.0, -120.0, 800.0),
    "aeif_psc_exp": ("aeif_psc_exp", 90.0, -180.0, 800.0),
    "aeif_psc_delta": ("aeif_psc_delta", 1.0, -2.0, 500.0),
    "hh_psc_alpha": ("hh_psc_alpha", 60.0, -120.0, 500.0),
    "hh_cond_exp_traub": ("hh_traub", 4.0, -16.0, 50.0),
    "mat2_psc_exp": ("mat2", 80.0, -160.0, 500.0),
    "amat2_psc_exp": ("amat2", 80.0, -160.0, 250.0),
}
MULTI = {
    "iaf_psc_alpha_multisynapse": ("psc_alpha_multi", {"tau_syn": [0.5, 2.0, 8.0]}, [150.0, -200.0, 60.0], 200.0),
    "aeif_cond_alpha_multisynapse": ("aeif_alpha_multi", {"tau_syn": [0.5, 2.0, 8.0], "E_rev": [0.0, -85.0, 0.0]},
                                     [3.0, 6.0, 1.0], 500.0),
    "aeif_cond_beta_multisynapse": ("aeif_beta_multi", {"tau_rise": [0.2, 0.5, 1.0], "tau_decay": [1.0, 4.0, 10.0],
                                                        "E_rev": [0.0, -85.0, 0.0]}, [3.0, 6.0, 1.0], 500.0),
    "iaf_psc_exp_multisynapse": ("psc_exp_multi", {"tau_syn": [0.5, 2.0, 8.0]}, [600.0, -400.0, 150.0], 500.0),
}


def recordables(model, params):
    nest.ResetKernel()
    return sorted(nest.Create(model, params=params).get("recordables"))


def cases_for(model, seed):
    short, w_ex, w_in, i_e = MODELS[model]
    rng = np.random.default_rng(seed)
    rec = recordables(model, {})
    c = []
    ex = poisson_grid_times(rng, 2000.0, 1.0, 195.0, 0.1)
    inh = poisson_grid_times(rng, 600.0, 1.0, 195.0, 0.1)
    c.append(model_case(f"{short}_random_drive", model, {"I_e": i_e}, 200.0, recordables=rec, inputs=[
        dict(times=ex, weights=[w_ex] * len(ex), delay=1.0),
        dict(times=inh, weights=[w_in] * len(inh), delay=1.5)],
        note="random excitatory (2 kHz) and inhibitory (600 Hz) spike trains, drawn by numpy, stored; repeated "
             "times are separate events in the same step"))
    c.append(model_case(f"{short}_strong_input", model, {}, 80.0, recordables=rec, inputs=[
        dict(times=[5.0, 5.0, 5.1, 20.0, 20.0, 20.0, 30.0, 45.0, 45.2, 60.0],
             weights=[w_ex * 20, w_ex * 20, w_ex * 20, w_ex * 40, w_ex * 30, w_in * 10, w_in * 60, w_ex * 50,
                      w_ex * 50, w_ex * 100], delay=1.0)],
        note="few very strong excitatory and inhibitory events (the integrator shrinks its step), spikes, "
             "refractoriness"))
    dc = dict(model="dc_generator", params={"amplitude": 1.5 * i_e, "start": 10.0, "stop": 90.0}, weight=1.0,
              delay=1.0)
    params = {"t_ref": 5.0} if "t_ref" in nest.GetDefaults(model) else {}
    c.append(model_case(f"{short}_dc_two_runs", model, params, 150.0, recordables=rec, currents=[dc],
                        inputs=[dict(times=[40.0, 40.0, 41.3, 100.0], weights=[w_ex * 5, w_in * 5, w_ex * 8, w_ex * 10],
                                     delay=2.0)],
                        segments=[dict(t=57.3), dict(t=92.7, set={"neuron": {"I_e": 0.5 * i_e}})],
                        note="dc_generator from 10 to 90 ms, a long refractory period where the model has one, "
                             "two Simulate calls with I_e set in between (the integration step is carried over)"))
    if model in ("iaf_cond_exp", "aeif_cond_alpha", "hh_psc_alpha"):
        ex = poisson_grid_times(rng, 1500.0, 1.0, 95.0, 0.05)
        c.append(model_case(f"{short}_resolution_005", model, {"I_e": 0.8 * i_e}, 100.0, dt=0.05, recordables=rec,
                            inputs=[dict(times=ex, weights=[w_ex] * len(ex), delay=0.55)],
                            note="resolution 0.05 ms, delay 0.55 ms"))
    return c


def multi_cases(model, seed):
    short, params, weights, i_e = MULTI[model]
    rng = np.random.default_rng(seed)
    rec = recordables(model, params)
    inputs = []
    for port, w in enumerate(weights, start=1):
        times = poisson_grid_times(rng, 800.0, 1.0, 195.0, 0.1)
        inputs.append(dict(times=times, weights=[w] * len(times), delay=1.0 + 0.1 * port, receptor_type=port))
    return [model_case(f"{short}_random_drive", model, dict(params, I_e=0.6 * i_e), 200.0, recordables=rec,
                       inputs=inputs,
                       note="random spike trains on each receptor port (1-based), one time constant per port")]


def multi_extra_cases(model, seed):
    """Strong input on every port (spikes, adaptation, the integrator's step shrinking), a dc_generator,
    refractoriness and two Simulate calls with I_e set in between; iaf_psc_alpha_multisynapse also with a
    port whose tau_syn equals tau_m (NEST's singular propagator) and V_min; iaf_psc_exp_multisynapse with a
    port much faster and one slower than the others."""
    short, params, weights, i_e = MULTI[model]
    rng = np.random.default_rng(seed)
    if model == "iaf_psc_alpha_multisynapse":
        params = {"tau_syn": [10.0, 0.3, 5.0], "t_ref": 3.0, "V_min": -72.5}
        weights = [300.0, -900.0, 200.0]
    if model == "iaf_psc_exp_multisynapse":  # (NEST refuses tau_syn == tau_m for it)
        params = {"tau_syn": [0.8, 5.0, 3.0], "t_ref": 3.0}
        weights = [3000.0, -900.0, 1500.0]
    rec = recordables(model, params)
    scale = [20, 10, 30] if model.startswith("iaf_psc") else [300, 100, 400]
    strong = []
    for port, w in enumerate(weights, start=1):
        times = sorted(float(t) for t in np.round(rng.uniform(2.0, 75.0, 4), 1))
        strong.append(dict(times=times, weights=[w * scale[port - 1] / 10] * len(times), delay=1.0,
                           receptor_type=port))
    t_ref = {} if "t_ref" in params else {"t_ref": 2.0}
    c = [model_case(f"{short}_strong_input", model, dict(params, **t_ref), 80.0, recordables=rec, inputs=strong,
                    note="few strong events on each port (1-based), refractoriness")]
    dc = dict(model="dc_generator", params={"amplitude": 1.5 * i_e, "start": 10.0, "stop": 90.0}, weight=1.0,
              delay=1.0)
    inputs = [dict(times=[40.0, 41.3, 100.0], weights=[weights[0] * 5, weights[0] * 8, weights[0] * 10], delay=2.0,
                   receptor_type=1),
              dict(times=[40.0, 70.2], weights=[weights[1] * 5, weights[1] * 3], delay=1.5, receptor_type=2)]
    c.append(model_case(f"{short}_dc_two_runs", model, dict(params, t_ref=5.0), 150.0, recordables=rec,
                        currents=[dc], inputs=inputs,
                        segments=[dict(t=57.3), dict(t=92.7, set={"neuron": {"I_e": 0.5 * i_e}})],
                        note="dc_generator from 10 to 90 ms, t_ref 5 ms, two Simulate calls with I_e set in between"))
    return c


GIF = {  # model: (short name, excitatory weight, inhibitory weight)
    "gif_psc_exp": ("gif_psc", 40.0, -80.0),
    "gif_cond_exp": ("gif_cond", 2.0, -4.0),
}
GIF_ADAPT = {"tau_sfa": [20.0, 200.0], "q_sfa": [2.0, 0.5], "tau_stc": [10.0, 100.0], "q_stc": [8.0, 2.0]}


def gif_cases(model, seed):
    """Stochastic spiking: NEST's spikes (its own generator, seed 1) with every recordable, to be replayed;
    and an escape rate so high that every free step spikes (p = 1 exactly), where spikes are deterministic."""
    short, w_ex, w_in = GIF[model]
    rng = np.random.default_rng(seed)
    rec = recordables(model, {})
    ex = poisson_grid_times(rng, 1500.0, 1.0, 295.0, 0.1)
    inh = poisson_grid_times(rng, 500.0, 1.0, 295.0, 0.1)
    dc = dict(model="dc_generator", params={"amplitude": 40.0, "start": 100.0, "stop": 200.0}, weight=1.0,
              delay=1.0)
    params = dict(GIF_ADAPT, Delta_V=1.5, lambda_0=400.0, I_e=150.0, t_ref=2.0)
    replay = model_case(f"{short}_replay_drive", model, params, 300.0, recordables=rec, currents=[dc], inputs=[
            dict(times=ex, weights=[w_ex] * len(ex), delay=1.0),
            dict(times=inh, weights=[w_in] * len(inh), delay=1.5)],
            segments=[dict(t=137.4), dict(t=162.6, set={"neuron": {"I_e": 130.0}})],
            note="stochastic spiking (NEST's generator, its default rng_seed): spike times to be replayed; adaptation "
                 "(two sfa and two stc elements), random input, a dc_generator, two Simulate calls")
    replay["replay_spikes"] = True  # replay: draw u = 0 in the steps NEST spiked, 1 in the others
    return [
        replay,
        model_case(f"{short}_certain_escape", model, dict(GIF_ADAPT, Delta_V=50.0, lambda_0=1e9, t_ref=3.0,
                                                          I_e=50.0), 120.0, recordables=rec,
                   inputs=[dict(times=[10.0, 10.0, 30.0, 55.5, 80.0], weights=[w_ex * 10, w_in * 5, w_ex * 20,
                                                                               w_in * 20, w_ex * 5], delay=1.0)],
                   segments=[dict(t=61.3), dict(t=58.7, set={"neuron": {"I_e": 20.0}})],
                   note="lambda_0 1e9/s, Delta_V 50 mV: p = -expm1(-lambda h) is 1.0 in every free step, so "
                        "the neuron spikes whenever it is not refractory, whatever the draws"),
    ]


def gif_rate_case(model, seed):
    """n unconnected neurons with constant input: every neuron's spike count (NEST's generator, rng_seed)."""
    short = GIF[model][0]
    n, t_sim = (400, 1000.0) if model == "gif_psc_exp" else (200, 500.0)
    params = dict(GIF_ADAPT, Delta_V=1.0, lambda_0=50.0, I_e=150.0, t_ref=2.0)
    return dict(kind="gif_rate", generator=GENERATOR, name=f"{short}_rate", model=model, n=n, resolution=0.1,
                t_sim=t_sim, params=params, rng_seed=seed,
                note="spike counts of n independent neurons under constant input, for a statistical comparison")


def run_gif_rate(case):
    nest.ResetKernel()
    nest.resolution = case["resolution"]
    nest.rng_seed = case["rng_seed"]
    pop = nest.Create(case["model"], case["n"], params=case["params"])
    sr = nest.Create("spike_recorder")
    nest.Connect(pop, sr)
    nest.Simulate(case["t_sim"])
    ev = sr.get("events")
    counts = np.bincount(np.asarray(ev["senders"]) - pop[0].global_id, minlength=case["n"])
    return dict(counts=[int(c) for c in counts])


def validation_case():
    """Parameter values NEST refuses (or accepts) for the models written after the first GSL set."""
    probes = [
        ("amat2_psc_exp", {"C_m": 0.0}), ("amat2_psc_exp", {"tau_v": 0.0}), ("amat2_psc_exp", {"t_ref": 0.0}),
        ("amat2_psc_exp", {"tau_v": 10.0}), ("amat2_psc_exp", {"tau_syn_ex": 10.0}),
        ("amat2_psc_exp", {"tau_v": 1.0}), ("amat2_psc_exp", {"beta": -3.0, "omega": -80.0}),
        ("iaf_psc_alpha_multisynapse", {"C_m": -1.0}), ("iaf_psc_alpha_multisynapse", {"tau_m": 0.0}),
        ("iaf_psc_alpha_multisynapse", {"tau_syn": [1.0, -1.0]}), ("iaf_psc_alpha_multisynapse", {"t_ref": -1.0}),
        ("iaf_psc_alpha_multisynapse", {"V_reset": -50.0}), ("iaf_psc_alpha_multisynapse", {"tau_syn": [10.0, 3.0]}),
        ("aeif_cond_alpha_multisynapse", {"tau_syn": [1.0, 2.0], "E_rev": [0.0]}),
        ("aeif_cond_alpha_multisynapse", {"tau_syn": [0.0], "E_rev": [0.0]}),
        ("aeif_cond_alpha_multisynapse", {"V_peak": -60.0}), ("aeif_cond_alpha_multisynapse", {"V_reset": 0.0}),
        ("aeif_cond_alpha_multisynapse", {"Delta_T": -1.0}), ("aeif_cond_alpha_multisynapse", {"C_m": 0.0}),
        ("aeif_cond_alpha_multisynapse", {"t_ref": -1.0}), ("aeif_cond_alpha_multisynapse", {"tau_w": 0.0}),
        ("aeif_cond_alpha_multisynapse", {"gsl_error_tol": 0.0}),
        ("aeif_cond_alpha_multisynapse", {"V_peak": 200.0, "Delta_T": 0.5}),
        ("aeif_cond_alpha_multisynapse", {"tau_syn": [1.0, 2.0], "E_rev": [0.0, -80.0], "Delta_T": 0.0}),
        ("aeif_cond_beta_multisynapse", {"tau_rise": [5.0], "tau_decay": [2.0], "E_rev": [0.0]}),
        ("aeif_cond_beta_multisynapse", {"tau_rise": [1.0, 1.0], "tau_decay": [2.0], "E_rev": [0.0, 0.0]}),
        ("aeif_cond_beta_multisynapse", {"tau_rise": [1.0], "tau_decay": [-2.0], "E_rev": [0.0]}),
        ("aeif_cond_beta_multisynapse", {"tau_rise": [2.0, 1.0], "tau_decay": [2.0, 3.0], "E_rev": [0.0, -70.0]}),
        ("gif_psc_exp", {"tau_sfa": [10.0]}), ("gif_psc_exp", {"tau_stc": [10.0, 20.0], "q_stc": [1.0]}),
        ("gif_psc_exp", {"g_L": 0.0}), ("gif_psc_exp", {"Delta_V": 0.0}), ("gif_psc_exp", {"C_m": -1.0}),
        ("gif_psc_exp", {"t_ref": -1.0}), ("gif_psc_exp", {"lambda_0": -1.0}),
        ("gif_psc_exp", {"tau_sfa": [0.0], "q_sfa": [1.0]}), ("gif_psc_exp", {"tau_syn_in": 0.0}),
        ("gif_psc_exp", {"tau_sfa": [5.0, 50.0], "q_sfa": [1.0, -2.0], "t_ref": 0.0}),
        ("gif_cond_exp", {"tau_stc": [-1.0], "q_stc": [1.0]}), ("gif_cond_exp", {"tau_syn_ex": -1.0}),
        ("gif_cond_exp", {"Delta_V": -0.5}), ("gif_cond_exp", {"tau_sfa": [1.0], "q_sfa": [1.0, 2.0]}),
    ]
    return dict(kind="validation", generator=GENERATOR, name="gsl_validation_messages", resolution=0.1, t_sim=0.0,
                note="parameter values NEST refuses for amat2, the multisynapse and the gif models (error class name "
                     "and message as PyNEST reports them; error None = accepted); each probe is one set call on a "
                     "fresh node",
                probes=[dict(model=m, set=[q]) for m, q in probes])


def amat2_beta_cases(seed):
    """amat2_psc_exp with its voltage-dependent threshold on (beta != 0; the cases above keep NEST's beta = 0)."""
    rng = np.random.default_rng(seed)
    model = "amat2_psc_exp"
    rec = recordables(model, {})
    ex = poisson_grid_times(rng, 2000.0, 1.0, 295.0, 0.1)
    inh = poisson_grid_times(rng, 600.0, 1.0, 295.0, 0.1)
    dc = dict(model="dc_generator", params={"amplitude": 150.0, "start": 50.0, "stop": 250.0}, weight=1.0,
              delay=1.0)
    return [
        model_case("amat2_beta_random_drive", model, {"I_e": 200.0, "beta": 0.3, "tau_v": 12.0, "alpha_2": 1.0},
                   300.0, recordables=rec, currents=[dc], inputs=[
                       dict(times=ex, weights=[80.0] * len(ex), delay=1.0),
                       dict(times=inh, weights=[-160.0] * len(inh), delay=1.5)],
                   note="voltage-dependent threshold (beta 0.3/ms, tau_v 12 ms), random excitatory and inhibitory "
                        "spike trains, a dc_generator from 50 to 250 ms"),
        model_case("amat2_beta_two_runs", model, {"I_e": 300.0, "beta": -0.2, "tau_v": 4.0, "t_ref": 3.0,
                                                   "V_m": -60.0}, 150.0, recordables=rec,
                   inputs=[dict(times=[20.0, 20.0, 41.3, 100.0], weights=[800.0, -300.0, 1200.0, -2000.0],
                                delay=2.0)],
                   segments=[dict(t=63.4), dict(t=86.6, set={"neuron": {"beta": 0.5, "tau_v": 20.0,
                                                                         "I_e": 150.0}})],
                   note="negative beta, then beta and tau_v changed between two Simulate calls (new propagators, "
                        "the state carried)"),
    ]


def run_network(case):
    """``n`` neurons of ``model`` (node ids 1..n) with explicit recurrent connections and one spike
    generator per neuron (delay 1.0); spikes of all neurons and the final state."""
    nest.ResetKernel()
    nest.resolution = case["resolution"]
    pop = nest.Create(case["model"], case["n"], params=case["params"])
    gens = nest.Create("spike_generator", case["n"])
    for g, inp in zip(gens, case["inputs"]):
        g.set(spike_times=inp["times"], spike_weights=inp["weights"])
    nest.Connect(gens, pop, "one_to_one", syn_spec={"weight": 1.0, "delay": 1.0})
    c = case["connections"]
    nest.Connect(np.array(c["source"]), np.array(c["target"]), "one_to_one",
                 syn_spec={"weight": np.array(c["weight"]), "delay": np.array(c["delay"])})
    sr = nest.Create("spike_recorder")
    nest.Connect(pop, sr)
    nest.Simulate(case["t_sim"])
    ev = sr.get("events")
    order = np.lexsort((ev["senders"], ev["times"]))
    return dict(spike_times=ms(ev["times"][order]), spike_senders=[int(x) for x in ev["senders"][order]],
                final_V_m=[float(x) for x in pop.get("V_m")])


def all_cases():
    c = []
    for i, model in enumerate(MODELS):
        c += cases_for(model, 20261207 + i)
    c += amat2_beta_cases(20261407)
    c.append(validation_case())
    for i, model in enumerate(GIF):
        c += gif_cases(model, 20261607 + i)
        c.append(gif_rate_case(model, 7 + i))
    for i, model in enumerate(MULTI):
        c += multi_cases(model, 20261307 + i)
    for i, model in enumerate(MULTI):
        c += multi_extra_cases(model, 20261507 + i)
    c += network_cases()
    for case in c:
        case["generator"] = GENERATOR
    return c


RUNNERS = {"model": run_model, "gif_rate": run_gif_rate, "validation": run_validation, "gsl_network": run_network}


def write(outdir, only=None):
    os.makedirs(outdir, exist_ok=True)
    for case in all_cases():
        if only and case.get("model", case["kind"]) not in only:
            continue
        case["expected"] = RUNNERS[case["kind"]](case)
        path = os.path.join(outdir, f"{case['name']}.json")
        with open(path, "w") as f:
            json.dump(case, f, separators=(",", ":"))
            f.write("\n")
        e = case["expected"]
        what = (f"{sum(e['counts']):4d} spikes" if "counts" in e else f"{len(e['spike_times']):4d} spikes"
                if "spike_times" in e else f"{len(e['results']):4d} probes")
        print(f"{os.path.getsize(path) / 1e3:8.1f} kB  {what}  {path}")


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
        same = json.loads(json.dumps(RUNNERS[case["kind"]](case))) == case["expected"]
        bad += not same
        print(("ok      " if same else "DIFFERS ") + path)
    print(f"{bad} case(s) differ")
    return bad


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("write", "check"):
        sys.exit(__doc__)
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(1 if check(sys.argv[2:]) else 0)
