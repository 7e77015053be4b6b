"""The kernel of :mod:`jaxsnn.nest`: NEST's global state, as a stateful shell over the functional core.

It holds the kernel settings (resolution, seed, ...), one :class:`~jaxsnn.Network` description that
``Create``/``Connect``/``CopyModel``/``SetDefaults``/``set`` extend, and the
:class:`~jaxsnn.Simulation` that ``Simulate`` advances. Nothing is simulated here: ``Simulate`` calls
:func:`jaxsnn.simulate`.

Between ``Simulate`` calls every change goes to the description, and also

- to the running simulation in place where the compiled arrays take it (neuron parameters and state
  through :meth:`~jaxsnn.Simulation.set`, dc/step-current amplitudes, weights between neurons): no
  rebuild, no recompilation;
- otherwise (generator rates, windows and spike times, recorder windows, delays, plasticity
  parameters and K+ of connections, weights from generators, new nodes or connections)
  the simulation is rebuilt from the description at the next ``Simulate`` and the run's state carried
  over (:mod:`jaxsnn.nest.carry`); a rebuild of the same shapes reuses the compiled program.
"""
from __future__ import annotations

import enum
import math

import jax
import numpy as np

from .. import checks
from ..build.network import NEST_DEFAULT_SEED, Network
from ..build.registry import CURRENT_GENERATORS, NEURONS
from ..errors import JaxsnnError, bad_value, unknown_name
from ..models import DEFAULT_SYNAPSE, RECORDERS

# kernel attributes: name -> (default, settable, what is allowed)
# NEST's knobs for its MPI buffers, waveform relaxation (gap junctions), e-prop and its update-time
# limit, with NEST's defaults: accepted and kept, since nothing they tune exists in jaxsnn
TUNING = {"adaptive_target_buffers": True, "buffer_size_spike_data": 2, "buffer_size_target_data": 2,
          "growth_factor_buffer_spike_data": 1.5, "growth_factor_buffer_target_data": 1.5,
          "max_buffer_size_target_data": 16777216, "spike_buffer_grow_extra": 0.5, "spike_buffer_shrink_limit": 0.2,
          "spike_buffer_shrink_spare": 0.1, "use_compressed_spikes": True, "update_time_limit": math.inf,
          "use_wfr": True, "wfr_comm_interval": 1.0, "wfr_interpolation_order": 3, "wfr_max_iterations": 15,
          "wfr_tol": 1e-4, "eprop_learning_window": 1000.0, "eprop_reset_neurons_on_update": True,
          "eprop_update_interval": 1000.0, "structural_plasticity_update_interval": 10000.0}
# NEST's read-only attributes of features jaxsnn does not have, with NEST's values for them
ABSENT = {"off_grid_spiking": False, "growth_curves": (), "structural_plasticity_synapses": {},
          "max_num_syn_models": 511, "send_buffer_size_secondary_events": 0,
          "recv_buffer_size_secondary_events": 0, "max_update_time": -math.inf, "min_update_time": math.inf,
          "stimulation_backends": (), "recording_backends": ("ascii", "memory"), "modules": (), "to_do": 0,
          "spike_buffer_resize_log": {}}
SETTABLE = ("resolution", "rng_seed", "local_num_threads", "total_num_virtual_procs", "print_time",
            "overwrite_files", "data_path", "data_prefix", "dict_miss_is_error", "keep_source_table",
            "min_delay", "max_delay", "verbosity") + tuple(TUNING)
READ_ONLY = ("biological_time", "network_size", "num_connections", "num_processes", "mpi_rank", "tics_per_ms",
             "tics_per_step", "ms_per_tic", "node_models", "synapse_models", "connection_rules", "prepared", "T_min",
             "T_max", "rng_type", "rng_types", "local_spike_counter", "time_simulate", "build_info",
             "memory_size") + tuple(ABSENT)


class VerbosityLevel(enum.IntEnum):
    """NEST's message levels (``nest.verbosity = nest.VerbosityLevel.WARNING``)."""

    ALL = 0
    DEBUG = 5
    STATUS = 7
    INFO = 10
    PROGRESS = 15
    DEPRECATED = 18
    WARNING = 20
    ERROR = 30
    FATAL = 40
    QUIET = 100


def verbosity_level(where, value) -> VerbosityLevel:
    """A level from a VerbosityLevel, its number or NEST's old names ('M_WARNING')."""
    if isinstance(value, str) and value.startswith("M_") and value[2:] in VerbosityLevel.__members__:
        return VerbosityLevel[value[2:]]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value) in set(VerbosityLevel):
        return VerbosityLevel(int(value))
    raise bad_value(where, value, "a nest.VerbosityLevel (ALL, DEBUG, STATUS, INFO, PROGRESS, DEPRECATED, WARNING, "
                    "ERROR, FATAL, QUIET), its number, or its old name such as 'M_WARNING'")


class Kernel:
    """NEST's kernel: settings, the network description and its running simulation."""

    create_spatial = None  # Create(positions=...): installed by jaxsnn.spatial.pynest (model, n, params, positions)

    def __init__(self):
        self.reset()

    def reset(self):
        """NEST's ``ResetKernel``: everything back to the defaults."""
        self.settings = {"resolution": 0.1, "rng_seed": NEST_DEFAULT_SEED, "local_num_threads": 1,
                         "total_num_virtual_procs": 1, "print_time": False, "overwrite_files": False,
                         "data_path": "", "data_prefix": "", "dict_miss_is_error": True,
                         "keep_source_table": True, "verbosity": VerbosityLevel.INFO, **TUNING}
        self._net: Network | None = None
        self.sim = None
        self.rebuild = False  # the description changed in a way the simulation has not taken in
        self.connections_changed = False
        self.prepared = False
        self.time_simulate = 0.0
        self.files = {}  # recorder id -> rows written to its ascii file
        self.recording = {}  # recorder id -> record_to, label, time_in_steps
        self.cleared = {}  # recorder id -> events dropped by n_events = 0
        self.flags = {}  # spike_generator id -> allow_offgrid_times, shift_now_spikes, precise_times
        self.generator_recorders = []  # (generator ids, spike_recorder id): generators' own spikes recorded
        self.generator_events = {}  # spike_recorder id -> [(senders, stamps)] of those spikes
        self.kplus_set = {}  # (connect call, row) -> K+ given by SynapseCollection.set since the last Simulate
        self.frozen_delays = None  # (min_delay, max_delay) in ms at the first Simulate: fixed from then on (NEST)
        self.numbered = 0  # nodes 1 … numbered have NEST's thread_local_id (numbered at Simulate, GetConnections)
        self.deliveries = {}  # multimeter id -> [(a, b, lo, hi)]: a run's last slice (a, b] through the next window
        self.refacilitate = set()  # (connect call, row) of synapses set since: their pending facilitation is redone
        self.generation = getattr(self, "generation", 0) + 1  # collections of older kernels are stale

    # ----------------------------------------------------------------------------- description
    @property
    def net(self) -> Network:
        if self._net is None:
            self._net = Network(resolution=self.settings["resolution"], seed=self.settings["rng_seed"])
        return self._net

    def changed(self, connections=False):
        """The description changed in a way only a rebuild brings into the simulation."""
        if self.sim is not None:
            self.rebuild = True
            self.connections_changed |= connections

    # ------------------------------------------------------------------------------- settings
    def set_status(self, params: dict):
        if not isinstance(params, dict):
            raise bad_value("SetKernelStatus: params", params, "a dict of kernel attributes")
        pair = [k for k in ("min_delay", "max_delay") if k in params]
        if pair:
            if len(pair) == 1:
                raise _one_delay_bound(pair[0])
            self.set_delay_extrema(params["min_delay"], params["max_delay"])
        for name, value in params.items():
            if name not in pair:
                self.set(name, value)

    def set_delay_extrema(self, lo, hi):
        """NEST's min_delay and max_delay set by the user (both at once, before any connection, resolution <=
        min_delay <= max_delay): reported as set, and every later connection's delay must lie within them."""
        lo = checks.number("min_delay", lo, "a delay in ms", lambda x: 0 < x < math.inf)
        hi = checks.number("max_delay", hi, "a delay in ms", lambda x: 0 < x <= math.inf)
        h = self.settings["resolution"]
        if lo < h * (1 - 1e-12):
            raise bad_value("min_delay", lo, f"a delay >= the resolution ({h:g} ms)")
        if hi < lo:
            raise bad_value("max_delay", hi, f"a delay >= min_delay (= {lo:g} ms)")
        if self._net is not None and any(len(c.source) for c in self._net._conns):
            raise nest_error("BadProperty")("min_delay/max_delay: connections already exist; set them right "
                                            "after ResetKernel (NEST raises BadProperty too).")
        self.settings["delay_extrema"] = (float(lo), float(hi))

    def check_delays(self, where: str, delays_ms) -> None:
        """Refuses a delay (ms) outside the min_delay/max_delay the user set, or, after the first Simulate,
        outside those of that moment (NEST fixes them then: 'Minimum and maximum delay cannot be changed
        after Simulate has been called'); NEST's BadDelay either way."""
        ext = self.settings.get("delay_extrema") or self.frozen_delays
        if ext is None or not len(delays_ms):
            return
        lo, hi = ext
        d = np.asarray(delays_ms, float)
        bad = (d < lo * (1 - 1e-12)) | (d > hi * (1 + 1e-12))
        if bad.any():
            why = "set with SetKernelStatus" if "delay_extrema" in self.settings else \
                "fixed at the first Simulate: NEST cannot change min_delay and max_delay after Simulate"
            raise nest_error("BadDelay")(f"{where}: delay={float(d[bad][0])!r} is not allowed: a delay within "
                                         f"min_delay … max_delay = {lo:g} … {hi:g} ms ({why}; NEST raises BadDelay).")

    def set(self, name, value):
        if name in READ_ONLY:
            raise JaxsnnError(f"kernel attribute {name!r} is read-only (NEST: it cannot be set).")
        if name not in SETTABLE:
            raise unknown_name("kernel attribute", name, SETTABLE + READ_ONLY)
        nodes_exist = self._net is not None and self._net._n_nodes > 0
        if name == "resolution":
            if nodes_exist:
                raise JaxsnnError(f"resolution={value!r}: the resolution cannot be changed after nodes have been "
                                  "created (as in NEST); set it right after ResetKernel.")
            value = checks.number("resolution", value, "a positive number of ms", lambda x: 0 < x < math.inf)
            self._replace_network(resolution=value)
        elif name == "rng_seed":
            if nodes_exist:
                raise JaxsnnError(f"rng_seed={value!r}: set the seed before creating nodes (jaxsnn draws a "
                                  "network's random parameters when it is created).")
            value = checks.seed("rng_seed", value)
            self._replace_network(seed=value)
        elif name in ("local_num_threads", "total_num_virtual_procs"):
            value = checks.whole(name, value, "a whole number >= 1 (accepted; jaxsnn's results do not depend on it)")
            if value < 1:
                raise bad_value(name, value, "a whole number >= 1")
            self.settings["local_num_threads"] = self.settings["total_num_virtual_procs"] = int(value)
            return
        elif name in ("min_delay", "max_delay"):
            raise _one_delay_bound(name)
        elif name in ("print_time", "overwrite_files", "dict_miss_is_error", "keep_source_table"):
            value = checks.flag(name, value)
        elif name in ("data_path", "data_prefix"):
            if not isinstance(value, str):
                raise bad_value(name, value, "a string")
        elif name == "verbosity":
            value = verbosity_level(name, value)
        elif name in TUNING:
            default = TUNING[name]
            value = checks.flag(name, value) if isinstance(default, bool) else checks.number(
                name, value, f"a number like NEST's default {default} (accepted and kept; nothing it tunes exists "
                "in jaxsnn)", lambda x: x >= 0)
        self.settings[name] = value

    def _replace_network(self, **kw):
        """A new (empty) description with other construction settings, keeping the model copies made."""
        old = self._net
        self.settings.update({"resolution" if k == "resolution" else "rng_seed": v for k, v in kw.items()})
        self._net = None
        if old is not None:
            new = self.net
            for name, model in old.models._models.items():
                if name not in new.models:
                    new.models._models[name] = model

    def get(self, name):
        s, net, sim = self.settings, self._net, self.sim
        if name in s and name not in ("min_delay", "max_delay"):
            return s[name]
        if name in ABSENT:
            return ABSENT[name]
        if name == "build_info":
            from .. import __version__
            return {"version": f"jaxsnn {__version__}", "have_threads": True, "have_mpi": False, "have_gsl": True}
        if name == "memory_size":  # NEST's peak resident memory in KiB
            import resource
            return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        if name == "biological_time":
            return 0.0 if sim is None else sim.time
        if name in ("min_delay", "max_delay"):
            return self._delay_bound(name)
        if name == "network_size":
            return 0 if net is None else net._n_nodes
        if name == "num_connections":
            return sum(self.num_connections().values())
        if name in ("num_processes",):
            return jax.process_count()
        if name == "mpi_rank":
            return jax.process_index()
        if name == "tics_per_ms":
            return 1000.0
        if name == "ms_per_tic":
            return 0.001
        if name == "tics_per_step":
            return round(s["resolution"] * 1000)
        if name == "node_models":
            return tuple(sorted(model_names(self.net.models, "neuron") + model_names(self.net.models, "device")))
        if name == "synapse_models":
            return tuple(sorted(model_names(self.net.models, "synapse")))
        if name == "connection_rules":
            from ..build.connect import RULES
            return tuple(RULES)
        if name == "prepared":
            return self.prepared
        if name in ("T_min", "T_max"):
            return -math.inf if name == "T_min" else math.inf
        if name == "rng_type":
            return "jax_threefry"
        if name == "rng_types":
            return ("jax_threefry",)
        if name == "local_spike_counter":
            if sim is None:
                return 0
            return int(sum(len(c.get("stamps", ())) for chunks in sim.records.values() for c in chunks
                           if "senders" in c))
        if name == "time_simulate":
            return self.time_simulate
        raise unknown_name("kernel attribute", name, SETTABLE + READ_ONLY)

    def status(self) -> dict:
        return {k: self.get(k) for k in sorted(set(SETTABLE + READ_ONLY))}

    def _delay_bound(self, name):
        """NEST's min/max_delay: over every connection made so far, those of recorders (1 ms) included;
        the resolution while there are none (as NEST's kernel starts)."""
        if "delay_extrema" in self.settings:
            return self.settings["delay_extrema"][name == "max_delay"]
        if self.frozen_delays is not None:
            return self.frozen_delays[name == "max_delay"]
        net, h = self._net, self.settings["resolution"]
        conns = [c for c in (net._conns if net else []) if len(c.source)]
        bounds = [1.0] if self.generator_recorders else []  # generators recorded on the host: NEST's 1 ms
        if not conns and not bounds:
            return h
        f = np.min if name == "min_delay" else np.max
        return float(f(bounds + [f(c.delay) * h if c.delay.max() > 0 else 1.0 for c in conns]))

    # ---------------------------------------------------------------------------- connections
    def num_connections(self) -> dict:
        """Connections per synapse model, as NEST counts them (device connections are static_synapse)."""
        out = {}
        if self._net is None:
            return out
        for c in self._net._conns:
            name = DEFAULT_SYNAPSE if c.model in RECORDERS else c.model
            out[name] = out.get(name, 0) + len(c.source)
        if self.generator_recorders:
            out[DEFAULT_SYNAPSE] = out.get(DEFAULT_SYNAPSE, 0) + sum(len(g) for g, _ in self.generator_recorders)
        return out

    # ------------------------------------------------------------------------------ simulate
    def build(self, G: int | None = None):
        """A fresh simulation of the current description at t = 0, as every run of this layer has it: with the
        post-spike record for the host (``G`` stamps per neuron, :func:`~jaxsnn.run.post_log.with_post_log`)
        and NEST's calcium trace."""
        from ..run.post_log import POST_LOG, with_post_log

        return with_post_log(self.net.build(devices=self.devices(), calcium=True), G or POST_LOG)

    def ensure_simulation(self):
        """The simulation of the current description: built at the first call, rebuilt (carrying the
        run's state) after changes it could not take in place."""
        if self.sim is None:
            self.sim = self.build()
        elif self.rebuild:
            from ..run.post_log import POST_LOG
            from .carry import carry
            from .synapses import synapse_places

            # the record as long as the run's (it grows where a run needs more, never shrinks)
            new = self.build(self.sim.spec.plasticity.post_log or POST_LOG)
            places = [synapse_places(self.net, int(s.model.synapses.n_synapses)) for s in (self.sim, new)]
            self.sim = carry(self.sim, new, *places, kplus_set=self.kplus_set)
        if self.refacilitate:
            self._refacilitate()
        self.kplus_set = {}
        self.rebuild = self.connections_changed = False
        return self.sim

    def _refacilitate(self):
        """The facilitations pending on the synapses set since the last run, as NEST applies them: from the weight
        and with the values set (:mod:`jaxsnn.nest.pending`)."""
        from .pending import refacilitate, refuse_missing
        from .synapses import synapse_index

        index = synapse_index(np.array(sorted(self.refacilitate), np.int64).reshape(-1, 2), self.sim)
        self.sim, missing = refacilitate(self.sim, index[index >= 0])
        self.refacilitate = set()
        if len(missing):
            pl = self.sim.spec.plasticity
            refuse_missing(len(missing), pl.post_log or pl.post_history)

    def devices(self):
        """Devices the network is split over: one for a small network in one process (splitting it costs
        more in exchanging spikes every slice than it saves: 3x slower at 100 neurons on 2 CPU devices),
        else all (None). The results are the same bits either way."""
        n = sum(p.n for p in self.net._pops if p.base in NEURONS)
        return 1 if n < SPLIT_FROM and jax.process_count() == 1 else None

    def simulate(self, t):
        import time

        t = checks.number("Simulate: t", t, "a duration >= 0 ms", lambda x: 0 <= x < math.inf)
        if self.frozen_delays is None:
            self.frozen_delays = (self.get("min_delay"), self.get("max_delay"))
        self.number_nodes()
        sim = self.ensure_simulation()
        from .recording import record_generators, simulate, write_files

        n = sim.steps(float(t), "Simulate: t")
        record_generators(self, n)
        t0 = time.perf_counter()
        self.sim = simulate(self, sim, n, progress=bool(self.settings["print_time"]))
        self.time_simulate = time.perf_counter() - t0
        write_files(self)

    # --------------------------------------------------------------------------------- nodes
    def number_nodes(self):
        """NEST numbers each thread's nodes (thread_local_id) when it prepares a run or GetConnections updates
        the connection tables: nodes created later report -1 until then."""
        self.numbered = 0 if self._net is None else int(self._net._n_nodes)

    def kind_of(self, node_id: int) -> tuple[str, str]:
        """(model name, base model) of a node."""
        p = self.net._pop_of(int(node_id))
        return p.model, p.base

    def is_neuron(self, node_id) -> bool:
        return self.kind_of(node_id)[1] in NEURONS

    def is_current_generator(self, node_id) -> bool:
        return self.kind_of(node_id)[1] in CURRENT_GENERATORS


SPLIT_FROM = 1000  # neurons from which a network is split over the devices (Kernel.devices)
KERNEL = Kernel()


_NAMED_ERRORS: dict = {}


def nest_error(name: str) -> type:
    """jaxsnn's error as NEST names it (``type(e).__name__ == "BadDelay"``): a subclass of
    :class:`~jaxsnn.JaxsnnError`, so ``except nest.NESTErrors.<any name>`` catches it as before. ``"KeyError"``
    (PyNEST's error for an unknown key in ``get``) is also Python's ``KeyError``."""
    if name not in _NAMED_ERRORS:
        bases = (JaxsnnError, KeyError) if name == "KeyError" else (JaxsnnError,)
        _NAMED_ERRORS[name] = type(name, bases, {"__module__": "jaxsnn.nest", "__doc__": f"NEST's {name}.",
                                                 "__str__": Exception.__str__})  # no KeyError quotes
    return _NAMED_ERRORS[name]


def unknown_key(kind: str, name: str, known) -> JaxsnnError:
    """An unknown key asked of a node or model: the message of :func:`~jaxsnn.errors.unknown_name`, raised as
    PyNEST raises it (a ``KeyError``)."""
    return nest_error("KeyError")(str(unknown_name(kind, name, known)))


def stale(nodes_kernel_generation: int):
    if nodes_kernel_generation != KERNEL.generation:
        raise JaxsnnError("this collection belongs to a kernel that was reset (ResetKernel); create the nodes "
                          "again.")


def as_int_ids(x) -> np.ndarray:
    return np.asarray(getattr(x, "ids", x), dtype=np.int64).reshape(-1)


def model_names(registry, kind: str) -> list:
    """Names of the models of one kind ("neuron", "synapse", "device") in a registry."""
    return [m.name for m in registry._models.values() if m.kind == kind]


def _one_delay_bound(name):
    return JaxsnnError(f"{name}: set min_delay and max_delay together, e.g. nest.set(min_delay=0.5, max_delay=3.0) "
                       "(as NEST: 'Both min_delay and max_delay have to be specified').")
