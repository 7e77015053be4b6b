"""The model zoo: one NEST model per module, and the registry, the only list of models.

``GENERATORS`` and ``RECORDERS`` map NEST's name to the model class (:class:`~jaxsnn.models.base.Generator`,
:class:`~jaxsnn.models.base.Recorder`). To add a model, write its module and add one line below.
"""
from __future__ import annotations

from . import (
    dc_generator,
    multimeter,
    noise_generator,
    poisson_generator,
    spike_generator,
    spike_recorder,
    step_current_generator,
    weight_recorder,
)
from .base import Generator, Recorder

GENERATORS: dict = {}  # NEST name -> Generator subclass, in registration order
RECORDERS: dict = {}  # NEST name -> Recorder subclass, in registration order (the order of their buffers)


def register_device(model: type) -> type:
    """Make a generator or recorder known under ``model.name``; returns it."""
    table = GENERATORS if issubclass(model, Generator) else RECORDERS if issubclass(model, Recorder) else None
    if table is None:
        raise TypeError(f"register_device: {model!r} is neither a Generator nor a Recorder subclass.")
    table[model.name] = model
    return model


register_device(poisson_generator.MODEL)
register_device(spike_generator.MODEL)
register_device(dc_generator.MODEL)
register_device(step_current_generator.MODEL)
register_device(noise_generator.MODEL)
register_device(spike_recorder.MODEL)
register_device(multimeter.MODEL)
register_device(weight_recorder.MODEL)


def recordables() -> dict:
    """What a multimeter can record from each neuron model."""
    from ..build.registry import RECORDABLES

    return RECORDABLES


__all__ = ["GENERATORS", "RECORDERS", "register_device"]
