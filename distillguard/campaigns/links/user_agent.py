"""Shared rare client software: accounts sending the same uncommon user agent.

Popular SDK and app strings are shared by thousands of unrelated users and say
nothing; only user agents held by at most ``max_share`` of the window's accounts
(and at most ``max_accounts``) link their holders.
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
class SharedUserAgent(Linker):
    name: ClassVar[str] = "user_agent"
    description: ClassVar[str] = "send the same uncommon user agent"
    kind: ClassVar[str] = "infrastructure"
    weight: float = 0.5
    max_share: float = 0.002
    max_accounts: int = 5000
    same_org_factor: float = 0.1

    def check(self) -> list[tuple[str, str]]:
        out = super().check()
        if not 0 < self.max_share <= 1:
            out.append(("max_share", "must be in (0, 1]"))
        return out

    def pairs(self, ctx: LinkContext) -> pa.Table:
        cap = max(2, min(self.max_accounts, int(self.max_share * ctx.n_accounts)))
        keys = ctx.store.key_counts(["user_agent"], ctx.window)
        return self.key_pairs(
            ctx,
            holders_of(keys),
            max_df=cap,
            same_org_factor=self.same_org_factor,
        )
