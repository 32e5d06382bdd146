"""Shared client address: accounts sending from the same IP address.

Proxy pools rent a set of addresses to every account of an operation; ordinary
users rarely share an address with strangers.  Members of one organisation behind
one egress address are expected to share it, so those pairs count for little.
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
class SharedIp(Linker):
    name: ClassVar[str] = "ip"
    description: ClassVar[str] = "send from the same client address"
    kind: ClassVar[str] = "infrastructure"
    weight: float = 1.0
    same_org_factor: float = 0.1

    def pairs(self, ctx: LinkContext) -> pa.Table:
        keys = ctx.store.key_counts(["ip"], ctx.window)
        return self.key_pairs(
            ctx,
            holders_of(keys),
            same_org_factor=self.same_org_factor,
        )
