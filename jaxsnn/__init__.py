"""jaxsnn: NEST-exact spiking neural networks in JAX.

Describe a network with :class:`Network` (NEST's vocabulary), compile it with :meth:`Network.build`
into a :class:`Simulation` (a static spec plus ``params`` and ``state`` pytrees) and advance it with
:func:`simulate`. :func:`store`/:func:`load` write and read what you choose (NEST's store/restore
example); :func:`save_checkpoint`/:func:`load_checkpoint` resume a run exactly.
"""
from . import random
from .cache import disable_compilation_cache, enable_compilation_cache
from .errors import CapacityError, CheckpointError, JaxsnnError
from .network import Network
from .nodes import NodeCollection
from .simulation import Simulation, simulate
from .store import (Stored, load, load_checkpoint, restore_into, resume, save_checkpoint, simulate_with_checkpoints,
                    store)

__version__ = "0.1.0"
__all__ = ["CapacityError", "CheckpointError", "JaxsnnError", "Network", "NodeCollection", "Simulation", "Stored", "disable_compilation_cache",
           "enable_compilation_cache", "load", "load_checkpoint", "random", "restore_into", "resume", "save_checkpoint", "simulate",
           "simulate_with_checkpoints", "store"]
