"""The benchmark scripts run from a checkout, at a tiny size (a smoke test: speed is not asserted here).

Each script runs as a user would start it, in its own process on the CPU (split into 2 devices where it
takes ``--devices``), and its ``--json`` output is checked for what it must report.
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

from .conftest import cpu_devices

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
T_SIM = "20"  # ms


def run(script, tmp_path, *args, devices=2):
    """``script``'s ``--json`` output; ``devices=None`` for a script that runs on one device (no ``--devices``)."""
    out = tmp_path / "out.json"
    split = ["--devices", str(devices)] if devices else []
    subprocess.run([sys.executable, str(BENCHMARKS / script), *args, *split, "--json", str(out)],
                   check=True, env=cpu_devices(devices or 1), capture_output=True, text=True, timeout=600)
    return json.loads(out.read_text())


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_spatial_connect (a benchmark
# script end to end) and test_docs.py::test_store_restore_demo_runs_and_writes_its_outputs (the founding network)
def test_seed_network(tmp_path):
    res = run("seed_network.py", tmp_path, "--scale", "0.1", "--t-sim", T_SIM, "--runs", "1")
    summary = res["summary"]
    jx = summary["jaxsnn"]
    assert jx["runs"] == 1 and jx["wall_per_sim_s"] > 0 and jx["compile_s"] > 0 and jx["peak_rss_mib"] > 0
    assert [r["nE"] + r["nI"] for r in res["runs"] if r["simulator"] == "jaxsnn"] == [250]
    if "NEST" in summary:  # where a python with nest was found: the same network, side by side
        assert [r["nE"] + r["nI"] for r in res["runs"] if r["simulator"] == "NEST"] == [250]
        assert summary["ratio_jaxsnn_over_nest"] == pytest.approx(jx["wall_per_sim_s"] / summary["NEST"]["wall_per_sim_s"])


@pytest.mark.slow  # two fresh benchmark processes: the fast suite keeps a benchmark script, test_spatial_connect
def test_scaling(tmp_path):
    rows = run("scaling.py", tmp_path, "--scales", "0.1", "0.2", "--t-sim", T_SIM, "--runs", "1")
    assert [r["neurons"] for r in rows] == [250, 500]
    assert rows[0]["time_vs_1x"] == 1.0
    assert rows[1]["time_vs_1x"] == pytest.approx(rows[1]["wall_per_sim_s"] / rows[0]["wall_per_sim_s"])
    assert all(0 < r["run_peak_rss_mib"] <= r["peak_rss_mib"] for r in rows)


# the batched variant compiles a second, vmapped program (10-30 s): slow
# both in the full suite: the fast suite keeps ensembles in
# test_gsl_guarantees.py::test_checkpoint_store_set_and_ensemble and benchmark scripts in test_spatial_connect
@pytest.mark.parametrize("vmap", [pytest.param(False, marks=pytest.mark.slow), pytest.param(True, marks=pytest.mark.slow)])
def test_ensemble(tmp_path, vmap):
    res = run("ensemble.py", tmp_path, "--n", "2", "--t-sim", T_SIM, "--runs", "1", *(["--vmap"] if vmap else []))
    one, two = res["rows"]
    assert (one["networks"], two["networks"]) == (1, 2)
    assert two["all_differ"] and two["overflow"] == 0  # members with their own seeds, nothing dropped
    assert res["ratio"] == pytest.approx(two["simulate_s"] / one["simulate_s"])


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability: test_spatial_connect (a benchmark
# script run end to end)
def test_long_run(tmp_path):
    res = run("long_run.py", tmp_path, "--t-sim", T_SIM)
    assert res["t_sim"] == float(T_SIM) and res["spikes_E"] > 0 and len(res["peak_rss_mib_every_10s"]) == 1


@pytest.mark.slow  # compiles a differentiable run and its gradient
def test_gradients(tmp_path):
    res = run("gradients.py", tmp_path, "--scale", "0.04", "--ms", T_SIM, "--stdp", "--runs", "2", devices=None)
    assert res["median"]["runs"] == 2 and len(res["runs"]) == 2 and res["median"]["n_neurons"] == 100
    for r in res["runs"]:
        assert r["forward_s"] > 0 and r["gradient_s"] > 0 and r["child_peak_rss_mib"] > 0
        assert r["gradient_over_forward"] == pytest.approx(r["gradient_s"] / r["forward_s"], abs=0.01)


@pytest.mark.slow  # compiles a plastic network on 2 devices (20-40 s)
def test_hpc_benchmark(tmp_path):
    res = run("hpc_benchmark.py", tmp_path, "--scale", "0.01", "--k-scale", "0.01", "--t-sim", T_SIM, "--presim",
              "5", "--runs", "1")
    jx = res["summary"]["jaxsnn"]
    assert jx["runs"] == 1 and jx["wall_per_sim_s"] > 0 and jx["n_ee"] == 90 * 90
    assert [r["devices"] for r in res["runs"] if r["simulator"] == "jaxsnn"] == [2]
    if "NEST" in res["summary"]:  # where a python with nest was found: the same network, side by side
        assert res["summary"]["NEST"]["n_ee"] == 90 * 90
        assert res["summary"]["ratio_jaxsnn_over_nest"] == pytest.approx(
            jx["wall_per_sim_s"] / res["summary"]["NEST"]["wall_per_sim_s"])


@pytest.mark.slow  # compiles three differentiable training steps (20-40 s)
def test_training(tmp_path):
    res = run("training.py", tmp_path, "--epochs", "1", "--batches-per-epoch", "2", "--steps", "2", "--test", "32",
              "--ms", "10", devices=None)
    for k in ("jaxsnn (data)", "jaxsnn (poisson_generator)", "reference"):
        assert res[k]["train_step_s"] > 0 and len(res[k]["test_accuracy_per_epoch"]) == 1
    for k in ("jaxsnn (data)", "jaxsnn (poisson_generator)"):
        assert res[k]["ratio_train_step"] == pytest.approx(res[k]["train_step_s"] / res["reference"]["train_step_s"])


def test_spatial_connect(tmp_path):
    res = run("spatial_connect.py", tmp_path, "--side", "20", "--radius", "0.2", "--runs", "1", devices=None)
    s = res["summary"]
    assert set(s) == {"bernoulli_p1", "bernoulli_gaussian", "fixed_indegree_50"}
    assert s["fixed_indegree_50"]["connections"] == 400 * 50
    assert 0 < s["bernoulli_gaussian"]["connections"] < s["bernoulli_p1"]["connections"]
    assert all(v["median_s"] > 0 for v in s.values())


@pytest.mark.slow
def test_small_scripts(tmp_path):
    res = run("small_scripts.py", tmp_path, "--runs", "1", "--no-nest", devices=None)
    assert [r["script"] for r in res["rows"]] == ["one_neuron", "two_neurons", "repeated_stimulation"]
    assert all(r["jaxsnn_s"] > 0 for r in res["rows"]) and res["simulate_overhead_ms"] > 0


# both in the full suite: the fast suite keeps test_spatial_connect (a benchmark script end to end) and
# test_construction.py (the construction itself)
@pytest.mark.parametrize("network, scale", [pytest.param("brunel", "0.02", marks=pytest.mark.slow),
                                            pytest.param("microcircuit", "0.01", marks=pytest.mark.slow)])
def test_construction(tmp_path, network, scale):
    res = run("construction.py", tmp_path, "--network", network, "--scale", scale, "--t-sim", T_SIM)["results"]
    jx = res["jaxsnn"]
    phases = [p["phase"] for p in jx["phases"]]
    assert phases[1:3] == ["create", "connect"] and any("compile" in p for p in phases)
    assert jx["synapses"] > 0 and jx["construction_s"] > 0 and jx["child_peak_rss_mib"] > 0
    assert jx["bytes_per_synapse"]["model (device)"] > 0
    if "NEST" in res:  # the same network in NEST (its count includes the generator and recorder connections)
        assert 1 <= res["NEST"]["synapses"] / jx["synapses"] < 1.1


@pytest.mark.slow  # builds and runs the microcircuit twice (20 s)
def test_microcircuit(tmp_path):
    res = run("microcircuit.py", tmp_path, "--scale", "0.01", "--t-presim", T_SIM, "--t-sim", T_SIM)["results"]
    for r in res.values():
        assert len(r["rates"]) == len(r["cvs"]) == 8 and r["wall_per_sim_s"] > 0 and r["construction_s"] > 0
        assert r["n_neurons"] == 771 and r["child_peak_rss_mib"] > 0


@pytest.mark.slow
def test_cobaAdEx(tmp_path):
    res = run("cobaAdEx.py", tmp_path, "--n", "200", "--t-sim", "20", "--runs", "1", "--model", "iaf_cond_exp",
              devices=None)
    s = res["summary"]["iaf_cond_exp"]
    assert s["jaxsnn"]["wall_per_sim_s"] > 0 and s["jaxsnn"]["first_call_s"] > 0
    if "NEST" in s:
        assert s["ratio_jaxsnn_over_nest"] == pytest.approx(s["jaxsnn"]["wall_per_sim_s"] / s["NEST"]["wall_per_sim_s"])


@pytest.mark.slow
def test_gsl_integrator(tmp_path):
    res = run("gsl_integrator.py", tmp_path, "--n", "64", "--steps", "50", "--runs", "1", "--slabs", "0", "8",
              devices=None)
    assert all(v["same_bits_as_first"] and v["wall_per_sim_s"] > 0 for v in res["slabs"].values())


def test_suite_costs_plugin(tmp_path):
    """benchmarks/suite_costs.py, the pytest plugin that lists what each test costs, on one small test."""
    root, test = BENCHMARKS.parent, "tests/test_threefry.py::test_counter_pairs_match_threefry_2x32"
    env = cpu_devices(1, PYTHONPATH=f"{root}{os.pathsep}{BENCHMARKS}", SUITE_COSTS_OUT=str(tmp_path / "costs.txt"))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "suite_costs", test],
                       cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    total, row, programs = (tmp_path / "costs.txt").read_text().splitlines()
    assert total.startswith("TOTAL ") and row.endswith(test) and programs.startswith(f"  {test}: ")
    assert int(row.split(" compilations")[0].split()[-1]) >= 1  # jax's threefry_2x32, compiled
