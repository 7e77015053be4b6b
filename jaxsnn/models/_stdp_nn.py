"""The nearest-neighbour STDP rules (Morrison et al. 2008, Fig. 7): stdp_synapse's arithmetic on
ŵ = w/W_max (:func:`jaxsnn.core.stdp.facilitate`, :func:`~jaxsnn.core.stdp.depress`) with other spike
pairings, which the three model modules (``stdp_nn_symm_synapse``, ``stdp_nn_restr_synapse``,
``stdp_nn_pre_centered_synapse``) choose with the flags of :class:`~jaxsnn.models.base.PlasticityRule`.
Depression reads the nearest-neighbour K₋(s) = e^{(t_j − s)/τ₋} of the last post spike t_j before
s = t − d (0 before the first): the target's trace reset to 1 at each of its spikes."""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import checks
from ..core import stdp
from ..errors import JaxsnnError
from .base import PlasticityRule
from .stdp_synapse import RULE_PARAMETERS, check_sign


@dataclasses.dataclass(frozen=True)
class NearestNeighbour(PlasticityRule):
    """stdp_synapse's facilitate and depress with nearest-neighbour K₋; subclasses set the pairing."""

    columns = tuple(RULE_PARAMETERS)
    sign_of = "Wmax"
    nearest = True
    differentiable = False  # the pairing selects spikes: not checked against finite differences

    def facilitate(self, w, k, p, mu_is_one=False):
        return stdp.facilitate(w, k, p, mu_is_one)

    def depress(self, w, k, p, mu_is_one=False):
        return stdp.depress(w, k, p, mu_is_one)


@dataclasses.dataclass(frozen=True)
class Symmetric(NearestNeighbour):
    """Every post spike pairs with the nearest preceding pre spike: the term e^{(t_last − (t_j + d))/τ₊}."""

    traces = ()

    def term(self, Kplus, decay):
        return decay


@dataclasses.dataclass(frozen=True)
class Restricted(Symmetric):
    """Only the first post spike after a pre spike facilitates; a pre spike depresses only if a post spike
    came since the previous pre spike."""

    first_only = True
    depress_if_paired = True


@dataclasses.dataclass(frozen=True)
class PreCentered(NearestNeighbour):
    """Only the first post spike after a pre spike facilitates, with K₊, which is then reset to 0."""

    first_only = True
    resets_trace = True


def check(v, where, model, kplus=False):
    """NEST's checks of a nearest-neighbour synapse's connect values (name -> array over connections)."""
    if kplus and np.any(np.asarray(v["Kplus"]) < 0):
        i = int(np.argmax(np.asarray(v["Kplus"]).reshape(-1) < 0))
        raise JaxsnnError(f"{where}: Kplus={np.asarray(v['Kplus']).reshape(-1)[i]}: Kplus must be non-negative "
                          f"(NEST's check for {model}).")
    check_sign(v["weight"], v["Wmax"], where, model)
    for name in RULE_PARAMETERS:
        if name in v:
            checks.finite(f"{where}: {name}", np.asarray(v[name], np.float64))
    tau = np.asarray(v["tau_plus"], np.float64)
    checks.first_bad(f"{where}: tau_plus", tau, tau < 0, "tau_plus >= 0 ms")
