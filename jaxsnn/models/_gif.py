"""The generalized integrate-and-fire neurons with stochastic spiking (Mensi et al. 2012, Pozzorini et al.
2015) as NEST 3.10 updates them: gif_psc_exp (kind ``"psc_exp"``, exact integration) and gif_cond_exp
(kind ``"cond_exp"``, GSL's rkf45 as NEST drives it) share this module.

    C_m dV/dt = −g_L (V − E_L) + I_syn + I_e + I_stim − I_stc
    I_syn = I_syn_ex + I_syn_in (psc_exp: currents, tau_syn dI/dt = −I; an inhibitory weight is added
            negative to I_syn_in)   or   −g_ex (V − E_ex) − g_in (V − E_in) (cond_exp: tau_syn dg/dt = −g;
            an inhibitory weight w < 0 makes g_in jump by −w)
    I_stc = Σ_j stc_j,   E_sfa = V_T_star + Σ_j sfa_j   (each element decays with its tau_stc_j / tau_sfa_j
            and jumps by q_stc_j / q_sfa_j at a spike)
    escape rate λ = lambda_0 · exp((V − E_sfa) / Delta_V);  a spike in a step of length h with
            probability p = −expm1(−λ h)

One step (NEST's order): I_stc ← Σ stc_j (accumulated from 0 in order), then each stc_j decays;
E_sfa ← V_T_star + Σ sfa_j (accumulated in order), then each sfa_j decays. psc_exp: the currents decay
and take this step's spikes, then, if not refractory, V ← P30·((I_stim + I_e) − I_stc) + P33·V + P31·E_L
+ I_syn_ex·P21ex + I_syn_in·P21in. cond_exp: V and the conductances are integrated over the step
(error control ``y_new(gsl_error_tol, 0)``, the carried integration step; in the right-hand side V is
V_reset and dV/dt = 0 while refractory, I_stc is this step's), then the conductances take this
step's spikes. Then, if not refractory, λ is evaluated and a uniform draw u < p is a spike (stc_j +=
q_stc_j, sfa_j += q_sfa_j, t_ref steps of refractoriness begin; V is *not* reset in the spike's
step); if refractory, the counter counts down and V ← V_reset. The generator current of this step
acts from the next step on. The recordables E_sfa and I_stc are the sums taken at the start of the step.

Randomness: NEST draws u from its own generator (``rng->drand()``, a 64-bit Mersenne twister per
virtual process); its stream cannot be reproduced, so spike trains are NEST's only statistically.
Here u comes from the ``u`` argument of :func:`update` (one uniform per neuron and step, e.g. replayed)
or, without it, from the counter-based generator of :mod:`jaxsnn.core.rng` keyed by the neuron's
``rng_stream`` and its step counter ``rng_step`` (both state, so split and resumed runs draw the same
numbers). Everything given the draws is NEST's bit for bit: the propagators (the C library's exp, NEST's
own expm1), λ (the C library's exp) and p (NEST's expm1 series) included.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ..core import libm as _libm
from ..core import rng
from ._propagators import host_p32, nest_expm1
from ._rkf45 import evolve, product, quotient, y_control
from .iaf_psc_delta import refractory_steps

LN2 = math.log(2.0)
EPS = 2.220446049250313e-16

COMMON = {  # name: (default, unit, doc), NEST's order (get)
    "I_e": (0.0, "pA", "constant input current"),
    "E_L": (-70.0, "mV", "leak reversal potential"),
    "g_L": (4.0, "nS", "leak conductance"),
    "C_m": (80.0, "pF", "membrane capacitance"),
    "V_reset": (-55.0, "mV", "reset potential"),
    "Delta_V": (0.5, "mV", "stochasticity level of the escape rate"),
    "V_T_star": (-35.0, "mV", "base threshold"),
    "lambda_0": (1.0, "1/s", "escape rate at the threshold"),
    "t_ref": (4.0, "ms", "refractory period"),
    "tau_syn_ex": (2.0, "ms", "excitatory synaptic time constant"),
    "tau_syn_in": (2.0, "ms", "inhibitory synaptic time constant"),
}
COND = {"E_ex": (0.0, "mV", "excitatory reversal potential"), "E_in": (-85.0, "mV", "inhibitory reversal potential"),
        "gsl_error_tol": (1e-3, "", "error tolerance of the integrator")}
LISTS = {
    "tau_sfa": ((), "ms", "time constants of the threshold adaptation elements"),
    "q_sfa": ((), "mV", "jumps of the threshold adaptation elements at a spike"),
    "tau_stc": ((), "ms", "time constants of the spike-triggered current elements"),
    "q_stc": ((), "nA", "jumps of the spike-triggered current elements (NEST adds them to I_stc as pA)"),
}
# one value per element, [neurons, elements]: the variable holding each neuron's number of elements, and
# the padding of a shorter list (an element with q = 0 stays 0 and adds nothing: the sums keep NEST's bits)
LIST_PARAMETERS = {"tau_sfa": ("n_sfa", 1.0), "q_sfa": ("n_sfa", 0.0), "tau_stc": ("n_stc", 1.0),
                   "q_stc": ("n_stc", 0.0)}
LIST_STATE = {"sfa_elems": "n_sfa", "stc_elems": "n_stc"}  # the elements' values
SYN = {"psc_exp": ("I_syn_ex", "I_syn_in"), "cond_exp": ("g_ex", "g_in")}


def parameters(kind: str) -> dict:
    return dict(COMMON, **(COND if kind == "cond_exp" else {}), **LISTS)


def state(kind: str) -> tuple:
    """V_m, the synaptic rows, the adaptation elements ([neurons, elements]), the recorded sums and the
    draws' stream and counter."""
    return ("V_m",) + SYN[kind] + ("sfa_elems", "stc_elems", "E_sfa", "I_stc", "rng_stream", "rng_step")


def check(p: dict) -> None:
    """NEST's BadProperty rules, in NEST's order (messages as NEST's)."""
    for tau, q in (("tau_sfa", "q_sfa"), ("tau_stc", "q_stc")):
        a, b = np.shape(p[tau])[-1], np.shape(p[q])[-1]
        if a != b:
            raise ValueError(f"'{tau}' and '{q}' need to have the same dimensions.\nSize of {tau}: {a}\n"
                             f"Size of {q}: {b}")
    if (p["g_L"] <= 0).any():
        raise ValueError("Membrane conductance must be strictly positive.")
    if (p["Delta_V"] <= 0).any():
        raise ValueError("Delta_V must be strictly positive.")
    if (p["C_m"] <= 0).any():
        raise ValueError("Capacitance must be strictly positive.")
    if (p["t_ref"] < 0).any():
        raise ValueError("Refractory time must not be negative.")
    if (p["lambda_0"] < 0).any():
        raise ValueError("lambda_0 must not be negative.")
    if (np.asarray(p["tau_sfa"]) <= 0).any() or (np.asarray(p["tau_stc"]) <= 0).any():
        raise ValueError("All time constants must be strictly positive.")
    if ((p["tau_syn_ex"] <= 0) | (p["tau_syn_in"] <= 0)).any():
        raise ValueError("Synapse time constants must be strictly positive.")


def _psc(tau_ex, tau_in, g_L, C_m, h):
    tau_m = C_m / g_L
    return (math.exp(-h / tau_ex), math.exp(-h / tau_in), host_p32(tau_ex, tau_m, C_m, h),
            host_p32(tau_in, tau_m, C_m, h), math.exp(-h / tau_m), -1 / C_m * nest_expm1(-h / tau_m) * tau_m,
            -nest_expm1(-h / tau_m))


def host_constants(kind: str, p: dict, tics_per_step: int) -> dict:
    """NEST's pre_run_hook (and lambda_0 in 1/ms, as NEST's set_status stores it)."""
    h = tics_per_step / 1000.0
    f = lambda k: np.asarray(p[k], float)  # noqa: E731
    decay = np.vectorize(lambda t: math.exp(-h / t), otypes=[float])
    out = dict(P_sfa=decay(f("tau_sfa")), P_stc=decay(f("tau_stc")), lambda0=f("lambda_0") / 1000.0,
               refractory_counts=refractory_steps(p["t_ref"], tics_per_step))
    if kind == "psc_exp":
        cols = np.vectorize(lambda *a: _psc(*a, h), otypes=[float] * 7)(
            f("tau_syn_ex"), f("tau_syn_in"), f("g_L"), f("C_m"))
        out.update(zip(("P11ex", "P11in", "P21ex", "P21in", "P33", "P30", "P31"), cols))
    return out


def to_state(kind: str, host: dict) -> dict:
    """The state from the parameters: V_m, the adaptation elements zero (sized by tau_sfa / tau_stc), the
    draws' stream the neuron's node id (its position among the model's neurons without one)."""
    n = len(host["V_m"])
    f = lambda k: np.asarray(host[k], float)  # noqa: E731
    stream = np.asarray(host.get("node_id", np.arange(n)), np.int32)
    s = dict(V_m=f("V_m"), E_sfa=f("V_T_star"), I_stc=np.zeros(n), rng_stream=stream,
             rng_step=np.zeros(n, np.int32))
    for k in SYN[kind]:
        s[k] = f(k) if k in host else np.zeros(n)
    for k, tau in (("sfa_elems", "tau_sfa"), ("stc_elems", "tau_stc")):
        s[k] = np.zeros((n, np.shape(host[tau])[-1]))
    return s


def expm1(x, nz):
    """NEST's ``numerics::expm1`` (its 3.10 wheel is built without ``HAVE_EXPM1``): exp(x) − 1 for
    |x| > ln 2, else the Taylor series summed until a term is below the sum's last bit."""
    big = jnp.abs(x) > LN2
    xs = jnp.where(big, 0.0, x)

    def cond(c):
        return jnp.any(c[3])

    def body(c):
        total, term, n, go = c
        total = jnp.where(go, total + term, total)
        n = jnp.where(go, n + 1.0, n)
        term = jnp.where(go, product(term, quotient(xs, n, nz), nz), term)
        return total, term, n, go & (jnp.abs(term) > product(jnp.abs(total), EPS, nz))

    term0 = quotient(product(xs, xs, nz), 2.0, nz)
    init = (xs, term0, jnp.full_like(xs, 2.0), (jnp.abs(term0) > product(jnp.abs(xs), EPS, nz)) & ~big)
    total = jax.lax.while_loop(cond, body, init)[0]
    return jnp.where(big, _libm.exp(x) - 1.0, jnp.where(x == 0.0, 0.0, total))


STREAM = np.array([0x67696631, 0x67696632], np.uint32)  # kept apart from the other streams of a simulation


def uniform(s, key=None) -> jax.Array:
    """One uniform in [0, 1) with 53 random bits per neuron, from (the simulation's key words ``key``,
    rng_step, rng_stream); without a key, from seed 0."""
    words = rng.key_words(0) if key is None else key ^ jnp.asarray(STREAM)
    ids = s["rng_stream"].astype(jnp.uint32) * jnp.uint32(2)
    f = jnp.result_type(float)  # 53 bits with x64; rounded to float32's 24 without
    hi = (rng.bits(words, s["rng_step"], ids) >> jnp.uint32(5)).astype(f)  # 27 bits
    lo = (rng.bits(words, s["rng_step"], ids + jnp.uint32(1)) >> jnp.uint32(6)).astype(f)  # 26 bits
    return jnp.minimum((hi * 67108864.0 + lo) * (1.0 / 9007199254740992.0), 1.0 - jnp.finfo(f).epsneg)


def _sums(base, elems, decay, nz):
    """NEST's loop: the sum accumulated element by element from ``base``, each element decayed after."""
    total = base
    for i in range(elems.shape[-1]):
        total = total + elems[..., i]
    return total, product(decay, elems, nz[..., None])


def rhs_cond(y, a, nz):
    """gif_cond_exp_dynamics for y = [V_m, g_ex, g_in]."""
    refractory = a["r"] > 0
    V = jnp.where(refractory, a["V_reset"], y[0])
    I_ex = product(y[1], V - a["E_ex"], nz)
    I_in = product(y[2], V - a["E_in"], nz)
    I_L = product(a["g_L"], V - a["E_L"], nz)
    dV = quotient(((((-I_L + a["I_stim"]) + a["I_e"]) - I_ex) - I_in) - a["stc"], a["C_m"], nz)
    return jnp.stack([jnp.where(refractory, 0.0, dV), quotient(-y[1], a["tau_syn_ex"], nz),
                      quotient(-y[2], a["tau_syn_in"], nz)])


def update(kind: str, p: dict, k: dict, s: dict, ex, inh, I_stim, *, h: float, slab=None, u=None, key=None):
    """One step. ``ex`` / ``inh``: this step's summed spike weights of each sign (inh ≤ 0); ``u``: this
    step's uniform draws [neurons] (None: from the neuron's stream and the key words ``key``).
    Returns (state, spiked)."""
    V = s["V_m"]
    nz = jnp.where(jnp.isnan(V), V, -0.0)
    pr = lambda a, b: product(a, b, nz)  # noqa: E731
    stc, stc_elems = _sums(jnp.zeros_like(V), s["stc_elems"], k["P_stc"], nz)
    sfa, sfa_elems = _sums(p["V_T_star"] + jnp.zeros_like(V), s["sfa_elems"], k["P_sfa"], nz)
    r = s["r"]
    free = r == 0
    out = {}
    if kind == "psc_exp":
        i_ex = pr(s["I_syn_ex"], k["P11ex"]) + ex
        i_in = pr(s["I_syn_in"], k["P11in"]) + inh
        Vn = ((((pr(k["P30"], ((s["I_stim"] + p["I_e"]) - stc)) + pr(k["P33"], V)) + pr(k["P31"], p["E_L"]))
               + pr(i_ex, k["P21ex"])) + pr(i_in, k["P21in"]))
        V = jnp.where(free, Vn, V)
        out.update(I_syn_ex=i_ex, I_syn_in=i_in, h_int=s["h_int"])
    else:
        aux = {key: p[key] for key in ("V_reset", "E_ex", "E_in", "g_L", "E_L", "I_e", "C_m", "tau_syn_ex",
                                       "tau_syn_in")}
        aux.update(r=r, I_stim=s["I_stim"], stc=stc)
        y, h_int, _ = evolve(rhs_cond, jnp.stack([V, s["g_ex"], s["g_in"]]), s["h_int"], aux, step=h,
                             control=y_control(p["gsl_error_tol"], 0.0), slab=slab)
        V = y[0]
        out.update(g_ex=y[1] + ex, g_in=y[2] - inh, h_int=h_int)
    lam = pr(k["lambda0"], _libm.exp(quotient(V - sfa, p["Delta_V"], nz)))
    prob = -expm1(pr(-lam, h + jnp.zeros_like(V)), nz)
    if u is None:
        u = uniform(s, key)
    spiked = free & (lam > 0.0) & (u < prob)
    f = spiked[..., None]
    stc_elems = jnp.where(f, stc_elems + p["q_stc"], stc_elems)
    sfa_elems = jnp.where(f, sfa_elems + p["q_sfa"], sfa_elems)
    V = jnp.where(free, V, p["V_reset"])
    r = jnp.where(spiked, k["refractory_counts"], jnp.where(free, r, r - 1))
    out.update(V_m=V, sfa_elems=sfa_elems, stc_elems=stc_elems, E_sfa=sfa, I_stc=stc, r=r,
               rng_stream=s["rng_stream"], rng_step=s["rng_step"] + 1, I_stim=I_stim + jnp.zeros_like(V))
    return out, spiked


def record(kind: str, p: dict, s: dict) -> dict:
    return {k: s[k] for k in ("V_m", "E_sfa", "I_stc") + SYN[kind]}
