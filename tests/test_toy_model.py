"""A neuron model defined here, outside the package, goes through every path of jaxsnn by the model
interface alone (jaxsnn.models.base): create/connect/simulate, get/set, a multimeter, a split over two
devices, save_checkpoint/resume and jax.grad. docs/models.md walks through it."""
import dataclasses
import math
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsnn
from jaxsnn import JaxsnnError

from .conftest import cpu_devices

TOY = textwrap.dedent('''
    import dataclasses
    import jax.numpy as jnp
    import numpy as np
    import jaxsnn
    from jaxsnn import models
    from jaxsnn.core.surrogate import threshold
    from jaxsnn.models.base import ARCHIVING, SUMMED, NeuronModel, Param, check_tau_minus
    from jaxsnn.errors import bad_value


    @dataclasses.dataclass(frozen=True)
    class ToyLIF(NeuronModel):
        """A leaky integrator: V <- V e^(-h/tau) + h I_e + input (mV); V >= V_th: spike, V <- 0 and
        silent for t_ref (whole steps)."""
        name = "toy_lif"
        parameters = {
            "V_m": Param(0.0, "mV", "membrane potential", state=True),
            "tau": Param(10.0, "ms", "time constant"),
            "V_th": Param(1.0, "mV", "threshold"),
            "I_e": Param(0.0, "mV/ms", "drive"),
            "t_ref": Param(1.0, "ms", "refractory period"),
            **ARCHIVING,
        }
        recordables = ("V_m",)
        inputs = SUMMED

        @classmethod
        def check(cls, v, where, tics_per_step):
            check_tau_minus(v, where)
            for name in ("tau", "t_ref"):
                if v.get(name) is not None and (v[name] <= 0).any():
                    raise bad_value(f"{where}: {name}", float(v[name].min()), f"{name} > 0 ms")

        def host_constants(self, host, h, tics_per_step):
            return {"refractory_steps": np.ceil(np.round(host["t_ref"] / h, 9)).astype(np.int32)}

        def init(self, host):
            return {"V": host["V_m"], "r": np.zeros(len(host["V_m"]), np.int32)}

        def update(self, p, k, s, inp, h, surrogate=None):
            V, r = s["V"], s["r"]
            free = r == 0
            drive = p["I_e"] if inp.current is None else p["I_e"] + inp.current[0]
            V = jnp.where(free, V * jnp.exp(-h / p["tau"]) + h * drive + inp.spikes[0], V)
            r = jnp.where(free, r, r - 1)
            V, r, spiked = threshold(V, p["V_th"], free, 0.0, r, k["refractory_steps"], surrogate)
            return {"V": V, "r": r}, spiked

        def observe(self, p, s):
            return {"V_m": s["V"]}

        def set(self, p, s, idx, changes):
            p = {k: (v.at[idx].set(changes[k]) if k in changes else v) for k, v in p.items()}
            s = dict(s, V=s["V"].at[idx].set(changes["V_m"])) if "V_m" in changes else s
            return p, s


    models.register(ToyLIF)


    def toy_network(**options):
        net = jaxsnn.Network(seed=5)
        toy = net.create("toy_lif", 6, params={"I_e": np.linspace(0.05, 0.2, 6), "V_m": 0.5})
        d = net.create("iaf_psc_delta", 4, params={"V_m": -60.0})
        more = net.create("toy_lif", 3, params={"I_e": 0.15})
        pg = net.create("poisson_generator", params={"rate": 2000.0})
        net.connect(pg, toy + more, syn_spec={"weight": 0.05})
        net.connect(pg, d, syn_spec={"weight": 2.0})
        net.connect(toy + d + more, toy + d + more, {"rule": "fixed_indegree", "indegree": 3},
                    {"weight": jaxsnn.random.uniform(-0.3, 0.6), "delay": 1.5})
        sr = net.create("spike_recorder")
        net.connect(toy + d + more, sr)
        mm = net.create("multimeter", params={"record_from": ["V_m"], "interval": 0.5})
        net.connect(mm, toy[:2] + d[:1] + more[:1])
        return net.build(**options), sr, mm
''')
scope = {}
exec(TOY, scope)
toy_network = scope["toy_network"]


def _oracle(I_e, V0, tau, V_th, t_ref_steps, n, h=0.1):
    """The toy model's own recursion in numpy (a neuron without input): V after each step, spike steps."""
    V, r, out, spikes = V0, 0, [], []
    for k in range(n):
        if r == 0:
            V = V * math.exp(-h / tau) + h * I_e
            if V >= V_th:
                V, r = 0.0, t_ref_steps
                spikes.append(k + 1)
        else:
            r -= 1
        out.append(V)
    return np.array(out), np.array(spikes)


def test_create_simulate_and_multimeter_follow_the_models_update(x64):
    net = jaxsnn.Network()
    n = net.create("toy_lif", 2, params={"I_e": [0.12, 0.3], "V_m": [0.2, 0.0]})
    sr, mm = net.create("spike_recorder"), net.create("multimeter", params={"record_from": ["V_m"]})
    net.connect(n, sr)
    net.connect(mm, n)
    out = jaxsnn.simulate(net.build(), 30.0)
    ev, spikes = out.events(mm), out.events(sr)
    for i, (I, V0) in enumerate(((0.12, 0.2), (0.3, 0.0))):
        V, stamps = _oracle(I, V0, 10.0, 1.0, 10, 300)
        got = ev[ev.senders == n.ids[i]]
        # the multimeter's samples at 1, 2, ... ms (NEST's lag: the last one is the next run's)
        np.testing.assert_allclose(got.V_m.to_numpy(), V[9::10][:len(got)], rtol=1e-12 if x64 else 1e-5)
        np.testing.assert_allclose(spikes[spikes.senders == n.ids[i]].times.to_numpy(), stamps * 0.1, atol=1e-9)
    assert len(spikes) > 5


def test_get_set_and_the_models_checks(x64):
    sim, sr, mm = toy_network()
    toy = np.arange(1, 7)  # node ids of the first six toy neurons
    got = sim.get(toy, names=("V_m", "I_e", "tau", "tau_minus"))
    np.testing.assert_allclose(got.I_e.to_numpy(), np.linspace(0.05, 0.2, 6))
    assert (got.V_m == 0.5).all() and (got.tau == 10.0).all() and (got.tau_minus == 20.0).all()
    changed = sim.set(toy[:2], {"V_m": 0.9, "tau": 20.0})
    assert list(changed.get(toy[:3], names="V_m").V_m) == [0.9, 0.9, 0.5]
    assert list(changed.get(toy[:3], names="tau").tau) == [20.0, 20.0, 10.0]
    with pytest.raises(JaxsnnError, match="tau > 0"):
        sim.set(toy[:1], {"tau": -1.0})
    net = jaxsnn.Network()
    with pytest.raises(JaxsnnError, match="tau > 0"):
        net.create("toy_lif", params={"tau": 0.0})
    mixed = sim.get(names=("V_m", "I_e"))  # iaf_psc_delta's I_e is in pA, the toy's in mV/ms: both NEST-style
    assert mixed.V_m.notna().all()


def test_runs_split_in_time_resume_from_checkpoints_bit_for_bit(tmp_path, x64):
    sim, sr, mm = toy_network()
    whole = jaxsnn.simulate(sim, 40.0)
    jaxsnn.save_checkpoint(tmp_path / "ck", jaxsnn.simulate(sim, 13.3))
    resumed = jaxsnn.simulate(jaxsnn.load_checkpoint(tmp_path / "ck", toy_network()[0]), 40.0 - 13.3)
    assert len(whole.events(sr)) > 20
    for a, b in ((whole.events(sr), resumed.events(sr)), (whole.events(mm), resumed.events(mm)),
                 (whole.get(), resumed.get())):
        assert a.equals(b)


SPLIT = TOY + textwrap.dedent("""
    import jax
    one, sr, mm = toy_network(devices=1)
    two = toy_network()[0]
    a, b = jaxsnn.simulate(one, 30.0), jaxsnn.simulate(two, 30.0)
    assert len(jax.devices()) == 2 and b._plan and len(b._plan[-1].devices) == 2
    for x, y in zip([a.events(sr), a.events(mm), a.get()], [b.events(sr), b.events(mm), b.get()]):
        assert x.equals(y), (x, y)
    for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(a.state.replace(buffers=None)),
                            jax.tree_util.tree_leaves(b.state.replace(buffers=None))):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=jax.tree_util.keystr(path))
    assert len(a.events(sr)) > 10
    print("ok")
""")


@pytest.mark.slow  # the fast suite splits NEST models over devices (test_models, test_stp_networks, ...)
def test_split_over_two_devices_is_bit_identical():
    r = subprocess.run([sys.executable, "-c", SPLIT], capture_output=True, text=True,
                       env=cpu_devices(2, JAX_ENABLE_X64="True"))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


def test_grad_through_the_toy_model_matches_finite_differences(x64):
    """d V_end / d I_e of a toy neuron below threshold: exact recursion, so AD equals the analytic
    h Σ e^{-kh/τ} and a central finite difference."""
    net = jaxsnn.Network()
    net.create("toy_lif", 2, params={"I_e": [0.05, 0.08], "V_th": 100.0})
    sim = net.build(differentiable=True)

    def V_end(I_e):
        p = sim.params.replace(neurons=sim.params.neurons.updated("toy_lif", I_e=I_e))
        return jaxsnn.advance(sim.model, p, sim.state, 50).neurons["toy_lif"]["V"][0]

    I = sim.params.neurons["toy_lif"]["I_e"]
    g = np.asarray(jax.grad(V_end)(I))
    analytic = 0.1 * sum(math.exp(-0.1 * k / 10.0) for k in range(50))
    np.testing.assert_allclose(g[0], analytic, rtol=1e-9 if x64 else 1e-4)
    assert g[1] == 0.0
    eps = 1e-4
    fd = (V_end(I.at[0].add(eps)) - V_end(I.at[0].add(-eps))) / (2 * eps)
    np.testing.assert_allclose(g[0], float(fd), rtol=1e-6 if x64 else 2e-2)


def test_a_registered_name_cannot_be_taken_twice():
    from jaxsnn import models

    clash = dataclasses.make_dataclass("Clash", [], bases=(models.NeuronModel,), frozen=True)
    clash.name = "toy_lif"
    with pytest.raises(JaxsnnError, match="exists already"):
        models.register(clash)
    assert jnp is not None


def test_each_model_updates_only_its_own_neurons():
    """Blocked execution: a model's update sees its own neurons (two runs of 6 and 3 toy neurons around
    4 iaf_psc_delta ones: 9 columns), so a step costs the sum over models of their neurons."""
    seen = []
    toy = scope["ToyLIF"]

    @dataclasses.dataclass(frozen=True)
    class Counted(toy):
        name = "toy_lif_counted"

        def update(self, p, k, s, inp, h, surrogate=None):
            seen.append((inp.spikes.shape, s["V"].shape))
            return super().update(p, k, s, inp, h, surrogate)

    from jaxsnn import models
    models.register(Counted)
    net = jaxsnn.Network()
    a = net.create("toy_lif_counted", 6, params={"I_e": 0.2})
    net.create("iaf_psc_delta", 4)
    b = net.create("toy_lif_counted", 3, params={"I_e": 0.2})
    sr = net.create("spike_recorder")
    net.connect(a + b, sr)
    out = jaxsnn.simulate(net.build(), 20.0)
    assert seen and set(seen) == {((1, 9), (9,))}
    assert set(out.events(sr).senders) == set(a.ids) | set(b.ids)
