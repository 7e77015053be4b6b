import os
import pathlib

import jax
import pytest

# The suite runs on one device, as it always has, whatever the machine's cores (jaxsnn would make each a
# device): the split over devices and processes is tested in child processes (test_sharding, ...).
if jax.config.jax_num_cpu_devices < 0 and "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    jax.config.update("jax_num_cpu_devices", 1)

ROOT = pathlib.Path(__file__).resolve().parents[1]
REFERENCE = pathlib.Path(__file__).resolve().parent / "reference"  # NEST 3.10's output, made by reference/tools
CASES = REFERENCE / "nest_cases"


# float32 runs of the NEST cases are slow tests: the fast suite checks NEST's exactness (float64), while the
# default precision is exercised by every other test
@pytest.fixture(params=[True, pytest.param(False, marks=pytest.mark.slow)], ids=["float64", "float32"])
def precision(request):
    """Run the test in float64 and in float32 (the parameter: whether x64 is on)."""
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", request.param)
    yield request.param
    jax.config.update("jax_enable_x64", old)


@pytest.fixture
def x64():
    """Run the test in float64, restoring the previous setting afterwards."""
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", old)


def cpu_devices(n, flags="", **env):
    """Environment for a child process whose JAX backend is the CPU split into ``n`` devices, also on a
    machine with a GPU (which would otherwise be the default backend)."""
    return {**os.environ, **env, "JAX_PLATFORMS": "cpu",
            "XLA_FLAGS": f"--xla_force_host_platform_device_count={n} {flags}".strip()}


def whole_parts_resumed(net, t, split, checkpoint_at, tmp_path):
    """``net`` run for ``t`` ms three ways: whole, in two parts cut at ``split`` ms, and resumed at ``checkpoint_at``
    ms from a checkpoint written under ``tmp_path``: (whole, parts, resumed), equal bit for bit when split runs
    and resumes are exact."""
    import jaxsnn

    whole = jaxsnn.simulate(net.build(), t)
    parts = jaxsnn.simulate(jaxsnn.simulate(net.build(), split), t - split)
    jaxsnn.save_checkpoint(tmp_path / "ck", jaxsnn.simulate(net.build(), checkpoint_at))
    resumed = jaxsnn.simulate(jaxsnn.load_checkpoint(tmp_path / "ck", net.build()), t - checkpoint_at)
    return whole, parts, resumed


def case_files(prefix=""):
    files = sorted(CASES.glob(f"{prefix}*.json"))
    if not files:
        raise FileNotFoundError(f"no NEST reference cases {prefix}*.json under {CASES}")
    return files


def notebook_output(name, timeout=600):
    """Execute ``notebooks/<name>`` at its smoke size (``JAXSNN_SMOKE=1``) from the repository root;
    returns the text its code cells printed."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    os.environ["JAXSNN_SMOKE"] = "1"
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        del os.environ["JAXSNN_SMOKE"]
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
