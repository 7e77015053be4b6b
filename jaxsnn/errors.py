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
