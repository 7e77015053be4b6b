"""NEST 3.10's numbers for the unusual-but-legal rows of tests/test_misuse.py (run with NEST's Python;
writes tests/reference/nest_misuse.json)."""
import json
import pathlib

import nest

nest.set_verbosity("M_ERROR")
out = {}

# iaf_psc_exp with tau_syn_ex = 1e-6 ms: exp(h / tau_syn) overflows to inf, NEST takes the singular limit
for model in ("iaf_psc_exp", "iaf_psc_alpha"):
    nest.ResetKernel()
    n = nest.Create(model, params={"tau_syn_ex": 1e-6})
    sg = nest.Create("spike_generator", params={"spike_times": [1.0]})
    nest.Connect(sg, n, syn_spec={"weight": 100.0})
    nest.Simulate(5.0)
    out[f"{model} tau_syn_ex=1e-6 V_m after 5 ms"] = repr(n.get("V_m"))  # repr: NaN is not JSON

# a 1.0 ms delay at h = 0.3 ms: rounded to 3 steps and reported as steps * h
nest.ResetKernel()
nest.resolution = 0.3
a = nest.Create("iaf_psc_delta", 2)
nest.Connect(a, a, "one_to_one", syn_spec={"delay": 1.0})
out["h=0.3 delay=1.0 reported"] = nest.GetConnections().get("delay")

path = pathlib.Path(__file__).resolve().parents[1] / "nest_misuse.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(out)
