"""Every NEST 3.10 case in tests/reference/nest_cases, in float64 (exact) and float32 (bounded)."""
import json
import subprocess
import sys

import jax
import numpy as np
import pytest

from jaxsnn.testing.conformance import run_case

from .conftest import CASES, case_files

FILES = case_files()


def load(path):
    with open(path) as f:
        return json.load(f)


@pytest.mark.parametrize("path", [f for f in FILES if load(f)["kind"] == "neuron"], ids=lambda p: p.stem)
def test_neuron_case(path, precision):
    case = load(path)
    out, exp = run_case(case), case["expected"]
    assert out["spike_times"] == exp["spike_times"]
    assert out["V_m_times"] == exp["V_m_times"]
    if precision:  # bit-identical, also where the CPU has fused multiply-adds
        np.testing.assert_array_equal(out["V_m"], exp["V_m"])
    else:
        np.testing.assert_allclose(out["V_m"], exp["V_m"], rtol=0, atol=1e-3)


@pytest.mark.parametrize("path", [f for f in FILES if load(f)["kind"] == "stdp"], ids=lambda p: p.stem)
def test_stdp_case(path, precision):
    case = load(path)
    out, exp = run_case(case), case["expected"]
    assert out["weight_recorder_times"] == exp["weight_recorder_times"]
    rtol = 1e-12 if precision else 1e-5
    np.testing.assert_allclose(out["weight_recorder_weights"], exp["weight_recorder_weights"], rtol=rtol)
    np.testing.assert_allclose(out["final_weight"], exp["final_weight"], rtol=rtol)
    np.testing.assert_allclose(out["final_Kplus"], exp["final_Kplus"], rtol=rtol)


@pytest.mark.parametrize("path", [f for f in FILES if load(f)["kind"] == "network"], ids=lambda p: p.stem)
def test_network_case(path, precision):
    case = load(path)
    out, exp = run_case(case), case["expected"]
    assert out["spike_times"] == exp["spike_times"]
    assert out["spike_senders"] == exp["spike_senders"]
    tol = 1e-9 if precision else 1e-3
    np.testing.assert_allclose(out["final_V_m"], exp["final_V_m"], rtol=0, atol=tol)
    for k in ("source", "target", "delay"):
        np.testing.assert_array_equal(out["e_syn_final"][k], exp["e_syn_final"][k])
    np.testing.assert_allclose(out["e_syn_final"]["weight"], exp["e_syn_final"]["weight"], rtol=0,
                               atol=1e-9 if precision else 1e-4)


def _cli(path, *flags):
    return subprocess.run([sys.executable, "-m", "jaxsnn.testing.conformance", str(path), *flags], capture_output=True,
                          text=True, check=False)


def test_command_line_passes_a_nest_case_key_by_key(tmp_path):
    path = CASES / "iaf_delta_spike_and_refractory.json"
    r = _cli(path, "--x64", "--output", str(tmp_path / "out.json"))
    assert r.returncode == 0, r.stdout + r.stderr
    for key in load(path)["expected"]:
        assert f"PASS  {key}: " in r.stdout
    assert "FAIL" not in r.stdout and "PASS: 3 of 3 keys agree with NEST (float64)" in r.stdout
    assert set(json.loads((tmp_path / "out.json").read_text())) == set(load(path)["expected"])


def test_command_line_fails_a_corrupted_case(tmp_path, capsys):
    from jaxsnn.testing.conformance import main

    case = load(CASES / "iaf_delta_spike_and_refractory.json")
    case["expected"]["V_m"][5] += 1e-12  # one sample off by far less than float32 could see
    case["expected"]["spike_times"][0] += 0.1  # one spike a step late
    path = tmp_path / "corrupted.json"
    path.write_text(json.dumps(case))
    old = jax.config.jax_enable_x64
    try:  # float64 in this process (test_neuron_case compiled the case's program); main turns x64 on
        rc = main([str(path), "--x64"])
    finally:
        jax.config.update("jax_enable_x64", old)
    out = capsys.readouterr().out
    assert rc == 1, out
    assert "FAIL  V_m: " in out and "FAIL  spike_times: 1 of" in out and "PASS  V_m_times" in out
    assert "FAIL: 1 of 3 keys agree" in out
    r32 = _cli(path)  # as a command, float32: the 1e-12 mV is within its tolerance, the late spike is not
    assert r32.returncode == 1 and "PASS  V_m: " in r32.stdout and "FAIL  spike_times" in r32.stdout


def test_command_line_prints_our_output_for_a_case_without_expected(tmp_path, x64, capsys):
    from jaxsnn.testing.conformance import main  # in this process, where test_neuron_case compiled the case

    case = load(CASES / "iaf_delta_subthreshold.json")
    exp = case.pop("expected")
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    rc = main([str(path), "--x64"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    out = json.loads(captured.out)
    np.testing.assert_array_equal(out["V_m"], exp["V_m"])


def test_unsupported_kind_is_a_clear_error(tmp_path, capsys):
    from jaxsnn.testing.conformance import main

    path = tmp_path / "case.json"
    path.write_text(json.dumps({"kind": "aeif", "expected": {}}))
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert "'aeif' is not supported" in err and "neuron" in err


# fast: the other kinds (stdp_parrot_multiplicity's kind, synapse, is the command line's stdp cases' too)
@pytest.mark.parametrize("name", ["exp_subthreshold", "alpha_custom_params", "parrot_repeats",
                                  pytest.param("stdp_parrot_multiplicity", marks=pytest.mark.slow),
                                  "voltmeter_equals_multimeter"])
def test_command_line_has_a_criterion_for_every_key_of_the_new_kinds(name, x64, capsys):
    # the command line's main in this process (the tests above run it as a command): a process each cost
    # more in starting JAX than in running the case
    from jaxsnn.testing.conformance import main

    rc = main([str(CASES / f"{name}.json"), "--x64"])
    out = capsys.readouterr().out
    assert rc == 0 and "FAIL" not in out and "keys agree with NEST (float64)" in out, out
