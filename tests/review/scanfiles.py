"""Small scan outputs and logs for the review tests (written as a scan writes them)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.campaigns.detect import CAMPAIGN_SCHEMA


def write_scan(out: Path) -> Path:
    """``accounts.parquet`` and ``campaigns.parquet``: a blocked account (a false
    positive in the tests), a campaign of two, and a benign account."""
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table({
            "account_id": ["acct-fp", "acct-c1", "acct-c2", "acct-ok"],
            "risk": [0.999, 0.97, 0.96, 0.01],
            "verdict": ["block", "restrict", "restrict", "allow"],
            "requests": [400, 120, 110, 5],
            "reasons": [
                ["score 3.1", "chain-of-thought asked in 92% of requests (median 1%)",
                 "narrow templates"],
                ["score 1.2", "linked to acct-c2"], ["score 1.1", "linked to acct-c1"],
                ["score 0.1"],
            ],
            "campaign_id": [None, "orion", "orion", None],
        }),
        out / "accounts.parquet",
    )  # fmt: skip
    t0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    campaign = {
        "campaign_id": "orion", "score": 1.5, "risk": 0.98, "verdict": "restrict",
        "n_accounts": 2, "accounts": ["acct-c1", "acct-c2"], "n_events": 230,
        "cot_events": 200, "first_ts": t0, "last_ts": t0 + dt.timedelta(days=2),
        "completion_tokens": 10_000, "reasoning_tokens": 5_000,
        "capabilities": [{"name": "reasoning", "n": 200}],
        "evidence": [{"link_type": "shared_payment", "pairs": 1, "accounts": 2, "weight": 1.0,
                      "detail": "one card"}],
        "reasons": ["2 accounts linked by shared_payment; 230 requests together"],
    }  # fmt: skip
    pq.write_table(
        pa.Table.from_pylist([campaign], schema=CAMPAIGN_SCHEMA), out / "campaigns.parquet"
    )
    return out


def write_logs(path: Path, accounts: list[str], per_account: int = 12) -> Path:
    """A JSON Lines log of plain requests by ``accounts``."""
    t0 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    with path.open("w", encoding="utf-8") as fh:
        for a, account in enumerate(accounts):
            for i in range(per_account):
                ts = t0 + dt.timedelta(minutes=37 * i + a)
                row = {
                    "event_id": f"{account}-{i}", "ts": ts.isoformat(), "account_id": account,
                    "model": "m", "account_tier": "paid",
                    "messages": [{"role": "user",
                                  "content": f"question {i} from {account}: how do I cook rice?"}],
                    "completion_tokens": 40 + i, "prompt_tokens": 12,
                }  # fmt: skip
                fh.write(json.dumps(row) + "\n")
    return path
