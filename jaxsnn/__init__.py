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
from . import encoders, logic, losses, math, observables, parameters, random, spatial
from .build.network import Network
from .build.nodes import NodeCollection
from .core.engine import COMPILER_OPTIONS, advance, init, jit, scan, simulation_key, step
from .core.ensemble import advance_ensemble
from .core.inputs import Inputs
from .core.status import Overflow, check
from .core.types import State
from .errors import CapacityError, CheckpointError, JaxsnnError, NodeIndexError
from .io.checkpoint import load_checkpoint, resume, save_checkpoint, simulate_with_checkpoints
from .io.store import Stored, load, restore_into, store
from .run.cache import disable_compilation_cache, enable_compilation_cache
from .run.simulation import Simulation, build, simulate
from .spatial import distributions as spatial_distributions

__version__ = "0.2.0"
__all__ = [
    "COMPILER_OPTIONS", "CapacityError", "CheckpointError", "Inputs", "JaxsnnError", "Network", "NodeCollection",
    "NodeIndexError", "Overflow", "Simulation", "State", "Stored", "advance", "advance_ensemble", "build", "check",
    "disable_compilation_cache", "enable_compilation_cache", "encoders", "init", "jit", "load", "load_checkpoint",
    "logic", "losses", "math", "observables", "parameters", "random", "restore_into", "resume", "save_checkpoint",
    "scan", "simulate", "simulate_with_checkpoints", "simulation_key", "spatial", "spatial_distributions", "step",
    "store",
]
