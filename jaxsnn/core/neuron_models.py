"""The neuron step of networks with more than iaf_psc_delta: several models, current generators.

Each neuron has a model (``model.neurons.model``, an index into :data:`~.types.NEURON_MODELS`);
compile places the neurons of a model in contiguous index ranges, but a split network (sharding) sees
any part of them, so the step runs each present model's update on the device's neurons and keeps each
neuron's own result (a select; a network of one model runs only that model). ``state.neurons`` holds
every model's state (unused entries stay 0), so it is split, stored and checkpointed like V_rel.

Input rows (``transit``): ``ring[k % R]`` is the spike input of step k (iaf_psc_delta: the sum of all
events; psc models: the excitatory channel, ``ring[R + k % R]`` the inhibitory one); ``current[k % R]``
the current generators' input on receptor 0 (``current[R + k % R]`` receptor 1), which acts on V in
step k + 1 (``I_0``/``I_1``).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from . import iaf_psc_alpha, iaf_psc_delta, iaf_psc_exp
from .iaf_propagator import exact, p31, p32
from .types import NEURON_MODELS, PSC_MODELS, NeuronState

DELTA, EXP, ALPHA, PARROT = range(4)
RECORDABLES = ("V_m", "I_syn_ex", "I_syn_in")  # rows of the sampled quantities


def psc_constants(model, nrn, h: float, P22):
    """Propagators of the psc models for the parameters ``nrn`` (traced): the host's exact values where
    tau_m, C_m, tau_syn_ex and tau_syn_in are the built ones, the in-graph formulas elsewhere."""
    top = model.neurons
    tm, c, tse, tsi = nrn.tau_m, nrn.C_m, nrn.tau_syn_ex, nrn.tau_syn_in
    built = (tm == top.built_tau_m) & (c == top.built_C_m) & (tse == top.built_tau_syn_ex) \
        & (tsi == top.built_tau_syn_in)
    is_alpha = top.model == ALPHA
    f = dict(P11ex=jnp.exp(-h / tse), P11in=jnp.exp(-h / tsi), P21ex=p32(tse, tm, c, h), P21in=p32(tsi, tm, c, h),
             P31ex=p31(tse, tm, c, h), P31in=p31(tsi, tm, c, h),
             P20=jnp.where(is_alpha, iaf_psc_alpha.P30(tm, c, h), iaf_psc_exp.P20(tm, c, P22)),
             expm1_tau_m=jnp.expm1(-h / tm))
    return {k: exact(getattr(top, k), v, built) for k, v in f.items()}


def init_state(spec, N, dtype):
    """The extra neuron state fields of ``spec`` (zeros), as NeuronState keyword arguments."""
    z = lambda: jnp.zeros(N, dtype)
    kw = {}
    if spec.has_psc:
        kw.update(I_syn_ex=z(), I_syn_in=z())
    if "iaf_psc_alpha" in spec.neuron_models:
        kw.update(dI_syn_ex=z(), dI_syn_in=z())
    if spec.n_currents:
        kw["I_0"] = z()
    if spec.current_receptor1:
        kw["I_1"] = z()
    return kw


def step(spec, model, params, c, neurons: NeuronState, transit, s, surrogate=None):
    """One step of every neuron: returns (neurons, spiked, sampled quantities [len(RECORDABLES), N] or
    V_m [N] without psc models, multiplicities of the parrots' spikes). ``surrogate``: None, or
    ``(name, β, detach_reset)`` in the differentiable build (:func:`jaxsnn.core.surrogate.threshold`);
    a parrot's spikes then pass their input's gradient straight through (∂(n s)/∂input = 1 for a spike
    of multiplicity n)."""
    p, h, R = params.neurons, spec.resolution, spec.ring
    row = s % R
    models = spec.neuron_models
    mid = model.neurons.model
    single = len(models) == 1
    pick = (lambda m, new, old: new) if single else (lambda m, new, old: jnp.where(mid == m, new, old))
    inp = transit.ring[row]
    inh = transit.ring[R + row] if spec.has_psc else None
    i0 = neurons.I_0 if spec.n_currents else None
    V, r, rbuf = neurons.V_rel, neurons.refractory, neurons.refractory_buffer
    spiked = jnp.zeros(V.shape, bool if surrogate is None else V.dtype)
    y_out, r_out, new = V, r, {}
    ref = c[2]
    if "iaf_psc_delta" in models:
        y, r1, rbuf_new, spk = iaf_psc_delta.update(p, c[:4], h, spec.has_refractory_input, V, r, rbuf, inp, i0=i0,
                                                      surrogate=surrogate)
        y_out, r_out, spiked = pick(DELTA, y, y_out), pick(DELTA, r1, r_out), pick(DELTA, spk, spiked)
        if spec.has_refractory_input:
            new["refractory_buffer"] = pick(DELTA, rbuf_new, rbuf)
    zero = jnp.zeros_like(V)
    if "iaf_psc_exp" in models:
        k = c[4]
        i1 = neurons.I_1 if spec.current_receptor1 else zero
        y, r1, i_ex, i_in, spk = iaf_psc_exp.update(
            p, (k["P11ex"], k["P11in"], c[0], k["P21ex"], k["P21in"], k["P20"], ref), V, r,
            neurons.I_syn_ex, neurons.I_syn_in, zero if i0 is None else i0, i1, inp, inh, spec.current_receptor1,
            surrogate)
        y_out, r_out, spiked = pick(EXP, y, y_out), pick(EXP, r1, r_out), pick(EXP, spk, spiked)
        new["I_syn_ex"], new["I_syn_in"] = pick(EXP, i_ex, neurons.I_syn_ex), pick(EXP, i_in, neurons.I_syn_in)
    if "iaf_psc_alpha" in models:
        k = c[4]
        y, r1, I_ex, I_in, dI_ex, dI_in, spk = iaf_psc_alpha.update(
            p, (k["P11ex"], k["P11in"], k["P21ex"], k["P21in"], k["P31ex"], k["P31in"], k["P20"], k["expm1_tau_m"],
                ref), h, V, r, neurons.I_syn_ex, neurons.I_syn_in, neurons.dI_syn_ex, neurons.dI_syn_in,
            zero if i0 is None else i0, inp, inh, surrogate)
        y_out, r_out, spiked = pick(ALPHA, y, y_out), pick(ALPHA, r1, r_out), pick(ALPHA, spk, spiked)
        new["I_syn_ex"] = pick(ALPHA, I_ex, new.get("I_syn_ex", neurons.I_syn_ex))
        new["I_syn_in"] = pick(ALPHA, I_in, new.get("I_syn_in", neurons.I_syn_in))
        new["dI_syn_ex"] = pick(ALPHA, dI_ex, neurons.dI_syn_ex)
        new["dI_syn_in"] = pick(ALPHA, dI_in, neurons.dI_syn_in)
    counts = None
    if "parrot_neuron" in models:  # repeats every spike that arrived, as one spike of their multiplicity
        n = jnp.round(inp).astype(jnp.int32)
        fired = n > 0
        if surrogate is not None:
            # a spike of multiplicity n is delivered n times: n · s = n + (inp − stop_gradient(inp))
            fired = jnp.where(fired, 1.0 + (inp - jax.lax.stop_gradient(inp)) / jnp.maximum(n, 1), 0.0).astype(V.dtype)
        spiked = pick(PARROT, fired, spiked)
        counts = jnp.where(mid == PARROT, n, 1) * (spiked > 0)
    if spec.n_currents:
        new["I_0"] = transit.current[row]
    if spec.current_receptor1:
        new["I_1"] = transit.current[R + row]
    neurons = neurons.replace(V_rel=y_out, refractory=r_out, **new)
    V_m = y_out + p.E_L
    if spec.has_psc:
        return neurons, spiked, jnp.stack([V_m, neurons.I_syn_ex, neurons.I_syn_in]), counts
    return neurons, spiked, V_m, counts


def repeat_by_multiplicity(spec, spike_count, senders, steps, count, over):
    """The slice's spike list with each spike repeated by its multiplicity (consecutively, so the order
    stays by sender, then step); returns (senders, steps, count, overflowed, any multiplicity > 1)."""
    cap = senders.shape[0]
    valid = jnp.arange(cap) < count
    m = jnp.where(valid, spike_count[steps % spec.history, senders], 0)
    ends = jnp.cumsum(m)
    total = ends[-1] if cap else 0
    j = jnp.arange(cap)
    src = jnp.minimum(jnp.searchsorted(ends, j, side="right"), cap - 1)
    return (senders[src], steps[src], jnp.minimum(total, cap).astype(count.dtype), over | (total > cap),
            jnp.any(m > 1))


def model_index(name: str) -> int:
    return NEURON_MODELS.index(name)


__all__ = ["PSC_MODELS", "RECORDABLES", "init_state", "model_index", "psc_constants", "step"]
