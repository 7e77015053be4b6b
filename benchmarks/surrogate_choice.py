"""Measure which surrogate (and scale) gives d(rate)/d(I_e) closest to finite differences.

Network (the one of docs/gradients.md, after the reference baseline): 100 iaf_psc_delta neurons
(NEST defaults: tau_m 10 ms, C_m 250 pF, threshold 15 mV above rest, t_ref 2 ms), h = 0.1 ms, one
poisson_generator of 3 kHz × 1 mV (an independent train per neuron), recurrent fixed in-degree 10 ×
0.5 mV, delay 1 ms, 100 ms, I_e shifted by a common ``dI`` (pA). Loss: the mean rate (Hz).

AD: the gradient of the differentiable build, averaged over seeds; FD: central differences of the
event-driven build (the same forward bits) at ±20 pA with common random numbers (the same seeds at both
ends), averaged over the same seeds. Prints one markdown row per surrogate, scale and reset mode.

    PYTHONPATH=$PWD python benchmarks/surrogate_choice.py [--seeds 16] [--quick]
"""
from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
import jaxsnn  # noqa: E402

T_STEPS, N, DI = 1000, 100, 20.0


def network(seed=1):
    net = jaxsnn.Network(seed=seed)
    e = net.create("iaf_psc_delta", N, params={"V_m": jaxsnn.random.uniform(-70.0, -56.0)})
    pg = net.create("poisson_generator", params={"rate": 3000.0})
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": 10}, {"weight": 0.5, "delay": 1.0})
    net.connect(pg, e, syn_spec={"weight": 1.0})
    return net


def rate_fn(sim):
    def rate(dI, key):
        p = sim.params.replace(neurons=sim.params.neurons.replace(I_e=sim.params.neurons.I_e + dI))
        st = sim.state.replace(key=key)
        n_slices = T_STEPS // sim.spec.slice_steps
        _, counts = jaxsnn.scan(sim.model, p, st, n_slices, observe=lambda s: s.spikes.sum())
        return counts.sum() / (N * T_STEPS * sim.spec.resolution * 1e-3)
    return rate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    net = network()
    keys = jax.vmap(jaxsnn.simulation_key)(jnp.arange(1, a.seeds + 1))
    ev = net.build(slice_capacity=N * 10)
    r_ev = jax.jit(jax.vmap(rate_fn(ev), in_axes=(None, 0)))
    fd_per_seed = (np.asarray(r_ev(DI, keys)) - np.asarray(r_ev(-DI, keys))) / (2 * DI)
    rate0 = float(np.mean(r_ev(0.0, keys)))
    fd = float(fd_per_seed.mean())
    print(f"rate {rate0:.2f} Hz; FD d(rate)/d(I_e) = {fd:+.4f} Hz/pA (sd over seeds {fd_per_seed.std():.3f})",
          flush=True)
    configs = [("fast_sigmoid", b) for b in (5.0, 10.0, 20.0, 40.0)]
    configs += [(s, b) for s in ("sigmoid", "piecewise_linear", "arctan", "gaussian", "exponential")
                for b in ((10.0,) if a.quick else (5.0, 10.0, 20.0))]
    rows = []
    print("| surrogate | β (1/mV) | reset | AD (Hz/pA) | AD / FD | sd over seeds of AD |")
    print("|---|---|---|---|---|---|")
    for name, beta in configs:
        for detach in (False, True):
            if detach and name != "fast_sigmoid":
                continue
            t0 = time.time()
            d = net.build(differentiable=True, surrogate=(name, beta), detach_reset=detach, slice_capacity=N * 10)
            g = np.asarray(jax.jit(jax.vmap(jax.grad(rate_fn(d)), in_axes=(None, 0)))(0.0, keys))
            ad = float(g.mean())
            rows.append(dict(surrogate=name, beta=beta, detach_reset=detach, ad=ad, fd=fd, ratio=ad / fd,
                             ad_sd=float(g.std()), seconds=time.time() - t0))
            print(f"| {name} | {beta:g} | {'detached' if detach else 'through spike'} | {ad:+.4f} | {ad / fd:.2f} | "
                  f"{g.std():.3f} |", flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(dict(fd=fd, fd_sd=float(fd_per_seed.std()), rate=rate0, seeds=a.seeds, rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
