"""Near-duplicate prompts: accounts sending the same or nearly the same text.

One operator's accounts share templates (paraphrased or not) and often the very
same harvested tasks.  Every request's user text (public benchmark items aside:
evaluation users legitimately send those verbatim) gets a MinHash signature;
banded LSH finds texts whose estimated Jaccard similarity of word 3-grams reaches
``threshold``, and each connected group of such texts is a key its senders share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa

from distillguard.campaigns.links.base import (
    LinkContext,
    Linker,
    empty_pairs,
    register,
    shared_key_pairs,
)
from distillguard.campaigns.minhash import (
    LSHConfig,
    MinHashConfig,
    near_duplicate_groups,
    signatures,
)


def grouped_holders(
    accounts: pa.Array, sigs: np.ndarray, lsh: LSHConfig, threshold: float
) -> pa.Table:
    """``account_id, key`` where key is the near-duplicate group of each row's signature."""
    labels = near_duplicate_groups(sigs, lsh, threshold=threshold)
    return pa.table({"account_id": accounts, "key": pa.array(labels.astype(np.int64))})


@register
@dataclass(frozen=True)
class NearDuplicate(Linker):
    name: ClassVar[str] = "near_duplicate"
    description: ClassVar[str] = "send near-duplicate prompts"
    kind: ClassVar[str] = "content"
    weight: float = 0.5
    threshold: float = 0.7
    #: Shorter texts ("hi", "thanks") are shared by everybody and say nothing.
    min_chars: int = 40
    max_chars: int = 600
    num_perm: int = 32
    bands: int = 8

    def check(self) -> list[tuple[str, str]]:
        out = super().check()
        if not 0 < self.threshold <= 1:
            out.append(("threshold", "must be in (0, 1]"))
        if self.num_perm % self.bands:
            out.append(("bands", "must divide num_perm"))
        return out

    def pairs(self, ctx: LinkContext) -> pa.Table:
        rows = ctx.con.sql(
            f"""
            SELECT account_id, left(user_text, {int(self.max_chars)}) AS text FROM win_events
            WHERE NOT coalesce(benchmark_match, false)
              AND length(user_text) >= {int(self.min_chars)}
            """
        ).to_arrow_table()
        if rows.num_rows < 2:
            return empty_pairs()
        cfg = MinHashConfig(num_perm=self.num_perm, max_chars=self.max_chars)
        sigs = signatures(rows["text"].combine_chunks(), cfg)
        lsh = LSHConfig(bands=self.bands, rows=self.num_perm // self.bands)
        holders = grouped_holders(rows["account_id"].combine_chunks(), sigs, lsh, self.threshold)
        del sigs, rows
        ctx.con.register("nd_holders", holders)
        try:
            return shared_key_pairs(
                ctx.con, "SELECT account_id, key FROM nd_holders", what=self.name
            )
        finally:
            ctx.con.unregister("nd_holders")
