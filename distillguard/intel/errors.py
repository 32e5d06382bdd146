"""The error type of the intel package."""

from __future__ import annotations

from distillguard.errors import DistillguardError


class IntelError(DistillguardError):
    """Bad intel input: a key file, a bundle, a hub configuration, a cursor file."""
