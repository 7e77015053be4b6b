"""Precise errors: every message names the argument, the value received and what is allowed."""
from __future__ import annotations

import difflib


class JaxsnnError(ValueError):
    """Base class of jaxsnn's input errors (a ``ValueError``, as NumPy and JAX users expect)."""


class CapacityError(JaxsnnError):
    """A fixed capacity (spikes per step, recorder buffer) was exceeded and could not grow."""


def bad_value(name: str, value, allowed: str) -> JaxsnnError:
    return JaxsnnError(f"{name}={value!r} is not allowed: {allowed}.")


def unknown_name(kind: str, name: str, known) -> JaxsnnError:
    """An unknown parameter/model name, with the closest known names as a suggestion."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return JaxsnnError(f"unknown {kind} {name!r}.{hint} Known: {', '.join(known)}.")


class NodeIndexError(JaxsnnError, IndexError):
    """An index or slice outside a NodeCollection (also an ``IndexError``, as NEST raises)."""


class CheckpointError(JaxsnnError):
    """A checkpoint or store is missing, damaged, inconsistent, of another format, or cannot be written."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """There is no checkpoint where one was asked for (also a ``FileNotFoundError``)."""


class CheckpointExistsError(CheckpointError, FileExistsError):
    """A checkpoint would replace an existing one without ``overwrite=True`` (also a ``FileExistsError``)."""


class CheckpointMismatchError(CheckpointError):
    """An intact checkpoint of a different network than the one it is loaded into."""


class CheckpointLockedError(CheckpointError):
    """Another writer holds the checkpoint directory."""


class CheckpointWarning(UserWarning):
    """A checkpoint was usable only in part (e.g. resume fell back past a damaged one)."""
