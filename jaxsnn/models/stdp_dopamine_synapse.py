"""stdp_dopamine_synapse: dopamine-modulated STDP (Izhikevich 2007; Potjans et al. 2010; NEST's
``stdp_dopamine_synapse``, ``stdp_dopamine_synapse_hpc`` is the same). Its rule parameters and its
``volume_transmitter`` are common properties, set with ``copy_model``/``set_defaults`` only; weight, delay
and the initial K₊, c and n are per connection.

An eligibility trace c collects pair STDP, a dopamine trace n the spikes its volume_transmitter collected,
and the weight follows dw/dt = c (n − b), integrated exactly between events and clipped to [W_min, W_max]
(:func:`jaxsnn.core.stdp_family.dopa_weight`, :mod:`jaxsnn.core.dopamine` for the event loop):

    post spike t_j reaching the synapse (t_j + d):  c ← c + A₊ K₊ e^{(t_update − (t_j + d))/τ₊}
    presynaptic spike at t:                       c ← c − A₋ K₋(t − d);  K₊ ← K₊ e^{(t_update − t)/τ₊} + 1
    dopamine spike of multiplicity m:             n ← n e^{−Δ/τ_n} + m/τ_n
    between events (length Δ from c₀, n₀):        c ← c₀ e^{−Δ/τ_c};  w ← w + c₀ (n₀ (1 − e^{−Δ τ_s})/τ_s
                                                                         − b τ_c (1 − e^{−Δ/τ_c})),  τ_s = 1/τ_c + 1/τ_n

The synapse is brought up to date at each presynaptic spike and whenever its transmitter delivers
(every ``deliver_interval`` slices), exactly as NEST orders these updates (a presynaptic spike is
delivered after the delivery at the end of the slice it was sent in, so NEST integrates back to it; kept).
K₋ is the target's trace (its ``tau_minus``). NEST's checks: a volume transmitter is assigned before a
connection is made; K₊ >= 0. In a network the model is jaxsnn's only plasticity rule (no other
plastic model besides it), runs on one device, and is not differentiable.

==================  =======  ===========================================================================
weight              1        synaptic weight (pA, nS or mV: the target's input)
delay               1 ms     synaptic delay (a multiple of the resolution)
receptor_type       0        receptor port of the target
weight_recorder     None     weight_recorder node that records the transmitted weights (copy_model only)
Kplus               0        presynaptic trace K₊ (state)
c                   0        eligibility trace (state)
n                   0        dopamine trace (state)
tau_plus            20 ms    time constant of K₊ (common)
A_plus              1        facilitation of c per pre-before-post pairing (common)
A_minus             1.5      depression of c per post-before-pre pairing (common)
tau_c               1000 ms  time constant of the eligibility trace c (common)
tau_n               200 ms   time constant of the dopamine trace n (common)
b                   0        dopamine baseline (common)
Wmin                0        minimum weight (common)
Wmax                200      maximum weight (common)
volume_transmitter  None     volume_transmitter node whose dopamine the synapses read (common)
==================  =======  ===========================================================================
"""
from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import checks
from ..core import libm as _libm
from ..errors import JaxsnnError, bad_value
from .base import CONNECTION, Param, PlasticityRule, SynapseModel

TRANSMITTER = "volume_transmitter"  # NEST's common property naming the synapses' transmitter
RULE_PARAMETERS = {
    "tau_plus": Param(20.0, "ms", "time constant of K₊"),
    "A_plus": Param(1.0, "", "facilitation of c per pre-before-post pairing"),
    "A_minus": Param(1.5, "", "depression of c per post-before-pre pairing"),
    "tau_c": Param(1000.0, "ms", "time constant of the eligibility trace c"),
    "tau_n": Param(200.0, "ms", "time constant of the dopamine trace n"),
    "b": Param(0.0, "", "dopamine baseline"),
    "Wmin": Param(0.0, "", "minimum weight"),
    "Wmax": Param(200.0, "", "maximum weight"),
}
STATE = {
    "Kplus": Param(0.0, "", "presynaptic trace K₊", state=True),
    "c": Param(0.0, "", "eligibility trace", state=True),
    "n": Param(0.0, "", "dopamine trace", state=True),
}


@dataclasses.dataclass(frozen=True)
class Dopamine(PlasticityRule):
    columns = tuple(RULE_PARAMETERS)
    traces = tuple(STATE)
    dopamine = True
    libm = True
    differentiable = False  # the clipped integral and the event loop: not checked against finite differences

    def exp(self, x):
        """The C library's exp in float64 (NEST's bits, :func:`jaxsnn.core.libm.exp`), XLA's otherwise."""
        return _libm.exp(x)

    def expm1(self, x):
        """NEST's expm1 in float64 (:func:`nest_expm1`: NEST's bits), XLA's otherwise."""
        return nest_expm1(x)


LN2 = 0.6931471805599453  # std::log(2.0)


def nest_expm1(x):
    """e^x − 1 as NEST 3.10's ``numerics::expm1`` computes it where the build found no ``expm1`` in the C library
    (as the released packages): 0 at x = 0; exp(x) − 1 (the C library's exp) for |x| > ln 2; else the Taylor series
    x + x²/2! + x³/3! + … summed term by term until a term is at most |sum| · ε (float64; XLA's expm1 for other
    dtypes)."""
    x = jnp.asarray(x)
    if x.dtype != jnp.float64:
        return jnp.expm1(x)
    big = jnp.abs(x) > LN2
    xs = jnp.where(big, 0.0, x)
    eps = float(np.finfo(np.float64).eps)

    def more(c):
        return jnp.any(c[3])

    def term_on(c):
        total, term, n, active = c
        total = jnp.where(active, total + term, total)
        n = jnp.where(active, n + 1.0, n)
        term = jnp.where(active, term * (xs / n), term)
        return total, term, n, active & (jnp.abs(term) > jnp.abs(total) * eps)

    term = xs * xs / 2.0
    total, *_ = lax.while_loop(more, term_on, (xs, term, jnp.full_like(xs, 2.0), jnp.abs(term) > jnp.abs(xs) * eps))
    return jnp.where(x == 0.0, 0.0, jnp.where(big, _libm.exp(x) - 1.0, total))

    def check(self, v, where):
        for name in self.columns:
            if name in v:
                checks.finite(f"{where}: {name}", np.asarray(v[name], np.float64))


class StdpDopamineSynapse(SynapseModel):
    name = "stdp_dopamine_synapse"
    parameters = {**CONNECTION, **STATE, **RULE_PARAMETERS,
                  TRANSMITTER: Param(None, "", "volume_transmitter node whose dopamine the synapses read")}
    common = tuple(RULE_PARAMETERS) + (TRANSMITTER,)
    aliases = ("stdp_dopamine_synapse_hpc",)
    rule = Dopamine()

    @classmethod
    def check_defaults(cls, v, where):
        super().check_defaults(v, where)
        vt = v.get(TRANSMITTER)
        if vt is not None and np.size(getattr(vt, "ids", vt)) != 1:
            raise bad_value(f"{where}: {TRANSMITTER}", vt, "a NodeCollection of one volume_transmitter (NEST: "
                            "'Property volume_transmitter must be a single element NodeCollection')")

    @classmethod
    def check(cls, v, where):
        a = np.asarray(v["Kplus"], np.float64).reshape(-1)
        if (a < 0).any():
            raise JaxsnnError(f"{where}: Kplus={a[int(np.argmax(a < 0))]}: Kplus must be non-negative (NEST's check "
                              f"for {cls.name}).")
        cls.rule.check(v, where)


MODEL = StdpDopamineSynapse
