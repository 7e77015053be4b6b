import os
import pathlib

import jax
import pytest

REFERENCE = pathlib.Path(__file__).resolve().parent / "reference"  # NEST 3.10's output, made by reference/tools
CASES = REFERENCE / "nest_cases"


@pytest.fixture(params=[True, False], ids=["float64", "float32"])
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


def case_files(prefix=""):
    files = sorted(CASES.glob(f"{prefix}*.json"))
    if not files:
        raise FileNotFoundError(f"no NEST reference cases {prefix}*.json under {CASES}")
    return files
