"""Every core of the machine as a JAX CPU device, as NEST runs one thread per core.

JAX's CPU backend is one device unless told otherwise, and a network is split over devices
(:mod:`jaxsnn.run.sharding`), so without this a user who writes no ``XLA_FLAGS`` would simulate on one
core. :func:`use_all_cores` runs when this module is imported (``jaxsnn`` imports it first) and,
unless the user chose already, sets ``jax_num_cpu_devices`` to the number of cores this process may
run on. The results are the same bits
for any number of devices; only the speed differs.

The user's choice wins, made in any of JAX's ways before the backend starts:

- ``JAX_NUM_CPU_DEVICES=1`` in the environment (opt out: one device), or any other number;
- ``XLA_FLAGS=--xla_force_host_platform_device_count=N``;
- ``jax.config.update("jax_num_cpu_devices", N)`` before ``import jaxsnn``.

If JAX has already run something before ``import jaxsnn``, its devices are fixed and stay as they are.
``net.build(devices=1)`` uses one of the devices, whatever their number.
"""
from __future__ import annotations

import os

import jax

FLAG = "--xla_force_host_platform_device_count"


def cores() -> int:
    """The cores this process may run on (its CPU affinity, which batch schedulers set), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity on this platform (macOS)
        return max(1, os.cpu_count() or 1)


def use_all_cores() -> int | None:
    """Make every core a JAX CPU device unless the user chose a number (see the module docstring) or JAX
    has started; returns the number set, or None when it left the setting alone."""
    if jax.config.jax_num_cpu_devices >= 0 or FLAG in os.environ.get("XLA_FLAGS", ""):
        return None
    n = cores()
    try:
        jax.config.update("jax_num_cpu_devices", n)
    except RuntimeError:  # the backend started before jaxsnn was imported: its devices are fixed
        return None
    return n


CHOSEN = use_all_cores()  # the number of devices set at import, or None
