"""The balanced E/I network of NEST's store/restore example (the founding scenario of jaxsnn).

2000 excitatory and 500 inhibitory ``iaf_psc_delta`` neurons (times ``scale``), V_m drawn from
N(−65 mV, 5 mV), fixed in-degrees of 200 excitatory (plastic ``e_syn`` = ``stdp_synapse_hom`` with
W_max = 2 J_E) and 50 inhibitory (static ``i_syn``, J_I = −4 J_E) synapses, all neurons driven by an
800 Hz ``poisson_generator``; a ``spike_recorder`` sees the excitatory neurons.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import random
from ..build.network import NEST_DEFAULT_SEED, Network
from ..models import iaf_psc_delta, poisson_generator, spike_recorder, static_synapse, stdp_synapse_hom

NEURON = iaf_psc_delta.MODEL.name


@dataclasses.dataclass
class EINetwork:
    scale: float = 1.0
    seed: int = NEST_DEFAULT_SEED
    JE: float = 1.0
    g: float = 4.0
    indeg_e: int = 200
    indeg_i: int = 50
    poisson_rate: float = 800.0  # Hz

    def __post_init__(self):
        self.nI = int(round(500 * self.scale))
        self.nE = 4 * self.nI
        self.n = self.nE + self.nI
        self.JI = -self.g * self.JE

    def _models(self):
        net = Network(resolution=0.1, seed=self.seed)
        net.copy_model(stdp_synapse_hom.MODEL.name, "e_syn", {"Wmax": 2 * self.JE})
        net.copy_model(static_synapse.MODEL.name, "i_syn")
        return net

    def _devices(self, net):
        self.pg = net.create(poisson_generator.MODEL.name, params={"rate": self.poisson_rate})
        self.sr = net.create(spike_recorder.MODEL.name)
        net.connect(self.pg, self.neurons, "all_to_all", {"weight": self.JE})
        net.connect(self.e_neurons, self.sr)

    def build(self, **options):
        """The network from scratch: random V_m and connectivity from ``seed``."""
        net = self._models()
        self.e_neurons = net.create(NEURON, self.nE, params={"V_m": random.normal(-65.0, 5.0)})
        self.i_neurons = net.create(NEURON, self.nI, params={"V_m": random.normal(-65.0, 5.0)})
        self.neurons = self.e_neurons + self.i_neurons
        net.connect(self.e_neurons, self.neurons, {"rule": "fixed_indegree", "indegree": self.indeg_e},
                    {"synapse_model": "e_syn", "weight": self.JE})
        net.connect(self.i_neurons, self.neurons, {"rule": "fixed_indegree", "indegree": self.indeg_i},
                    {"synapse_model": "i_syn", "weight": self.JI})
        self._devices(net)
        return net.build(**options)

    def rebuild(self, V_m_e, V_m_i, e_syns, i_syns, **options):
        """The network from stored data: V_m per population and (source, target, weight[, delay]) frames."""
        net = self._models()
        self.e_neurons = net.create(NEURON, self.nE, params={"V_m": np.asarray(V_m_e)})
        self.i_neurons = net.create(NEURON, self.nI, params={"V_m": np.asarray(V_m_i)})
        self.neurons = self.e_neurons + self.i_neurons
        for name, df in (("e_syn", e_syns), ("i_syn", i_syns)):
            spec = {"synapse_model": name, "weight": df.weight.to_numpy()}
            if "delay" in df:
                spec["delay"] = df.delay.to_numpy()
            net.connect(df.source.to_numpy(), df.target.to_numpy(), "one_to_one", spec)
        self._devices(net)
        return net.build(**options)
