"""jaxsnn: NEST-exact spiking networks in JAX."""
from ._xla import disable_fma

disable_fma()
from . import random
from .cache import disable_compilation_cache, enable_compilation_cache
from .errors import CapacityError, JaxsnnError
from .network import Network
from .nodes import NodeCollection
from .simulation import Simulation, simulate
from .store import Stored, load, load_checkpoint, resume, save_checkpoint, simulate_with_checkpoints, store

__version__ = "0.1.0"
