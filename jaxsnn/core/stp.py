"""Short-term plasticity (Tsodyks–Markram): NEST 3.10's per-spike updates as pure, elementwise JAX functions.

The state lives in each synapse and changes only when a presynaptic spike is sent, from the time h (ms)
since the synapse's previous spike; NEST's order of floating-point operations is kept, so float64 results
agree to the last bits (up to XLA's exponentials).

``tsodyks2_synapse`` (Tsodyks & Markram 1997, Fuhrmann et al. 2002; state x, u; t_last starts at −1, so the
first spike sends with the initial x, u):

    if a spike was sent before:  x ← 1 + (x − x u − 1) e^{−h/τ_rec};  u ← U + u (1 − U) e^{−h/τ_fac}
                                 (e^{−h/τ_fac} is 0 for τ_fac = 0: no facilitation)
    sends the weight x u w (then nothing changes until the next spike)

``tsodyks_synapse`` / ``tsodyks_synapse_hom`` (Tsodyks, Uziel & Markram 2000; state x, y, u with
z = 1 − x − y; t_last starts at 0.0, so the first spike sees h = its own time):

    P_uu = e^{−h/τ_fac} (0 for τ_fac = 0),  P_yy = e^{−h/τ_psc},  P_zz = expm1(−h/τ_rec),
    P_xy = (P_zz τ_rec − (P_yy − 1) τ_psc) / (τ_psc − τ_rec)
    u ← u P_uu;  x ← x + (P_xy y − P_zz z);  y ← y P_yy;  u ← u + U (1 − u)
    Δ = u x;  x ← x − Δ;  y ← y + Δ;  sends the weight Δ w

(the `_hom` model keeps U, τ_psc, τ_rec, τ_fac and w as common properties: the arithmetic is the same).

``quantal_stp_synapse`` (Fuhrmann et al. 2002; n release sites, a of them available, utilisation u; t_last
starts at −1): at a spike h ms after the previous one, u ← U + u (1 − U) e^{−h/τ_fac} (0 for τ_fac < 1e-10),
each of the n − a depleted sites recovers with probability 1 − e^{−h/τ_rec}; then each available site
releases with probability u, the spike sends (releases) · w if any released (nothing otherwise), and
a ← a − releases.

``bernoulli_synapse``: each spike is sent with probability p_transmit, with its weight, or not at all.

The stochastic models draw their uniforms from (key, step, synapse id) (:func:`jaxsnn.core.rng.bits`):
statistically NEST's, and the same bits in split, resumed and sharded runs.
"""
from __future__ import annotations

import jax.numpy as jnp

from . import rng
from .events import set_where
from .stdp import _diff_ms
from .types import OUT_ROW

QUANTAL_STREAM = 0x0A5A17E0  # offsets quantal_stp_synapse's per-site streams from other synapse draws
BERNOULLI_STREAM = 0x0BE50000
NEVER = -(2**31)  # t_last of a synapse that has sent no spike yet (rules whose t_last starts "before 0")


def tsodyks2(x, u, h, U, tau_rec, tau_fac, sent_before):
    """(x, u) at a spike h ms after the previous one; unchanged where ``sent_before`` is False."""
    x_decay = jnp.exp(-h / tau_rec)
    u_decay = jnp.where(tau_fac == 0, 0.0, jnp.exp(-h / jnp.where(tau_fac == 0, 1.0, tau_fac)))
    x_new = 1. + (x - x * u - 1.) * x_decay
    u_new = U + u * (1. - U) * u_decay
    return jnp.where(sent_before, x_new, x), jnp.where(sent_before, u_new, u)


def tsodyks(x, y, u, h, U, tau_psc, tau_rec, tau_fac):
    """(x, y, u, Δ) at a spike h ms after the previous one; the spike sends Δ · w."""
    Puu = jnp.where(tau_fac == 0.0, 0.0, jnp.exp(-h / jnp.where(tau_fac == 0.0, 1.0, tau_fac)))
    Pyy = jnp.exp(-h / tau_psc)
    Pzz = jnp.expm1(-h / tau_rec)
    Pxy = (Pzz * tau_rec - (Pyy - 1.0) * tau_psc) / (tau_psc - tau_rec)
    z = 1.0 - x - y
    u = u * Puu
    x = x + (Pxy * y - Pzz * z)  # C's x += a - b
    y = y * Pyy
    u = u + U * (1.0 - u)
    delta = u * x
    return x - delta, y + delta, u, delta


def _uniform(key, step, ids, dtype):
    return rng.bits(key, step, ids).astype(dtype) * (1.0 / 4294967296.0)


def bernoulli(key, step, synapse, p_transmit, dtype=jnp.float32):
    """Whether each spike (at ``step``, on ``synapse``) is transmitted."""
    return _uniform(key, step, synapse + BERNOULLI_STREAM, dtype) < p_transmit


def quantal_stp(key, step, synapse, a, u, h, U, n, tau_rec, tau_fac, sent_before, n_max: int):
    """(a, u, releases) at a spike h ms after the previous one on ``synapse`` (arrays over events); ``n_max``:
    the largest n (static: one draw per site and purpose, 2 n_max per synapse and spike)."""
    dtype = jnp.result_type(u, float)
    p_decay = jnp.exp(-h / tau_rec)
    u_decay = jnp.where(tau_fac < 1.0e-10, 0.0, jnp.exp(-h / jnp.where(tau_fac < 1.0e-10, 1.0, tau_fac)))
    u = jnp.where(sent_before, U + u * (1. - U) * u_decay, u)
    site = jnp.arange(n_max)
    base = synapse[..., None] * (2 * n_max) + QUANTAL_STREAM
    recover = _uniform(key, step[..., None], base + site, dtype) < (1.0 - p_decay)[..., None]
    depleted = (n - a)[..., None]
    a = a + jnp.where(sent_before, jnp.sum(recover & (site < depleted), axis=-1), 0)
    release = _uniform(key, step[..., None], base + n_max + site, dtype) < u[..., None]
    releases = jnp.sum(release & (site < a[..., None]), axis=-1)
    return a - releases, u, releases


# ------------------------------------------------------------------------------ in networks
def on_presynaptic_spike(spec, table, syn_st, e, rec, ok, w, stamp, key=None):
    """A spike stamped ``stamp`` through synapses ``e`` (records ``rec``, rows of ``out_syn``; weights
    ``w``): the synapses of the short-term rule ``spec.plasticity.stp_rule`` (rows -2 - OUT_ROW of ``table``) send
    the rule's weight and take its new state; the others send ``w``. ``t_last`` is a stamp (NEVER: no
    spike sent yet); h = t − t_last in ms as NEST computes it in float64, from the exact step
    difference in float32. A stochastic rule draws from (``key``, the spike's step, the synapse's global
    id ``sid``, kept in the state so that split runs draw alike). Returns (synapse state, weights, sent)."""
    rule = spec.plasticity.stp_rule
    mine = rec[:, OUT_ROW] <= -2
    row = jnp.maximum(-2 - rec[:, OUT_ROW], 0)
    p = table[0] if spec.plasticity.stp_single_row else table[row]
    p = {name: p[..., i] for i, name in enumerate(rule.columns)}
    s = {name: v[e] for name, v in syn_st.stp.items()}
    stamp = jnp.broadcast_to(stamp, e.shape)
    last = s.pop("t_last")
    h = _diff_ms(spec, stamp, last, w.dtype)
    if rule.stochastic:
        new, sent, transmitted = rule.on_pre(p, s, h, last != NEVER, w, (key, stamp - 1, s.pop("sid")))
        transmitted = jnp.where(mine, transmitted, True)
    else:
        (new, sent), transmitted = rule.on_pre(p, s, h, last != NEVER, w), jnp.ones(e.shape, bool)
    new["t_last"] = stamp
    write = ok & mine
    state = {name: set_where(v, e, new[name], write) if name in new else v for name, v in syn_st.stp.items()}
    return syn_st.replace(stp=state), jnp.where(mine, sent, w), transmitted
