"""A second process running the same network compiles from the persistent cache."""
import pathlib
import subprocess
import sys

SCRIPT = """
import sys, jaxsnn
jaxsnn.enable_compilation_cache(sys.argv[1])
net = jaxsnn.Network()
n = net.create("iaf_psc_delta", 10, params={"I_e": 400.0})
net.connect(n, n, {"rule": "fixed_indegree", "indegree": 3}, {"weight": 0.5})
jaxsnn.simulate(net.build(), 5.0)
"""


def entries(d):
    """Names of JAX's cache entries and of the programs jaxsnn stores beside them (jaxsnn.run.programs)."""
    d = pathlib.Path(d)
    return {p.name for p in d.iterdir()} | {p.name for p in d.glob("jaxsnn-programs/*")}


def test_second_process_reuses_the_cache(tmp_path):
    subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], check=True)
    first = entries(tmp_path)
    assert any("advance" in name for name in first)  # the simulation kernel was cached (by JAX or by jaxsnn)
    subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], check=True)
    assert entries(tmp_path) == first  # nothing compiled anew: every program came from the cache
