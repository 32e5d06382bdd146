"""The verdict pipeline: risk → campaign lift → intel, each step adding its reasons,
one judgement at the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from distillguard.ingest import write_events
from distillguard.intel.match import AccountMatch
from distillguard.scan import ScanOptions, scan
from distillguard.scoring.risk import HELD_REASON, Calibration, score_accounts
from distillguard.scoring.verdicts import Reason, Verdicts
from tests.campaigns.test_detect import OPERATOR, traffic
from tests.scoring.helpers import profiles

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _elicitor(n: int) -> dict[str, object]:
    return {
        "n": n, "cot_n": n, "cap_math": n, "followup_n": 0, "tier": "free",
        "account_created_at": T0 - timedelta(days=2),
    }  # fmt: skip


def _members(*rows: tuple[str, str, float]) -> pa.Table:
    a, g, m = zip(*rows, strict=True)
    return pa.table({"account_id": list(a), "group_id": list(g), "membership": list(m)})


def test_each_step_adds_its_reason_and_evidence() -> None:
    cal = Calibration.load()
    block = cal.thresholds["block"]
    # a0, a1: five reasoning questions each (a block score on too few requests);
    # a2, a3: ordinary accounts.
    v = score_accounts(profiles([_elicitor(5), _elicitor(5), {}, {}]), cal)
    first = {r.account_id: r for r in v.judge()}
    assert first["a0"].held
    assert first["a0"].verdict == "restrict"
    assert first["a0"].reasons[-1].source == "held"
    assert first["a0"].reasons[-1].text.startswith(HELD_REASON)
    assert first["a2"].verdict == "allow"

    campaigns = pa.table({"account_id": ["cmp_1"], "score": [block + 1.0]})
    v.lift(_members(("a1", "cmp_1", 0.9), ("a2", "cmp_1", 0.5), ("a3", "cmp_1", 0.1)), campaigns)
    v.add_intel({"a0": "matches indicators shared by peer-lab in campaign c-9 (1 address)"})
    got = {r.account_id: r for r in v.judge()}

    # Intel: a block on five requests, its reason second, no held line left.
    assert got["a0"].verdict == "block"
    assert got["a0"].evidence == frozenset({"intel"})
    assert [r.source for r in got["a0"].reasons][:2] == ["traffic", "intel"]
    assert not got["a0"].held
    assert all(r.source != "held" for r in got["a0"].reasons)
    # Campaign: members lifted by their share of links (half or more counts in full).
    assert got["a1"].verdict == got["a2"].verdict == "block"
    assert got["a2"].score == pytest.approx(block + 1.0)
    assert got["a3"].score == pytest.approx(max(first["a3"].score, 0.2 * (block + 1.0)))
    assert got["a2"].reasons[1].source == "campaign"
    assert got["a2"].campaign_id == "cmp_1"
    assert got["a2"].membership == 0.5
    assert got["a3"].evidence == frozenset({"campaign"})
    # Step 1's reasons are kept as they were, the steps only add theirs.
    for a in ("a0", "a1", "a2", "a3"):
        own = [r for r in got[a].reasons if r.source == "traffic"]
        assert own == [r for r in first[a].reasons if r.source == "traffic"]


def test_the_table_is_ordered_by_final_score_then_earlier_steps() -> None:
    cal = Calibration.fit(np.linspace(0, 1, 1000))
    base = pa.table({"account_id": ["a", "b", "c", "d"]})
    reasons = [[Reason(f"{i} requests")] for i in range(4)]
    v = Verdicts(base, np.array([0.1, 0.3, 0.2, 0.9]), reasons, np.full(4, 30.0), cal)
    assert v.table()["account_id"].to_pylist() == ["d", "b", "c", "a"]
    # a and c lifted to the same score: the higher score of their own comes first.
    v.lift(
        _members(("a", "g", 1.0), ("c", "g", 1.0)), pa.table({"account_id": ["g"], "score": [2.0]})
    )
    table = v.table()
    assert table["account_id"].to_pylist() == ["c", "a", "d", "b"]
    assert table.column_names == [
        "account_id", "risk", "score", "verdict", "reasons", "campaign_id", "membership",
    ]  # fmt: skip


def test_resuming_from_a_table_judges_only_the_rows_a_step_touches() -> None:
    cal = Calibration.load()
    accounts = score_accounts(profiles([{}, {}, {}]), cal).table()
    # A row edited by hand (an analyst's override, an older calibration) stays so.
    edited = accounts.set_column(
        accounts.schema.get_field_index("verdict"), "verdict", pa.array(["watch"] * 3)
    )
    v = Verdicts.from_table(edited, cal)
    v.add_intel({"a1": "matches indicators shared by peer-lab"})
    out = {r["account_id"]: r for r in v.table().to_pylist()}
    assert out["a1"]["verdict"] == "block"
    assert out["a0"]["verdict"] == out["a2"]["verdict"] == "watch"
    assert out["a0"]["reasons"] == accounts.to_pylist()[0]["reasons"]


def test_a_scan_judges_its_accounts_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Risk, campaign lift and intel each add to the accounts; the verdict rule runs
    over the accounts once (campaign detection judges its groups, not the accounts)."""
    write_events(traffic(), tmp_path / "events.parquet")
    sizes: list[int] = []
    judge = Calibration.judge

    def counting(self: Calibration, scores: Any, *args: Any, **kw: Any) -> Any:
        sizes.append(len(scores))
        return judge(self, scores, *args, **kw)

    def matched(*args: Any, **kw: Any) -> tuple[list[AccountMatch], Path]:
        path = tmp_path / "out" / "intel_matches.parquet"
        return [AccountMatch("u00", "peer-lab", "c-9", 1.0, {"ip": {"h"}}, events=5)], path

    monkeypatch.setattr(Calibration, "judge", counting)
    monkeypatch.setattr("distillguard.intel.match.match_intel_file", matched)
    res = scan(
        [tmp_path / "events.parquet"],
        ScanOptions(
            store=tmp_path / "s.duckdb", out=tmp_path / "out", reports=False,
            intel=tmp_path / "unused.jsonl",
        ),
    )  # fmt: skip
    n = res.accounts.num_rows
    assert sizes.count(n) == 1
    assert all(s < n for s in sizes if s != n)
    rows = {r["account_id"]: r for r in res.accounts.to_pylist()}
    assert rows["u00"]["verdict"] == "block"
    assert rows["u00"]["reasons"][1].startswith("matches indicators shared by peer-lab")
    assert {rows[a]["campaign_id"] for a in OPERATOR} != {None}
