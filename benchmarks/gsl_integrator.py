"""Cost of NEST's adaptive integrator (GSL's rkf45, jaxsnn.models._rkf45) per neuron and step, and how the
attempts beyond the first are scheduled: densely (every neuron runs every attempt of the slowest one,
masked) or on a slab of the unfinished neurons (gathered, advanced, scattered back).

    python benchmarks/gsl_integrator.py [--model iaf_cond_exp|aeif_cond_alpha] [--n 4000] [--steps 2000]
                                        [--slabs 0 64 250 500] [--runs 3] [--json OUT]

The neurons get COBA-like input: every step each neuron receives excitatory and inhibitory conductance
jumps drawn once (numpy, Poisson counts at the rates of a 4,000-neuron COBA network: 80 excitatory
and 20 inhibitory inputs firing ~5 Hz, weights 6 and 67 nS for iaf_cond_exp with tau_syn 5/10 ms).
Reports per slab setting the median wall time per simulated second of fresh runs (compilation
excluded), the mean number of attempts per neuron and step, and the largest per step. All settings give
the same bits (checked). float64 on the CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="iaf_cond_exp", choices=["iaf_cond_exp", "aeif_cond_alpha"])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--slabs", type=int, nargs="+", default=[0, 64, 250, 500])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args(argv)

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout
    import jax
    jax.config.update("jax_enable_x64", True)
    import importlib

    import jax.numpy as jnp

    mod = importlib.import_module("jaxsnn.models." + a.model)
    h, n = 0.1, a.n
    p = {k: v[0] for k, v in mod.PARAMETERS.items()}
    p.update(tau_syn_ex=5.0, tau_syn_in=10.0, E_L=-60.0, V_th=-50.0, V_reset=-60.0, g_L=10.0, C_m=200.0, t_ref=5.0,
             I_e=0.0) if a.model == "iaf_cond_exp" else p.update(t_ref=2.0, I_e=500.0)
    P = {k: jnp.full(n, float(v)) for k, v in p.items()}
    K = {k: jnp.full(n, v) for k, v in mod.host_constants({k: np.array([v]) for k, v in p.items()}, 100).items()}
    rng = np.random.default_rng(1)
    w_ex, w_in = (6.0, 67.0) if a.model == "iaf_cond_exp" else (3.0, 20.0)
    ex = rng.poisson(80 * 5.0 * h / 1000 * 10, (a.steps, n)) * w_ex  # ×10: a driven regime
    inh = -rng.poisson(20 * 5.0 * h / 1000 * 10, (a.steps, n)) * w_in
    rows = mod.STATE
    s0 = {k: jnp.asarray(rng.uniform(-60.0, -50.0, n) if k == "V_m" else np.zeros(n)) for k in rows}
    s0.update(r=jnp.zeros(n, jnp.int32), h_int=jnp.full(n, h), I_stim=jnp.zeros(n))
    out = {"model": a.model, "n": n, "steps": a.steps, "slabs": {}}
    ref = None
    for slab in a.slabs:
        def run(s, xs, slab=slab):
            def body(st, x):
                st, spk = mod.update(P, K, st, x[0], x[1], jnp.zeros(n), h=h, slab=slab)
                return st, jnp.sum(spk > 0)
            return jax.lax.scan(body, s, xs)

        f = jax.jit(run)
        xs = (jnp.asarray(ex), jnp.asarray(inh))
        t0 = time.perf_counter()
        s, spikes = jax.block_until_ready(f(s0, xs))
        compile_s = time.perf_counter() - t0
        walls = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            jax.block_until_ready(f(s0, xs))
            walls.append(time.perf_counter() - t0)
        V = np.asarray(s["V_m"])
        if ref is None:
            ref = V
        same = bool(np.array_equal(V, ref))
        wall = float(np.median(walls)) / (a.steps * h / 1000.0)
        out["slabs"][str(slab)] = dict(wall_per_sim_s=wall, first_call_s=compile_s, spikes=int(np.sum(spikes)),
                                       same_bits_as_first=same)
        print(f"slab {slab:5d}: {wall:8.3f} s per simulated s  (first call {compile_s:.1f} s, "
              f"{int(np.sum(spikes))} spikes, same bits: {same})", flush=True)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
