"""bernoulli_synapse: a static synapse that transmits each spike with probability p_transmit (NEST's
``bernoulli_synapse``; ``bernoulli_synapse_hpc`` is the same). Every parameter is per connection.

    at a pre spike:  sent with its weight w if ξ < p_transmit, else not at all (no event, nothing recorded)

ξ is uniform in [0, 1), drawn from (the run's key, the spike's step, the synapse's id)
(:func:`jaxsnn.core.stp.bernoulli`): statistically NEST's, and the same bits in split, resumed and
sharded runs. NEST's check: p_transmit in [0, 1].

===============  =======  ===========================================================================
weight           1        synaptic weight (pA, nS or mV: the target's input)
delay            1 ms     synaptic delay (a multiple of the resolution)
receptor_type    0        receptor port of the target
weight_recorder  None     weight_recorder node that records the transmitted weights (copy_model only)
p_transmit       1        probability that a spike is transmitted
===============  =======  ===========================================================================
"""
from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from ..core import stp
from .base import CONNECTION, Param, ShortTermRule, SynapseModel
from .tsodyks2_synapse import nest_rules

RULE_PARAMETERS = {"p_transmit": Param(1.0, "", "probability that a spike is transmitted")}


@dataclasses.dataclass(frozen=True)
class Bernoulli(ShortTermRule):
    columns = tuple(RULE_PARAMETERS)
    state = ()
    stochastic = True

    def on_pre(self, p, s, h, sent_before, w, draw=None):
        key, step, sid = draw
        sent = stp.bernoulli(key, step, sid, p["p_transmit"], jnp.result_type(w))
        return {}, w, sent


class BernoulliSynapse(SynapseModel):
    name = "bernoulli_synapse"
    parameters = {**CONNECTION, **RULE_PARAMETERS}
    aliases = ("bernoulli_synapse_hpc",)
    rule = Bernoulli()

    @classmethod
    def check(cls, v, where):
        nest_rules(v, where, cls.name, (("p_transmit", lambda a: (a < 0) | (a > 1),
                                         "Spike transmission probability must be in [0, 1]."),))


MODEL = BernoulliSynapse
