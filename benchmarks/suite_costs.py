"""What each test of a test file costs: CPU seconds, XLA compilations and capacity growths (a pytest plugin).

The test suite's time is mostly XLA compiling simulation loops, a few seconds of CPU each, and, for code
run operation by operation (``jaxsnn.advance`` or ``jax.grad`` outside ``jit``), tens of small programs of
some 30 ms each. CPU seconds (this process's and its finished children's) hardly depend on what else the
machine runs, unlike wall seconds, so they compare runs taken on a busy machine. Use one file at a time::

    PYTHONPATH=.:benchmarks python -m pytest -q -p suite_costs -m "not slow" tests/test_core.py

It prints, after the tests, the file's total and the ``SUITE_COSTS_N`` (default 15) costliest tests: CPU
seconds (of which child processes), wall seconds, compilations (with their logged seconds), growths of
``simulate``'s capacities (each compiles the loop again), then the programs compiled by the five costliest.
``SUITE_COSTS_OUT=file`` appends the same text to a file. It turns JAX's compile log on
(``jax_log_compiles``), so a test that reads JAX's log may see more lines than without the plugin.
"""
import collections
import logging
import os
import re
import resource
import time

import pytest

_rows = []
_compiles = collections.Counter()  # test id -> compilations
_compile_s = collections.Counter()  # test id -> logged compile seconds
_programs = collections.defaultdict(collections.Counter)  # test id -> program name -> compilations
_growths = collections.Counter()  # test id -> capacity growths of simulate
_current = [None]


class _CompileLog(logging.Handler):
    def emit(self, record):
        m = re.search(r"Finished XLA compilation of (\S+) in ([0-9.]+) sec", record.getMessage())
        if m and _current[0]:
            _compiles[_current[0]] += 1
            _compile_s[_current[0]] += float(m.group(2))
            _programs[_current[0]][m.group(1)] += 1


def _cpu():
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime


_start = (_cpu(), time.perf_counter())


def pytest_configure(config):
    import jax

    from jaxsnn.run import simulation

    jax.config.update("jax_log_compiles", True)
    logging.getLogger("jax").addHandler(_CompileLog(logging.DEBUG))
    grown = simulation._grown

    def counted(*args, **kw):
        if _current[0]:
            _growths[_current[0]] += 1
        return grown(*args, **kw)
    simulation._grown = counted


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current[0] = item.nodeid
    (own, children), wall = _cpu(), time.perf_counter()
    yield
    own2, children2 = _cpu()
    _rows.append((own2 - own + children2 - children, children2 - children, time.perf_counter() - wall,
                  _compiles[item.nodeid], _compile_s[item.nodeid], _growths[item.nodeid], item.nodeid))


def pytest_sessionfinish(session):
    (own, children), n = _cpu(), int(os.environ.get("SUITE_COSTS_N", "15"))
    total = own - _start[0][0] + children - _start[0][1]
    wall = time.perf_counter() - _start[1]
    lines = [f"TOTAL {total:.1f} s CPU (children {children - _start[0][1]:.1f}), {wall:.1f} s wall, "
             f"{sum(_compiles.values())} compilations, {sum(_growths.values())} growths"]
    top = sorted(_rows, reverse=True)
    lines += [f"{cpu:6.1f} s CPU ({kids:5.1f} children) {w:6.1f} s wall {c:4d} compilations ({cs:5.1f} s) "
              f"{g:2d} growths  {name}" for cpu, kids, w, c, cs, g, name in top[:n]]
    lines += [f"  {r[-1]}: " + ", ".join(f"{k} x{v}" for k, v in _programs[r[-1]].most_common(8)) for r in top[:5]]
    text = "\n".join(lines)
    if os.environ.get("SUITE_COSTS_OUT"):
        with open(os.environ["SUITE_COSTS_OUT"], "a") as f:
            f.write(text + "\n")
    print("\n" + text)
