"""The founding network's statistics (jaxsnn/testing/founding_stats.py), loaded by the file's path: the
NEST child runs in a Python without jax, so it cannot import the jaxsnn package."""
import importlib.util
import pathlib

_spec = importlib.util.spec_from_file_location(
    "founding_stats", pathlib.Path(__file__).resolve().parents[1] / "jaxsnn" / "testing" / "founding_stats.py")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
window_stats, band, compare, KEYS = _module.window_stats, _module.band, _module.compare, _module.KEYS
