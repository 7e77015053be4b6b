import os
import pathlib

import jax
import pytest


SHARED = pathlib.Path(os.environ.get("JAXSNN_SHARED", pathlib.Path(__file__).resolve().parents[2] / "shared"))
CASES = SHARED / "reference" / "nest_cases"


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
        pytest.skip(f"no NEST cases found under {CASES} (set JAXSNN_SHARED)", allow_module_level=True)
    return files
