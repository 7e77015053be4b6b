"""A progress bar for long runs, in simulated milliseconds.

    bar = progress.bar(total_ms)
    bar.update(done_ms)     # the simulated time reached so far (absolute, not an increment)
    bar.close()

It uses `tqdm <https://tqdm.github.io>`_ when that is installed (an optional dependency) and otherwise
rewrites one plain line on stderr: ``[jaxsnn] 500.0/1000.0 ms (50 %, 1.2 s)``. Reporting never
touches the simulation, so a run with a bar gives the same bits as one without.
"""
from __future__ import annotations

import numbers
import sys
import time

from ..errors import bad_value


def bar(total_ms: float, *, file=None, use_tqdm: bool | None = None, desc: str = "jaxsnn"):
    """A reporter for a run of ``total_ms`` simulated ms (>= 0), writing to ``file`` (default stderr).

    ``use_tqdm``: None picks tqdm if it can be imported; False forces the plain line; True requires tqdm.
    """
    if not (isinstance(total_ms, numbers.Real) and 0 <= total_ms < float("inf")):
        raise bad_value("total_ms", total_ms, "a finite number of ms >= 0")
    file = sys.stderr if file is None else file
    if use_tqdm is not False:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            if use_tqdm:
                raise
        else:
            return _Tqdm(tqdm, float(total_ms), file, desc)
    return _Line(float(total_ms), file, desc)


class _Line:
    """One line on ``file``, rewritten with a carriage return; a newline when closed."""

    def __init__(self, total, file, desc):
        self.total, self.file, self.desc = total, file, desc
        self.done, self.t0, self.closed = 0.0, time.perf_counter(), False

    def update(self, done_ms: float):
        self.done = _checked(done_ms, self.done, self.total)
        pct = 100.0 * self.done / self.total if self.total else 100.0
        print(f"\r[{self.desc}] {self.done:.1f}/{self.total:.1f} ms ({pct:.0f} %, "
              f"{time.perf_counter() - self.t0:.1f} s)", end="", file=self.file, flush=True)

    def close(self):
        if not self.closed:
            self.closed = True
            print(file=self.file, flush=True)


class _Tqdm:
    def __init__(self, tqdm, total, file, desc):
        self.total, self.done = total, 0.0
        self._bar = tqdm(total=total, unit="ms", desc=desc, file=file, dynamic_ncols=True,
                         bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} ms [{elapsed}<{remaining}]")

    def update(self, done_ms: float):
        new = _checked(done_ms, self.done, self.total)
        self._bar.update(new - self.done)
        self.done = new

    def close(self):
        self._bar.close()


def _checked(done_ms, previous, total):
    if not (isinstance(done_ms, numbers.Real) and previous <= done_ms <= total * (1 + 1e-12)):
        raise bad_value("done_ms", done_ms, f"the simulated time reached, from {previous} to {total} ms")
    return min(float(done_ms), total)
