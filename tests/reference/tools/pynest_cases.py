"""Run the PyNEST-style scripts of ``tests/pynest_scripts.py`` in NEST 3.10 and store what they observed.

    /work/nestvenv/bin/python tests/reference/tools/pynest_cases.py [SCRIPT ...]

Writes ``tests/reference/pynest_cases/pynest_<script>.json`` (``tests/test_nest_api.py`` compares
``jaxsnn.nest`` with them). NEST is needed here only.
"""
import json
import pathlib
import sys

import nest

HERE = pathlib.Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[2]))
from pynest_scripts import SCRIPTS  # noqa: E402

OUT = HERE.parents[1] / "pynest_cases"


def main(names):
    for name, script in SCRIPTS.items():
        if names and name not in names:
            continue
        result = script(nest)
        result["nest_version"] = nest.__version__ if hasattr(nest, "__version__") else "3.10"
        (OUT / f"pynest_{name}.json").write_text(json.dumps(result, indent=None) + "\n")
        print(name, {k: (len(v) if isinstance(v, list) else v) for k, v in result.items() if k != "vm"})


if __name__ == "__main__":
    main(sys.argv[1:])
