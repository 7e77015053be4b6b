"""The STDP family beyond stdp_synapse: NEST 3.10's update arithmetic as pure, elementwise JAX functions.

Every function takes arrays (one entry per event or synapse) and returns the new values; the order of the
floating-point operations is that of NEST's ``send()``, so float64 results agree to the last bits (up to the
exponentials and powers, which come from XLA instead of the C library). The event loop around them — which
post spikes fall in the window (t_last − d, t − d], which archived K₋ is read — is the caller's (the
engine, or :mod:`jaxsnn.testing.synapse_replay`), as for :mod:`jaxsnn.core.stdp`.

Notation: w weight, d delay (all of it dendritic), t the presynaptic spike, t_last the previous one (0.0
initially), t_j the archived postsynaptic spikes; K₋(s) = K₋,j e^{(t_j − s)/τ₋} for the last t_j strictly
before s (the post neuron's trace), and its nearest-neighbour form e^{(t_j − s)/τ₋} (no sum over spikes).

``stdp_pl_synapse_hom`` (power-law multiplicative rule, Morrison et al. 2007; the hpc_benchmark's E→E):

    facilitate, per t_j in the window:  w ← w + λ w^μ · K₊ e^{(t_last − (t_j + d)) · τ₊⁻¹}
    depress:                            w ← max(w − λ α w K₋(t − d), 0)   (exactly 0 when not > 0)
    after transmission:                 K₊ ← K₊ e^{(t_last − t) · τ₊⁻¹} + 1

τ₊⁻¹ = 1/τ₊ is precomputed and multiplied (stdp_synapse divides by τ₊: the last bit differs).

``stdp_nn_symm_synapse`` / ``stdp_nn_restr_synapse`` / ``stdp_nn_pre_centered_synapse`` (nearest-neighbour
pairing, Morrison et al. 2008, Fig. 7): stdp_synapse's facilitate/depress on ŵ = w/W_max
(:func:`jaxsnn.core.stdp.facilitate`, :func:`~jaxsnn.core.stdp.depress`), with K₊ and K₋ replaced by

- symm: facilitation by every t_j in the window with e^{(t_last − (t_j + d))/τ₊}; depression by the
  nearest-neighbour K₋(t − d) (K₋ itself, 0, while the post neuron has no spike);
- restr: facilitation by the *first* t_j in the window only, and depression only when the window holds
  a post spike (a pre spike pairs only with a post spike not already paired);
- pre_centered: facilitation by the first t_j in the window with K₊ e^{(t_last − (t_j + d))/τ₊}, after
  which K₊ ← 0; depression by the nearest-neighbour K₋(t − d) always; then K₊ ← K₊ e^{(t_last − t)/τ₊} + 1
  *before* transmission (the state after the spike is the same either way).

``stdp_triplet_synapse`` (Pfister & Gerstner 2006), on |w| with the sign of W_max:

    facilitate, per t_j:  |w| ← min(|w| + K₊ e^{(t_last − (t_j + d))/τ₊} (A₊ + A₃₊ (K₋,₃(t_j) − 1)), |W_max|)
    depress:              K₊,₃ ← K₊,₃ e^{(t_last − t)/τ₃₊};  |w| ← max(|w| − K₋(t − d) (A₋ + A₃₋ K₊,₃), 0)
    then:                 K₊,₃ ← K₊,₃ + 1;  K₊ ← K₊ e^{(t_last − t)/τ₊} + 1

K₋,₃(t_j) is the post neuron's triplet trace archived with t_j (time constant ``tau_minus_triplet``).

``vogels_sprekeler_synapse`` (symmetric inhibitory STDP, Vogels et al. 2011), on |w| with the sign of W_max:

    facilitate, per t_j:  |w| ← min(|w| + η K₊ e^{(t_last − (t_j + d))/τ}, |W_max|)
    then:                 |w| ← min(|w| + η K₋(t − d), |W_max|);  |w| ← max(|w| − α η, 0)
    after transmission:   K₊ ← K₊ e^{(t_last − t)/τ} + 1

(K₋ uses the post neuron's ``tau_minus``, which the model expects equal to τ.)

``stdp_dopamine_synapse`` (Izhikevich 2007, Potjans et al. 2010): an eligibility trace c (pair STDP: c ← c +
A₊ K₊ e^{(t_last − (t_j + d))/τ₊} at each post spike, c ← c − A₋ K₋(t − d) at each pre spike, decaying with
τ_c) and a dopamine trace n (n ← n e^{−Δ/τ_n} + m/τ_n at each dopamine spike of multiplicity m, which the
``volume_transmitter`` collects and hands to the synapses at each pre spike and every ``deliver_interval``
min_delays). Between events the weight integrates ẇ = c n − b c analytically, clipped to [W_min, W_max]:

    w ← w − c₀ (n₀/τ_s · expm1(τ_s Δ) − b τ_c expm1(Δ/τ_c)),  τ_s = (τ_c + τ_n)/(τ_c τ_n),  Δ = t₀ − t₁ < 0

(c₀, n₀ at the start t₀ of the interval). The sequence of intervals (split at dopamine and post spikes)
is the caller's (:mod:`jaxsnn.testing.synapse_replay`), as in NEST's ``process_dopa_spikes_``.
"""
from __future__ import annotations

import jax.numpy as jnp

# ------------------------------------------------------------------------------ stdp_pl_synapse_hom


def pl_term(Kplus, minus_dt, tau_plus_inv):
    """K₊ e^{minus_dt · τ₊⁻¹}: the facilitation term of one post spike (minus_dt = t_last − (t_j + d) < 0)."""
    return Kplus * jnp.exp(minus_dt * tau_plus_inv)


def pl_facilitate(w, term, lam, mu):
    """w + λ w^μ · term (no upper bound)."""
    return w + (lam * jnp.power(w, mu) * term)


def pl_depress(w, Kminus, lam, alpha):
    """w − λ α w K₋, exactly 0 unless positive."""
    new = w - (lam * alpha * w * Kminus)
    return jnp.where(new > 0.0, new, 0.0)


def pl_trace(Kplus, t_last, t, tau_plus_inv):
    """K₊ after a presynaptic spike at t: K₊ e^{(t_last − t) τ₊⁻¹} + 1."""
    return Kplus * jnp.exp((t_last - t) * tau_plus_inv) + 1.0


# ------------------------------------------------------------------------------ nearest-neighbour STDP


def nn_term(minus_dt, tau_plus):
    """e^{minus_dt / τ₊}: stdp_nn_symm/restr's facilitation term (K₊ is 1 at the nearest pre spike)."""
    return jnp.exp(minus_dt / tau_plus)


def nn_kminus(t_j, s, tau_minus_inv):
    """Nearest-neighbour K₋ at s for the last post spike t_j strictly before s: e^{(t_j − s) τ₋⁻¹}."""
    return jnp.exp((t_j - s) * tau_minus_inv)


def trace(Kplus, t_last, t, tau):
    """K₊ e^{(t_last − t)/τ} + 1 (stdp_synapse's, triplet's K₊, vogels_sprekeler's, pre_centered's)."""
    return Kplus * jnp.exp((t_last - t) / tau) + 1.0


# ------------------------------------------------------------------------------ stdp_triplet_synapse


def apart(product, factor):
    """``product`` rounded before the addition that uses it, as NEST rounds it: a select on a mask the compiler
    cannot prove (``factor`` is not NaN) keeps XLA from fusing a multiply-add, which it does in some compiled
    programs and not in others (:func:`jaxsnn.core.rounding.separately_rounded`); NaN stays NaN."""
    return jnp.where(jnp.isnan(factor), factor, product)


def triplet_facilitate(w, kplus, ky, Aplus, Aplus_triplet, Wmax):
    """|w| + kplus (A₊ + A₃₊ ky), capped at |W_max|, with the sign of W_max."""
    new = jnp.abs(w) + apart(kplus * (Aplus + apart(Aplus_triplet * ky, ky)), kplus)
    return jnp.copysign(jnp.where(new < jnp.abs(Wmax), new, Wmax), Wmax)


def triplet_depress(w, kminus, Kplus_triplet, Aminus, Aminus_triplet, Wmax):
    """|w| − kminus (A₋ + A₃₋ K₊,₃), at least 0, with the sign of W_max."""
    new = jnp.abs(w) - apart(kminus * (Aminus + apart(Aminus_triplet * Kplus_triplet, Kplus_triplet)), kminus)
    return jnp.copysign(jnp.where(new > 0.0, new, 0.0), Wmax)


# ------------------------------------------------------------------------------ vogels_sprekeler_synapse


def vs_facilitate(w, k, eta, Wmax):
    """|w| + η k, capped at |W_max|, with the sign of W_max."""
    new = jnp.abs(w) + (eta * k)
    return jnp.copysign(jnp.where(new < jnp.abs(Wmax), new, Wmax), Wmax)


def vs_depress(w, alpha, eta, Wmax):
    """|w| − α η, at least 0, with the sign of W_max."""
    new = jnp.abs(w) - (alpha * eta)
    return jnp.copysign(jnp.where(new > 0.0, new, 0.0), Wmax)


# ------------------------------------------------------------------------------ stdp_dopamine_synapse


def dopa_weight(w, c0, n0, minus_dt, tau_c, tau_n, b, Wmin, Wmax, expm1=jnp.expm1, nz=-0.0):
    """The weight after an interval of length −minus_dt that starts with traces c₀, n₀, clipped to [Wmin, Wmax]
    (``expm1``: XLA's, or NEST's bits, :func:`jaxsnn.models.stdp_dopamine_synapse.nest_expm1`; ``nz``: −0.0 from a
    parameter, see :func:`jaxsnn.core.stdp.ms_apart`, which keeps each product rounded on its own)."""
    # (+ nz: NEST divides by the rounded τ_s; XLA would rewrite n0 / (x / y) as n0 · y / x where it sees both
    # divisions in one kernel, which depends on the surrounding program: its shapes, the devices)
    taus = (tau_c + tau_n) / (tau_c * tau_n) + nz
    a = n0 / taus * expm1(taus * minus_dt) + nz
    w = w - (c0 * (a - (b * tau_c * expm1(minus_dt / tau_c) + nz)) + nz)
    return jnp.where(w < Wmin, Wmin, jnp.where(w > Wmax, Wmax, w))


def dopa_n(n, minus_dt, multiplicity, tau_n, exp=jnp.exp, nz=-0.0):
    """n at a dopamine spike minus_dt (< 0) after the previous one: n e^{minus_dt/τ_n} + m/τ_n."""
    return (n * exp(minus_dt / tau_n) + nz) + multiplicity / tau_n
