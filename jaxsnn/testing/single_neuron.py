"""Replay a NEST ``model`` case (tests/reference/README.md) through one model module's update alone.

    python -m jaxsnn.testing.single_neuron CASE.json [...]        (float64)

For the conductance-based, adaptive, Hodgkin–Huxley models (:mod:`jaxsnn.models.iaf_cond_exp` and the
others with ``update(p, k, s, ex, inh, I_stim, h=...)``): the case's spike generators and dc generators
become per-step input arrays exactly as NEST delivers them (an event emitted at grid time t with delay d
acts in step round(t/h) − 1 + d/h; excitatory and inhibitory sums in arrival order, one sum for a
single-channel model, or one sum per receptor port for a multi-receptor model (``INPUTS = "ports"``,
``receptor_type`` 1 … n); a generator's current of step k acts from step k + 1 on), and one neuron is
advanced with ``lax.scan``, segment by segment, with ``set`` between segments. It prints, per case,
whether the spikes are NEST's and the largest deviation of every recordable; :func:`replay` returns our
spikes and traces.
"""
from __future__ import annotations

import importlib
import json
import math
import sys

import numpy as np

from ..models import dc_generator

TICS_PER_MS = 1000
CONTRACT = ("PARAMETERS", "STATE", "host_constants", "update", "record")  # what replay reads of a model module


def _replayable() -> dict:
    """NEST model -> module, for the modules of :mod:`jaxsnn.models` that hold the single-neuron contract
    (:data:`CONTRACT`), found by what they provide, not by a list of names."""
    import pkgutil

    from .. import models

    out = {}
    for info in pkgutil.iter_modules(models.__path__):
        if not info.name.startswith("_"):
            mod = importlib.import_module(f"{models.__name__}.{info.name}")
            if all(hasattr(mod, a) for a in CONTRACT):
                out[info.name] = mod
    return out


MODULES = _replayable()  # NEST model -> its module (the module's name is the model's)


def _steps(t_ms: float, tps: int) -> int:
    """Time(Time::ms(t)).get_steps(): round to tics (half up), then up to whole steps."""
    return -(-math.floor(t_ms * TICS_PER_MS + 0.5) // tps)


def _arrivals(case: dict):
    """Per step, the (weight × multiplicity, receptor_type) of each event that arrives, in arrival order."""
    h = case["resolution"]
    tps = round(h * TICS_PER_MS)
    n = round(case["t_sim"] / h)
    arrivals = [[] for _ in range(n)]
    for inp in case.get("inputs", []):
        d = _steps(inp["delay"], tps)
        w = inp.get("weights", [1.0] * len(inp["times"]))
        m = inp.get("multiplicities", [1] * len(inp["times"]))
        for t, wi, mi in zip(inp["times"], w, m):
            k = _steps(t, tps) - 1 + d
            if k < n:
                arrivals[k].append(((wi * inp.get("conn_weight", 1.0)) * mi, inp.get("receptor_type", 0)))
    return arrivals


def port_inputs(case: dict, ports: int):
    """[steps, ports]: the summed event weights of each receptor port 1 … ports (column port − 1), for the
    multi-receptor models (``INPUTS = "ports"``), in arrival order."""
    arrivals = _arrivals(case)
    out = np.zeros((len(arrivals), ports))
    for k, events in enumerate(arrivals):
        for s, r in events:
            if not 1 <= r <= ports:
                raise ValueError(f"single_neuron: receptor_type {r} for a model with ports 1 … {ports}")
            out[k, r - 1] += s
    return out


def inputs(case: dict):
    """(ex, inh, total, current) per step: summed excitatory (> 0) and inhibitory (≤ 0) event weights, the
    sum of all, and the dc generators' current that arrives in each step."""
    h = case["resolution"]
    tps = round(h * TICS_PER_MS)
    n = round(case["t_sim"] / h)
    ex, inh, tot, cur = (np.zeros(n) for _ in range(4))
    for k, events in enumerate(_arrivals(case)):
        for s, _ in events:  # Python floats: NEST's order and rounding
            tot[k] += s
            if s > 0:
                ex[k] += s
            else:
                inh[k] += s
    for c in case.get("currents", []):
        if c["model"] != dc_generator.MODEL.name:
            raise ValueError(f"single_neuron: current generator {c['model']!r} is not supported (dc_generator)")
        p = c["params"]
        start, d = _steps(p.get("start", 0.0), tps), _steps(c["delay"], tps)
        stop = _steps(p["stop"], tps) if math.isfinite(p.get("stop", math.inf)) else math.inf
        for s in range(n):  # active in step s iff start < s + 2 <= stop; acts d steps later
            if start < s + 2 <= stop and s + d < n:
                cur[s + d] += c["weight"] * p.get("amplitude", 0.0)
    return ex, inh, tot, cur


def replayed_draws(case: dict) -> np.ndarray:
    """Uniform draws that make a stochastic model spike exactly in the steps where NEST's did: 0 there (any
    probability > 0 spikes), 1 elsewhere (no probability ≤ 1 does)."""
    h = case["resolution"]
    u = np.ones(round(case["t_sim"] / h))
    for t in case["expected"]["spike_times"]:
        u[round(t / h) - 1] = 0.0
    return u


def replay(case: dict, slab=None, draws=None):
    """Our (spike times, {recordable: trace}) for ``case``, in float64. ``draws``: for a model with
    stochastic spiking (``STOCHASTIC``), the uniform draw of every step (else the model draws its own)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    mod = MODULES[case["model"]]
    h = case["resolution"]
    tps = round(h * TICS_PER_MS)
    ex, inh, tot, cur = inputs(case)
    if getattr(mod, "KIND", "") == "delta":
        ex = tot
    p = {k: v[0] for k, v in mod.PARAMETERS.items()}
    p.update({k: v for k, v in case["params"].items() if k in p})
    if getattr(mod, "INPUTS", "") == "ports":  # one column per receptor port
        ex = port_inputs(case, mod.ports(p))
    init = mod.initial_state(dict(p, **case["params"])) if hasattr(mod, "initial_state") else {}
    s = {k: jnp.array([np.asarray(case["params"].get(k, init.get(k, p["E_L"] if k == "V_m" else 0.0)), float)])
         for k in mod.STATE}  # [1] per neuron, [1, ports] for a per-port state
    s.update(r=jnp.array([0], jnp.int32), h_int=jnp.array([h]), I_stim=jnp.array([0.0]))
    k0, spikes, out = 0, [], {r: [] for r in case["recordables"]}
    for seg in case["segments"]:
        for label, q in seg.get("set", {}).items():
            if label != "neuron":
                raise ValueError(f"single_neuron: set on {label!r} is not supported")
            p.update(q)
        P = {k: jnp.array([v]) for k, v in p.items()}
        K = {k: jnp.asarray(np.asarray(v).reshape((1,) + np.shape(v)[1:] if np.ndim(v) > 1 else 1))
             for k, v in mod.host_constants({k: np.array([v]) for k, v in p.items()}, tps).items()}

        def body(st, x, P=P, K=K):
            kw = {} if draws is None else {"u": x[3][None]}
            st, spk = mod.update(P, K, st, *(v[None] for v in x[:3]), h=h, slab=slab, **kw)
            return st, (spk > 0, mod.record(P, st, h))

        ns = round(seg["t"] / h)
        sl = slice(k0, k0 + ns)
        xs = (jnp.asarray(ex[sl]), jnp.asarray(inh[sl]), jnp.asarray(cur[sl]))
        if draws is not None:
            xs += (jnp.asarray(draws[sl], float),)
        s, (spk, rec) = jax.jit(lambda st, xs: jax.lax.scan(body, st, xs))(s, xs)
        spikes += [round(0.001 * ((k0 + k + 1) * tps), 6) for k in np.nonzero(np.asarray(spk)[:, 0])[0]]
        for r in out:
            out[r] += np.asarray(rec[r])[:, 0].tolist()
        k0 += ns
    return spikes, out


def deviations(case: dict, spikes, out) -> dict:
    """{recordable: largest deviation} (V_m absolute in mV, the others relative) and spikes' equality."""
    e = case["expected"]
    dev = {"spikes_equal": spikes == e["spike_times"]}
    for r in case["recordables"]:
        a, b = np.asarray(out[r][:len(e[r])]), np.asarray(e[r])
        diff = np.abs(a - b)
        dev[r] = float(diff.max()) if r == "V_m" else float((diff / np.maximum(np.abs(b), 1e-300)).max())
    return dev


def main(paths) -> int:
    bad = 0
    for path in paths:
        with open(path) as f:
            case = json.load(f)
        dev = deviations(case, *replay(case, draws=replayed_draws(case) if case.get("replay_spikes") else None))
        ok = dev["spikes_equal"] and all(v <= 1e-6 for k, v in dev.items() if k != "spikes_equal")
        bad += not ok
        print(("PASS " if ok else "FAIL ") + path + "  " + ", ".join(f"{k}: {v:.2g}" if k != "spikes_equal"
                                                                     else f"spikes {'same' if v else 'DIFFER'}"
                                                                     for k, v in dev.items()))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
