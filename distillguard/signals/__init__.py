"""Request-level signals, one per module, registered by name (see :mod:`.base`).

Importing this package registers the built-in signals:

>>> from distillguard.signals import available
>>> sorted(available())  # doctest: +NORMALIZE_WHITESPACE
['benchmark_match', 'capability', 'client_family', 'cot_elicitation', 'harvest_params',
 'response_steps', 'template_skeleton']
"""

from distillguard.signals import (
    benchmark_match,
    capability,
    client_family,
    cot_elicitation,
    harvest_params,
    response_steps,
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
    "client_family",
    "compute_signals",
    "cot_elicitation",
    "create",
    "harvest_params",
    "register",
    "response_steps",
    "template_skeleton",
]
