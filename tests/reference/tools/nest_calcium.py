"""Run the scripts of ``tests/calcium_scripts.py`` (NEST's calcium trace) in NEST 3.10 and store what they saw.

    /work/nestvenv/bin/python tests/reference/tools/nest_calcium.py

Writes ``tests/reference/pynest_cases/calcium_<script>.json`` (``tests/test_nest_calcium.py``
compares ``jaxsnn.nest`` with them). NEST is needed here only.
"""
from nest_status_keys import run

if __name__ == "__main__":
    run("calcium_scripts", "calcium")
