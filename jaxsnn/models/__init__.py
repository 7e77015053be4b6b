"""The model zoo: one NEST model per module, and the registry, the only list of models.

``NEURONS``, ``SYNAPSES``, ``GENERATORS``, ``RECORDERS`` and ``TRANSMITTERS`` map NEST's name to the model
class (:class:`~jaxsnn.models.base.NeuronModel`, :class:`~jaxsnn.models.base.SynapseModel`,
:class:`~jaxsnn.models.base.Generator`, :class:`~jaxsnn.models.base.Recorder`, the volume transmitter of
:mod:`~jaxsnn.models.volume_transmitter`); ``SYNAPSE_ALIASES``
maps NEST's other names of a synapse model (the ``*_hpc`` variants) to its name. To add a model,
write its module and add one line below; user code registers its own neuron model with
:func:`register`, a synapse model with :func:`register_synapse`.
"""
from __future__ import annotations

from ..errors import JaxsnnError
from . import (
    ac_generator,
    aeif_cond_alpha,
    aeif_cond_alpha_multisynapse,
    aeif_cond_beta_multisynapse,
    aeif_cond_exp,
    aeif_psc_alpha,
    aeif_psc_delta,
    aeif_psc_exp,
    amat2_psc_exp,
    bernoulli_synapse,
    dc_generator,
    gamma_sup_generator,
    gif_cond_exp,
    gif_psc_exp,
    hh_cond_exp_traub,
    hh_psc_alpha,
    iaf_cond_alpha,
    iaf_cond_beta,
    iaf_cond_exp,
    iaf_psc_alpha,
    iaf_psc_alpha_multisynapse,
    iaf_psc_delta,
    iaf_psc_exp,
    iaf_psc_exp_multisynapse,
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
    quantal_stp_synapse,
    sinusoidal_gamma_generator,
    sinusoidal_poisson_generator,
    spike_generator,
    spike_recorder,
    static_synapse,
    static_synapse_hom_w,
    stdp_dopamine_synapse,
    stdp_nn_pre_centered_synapse,
    stdp_nn_restr_synapse,
    stdp_nn_symm_synapse,
    stdp_pl_synapse_hom,
    stdp_synapse,
    stdp_synapse_hom,
    stdp_triplet_synapse,
    step_current_generator,
    tsodyks2_synapse,
    tsodyks_synapse,
    tsodyks_synapse_hom,
    vogels_sprekeler_synapse,
    volume_transmitter,
    weight_recorder,
)
from .base import Generator, NeuronModel, Recorder, SynapseModel

NEURONS: dict = {}  # NEST name -> NeuronModel subclass, in registration order
GENERATORS: dict = {}  # NEST name -> Generator subclass, in registration order
RECORDERS: dict = {}  # NEST name -> Recorder subclass, in registration order (the order of their buffers)
SYNAPSES: dict = {}  # NEST name -> SynapseModel subclass, in registration order
SYNAPSE_ALIASES: dict = {}  # another NEST name of a synapse model -> its name
TRANSMITTERS: dict = {volume_transmitter.MODEL.name: volume_transmitter.MODEL}  # nodes that collect spikes for
# neuromodulated synapses (NEST name -> class)
DEFAULT_SYNAPSE = static_synapse.MODEL.name  # NEST's synapse of a Connect without one (and of recorders)


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


def register_synapse(model: type) -> type:
    """Make a synapse model known under ``model.name`` and its ``aliases``; returns it."""
    if not (isinstance(model, type) and issubclass(model, SynapseModel)):
        raise JaxsnnError(f"register_synapse: {model!r} is not a SynapseModel subclass.")
    for name in (model.name,) + model.aliases:
        known = SYNAPSES.get(SYNAPSE_ALIASES.get(name, name))
        if known is not None and known is not model:
            raise JaxsnnError(f"register_synapse: a synapse model named {name!r} exists already; choose another name.")
    SYNAPSES[model.name] = model
    SYNAPSE_ALIASES.update({alias: model.name for alias in model.aliases})
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
register(iaf_psc_exp_multisynapse.MODEL)
register(iaf_psc_alpha_multisynapse.MODEL)
register(aeif_cond_alpha_multisynapse.MODEL)
register(aeif_cond_beta_multisynapse.MODEL)
register(gif_psc_exp.MODEL)
register(gif_cond_exp.MODEL)

register_synapse(static_synapse.MODEL)
register_synapse(static_synapse_hom_w.MODEL)
register_synapse(stdp_synapse.MODEL)
register_synapse(stdp_synapse_hom.MODEL)
register_synapse(stdp_pl_synapse_hom.MODEL)
register_synapse(tsodyks_synapse.MODEL)
register_synapse(tsodyks_synapse_hom.MODEL)
register_synapse(tsodyks2_synapse.MODEL)
register_synapse(stdp_nn_symm_synapse.MODEL)
register_synapse(stdp_nn_restr_synapse.MODEL)
register_synapse(stdp_nn_pre_centered_synapse.MODEL)
register_synapse(vogels_sprekeler_synapse.MODEL)
register_synapse(stdp_triplet_synapse.MODEL)
register_synapse(bernoulli_synapse.MODEL)
register_synapse(quantal_stp_synapse.MODEL)
register_synapse(stdp_dopamine_synapse.MODEL)

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


def device(name: str):
    """The generator, recorder or transmitter model (class) named ``name``, or None."""
    return GENERATORS.get(name) or RECORDERS.get(name) or TRANSMITTERS.get(name)


def recordables() -> dict:
    """What a multimeter can record from each neuron model (besides :func:`per_port`'s)."""
    return {name: m.recordables for name, m in NEURONS.items()}


def per_port(name: str, model=None) -> bool:
    """Whether ``name`` is a per-port recordable (``I_syn_3``: I_syn of port 3) of ``model`` (a class) or of
    some model; whether the port exists is known at build, from the configured model's recordables."""
    stem, _, k = name.rpartition("_")
    return k.isdigit() and int(k) >= 1 and any(stem in m.port_recordables
                                               for m in ([model] if model else NEURONS.values()))


__all__ = ["DEFAULT_SYNAPSE", "GENERATORS", "NEURONS", "RECORDERS", "SYNAPSES", "SYNAPSE_ALIASES", "TRANSMITTERS",
           "NeuronModel",
           "SynapseModel", "device", "register", "register_device", "register_synapse"]
