"""Small PyNEST scripts end to end: NEST 3.10 and jaxsnn.nest, in the same run.

    python benchmarks/small_scripts.py [--runs 3] [--nest PYTHON] [--json OUT]

Three PyNEST-style scripts (one neuron, two neurons, repeated stimulation; written for jaxsnn) run as a
user starts them: a fresh process, import included, once with ``import nest`` (the python of
/work/nestvenv or $NEST_PYTHON, where it can import nest) and once with ``import jaxsnn.nest as nest``
and a warm compilation cache (a first run fills a cache folder of its own, and the bytecode of the Python
modules, as an installed package has it). Reported: median wall time
per script and the ratio (goal: jaxsnn ≤ 3 × NEST), and, in one process, the overhead of one
``Simulate`` call on a compiled one-neuron network (goal: ≤ 5 ms).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SCRIPTS = {
    "one_neuron": """
nest.ResetKernel()
neuron = nest.Create("iaf_psc_delta")
neuron.I_e = 376.0
vm = nest.Create("voltmeter")
sr = nest.Create("spike_recorder")
nest.Connect(vm, neuron)
nest.Connect(neuron, sr)
nest.Simulate(1000.0)
print(sr.n_events, len(vm.events["times"]))
""",
    "two_neurons": """
nest.ResetKernel()
n1 = nest.Create("iaf_psc_delta", params={"I_e": 376.0})
n2 = nest.Create("iaf_psc_delta")
nest.Connect(n1, n2, syn_spec={"weight": 20.0, "delay": 1.0})
vm = nest.Create("voltmeter")
nest.Connect(vm, n1 + n2)
nest.Simulate(1000.0)
print(len(vm.events["times"]))
""",
    "repeated_stimulation": """
nest.ResetKernel()
pg = nest.Create("poisson_generator", params={"rate": 1000.0, "start": 0.0, "stop": 100.0})
parrots = nest.Create("parrot_neuron", 10)
sr = nest.Create("spike_recorder")
nest.Connect(pg, parrots)
nest.Connect(parrots, sr)
for k in range(10):
    pg.origin = k * 200.0
    nest.Simulate(200.0)
print(sr.n_events)
""",
}

OVERHEAD = """
import time
nest.ResetKernel()
neuron = nest.Create("iaf_psc_delta", params={"I_e": 376.0})
sr = nest.Create("spike_recorder")
nest.Connect(neuron, sr)
nest.Simulate(1.0)
nest.Simulate(1.0)
t0 = time.perf_counter()
for _ in range(200):
    nest.Simulate(1.0)
print("PER_CALL", (time.perf_counter() - t0) / 200)
"""


def nest_python(arg):
    for cand in [arg, os.environ.get("NEST_PYTHON"), "/work/nestvenv/bin/python"]:
        if cand and os.path.exists(cand) and subprocess.run([cand, "-c", "import nest"],
                                                            capture_output=True).returncode == 0:
            return cand
    return None


def wall(python, module, body, env):
    """Seconds from process start to exit, and the script's last line of output."""
    code = f"import {module} as nest\n" if module == "nest" else "import jaxsnn.nest as nest\n"
    t0 = time.perf_counter()
    r = subprocess.run([python, "-c", code + body], capture_output=True, text=True, env=env, timeout=600)
    dt = time.perf_counter() - t0
    if r.returncode:
        raise RuntimeError(f"{module}: {r.stderr[-2000:]}")
    return dt, r.stdout.strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--nest", help="a python that can import nest")
    ap.add_argument("--no-nest", action="store_true", help="measure jaxsnn.nest only")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()
    nest = None if a.no_nest else nest_python(a.nest)
    with tempfile.TemporaryDirectory() as cache:
        # bytecode written and read (in the cache folder) as for an installed package: with
        # PYTHONDONTWRITEBYTECODE every run would compile jaxsnn's sources again (0.1 s), NEST's are compiled
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), JAXSNN_COMPILATION_CACHE=cache,
                   PYTHONPYCACHEPREFIX=os.path.join(cache, "pycache"))
        rows = []
        for name, body in SCRIPTS.items():
            wall(sys.executable, "jaxsnn", body, env)  # fills the cache
            jx = [wall(sys.executable, "jaxsnn", body, env) for _ in range(a.runs)]
            row = {"script": name, "jaxsnn_s": statistics.median(t for t, _ in jx), "jaxsnn_output": jx[0][1]}
            if nest:
                ns = [wall(nest, "nest", body, os.environ) for _ in range(a.runs)]
                row.update(nest_s=statistics.median(t for t, _ in ns), nest_output=ns[0][1])
                row["ratio"] = row["jaxsnn_s"] / row["nest_s"]
            rows.append(row)
            print(json.dumps(row))
        per_call = float(wall(sys.executable, "jaxsnn", OVERHEAD, env)[1].split()[1])
        result = {"rows": rows, "simulate_overhead_ms": 1000 * per_call, "runs": a.runs,
                  "nest": nest is not None}
        if nest:
            result["nest_simulate_overhead_ms"] = 1000 * float(wall(nest, "nest", OVERHEAD, os.environ)[1].split()[1])
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
