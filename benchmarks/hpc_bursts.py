"""Population bursts and rates of NEST's hpc_benchmark network (``hpc_benchmark.py``), one simulator and seed.

    python benchmarks/hpc_bursts.py {jaxsnn,nest} SEED [T_ms]      (nest: run with a python that imports nest)

Builds the network of ``hpc_benchmark.py`` at its defaults (scale 0.1, ``--k-scale`` 0.1), records every
neuron's spikes for ``T_ms`` (default 1000) from time 0 and prints one JSON line: the rate of all neurons,
the largest spike count in a 0.6 ms bin (the network's slice: t_ref 0.5 ms makes 6 steps of 0.1 ms), how
many bins exceed the engine's default ``slice_capacity`` (421 here) and the spike counts per 10 ms.
This network fires in population bursts, so rates over short windows vary widely between seeds; this
compares the simulators over longer runs. jaxsnn runs on one device with ``slice_capacity`` NE + NI.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import hpc_benchmark as hb  # noqa: E402

DEFAULT_SLICE_CAPACITY = 421  # max(256, N * L // 16) for N = 1125, L = 6


def indeg(k):
    return {"rule": "fixed_indegree", "indegree": k, "allow_autapses": False, "allow_multapses": True}


def nest_times(seed, T, NE, NI, CE, CI, JE_pA, rate):
    import nest

    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.local_num_threads, nest.resolution, nest.rng_seed = 2, 0.1, seed
    E = nest.Create("iaf_psc_alpha", NE, params=hb.MODEL)
    I = nest.Create("iaf_psc_alpha", NI, params=hb.MODEL)
    E.V_m = nest.random.normal(hb.V_MEAN, hb.V_SIGMA)
    I.V_m = nest.random.normal(hb.V_MEAN, hb.V_SIGMA)
    pg = nest.Create("poisson_generator", params={"rate": rate})
    sr = nest.Create("spike_recorder")
    nest.SetDefaults("static_synapse_hpc", {"delay": hb.DELAY})
    nest.CopyModel("static_synapse_hpc", "syn_ex", {"weight": JE_pA})
    nest.CopyModel("static_synapse_hpc", "syn_in", {"weight": hb.G * JE_pA})
    nest.SetDefaults("stdp_pl_synapse_hom_hpc", dict(hb.STDP, delay=hb.DELAY, weight=JE_pA))
    nest.Connect(pg, E + I, "all_to_all", {"synapse_model": "syn_ex"})
    nest.Connect(E, E, indeg(CE), {"synapse_model": "stdp_pl_synapse_hom_hpc"})
    nest.Connect(I, E, indeg(CI), {"synapse_model": "syn_in"})
    nest.Connect(E, I, indeg(CE), {"synapse_model": "syn_ex"})
    nest.Connect(I, I, indeg(CI), {"synapse_model": "syn_in"})
    nest.Connect(E + I, sr)
    nest.Simulate(T)
    return np.asarray(sr.events["times"])


def jaxsnn_times(seed, T, NE, NI, CE, CI, JE_pA, rate):
    import jaxsnn
    from jaxsnn import random

    net = jaxsnn.Network(resolution=0.1, seed=seed)
    E = net.create("iaf_psc_alpha", NE, params={**hb.MODEL, "V_m": random.normal(hb.V_MEAN, hb.V_SIGMA)})
    I = net.create("iaf_psc_alpha", NI, params={**hb.MODEL, "V_m": random.normal(hb.V_MEAN, hb.V_SIGMA)})
    pg = net.create("poisson_generator", params={"rate": rate})
    sr = net.create("spike_recorder")
    net.copy_model("static_synapse_hpc", "syn_ex", {"weight": JE_pA, "delay": hb.DELAY})
    net.copy_model("static_synapse_hpc", "syn_in", {"weight": hb.G * JE_pA, "delay": hb.DELAY})
    net.copy_model("stdp_pl_synapse_hom_hpc", "stdp_ee", dict(hb.STDP, delay=hb.DELAY, weight=JE_pA))
    net.connect(pg, E + I, "all_to_all", {"synapse_model": "syn_ex"})
    net.connect(E, E, indeg(CE), {"synapse_model": "stdp_ee"})
    net.connect(I, E, indeg(CI), {"synapse_model": "syn_in"})
    net.connect(E, I, indeg(CE), {"synapse_model": "syn_ex"})
    net.connect(I, I, indeg(CI), {"synapse_model": "syn_in"})
    net.connect(E + I, sr)
    sim = jaxsnn.simulate(net.build(devices=1, slice_capacity=NE + NI), T)
    return sim.events(sr).times.to_numpy()


def main():
    which, seed = sys.argv[1], int(sys.argv[2])
    T = float(sys.argv[3]) if len(sys.argv) > 3 else 1000.0
    NE, NI, CE, CI, JE_pA, rate = hb.sizes(0.1, 0.1)
    t = (nest_times if which == "nest" else jaxsnn_times)(seed, T, NE, NI, CE, CI, JE_pA, rate)
    per_slice, _ = np.histogram(t, bins=np.arange(0, T + 1e-9, 0.6))
    per_10ms, _ = np.histogram(t, bins=np.arange(0, T + 1e-9, 10))
    print(json.dumps(dict(simulator=which, seed=seed, T=T, rate_all=len(t) / (NE + NI) / (T / 1000),
                          max_per_0p6ms=int(per_slice.max()),
                          bins_over_default_capacity=int((per_slice > DEFAULT_SLICE_CAPACITY).sum()),
                          per_10ms=per_10ms.tolist())))


if __name__ == "__main__":
    main()
