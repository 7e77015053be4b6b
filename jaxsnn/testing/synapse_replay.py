"""Replay of a ``kind: "synapse"`` NEST case (``tests/reference/README.md``) through the pure rules of
:mod:`jaxsnn.core.stdp_family`, :mod:`jaxsnn.core.stdp` and :mod:`jaxsnn.core.stp`, event by event.

One connection, its presynaptic spikes (the pre parrot's) and its target's spikes (the post parrot's, or the
receiving neuron's as NEST recorded them) are known, so NEST's ``send()`` can be followed spike by spike:
the postsynaptic archive (``ArchivingNode``: K₋ and the triplet trace K₋,₃ at each post spike, time
constants from the case's ``post_params``) is kept here in Python floats, the synapse arithmetic is the
rules' (JAX, float64). Returns what the case's ``expected`` holds: the transmitted weights in
weight_recorder order and the final synapse state under GetConnections' names.

Needs ``jax_enable_x64``. Times are NEST's: t = 0.001 · (steps · tics_per_step) ms, the delay d = steps · h.
"""
from __future__ import annotations

import math

import jax.numpy as jnp

from ..core import stdp, stdp_family, stp

STDP_EPS = 1e-6  # ms, NEST's connection_manager stdp_eps
POST_DEFAULTS = {"tau_minus": 20.0, "tau_minus_triplet": 110.0}


def _f(x):
    return jnp.asarray(x, jnp.float64)


class PostArchive:
    """NEST's ArchivingNode for one neuron: (t_j, K₋,j, K₋,₃,j) per post spike."""

    def __init__(self, tau_minus, tau_minus_triplet):
        self.inv, self.inv3 = 1.0 / tau_minus, 1.0 / tau_minus_triplet
        self.Kminus = self.Kminus3 = 0.0
        self.last = -1.0
        self.history = []

    def spike(self, t):
        self.Kminus = self.Kminus * math.exp((self.last - t) * self.inv) + 1.0
        self.Kminus3 = self.Kminus3 * math.exp((self.last - t) * self.inv3) + 1.0
        self.last = t
        self.history.append((t, self.Kminus, self.Kminus3))

    def window(self, t1, t2):
        """Entries with t1 + eps <= t_j < t2 + eps, in time order (get_history(t1, t2))."""
        return [h for h in self.history if t1 + STDP_EPS <= h[0] < t2 + STDP_EPS]

    def last_before(self, t):
        """The last entry strictly (by more than eps) before t, or None."""
        for h in reversed(self.history):
            if t - h[0] > STDP_EPS:
                return h
        return None

    def K(self, t):
        h = self.last_before(t)
        return 0.0 if h is None else h[1] * math.exp((h[0] - t) * self.inv)


def _ms(steps, tics_per_step):
    return 0.001 * (steps * tics_per_step)


def replay(case):
    """(weights transmitted at each presynaptic spike, final state dict) of ``case`` under the rules."""
    if case["synapse"] == "stdp_dopamine_synapse":
        return replay_dopamine(case)
    h = case["resolution"]
    tics = round(h * 1000)
    d_steps = round(case["delay"] / h)
    d = d_steps * h
    post_p = {**POST_DEFAULTS, **case.get("post_params", {})}
    post_times = case["post_spike_times"] if case.get("post_spike_times") is not None \
        else case["expected"]["post_spike_times"]
    pre = [_ms(round(t / h), tics) for t in case["pre_spike_times"]]
    post = [_ms(round(t / h), tics) for t in post_times]
    archive = PostArchive(post_p["tau_minus"], post_p["tau_minus_triplet"])
    rule = RULES[case["synapse"]]
    p = {**DEFAULTS[case["synapse"]], **case.get("common_params", {}), **case.get("syn_params", {})}
    if "weight" not in case.get("common_params", {}):
        p["weight"] = case["weight"]
    state = rule.init(p)
    sent = []
    j = 0
    for t in pre:
        while j < len(post) and post[j] < t:  # archived before delivery (post spikes at t do not matter)
            archive.spike(post[j])
            j += 1
        state, w = rule.send(state, p, t, d, archive)
        sent.append(float(w))
    return sent, {k: float(v) for k, v in rule.report(state, p).items()}


class _Rule:
    def __init__(self, init, send, report):
        self.init, self.send, self.report = init, send, report


def _stdp_params(p):
    """stdp_synapse's parameter row (TAU_PLUS, LAMBDA, ALPHA, MU_PLUS, MU_MINUS, WMAX)."""
    return _f([p["tau_plus"], p["lambda"], p["alpha"], p["mu_plus"], p["mu_minus"], p["Wmax"]])


# ------------------------------------------------------------------------------ the rules' event loops
def _pl_send(s, p, t, d, post):
    inv = 1.0 / p["tau_plus"]
    w = s["weight"]
    for t_j, _, _ in post.window(s["t_last"] - d, t - d):
        w = stdp_family.pl_facilitate(w, stdp_family.pl_term(s["Kplus"], s["t_last"] - (t_j + d), inv),
                                      p["lambda"], p["mu"])
    w = stdp_family.pl_depress(w, post.K(t - d), p["lambda"], p["alpha"])
    Kplus = stdp_family.pl_trace(s["Kplus"], s["t_last"], t, inv)
    return dict(weight=w, Kplus=Kplus, t_last=t), w


def _nn_send(kind):
    def send(s, p, t, d, post):
        row = _stdp_params(p)
        w = s["weight"]
        window = post.window(s["t_last"] - d, t - d)
        for t_j, _, _ in (window if kind == "symm" else window[:1]):
            minus_dt = s["t_last"] - (t_j + d)
            if kind == "pre_centered":
                w = stdp.facilitate(w, s["Kplus"] * jnp.exp(minus_dt / p["tau_plus"]), row)
                s = dict(s, Kplus=_f(0.0))
            else:
                w = stdp.facilitate(w, stdp_family.nn_term(minus_dt, p["tau_plus"]), row)
        if kind != "restr" or window:
            last = post.last_before(t - d)
            if last is None:  # NEST: the neuron's K₋ itself before its first spike, 0 after
                k = post.Kminus if not post.history else 0.0
            else:
                k = stdp_family.nn_kminus(last[0], t - d, post.inv)
            w = stdp.depress(w, k, row)
        if kind == "pre_centered":
            s = dict(s, Kplus=stdp_family.trace(s["Kplus"], s["t_last"], t, p["tau_plus"]))
        return dict(s, weight=w, t_last=t), w
    return send


def _triplet_send(s, p, t, d, post):
    w = s["weight"]
    for t_j, _, K3 in post.window(s["t_last"] - d, t - d):
        kplus = s["Kplus"] * jnp.exp((s["t_last"] - (t_j + d)) / p["tau_plus"])
        w = stdp_family.triplet_facilitate(w, kplus, K3 - 1.0, p["Aplus"], p["Aplus_triplet"], p["Wmax"])
    K3p = s["Kplus_triplet"] * jnp.exp((s["t_last"] - t) / p["tau_plus_triplet"])
    w = stdp_family.triplet_depress(w, post.K(t - d), K3p, p["Aminus"], p["Aminus_triplet"], p["Wmax"])
    Kplus = stdp_family.trace(s["Kplus"], s["t_last"], t, p["tau_plus"])
    return dict(weight=w, Kplus=Kplus, Kplus_triplet=K3p + 1.0, t_last=t), w


def _vs_send(s, p, t, d, post):
    w = s["weight"]
    for t_j, _, _ in post.window(s["t_last"] - d, t - d):
        k = s["Kplus"] * jnp.exp((s["t_last"] - (t_j + d)) / p["tau"])
        w = stdp_family.vs_facilitate(w, k, p["eta"], p["Wmax"])
    w = stdp_family.vs_facilitate(w, post.K(t - d), p["eta"], p["Wmax"])
    w = stdp_family.vs_depress(w, p["alpha"], p["eta"], p["Wmax"])
    Kplus = stdp_family.trace(s["Kplus"], s["t_last"], t, p["tau"])
    return dict(weight=w, Kplus=Kplus, t_last=t), w


def _tsodyks2_send(s, p, t, d, post):
    x, u = stp.tsodyks2(s["x"], s["u"], t - s["t_last"], p["U"], p["tau_rec"], p["tau_fac"], s["t_last"] >= 0.0)
    return dict(s, x=x, u=u, t_last=t), x * u * p["weight"]


def _tsodyks_send(s, p, t, d, post):
    x, y, u, delta = stp.tsodyks(s["x"], s["y"], s["u"], t - s["t_last"], p["U"], p["tau_psc"], p["tau_rec"],
                                 p["tau_fac"])
    return dict(s, x=x, y=y, u=u, t_last=t), delta * p["weight"]


def _static_send(s, p, t, d, post):
    return s, _f(p["weight"])


_STDP_KEYS = ("tau_plus", "lambda", "alpha", "mu_plus", "mu_minus", "Wmax")


def _keys(*names):
    return lambda s, p: {**{k: p[k] for k in names}, **{k: v for k, v in s.items() if k != "t_last"}}


RULES = {
    "stdp_pl_synapse_hom": _Rule(lambda p: dict(weight=_f(p["weight"]), Kplus=_f(p.get("Kplus", 0.0)), t_last=0.0),
                                 _pl_send, _keys()),
    "stdp_nn_symm_synapse": _Rule(lambda p: dict(weight=_f(p["weight"]), t_last=0.0), _nn_send("symm"),
                                  _keys(*_STDP_KEYS)),
    "stdp_nn_restr_synapse": _Rule(lambda p: dict(weight=_f(p["weight"]), t_last=0.0), _nn_send("restr"),
                                   _keys(*_STDP_KEYS)),
    "stdp_nn_pre_centered_synapse": _Rule(lambda p: dict(weight=_f(p["weight"]), Kplus=_f(p.get("Kplus", 0.0)),
                                                         t_last=0.0), _nn_send("pre_centered"), _keys(*_STDP_KEYS)),
    "stdp_triplet_synapse": _Rule(lambda p: dict(weight=_f(p["weight"]), Kplus=_f(p["Kplus"]),
                                                 Kplus_triplet=_f(p["Kplus_triplet"]), t_last=0.0),
                                  _triplet_send, _keys("tau_plus", "tau_plus_triplet", "Aplus", "Aminus",
                                                       "Aplus_triplet", "Aminus_triplet", "Wmax")),
    "vogels_sprekeler_synapse": _Rule(lambda p: dict(weight=_f(p["weight"]), Kplus=_f(p["Kplus"]), t_last=0.0),
                                      _vs_send, _keys("tau", "alpha", "eta", "Wmax")),
    "tsodyks2_synapse": _Rule(lambda p: dict(x=_f(p["x"]), u=_f(p["u"]), t_last=-1.0), _tsodyks2_send,
                              lambda s, p: dict(U=p["U"], tau_rec=p["tau_rec"], tau_fac=p["tau_fac"],
                                                weight=p["weight"], x=s["x"], u=s["u"])),
    "tsodyks_synapse": _Rule(lambda p: dict(x=_f(p["x"]), y=_f(p["y"]), u=_f(p["u"]), t_last=0.0), _tsodyks_send,
                             _keys("U", "tau_psc", "tau_rec", "tau_fac", "weight")),
    "tsodyks_synapse_hom": _Rule(lambda p: dict(x=_f(p["x"]), y=_f(p["y"]), u=_f(p["u"]), t_last=0.0),
                                 _tsodyks_send, _keys()),
    "static_synapse_hom_w": _Rule(lambda p: {}, _static_send, _keys()),
}

DEFAULTS = {  # NEST 3.10's GetDefaults of each model (rule parameters and initial state)
    "stdp_pl_synapse_hom": dict(tau_plus=20.0, **{"lambda": 0.1}, alpha=1.0, mu=0.4, Kplus=0.0),
    **{m: dict(tau_plus=20.0, **{"lambda": 0.01}, alpha=1.0, mu_plus=1.0, mu_minus=1.0, Wmax=100.0, Kplus=0.0)
       for m in ("stdp_nn_symm_synapse", "stdp_nn_restr_synapse", "stdp_nn_pre_centered_synapse")},
    "stdp_triplet_synapse": dict(tau_plus=16.8, tau_plus_triplet=101.0, Aplus=5e-10, Aminus=7e-3,
                                 Aplus_triplet=6.2e-3, Aminus_triplet=2.3e-4, Kplus=0.0, Kplus_triplet=0.0,
                                 Wmax=100.0),
    "vogels_sprekeler_synapse": dict(tau=20.0, alpha=0.12, eta=0.001, Wmax=1.0, Kplus=0.0),
    "tsodyks2_synapse": dict(U=0.5, u=0.5, x=1.0, tau_rec=800.0, tau_fac=0.0),
    "tsodyks_synapse": dict(U=0.5, tau_psc=3.0, tau_rec=800.0, tau_fac=0.0, x=1.0, y=0.0, u=0.0),
    "tsodyks_synapse_hom": dict(U=0.5, tau_psc=3.0, tau_rec=800.0, tau_fac=0.0, x=1.0, y=0.0, u=0.0),
    "static_synapse_hom_w": dict(weight=1.0),
}


# ------------------------------------------------------------------------------ stdp_dopamine_synapse
DOPAMINE_DEFAULTS = dict(A_plus=1.0, A_minus=1.5, tau_plus=20.0, tau_c=1000.0, tau_n=200.0, b=0.0, Wmin=0.0,
                         Wmax=200.0, Kplus=0.0, c=0.0, n=0.0)


class _Dopamine:
    """One stdp_dopamine_synapse with NEST's state (w, K₊, c, n, t_last_update, the index of the last dopamine
    spike processed in the transmitter's current list)."""

    def __init__(self, p, weight, d, post):
        self.p, self.d, self.post = p, d, post
        self.w, self.Kplus, self.c, self.n = _f(weight), p["Kplus"], p["c"], p["n"]
        self.t_last, self.idx = 0.0, 0

    def _weight(self, c0, n0, minus_dt):
        p = self.p
        self.w = stdp_family.dopa_weight(self.w, c0, n0, minus_dt, p["tau_c"], p["tau_n"], p["b"], p["Wmin"],
                                         p["Wmax"])

    def _next_dopa(self, spikes):
        self.n = stdp_family.dopa_n(self.n, spikes[self.idx][0] - spikes[self.idx + 1][0],
                                    spikes[self.idx + 1][1], self.p["tau_n"])
        self.idx += 1

    def process(self, spikes, t0, t1):
        """NEST's process_dopa_spikes_: the weight from t0 to t1 across the dopamine spikes in between."""
        p = self.p
        due = lambda: len(spikes) > self.idx + 1 and t1 - spikes[self.idx + 1][0] > -STDP_EPS
        if due():
            n0 = self.n * jnp.exp((spikes[self.idx][0] - t0) / p["tau_n"])
            self._weight(self.c, n0, t0 - spikes[self.idx + 1][0])
            self._next_dopa(spikes)
            while due():
                cd = self.c * jnp.exp((t0 - spikes[self.idx][0]) / p["tau_c"])
                self._weight(cd, self.n, spikes[self.idx][0] - spikes[self.idx + 1][0])
                self._next_dopa(spikes)
            cd = self.c * jnp.exp((t0 - spikes[self.idx][0]) / p["tau_c"])
            self._weight(cd, self.n, spikes[self.idx][0] - t1)
        else:
            n0 = self.n * jnp.exp((spikes[self.idx][0] - t0) / p["tau_n"])
            self._weight(self.c, n0, t0 - t1)
        self.c = self.c * jnp.exp((t0 - t1) / p["tau_c"])

    def _post_spikes(self, spikes, t_end, check_before=None):
        t0 = self.t_last
        for t_j, _, _ in self.post.window(self.t_last - self.d, t_end - self.d):
            self.process(spikes, t0, t_j + self.d)
            t0 = t_j + self.d
            if check_before is None or check_before - t_j > STDP_EPS:
                self.c = self.c + self.p["A_plus"] * (self.Kplus * jnp.exp((self.t_last - t0) / self.p["tau_plus"]))
        return t0

    def send(self, spikes, t):
        t0 = self._post_spikes(spikes, t, check_before=t)
        self.process(spikes, t0, t)
        self.c = self.c - self.p["A_minus"] * self.post.K(t - self.d)
        w = self.w
        self.Kplus = self.Kplus * jnp.exp((self.t_last - t) / self.p["tau_plus"]) + 1.0
        self.t_last = t
        return w

    def trigger(self, spikes, t_trig):
        t0 = self._post_spikes(spikes, t_trig)
        self.process(spikes, t0, t_trig)
        self.n = self.n * jnp.exp((spikes[self.idx][0] - t_trig) / self.p["tau_n"])
        self.Kplus = self.Kplus * jnp.exp((self.t_last - t_trig) / self.p["tau_plus"])
        self.t_last = t_trig
        self.idx = 0


def replay_dopamine(case):
    """NEST's slice loop for one stdp_dopamine_synapse: at each slice start the pre spikes of the previous
    slice are sent, then the volume_transmitter collects the dopamine spikes arriving in the slice (at parrot
    time + 1 ms, the parrot→transmitter delay) and, every ``deliver_interval`` slices, updates the synapse to
    the slice's end and starts a new list with a pseudo spike there. The slice is min_delay (1 ms here:
    every connection of the case has delay ≥ 1 ms and the generators 1 ms)."""
    h = case["resolution"]
    tics = round(h * 1000)
    L = round(min(1.0, case["delay"]) / h)
    interval = case.get("vt_params", {}).get("deliver_interval", 1)
    p = {**DOPAMINE_DEFAULTS, **case.get("common_params", {})}
    post_p = {**POST_DEFAULTS, **case.get("post_params", {})}
    archive = PostArchive(post_p["tau_minus"], post_p["tau_minus_triplet"])
    syn = _Dopamine(p, case["weight"], round(case["delay"] / h) * h, archive)
    step = lambda t: round(t / h)
    pre = [step(t) for t in case["pre_spike_times"]]  # stamps (steps)
    post = [step(t) for t in case["post_spike_times"]]
    ms1 = round(1.0 / h)  # the 1 ms delays generator→parrot and parrot→transmitter
    dopa = sorted(step(t) + 2 * ms1 for t in case["dopa_input_times"])
    spikes, sent, n_slices = [(0.0, 0.0)], [], round(case["t_sim"] / h) // L
    for j in range(n_slices):
        start, end = j * L, (j + 1) * L
        for m in [m for m in post if m <= start]:
            archive.spike(_ms(m, tics))
        post = [m for m in post if m > start]
        for m in [m for m in pre if (m - 1) // L == j - 1]:  # emitted in the previous slice
            sent.append(float(syn.send(spikes, _ms(m, tics))))
        for m in [m for m in dopa if start < m <= end]:  # read in this slice
            if spikes[-1][0] == _ms(m, tics):
                spikes[-1] = (spikes[-1][0], spikes[-1][1] + 1.0)
            else:
                spikes.append((_ms(m, tics), 1.0))
        if end % (interval * L) == 0:
            for m in [m for m in post if m <= end]:
                archive.spike(_ms(m, tics))
            post = [m for m in post if m > end]
            syn.trigger(spikes, _ms(end, tics))
            spikes = [(_ms(end, tics), 0.0)]
    final = dict(weight=syn.w, Kplus=syn.Kplus, c=syn.c, n=syn.n)
    return sent, {k: float(v) for k, v in final.items()}
