"""The error type of the provenance package."""

from __future__ import annotations

from distillguard.errors import DistillguardError


class ProvenanceError(DistillguardError):
    """Bad provenance input: a key file, a text file, a model path, a parameter."""
