"""The model zoo: one NEST model per module, and the registry, the only list of models.

``NEURONS``, ``GENERATORS`` and ``RECORDERS`` map NEST's name to the model class
(:class:`~jaxsnn.models.base.NeuronModel`, :class:`~jaxsnn.models.base.Generator`,
:class:`~jaxsnn.models.base.Recorder`). To add a model, write its module and add one line below; user
code registers its own neuron model with :func:`register`.
"""
from __future__ import annotations

from ..errors import JaxsnnError
from . import (
    ac_generator,
    aeif_cond_alpha,
    aeif_cond_exp,
    aeif_psc_alpha,
    aeif_psc_delta,
    aeif_psc_exp,
    amat2_psc_exp,
    dc_generator,
    gamma_sup_generator,
    hh_cond_exp_traub,
    hh_psc_alpha,
    iaf_cond_alpha,
    iaf_cond_beta,
    iaf_cond_exp,
    iaf_psc_alpha,
    iaf_psc_delta,
    iaf_psc_exp,
    inhomogeneous_poisson_generator,
    izhikevich,
    leaky_integrator,
    mat2_psc_exp,
    mip_generator,
    multimeter,
    noise_generator,
    parrot_neuron,
    poisson_generator,
    ppd_sup_generator,
    pulsepacket_generator,
    sinusoidal_gamma_generator,
    sinusoidal_poisson_generator,
    spike_generator,
    spike_recorder,
    step_current_generator,
    weight_recorder,
)
from .base import Generator, NeuronModel, Recorder

NEURONS: dict = {}  # NEST name -> NeuronModel subclass, in registration order
GENERATORS: dict = {}  # NEST name -> Generator subclass, in registration order
RECORDERS: dict = {}  # NEST name -> Recorder subclass, in registration order (the order of their buffers)


def register(model: type) -> type:
    """Make ``model`` (a :class:`NeuronModel` subclass) known to every :class:`~jaxsnn.Network` created
    afterwards, under ``model.name``; returns it (usable as a class decorator)."""
    if not (isinstance(model, type) and issubclass(model, NeuronModel)):
        raise JaxsnnError(f"register: {model!r} is not a NeuronModel subclass.")
    known = NEURONS.get(model.name)
    if known is not None and known is not model:
        raise JaxsnnError(f"register: a model named {model.name!r} exists already; choose another name.")
    NEURONS[model.name] = model
    return model


def register_device(model: type) -> type:
    """Make a generator or recorder known under ``model.name``; returns it."""
    table = GENERATORS if issubclass(model, Generator) else RECORDERS if issubclass(model, Recorder) else None
    if table is None:
        raise TypeError(f"register_device: {model!r} is neither a Generator nor a Recorder subclass.")
    table[model.name] = model
    return model


register(iaf_psc_delta.MODEL)
register(iaf_psc_exp.MODEL)
register(iaf_psc_alpha.MODEL)
register(parrot_neuron.MODEL)
register(izhikevich.MODEL)
register(leaky_integrator.MODEL)
register(iaf_cond_exp.MODEL)
register(iaf_cond_alpha.MODEL)
register(iaf_cond_beta.MODEL)
register(aeif_cond_alpha.MODEL)
register(aeif_cond_exp.MODEL)
register(aeif_psc_alpha.MODEL)
register(aeif_psc_exp.MODEL)
register(aeif_psc_delta.MODEL)
register(hh_psc_alpha.MODEL)
register(hh_cond_exp_traub.MODEL)
register(mat2_psc_exp.MODEL)
register(amat2_psc_exp.MODEL)

register_device(poisson_generator.MODEL)
register_device(spike_generator.MODEL)
register_device(dc_generator.MODEL)
register_device(step_current_generator.MODEL)
register_device(noise_generator.MODEL)
register_device(ac_generator.MODEL)
register_device(pulsepacket_generator.MODEL)
register_device(sinusoidal_poisson_generator.MODEL)
register_device(inhomogeneous_poisson_generator.MODEL)
register_device(mip_generator.MODEL)
register_device(gamma_sup_generator.MODEL)
register_device(ppd_sup_generator.MODEL)
register_device(sinusoidal_gamma_generator.MODEL)
register_device(spike_recorder.MODEL)
register_device(multimeter.MODEL)
register_device(weight_recorder.MODEL)


def recordables() -> dict:
    """What a multimeter can record from each neuron model."""
    return {name: m.recordables for name, m in NEURONS.items()}


__all__ = ["GENERATORS", "NEURONS", "RECORDERS", "NeuronModel", "register", "register_device"]
