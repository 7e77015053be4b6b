"""Small networks shared by the tests."""
import numpy as np

import jaxsnn


def small_network(seed=1, rate=12000.0, record_capacity=16384, slice_capacity=None, neuron_params=None, **build):
    """E/I network with STDP, heterogeneous delays up to 12 ms, Poisson drive and a multimeter."""
    net = jaxsnn.Network(seed=seed)
    net.copy_model("stdp_synapse_hom", "e_syn", {"Wmax": 4.0, "lambda": 0.05})
    params = {"V_m": jaxsnn.random.normal(-65.0, 5.0), **(neuron_params or {})}
    e = net.create("iaf_psc_delta", 80, params=params)
    i = net.create("iaf_psc_delta", 20, params=params)
    pg = net.create("poisson_generator", params={"rate": rate})
    sr = net.create("spike_recorder")
    mm = net.create("multimeter", params={"interval": 0.5})
    net.connect(e, e + i, {"rule": "fixed_indegree", "indegree": 10},
                {"synapse_model": "e_syn", "weight": 2.0, "delay": jaxsnn.random.uniform(1.0, 12.0)})
    net.connect(i, e + i, {"rule": "fixed_indegree", "indegree": 5}, {"weight": -6.0, "delay": 1.5})
    net.connect(pg, e + i, syn_spec={"weight": 1.0})
    net.connect(e + i, sr)
    net.connect(mm, e[:3])
    sim = net.build(record_capacity=record_capacity, slice_capacity=slice_capacity, **build)
    return sim, sr, mm


def outcome(sim, sr, mm):
    ev = sim.events(sr)
    return (ev.senders.to_numpy(), ev.times.to_numpy(), sim.get().V_m.to_numpy(),
            sim.connections().weight.to_numpy(), np.asarray(sim.state.plasticity.pre.Kplus), sim.events(mm).V_m.to_numpy())
