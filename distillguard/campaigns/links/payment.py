"""Shared payment method: accounts billed to the same card or payment fingerprint.

Sign-up farms reuse a few cards over many accounts.  An organisation paying for
its members' keys with one card is ordinary, so pairs inside one organisation count
for little.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa

from distillguard.campaigns.links.base import (
    LinkContext,
    Linker,
    holders_of,
    register,
)


@register
@dataclass(frozen=True)
class SharedPayment(Linker):
    name: ClassVar[str] = "payment"
    description: ClassVar[str] = "are billed to the same payment method"
    kind: ClassVar[str] = "infrastructure"
    weight: float = 2.0
    same_org_factor: float = 0.1

    def pairs(self, ctx: LinkContext) -> pa.Table:
        keys = ctx.store.key_counts(["payment"], ctx.window)
        return self.key_pairs(
            ctx,
            holders_of(keys),
            same_org_factor=self.same_org_factor,
        )
