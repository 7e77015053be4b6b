"""Run the scripts of ``tests/calcium_scripts.py`` (NEST's calcium trace) in NEST 3.10 and store what they saw.

    /work/nestvenv/bin/python tests/reference/tools/nest_calcium.py

Writes ``tests/reference/pynest_cases/calcium_<script>.json`` (``tests/test_nest_calcium.py``
compares ``jaxsnn.nest`` with them). NEST is needed here only.
"""
import inspect  # noqa: F401
import json
import pathlib
import sys
import tempfile

import nest

HERE = pathlib.Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[2]))
from calcium_scripts import SCRIPTS  # noqa: E402

OUT = HERE.parents[1] / "pynest_cases"


def main():
    nest.set_verbosity("M_ERROR")
    for name, script in SCRIPTS.items():
        with tempfile.TemporaryDirectory() as tmp:
            result = script(nest, tmp) if "data_path" in inspect.signature(script).parameters else script(nest)
        (OUT / f"calcium_{name}.json").write_text(json.dumps(result) + "\n")
        print(name, result)


if __name__ == "__main__":
    main()
