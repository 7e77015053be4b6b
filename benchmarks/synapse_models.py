"""The cost of each plastic and stochastic synapse model in one network, relative to stdp_synapse.

    PYTHONPATH=. python benchmarks/synapse_models.py [--neurons 2000] [--indegree 50] [--t 200]

2,000 iaf_psc_alpha neurons, 50 incoming synapses each of the model under test (weight 20 pA, delay 1.5 ms),
Poisson drive. Each model's network is built, run 20 ms (compilation), then timed over ``--t`` ms; the
models take turns twice and the faster run counts. The firing rates differ a little between models (the
rules change the weights), so the ratios compare whole simulations, not the rules alone.
"""
import argparse
import time

import jaxsnn

MODELS = [("stdp_synapse", {"Wmax": 100.0}), ("stdp_nn_symm_synapse", {"Wmax": 100.0}),
          ("stdp_nn_restr_synapse", {"Wmax": 100.0}), ("stdp_nn_pre_centered_synapse", {"Wmax": 100.0}),
          ("vogels_sprekeler_synapse", {"Wmax": 100.0, "weight": 20.0}), ("stdp_triplet_synapse", {"Wmax": 100.0}),
          ("static_synapse", {}), ("bernoulli_synapse", {"p_transmit": 0.5}),
          ("quantal_stp_synapse", {"n": 3.0, "a": 3.0})]


def network(model, common, n, indegree):
    net = jaxsnn.Network(seed=1)
    e = net.create("iaf_psc_alpha", n, params={"V_m": jaxsnn.random.uniform(-70.0, -55.0)})
    pg = net.create("poisson_generator", params={"rate": 12000.0})
    sr = net.create("spike_recorder")
    net.copy_model(model, "syn", common)
    net.connect(e, e, {"rule": "fixed_indegree", "indegree": indegree}, {"synapse_model": "syn", "weight": 20.0,
                                                                         "delay": 1.5})
    net.connect(pg, e, syn_spec={"weight": 30.0})
    net.connect(e, sr)
    return net, sr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=2000)
    ap.add_argument("--indegree", type=int, default=50)
    ap.add_argument("--t", type=float, default=200.0)
    args = ap.parse_args()
    best, rate = {}, {}
    for _ in range(2):
        for model, common in MODELS:
            net, sr = network(model, common, args.neurons, args.indegree)
            sim = jaxsnn.simulate(net.build(), 20.0)
            t0 = time.perf_counter()
            sim = jaxsnn.simulate(sim, args.t)
            best[model] = min(best.get(model, float("inf")), time.perf_counter() - t0)
            rate[model] = len(sim.events(sr)) / args.neurons / ((args.t + 20.0) / 1000.0)
    for model, _ in MODELS:
        print(f"{model:30s} {best[model]:6.2f} s per {args.t:g} ms  {rate[model]:5.1f} Hz  "
              f"{best[model] / best['stdp_synapse']:5.2f} x stdp_synapse")


if __name__ == "__main__":
    main()
