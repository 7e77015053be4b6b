"""jaxsnn: NEST-exact spiking neural networks in JAX.

Describe a network with :class:`Network` (NEST's vocabulary) and build it (``net.build()``) into a
:class:`Simulation`: ``sim.model`` (static structure), ``sim.params`` (floating-point leaves you may tune,
sweep or differentiate) and ``sim.state`` (everything that changes). Advance it with :func:`simulate`
(chunks, recorders, capacities that grow), or with the pure-JAX core: :func:`step` (one min_delay slice,
for ``jit``/``lax.scan``), :func:`advance`, :func:`scan`, :func:`advance_ensemble`; :func:`check` says
whether such a result is complete. :func:`store`/:func:`load` write and read what you choose (NEST's
store/restore example); :func:`save_checkpoint`/:func:`load_checkpoint`/:func:`resume` continue a run
exactly.
"""
# first, before anything starts JAX's backend: every core a CPU device unless the user chose
from .run.cores import CHOSEN as _cpu_devices_set  # noqa: F401

# isort: split
from . import logic, math, parameters, random
from .build.network import Network
from .build.nodes import NodeCollection
from .core.engine import COMPILER_OPTIONS, advance, init, jit, scan, simulation_key, step
from .core.inputs import Inputs
from .core.status import Overflow, check
from .core.types import State
from .errors import CapacityError, CheckpointError, JaxsnnError, NodeIndexError
from .run.cache import disable_compilation_cache, enable_compilation_cache
from .run.simulation import Simulation, build, simulate

# imported at their first use (a small script needs none of them: each costs import time)
_LAZY = {
    "encoders": (".encoders", None), "losses": (".losses", None), "observables": (".observables", None),
    "spatial": (".spatial", None), "spatial_distributions": (".spatial.distributions", None),
    "advance_ensemble": (".core.ensemble", "advance_ensemble"),
    "load_checkpoint": (".io.checkpoint", "load_checkpoint"), "resume": (".io.checkpoint", "resume"),
    "save_checkpoint": (".io.checkpoint", "save_checkpoint"),
    "simulate_with_checkpoints": (".io.checkpoint", "simulate_with_checkpoints"),
    "Stored": (".io.store", "Stored"), "load": (".io.store", "load"), "restore_into": (".io.store", "restore_into"),
    "store": (".io.store", "store"),
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'jaxsnn' has no attribute {name!r}")
    import importlib

    module, attr = _LAZY[name]
    value = importlib.import_module(module, __name__)
    value = value if attr is None else getattr(value, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.2.0"
__all__ = [
    "COMPILER_OPTIONS", "CapacityError", "CheckpointError", "Inputs", "JaxsnnError", "Network", "NodeCollection",
    "NodeIndexError", "Overflow", "Simulation", "State", "Stored", "advance", "advance_ensemble", "build", "check",
    "disable_compilation_cache", "enable_compilation_cache", "encoders", "init", "jit", "load", "load_checkpoint",
    "logic", "losses", "math", "observables", "parameters", "random", "restore_into", "resume", "save_checkpoint",
    "scan", "simulate", "simulate_with_checkpoints", "simulation_key", "spatial", "spatial_distributions", "step",
    "store",
]
