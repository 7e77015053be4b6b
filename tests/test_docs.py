"""The notebook and the examples run (small sizes) and check what they claim."""
import json
import subprocess
import sys

import pytest

from .conftest import ROOT, notebook_output


@pytest.mark.slow  # the fast suite keeps a faster test of the same capability:
# test_store_restore_demo_runs_and_writes_its_outputs (the notebook's example script) and test_readme.py
def test_notebook_runs():
    text = notebook_output("store_restore_network.ipynb")
    assert "same seed identical: True | other seed differs: True" in text
    assert "resume == continuation: True" in text


def test_store_restore_demo_runs_and_writes_its_outputs(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "store_restore_network.py"), "--out", str(tmp_path),
                        "--scale", "0.1", "--t-sim", "200"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    s = json.loads((tmp_path / "summary.json").read_text())
    assert set(s) >= {"seed", "precision", "versions", "results", "timings_s"}
    assert s["seed"] == 143202461 and s["precision"] == "float32"
    assert set(s["versions"]) == {"jaxsnn", "jax", "numpy", "orbax"} and all(s["versions"].values())
    res = s["results"]
    assert res["same_seed_identical"] and res["other_seed_differs"] and res["resume_equals_continuation"]
    assert len(res["runs"]) == 6 and not any(k.endswith("_s") for k in res)  # timings apart from results
    assert all(v >= 0 for v in s["timings_s"].values())
    assert (tmp_path / "store_restore_network.png").stat().st_size > 10_000
