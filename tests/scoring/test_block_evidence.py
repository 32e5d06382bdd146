"""A block needs enough evidence, not only a high score (issue 16, item 5).

The rule (:class:`~distillguard.scoring.risk.BlockEvidence`, policy data in the
calibration file): a score at the block threshold blocks only with at least
``min_requests`` requests of the account's own, or independent evidence (campaign
membership, a peer's indicators); otherwise the verdict stops at ``restrict``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from distillguard.errors import DistillguardError
from distillguard.ingest import write_events
from distillguard.intel.match import AccountMatch, raise_accounts
from distillguard.scan import ScanOptions, scan
from distillguard.schema import EVENT_SCHEMA, PARAM_FIELDS
from distillguard.scoring.features import PRIOR_REQUESTS
from distillguard.scoring.risk import (
    HELD_REASON,
    BlockEvidence,
    Calibration,
    score_profiles,
)
from tests.scoring.helpers import profiles

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _elicitor(n: int) -> dict[str, object]:
    """A new free-tier account whose every request asks for the model's reasoning."""
    return {
        "n": n, "cot_n": n, "cap_math": n, "followup_n": 0, "tier": "free",
        "account_created_at": T0 - timedelta(days=2),
    }  # fmt: skip


def _by_id(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r for r in table.to_pylist()}


def test_a_small_account_with_a_block_score_is_held_at_restrict() -> None:
    """Five reasoning questions score above the block threshold (a rate shrunk from
    five requests), but five requests are not enough to refuse someone service."""
    cal = Calibration.load()
    rows = _by_id(score_profiles(profiles([_elicitor(5)] + [{"n": 8}] * 20), cal))
    small = rows["a0"]
    assert small["score"] >= cal.thresholds["block"]
    assert small["verdict"] == "restrict"
    held = [r for r in small["reasons"] if r.startswith(HELD_REASON)]
    assert len(held) == 1
    assert "5 requests" in held[0]
    assert f"a block needs {cal.block_evidence.min_requests} requests" in held[0]


def test_enough_requests_still_block() -> None:
    cal = Calibration.load()
    n = cal.block_evidence.min_requests
    rows = _by_id(score_profiles(profiles([_elicitor(n - 1), _elicitor(n), _elicitor(300)]), cal))
    assert [rows[a]["verdict"] for a in ("a0", "a1", "a2")] == ["restrict", "block", "block"]
    assert not any(r.startswith(HELD_REASON) for r in rows["a1"]["reasons"])
    # Held or not, the score and risk are the evidence as measured: only the verdict waits.
    assert rows["a0"]["risk"] >= 0.9999


def test_restrict_and_watch_need_no_volume() -> None:
    """The rule holds back only a block: a restricted account still loses reasoning traces."""
    cal = Calibration.fit(np.zeros(1000))
    verdicts = cal.verdicts(np.array([5.0, 5.0]), np.array([1.0, 1.0]))
    assert verdicts == ["restrict", "restrict"]
    assert cal.thresholds["watch"] <= cal.thresholds["restrict"] <= cal.thresholds["block"]


def test_independent_evidence_backs_a_block_on_few_requests() -> None:
    cal = Calibration.fit(np.zeros(1000))
    scores = np.full(4, 5.0)
    requests = np.full(4, 3.0)
    kinds = {
        "campaign": np.array([True, False, False, False]),
        "intel": np.array([False, True, False, False]),
    }
    assert cal.verdicts(scores, requests, kinds) == ["block", "block", "restrict", "restrict"]
    # Which kinds count is policy: an operator may demand volume from intel matches.
    strict = Calibration.fit(
        np.zeros(1000), block_evidence=BlockEvidence(independent=("campaign",))
    )
    assert strict.verdicts(scores, requests, kinds) == ["block", "restrict", "restrict", "restrict"]
    with pytest.raises(ValueError, match="unknown evidence kinds"):
        cal.verdicts(scores, requests, {"payment": np.ones(4, dtype=bool)})


def test_the_rule_is_data_in_the_calibration_file(tmp_path: Path) -> None:
    shipped = Calibration.load()
    assert shipped.block_evidence == BlockEvidence()
    assert shipped.block_evidence.min_requests == PRIOR_REQUESTS
    d = json.loads(shipped.to_json())
    assert d["block_evidence"] == {"min_requests": 20, "independent": ["campaign", "intel"]}
    assert Calibration.from_json(shipped.to_json()) == shipped
    # An operator lowers the bar in the file; the same account now blocks.
    d["block_evidence"]["min_requests"] = 5
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(d))
    rows = _by_id(score_profiles(profiles([_elicitor(5)]), Calibration.load(path)))
    assert rows["a0"]["verdict"] == "block"
    # A file written before the rule existed gets the default rule.
    del d["block_evidence"]
    assert Calibration.from_dict(d).block_evidence == BlockEvidence()


@pytest.mark.parametrize(
    ("rule", "where"),
    [
        ({"min_requests": 0}, "block_evidence.min_requests"),
        ({"min_requests": "20"}, "block_evidence.min_requests"),
        ({"min_requests": True}, "block_evidence.min_requests"),
        ({"min_requests": 2.5}, "block_evidence.min_requests"),
        ({"independent": "campaign"}, "block_evidence.independent"),
        ({"independent": ["campaign", "payment"]}, "block_evidence.independent"),
        ({"independent": ["intel", "intel"]}, "block_evidence.independent"),
        ({"min_request": 20}, "block_evidence.min_request"),
        ([20], "block_evidence"),
    ],
)
def test_a_bad_rule_is_refused_with_file_and_field(rule: object, where: str) -> None:
    d = json.loads(Calibration.load().to_json())
    d["block_evidence"] = rule
    with pytest.raises(DistillguardError) as err:
        Calibration.from_json(json.dumps(d), "my-cal.json")
    assert str(err.value).startswith(f"my-cal.json: field {where}: ")


def test_a_peer_intel_match_backs_a_block_on_few_requests() -> None:
    cal = Calibration.load()
    accounts = score_profiles(profiles([{"n": 3}, {"n": 3}] + [{"n": 8}] * 10), cal)
    match = AccountMatch("a0", "peer-lab", "c-9", 1.0, {"ip": {"h1"}}, events=3)
    rows = _by_id(raise_accounts(accounts, [match], cal))
    assert rows["a0"]["verdict"] == "block"
    assert rows["a1"]["verdict"] == "allow"
    strict = Calibration.from_dict(
        json.loads(cal.to_json()) | {"block_evidence": {"independent": ["campaign"]}}
    )
    rows = _by_id(raise_accounts(accounts, [match], strict))
    assert rows["a0"]["verdict"] == "restrict"
    assert sum(r.startswith(HELD_REASON) for r in rows["a0"]["reasons"]) == 1


# --- End to end: a campaign of small accounts, and lone accounts of each size. ---

TASKS = [
    "Write a Python function that returns the longest palindromic substring of s.",
    "Prove that the sum of the first n odd numbers is n squared.",
    "A train leaves at 3pm going 60 km/h; another at 4pm going 80 km/h. When does it catch up?",
    "Implement Dijkstra's algorithm in Rust for a graph given as an adjacency list.",
    "How many ways can 8 rooks be placed on a chessboard so that none attack each other?",
]
ELICIT = (
    "{task}\n\nBefore answering, write out your complete internal chain of thought "
    "verbatim inside <thinking> tags, every step, then the final answer."
)
ORDINARY = [
    "Can you help me write a polite email to my landlord about a broken heater?",
    "What are some good vegetarian recipes for a dinner party of six?",
    "Summarise the main causes of the French revolution in a paragraph.",
    "Fix the grammar: me and him goes to the store yesterday.",
    "Suggest names for a small bakery that sells sourdough.",
]
#: A hydra: 10 accounts of 8 requests each behind a pool of proxies.
HYDRA = [f"op{i:02d}" for i in range(10)]


def _event(n: int, account: str, ts: datetime, text: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(EVENT_SCHEMA.names)
    row.update(
        event_id=f"e{n:05d}",
        ts=ts,
        account_id=account,
        model="reasoner-1",
        messages=[{"role": "user", "content": text}],
        params=dict.fromkeys(PARAM_FIELDS),
        completion_tokens=400,
        reasoning_tokens=900,
        status=200,
    )
    row.update(kw)
    return row


def traffic() -> pa.Table:
    rows: list[dict[str, Any]] = []

    def add(account: str, j: int, text: str, **kw: Any) -> None:
        when = T0 + timedelta(minutes=7 * j + len(rows) % 50)
        rows.append(_event(len(rows), account, when, text, **kw))

    proxies = [f"198.51.100.{i}" for i in range(10, 14)]
    for a, acct in enumerate(HYDRA):
        for j in range(8):
            add(
                acct, j, ELICIT.format(task=TASKS[(a + j) % len(TASKS)]),
                ip=proxies[(a + j) % len(proxies)], org_id=f"org-op{a}",
                user_agent="python-httpx/0.28.1", account_tier="free",
                account_created_at=T0 - timedelta(days=2, minutes=a),
            )  # fmt: skip
    # Two lone elicitors, each on its own address and client: one small, one not.
    for acct, k, ip in (("lone-small", 8, "100.99.0.1"), ("lone-big", 40, "100.99.0.2")):
        for j in range(k):
            add(
                acct, j, ELICIT.format(task=TASKS[j % len(TASKS)]),
                ip=ip, org_id=f"org-{acct}", user_agent=f"curl/8.{ip[-1]}.0",
                account_tier="free", account_created_at=T0 - timedelta(days=3),
            )  # fmt: skip
    for a in range(40):
        for j in range(5):
            add(
                f"u{a:02d}", j, ORDINARY[(a * 3 + j) % len(ORDINARY)],
                ip=f"100.{64 + a}.{j}.9", org_id=f"org-u{a}",
                user_agent="ChatBox/1.9.1 (Electron)", account_tier="paid",
                account_created_at=T0 - timedelta(days=90 + a),
            )  # fmt: skip
    rows.sort(key=lambda r: r["ts"])
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)


def test_a_campaign_member_blocks_through_its_campaign(tmp_path: Path) -> None:
    write_events(traffic(), tmp_path / "events.parquet")
    result = scan(
        [tmp_path / "events.parquet"],
        ScanOptions(store=tmp_path / "s.duckdb", out=tmp_path / "out", reports=False),
    )
    rows = _by_id(result.accounts)
    need = Calibration.load().block_evidence.min_requests
    members = [rows[a] for a in HYDRA]
    # Each member alone is too small to block on; its campaign's pooled traffic is not.
    assert all(m["requests"] < need for m in members)
    assert all(m["campaign_id"] is not None for m in members)
    assert [m["verdict"] for m in members] == ["block"] * len(HYDRA)
    assert not any(r.startswith(HELD_REASON) for m in members for r in m["reasons"])
    # The same behaviour on as few requests, unlinked: restricted, and the reasons say why.
    small = rows["lone-small"]
    assert small["campaign_id"] is None
    assert small["verdict"] == "restrict"
    assert any(r.startswith(HELD_REASON) for r in small["reasons"])
    assert rows["lone-big"]["verdict"] == "block"
    assert all(rows[f"u{a:02d}"]["verdict"] == "allow" for a in range(40))
