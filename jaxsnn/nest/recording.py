"""Recording backends of :mod:`jaxsnn.nest` and the spike_generator's time flags.

Recorders (spike_recorder, multimeter/voltmeter, weight_recorder) gather their events in the
:class:`~jaxsnn.Simulation` (``sim.records``); this module gives them NEST's recording properties:

- ``record_to``: ``"memory"`` (``events``, a dict of arrays, and ``n_events``; ``n_events = 0`` empties
  it) or ``"ascii"``: every ``Simulate`` writes the events of that run to
  ``{data_path}/{data_prefix}{label or model}-{node id}-0.dat`` in NEST's format (two comment lines,
  a header, tab-separated rows, 3 decimals); an existing file is an error unless ``overwrite_files``
  (as in NEST, whose second ``Simulate`` finds the file of the first); ``n_events`` counts the events written, as
  NEST's does for every backend.
- ``label``, ``time_in_steps`` (``times`` become whole steps plus ``offsets`` of 0.0).
- with ``record_to="ascii"`` only (as in NEST): ``precision`` (decimals of every float written, C's
  ``%.*f``: a negative value writes 6, as NEST's stream does) and ``file_extension``; both return to
  NEST's defaults (3, ``"dat"``) when ``record_to`` changes.

spike_generator: ``allow_offgrid_times`` (times rounded up to the grid, as NEST's ``Time::ms_stamp``),
``shift_now_spikes`` (a spike at the current time moves one step later instead of being dropped);
``precise_times=True`` is refused: there are no precise-time neuron models.
"""
from __future__ import annotations

import math
import os

import numpy as np

from ..errors import JaxsnnError, bad_value
from ..models import GENERATORS, RECORDERS
from .kernel import KERNEL, nest_error

DEFAULTS = {"record_to": "memory", "label": "", "time_in_steps": False}
ASCII = {"precision": 3, "file_extension": "dat"}  # the ascii backend's own properties (NEST's defaults)


def _settings(rid):
    return KERNEL.__dict__.setdefault("recording", {}).setdefault(rid, dict(DEFAULTS))


def _cleared(rid) -> int:
    return KERNEL.__dict__.setdefault("cleared", {}).get(rid, 0)


def frame_of(rid) -> dict:
    """What recorder ``rid`` gathered since its last ``n_events = 0``: NEST's ``events`` columns as arrays
    (plain arrays, not a frame: reading events of a small script does not import pandas)."""
    if not _simulated(rid):
        none = RECORDERS[KERNEL.kind_of(rid)[1]].no_events(KERNEL.net._pop_of(rid).params)
        if "weights" in none:  # a recorder of connections' weights: NEST adds their ports and receptors
            none = {"ports": np.zeros(0, np.int64), "receptors": np.zeros(0, np.int64), **none}
        return none
    return _rows_from(events(rid), _cleared(rid))


def _simulated(rid) -> bool:
    """Whether node ``rid`` is in the simulation (not: no Simulate yet, or created since the last one)."""
    return KERNEL.sim is not None and rid <= KERNEL.sim.layout.n_nodes


def _rows_from(cols: dict, start: int) -> dict:
    return {k: np.asarray(v)[start:] for k, v in cols.items()}


def _n(cols: dict) -> int:
    return len(next(iter(cols.values()))) if cols else 0


def events(rid) -> dict:
    """Everything recorder ``rid`` gathered (columns as arrays): the simulation's events, and for a
    spike_recorder the spikes of generators connected to it (:func:`record_generators`), by time, then
    sender."""
    from ..run.frames import event_columns

    cols = _delivered(rid, event_columns(KERNEL.sim, rid))
    if "weights" in cols:  # a recorder of connections' weights: NEST adds their ports and receptors
        cols = _with_ports(rid, cols)
    extra = KERNEL.generator_events.get(rid)
    if not extra:
        return cols
    senders = np.concatenate([np.asarray(cols["senders"])] + [s for s, _ in extra]).astype(np.int64)
    stamps = np.concatenate([np.round(np.asarray(cols["times"]) / KERNEL.sim.spec.time.resolution).astype(np.int64)]
                            + [t for _, t in extra])
    order = np.lexsort((senders, stamps))
    times = 0.001 * (stamps[order] * KERNEL.sim.spec.time.tics_per_step)
    return {"senders": senders[order], "times": times}


def _with_ports(rid, cols: dict) -> dict:
    """A weight_recorder's events with NEST's ``ports`` and ``receptors``: those of the connection that sent
    each weight (:mod:`jaxsnn.nest.connection_info`)."""
    from ..run.frames import _columns
    from .connection_info import info
    from .synapses import synapse_places

    syn = np.asarray(_columns(KERNEL.sim, rid).get("synapse", np.zeros(0, np.int64)), np.int64)
    if len(syn) != _n(cols):  # the rows of this process only (a split run without gather): look up by row
        syn = syn[:0]
    places = synapse_places(KERNEL.net, int(KERNEL.sim.model.synapses.n_synapses))[syn]
    got = info(places) if len(places) else {"port": np.zeros(0, np.int64), "receptor": np.zeros(0, np.int64)}
    return {"ports": got["port"], "receptors": got["receptor"], **cols}


def _delivered(rid, cols: dict) -> dict:
    """The events NEST has handed to recorder ``rid`` by now. A multimeter gets a min_delay slice's samples at the
    start of the next slice; NEST's slices lie on a grid of min_delay from t = 0, so the samples of the current
    slice (a whole min_delay when the run ends on the grid) show only at the next ``Simulate``, through the window
    the multimeter has then (:func:`simulate`)."""
    if not RECORDERS[KERNEL.kind_of(rid)[1]].delivered_next_slice or not _n(cols):
        return cols
    h, n = KERNEL.sim.spec.time.resolution, int(KERNEL.sim.state.step)
    stamps = np.round(np.asarray(cols["times"]) / h)
    shown = stamps <= _last_delivered(n, _min_delay_steps(h))
    for a, b, lo, hi in KERNEL.deliveries.get(rid, ()):  # a run's last slice, through the next run's window
        shown &= ~((stamps > a) & (stamps <= b)) | ((stamps > lo) & (stamps <= hi))
    return {k: np.asarray(v)[shown] for k, v in cols.items()}


def _min_delay_steps(h) -> int:
    return max(1, round(KERNEL.get("min_delay") / h))


def _last_delivered(n: int, md: int) -> int:
    """The stamp of the last sample a multimeter has been handed at step ``n``: the end of the min_delay slice
    before the current one (the current one is a whole slice when ``n`` lies on the grid)."""
    return n - (n % md or md)


def simulate(kernel, sim, n: int, progress: bool):
    """``sim`` advanced by ``n`` steps as NEST's multimeters see it: the samples of a run's last min_delay slice
    reach a multimeter at the next ``Simulate``, which keeps those inside the window it has then (NEST's
    neurons log every sample of the slice; the multimeter tests its window when it is handed them). So that slice
    is recorded whatever the window (the run ends in a second call with wider windows, which gives the same bits)
    and :func:`_delivered` applies the window of the next run to it."""
    from ..models._interface import window
    from ..run.simulation import simulate as advance

    h, n0 = sim.spec.time.resolution, int(sim.state.step)
    md, end = _min_delay_steps(h), n0 + n
    lagged = [(r.name, k, rid) for r in sim.spec.models.recorders if getattr(r, "delivered_next_slice", False)
              for k, rid in enumerate(sim.layout.recorders[r.name]["nodes"])]
    last = _last_delivered(n0, md)
    for _, _, rid in lagged:  # the last run's last slice is handed over now, through today's window
        lo, hi = window(kernel.net._pop_of(rid).params, h)
        if n0 and not (lo <= last and hi >= n0):
            _add_delivery(kernel.deliveries.setdefault(rid, []), (last, n0, lo, hi))
    mid = max(n0, _last_delivered(end, md))
    wins = {name: np.asarray(top["window"]) for name, top in sim.model.recorders.items() if "window" in top}
    wide = [(name, k) for name, k, _ in lagged if not (wins[name][k, 0] <= mid and wins[name][k, 1] >= end)]
    if not wide or mid == end:
        return advance(sim, n * h, progress=progress)
    if mid > n0:
        sim = advance(sim, (mid - n0) * h, progress=progress, end_run=False)  # the Simulate goes on
    narrow = {name: sim.model.recorders[name]["window"] for name, _ in wide}
    wider = {name: np.array(w) for name, w in narrow.items()}
    for name, k in wide:
        wider[name][k] = (mid, end)
    sim = advance(_windows(sim, wider), (end - mid) * h, progress=progress)
    return _windows(sim, narrow)


def _windows(sim, windows: dict):
    """``sim`` with the window arrays of recorder models ``windows`` (name → int32[nodes, 2], steps) replaced."""
    rec = {name: {**top, "window": windows[name]} if name in windows else top
           for name, top in sim.model.recorders.items()}
    return sim.replace(model=sim.model.replace(recorders=rec), _plan=())  # a split network splits them anew


def _add_delivery(rules: list, rule: tuple):
    """A rule (a, b, lo, hi): samples stamped in (a, b] are kept inside (lo, hi]; one that continues the last
    rule with the same window extends it (a stopped multimeter over many runs: one rule)."""
    if rules and rules[-1][1] == rule[0] and rules[-1][2:] == rule[2:]:
        rules[-1] = (rules[-1][0],) + rule[1:]
    else:
        rules.append(rule)


def record_generators(kernel, n_steps):
    """The spikes that generators connected to spike_recorders emit in the next ``n_steps`` steps (NEST
    records them with the generator as sender): its model's :meth:`~jaxsnn.models.base.Generator.own_spikes`,
    Poisson counts from :func:`poisson_counts`."""
    if not kernel.generator_recorders:
        return
    sim = kernel.sim
    h, now = sim.spec.time.resolution, int(sim.state.step)
    for gids, rid in kernel.generator_recorders:
        for gid in gids:
            counts = lambda steps, mu, gid=gid, rid=rid: poisson_counts(kernel.settings["rng_seed"], int(gid),
                                                                        int(rid), steps, mu)
            stamps = GENERATORS[kernel.kind_of(gid)[1]].own_spikes(kernel.net._pop_of(gid).params, h, now, n_steps,
                                                                    counts)
            if len(stamps):
                kernel.generator_events.setdefault(rid, []).append((np.full(len(stamps), gid), stamps))


def _mix(x):
    """The 32-bit hash of :mod:`jaxsnn.core.rng` in numpy (uint32 arithmetic wraps)."""
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> np.uint32(15))
    x = x * np.uint32(0x846CA68B)
    return x ^ (x >> np.uint32(16))


def poisson_counts(seed: int, gid: int, rid: int, steps: np.ndarray, mu: float) -> np.ndarray:
    """The train a poisson_generator sends to a spike_recorder: its own train, independent of the trains
    the generator sends to neurons (NEST sends every target an independent train), drawn as the engine
    draws Poisson input (:mod:`jaxsnn.core.rng`: a counter-based hash of key words, step and stream,
    inverse-CDF counts) with key words from (rng_seed, recorder) and the generator as the stream: one
    count per active step, whatever way the run is split into ``Simulate`` calls."""
    from ..core.rng import n_terms_for

    if not len(steps) or mu <= 0:
        return np.zeros(len(steps), np.int64)
    u32 = lambda v: np.asarray([v], np.uint64).astype(np.uint32)  # noqa: E731 - wrap to 32 bits
    with np.errstate(over="ignore"):
        words = (_mix(u32(seed) ^ _mix(u32(rid)))[0], _mix(u32(gid) ^ np.uint32(0x85EBCA6B))[0])
        ids = np.full(len(steps), gid, np.uint64).astype(np.uint32)
        h = _mix(np.asarray(steps, np.int64).astype(np.uint32) ^ words[0])
        h = _mix(h ^ (ids * np.uint32(0x9E3779B9)) ^ words[1])
        bits = _mix(h + ids)
    n = n_terms_for(float(mu))
    k = np.arange(2 * n + 8)
    log_pmf = k * np.log(mu) - mu - np.array([math.lgamma(x + 1) for x in k])
    survival = np.cumsum(np.exp(log_pmf)[::-1])[::-1][1:n + 1]  # P(N > k), summed from the top
    u = bits.astype(np.float64) * (1.0 / 4294967296.0)
    return (u[:, None] < survival[None, :]).sum(axis=1)


def value(rid, name):
    s = _settings(rid)
    if name in DEFAULTS:
        return s[name]
    if name in ASCII:
        if s["record_to"] != "ascii":
            raise nest_error("KeyError")(f"{name}: recorder {rid} records to {s['record_to']!r}; {name} is a "
                                         "property of the 'ascii' backend (NEST has no such key then either): "
                                         "set record_to='ascii' first.")
        return s.get(name, ASCII[name])
    if name == "n_events":
        return _n(frame_of(rid))  # NEST counts the events of every backend, "ascii" too
    if name == "events":
        if s["record_to"] != "memory":
            raise JaxsnnError(f"events: recorder {rid} records to {s['record_to']!r}, not to 'memory' (NEST has no "
                              "'events' then either); read its files (filenames) or set record_to='memory'.")
        df = frame_of(rid)
        out = {k: np.array(v) for k, v in df.items()}
        if s["time_in_steps"]:
            h = KERNEL.settings["resolution"]
            out["times"] = np.round(out["times"] / h).astype(np.int64)
            out["offsets"] = np.zeros(_n(df))
        return out
    if name == "filenames":
        return [path_of(rid)] if s["record_to"] == "ascii" else []
    raise AssertionError(name)


def set_recording(nodes, params: dict) -> dict:
    """Take the recording properties out of ``params`` (returning the rest)."""
    rest = dict(params)
    for name in sorted(rest, key=lambda k: k != "record_to"):  # the backend first: its properties follow it
        if name == "n_events":
            v = rest.pop(name)
            if v != 0:
                raise bad_value("set: n_events", v, "0 (NEST: n_events can only be set to 0, which empties events)")
            for rid in nodes.ids:
                KERNEL.__dict__.setdefault("cleared", {})[int(rid)] = _n(events(int(rid))) if _simulated(rid) else 0
        elif name in DEFAULTS:
            v = rest.pop(name)
            if name == "record_to" and v not in ("memory", "ascii"):
                raise bad_value("set: record_to", v, "'memory' or 'ascii' (the recording backends of jaxsnn)")
            if name == "record_to":
                for rid in nodes.ids:  # a new backend starts from its defaults (NEST enrolls the device anew)
                    if _settings(int(rid))["record_to"] != v:
                        for k in ASCII:
                            _settings(int(rid)).pop(k, None)
            if name == "label" and not isinstance(v, str):
                raise bad_value("set: label", v, "a string")
            if name == "time_in_steps":
                if KERNEL.sim is not None:
                    raise JaxsnnError("set: time_in_steps cannot change after the first Simulate (as in NEST).")
                from .. import checks
                v = checks.flag("time_in_steps", v)
            for rid in nodes.ids:
                _settings(int(rid))[name] = v
        elif name in ASCII:
            v = _ascii_value(name, rest.pop(name))
            for rid in nodes.ids:
                if _settings(int(rid))["record_to"] != "ascii":
                    raise bad_value(f"set: {name}", v, f"a property of recorders with record_to='ascii' (recorder "
                                    f"{int(rid)} records to {_settings(int(rid))['record_to']!r}; NEST: "
                                    "UnaccessedDictionaryEntry)")
                _settings(int(rid))[name] = v
        elif name == "events":
            raise JaxsnnError("set: events cannot be set; set n_events=0 to empty them.")
    return rest


def _ascii_value(name, v):
    """``precision``: an integer (NEST's long); ``file_extension``: a string."""
    if name == "precision":
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise bad_value("set: precision", v, "an integer (decimals written; NEST: TypeMismatch)")
        return int(v)
    if not isinstance(v, str):
        raise bad_value("set: file_extension", v, "a string (NEST: TypeMismatch)")
    return v


def _decimals(s) -> int:
    """The decimals C's ``%.*f`` writes for NEST's ``precision``: a negative precision counts as none given (6)."""
    p = s.get("precision", ASCII["precision"])
    return p if p >= 0 else 6


def generator_flags(gid) -> dict:
    """A generator's host flags (its model's ``host_flags``), all False until set."""
    flags = GENERATORS[KERNEL.kind_of(gid)[1]].host_flags
    return KERNEL.__dict__.setdefault("flags", {}).setdefault(gid, dict.fromkeys(flags, False))


def set_generator_flags(nodes, params: dict, flags: tuple) -> dict:
    """Take a generator's host ``flags`` (spike_generator's) out of ``params`` and apply them to its spike
    times."""
    from .. import checks

    rest = dict(params)
    for name in flags:
        if name not in rest:
            continue
        v = checks.flag(f"set: {name}", rest.pop(name))
        if name == "precise_times" and v:
            raise bad_value("spike_generator: precise_times", v, "False: jaxsnn has no precise-time neuron models "
                            "(spikes are on the grid of the resolution)")
        for gid in nodes.ids:
            generator_flags(int(gid))[name] = v
    if "spike_times" in rest:
        flags = generator_flags(int(nodes.ids[0]))
        origin = rest.get("origin", KERNEL.net._pop_of(int(nodes.ids[0])).params["origin"])
        rest["spike_times"] = _on_grid(np.asarray(rest["spike_times"], float).reshape(-1), flags, float(origin))
    return rest


def _on_grid(times, flags, origin):
    """Spike times as NEST stores them: with ``allow_offgrid_times`` the first grid point at or after each;
    with ``shift_now_spikes`` a spike due now (origin + t on the current step) one step later, stored as
    NEST stores it (that step's time minus origin, in NEST's tic arithmetic)."""
    h = KERNEL.settings["resolution"]
    tps = round(h * 1000)
    if flags["allow_offgrid_times"]:
        tics = np.ceil(np.round(times * 1000, 6)).astype(np.int64)  # NEST: the first grid point >= t
        times = -(-tics // tps) * tps * 0.001
    if flags["shift_now_spikes"] and KERNEL.sim is not None:
        now = int(KERNEL.sim.state.step)
        tics = times * 1000
        on_grid = np.abs(tics - np.round(tics / tps) * tps) <= 1e-3  # others are refused as NEST refuses them
        due = on_grid & (np.round((origin + times) / h).astype(np.int64) == now)
        times = np.where(due, 0.001 * ((now + 1) * tps) - origin, times)
    return times


# ------------------------------------------------------------------------------------ files
def path_of(rid) -> str:
    s = _settings(rid)
    label = s["label"] or KERNEL.kind_of(rid)[0]
    name = f"{KERNEL.settings['data_prefix']}{label}-{rid}-0.{s.get('file_extension', ASCII['file_extension'])}"
    return os.path.join(KERNEL.settings["data_path"] or os.getcwd(), name)


def write_files(kernel):
    """Append the events gathered since the last call to the files of recorders with record_to='ascii'."""
    rec = kernel.__dict__.get("recording", {})
    for rid, s in rec.items():
        if s["record_to"] != "ascii" or kernel.sim is None:
            continue
        path = path_of(rid)
        df = events(rid)
        if os.path.exists(path) and not kernel.settings["overwrite_files"]:
            raise JaxsnnError(f"recorder {rid}: the file {path} exists; set nest.overwrite_files = True or choose "
                              "another label, data_prefix or data_path (NEST refuses too, also at a second Simulate).")
        with open(path, "w") as f:  # as NEST: each Simulate writes a new file with the events of that run
            f.write("# NEST version: 3.10.0\n# RecordingBackendASCII version: 2\n")
            f.write("\t".join(_header(rid, df, s)) + "\n")
            f.write(_rows(_rows_from(df, kernel.files.get(rid, 0)), rid, s))
        kernel.files[rid] = _n(df)


def _header(rid, df, s):
    time = ["time_step", "time_offset"] if s["time_in_steps"] else ["time_ms"]
    return ["sender"] + time + [name for name, _ in RECORDERS[KERNEL.kind_of(rid)[1]].ascii_columns(df, _decimals(s))]


def _rows(df, rid, s) -> str:
    if not _n(df):
        return ""
    h, p = KERNEL.settings["resolution"], _decimals(s)
    cols = [np.asarray(df["senders"]).astype(np.int64).astype(str)]
    if s["time_in_steps"]:
        cols += [np.round(np.asarray(df["times"]) / h).astype(np.int64).astype(str), np.full(_n(df), f"{0.0:.{p}f}")]
    else:
        cols.append(np.char.mod(f"%.{p}f", np.asarray(df["times"])))
    cols += [c for _, c in RECORDERS[KERNEL.kind_of(rid)[1]].ascii_columns(df, p)]
    return "\n".join("\t".join(r) for r in zip(*cols)) + "\n"
