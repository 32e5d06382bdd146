"""Task pools: content-held groups tested on what they were served (campaigns/task_pool.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from distillguard.campaigns.detect import CampaignConfig, detect_campaigns
from distillguard.campaigns.task_pool import (
    TaskPoolConfig,
    benjamini_hochberg,
    find_task_pools,
    standardise,
)
from distillguard.errors import DistillguardError
from distillguard.ingest import write_events
from distillguard.schema import EVENT_SCHEMA, PARAM_FIELDS
from distillguard.scoring.risk import Calibration, score_profiles
from distillguard.store.duckdb import Store

CONTENT = frozenset({"near_duplicate", "template", "source_set"})


def _profiles(rates: dict[str, float], n: int = 10) -> pa.Table:
    ids = sorted(rates)
    return pa.table(
        {
            "account_id": pa.array(ids, pa.string()),
            "n": pa.array([n] * len(ids), pa.int64()),
            "completion_tokens": pa.array([int(rates[a] * n) for a in ids], pa.int64()),
        }
    )


def _groups(assign: dict[str, str]) -> pa.Table:
    return pa.table(
        {
            "account_id": pa.array(list(assign), pa.string()),
            "group_id": pa.array(list(assign.values()), pa.string()),
            "membership": pa.array([1.0] * len(assign), pa.float64()),
        }
    )


def _links(pairs: list[tuple[str, str, str]]) -> pa.Table:
    return pa.table(
        {
            "src": pa.array([min(a, b) for a, b, _ in pairs], pa.string()),
            "dst": pa.array([max(a, b) for a, b, _ in pairs], pa.string()),
            "link_type": pa.array([t for _, _, t in pairs], pa.string()),
            "strength": pa.array([1.0] * len(pairs), pa.float64()),
            "shared": pa.array([1] * len(pairs), pa.int64()),
            "weight": pa.array([1.0] * len(pairs), pa.float64()),
        }
    )


def _ring(ids: list[str], kind: str) -> list[tuple[str, str, str]]:
    """Each account linked to the next two: every account has >= 2 neighbours."""
    k = len(ids)
    return [(ids[i], ids[(i + d) % k], kind) for i in range(k) for d in (1, 2)]


@pytest.fixture(scope="module")
def population() -> dict[str, Any]:
    rng = np.random.default_rng(7)
    rates = {f"u{i:04d}": float(rng.lognormal(np.log(300), 0.4)) for i in range(2000)}
    pool = [f"p{i:02d}" for i in range(40)]
    rates.update({a: float(rng.lognormal(np.log(1000), 0.15)) for a in pool})
    # A heavy organisation, held together by its address: 1% of the population.
    org = [f"o{i:02d}" for i in range(20)]
    rates.update({a: float(rng.lognormal(np.log(700), 0.15)) for a in org})
    crowd = [f"u{i:04d}" for i in range(100)]  # ordinary users sharing a popular prompt
    assign = (
        dict.fromkeys(pool, "g_pool")
        | dict.fromkeys(org, "g_org")
        | dict.fromkeys(crowd, "g_crowd")
    )
    links = _links(_ring(pool, "near_duplicate") + _ring(org, "ip") + _ring(crowd, "template"))
    return {
        "rates": rates,
        "pool": pool,
        "org": org,
        "crowd": crowd,
        "assign": assign,
        "links": links,
    }


def _find(pop: dict[str, Any], **kw: Any) -> Any:
    return find_task_pools(
        _profiles(pop["rates"]),
        _groups(pop["assign"]),
        pop["links"],
        CONTENT,
        0.9,
        TaskPoolConfig(**kw),
    )


def test_a_content_held_group_served_far_more_is_flagged(population: dict[str, Any]) -> None:
    found = _find(population)
    tests = {r["group_id"]: r for r in found.tests.to_pylist()}
    # Only content-held groups are tested: the address-held organisation is not.
    assert set(tests) == {"g_pool", "g_crowd"}
    assert tests["g_pool"]["flagged"]
    assert tests["g_pool"]["members"] == found.members.num_rows
    assert tests["g_pool"]["p_value"] < 1e-9
    assert not tests["g_crowd"]["flagged"]
    assert abs(tests["g_crowd"]["effect"]) < 0.5
    assert found.flagged["account_id"].to_pylist() == ["pool_g_pool"]
    assert found.flagged["score"].to_pylist() == [0.9]  # the restrict threshold given
    reasons = found.flagged["reasons"].to_pylist()[0]
    assert "a task pool: 40 accounts held together by shared content" in reasons[1]
    assert "completion tokens per request" in reasons[2]
    members = set(found.members["account_id"].to_pylist())
    assert members <= set(population["pool"])
    assert len(members) >= 30
    assert set(found.members["membership"].to_pylist()) == {1.0}


def test_members_need_their_own_take_and_links(population: dict[str, Any]) -> None:
    pop = dict(population)
    rates = dict(pop["rates"])
    rates["p00"] = 250.0  # linked, but served like anyone: not a member
    pop["rates"] = rates
    found = _find(pop)
    members = set(found.members["account_id"].to_pylist())
    assert "p00" not in members
    assert "p05" in members
    # Fewer content links than required: nobody qualifies, nothing is reported.
    none = _find(pop, min_member_links=5)
    assert none.members.num_rows == 0
    assert none.flagged.num_rows == 0
    row = {r["group_id"]: r for r in none.tests.to_pylist()}["g_pool"]
    assert row["flagged"]  # the test still rejects; with no members nothing is reported
    assert row["members"] == 0


def test_a_small_shift_in_a_large_group_is_not_acted_on() -> None:
    rng = np.random.default_rng(3)
    rates = {f"u{i:04d}": float(rng.lognormal(np.log(300), 0.6)) for i in range(4000)}
    big = [f"u{i:04d}" for i in range(1500)]
    for a in big:
        rates[a] *= 1.15  # significant over 1,500 accounts, but a tenth of a deviation
    pop = {
        "rates": rates,
        "assign": dict.fromkeys(big, "g_big"),
        "links": _links(_ring(big, "near_duplicate")),
    }
    found = _find(pop)
    row = found.tests.to_pylist()[0]
    assert row["p_value"] < 0.001
    assert not row["flagged"]
    assert found.members.num_rows == 0


def test_disabled_and_bad_config(population: dict[str, Any]) -> None:
    assert _find(population, enabled=False).flagged.num_rows == 0
    with pytest.raises(DistillguardError, match="task_pool") as exc:
        _find(population, fdr=0.0)
    assert exc.value.field == "task_pool.fdr"


def test_helpers() -> None:
    p = np.array([0.5, 1e-8, 0.02, 0.001])
    assert benjamini_hochberg(p, 0.01).tolist() == [False, True, False, True]
    assert benjamini_hochberg(np.array([]), 0.01).tolist() == []
    u, sd = standardise(np.array([5.0] * 10), 4.0)
    assert u.tolist() == [0.0] * 10
    assert sd == 1.0


# ------------------------------------------------------------ through the scan's store

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
POOL_TASKS = [
    f"Write a function that returns the number of distinct {w} in a list of {x} (case {i})."
    for i, (w, x) in enumerate(
        (w, x)
        for w in ("pairs", "triples", "runs", "peaks", "valleys", "inversions")
        for x in ("integers", "strings", "dates", "floats", "tuples")
    )
]


def _event(n: int, account: str, ts: datetime, text: str, tokens: int, i: int) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(EVENT_SCHEMA.names)
    row.update(
        event_id=f"e{n:06d}",
        ts=ts,
        account_id=account,
        model="gpt-x",
        messages=[{"role": "user", "content": text}],
        params=dict.fromkeys(PARAM_FIELDS),
        completion_tokens=tokens,
        status=200,
        ip=f"10.{i // 250}.{i % 250}.7",
        org_id=f"org-{account}",
        user_agent="OpenAI/Python 1.82.0",
        account_tier="paid",
        account_created_at=T0 - timedelta(days=60 + i % 200),
    )
    return row


WORDS = (
    "garden",
    "budget",
    "invoice",
    "poem",
    "recipe",
    "trip",
    "email",
    "resume",
    "heater",
    "bakery",
    "lisbon",
    "python",
    "essay",
    "history",
    "landlord",
    "tax",
    "guitar",
    "novel",
    "dinner",
    "birthday",
    "meeting",
    "slides",
    "printer",
    "bike",
    "marathon",
    "interview",
    "ferry",
    "museum",
    "coffee",
    "puppy",
    "vacation",
)


def _chat(rng: np.random.Generator) -> str:
    """An ordinary request of its own (no two users share a prefix or a template)."""
    words = " ".join(rng.choice(WORDS, size=int(rng.integers(6, 12))))
    return f"{words.capitalize()}? {int(rng.integers(10**6))}"


def _traffic() -> pa.Table:
    rng = np.random.default_rng(11)
    rows = []
    n = 0
    span = 14 * 24 * 60
    for i in range(400):
        acct = f"user{i:03d}"
        for _ in range(8):
            ts = T0 + timedelta(minutes=int(rng.integers(span)))
            tokens = int(rng.lognormal(np.log(300), 0.4))
            rows.append(_event(n, acct, ts, _chat(rng), tokens, i))
            n += 1
    for i in range(36):
        acct = f"pool{i:02d}"
        for j in range(8):
            task = POOL_TASKS[(i * 3 + j * 7) % len(POOL_TASKS)]
            tokens = int(rng.lognormal(np.log(1100), 0.2))
            ts = T0 + timedelta(minutes=int(rng.integers(span)))
            rows.append(_event(n, acct, ts, task, tokens, 1000 + i))
            n += 1
    rows.sort(key=lambda r: r["ts"])
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)


@pytest.fixture(scope="module")
def pool_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pool")
    write_events(_traffic(), d / "events.parquet")
    with Store(d / "s.duckdb") as s:
        s.load([d / "events.parquet"])
    return d / "s.duckdb"


def _scan(path: Path, **cfg: Any) -> Any:
    cal = Calibration.load()
    with Store(path) as s:
        accounts = score_profiles(s.profile_table(), cal)
        return accounts, detect_campaigns(s, accounts, cal, cfg=CampaignConfig(**cfg)), cal


def test_a_quiet_pool_is_found_through_the_store(pool_store: Path) -> None:
    before, result, cal = _scan(pool_store)
    restrict = cal.thresholds["restrict"]
    score = dict(zip(before["account_id"].to_pylist(), before["score"].to_pylist(), strict=True))
    pool = {f"pool{i:02d}" for i in range(36)}
    # Alone, no pool account reaches restrict: nothing in a request gives it away.
    assert max(score[a] for a in pool) < restrict
    camps = result.campaigns.to_pylist()
    assert len(camps) == 1
    assert camps[0]["reasons"][1].startswith("a task pool: 36 accounts")
    assert "completion tokens per request" in camps[0]["reasons"][2]
    members = set(camps[0]["accounts"])
    assert members <= pool
    assert len(members) >= 27
    after = {r["account_id"]: r for r in result.accounts.to_pylist()}
    assert all(after[a]["verdict"] == "restrict" for a in members)
    assert all(after[a]["campaign_id"] == camps[0]["campaign_id"] for a in members)
    users = [r for a, r in after.items() if a.startswith("user")]
    assert all(r["verdict"] in ("allow", "watch") for r in users)


def test_switched_off_the_pool_is_not_a_campaign(pool_store: Path) -> None:
    _, result, _ = _scan(pool_store, task_pool=TaskPoolConfig(enabled=False))
    assert result.campaigns.num_rows == 0


def test_task_pool_membership_is_not_independent_evidence_for_a_block() -> None:
    from distillguard.scoring.verdicts import TASK_POOL_PREFIX, Verdicts

    cal = Calibration.load()
    block, restrict = cal.thresholds["block"], cal.thresholds["restrict"]
    accounts = pa.table(
        {
            "account_id": ["a", "b"],
            "score": [block + 0.1] * 2,
            "risk": [0.9] * 2,
            "verdict": ["allow"] * 2,
            "reasons": [["x"]] * 2,
            "requests": [5, 5],
        }
    )
    v = Verdicts.from_table(accounts, cal)
    pool, camp = f"{TASK_POOL_PREFIX}abc", "cmp_abc"
    v.lift(
        pa.table({"account_id": ["a", "b"], "group_id": [pool, camp], "membership": [1.0, 1.0]}),
        pa.table({"account_id": [pool, camp], "score": [restrict, restrict]}),
    )
    assert v.evidence["campaign"].tolist() == [False, True]
    judged = {r.account_id: r for r in v.judge()}
    # Five requests of its own are too few for a block without independent evidence:
    # the task-pool member stops at restrict, the member of a linked campaign does not.
    assert judged["a"].verdict == "restrict"
    assert judged["b"].verdict == "block"
    assert judged["a"].campaign_id == pool
    # Read back from an accounts table, the same holds.
    again = Verdicts.from_table(v.table(), cal)
    assert again.evidence["campaign"].tolist() == [False, True]
