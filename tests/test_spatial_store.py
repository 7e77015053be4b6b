"""Spatial networks keep every guarantee: positions travel with selective stores and complete
checkpoints, a network rebuilt from a store has the same positions and connections, and a spatially
connected network runs bit for bit the same split over devices."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jaxsnn
from jaxsnn import spatial
from jaxsnn.errors import CheckpointMismatchError

from .conftest import cpu_devices

NET = textwrap.dedent("""
    import jax, numpy as np, jaxsnn
    from jaxsnn import spatial
    sd = jaxsnn.spatial_distributions

    def spatial_net(extent=1.0, seed=7):
        net = jaxsnn.Network(resolution=0.1, seed=seed)
        e = net.create("iaf_psc_alpha", positions=spatial.grid([12, 12], extent=[extent, extent], edge_wrap=True),
                       params={"V_m": jaxsnn.random.uniform(-70.0, -55.0)})
        f = net.create("iaf_psc_alpha", 30, positions=spatial.free(jaxsnn.random.uniform(-0.5, 0.5),
                                                                     num_dimensions=2))
        net.connect(e, e, {"rule": "pairwise_bernoulli", "p": 0.9 * sd.gaussian(spatial.distance, std=0.2),
                           "mask": {"circular": {"radius": 0.4}}},
                    {"weight": 40.0 * sd.exponential(spatial.distance, beta=0.3), "delay": 1.0 + 2.0 * spatial.distance})
        net.connect(f, e, {"rule": "fixed_indegree", "indegree": 3, "mask": {"rectangular": {
            "lower_left": [-0.3, -0.3], "upper_right": [0.3, 0.3]}}}, {"weight": 30.0, "delay": 1.5})
        pg = net.create("poisson_generator", params={"rate": 12000.0})
        net.connect(pg, e, syn_spec={"weight": 20.0})
        net.connect(pg, f, syn_spec={"weight": 20.0})
        sr = net.create("spike_recorder")
        net.connect(e, sr)
        net.connect(f, sr)
        return net, e, f, sr
""")
exec(NET)


def test_selective_store_rebuilds_positions_and_connections(tmp_path):
    net, e, f, sr = spatial_net()  # noqa: F821 - defined by exec(NET)
    sim = jaxsnn.simulate(net.build(), 20.0)
    jaxsnn.store(tmp_path / "s", sim, {"e": e, "f": f}, ["static_synapse"])
    stored = jaxsnn.load(tmp_path / "s")
    net2 = jaxsnn.Network(resolution=0.1)
    e2 = net2.create("iaf_psc_alpha", positions=stored.positions("e"), params={"V_m": stored.V_m("e")})
    f2 = net2.create("iaf_psc_alpha", positions=stored.positions("f"), params={"V_m": stored.V_m("f")})
    np.testing.assert_array_equal(spatial.get_position(e2), spatial.get_position(e))
    np.testing.assert_array_equal(spatial.get_position(f2), spatial.get_position(f))
    for k in ("center", "extent"):
        np.testing.assert_array_equal(e2.spatial[k], e.spatial[k])
        np.testing.assert_array_equal(f2.spatial[k], f.spatial[k])
    c = stored.connections("static_synapse")
    net2.connect(c.source.to_numpy(), c.target.to_numpy(), "one_to_one",
                 {"weight": c.weight.to_numpy(), "delay": c.delay.to_numpy()})
    have = net2.build().connections("static_synapse", devices=False)
    assert have[["source", "target"]].values.tolist() == c[["source", "target"]].values.tolist()
    with pytest.raises(jaxsnn.JaxsnnError, match="no positions stored"):
        stored.positions("nothing")


def test_complete_checkpoint_holds_positions(tmp_path):
    net, *_ = spatial_net()  # noqa: F821
    sim = jaxsnn.simulate(net.build(), 10.0)
    jaxsnn.save_checkpoint(tmp_path / "c", sim)
    back = jaxsnn.load_checkpoint(tmp_path / "c", net.build())
    assert back.time == sim.time
    other, *_ = spatial_net(extent=1.0 + 1e-9)  # noqa: F821 - same sizes, positions a hair apart
    with pytest.raises(CheckpointMismatchError):
        jaxsnn.load_checkpoint(tmp_path / "c", other.build())


SPLIT = NET + textwrap.dedent("""
    assert len(jax.devices()) == 2
    net, e, f, sr = spatial_net()
    a = jaxsnn.simulate(net.build(devices=1), 40.0)
    b = jaxsnn.simulate(net.build(), 40.0)
    assert a.events(sr).equals(b.events(sr)) and len(a.events(sr)) > 20, len(a.events(sr))
    assert a.get().equals(b.get())
    print("ok")
""")


@pytest.mark.slow
def test_spatial_network_split_over_devices_is_bit_identical():
    r = subprocess.run([sys.executable, "-c", SPLIT], capture_output=True, text=True,
                       env=cpu_devices(2, JAX_ENABLE_X64="True"))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]
