"""Same source set: accounts drawing prompts from the same public prompt set.

Harvesters work through a public set (a benchmark, a self-instruct collection) and
split it over their accounts, so two of them may share the set without sharing a
single item.  The key is the set a request's text comes from, as recognised by the
``benchmark_match`` signal; an account must draw at least ``min_requests`` requests
from it.  Evaluation users share popular sets too, so sets held by many accounts
count little (``1 / log2(1 + df)``) and the link is content, never membership alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from distillguard.campaigns.links.base import (
    LinkContext,
    Linker,
    holders_of,
    register,
)
from distillguard.store import EventFilter


@register
@dataclass(frozen=True)
class SourceSet(Linker):
    name: ClassVar[str] = "source_set"
    description: ClassVar[str] = "draw prompts from the same public prompt set"
    kind: ClassVar[str] = "content"
    weight: float = 0.2
    min_requests: int = 3

    def pairs(self, ctx: LinkContext) -> pa.Table:
        sources = ctx.store.value_counts("benchmark_source", EventFilter(window=ctx.window))
        sources = sources.filter(pc.greater_equal(sources["n"], int(self.min_requests)))
        return self.key_pairs(ctx, holders_of(sources, "value"))
