"""jaxsnn: NEST-exact spiking neural networks in JAX.

Describe a network with :class:`Network` (NEST's vocabulary), compile it with :meth:`Network.build`
into a :class:`Simulation` (a static spec plus ``params`` and ``state`` pytrees) and advance it with
:func:`simulate`. :func:`store`/:func:`load` write and read what you choose (NEST's store/restore
example); :func:`save_checkpoint`/:func:`load_checkpoint` resume a run exactly.
"""
from ._xla import disable_fma

disable_fma()  # before JAX starts its CPU backend: float64 results bit-identical to NEST

from . import random  # noqa: E402
from .cache import disable_compilation_cache, enable_compilation_cache  # noqa: E402
from .errors import CapacityError, JaxsnnError  # noqa: E402
from .network import Network  # noqa: E402
from .nodes import NodeCollection  # noqa: E402
from .simulation import Simulation, simulate  # noqa: E402
from .store import (Stored, load, load_checkpoint, restore_into, resume, save_checkpoint,  # noqa: E402
                    simulate_with_checkpoints, store)

__version__ = "0.1.0"
__all__ = ["CapacityError", "JaxsnnError", "Network", "NodeCollection", "Simulation", "Stored", "disable_compilation_cache",
           "enable_compilation_cache", "load", "load_checkpoint", "random", "restore_into", "resume", "save_checkpoint", "simulate",
           "simulate_with_checkpoints", "store"]
