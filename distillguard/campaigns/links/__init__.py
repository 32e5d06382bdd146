"""Linkers, one per file, registered by name (see :mod:`.base`)."""

from distillguard.campaigns.links import (  # noqa: F401  (importing registers them)
    ip,
    near_duplicate,
    payment,
    round_robin,
    signup_burst,
    source_set,
    subnet,
    sync,
    template,
    user_agent,
)
from distillguard.campaigns.links.base import (
    PAIR_SCHEMA,
    REGISTRY,
    LinkContext,
    Linker,
    available,
    create,
)

__all__ = ["PAIR_SCHEMA", "REGISTRY", "LinkContext", "Linker", "available", "create"]
