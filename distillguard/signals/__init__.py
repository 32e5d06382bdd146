"""Request-level signals, one per module, registered by name (see :mod:`.base`)."""

from distillguard.signals.base import (
    REGISTRY,
    EventBatch,
    Signal,
    available,
    compute_signals,
    create,
    register,
)

__all__ = ["REGISTRY", "EventBatch", "Signal", "available", "compute_signals", "create", "register"]
