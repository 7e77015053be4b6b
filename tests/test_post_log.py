"""The host's record of post spikes (jaxsnn.run.post_log): it keeps every stamp a pending facilitation may need,
growing where a run would drop one (NEST's numbers through it: tests/test_nest_between_runs.py)."""
import os

import jax.numpy as jnp
import numpy as np
import pytest

os.environ.setdefault("JAXSNN_COMPILATION_CACHE", "off")  # hermetic: no user cache folder in tests

import jaxsnn  # noqa: E402
from jaxsnn.core import stdp  # noqa: E402
from jaxsnn.run.post_log import POST_LOG, needed, with_post_log  # noqa: E402


def _network(n_spikes=0):
    """Two parrots, each into one iaf_psc_alpha by stdp_synapse (delay 2 ms); the second source never fires."""
    net = jaxsnn.Network()
    sg = net.create("spike_generator", params={"spike_times": [1.0] if not n_spikes else [1.0, 2.0]})
    pre = net.create("parrot_neuron", 2)
    post = net.create("iaf_psc_alpha", 2, params={"I_e": 2000.0})
    net.connect(sg, pre[0])
    net.connect(pre, post, "one_to_one", {"synapse_model": "stdp_synapse", "weight": 1.0, "delay": 2.0})
    return net, pre, post


def _with_record(sim, post_index, stamps, t_last):
    """``sim`` whose neuron ``post_index`` fired at ``stamps`` (recorded as the engine writes them: spike k at
    k % G) and whose first source last fired at stamp ``t_last``."""
    post = sim.state.plasticity.post
    G = post.post_log_stamps.shape[1]
    log, n_post = np.array(post.post_log_stamps), np.array(post.n_post)
    for k, s in enumerate(stamps):
        log[post_index, k % G] = s
    n_post[post_index] = len(stamps)
    t = np.array(sim.state.plasticity.pre.t_last)
    t[0] = t_last
    pl = sim.state.plasticity
    pl = pl.replace(post=post.replace(post_log_stamps=jnp.asarray(log), n_post=jnp.asarray(n_post)),
                    pre=pl.pre.replace(t_last=jnp.asarray(t)))
    step = jnp.asarray(max(stamps, default=0), sim.state.step.dtype)  # the run is past every stamp
    return sim.replace(state=sim.state.replace(plasticity=pl, step=step))


def test_the_record_grows_where_a_pending_stamp_was_dropped():
    """Needed are a target's stamps after its plastic sources' last spike less the ring (the longest delay a set
    may give): a record of 4 that dropped one of them asks for a length holding every stamp since the run's
    start (a power of two); one that dropped only older stamps, or whose only late source never fired (K₊ = 0),
    asks for nothing; a longer record keeps each stamp at its place k % G."""
    net, pre, post = _network()
    sim = with_post_log(net.build(), 4)
    assert sim.spec.plasticity.post_log == 4 and POST_LOG >= 64
    ring = sim.spec.sizes.ring
    n0 = sim.layout.neuron_of_node[np.asarray(post.ids)][0]
    stamps = list(range(1000, 1100, 10))  # 10 spikes, the record holds the last 4 (1060 ... 1090)
    start = _with_record(sim, n0, [], 0)
    full = _with_record(sim, n0, stamps, 1060 + ring)  # needed: stamps after 1060; only older ones dropped
    assert needed(full, start) == 0
    lost = _with_record(sim, n0, stamps, 1045 + ring)  # 1050 is still pending, and dropped
    G = needed(lost, start)
    assert G >= len(stamps) and G & (G - 1) == 0
    grown = with_post_log(lost, G)
    log = np.asarray(grown.state.plasticity.post.post_log_stamps)[n0]
    for k, s in enumerate(stamps[-4:], start=6):
        assert log[k % G] == s
    assert (log > stdp.EMPTY).sum() == 4
    silent = _with_record(sim, n0 + 1, stamps, 0)  # the second target's source never fired and has K₊ = 0
    assert needed(silent, start) == 0


@pytest.mark.slow  # the same capability, host only: test_the_record_grows_where_a_pending_stamp_was_dropped
def test_a_run_that_overflows_the_record_gives_the_same_bits(x64):
    """A run whose record of 4 stamps overflows is done again with a longer one: the state equals a run with a
    record of 64 from the start bit for bit, and the record holds every stamp since the window's start."""
    net, pre, post = _network()
    small = jaxsnn.simulate(with_post_log(net.build(), 4), 60.0)
    large = jaxsnn.simulate(with_post_log(net.build(), 64), 60.0)
    assert small.spec.plasticity.post_log > 4
    a, b = small.state.plasticity.post, large.state.plasticity.post
    np.testing.assert_array_equal(np.asarray(small.state.synapses.weight), np.asarray(large.state.synapses.weight))
    np.testing.assert_array_equal(np.asarray(a.n_post), np.asarray(b.n_post))
    n0 = small.layout.neuron_of_node[np.asarray(post.ids)][0]
    assert int(a.n_post[n0]) > 4
    assert sorted(np.asarray(a.post_log_stamps)[n0][np.asarray(a.post_log_stamps)[n0] > stdp.EMPTY]) == \
        sorted(np.asarray(b.post_log_stamps)[n0][np.asarray(b.post_log_stamps)[n0] > stdp.EMPTY])
