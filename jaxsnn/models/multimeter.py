"""multimeter: state variables of the neurons it is connected to, sampled at a fixed interval (NEST's
``multimeter``; ``voltmeter`` is a multimeter whose ``record_from`` is ``["V_m"]``).

After every step (hook ``STEP``) the engine hands it the recorded quantities of every neuron; in every step
whose stamp t satisfies ``t >= offset``, ``(t - offset) % interval == 0`` and ``origin + start < t <=
origin + stop``, each multimeter writes the ``record_from`` quantities of its neurons into one row of its
buffer (``capacity``: rows per chunk, per multimeter: the samples a chunk holds). The host empties the
buffers after every chunk; a full one makes :func:`jaxsnn.simulate` double the rows and recompute the
chunk. The quantities are the recordables of the neurons' models (V_m in mV, I_syn_* in pA).

``events``: ``times`` (ms), ``senders`` and one column per recorded quantity (long format: one row per
sample and neuron).

Parameters (NEST's names and units):

===========  ========  ====================================
name         default   doc
===========  ========  ====================================
interval     1 ms      time between samples (a multiple of the resolution)
offset       0 ms      first sample time (0, or a multiple of the resolution)
record_from  ('V_m',)  the recordables to sample
origin       0 ms      global time offset of start and stop
start        0 ms      active after origin + start (exclusive)
stop         inf ms    active until origin + stop (inclusive)
===========  ========  ====================================
"""
from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp
import numpy as np

from .. import checks
from ..errors import JaxsnnError, bad_value, unknown_name
from ._interface import window
from .base import SAMPLES, STEP, TO_NEURONS, WINDOW, Param, Recorder, stamps_ms


@dataclasses.dataclass(frozen=True)
class Multimeter(Recorder):
    """Topology per multimeter: ``index`` (int32 neuron of each column: its neurons, once per quantity),
    ``quantity`` (int32 row of each column in ``quantities``), ``interval`` and ``offset`` (int32 steps),
    ``window`` (int32[multimeters, 2]). Buffers: ``count`` int32[multimeters], and per multimeter
    ``values`` [rows, columns] and ``stamps`` int32[rows]."""

    name = "multimeter"
    parameters = {
        "interval": Param(1.0, "ms", "time between samples (a multiple of the resolution)"),
        "offset": Param(0.0, "ms", "first sample time (0, or a multiple of the resolution)"),
        "record_from": Param(("V_m",), "", "the recordables to sample"),
        **WINDOW,
    }
    vector_params = ("record_from",)
    hook = STEP
    capacity_name = "multimeter_rows"
    connects = TO_NEURONS
    refused_rules = ("fixed_total_number",)
    allowed_rules = "all_to_all or one_to_one (or a rule drawing distinct neurons)"
    records = SAMPLES
    delivered_next_slice = True
    aliases = {"voltmeter": {}}  # NEST's voltmeter: a multimeter recording V_m (the default)
    carried = ("pending",)
    generator_groups: tuple = ()  # per multimeter: the (generator model, recordable) groups of its columns
    slice_steps: int = 1

    @classmethod
    def check_own(cls, v, where, h, tics_per_step) -> dict:
        from . import per_port, recordables  # the neuron models' recordables (the registry imports this module)

        iv = checks.number(f"{where}: interval", v["interval"], "a positive multiple of the resolution (ms)",
                           lambda x: 0 < x < math.inf)
        if checks.tics(iv) % tics_per_step or round(iv / h) > checks.MAX_WINDOW_STEPS:
            raise bad_value(f"{where}: interval", iv, f"a positive multiple of the resolution ({h} ms)")
        v["interval"] = iv
        off = checks.number(f"{where}: offset", v.get("offset", 0.0), "0 or a positive multiple of the resolution")
        if not (off == 0 or (off >= h and not checks.tics(off) % tics_per_step)):
            raise bad_value(f"{where}: offset", off, f"0 or a positive multiple of the resolution ({h} ms)")
        if "offset" in v:
            v["offset"] = off
        rf = v["record_from"]
        if isinstance(rf, str) or not isinstance(rf, (list, tuple)):
            raise bad_value(f"{where}: record_from", rf, "a list of recordable names, e.g. ['V_m']")
        known = sorted({r for rs in recordables().values() for r in rs} | generator_recordables())
        for name in rf:
            if name not in known and not per_port(name):
                raise unknown_name("recordable", name, known)
        v["record_from"] = tuple(rf)
        return v

    @classmethod
    def lower(cls, desc, net, capacity):
        from . import GENERATORS, NEURONS  # the registry imports this module

        nodes = desc.nodes_of(cls.name)
        if not nodes:
            return None
        configured = {m.name: m for m in net["models"]}
        h = desc.resolution
        index, gens = [[] for _ in nodes], [[] for _ in nodes]
        for c in desc.connections:
            if c.model != cls.name:
                continue
            for k, r in enumerate(nodes):
                targets = c.target[c.source == r]
                for b in {desc.base_of(t) for t in targets}:
                    known = (configured[b].recordables if b in configured else
                             GENERATORS[b].recordables if b in GENERATORS else NEURONS[b].recordables)
                    missing = set(desc.population_of(r).params["record_from"]) - set(known)
                    if missing:
                        raise bad_value(f"connect: multimeter {r}: record_from", sorted(missing),
                                        f"recordables of {b}: {list(known)}")
                mine = np.array([desc.base_of(t) in GENERATORS for t in targets], bool)
                index[k].extend(net["neuron_of_node"][targets[~mine]].tolist())
                gens[k].extend(targets[mine].tolist())
        ps = [desc.population_of(r).params for r in nodes]
        record_from = tuple(tuple(p["record_from"]) for p in ps)
        for k, r in enumerate(nodes):
            if index[k] and gens[k]:
                raise JaxsnnError(f"connect: multimeter {r} is connected to neurons and to generators; connect one "
                                  "multimeter to neurons and another to generators (they share no recordable).")
        quantities = tuple(dict.fromkeys(q for rf, ix in zip(record_from, index) if ix for q in rf))
        interval = [round(p["interval"] / h) for p in ps]
        i32 = lambda a: np.asarray(a, np.int64).astype(np.int32)  # noqa: E731
        top = {"index": tuple(i32(np.tile(np.asarray(ix, np.int64), len(rf))) for rf, ix in zip(record_from, index)),
               "quantity": tuple(i32(np.repeat([quantities.index(q) for q in rf] if ix else [], len(ix)))
                                 for rf, ix in zip(record_from, index)),
               "interval": i32(interval), "offset": i32([round(p["offset"] / h) for p in ps]),
               "window": i32(np.array([window(p, h) for p in ps], np.int64).reshape(-1, 2))}
        groups, take, order, senders = _generator_columns(gens, record_from, net["generator_of_node"])
        top.update(generator_index=take, generator_order=order)
        rows = tuple(net["chunk_steps"] // iv + 1 for iv in interval)
        pairs = tuple(dict.fromkeys(g for gs in groups for g in gs))
        m = cls(capacity=rows, quantities=quantities, generator_quantities=pairs, generator_groups=groups,
                slice_steps=net["slice_steps"])
        return m, top, {"nodes": tuple(nodes), "record_from": record_from, "generators": senders}

    def empty(self, top, dtype):
        i32 = np.int32
        return {"count": np.zeros(len(self.capacity), i32),
                "values": tuple(np.zeros((r, len(ix) + len(o)), dtype)
                                for r, ix, o in zip(self.capacity, top["index"], top["generator_order"])),
                "stamps": tuple(np.zeros(r, i32) for r in self.capacity),
                # the generators' values of the current slice ([slice_steps, columns] per multimeter)
                "pending": tuple(np.zeros((self.slice_steps, len(o)), dtype) for o in top["generator_order"])}

    def take_generators(self, spec, top, buf, values, step):
        """Hold each multimeter's generator columns of the slice (the rows its steps sample)."""
        pending = []
        for k, groups in enumerate(self.generator_groups):
            parts = [values[m][q][:, top["generator_index"][k][j]] for j, (m, q) in enumerate(groups)]
            got = jnp.concatenate(parts, axis=1)[:, top["generator_order"][k]] if parts else buf["pending"][k]
            pending.append(got.astype(buf["pending"][k].dtype))
        return {**buf, "pending": tuple(pending)}

    def record(self, spec, top, buf, quantities, stamp):
        """Every multimeter whose interval divides ``stamp`` (inside its window) writes one row: its neurons'
        quantities, or its generators' values of the step that ends at ``stamp``."""
        values, stamps, counts, over = [], [], [], jnp.zeros((), bool)
        for k, rows in enumerate(self.capacity):
            lo, hi = top["window"][k, 0], top["window"][k, 1]
            off = top["offset"][k]
            take = ((stamp - off) % top["interval"][k] == 0) & (stamp >= off) & (lo < stamp) & (stamp <= hi)
            row = jnp.where(take, buf["count"][k], rows)
            if self.generator_groups[k]:  # slices start at multiples of slice_steps: the step's row of the slice
                got = buf["pending"][k][(stamp - 1) % self.slice_steps]
            else:
                got = quantities[top["quantity"][k], top["index"][k]]
            values.append(buf["values"][k].at[row].set(got, mode="drop", unique_indices=True))  # one row
            stamps.append(buf["stamps"][k].at[row].set(stamp, mode="drop"))
            new = buf["count"][k] + take.astype(jnp.int32)
            over = over | (new > rows)
            counts.append(jnp.minimum(new, rows))
        return {**buf, "count": jnp.stack(counts), "values": tuple(values), "stamps": tuple(stamps)}, over

    def split(self, top, part):
        return {**top, "index": tuple(part.neurons(ix) for ix in top["index"])}

    def gathered(self, buf, top, part):
        """Each column from the device that holds its neuron; generators' columns from the first device
        (every device computes its generators alike)."""
        owner = [np.concatenate([np.asarray(ix) // part.n, np.full(len(o), part.first)]).astype(int)
                 for ix, o in zip(top["index"], top["generator_order"])]
        values = tuple(v[o, :, np.arange(len(o))].T for v, o in zip(buf["values"], owner))
        return {**super().gathered(buf, top, part), "values": values}

    def merged(self, buf, top, part):
        return self.gathered(buf, top, part)

    def drain(self, spec, layout, top, buf, host) -> dict:
        out = {}
        for k, rid in enumerate(layout.recorders[self.name]["nodes"]):
            c = int(buf["count"][k])
            if c:
                out[rid] = {"stamps": buf["stamps"][k][:c], "V_m": buf["values"][k][:c]}  # "V_m": every quantity
        return out

    @classmethod
    def events(cls, sim, rid, columns) -> dict:
        info = sim.layout.recorders[cls.name]
        k = info["nodes"].index(rid)
        record_from = info["record_from"][k]
        index = np.asarray(sim.model.recorders[cls.name]["index"][k])
        senders = np.asarray(info["generators"][k], np.int64)
        if not len(senders):
            n = len(index) // max(1, len(record_from))
            senders = sim.layout.node_of_neuron[index[:n]]
        n = len(senders)
        stamps = columns.get("stamps", np.zeros(0, np.int64))
        values = columns.get("V_m", np.zeros((0, n * len(record_from))))  # all columns, quantity-major
        cols = {"times": np.repeat(stamps_ms(sim.spec, stamps), len(senders)), "senders": np.tile(senders, len(stamps))}
        for q, name in enumerate(record_from):
            cols[name] = values[:, q * n:(q + 1) * n].reshape(-1)
        return cols

    @classmethod
    def no_events(cls, p) -> dict:
        return {"times": np.zeros(0), "senders": np.zeros(0, np.int64), **{q: np.zeros(0) for q in p["record_from"]}}

    @classmethod
    def ascii_columns(cls, events, precision: int = 3) -> list:
        """Every recorded quantity, ``precision`` decimals."""
        return [(c, np.char.mod(f"%.{precision}f", np.asarray(v))) for c, v in events.items()
                if c not in ("times", "senders")]


def generator_recordables() -> set:
    """Every recordable of a generator model."""
    from . import GENERATORS  # the registry imports this module

    return {r for G in GENERATORS.values() for r in G.recordables}


def _generator_columns(gens, record_from, generator_of_node):
    """Each multimeter's generator columns (quantity-major, generators by node id): its (model, recordable)
    groups, per group the generators' indices among the model's, the order that puts the groups' columns
    in place, and the generators' node ids."""
    groups, take, order, senders = [], [], [], []
    for ids, rf in zip(gens, record_from):
        ids = sorted(set(ids))
        mine, index, place = [], [], []
        for q in rf:
            for i in ids:
                m, g = generator_of_node[i]
                if (m, q) not in mine:
                    mine.append((m, q))
                    index.append([])
                j = mine.index((m, q))
                place.append((j, len(index[j])))
                index[j].append(g)
        start = np.cumsum([0] + [len(x) for x in index])
        groups.append(tuple(mine))
        take.append(tuple(np.asarray(x, np.int32) for x in index))
        order.append(np.asarray([start[j] + p for j, p in place], np.int32))
        senders.append(tuple(ids))
    return tuple(groups), tuple(take), tuple(order), tuple(senders)


MODEL = Multimeter
