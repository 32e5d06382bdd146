"""Shared prompt template: accounts whose requests open or close with the same text,
or carry the same system prompt.

The key is the template-skeleton signal's hash of a request's normalised first or
last characters (or of its system prompt), so paraphrase-free templates link every
account that sends them.
Popular apps' users share templates too; the group's traffic, not this link, decides
whether it is a campaign.
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


@register
@dataclass(frozen=True)
class SharedTemplate(Linker):
    name: ClassVar[str] = "template"
    description: ClassVar[str] = (
        "send prompts that open or close with the same template, or the same system prompt"
    )
    kind: ClassVar[str] = "content"
    weight: float = 0.5
    #: A skeleton must be sent at least this often by an account to count as its template.
    min_requests: int = 2

    def pairs(self, ctx: LinkContext) -> pa.Table:
        keys = ctx.store.key_counts(["prefix", "suffix", "system"], ctx.window)
        keys = keys.filter(pc.greater_equal(keys["n"], int(self.min_requests)))
        keys = keys.append_column(
            "template", pc.binary_join_element_wise(keys["kind"], keys["key"], ":")
        )
        return self.key_pairs(ctx, holders_of(keys, "template"))
