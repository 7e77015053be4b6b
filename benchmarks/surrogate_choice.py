"""Measure which surrogate (and scale) gives d(rate)/d(I_e) closest to finite differences.

Network (the one of docs/gradients.md, after the reference baseline): 100 iaf_psc_delta neurons
(NEST defaults: tau_m 10 ms, C_m 250 pF, threshold 15 mV above rest, t_ref 2 ms), h = 0.1 ms, one
poisson_generator of 3 kHz × 1 mV (an independent train per neuron), recurrent fixed in-degree 10 ×
0.5 mV, delay 1 ms, 100 ms, I_e shifted by a common ``dI`` (pA). Loss: the mean rate (Hz).

AD: the gradient of the differentiable build, averaged over seeds; FD: central differences of the
event-driven build (the same forward bits) at ±20 pA with common random numbers (the same seeds at both
ends), averaged over the same seeds. Prints one markdown row per surrogate, scale and reset mode.

    PYTHONPATH=$PWD python benchmarks/surrogate_choice.py [--seeds 16] [--quick]

``--ei``: recurrent E/I networks (g = 5) of each of ``--models``; d(mean rate)/dθ for θ = I_e, V_th,
tau_m and a common weight factor J, AD against central FD over ``--seeds`` (common random numbers),
for each ``--configs`` entry ``name:β:through|detached``; one markdown row per model, parameter, config:

    PYTHONPATH=$PWD python benchmarks/surrogate_choice.py --ei [--models iaf_psc_exp] [--seeds 8] [--out F]
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
from jaxsnn.testing.surrogate_check import HALF_STEPS, ei_network, ei_rate_fn  # noqa: E402

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
        nrn = sim.params.neurons
        p = sim.params.replace(neurons=nrn.updated("iaf_psc_delta", I_e=nrn["iaf_psc_delta"]["I_e"] + dI))
        st = sim.state.replace(key=key)
        n_slices = T_STEPS // sim.spec.time.slice_steps
        _, counts = jaxsnn.scan(sim.model, p, st, n_slices, observe=lambda s: s.spikes.sum())
        return counts.sum() / (N * T_STEPS * sim.spec.time.resolution * 1e-3)
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


# --------------------------------------------------------------------- E/I networks, every model
# the networks and the rate function are shared with tests/test_surrogate_defaults.py
PARAMS = HALF_STEPS  # FD half-steps: pA, mV, ms, relative weight


def ei_main(a):
    keys = jax.vmap(jaxsnn.simulation_key)(jnp.arange(1, a.seeds + 1))
    configs = [tuple(c.split(":")) for c in a.configs]  # name:beta:reset
    names = list(PARAMS)
    steps = np.diag([PARAMS[k] for k in names])
    rows = []
    print("| model | parameter | FD (seed mean) | surrogate | β | reset | AD / FD (seed means) | signs right | "
          "sd of AD / FD |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model in a.models:
        t0 = time.time()
        net = ei_network(model)
        ev = net.build(slice_capacity=1000)
        f = jax.jit(jax.vmap(jax.vmap(ei_rate_fn(ev, a.steps), in_axes=(None, 0)), in_axes=(0, None)))
        th = jnp.asarray(np.concatenate([steps, -steps]))
        r = np.asarray(f(th, keys))  # [8, seeds]
        fd = (r[:4] - r[4:]) / (2 * np.asarray([PARAMS[k] for k in names]))[:, None]  # [param, seed]
        rate0 = float(np.mean(r))
        print(f"{model}: mean rate {rate0:.1f} Hz, FD in {time.time() - t0:.0f} s", flush=True)
        for name, beta, reset in configs:
            sim = net.build(differentiable=True, surrogate=(name, float(beta)), detach_reset=reset == "detached",
                            slice_capacity=1000)
            g = np.asarray(jax.jit(jax.vmap(jax.grad(ei_rate_fn(sim, a.steps)), in_axes=(None, 0)))(
                jnp.zeros(4), keys)).T  # [param, seed]
            for k, which in enumerate(names):
                fdm = float(fd[k].mean())
                ratio = float(g[k].mean()) / fdm
                signs = float(np.mean(np.sign(g[k]) == np.sign(fdm)))
                rows.append(dict(model=model, param=which, fd=fdm, fd_sd=float(fd[k].std()), surrogate=name,
                                 beta=float(beta), reset=reset, ad=float(g[k].mean()), ratio=ratio, signs=signs,
                                 ad_sd=float(g[k].std()), rate=rate0))
                print(f"| {model} | {which} | {fdm:+.4g} | {name} | {beta} | {reset} | {ratio:.2f} | {signs:.2f} | "
                      f"{g[k].std() / abs(fdm):.2f} |", flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(dict(seeds=a.seeds, steps=a.steps, rows=rows), f, indent=1)


if __name__ == "__main__":
    import sys
    if "--ei" in sys.argv:
        ap = argparse.ArgumentParser()
        ap.add_argument("--ei", action="store_true")
        ap.add_argument("--models", nargs="+", default=["iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha"])
        ap.add_argument("--configs", nargs="+", default=["fast_sigmoid:20:through", "fast_sigmoid:40:through",
                                                          "fast_sigmoid:40:detached", "fast_sigmoid:80:detached"])
        ap.add_argument("--seeds", type=int, default=8)
        ap.add_argument("--steps", type=int, default=1000)
        ap.add_argument("--out", default=None)
        ei_main(ap.parse_args())
    else:
        main()
