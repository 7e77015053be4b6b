"""Run the scripts of ``tests/status_key_scripts.py`` in NEST 3.10 and store what they observed.

    /work/nestvenv/bin/python tests/reference/tools/nest_status_keys.py

Writes ``tests/reference/pynest_cases/status_keys_<script>.json`` (``tests/test_nest_status_keys.py``
compares ``jaxsnn.nest`` with them). NEST is needed here only.
"""
import inspect
import json
import pathlib
import sys
import tempfile

import nest

HERE = pathlib.Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[2]))
from status_key_scripts import SCRIPTS  # noqa: E402

OUT = HERE.parents[1] / "pynest_cases"


def main():
    nest.set_verbosity("M_ERROR")
    for name, script in SCRIPTS.items():
        with tempfile.TemporaryDirectory() as tmp:
            result = script(nest, tmp) if "data_path" in inspect.signature(script).parameters else script(nest)
        (OUT / f"status_keys_{name}.json").write_text(json.dumps(result) + "\n")
        print(name, result)


if __name__ == "__main__":
    main()
