"""A training-sized task: jaxsnn against a plain-JAX LIF network of the same sizes, in one process.

The task: sklearn's 8 × 8 digits (1,797 images, 0–16 per pixel; the last ``--test`` images are held
out). Pixel p of an image drives a Poisson train of rate ``pixel / 16 × --max-rate`` Hz for ``--ms``
ms at h = 1 ms. Network: 64 Poisson inputs → 64 parrot_neurons → 100 recurrent iaf_psc_delta → 10
readouts (``leaky_integrator``: non-spiking, iaf_psc_delta's propagators), every projection
all-to-all with 1 ms delays.
Logits: each readout's maximum V_m − E_L over time (mV); loss: softmax cross-entropy; Adam (optax) on
all weights, batch ``--batch``.

Two implementations, trained from the same initial weights on the same batches:

- ``jaxsnn``: ``net.build(differentiable=True)``; the batch is a ``jax.vmap`` over the Poisson rates
  (``params.generators["poisson_generator"]["rate"]``) and the simulation key of each sample.
- ``reference``: the same network in plain JAX (:func:`reference_forward`, ~60 lines): NEST's exact
  iaf_psc_delta propagators (P33 = e^{−h/τ}, P30 = τ/C (1 − P33)), refractory clamp, jaxsnn's default
  surrogate and reset handling for iaf_psc_delta (its ``default_surrogate``), spikes
  delivered as dense matmuls per step.
  Its Poisson draws are its own (not jaxsnn's streams): the two see different input noise.

Reported: compile time, the median wall time of ``--steps`` steady-state training steps (and of a
forward pass of one batch) for each, taken in turns (round i times every implementation once), their
ratio (and the median of the per-round ratios, and the ratio of the median process CPU times, which
waiting for a loaded machine's cores does not inflate), and the test accuracy after each of
``--epochs`` (with ``--seeds`` > 1 also its mean and spread over seeds, and the difference to the
reference seed by seed). Timings on a shared machine are noisy: compare the ratios measured in one run.

    PYTHONPATH=$PWD python benchmarks/training.py [--epochs 5] [--steps 20] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxsnn.models import NEURONS

N_IN, N_HID, N_OUT = 64, 100, 10
TAU_M, C_M, T_REF, V_TH, V_RESET, E_L = 10.0, 250.0, 2.0, -55.0, -70.0, -70.0  # NEST's defaults
# jaxsnn's default surrogate of iaf_psc_delta: the fast sigmoid of scale β (1/mV), reset detached or not
_, SURROGATE_BETA, DETACH_RESET = NEURONS["iaf_psc_delta"].default_surrogate


def load_digits(n_test):
    """(x_train, y_train, x_test, y_test): pixels scaled to [0, 1], labels 0–9."""
    try:
        from sklearn.datasets import load_digits as sk_digits
    except ImportError as e:  # the data set ships with scikit-learn (the test extras install it)
        raise SystemExit("benchmarks/training.py needs scikit-learn (pip install scikit-learn) for its "
                         "digits data set") from e
    d = sk_digits()
    x, y = d.data.astype(np.float32) / 16.0, d.target.astype(np.int32)
    perm = np.random.default_rng(0).permutation(len(y))
    x, y = x[perm], y[perm]
    return x[:-n_test], y[:-n_test], x[-n_test:], y[-n_test:]


def initial_weights(seed, scale=1.0):
    """Dense initial weights (mV per spike): input → hidden, hidden → hidden, hidden → readout."""
    k = jax.random.split(jax.random.key(seed), 3)
    return {"in": scale * 4.0 * jax.random.normal(k[0], (N_IN, N_HID)) / np.sqrt(N_IN),
            "rec": scale * 2.0 * jax.random.normal(k[1], (N_HID, N_HID)) / np.sqrt(N_HID),
            "out": scale * 8.0 * jax.random.normal(k[2], (N_HID, N_OUT)) / np.sqrt(N_HID)}


# ------------------------------------------------------------------------------ plain JAX reference
@jax.custom_jvp
def spike_fn(x):
    return (x >= 0).astype(x.dtype)


@spike_fn.defjvp
def _spike_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return spike_fn(x), dx / (1.0 + SURROGATE_BETA * jnp.abs(x)) ** 2


def poisson_counts(key, mu, n_steps, terms=8):
    """Poisson counts [n_steps, len(mu)] of means ``mu`` by the inverse CDF of ``terms`` terms (a
    vectorised draw: ``jax.random.poisson``'s rejection loop is slow under ``vmap``)."""
    k = jnp.arange(terms, dtype=mu.dtype)
    log_p = (k[:, None] * jnp.log(jnp.maximum(mu, 1e-30))[None, :] - mu[None, :]
             - jax.scipy.special.gammaln(k + 1)[:, None])
    cdf = jnp.cumsum(jnp.exp(log_p), axis=0)  # [terms, n]
    u = jax.random.uniform(key, (n_steps, mu.shape[0]), mu.dtype)
    return jnp.sum(u[:, None, :] > cdf[None], axis=1).astype(mu.dtype)


def reference_forward(w, pixels, key, n_steps, h, max_rate, concatenated=False):
    """Logits (max over time of the readouts' V − E_L, mV) of one image in plain JAX. ``concatenated``:
    the hidden layer's input as one product of the concatenated spikes and weights (the same sum,
    rounded differently: a control of how far rounding alone moves training)."""
    P33 = np.exp(-h / TAU_M)
    P30 = TAU_M / C_M * (1.0 - P33)  # noqa: F841 (I_e = 0: kept to show the propagator)
    ref_steps = int(round(T_REF / h))
    theta, v_reset = V_TH - E_L, V_RESET - E_L
    counts = poisson_counts(key, pixels * max_rate * h * 1e-3, n_steps)

    def lif(V, r, I):  # one iaf_psc_delta step: integrate unless refractory, threshold, reset
        free = r == 0
        V = jnp.where(free, P33 * V + I, V)
        s = spike_fn(V - theta)
        s = jnp.where(free, s, jax.lax.stop_gradient(s))
        r_s = jax.lax.stop_gradient(s) if DETACH_RESET else s  # the reset: detached, or through the spike
        V = V * (1.0 - r_s) + v_reset * r_s
        r = jnp.where(s > 0, ref_steps, jnp.maximum(r - 1, 0))
        return V, r, s

    def step(carry, x):
        V, r, s, x_prev, U = carry
        if concatenated:
            I = jnp.concatenate([x_prev, s]) @ jnp.concatenate([w["in"], w["rec"]])
        else:
            I = x_prev @ w["in"] + s @ w["rec"]  # spikes of the step before (1 ms delays)
        V, r, s_new = lif(V, r, I)
        U = P33 * U + s @ w["out"]  # the readout: a leaky integrator, never spiking
        return (V, r, s_new, x, U), U

    z = jnp.zeros(N_HID, pixels.dtype)
    carry = (z, jnp.zeros(N_HID, jnp.int32), z, jnp.zeros(N_IN, pixels.dtype), jnp.zeros(N_OUT, pixels.dtype))
    _, U = jax.lax.scan(step, carry, counts)
    return jnp.max(U, axis=0)


# ---------------------------------------------------------------------------------------- jaxsnn
def jaxsnn_network(h, max_rate, seed=3, data_inputs=False):
    """The same network in jaxsnn: (network, (parrots, hidden, readouts)). The parrots are driven by
    poisson_generators, or with ``data_inputs`` by per-step counts given as data (``jaxsnn.Inputs``)."""
    import jaxsnn

    net = jaxsnn.Network(resolution=h, seed=seed)
    if not data_inputs:
        pg = net.create("poisson_generator", N_IN, params={"rate": max_rate})  # the rate table: built at the highest
    par = net.create("parrot_neuron", N_IN)
    hid = net.create("iaf_psc_delta", N_HID)
    out = net.create("leaky_integrator", N_OUT)
    if not data_inputs:
        net.connect(pg, par, "one_to_one", {"weight": 1.0, "delay": h})
    net.connect(par, hid, "all_to_all", {"weight": 0.0, "delay": h})
    net.connect(hid, hid, "all_to_all", {"weight": 0.0, "delay": h})
    net.connect(hid, out, "all_to_all", {"weight": 0.0, "delay": h})
    return net, (par, hid, out)


def dense_to_flat(sim, pops, w):
    """The weight vector (synapse order) holding the dense matrices ``w``, through projection views."""
    par, hid, out = pops
    weights = sim.state.weights
    for (a, b), name in (((par, hid), "in"), ((hid, hid), "rec"), ((hid, out), "out")):
        weights = sim.projection(a, b).with_matrix(weights, w[name])
    return weights


def jaxsnn_forward_fn(sim, pops, n_steps, max_rate, h=1.0, data_inputs=False):
    import jaxsnn
    from jaxsnn import encoders
    from jaxsnn import observables as obs

    par, hid, out = pops
    par_idx = sim.index(par)
    n_slices = n_steps // sim.spec.time.slice_steps

    def forward(weights, pixels, key):
        st = sim.state.with_weights(weights)
        if data_inputs:  # Poisson counts drawn as data (encoders.rate), relayed by the parrots
            counts = encoders.place(encoders.rate(pixels, n_steps, h, max_rate, key), par_idx, sim.spec.sizes.n_neurons)
            inputs, params = jaxsnn.Inputs(spikes=counts), sim.params
        else:  # poisson_generators inside the run, per-sample rates
            inputs = None
            params = sim.params.with_generator("poisson_generator", rate=pixels * max_rate)
            st = st.replace(key=key)
        # the readouts are the network's only leaky_integrators: their state is V_m − E_L in node order
        # (obs.by_neuron(sim.spec, "V_rel")(s)[out_idx] gives the same, through a gather of all neurons)
        _, V = jaxsnn.scan(sim.model, params, st, n_slices, observe=obs.V_rel("leaky_integrator"), inputs=inputs)
        return obs.V_max(V)

    return forward


# ---------------------------------------------------------------------------------------- training
def trainer(forward, lr):
    opt = optax.adam(lr)

    def loss(w, x, y, keys):
        logits = jax.vmap(forward, in_axes=(None, 0, 0))(w, x, keys)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    @jax.jit
    def train_step(w, opt_state, x, y, keys):
        v, g = jax.value_and_grad(loss)(w, x, y, keys)
        u, opt_state = opt.update(g, opt_state, w)
        return optax.apply_updates(w, u), opt_state, v

    @jax.jit
    def predict(w, x, keys):
        return jnp.argmax(jax.vmap(forward, in_axes=(None, 0, 0))(w, x, keys), axis=-1)

    return opt, train_step, predict


def keys_for(kind, epoch, batch, n, seed=0):
    """The input noise keys of ``n`` samples of one batch (the same for every implementation)."""
    import jaxsnn

    ids = jnp.asarray(1 + ((seed * 1_000 + epoch) * 100_003 + batch) * n + np.arange(n), jnp.uint32)
    if kind == "jaxsnn (poisson_generator)":
        return jax.vmap(jaxsnn.simulation_key)(ids)
    return jax.vmap(jax.random.key)(ids)


def accuracy(predict, w, x, y, kind, bs, seed=0):
    hits = 0
    for b in range(0, len(y) - bs + 1, bs):
        hits += int(jnp.sum(predict(w, jnp.asarray(x[b:b + bs]), keys_for(kind, 999, b, bs, seed)) == y[b:b + bs]))
    return hits / (len(y) // bs * bs)


def prepare(kind, forward, to_weights, data, a):
    """Compile the training step and the forward pass of one implementation (timed: compile_s);
    ``to_weights``: its weights from the dense matrices of :func:`initial_weights`."""
    w0 = to_weights(initial_weights(0))
    opt, train_step, predict = trainer(forward, a.lr)
    bs = a.batch
    xb, yb = jnp.asarray(data[0][:bs]), jnp.asarray(data[1][:bs])
    fwd = jax.jit(lambda w, x, k: jax.vmap(forward, in_axes=(None, 0, 0))(w, x, k))
    opt_state = opt.init(w0)
    t0 = time.perf_counter()
    jax.block_until_ready(train_step(w0, opt_state, xb, yb, keys_for(kind, 0, 0, bs)))
    compile_s = time.perf_counter() - t0
    jax.block_until_ready(fwd(w0, xb, keys_for(kind, 0, 0, bs)))
    return dict(kind=kind, opt=opt, train_step=train_step, predict=predict, fwd=fwd, w0=w0, opt_state=opt_state,
                to_weights=to_weights,
                xb=xb, yb=yb, compile_s=compile_s, times=[], cpu_times=[], ftimes=[])


def time_interleaved(preps, a):
    """Steady-state step times, the implementations taking turns (round i times each once, fresh
    inputs), so that a changing load on a shared machine hits all of them alike."""
    for i in range(a.steps):
        for p in preps:
            ks = keys_for(p["kind"], 50, i, a.batch)
            t0, c0 = time.perf_counter(), time.process_time()
            jax.block_until_ready(p["train_step"](p["w0"], p["opt_state"], p["xb"], p["yb"], ks))
            p["times"].append(time.perf_counter() - t0)
            p["cpu_times"].append(time.process_time() - c0)
            ks = keys_for(p["kind"], 51, i, a.batch)
            t0 = time.perf_counter()
            jax.block_until_ready(p["fwd"](p["w0"], p["xb"], ks))
            p["ftimes"].append(time.perf_counter() - t0)


def train(p, data, a, seed=0):
    """Train ``--epochs`` epochs from the initial weights of ``seed`` (batch order and input noise from it
    too; the same for every implementation); the test accuracy after each."""
    x_tr, y_tr, x_te, y_te = data
    kind, train_step, predict = p["kind"], p["train_step"], p["predict"]
    w = p["to_weights"](initial_weights(seed))
    opt_state = p["opt"].init(w)
    bs = a.batch
    n_batches = len(y_tr) // bs if a.batches_per_epoch is None else a.batches_per_epoch
    acc, losses = [], []
    order = np.random.default_rng(1 + 1_000 * seed)
    for epoch in range(a.epochs):
        perm = order.permutation(len(y_tr))
        ep_loss = []
        for b in range(n_batches):
            idx = perm[b * bs:(b + 1) * bs]
            w, opt_state, v = train_step(w, opt_state, jnp.asarray(x_tr[idx]), jnp.asarray(y_tr[idx]),
                                         keys_for(kind, epoch, b, bs, seed))
            ep_loss.append(float(v))
        losses.append(float(np.mean(ep_loss)))
        acc.append(accuracy(predict, w, x_te, y_te, kind, bs, seed))
        if seed == 0:
            print(f"{kind} epoch {epoch + 1}: loss {losses[-1]:.3f}, test accuracy {acc[-1]:.3f}", flush=True)
    return losses, acc


def train_seeds(p, data, a):
    """:func:`train` from seeds 0 … ``--seeds`` − 1: seed 0's curves, and the test accuracy after each
    epoch of every seed."""
    losses, acc = train(p, data, a)
    per_seed = [acc] + [train(p, data, a, seed)[1] for seed in range(1, a.seeds)]
    if a.seeds > 1:
        last = [s[-1] for s in per_seed]
        print(f"{p['kind']}: test accuracy after {a.epochs} epochs over {a.seeds} seeds: mean {np.mean(last):.3f}, "
              f"sd {np.std(last, ddof=1):.3f} ({', '.join(f'{x:.3f}' for x in last)})", flush=True)
    return {"compile_s": round(p["compile_s"], 2), "train_step_s": statistics.median(p["times"]),
            "train_step_cpu_s": statistics.median(p["cpu_times"]),
            "forward_s": statistics.median(p["ftimes"]), "train_step_all_s": [round(t, 4) for t in p["times"]],
            "loss_per_epoch": losses, "test_accuracy_per_epoch": acc, "test_accuracy_per_seed": per_seed}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batches-per-epoch", type=int, default=None, help="default: the whole training set")
    ap.add_argument("--steps", type=int, default=20, help="timed steady-state training steps")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--ms", type=float, default=50.0)
    ap.add_argument("--h", type=float, default=1.0)
    ap.add_argument("--max-rate", type=float, default=200.0, help="Hz of a pixel at 16")
    ap.add_argument("--lr", type=float, default=0.02)
    ap.add_argument("--test", type=int, default=320, help="held-out images")
    ap.add_argument("--seeds", type=int, default=1,
                    help="train from this many seeds (initial weights, batch order, input noise)")
    ap.add_argument("--only", choices=("jaxsnn", "reference"), default=None)
    ap.add_argument("--rounding-control", action="store_true",
                    help="also train the reference with its input summed in another order (same inputs and keys)")
    ap.add_argument("--inputs", choices=("data", "poisson_generator", "both"), default="both",
                    help="jaxsnn's input: counts as data (jaxsnn.Inputs) and/or poisson_generators in the run")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    data = load_digits(a.test)
    n_steps = int(round(a.ms / a.h))
    res = {"args": vars(a), "device": str(jax.devices()[0])}
    preps = []
    if a.only in (None, "reference"):
        fwd = lambda w, x, k: reference_forward(w, x, k, n_steps, a.h, a.max_rate)
        preps.append(prepare("reference", fwd, lambda w: w, data, a))
        if a.rounding_control:
            fwd = lambda w, x, k: reference_forward(w, x, k, n_steps, a.h, a.max_rate, concatenated=True)
            preps.append(prepare("reference, rounded differently", fwd, lambda w: w, data, a))
    kinds = {"data": ["data"], "poisson_generator": ["poisson_generator"], "both": ["data", "poisson_generator"]}
    for how in (kinds[a.inputs] if a.only in (None, "jaxsnn") else []):
        data_inputs = how == "data"
        net, pops = jaxsnn_network(a.h, a.max_rate, data_inputs=data_inputs)
        sim = net.build(differentiable=True)
        fwd = jaxsnn_forward_fn(sim, pops, n_steps, a.max_rate, a.h, data_inputs)
        preps.append(prepare(f"jaxsnn ({how})", fwd, lambda w, sim=sim, pops=pops: dense_to_flat(sim, pops, w),
                             data, a))
    time_interleaved(preps, a)
    for p in preps:
        res[p["kind"]] = train_seeds(p, data, a)
        if p["kind"] != "reference" and "reference" in res:  # the median of the per-round ratios as well
            ref = preps[0]
            res[p["kind"]]["median_round_ratio_train_step"] = statistics.median(
                t / r for t, r in zip(p["times"], ref["times"]))
            res[p["kind"]]["ratio_train_step_cpu"] = (statistics.median(p["cpu_times"])
                                                      / statistics.median(ref["cpu_times"]))
    for k in [p["kind"] for p in preps if p["kind"] != "reference"]:
        if "reference" in res:
            res[k]["ratio_train_step"] = res[k]["train_step_s"] / res["reference"]["train_step_s"]
            res[k]["ratio_forward"] = res[k]["forward_s"] / res["reference"]["forward_s"]
    for k in [p["kind"] for p in preps]:
        r = res[k]
        ratio = (f" ({r['ratio_train_step']:.2f} x the reference's; median per-round ratio "
                 f"{r['median_round_ratio_train_step']:.2f}; in CPU time {r['ratio_train_step_cpu']:.2f})"
                 if "ratio_train_step" in r else "")
        print(f"{k}: compile {r['compile_s']:.1f} s, train step {1e3 * r['train_step_s']:.1f} ms{ratio}, "
              f"forward {1e3 * r['forward_s']:.1f} ms, test accuracy {r['test_accuracy_per_epoch']}")
        if a.seeds > 1:
            acc = np.array(r["test_accuracy_per_seed"])  # [seeds, epochs]
            r["test_accuracy_mean_per_epoch"] = acc.mean(axis=0).tolist()
            r["test_accuracy_sd_per_epoch"] = acc.std(axis=0, ddof=1).tolist()
            last = acc[:, -1]
            line = (f"  over {a.seeds} seeds, test accuracy after epoch {a.epochs}: {last.mean():.3f} "
                    f"± {last.std(ddof=1):.3f}")
            if k != "reference" and "reference" in res:  # paired by seed: same weights, batches and noise
                d = acc[:, -1] - np.array(res["reference"]["test_accuracy_per_seed"])[:, -1]
                r["accuracy_minus_reference_per_seed"] = d.tolist()
                line += f"; minus the reference's, seed by seed: {d.mean():+.3f} ± {d.std(ddof=1):.3f} (sd)"
            print(line)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
