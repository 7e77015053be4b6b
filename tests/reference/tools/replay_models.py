"""A plain-Python re-implementation of the "model" cases (iaf_psc_delta/exp/alpha, parrot_neuron,
dc_generator, step_current_generator), the "stdp_multiplicity" case and the small exact "noise_stats"
cases (NEST's RNG included) that follows docs/nest_semantics.md §10-§15 and Appendix A literally.

    python replay_models.py FILE_OR_DIR...

No NEST needed (only the Python standard library and numpy for the case files' floats). For every
"model" case it prints whether spikes and every recorded value are bit-identical to NEST's. It exists to
show that the semantics notes are complete; it is not part of jaxsnn and no test imports it.
math.exp is the C library's exp, as NEST's std::exp. NEST's numerics::expm1 is NOT the C library's
expm1 in the PyPI wheel (built without HAVE_EXPM1): it is the Taylor series below, which differs from
expm1 in the last bit for many arguments (nest_semantics.md §10).
"""
import json
import math
import os
import sys

TICS_PER_MS = 1000


def tics(t_ms):
    """NEST's Time::ms: round half up to tics."""
    return math.floor(t_ms * TICS_PER_MS + 0.5)


def steps_of(t_ms, tps):
    """Time(Time::ms(t)).get_steps(): tics rounded up to whole steps."""
    return -(-tics(t_ms) // tps)


def ms_stamp_steps(t_ms, tps):
    """Time::ms_stamp(t): the first grid point >= t (allow_offgrid_times)."""
    n = int(t_ms * TICS_PER_MS)
    n -= n % tps
    if n / tps * (tps / TICS_PER_MS) < t_ms:  # NEST: n * TICS_PER_STEP_INV * MS_PER_STEP < t
        n += tps
    return n // tps


def nest_expm1(x):
    """libnestutil/numerics.h expm1 without HAVE_EXPM1 (what the nest-simulator 3.10.0 wheel runs)."""
    if x == 0:
        return 0.0
    if abs(x) > math.log(2.0):
        return math.exp(x) - 1
    total, term, n = x, x * x / 2, 2
    while abs(term) > abs(total) * sys.float_info.epsilon:
        total += term
        n += 1
        term *= x / n
    return total


# ------------------------------------------------------------------ propagators (libnestutil/iaf_propagator.cpp)

def _p32(tau_syn, tau_m, c_m, h):
    inv_tau_syn, inv_tau_m, inv_c_m = 1 / tau_syn, 1 / tau_m, 1 / c_m
    beta = tau_syn * tau_m / (tau_m - tau_syn) if tau_m != tau_syn else math.inf
    gamma = beta / c_m
    inv_beta = (tau_m - tau_syn) / (tau_syn * tau_m)
    exp_h_tau_syn = math.exp(-h * inv_tau_syn)
    expm1_h_tau = nest_expm1(h * inv_beta)
    p32 = gamma * exp_h_tau_syn * expm1_h_tau if not math.isinf(gamma) else math.nan  # inf * 0 -> nan
    exp_h_tau = math.nan
    if not (math.isfinite(p32) and p32 != 0 and abs(p32) >= 2.2250738585072014e-308 and p32 > 0):
        exp_h_tau = math.exp(-h * inv_tau_m)
        p32 = h * inv_c_m * exp_h_tau
    return p32, exp_h_tau_syn, expm1_h_tau, exp_h_tau, beta, gamma


def propagator_exp(tau_syn, tau_m, c_m, h):
    return _p32(tau_syn, tau_m, c_m, h)[0]


def propagator_alpha(tau_syn, tau_m, c_m, h):
    p32, exp_h_tau_syn, expm1_h_tau, exp_h_tau, beta, gamma = _p32(tau_syn, tau_m, c_m, h)
    h_min_regular = 1e-7 * tau_m * tau_m / abs(tau_m - tau_syn) if tau_m != tau_syn else math.inf
    if h > h_min_regular:
        return gamma * exp_h_tau_syn * (beta * expm1_h_tau - h), p32
    if math.isnan(exp_h_tau):
        exp_h_tau = math.exp(-h * (1 / tau_m))
    return 0.5 * h * h * (1 / c_m) * exp_h_tau, p32


# ------------------------------------------------------------------ neurons: one object per model, step(k)

class Neuron:
    defaults = dict(E_L=-70.0, C_m=250.0, tau_m=10.0, t_ref=2.0, V_th=-55.0, V_reset=-70.0, I_e=0.0,
                    tau_syn_ex=2.0, tau_syn_in=2.0, V_min=-math.inf)

    def __init__(self, params, h, tps):
        p = dict(self.defaults, **params)
        self.p, self.h = p, h
        self.E_L = p["E_L"]
        self.V = p.get("V_m", p["E_L"]) - p["E_L"]
        self.theta, self.v_reset, self.v_min = p["V_th"] - p["E_L"], p["V_reset"] - p["E_L"], p["V_min"] - p["E_L"]
        self.RC = steps_of(p["t_ref"], tps)
        self.r = 0

    def set(self, params):
        assert set(params) <= {"I_e"}, params
        self.p.update(params)


class Delta(Neuron):
    def __init__(self, params, h, tps):
        super().__init__(params, h, tps)
        p = self.p
        self.P33 = math.exp(-h / p["tau_m"])
        self.P30 = 1 / p["C_m"] * (1 - self.P33) * p["tau_m"]
        self.y0 = 0.0

    def step(self, ex, inh, i0, total=None):
        """iaf_psc_delta has one input channel: `total` is the sum of all events in arrival order."""
        spike = False
        if self.r == 0:
            self.V = self.P30 * (self.y0 + self.p["I_e"]) + self.P33 * self.V + (ex + inh if total is None else total)
            self.V = max(self.V, self.v_min)
        else:
            self.r -= 1
        if self.V >= self.theta:
            self.r, self.V, spike = self.RC, self.v_reset, True
        self.y0 = i0
        return spike, dict(V_m=self.V + self.E_L)


class Exp(Neuron):
    def __init__(self, params, h, tps):
        super().__init__(params, h, tps)
        p = self.p
        self.P11ex, self.P11in = math.exp(-h / p["tau_syn_ex"]), math.exp(-h / p["tau_syn_in"])
        self.P22 = math.exp(-h / p["tau_m"])
        self.P21ex = propagator_exp(p["tau_syn_ex"], p["tau_m"], p["C_m"], h)
        self.P21in = propagator_exp(p["tau_syn_in"], p["tau_m"], p["C_m"], h)
        self.P20 = p["tau_m"] / p["C_m"] * (1.0 - self.P22)
        self.iex = self.iin = self.i0 = self.i1 = 0.0

    def step(self, ex, inh, i0, i1=0.0):
        spike = False
        if self.r == 0:
            self.V = self.V * self.P22 + self.iex * self.P21ex + self.iin * self.P21in + (self.p["I_e"] + self.i0) * self.P20
        else:
            self.r -= 1
        self.iex *= self.P11ex
        self.iin *= self.P11in
        self.iex += (1.0 - self.P11ex) * self.i1
        self.iex += ex
        self.iin += inh
        if self.V >= self.theta:
            self.r, self.V, spike = self.RC, self.v_reset, True
        self.i0, self.i1 = i0, i1
        return spike, dict(V_m=self.V + self.E_L, I_syn_ex=self.iex, I_syn_in=self.iin)


class Alpha(Neuron):
    def __init__(self, params, h, tps):
        super().__init__(params, h, tps)
        p = self.p
        self.P11ex = self.P22ex = math.exp(-h / p["tau_syn_ex"])
        self.P11in = self.P22in = math.exp(-h / p["tau_syn_in"])
        self.expm1_tau_m = nest_expm1(-h / p["tau_m"])
        self.P30 = -p["tau_m"] / p["C_m"] * nest_expm1(-h / p["tau_m"])
        self.P21ex, self.P21in = h * self.P11ex, h * self.P11in
        self.P31ex, self.P32ex = propagator_alpha(p["tau_syn_ex"], p["tau_m"], p["C_m"], h)
        self.P31in, self.P32in = propagator_alpha(p["tau_syn_in"], p["tau_m"], p["C_m"], h)
        self.EPSC, self.IPSC = 1.0 * math.e / p["tau_syn_ex"], 1.0 * math.e / p["tau_syn_in"]
        self.dIex = self.Iex = self.dIin = self.Iin = self.y0 = 0.0

    def step(self, ex, inh, i0):
        spike = False
        if self.r == 0:
            self.V = (self.P30 * (self.y0 + self.p["I_e"]) + self.P31ex * self.dIex + self.P32ex * self.Iex
                      + self.P31in * self.dIin + self.P32in * self.Iin + self.expm1_tau_m * self.V + self.V)
            self.V = self.v_min if self.V < self.v_min else self.V  # noqa: FURB136 (NEST's comparison, kept)
        else:
            self.r -= 1
        self.Iex = self.P21ex * self.dIex + self.P22ex * self.Iex
        self.dIex *= self.P11ex
        self.dIex += self.EPSC * ex
        self.Iin = self.P21in * self.dIin + self.P22in * self.Iin
        self.dIin *= self.P11in
        self.dIin += self.IPSC * inh
        if self.V >= self.theta:
            self.r, self.V, spike = self.RC, self.v_reset, True
        self.y0 = i0
        return spike, dict(V_m=self.V + self.E_L, I_syn_ex=self.Iex, I_syn_in=self.Iin)


MODELS = {"iaf_psc_delta": Delta, "iaf_psc_exp": Exp, "iaf_psc_alpha": Alpha}


# ------------------------------------------------------------------ current generators: current sent in step s

class DC:
    def __init__(self, params, h, tps):
        self.amp = params.get("amplitude", 0.0)
        self.t_min, self.t_max = steps_of(params.get("start", 0.0), tps), steps_of(params.get("stop", math.inf), tps) if math.isfinite(params.get("stop", math.inf)) else math.inf

    def set(self, params, now):
        assert set(params) <= {"amplitude"}
        self.amp = params.get("amplitude", self.amp)

    def current(self, s):
        """None when inactive: a current generator is active in step s iff t_min < s + 2 <= t_max."""
        return self.amp if self.t_min < s + 2 <= self.t_max else None


class StepCurrent(DC):
    def __init__(self, params, h, tps):
        super().__init__(params, h, tps)
        self.h, self.tps = h, tps
        self.offgrid = params.get("allow_offgrid_times", False)
        self._load(params, 0)
        self.amp = 0.0

    def _load(self, params, now):
        conv = ms_stamp_steps if self.offgrid else steps_of
        self.stamps = [conv(t, self.tps) for t in params["amplitude_times"]]
        self.values = list(params["amplitude_values"])
        self.idx = 0
        while self.idx < len(self.stamps) and self.stamps[self.idx] <= now:  # update(): skip stamps <= first step
            self.idx += 1

    def set(self, params, now):
        self._load(params, now)

    def current(self, s):
        if self.idx < len(self.stamps) and s + 1 == self.stamps[self.idx]:
            self.amp = self.values[self.idx]
            self.idx += 1
        return self.amp if self.t_min < s + 2 <= self.t_max else None


GENERATORS = {"dc_generator": DC, "step_current_generator": StepCurrent}


def replay(case):
    h = case["resolution"]
    tps = round(h * TICS_PER_MS)
    n_steps = round(case["t_sim"] / h)
    model = case["model"]
    # spike input per arrival step: list of event values (weight * multiplicity) in arrival order.
    # NEST adds device events into the buffer in the devices' update order (node id = creation order:
    # current generators, then spike generators) and per generator in time order.
    arrivals = [[] for _ in range(n_steps + 1)]
    for inp in case.get("inputs", []):
        D = steps_of(inp["delay"], tps)
        w = inp.get("weights", [1.0] * len(inp["times"]))
        m = inp.get("multiplicities", [1] * len(inp["times"]))
        for t, wi, mi in zip(inp["times"], w, m):
            s = steps_of(t, tps) - 1  # emitted in step s (stamp s+1)
            k = s + D
            if k < n_steps:
                arrivals[k].append((wi * inp.get("conn_weight", 1.0), mi))
    gens = [(GENERATORS[c["model"]](c["params"], h, tps), c["weight"], steps_of(c["delay"], tps), c.get("receptor_type", 0))
            for c in case.get("currents", [])]
    currents = {0: [0.0] * (n_steps + 64), 1: [0.0] * (n_steps + 64)}  # I0 / I1 slot per step
    if model == "parrot_neuron":
        neuron = None
    else:
        neuron = MODELS[model](case["params"], h, tps)
    spikes, rec, probe = [], {r: [] for r in case.get("recordables", [])}, []
    if "probe" in case:
        pr = case["probe"]
        probe_n = Delta(pr.get("params", {}), h, tps)
        probe_D = steps_of(pr["delay"], tps)
        probe_in = [0.0] * (n_steps + probe_D + 1)
    k = 0
    for seg in case["segments"]:
        for label, p in seg.get("set", {}).items():
            if label == "neuron":
                neuron.set(p)
            else:
                gens[int(label.removeprefix("current"))][0].set(p, k)
        start = k
        end = start + round(seg["t"] / h)
        for k in range(start, end):
            for g, w, D, port in gens:  # devices run after the neuron in a slice, but only fill future slots
                c = g.current(k)
                if c is not None:
                    currents[port][k + D] += w * c
            ex = inh = total = 0.0
            mult = 0
            for wi, mi in arrivals[k]:
                s = wi * mi
                total += s
                if s > 0:
                    ex += s
                else:
                    inh += s
                mult += mi
            if neuron is None:  # parrot: one event of multiplicity = number of arriving spikes, weights ignored
                spike = mult > 0
                spikes += [round(0.001 * ((k + 1) * tps), 6)] * mult
                if "probe" in case and spike and k + probe_D < len(probe_in):
                    probe_in[k + probe_D] += case["probe"]["weight"] * mult
            else:
                extra = [total] if model == "iaf_psc_delta" else ([currents[1][k]] if model == "iaf_psc_exp" else [])
                spike, vals = neuron.step(ex, inh, currents[0][k], *extra)
                if spike:
                    spikes.append(round(0.001 * ((k + 1) * tps), 6))
                for r in rec:
                    rec[r].append(vals[r])
            if "probe" in case:
                probe.append(probe_n.step(probe_in[k], 0.0, 0.0)[1]["V_m"])
        k = end
    out = dict(spike_times=spikes)
    times = [round(0.001 * ((i + 1) * tps), 6) for i in range(n_steps)]
    exp_ = case["expected"]
    if rec:
        n = len(exp_["times"])
        out["times"] = times[:n]
        for r in rec:
            out[r] = rec[r][:n]
    if "probe" in case:
        n = len(exp_["probe_times"])
        out["probe_times"] = times[:n]
        out["probe_V_m"] = probe[:n]
    return out


STDP_DEFAULTS = dict(tau_plus=20.0, **{"lambda": 0.01}, alpha=1.0, mu_plus=1.0, mu_minus=1.0, Wmax=100.0)
STDP_EPS = 1e-6


def replay_stdp(case):
    """stdp_synapse_hom between two parrots (kind "stdp_multiplicity"), nest_semantics.md §2 and §12: every
    repeated spike time of a parrot is a separate event (NEST unrolls multiplicity for neuron spikes), so
    the synapse runs once per repeat and the post archive gets one entry per repeat."""
    p = dict(STDP_DEFAULTS, **case["syn_params"])
    Wmax, lam, alpha, mup, mum, tau_p = p["Wmax"], p["lambda"], p["alpha"], p["mu_plus"], p["mu_minus"], p["tau_plus"]
    tau_minus_inv = 1 / case["post_tau_minus"]
    exp_ = case["expected"]
    as_ms = lambda t: 0.001 * round(t * TICS_PER_MS)  # Time::get_ms() = MS_PER_TIC * tics
    d = as_ms(case["delay"])
    hist, km, last_post = [], 0.0, -1.0
    for t in map(as_ms, exp_["post_spike_times"]):
        km = km * math.exp((last_post - t) * tau_minus_inv) + 1.0
        last_post = t
        hist.append((t, km))
    w, kplus, t_last, weights, kpluses = case["weight"], 0.0, 0.0, [], []
    for t in map(as_ms, exp_["pre_spike_times"]):
        for tj, _ in hist:
            if t_last - d + STDP_EPS <= tj < t - d + STDP_EPS:
                k = kplus * math.exp((t_last - (tj + d)) / tau_p)
                nw = (w / Wmax) + (lam * math.pow(1.0 - (w / Wmax), mup) * k)
                w = nw * Wmax if nw < 1.0 else Wmax
        kq = next((kj * math.exp((tj - (t - d)) * tau_minus_inv) for tj, kj in reversed(hist) if (t - d) - tj > STDP_EPS), 0.0)
        nw = (w / Wmax) - (alpha * lam * math.pow(w / Wmax, mum) * kq)
        w = nw * Wmax if nw > 0.0 else 0.0
        weights.append(w)
        kplus = kplus * math.exp((t_last - t) / tau_p) + 1.0
        kpluses.append(kplus)
        t_last = t
    post_gid = exp_["weight_recorder_targets"][0]
    nest_w = [x for x, g in zip(exp_["weight_recorder_weights"], exp_["weight_recorder_targets"]) if g == post_gid]
    # the last min_delay slice's pre spikes are not delivered by the end of the run (§2, lazy weights)
    n = len(nest_w)
    return (dict(weight_recorder_weights=weights[:n], final_weight=weights[n - 1], final_Kplus=kpluses[n - 1],
                 n_pre_events=len(weights)),
            dict(weight_recorder_weights=nest_w, final_weight=exp_["final_weight"], final_Kplus=exp_["final_Kplus"],
                 n_pre_events=len(exp_["pre_spike_times"])))


# ------------------------------------------------------------------ NEST's RNG (Appendix A) and noise_generator

M32, M64 = (1 << 32) - 1, (1 << 64) - 1


def seed_seq_fe128(seeds, n_out):
    """randutils::seed_seq_fe<4, uint32_t> (1 mixing round): the words it generates for seeding."""
    INIT_A, MULT_A, INIT_B, MULT_B = 0x43b0d7e5, 0x931e8875, 0x8b51f9dd, 0x58f38ded
    MIX_L, MIX_R = 0xca01f9dd, 0x4973f715
    hc = [INIT_A]

    def hash_(v):
        v ^= hc[0]
        hc[0] = (hc[0] * MULT_A) & M32
        v = (v * hc[0]) & M32
        return v ^ (v >> 16)

    def mix(x, y):
        r = (MIX_L * x - MIX_R * y) & M32
        return r ^ (r >> 16)

    seeds = list(seeds)
    mixer = [hash_(seeds[i] if i < len(seeds) else 0) for i in range(4)]
    for i in range(4):
        for j in range(4):
            if i != j:
                mixer[j] = mix(mixer[j], hash_(mixer[i]))
    for v in seeds[4:]:
        for j in range(4):
            mixer[j] = mix(mixer[j], hash_(v))
    out, h = [], INIT_B
    for i in range(n_out):
        v = mixer[i % 4] ^ h
        h = (h * MULT_B) & M32
        v = (v * h) & M32
        out.append(v ^ (v >> 16))
    return out


class MT19937_64:
    """std::mt19937_64 seeded from a seed sequence as libstdc++ does (k = 2 words per state element)."""
    N, M, A = 312, 156, 0xb5026f5aa96619e9
    UPPER, LOWER = (M64 << 31) & M64, (1 << 31) - 1

    def __init__(self, seeds):
        v = seed_seq_fe128(seeds, 2 * self.N)
        self.x = [v[2 * i] + (v[2 * i + 1] << 32) for i in range(self.N)]
        if (self.x[0] & self.UPPER) == 0 and not any(self.x[1:]):
            self.x[0] = 1 << 63
        self.p = self.N

    def _twist(self):
        x, N, M, A = self.x, self.N, self.M, self.A
        for k in range(N):
            y = (x[k] & self.UPPER) | (x[(k + 1) % N] & self.LOWER)
            x[k] = x[(k + M) % N] ^ (y >> 1) ^ (A if y & 1 else 0)
        self.p = 0

    def __call__(self):
        if self.p >= self.N:
            self._twist()
        z = self.x[self.p]
        self.p += 1
        z ^= (z >> 29) & 0x5555555555555555
        z ^= (z << 17) & 0x71d67fffeda60000
        z ^= (z << 37) & 0xfff7eee000000000
        z ^= z >> 43
        return z & M64


class NormalPolar:
    """libstdc++ std::normal_distribution<double>(0, 1): Marsaglia polar with a cached second value; the
    uniform is generate_canonical<double, 53> = double(x) / 2^64 (nextafter(1, 0) if it rounds to 1)."""

    def __init__(self, rng):
        self.rng, self.saved = rng, None

    def uniform(self):
        u = float(self.rng()) / 18446744073709551616.0
        return u if u < 1.0 else math.nextafter(1.0, 0.0)

    def __call__(self):
        if self.saved is not None:
            r, self.saved = self.saved, None
            return r
        while True:
            x = 2.0 * self.uniform() - 1.0
            y = 2.0 * self.uniform() - 1.0
            r2 = x * x + y * y
            if not (r2 > 1.0 or r2 == 0.0):
                break
        mult = math.sqrt(-2 * math.log(r2) / r2)
        self.saved = x * mult
        return y * mult * 1.0 + 0.0


def replay_noise(case):
    """noise_stats cases that store every neuron's trace (V_m_all): iaf_psc_delta targets only, 1 VP,
    one Simulate call starting at t = 0. Returns (mine, NEST's) per seed."""
    h = case["resolution"]
    tps = round(h * TICS_PER_MS)
    nz = case["noise"]
    D, dts = steps_of(case["delay"], tps), steps_of(nz.get("dt", 10 * h), tps)
    n_steps, n = round(case["t_sim"] / h), case["n_targets"]
    mine, theirs = {}, {}
    for seed in case["seeds"]:
        normal = NormalPolar(MT19937_64([seed, 0xb84c9bae, 0]))
        neurons = [Delta(case["params"], h, tps) for _ in range(n)]
        slots = [[0.0] * (n_steps + D + 1) for _ in range(n)]
        amps, next_step, traces = [0.0] * n, 0, [[] for _ in range(n)]
        gen = DC(nz, h, tps)  # only for the current-generator activity window
        mean, std, std_mod = nz.get("mean", 0.0), nz.get("std", 0.0), nz.get("std_mod", 0.0)
        omega = 2.0 * math.pi * nz.get("frequency", 0.0) / 1000.0
        phi = nz.get("phase", 0.0) * 2.0 * math.pi / 360.0
        t0 = 0.0  # pre_run_hook: simulation time at the start of Simulate
        y0, y1 = math.cos(omega * t0 + phi), math.sin(omega * t0 + phi)
        A00, A01, A10, A11 = math.cos(omega * h), -math.sin(omega * h), math.sin(omega * h), math.cos(omega * h)
        for k in range(n_steps):
            for j, nrn in enumerate(neurons):  # update order is irrelevant: the generator fills slot k+D
                traces[j].append(nrn.step(0.0, 0.0, slots[j][k], 0.0)[1]["V_m"])
            if not (gen.t_min < k + 2 <= gen.t_max):
                continue
            if std_mod != 0.0:
                y0, y1 = A00 * y0 + A01 * y1, A10 * y0 + A11 * y1
            if k >= next_step:
                amps = [mean + math.sqrt(std * std + y1 * std_mod * std_mod) * normal() for _ in range(n)]
                next_step = k + dts
            for j in range(n):
                if k + D < len(slots[j]):
                    slots[j][k + D] += 1.0 * amps[j]
        rec = case["expected"]["seeds"][str(seed)][case["models"][0]]
        idx = [round(t / h) - 1 for t in rec["times"]]
        mine[str(seed)] = [[traces[j][i] for i in idx] for j in range(n)]
        theirs[str(seed)] = rec["V_m_all"]
    return dict(V_m_all=mine), dict(V_m_all=theirs)


def main(paths):
    files = []
    for p in paths:
        files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".json")) if os.path.isdir(p) else [p]
    bad = 0
    for path in files:
        with open(path) as f:
            case = json.load(f)
        if case.get("kind") == "model":
            out, exp_ = replay(case), case["expected"]
        elif case.get("kind") == "stdp_multiplicity":
            out, exp_ = replay_stdp(case)
        elif case.get("kind") == "noise_stats" and case["n_targets"] <= 5:
            out, exp_ = replay_noise(case)
        else:
            continue
        diffs = [key for key in exp_ if out.get(key) != exp_[key]]
        bad += bool(diffs)
        detail = ""
        for key in diffs:
            a, b = out.get(key), exp_[key]
            if not isinstance(b, list):
                detail += f" {key}: {a!r} vs NEST {b!r};"
                continue
            i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            detail += f" {key}[{i}]: {a[i] if i < len(a) else None!r} vs NEST {b[i] if i < len(b) else None!r};"
        print(("identical " if not diffs else "DIFFERS   ") + os.path.basename(path) + detail)
    print(f"{bad} case(s) differ")
    return bad


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:] or [__doc__]) else 0)
