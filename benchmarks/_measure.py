"""Tiny helpers for honest benchmark timing on a small, noisy machine (stdlib only).

Each measurement runs in a fresh child process, so imports, JIT caches and the allocator
of one run never leak into the next. The child does its own timing (around exactly the
code of interest) and prints ONE JSON line on stdout; `run_child` returns that dict.

Peak memory: the parent reaps the child with ``os.wait4``, which returns the kernel's
resource usage of *that* child alone (``ru_maxrss`` = its peak resident set; on Linux
this also covers descendants it waited for). That is the very number ``/usr/bin/time -v``
prints (GNU time calls wait4 too), without depending on the binary being installed or on
parsing its text. ``getrusage(RUSAGE_CHILDREN)`` is *not* used: it is the max over all
children reaped so far, so it cannot be attributed to one run.
"""
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def rss_mib(ru_maxrss):
    """Convert ``ru_maxrss`` to MiB (kilobytes on Linux, bytes on macOS)."""
    return ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)


def self_peak_rss_mib():
    """Peak RSS of the calling process in MiB (for the child to report itself)."""
    import resource
    return rss_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_child(argv, env=None, timeout=None):
    """Run ``argv`` (e.g. ``[python, script, ...]``) and return its last JSON stdout line as a
    dict, plus ``child_peak_rss_mib`` (whole-process peak from wait4, see module doc) and
    ``child_wall_s`` (whole process, start-up included). ``env`` entries are added to the current environment.
    Raises ``subprocess.TimeoutExpired`` (child killed) or ``subprocess.CalledProcessError``.
    """
    full_env = None if env is None else {**os.environ, **{k: str(v) for k, v in env.items()}}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=out, stderr=err, env=full_env)
        # os.kill, not p.kill: Popen.kill would poll() and might reap the child before wait4.
        timer = threading.Timer(timeout, os.kill, (p.pid, signal.SIGKILL)) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(p.pid, 0)
        if timer:
            timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # tell Popen the child is reaped
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if timeout and p.returncode == -signal.SIGKILL and wall >= timeout:
        raise subprocess.TimeoutExpired(argv, timeout, stdout, stderr)
    if p.returncode != 0:
        raise subprocess.CalledProcessError(p.returncode, argv, stdout, stderr[-4000:])
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise ValueError(f"child printed no JSON line; stdout tail: {stdout[-1000:]!r}")
    res = json.loads(lines[-1])
    res["child_peak_rss_mib"] = round(rss_mib(usage.ru_maxrss), 1)
    res["child_wall_s"] = round(wall, 3)
    return res


def set_cpu_devices(n):
    """Make the CPU ``n`` JAX devices (one per core: a network is split over them); call before importing jax."""
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if "xla_force_host_platform_device_count" not in f]
    os.environ["XLA_FLAGS"] = " ".join(flags + [f"--xla_force_host_platform_device_count={n}"])


def median(xs):
    return statistics.median(xs)


def table(rows, columns):
    """Aligned text table of ``rows`` (dicts) restricted to ``columns`` (keys)."""
    def fmt(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v)
    cells = [list(columns)] + [[fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(s.rjust(w) for s, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
