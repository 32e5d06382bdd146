"""Profile tables written by hand, as the store's ``profile_table`` returns them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pyarrow as pa


def profiles(rows: Sequence[Mapping[str, object]]) -> pa.Table:
    """One profile row per mapping (ids ``a0``, ``a1``, ...): a 10-request paid account
    a year old with half its requests follow-ups, overridden by the mapping's keys."""
    base: dict[str, object] = {
        "n": 10, "active_days": 1, "completion_tokens": 1000, "reasoning_tokens": 0, "cot_n": 0,
        "cap_coding": 0, "cap_math": 0, "cap_reasoning": 0, "cap_agentic": 0, "cap_writing": 0,
        "followup_n": 5, "top_prefix_n": 1, "top_suffix_n": 1, "distinct_prefixes": 10,
        "harvest_score_sum": 0.0, "bench_n": 0, "gap_n": 0, "gap_sum": 0.0, "gap_sq_sum": 0.0,
        "first_ts": dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        "account_created_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC), "tier": "paid",
        "distinct_ips": 1,
        **{f"h{h:02d}": 0 for h in range(24)},
    }  # fmt: skip
    return pa.Table.from_pylist([{**base, "account_id": f"a{i}", **r} for i, r in enumerate(rows)])
