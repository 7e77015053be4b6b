"""Every bad input is refused where it enters, with a JaxsnnError naming the argument, the value and
what is allowed. One row per input: (id, what the user does, error type, message fragment).

The NEST 3.10 column records what NEST itself does with the same input (measured with the
nest-simulator 3.10.0 wheel; NEST is not a test dependency). Where NEST accepts a value whose dynamics
are undefined in our arithmetic (e.g. tau_m = inf gives P30 = 0 * inf = NaN), jaxsnn refuses it: those
rows say "NEST accepts" and are listed as deliberate differences in docs/reliability_inputs.md.
"""
import math

import jax
import numpy as np
import pytest

import jaxsnn
from jaxsnn import JaxsnnError
from jaxsnn.errors import NodeIndexError

INF, NAN = math.inf, math.nan


def neurons(n=3, **kw):
    net = jaxsnn.Network(**kw)
    return net, net.create("iaf_psc_delta", n)


def create(params, model="iaf_psc_delta", n=1):
    return lambda: jaxsnn.Network().create(model, n, params=params)


def connect(conn_spec=None, syn_spec=None):
    def run():
        net, a = neurons()
        net.connect(a, a, conn_spec, syn_spec)
    return run


def connect_stdp(**syn):
    def run():
        net, a = neurons()
        net.connect(a[:2], a[1:], "one_to_one", {"synapse_model": "stdp_synapse", **syn})
    return run


def other_network():
    net, a = neurons()
    _, b = neurons()
    net.connect(a, b)




def multimeter_twice():
    net, a = neurons()
    mm = net.create("multimeter")
    net.connect(mm, a[0])
    net.connect(mm, a)


def spike_recorder_twice():
    net, a = neurons()
    sr = net.create("spike_recorder")
    net.connect(a, sr)
    net.connect(a[1], sr)


def recorder_rule(rule):
    def run():
        net, a = neurons()
        sr = net.create("spike_recorder", 2)
        net.connect(a, sr, rule)
    return run


def set_resolution():
    net = jaxsnn.Network()
    net.resolution = 0.2


def set_seed():
    net = jaxsnn.Network()
    net.seed = 5


def build_seed(seed):
    def run():
        net, _ = neurons()
        net.build(seed=seed)
    return run


def node_collection(ids):
    def run():
        net, _ = neurons(10)
        jaxsnn.NodeCollection(net, ids)
    return run


def index(item):
    def run():
        _, a = neurons(10)
        a[item]
    return run


def connect_ids(src, tgt):
    def run():
        net, _ = neurons()
        net.connect(np.array(src), np.array(tgt), "one_to_one")
    return run


def sg_params(params, n=1):
    return create(params, "spike_generator", n)


def set_nodes(params):
    def run():
        net, a = neurons(2)
        net.set(a, params)
    return run


# (id, action, error type, fragment of the message); NEST 3.10's behaviour in the comment
ROWS = [
    # ---- neuron parameters
    ("tau_m=inf", create({"tau_m": INF}), JaxsnnError, "tau_m=inf is not allowed: a finite number"),  # NEST accepts; V_m NaN
    ("tau_m=nan", create({"tau_m": NAN}), JaxsnnError, "tau_m=nan is not allowed"),  # NEST accepts
    ("C_m=inf", create({"C_m": INF}), JaxsnnError, "C_m=inf"),  # NEST accepts
    ("E_L=-inf", create({"E_L": -INF}), JaxsnnError, "E_L=-inf"),  # NEST: BadProperty (V_reset < V_th)
    ("E_L=+inf", create({"E_L": INF}), JaxsnnError, "E_L=inf"),  # NEST: BadProperty
    ("V_m=inf", create({"V_m": INF}), JaxsnnError, "V_m=inf"),  # NEST accepts
    ("V_reset=-inf", create({"V_reset": -INF}), JaxsnnError, "V_reset=-inf"),  # NEST accepts
    ("V_min=+inf", create({"V_min": INF}), JaxsnnError, "V_min=inf .*finite number or -inf"),  # NEST accepts
    ("I_e=inf", create({"I_e": INF}), JaxsnnError, "I_e=inf"),  # NEST accepts
    ("t_ref=inf", create({"t_ref": INF}), JaxsnnError, "t_ref=inf"),  # NEST accepts
    ("t_ref=3e8 (int32 steps)", create({"t_ref": 3e8}), JaxsnnError, "t_ref=300000000.0 .*int32"),  # NEST accepts
    ("tau_minus=0", create({"tau_minus": 0.0}), JaxsnnError, "tau_minus > 0"),  # NEST: BadProperty
    ("tau_m='10' (string)", create({"tau_m": "10"}), JaxsnnError, "tau_m'\\]='10' is not allowed: a number"),  # NEST: TypeMismatch
    ("tau_m=[str] (array)", create({"tau_m": ["10", "5"]}, n=2), JaxsnnError, "tau_m.*numbers"),
    ("tau_m=True (bool)", create({"tau_m": True}), JaxsnnError, "tau_m'\\]=True .*not a bool"),  # NEST: 1.0 (we refuse)
    ("refractory_input='False'", create({"refractory_input": "False"}), JaxsnnError,
     "refractory_input'\\]='False' .*True or False"),  # NEST: TypeMismatch
    ("refractory_input=nan", create({"refractory_input": NAN}), JaxsnnError, "refractory_input.*True or False"),  # NEST: TypeMismatch
    ("refractory_input=-5", create({"refractory_input": -5}), JaxsnnError, "refractory_input.*True or False"),  # NEST: TypeMismatch
    ("refractory_input=[1, 0]", create({"refractory_input": [1, 0]}, n=2), JaxsnnError, "True or False"),
    ("params list of 1 dict for 2 nodes", create([{"V_m": -60.0}], n=2), JaxsnnError, "one dict per node"),  # NEST: TypeError, same words
    ("V_m array of wrong length", create({"V_m": np.zeros(4)}, n=3), JaxsnnError, "length 3"),  # NEST truncates
    ("copy_model tau_m=-1", lambda: jaxsnn.Network().copy_model("iaf_psc_delta", "x", {"tau_m": -1.0}),
     JaxsnnError, "copy_model.*tau_m > 0"),  # NEST: BadProperty at CopyModel
    # ---- seeds and fixed settings
    ("seed=0", lambda: jaxsnn.Network(seed=0), JaxsnnError, "seed=0 .*1 … 2\\*\\*32 - 1"),  # NEST: BadProperty
    ("seed=-1", lambda: jaxsnn.Network(seed=-1), JaxsnnError, "seed=-1"),  # NEST: BadProperty
    ("seed=2**32", lambda: jaxsnn.Network(seed=2 ** 32), JaxsnnError, "seed=4294967296"),  # NEST: BadProperty
    ("seed=1.5", lambda: jaxsnn.Network(seed=1.5), JaxsnnError, "seed=1.5"),  # NEST: TypeMismatch
    ("seed=True", lambda: jaxsnn.Network(seed=True), JaxsnnError, "seed=True"),  # NEST: TypeMismatch
    ("build(seed=0)", build_seed(0), JaxsnnError, "build: seed=0"),
    ("build(seed=2**40)", build_seed(2 ** 40), JaxsnnError, "build: seed=1099511627776"),  # was key(0) in float32
    ("build(seed='1')", build_seed("1"), JaxsnnError, "build: seed='1'"),
    ("net.resolution = 0.2", set_resolution, JaxsnnError, "resolution cannot be changed"),  # NEST: KernelException once nodes exist
    ("net.seed = 5", set_seed, JaxsnnError, "seed cannot be changed.*build\\(seed="),
    ("resolution=True", lambda: jaxsnn.Network(resolution=True), JaxsnnError, "resolution=True"),
    # ---- connections
    ("weight=inf", connect(None, {"weight": INF}), JaxsnnError, "weight=inf .*finite"),  # NEST accepts (+inf and -inf give NaN)
    ("weight=nan", connect(None, {"weight": NAN}), JaxsnnError, "weight=nan"),  # NEST silently uses the default 1.0
    ("weight='1'", connect(None, {"weight": "1"}), JaxsnnError, "weight='1' is not allowed: a number"),
    ("delay=nan", connect(None, {"delay": NAN}), JaxsnnError, "delay=nan"),  # NEST silently uses the default 1.0
    ("delay=inf", connect(None, {"delay": INF}), JaxsnnError, "delay=inf"),  # NEST: BadDelay
    ("delay=1e9 (int32 steps)", connect(None, {"delay": 1e9}), JaxsnnError, "delay=1000000000.0 .*at most 536870911 steps"),  # NEST stores 77926.4 ms
    ("allow_autapses='no'", connect({"rule": "all_to_all", "allow_autapses": "no"}), JaxsnnError,
     "allow_autapses'\\]='no' .*True or False"),  # NEST: TypeMismatch
    ("allow_multapses=0", connect({"rule": "fixed_indegree", "indegree": 1, "allow_multapses": 0}), JaxsnnError,
     "allow_multapses'\\]=0"),  # NEST: TypeMismatch
    ("conn_spec='static_synapse'", connect("static_synapse"), JaxsnnError,
     "conn_spec='static_synapse' .*pass a synapse model as syn_spec"),  # NEST: 'Unknown connectivity rule'
    ("p='0.5'", connect({"rule": "pairwise_bernoulli", "p": "0.5"}), JaxsnnError, "p'\\]='0.5' .*probability"),  # NEST: TypeMismatch
    ("p=nan", connect({"rule": "pairwise_bernoulli", "p": NAN}), JaxsnnError, "p'\\]=nan"),  # NEST connects everything
    ("p=1.5", connect({"rule": "pairwise_bernoulli", "p": 1.5}), JaxsnnError, "p'\\]=1.5"),  # NEST: BadProperty
    ("indegree=2.0", connect({"rule": "fixed_indegree", "indegree": 2.0}), JaxsnnError, "indegree'\\]=2.0"),  # NEST: TypeMismatch
    ("indegree=True", connect({"rule": "fixed_indegree", "indegree": True}), JaxsnnError, "indegree'\\]=True"),
    ("syn_spec unknown model", connect(None, "nosuch"), JaxsnnError, "unknown synapse model 'nosuch'"),  # NEST: UnknownSynapseType
    ("syn_spec=5", connect(None, 5), JaxsnnError, "syn_spec=5"),
    ("NodeCollection of another Network", other_network, JaxsnnError, "of this Network"),
    ("node id 0 in connect", connect_ids([0, 1], [1, 2]), JaxsnnError, "pre=0 .*ids start at 1"),  # NEST: UnknownNode
    ("node id 4 of 3", connect_ids([1], [4]), JaxsnnError, "post=4 .*1 … 3"),  # NEST: UnknownNode
    ("stdp Wmax=[-1, 0] for weight 1", connect_stdp(weight=1.0, Wmax=np.array([-1.0, 0.0])), JaxsnnError,
     "weight=1.0 and Wmax=-1.0 must have the same sign"),  # NEST: BadProperty, same sign
    ("stdp Wmax=nan", connect_stdp(Wmax=NAN), JaxsnnError, "Wmax=nan"),  # NEST: BadProperty
    ("stdp tau_plus=-1", connect_stdp(tau_plus=-1.0), JaxsnnError, "tau_plus=-1.0 .*tau_plus >= 0"),  # NEST accepts (traces grow without bound)
    ("stdp lambda=inf", connect_stdp(**{"lambda": INF}), JaxsnnError, "lambda=inf"),  # NEST accepts
    ("stdp Kplus=-1", connect_stdp(Kplus=-1.0), JaxsnnError, "Kplus=-1.0 .*Kplus >= 0"),  # NEST: BadProperty
    ("copy_model hom Wmax=inf", lambda: jaxsnn.Network().copy_model("stdp_synapse_hom", "x", {"Wmax": INF}),
     JaxsnnError, "Wmax=inf"),  # NEST accepts
    ("copy_model stdp Wmax=-1 (weight 1)", lambda: jaxsnn.Network().copy_model("stdp_synapse", "x", {"Wmax": -1.0}),
     JaxsnnError, "copy_model.*weight=1.0 and Wmax=-1.0 must have the same sign"),  # NEST: BadProperty at CopyModel
    ("copy_model vogels_sprekeler Wmax=-1", lambda: jaxsnn.Network().copy_model(
        "vogels_sprekeler_synapse", "x", {"Wmax": -1.0}), JaxsnnError, "copy_model.*Weight and Wmax must have same sign"),  # NEST: BadProperty
    ("copy_model stdp Kplus=-1", lambda: jaxsnn.Network().copy_model("stdp_synapse", "x", {"Kplus": -1.0}),
     JaxsnnError, "copy_model.*Kplus=-1.0"),  # NEST: BadProperty at CopyModel
    ("set_defaults triplet Wmax=-5", lambda: jaxsnn.Network().models.set_defaults("stdp_triplet_synapse", {"Wmax": -5.0}),
     JaxsnnError, "same sign"),  # NEST: BadProperty at SetDefaults
    ("multimeter connected twice to a neuron", multimeter_twice, JaxsnnError, "connected to multimeter 4 twice"),  # NEST: IllegalConnection
    ("spike_recorder connected twice to a neuron", spike_recorder_twice, JaxsnnError,
     "neuron 2 is connected to spike_recorder 4 twice"),  # NEST records every spike twice (we refuse)
    ("fixed_indegree onto spike_recorder", recorder_rule({"rule": "fixed_indegree", "indegree": 1}), JaxsnnError,
     "rule'\\] for neuron -> spike_recorder='fixed_indegree'"),  # NEST: IllegalConnection
    ("pairwise_bernoulli onto spike_recorder", recorder_rule({"rule": "pairwise_bernoulli", "p": 1.0}), JaxsnnError,
     "pairwise_bernoulli"),  # NEST: IllegalConnection
    # ---- devices
    ("recorder stop < start", create({"start": 5.0, "stop": 2.0}, "spike_recorder"), JaxsnnError,
     "stop=2.0 must be >= start=5.0"),  # NEST: BadProperty 'stop >= start required'
    ("recorder start=-1", create({"start": -1.0}, "spike_recorder"), JaxsnnError, "start=-1.0 .*>= 0"),  # NEST: BadProperty
    ("recorder start off the grid", create({"start": 0.05}, "spike_recorder"), JaxsnnError, "multiple of the resolution"),  # NEST: BadProperty
    ("recorder start=nan", create({"start": NAN}, "spike_recorder"), JaxsnnError, "start=nan"),  # NEST: stores 1.8e308
    ("recorder stop beyond int32 steps", create({"stop": 1e9}, "spike_recorder"), JaxsnnError, "origin \\+ stop=1000000000.0"),
    ("copy_model start off the grid", lambda: jaxsnn.Network().copy_model("spike_recorder", "sr2", {"start": 0.05}),
     JaxsnnError, "copy_model.*start=0.05 .*multiple of the resolution"),  # NEST: BadProperty at CopyModel
    ("copy_model spike time off the grid", lambda: jaxsnn.Network().copy_model(
        "spike_generator", "sg2", {"spike_times": [1.05]}), JaxsnnError, "copy_model.*spike_times=1.05"),  # NEST: BadProperty at CopyModel
    ("poisson rate=-1", create({"rate": -1.0}, "poisson_generator"), JaxsnnError, "rate=-1.0"),  # NEST: BadProperty
    ("poisson rate=inf", create({"rate": INF}, "poisson_generator"), JaxsnnError, "rate=inf"),  # NEST accepts
    ("poisson rate=nan", create({"rate": NAN}, "poisson_generator"), JaxsnnError, "rate=nan"),  # NEST accepts
    ("poisson rate=1e12 (table too large)", create({"rate": 1e12}, "poisson_generator"), JaxsnnError,
     "rate=1000000000000.0 .*at most 2048 Poisson table terms .*split it"),  # NEST accepts
    ("poisson rate='8'", create({"rate": "8"}, "poisson_generator"), JaxsnnError, "rate='8'"),
    ("spike_times nested [[1], [2]]", sg_params({"spike_times": [[1.0], [2.0]]}, 2), JaxsnnError,
     "one flat list for every generator .*params=\\[\\{...\\}"),  # NEST: TypeMismatch
    ("spike_times 2-d array", sg_params({"spike_times": np.array([[1.0], [2.0]])}, 2), JaxsnnError, "one flat list"),  # NEST: TypeError
    ("spike_times off the grid (1.0005)", sg_params({"spike_times": [1.0005]}), JaxsnnError,
     "spike_times=1.0005 .*grid"),  # NEST: 'not representable in current resolution'
    ("spike_times 0", sg_params({"spike_times": [0.0]}), JaxsnnError, "spike_times=0.0 .*times > 0"),  # NEST: 'cannot be set to 0'
    ("spike_times negative", sg_params({"spike_times": [-1.0]}), JaxsnnError, "spike_times=-1.0"),  # NEST: BadProperty
    ("spike_times unsorted", sg_params({"spike_times": [2.0, 1.0]}), JaxsnnError, "non-descending"),  # NEST: BadProperty
    ("spike_times inf", sg_params({"spike_times": [INF]}), JaxsnnError, "spike_times=inf"),  # NEST: BadProperty
    ("spike_times beyond int32 steps", sg_params({"spike_times": [2.2e8]}), JaxsnnError,
     "spike_times=220000000.0 .*at most 2147483646 steps"),  # NEST accepts (int64 steps)
    ("spike_weights of other length", sg_params({"spike_times": [1.0, 2.0], "spike_weights": [1.0]}), JaxsnnError,
     "one weight per spike time"),  # NEST: BadProperty
    ("multimeter record_from 'V_m' (a string)", create({"record_from": "V_m"}, "multimeter"), JaxsnnError, "record_from='V_m'"),
    ("weight_recorder senders with id 0", create({"senders": [0, 1]}, "weight_recorder"), JaxsnnError,
     "senders=0 .*ids start at 1"),  # NEST: UnknownNode
    ("device rate array of wrong length", create({"rate": [1.0, 2.0, 3.0]}, "poisson_generator", 2), JaxsnnError,
     "array of 2 values"),
    # ---- set
    ("set tau_m=-1", set_nodes({"tau_m": -1.0}), JaxsnnError, "set\\('iaf_psc_delta' nodes\\): tau_m=-1.0 .*tau_m > 0"),  # NEST: BadProperty
    ("set unknown name", set_nodes({"tau_mm": 1.0}), JaxsnnError, "Did you mean 'tau_m'"),  # NEST: UnaccessedDictionaryEntry
    ("set list of 1 dict for 2 nodes", set_nodes([{"V_m": -60.0}]), JaxsnnError, "one dict per node"),  # NEST reuses the dict (we refuse)
    ("set array of 3 for 2 nodes", set_nodes({"V_m": [-60.0, -61.0, -62.0]}), JaxsnnError, "array of 2 values"),  # NEST truncates
    ("set V_th below V_reset", set_nodes({"V_th": -75.0}), JaxsnnError, "must be below V_th"),  # NEST: BadProperty
    # ---- NodeCollection (NEST 3.10's rules)
    ("NodeCollection duplicates", node_collection([2, 2]), JaxsnnError, "distinct ids"),  # NEST: BadProperty
    ("NodeCollection unsorted", node_collection([3, 2]), JaxsnnError, "ascending order"),  # NEST: BadProperty
    ("NodeCollection id 0", node_collection([0]), JaxsnnError, "ids=0"),  # NEST: UnknownNode
    ("NodeCollection id 11 of 10", node_collection([11]), JaxsnnError, "ids=11"),  # NEST: UnknownNode
    ("nc[10] of 10", index(10), NodeIndexError, "outside the collection"),  # NEST: IndexError
    ("nc[-11] of 10", index(-11), NodeIndexError, "outside the collection"),  # NEST: IndexError
    ("nc[8:12] of 10", index(slice(8, 12)), NodeIndexError, "stop outside"),  # NEST: IndexError
    ("nc[12:14] of 10", index(slice(12, 14)), NodeIndexError, "start outside"),  # NEST: IndexError
    ("nc[-12:] of 10", index(slice(-12, None)), NodeIndexError, "start outside"),  # NEST: IndexError
    ("nc[5:2]", index(slice(5, 2)), NodeIndexError, "start < stop"),  # NEST: BadParameter
    ("nc[::-3]", index(slice(None, None, -3)), NodeIndexError, "step must be a positive"),  # NEST: IndexError
    ("nc[::0]", index(slice(None, None, 0)), NodeIndexError, "step must be a positive"),  # NEST: IndexError
    ("nc[[6, 5, 4]]", index([6, 5, 4]), NodeIndexError, "ascending and distinct"),  # NEST: BadProperty
    ("nc[[1, 1]]", index([1, 1]), NodeIndexError, "ascending and distinct"),  # NEST: ValueError
    ("nc[[10]] of 10", index([10]), NodeIndexError, "0 … 9"),  # NEST: IndexError
    ("nc[[-1]]", index([-1]), NodeIndexError, "0 … 9"),  # NEST: OverflowError
    ("nc[mask of 3] of 10", index([True] * 3), NodeIndexError, "needs 10 entries"),  # NEST: IndexError
    ("nc[2.0]", index(2.0), NodeIndexError, "an index must be"),  # NEST: IndexError
]


@pytest.mark.parametrize("action, error, fragment", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_bad_input_is_refused_with_a_clear_message(action, error, fragment):
    with pytest.raises(error, match=fragment) as info:
        action()
    assert isinstance(info.value, JaxsnnError)


def test_every_error_names_argument_value_and_what_is_allowed():
    """The messages of bad_value say '<argument>=<value> is not allowed: <what is>'."""
    for _, action, _, _ in ROWS:
        try:
            action()
        except JaxsnnError as e:
            assert len(str(e)) > 25, str(e)
        else:
            raise AssertionError("an action of ROWS was accepted")


@pytest.mark.parametrize("good", [
    {"V_min": -INF},  # NEST's default is -DBL_MAX; -inf means no bound, as in NEST
    {"V_th": INF},  # never fires
    {"refractory_input": np.bool_(True)},
    {"tau_m": 10},  # an int is a number
])
def test_legal_extremes_are_accepted(good):
    net = jaxsnn.Network()
    net.create("iaf_psc_delta", 2, params=good)
    net.build()


def test_seeds_nest_accepts_are_accepted():
    for seed in (1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1):  # NEST 3.10 accepts each of these as rng_seed
        net, _ = neurons(seed=seed)
        net.build()
        net.build(seed=seed)
    net.build(seed=jax.random.key(7))
