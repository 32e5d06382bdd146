"""Sign-up burst: accounts created in the same hour as unusually many others.

Farms register their accounts in bursts shortly before a campaign.  An hour counts
as a burst when it holds at least ``min_accounts`` sign-ups and at least
``factor`` times the window's median sign-ups per busy hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa

from distillguard.arrowsql import query
from distillguard.campaigns.links.base import LinkContext, Linker, register


@register
@dataclass(frozen=True)
class SignupBurst(Linker):
    name: ClassVar[str] = "signup_burst"
    description: ClassVar[str] = "were created in the same sign-up burst"
    kind: ClassVar[str] = "context"
    #: Thousands of strangers sign up every hour: a shared burst helps cluster
    #: accounts already linked otherwise, but makes nobody a member on its own.
    context_only: ClassVar[bool] = True
    weight: float = 0.3
    min_accounts: int = 5
    factor: float = 4.0
    bucket_minutes: int = 60

    def pairs(self, ctx: LinkContext) -> pa.Table:
        bucket = f"time_bucket(INTERVAL {int(self.bucket_minutes)} MINUTE, created)"
        holders = f"""
            WITH acc AS (
                SELECT account_id, created_at AS created FROM accounts
                WHERE created_at IS NOT NULL
            ),
            b AS (SELECT account_id, {bucket} AS key FROM acc),
            counts AS (SELECT key, count(*) AS c FROM b GROUP BY key),
            typical AS (SELECT coalesce(median(c), 1) AS m FROM counts)
            SELECT b.account_id, b.key FROM b JOIN counts USING (key), typical
            WHERE counts.c >= {int(self.min_accounts)}
              AND counts.c >= {float(self.factor)} * typical.m
        """
        burst = query(holders, what=f"{self.name} holders", accounts=ctx.accounts)
        return self.key_pairs(ctx, burst)
