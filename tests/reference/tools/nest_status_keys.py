"""Run the scripts of ``tests/status_key_scripts.py`` in NEST 3.10 and store what they observed.

    /work/nestvenv/bin/python tests/reference/tools/nest_status_keys.py

Writes ``tests/reference/pynest_cases/status_keys_<script>.json`` (``tests/test_nest_status_keys.py``
compares ``jaxsnn.nest`` with them). NEST is needed here only. :func:`run` serves other script modules too
(``nest_calcium.py``).
"""
import importlib
import inspect
import json
import pathlib
import sys
import tempfile

import nest

HERE = pathlib.Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[2]))
OUT = HERE.parents[1] / "pynest_cases"


def run(module: str, prefix: str):
    """Each script of ``tests/<module>.py``'s SCRIPTS in NEST, its result in ``<prefix>_<script>.json``; a script
    that takes ``data_path`` gets a temporary directory."""
    nest.set_verbosity("M_ERROR")
    for name, script in importlib.import_module(module).SCRIPTS.items():
        with tempfile.TemporaryDirectory() as tmp:
            result = script(nest, tmp) if "data_path" in inspect.signature(script).parameters else script(nest)
        (OUT / f"{prefix}_{name}.json").write_text(json.dumps(result) + "\n")
        print(name, result)


if __name__ == "__main__":
    run("status_key_scripts", "status_keys")
