"""Synchronised activity: accounts whose requests arrive in the same time slots.

A scheduler driving many accounts wakes them together: their sets of active
``slot_minutes`` slots overlap far more than strangers' do.  Each account with at
least ``min_slots`` active slots gets a MinHash signature of its slot set; banded
LSH finds sets whose estimated Jaccard similarity reaches ``threshold``.  Always-on
services are active in every slot and would all look synchronised, so accounts
active in more than ``max_slot_share`` of the window's slots are left out.
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
class SyncActivity(Linker):
    name: ClassVar[str] = "sync"
    description: ClassVar[str] = "are active in the same time slots"
    kind: ClassVar[str] = "behaviour"
    weight: float = 0.5
    slot_minutes: int = 10
    min_slots: int = 5
    max_slot_share: float = 0.2
    threshold: float = 0.5
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
            WITH s AS (SELECT DISTINCT account_id, slot FROM activity),
            span AS (SELECT greatest(1, max(slot) - min(slot) + 1) AS n FROM s),
            acc AS (
                SELECT account_id, string_agg(CAST(slot AS VARCHAR), ' ' ORDER BY slot) AS text,
                       count(*) AS k
                FROM s GROUP BY account_id
            )
            SELECT account_id, text FROM acc, span
            WHERE k >= {int(self.min_slots)} AND k <= {float(self.max_slot_share)} * span.n
            """,
            what=f"{self.name} slots",
            activity=ctx.store.activity(int(self.slot_minutes) * 60, ctx.window),
        )
        cfg = MinHashConfig(num_perm=self.num_perm, shingle="word", k=1, max_chars=1 << 20)
        return similar_text_pairs(
            ctx, rows, cfg, self.bands, self.threshold, self, max_bucket=int(self.max_bucket)
        )
