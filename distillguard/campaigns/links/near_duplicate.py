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

from distillguard.arrowsql import query
from distillguard.campaigns.links.base import (
    HotKey,
    LinkContext,
    Linker,
    empty_pairs,
    register,
)
from distillguard.minhash import (
    LSHConfig,
    MinHashConfig,
    near_duplicate_groups,
    signatures,
)
from distillguard.store import EventFilter


def similar_text_pairs(
    ctx: LinkContext,
    rows: pa.Table,
    cfg: MinHashConfig,
    bands: int,
    threshold: float,
    linker: Linker,
    *,
    max_bucket: int = 200,
) -> pa.Table:
    """Pairs of accounts holding texts in one near-duplicate group.

    ``rows`` has ``account_id, text``; each text gets a MinHash signature, banded LSH
    with ``bands`` bands finds texts whose estimated Jaccard similarity reaches
    ``threshold``, and each connected group of texts is a key its holders share
    (under ``linker``'s name and bucket caps).  An LSH bucket of more than
    ``max_bucket`` texts is joined as a star, not all its pairs
    (:func:`~distillguard.minhash.candidate_pairs`), so both steps stay linear.
    """
    if rows.num_rows < 2:
        return empty_pairs()
    sigs = signatures(rows["text"].combine_chunks(), cfg)
    lsh = LSHConfig(bands=bands, rows=cfg.num_perm // bands)
    labels = near_duplicate_groups(sigs, lsh, threshold=threshold, max_bucket=max_bucket)
    del sigs
    account_ids = rows["account_id"].combine_chunks()
    keys = pa.array(labels.astype(np.int64))
    seen = len(ctx.hot_keys)
    pairs = linker.key_pairs(ctx, pa.table({"account_id": account_ids, "key": keys}))
    if len(ctx.hot_keys) > seen:
        ctx.hot_keys[seen:] = _named(ctx.hot_keys[seen:], keys, rows["text"].combine_chunks())
    return pairs


def _named(hot: list[HotKey], labels: pa.Array, texts: pa.Array) -> list[HotKey]:
    """Hot keys named by their group's smallest text instead of its label.

    A label is a row number, which depends on the order the store returns rows in; the
    smallest text is the same on every run and reads as a prompt.  Identical texts
    always share a group, so no two groups get the same name.
    """
    wanted = pa.array(sorted({int(h.key) for h in hot}), pa.int64())
    names = query(
        "SELECT label, min(text) AS name FROM texts WHERE label IN (SELECT label FROM wanted) "
        "GROUP BY label",
        what="near-duplicate hot keys",
        texts=pa.table({"label": labels, "text": texts}),
        wanted=pa.table({"label": wanted}),
    )
    name_of = dict(zip(names["label"].to_pylist(), names["name"].to_pylist(), strict=True))
    return [HotKey(h.link_type, str(name_of[int(h.key)]), h.holders) for h in hot]


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
    #: LSH buckets with more texts are joined as a star to their first text.
    max_bucket: int = 200

    def check(self) -> list[tuple[str, str]]:
        out = super().check()
        if not 0 < self.threshold <= 1:
            out.append(("threshold", "must be in (0, 1]"))
        if self.num_perm % self.bands:
            out.append(("bands", "must divide num_perm"))
        if self.max_bucket < 2:
            out.append(("max_bucket", "must be >= 2"))
        return out

    def pairs(self, ctx: LinkContext) -> pa.Table:
        texts = ctx.store.events(
            ["account_id", "user_text"],
            EventFilter(
                window=ctx.window, exclude_benchmark=True, min_text_chars=int(self.min_chars)
            ),
            text_chars=int(self.max_chars),
        )
        rows = pa.table({"account_id": texts["account_id"], "text": texts["user_text"]})
        cfg = MinHashConfig(num_perm=self.num_perm, max_chars=self.max_chars)
        return similar_text_pairs(
            ctx, rows, cfg, self.bands, self.threshold, self, max_bucket=int(self.max_bucket)
        )
