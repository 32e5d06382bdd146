"""Request-level signals, one per module, registered by name (see :mod:`.base`).

Importing this package registers the built-in signals:

>>> from distillguard.signals import available
>>> sorted(available())  # doctest: +NORMALIZE_WHITESPACE
['benchmark_match', 'capability', 'cot_elicitation', 'harvest_params', 'template_skeleton']
"""

from distillguard.signals import (
    benchmark_match,
    capability,
    cot_elicitation,
    harvest_params,
    template_skeleton,
)
from distillguard.signals.base import (
    REGISTRY,
    EventBatch,
    Signal,
    available,
    compute_signals,
    create,
    register,
)

__all__ = [
    "REGISTRY",
    "EventBatch",
    "Signal",
    "available",
    "benchmark_match",
    "capability",
    "compute_signals",
    "cot_elicitation",
    "create",
    "harvest_params",
    "register",
    "template_skeleton",
]
