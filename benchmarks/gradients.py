"""Forward time, gradient time and peak memory of the differentiable build on the founding network.

The founding network (:class:`jaxsnn.testing.ei_network.EINetwork`: E/I, Poisson drive; ``--stdp`` keeps its
plastic E synapses, otherwise they are static) at ``--scale`` (in-degrees scaled with it, so that the
network stays sparse), for ``--ms`` of simulated time. Loss: the mean E rate (Hz) from per-slice spike
counts; the gradient is taken with respect to every parameter (Poisson rate and weight, every neuron
parameter, STDP parameters) and every weight. Reverse mode is rematerialised every
``--checkpoint-every`` steps. Each measurement runs in a fresh process (:mod:`benchmarks._measure`):
compile once, then time the second call; peak memory is the child's peak resident set. ``--runs``
fresh processes give the medians (and every run, with ``--json FILE``, as JSON).

    PYTHONPATH=$PWD python benchmarks/gradients.py --scale 0.1 --ms 200 [--stdp] [--runs 3] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _measure import run_child  # noqa: E402


def child(a):
    import jax
    import jax.numpy as jnp

    import jaxsnn
    from jaxsnn import observables as obs
    from jaxsnn.testing.ei_network import EINetwork

    class Static(EINetwork):
        def _models(self):
            net = jaxsnn.Network(resolution=0.1, seed=self.seed)
            net.copy_model("static_synapse", "e_syn")
            net.copy_model("static_synapse", "i_syn")
            return net

    cls = EINetwork if a.stdp else Static
    ei = cls(scale=a.scale, indeg_e=max(1, round(200 * a.scale)), indeg_i=max(1, round(50 * a.scale)),
             )
    sim = ei.build(differentiable=True, checkpoint_every=a.checkpoint_every)
    n_slices = int(round(a.ms / (sim.spec.time.resolution * sim.spec.time.slice_steps)))
    nE = ei.nE

    def loss(params, weights):
        _, counts = jaxsnn.scan(sim.model, params, sim.state.with_weights(weights), n_slices,
                                observe=obs.spike_counts)
        return jnp.mean(obs.rates(counts[:, :nE], sim.spec))

    fwd = jax.jit(loss)
    grad = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))
    out = {}
    for name, f in (("forward", fwd), ("gradient", grad)):
        t0 = time.perf_counter()
        jax.block_until_ready(f(sim.params, sim.state.weights))
        out[f"{name}_first_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        r = jax.block_until_ready(f(sim.params, sim.state.weights))
        out[f"{name}_s"] = round(time.perf_counter() - t0, 3)
    out["rate_Hz"] = float(r[0])
    out["n_neurons"], out["n_synapses"] = ei.n, int(sim.state.weights.shape[0])
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--ms", type=float, default=1000.0)
    ap.add_argument("--stdp", action="store_true")
    ap.add_argument("--checkpoint-every", type=int, default=100)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", action="store_true")
    a = ap.parse_args()
    if a.child:
        return child(a)
    argv = [sys.executable, os.path.abspath(__file__), "--child", "--scale", str(a.scale), "--ms", str(a.ms),
            "--checkpoint-every", str(a.checkpoint_every)] + (["--stdp"] if a.stdp else [])
    runs = []
    for _ in range(a.runs):
        res = run_child(argv, env={"PYTHONPATH": os.path.dirname(HERE)})
        res["gradient_over_forward"] = round(res["gradient_s"] / res["forward_s"], 2)
        runs.append(res)
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}  # each quantity's own median
    out = {"scale": a.scale, "ms": a.ms, "stdp": a.stdp, "checkpoint_every": a.checkpoint_every, "runs": a.runs,
           **median}
    print(json.dumps(out))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"median": out, "runs": runs, "cpus": os.cpu_count()}, f, indent=1)


if __name__ == "__main__":
    main()
