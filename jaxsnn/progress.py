"""Progress of long runs: tqdm's bar if tqdm is installed, else one line on stderr."""
from __future__ import annotations

import sys
import time


class _Line:
    def __init__(self, total_ms: float):
        self.total, self.t0 = total_ms, time.perf_counter()

    def update(self, done_ms: float):
        el = time.perf_counter() - self.t0
        pct = 100 * done_ms / self.total if self.total else 100
        print(f"\r[jaxsnn] {done_ms:.1f}/{self.total:.1f} ms ({pct:.0f} %, {el:.1f} s)", end="", file=sys.stderr, flush=True)

    def close(self):
        print(file=sys.stderr, flush=True)


class _Tqdm:
    def __init__(self, total_ms: float, tqdm):
        self.bar, self.done = tqdm(total=total_ms, unit="ms", desc="jaxsnn"), 0.0

    def update(self, done_ms: float):
        self.bar.update(done_ms - self.done)
        self.done = done_ms

    def close(self):
        self.bar.close()


def bar(total_ms: float):
    """A reporter of simulated time: ``.update(done_ms)``, ``.close()``."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Line(total_ms)
    return _Tqdm(total_ms, tqdm)
