"""Every ```python block of README.md runs, in order, as one script in an empty directory.

The blocks share one namespace, as a user pasting them into one file would. The script runs in a child
process (so x64 stays at its default unless a block sets it) from an empty temporary directory. Every block
is run even after one fails, and the failure names each failing block by its line in README.md; a block
that fails only because an earlier one did is reported too, after the first.
"""
import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

RUNNER = r'''
import json, sys, traceback
blocks = json.load(open(sys.argv[1]))
namespace = {"__name__": "__main__"}
failed = []
for b in blocks:
    try:
        exec(compile(b["code"], f"README.md, block at line {b['line']}", "exec"), namespace)
    except BaseException:
        failed.append({"line": b["line"], "first": b["code"].splitlines()[0],
                       "error": "".join(traceback.format_exc().splitlines(True)[-12:])})
print("README-RESULT " + json.dumps(failed))
'''


def python_blocks(text):
    """[(line of the first code line, code)] of every ```python block, in order."""
    blocks = []
    for m in re.finditer(r"^```python\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        blocks.append((text.count("\n", 0, m.start(1)) + 1, m.group(1)))
    return blocks


def test_python_blocks_are_found():
    blocks = python_blocks("text\n```python\nx = 1\n```\n```bash\nls\n```\n```python\ny = 2\n```\n")
    assert blocks == [(3, "x = 1\n"), (9, "y = 2\n")]


def test_readme_python_blocks_run_in_order_as_one_script(tmp_path):
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 4
    work = tmp_path / "empty"
    work.mkdir()
    spec = tmp_path / "blocks.json"
    spec.write_text(json.dumps([{"line": line, "code": code} for line, code in blocks]))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("JAX_ENABLE_X64", None)
    r = subprocess.run([sys.executable, "-c", RUNNER, str(spec)], cwd=work, env=env, capture_output=True,
                       text=True, timeout=600, check=False)
    results = [ln for ln in r.stdout.splitlines() if ln.startswith("README-RESULT ")]
    assert r.returncode == 0 and results, f"the runner itself failed:\n{r.stderr[-3000:]}"
    failed = json.loads(results[-1][len("README-RESULT "):])
    report = "\n\n".join(f"README.md block at line {f['line']} ({f['first']!r}) raised:\n{f['error']}" for f in failed)
    assert not failed, f"{len(failed)} of {len(blocks)} README blocks failed (the first may cause the rest):\n\n{report}"
