"""Load balancing: accounts fed in lockstep by one stream of requests.

An operator's scheduler hands the next task to the next account in its pool, so
every account of the pool sends about the same number of requests in the same
hours.  Each account's set of ``hour:count`` tokens (its requests per active hour)
gets a MinHash signature; banded LSH finds sets whose estimated Jaccard similarity
reaches ``threshold``.  Accounts active in fewer than ``min_hours`` hours, or in more
than ``max_hour_share`` of the window's hours (always-on services), are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa

from distillguard.arrowsql import query
from distillguard.campaigns.links.base import LinkContext, Linker, register
from distillguard.campaigns.links.near_duplicate import similar_text_pairs
from distillguard.minhash import MinHashConfig


@register
@dataclass(frozen=True)
class RoundRobin(Linker):
    name: ClassVar[str] = "round_robin"
    description: ClassVar[str] = "receive requests in lockstep, as from one load balancer"
    kind: ClassVar[str] = "behaviour"
    weight: float = 0.5
    min_hours: int = 3
    max_hour_share: float = 0.5
    threshold: float = 0.6
    num_perm: int = 32
    bands: int = 16
    #: LSH buckets with more accounts are joined as a star to their first account.
    max_bucket: int = 200

    def check(self) -> list[tuple[str, str]]:
        out = super().check()
        if self.max_bucket < 2:
            out.append(("max_bucket", "must be >= 2"))
        return out

    def pairs(self, ctx: LinkContext) -> pa.Table:
        rows = query(
            f"""
            WITH h AS (SELECT account_id, slot AS hour, n FROM activity),
            span AS (SELECT greatest(1, max(hour) - min(hour) + 1) AS n FROM h),
            acc AS (
                SELECT account_id,
                       string_agg(hour || ':' || n, ' ' ORDER BY hour) AS text, count(*) AS k
                FROM h GROUP BY account_id
            )
            SELECT account_id, text FROM acc, span
            WHERE k >= {int(self.min_hours)} AND k <= {float(self.max_hour_share)} * span.n
            """,
            what=f"{self.name} hours",
            activity=ctx.store.activity(3600, ctx.window),
        )
        cfg = MinHashConfig(num_perm=self.num_perm, shingle="word", k=1, max_chars=1 << 20)
        return similar_text_pairs(
            ctx, rows, cfg, self.bands, self.threshold, self, max_bucket=int(self.max_bucket)
        )
