"""The leak audit: no plain per-account aggregate gives a scenario's attackers away.

The unit tests check the AUC and the aggregates on small hand-made tables; the
corpus test simulates every shipped scenario and fails when an undocumented
feature separates its attackers at AUC 0.995 (``distillguard leak-audit`` does the
same on demand, at any size).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from distillguard.cli import app
from distillguard.datafile import DataFileError
from distillguard.schema import EVENT_SCHEMA, LABEL_SCHEMA
from distillguard_lab.leak_audit import (
    FEATURE_NAMES,
    FEATURES,
    THRESHOLD,
    Tells,
    account_aggregates,
    audit_aggregates,
    audit_dir,
    audit_scenario,
    feature_auc,
    file_aggregates,
    load_tells,
)
from distillguard_lab.sim.corpus import Corpus
from distillguard_lab.sim.pools import Pools
from distillguard_lab.sim.scenario import load_scenario, shipped_scenarios

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
NO_TELLS = Tells(sources={}, tells=())


# --------------------------------------------------------------------------- AUC


def test_auc_of_a_perfect_separator_in_either_direction() -> None:
    y = [True, True, False, False, False]
    assert feature_auc(pa.array([9.0, 8.0, 1.0, 2.0, 3.0]), y) == (1.0, "higher")
    assert feature_auc(pa.array([0.0, 0.5, 1.0, 2.0, 3.0]), y) == (1.0, "lower")


def test_auc_counts_ties_half() -> None:
    assert feature_auc(pa.array([1.0, 1.0, 1.0, 1.0]), [True, False, True, False])[0] == 0.5
    # 1 attack at 2 vs benign {1, 2}: one win, one tie -> 0.75
    assert feature_auc(pa.array([2.0, 1.0, 2.0]), [True, False, False])[0] == 0.75


def test_auc_matches_sklearn_on_random_data() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    for _ in range(20):
        y = rng.random(300) < 0.2
        x = np.round(rng.normal(size=300) + 0.6 * y, 1)  # rounded: many ties
        ref = float(metrics.roc_auc_score(y, x))
        auc, _ = feature_auc(pa.array(x), y.tolist())
        assert auc == pytest.approx(max(ref, 1 - ref), abs=1e-12)


def test_missing_values_sort_low_or_high_whichever_separates_better() -> None:
    y = [True, True, False, False]
    # Attackers have no value at all (e.g. one request, so no gap): that alone separates.
    assert feature_auc(pa.array([None, None, 5.0, 1.0], pa.float64()), y)[0] == 1.0
    assert feature_auc(pa.array([1.0, 2.0, None, None], pa.float64()), y)[0] == 1.0


def test_categorical_auc_leaves_each_accounts_own_label_out() -> None:
    # Every attacker on a tier no benign account has: a perfect separator.
    y = [True, True, True, False, False, False, False]
    tiers = pa.array(["edu", "edu", "edu", "free", "paid", "free", "paid"])
    assert feature_auc(tiers, y) == (1.0, "category")
    # One attacker alone on a rare client string is not evidence that the string
    # separates anything: without its own label its category is at the prior.
    rare = pa.array(["x/1", "y/1", "z/1", "y/1", "z/1", "x/2", "y/2"])
    assert feature_auc(rare, y)[0] < 0.9


def test_auc_is_a_half_when_one_class_is_empty() -> None:
    assert feature_auc(pa.array([1.0, 2.0]), [True, True]) == (0.5, "none")


def test_auc_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="3 values but 2 labels"):
        feature_auc(pa.array([1.0, 2.0, 3.0]), [True, False])


# --------------------------------------------------------------------------- aggregates


def _event(account: str, minutes: float, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "event_id": f"ev_{account}_{minutes}",
        "ts": T0 + dt.timedelta(minutes=minutes),
        "account_id": account,
        "model": "chat-large",
        "messages": [{"role": "user", "content": "hello"}],
    }
    row.update(kw)
    return row


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    cols = {f.name: [r.get(f.name) for r in rows] for f in EVENT_SCHEMA}
    return pa.Table.from_pydict(cols, schema=EVENT_SCHEMA)


def _tiny() -> pa.Table:
    created = T0 - dt.timedelta(days=2)
    a = {
        "ip": "1.2.3.4",
        "account_created_at": created,
        "payment_fingerprint": "pm_1",
        "org_id": "org_a",
        "account_tier": "free",
        "user_agent": "OpenAI/Python 1.82.0",
    }
    return _table(
        [
            _event(
                "a",
                0,
                **a,
                params={"n": 4, "logprobs": True, "temperature": 0.7, "stream": True},
                completion_tokens=100,
                reasoning_tokens=50,
                prompt_tokens=10,
                status=200,
            ),
            _event(
                "a",
                60,
                **(a | {"ip": "1.2.3.9"}),
                messages=[
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "hello!"},
                    {"role": "user", "content": "1234567890"},
                ],
                completion_tokens=300,
                prompt_tokens=30,
                status=429,
                conversation_id="c1",
            ),
            _event(
                "a",
                24 * 60 + 180,
                **(a | {"ip": "2001:db8:1:2::7"}),
                completion_tokens=200,
                prompt_tokens=20,
                status=200,
            ),
            _event(
                "b",
                30,
                ip="1.2.3.4",
                account_created_at=created - dt.timedelta(days=100),
                payment_fingerprint="pm_1",
                org_id="org_b",
                account_tier="paid",
                completion_tokens=10,
                prompt_tokens=5,
            ),
            _event("c", 90, ip="9.9.9.9", account_created_at=created, account_tier="paid"),
        ]
    )


def _row(table: pa.Table, account: str) -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {r["account_id"]: r for r in table.to_pylist()}
    return rows[account]


def test_aggregates_have_exactly_the_listed_features() -> None:
    agg = account_aggregates(_tiny())
    assert agg.column_names == ["account_id", *FEATURE_NAMES]
    assert agg.column("account_id").to_pylist() == ["a", "b", "c"]
    assert len(set(FEATURE_NAMES)) == len(FEATURES)


def test_aggregates_of_a_hand_made_table() -> None:
    a = _row(account_aggregates(_tiny()), "a")
    assert a["requests"] == 3
    assert a["active_days"] == 2
    assert a["active_hours"] == 3
    assert a["distinct_ips"] == 3
    assert a["distinct_subnets"] == 2  # 1.2.3.0/24 twice, 2001:db8:1::/48 once
    assert a["ipv6_share"] == pytest.approx(1 / 3)
    assert a["account_age_days"] == pytest.approx(2.0)
    assert a["tier"] == "free"
    assert a["has_org"] == 1
    assert a["org_accounts"] == 1
    assert a["has_payment"] == 1
    assert a["payment_accounts"] == 2  # pm_1 is b's card too
    assert a["signup_hour_accounts"] == 2  # a and c signed up in the same hour
    assert a["ip_accounts"] == 2  # 1.2.3.4 is b's address too
    assert a["subnet_accounts"] == 2
    assert a["n_gt1_share"] == pytest.approx(1 / 3)
    assert a["n_mean"] == pytest.approx(2.0)
    assert a["logprobs_share"] == pytest.approx(1 / 3)
    assert a["temperature_set_share"] == pytest.approx(1 / 3)
    assert a["temperature_mean"] == pytest.approx(0.7)
    assert a["stream_share"] == pytest.approx(1 / 3)
    assert a["completion_tokens_sum"] == 600
    assert a["completion_tokens_mean"] == pytest.approx(200)
    assert a["reasoning_tokens_mean"] == pytest.approx(50 / 3)  # missing counts as 0
    assert a["reasoning_share"] == pytest.approx(1 / 3)
    assert a["prompt_tokens_sum"] == 60
    assert a["system_share"] == pytest.approx(1 / 3)
    assert a["messages_mean"] == pytest.approx(2.0)
    assert a["multi_turn_share"] == pytest.approx(1 / 3)
    assert a["conversation_share"] == pytest.approx(1 / 3)
    assert a["user_chars_mean"] == pytest.approx((5 + 10 + 5) / 3)  # the last user turn
    assert a["distinct_prompt_share"] == pytest.approx(2 / 3)
    assert a["error_share"] == pytest.approx(1 / 3)
    assert a["rate_limited_share"] == pytest.approx(1 / 3)
    assert a["gap_median_s"] == pytest.approx((60 * 60 + (24 * 60 + 120) * 60) / 2)
    assert a["gap_min_s"] == pytest.approx(3600)
    assert a["max_requests_per_hour"] == 1
    assert a["hour_entropy"] == pytest.approx(math.log2(3))
    assert a["first_seen_days"] == 0
    c = _row(account_aggregates(_tiny()), "c")
    assert c["requests"] == 1
    assert c["gap_median_s"] is None
    assert c["hour_entropy"] == 0
    assert c["payment_accounts"] == 0
    assert c["has_payment"] == 0
    assert c["first_seen_days"] == pytest.approx(90 / 1440)


def test_aggregates_tolerate_missing_optional_columns() -> None:
    events = pa.table(
        {
            "account_id": ["a", "a", "b"],
            "ts": pa.array([T0, T0 + dt.timedelta(hours=1), T0], pa.timestamp("us", tz="UTC")),
            "model": ["m", "m", "m"],
            "prompt": ["hi", "hello there", "x"],
        }
    )
    a = _row(account_aggregates(events), "a")
    assert a["requests"] == 2
    assert a["distinct_ips"] == 0
    assert a["account_age_days"] is None
    assert a["user_chars_mean"] == pytest.approx(6.5)


def test_file_aggregates_equal_in_memory_aggregates(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    pq.write_table(_tiny(), path)
    assert file_aggregates(path).equals(account_aggregates(_tiny()))


# --------------------------------------------------------------------------- audit and tells


def _labels(attack: dict[str, str | None]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "account_id": a,
                "is_attack": c is not None,
                "campaign_id": c,
                "role": "attacker" if c else "chat_user",
            }
            for a, c in attack.items()
        ],
        schema=LABEL_SCHEMA,
    )


def _separable() -> tuple[pa.Table, pa.Table]:
    """Attackers x1, x2 (campaign k1) and y1 (k2) send 6 requests each, benign 1-3."""
    rows = []
    for acc, n in (("x1", 6), ("x2", 6), ("y1", 6), ("b1", 1), ("b2", 2), ("b3", 3), ("b4", 1)):
        rows += [_event(acc, 10 * i) for i in range(n)]
    camps = {"x1": "k1", "x2": "k1", "y1": "k2", "b1": None, "b2": None, "b3": None, "b4": None}
    return _table(rows), _labels(camps)


def test_audit_flags_an_undocumented_separator_for_all_and_per_campaign() -> None:
    events, labels = _separable()
    audit = audit_aggregates(account_aggregates(events), labels, scenario="s", tells=NO_TELLS)
    assert "requests" in audit.leaks
    assert ("requests", "k1") in audit.campaign_leaks
    assert ("requests", "k2") in audit.campaign_leaks
    assert audit.campaign_accounts == {"k1": 2, "k2": 1}
    assert audit.to_dict()["leaks"] == audit.leaks


def test_a_documented_tell_allows_its_feature_where_listed_only(tmp_path: Path) -> None:
    path = tmp_path / "tells.yaml"
    path.write_text(
        "version: 1\n"
        "sources: {report: 'A public report, 2026.'}\n"
        "tells:\n"
        "  - id: volume\n"
        "    why: loud accounts\n"
        "    source: report\n"
        "    features: [requests]\n"
        "    where: [{scenario: s, campaign: k1}, {scenario: t}]\n",
        encoding="utf-8",
    )
    tells = load_tells(path)
    events, labels = _separable()
    agg = account_aggregates(events)
    s = audit_aggregates(agg, labels, scenario="s", tells=tells)
    assert "requests" in s.leaks  # only campaign k1 is documented in s
    assert ("requests", "k1") not in s.campaign_leaks
    assert ("requests", "k2") in s.campaign_leaks
    t = audit_aggregates(agg, labels, scenario="t", tells=tells)
    assert "requests" not in t.leaks
    assert not [c for f, c in t.campaign_leaks if f == "requests"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("tells:\n  - {id: a, why: w, source: nope, features: [requests], "
         "where: [{scenario: s}]}\n", "tells[0].source: unknown source 'nope'"),
        ("tells:\n  - {id: a, why: w, source: r, features: [volume], "
         "where: [{scenario: s}]}\n", "tells[0].features[0]: unknown feature 'volume'"),
        ("tells:\n  - {id: a, why: ' ', source: r, features: [requests], "
         "where: [{scenario: s}]}\n", "tells[0].why: must say why"),
    ],
)  # fmt: skip
def test_a_tell_must_cite_a_listed_source_and_name_real_features(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "tells.yaml"
    path.write_text("version: 1\nsources: {r: 'A report.'}\n" + body, encoding="utf-8")
    with pytest.raises(DataFileError, match=r"tells\.yaml:4") as exc:
        load_tells(path)
    assert message in str(exc.value)


def test_shipped_tells_name_shipped_scenarios_and_their_campaigns() -> None:
    tells = load_tells()
    assert tells.tells, "the shipped file lists the easy scenario's tells"
    for t in tells.tells:
        assert t.source in tells.sources
        assert len(tells.citation(t)) > 40, "a citation says who published what, and when"
        for w in t.where:
            assert w.scenario in shipped_scenarios(), w
            if w.campaign is not None:
                ids = {c.id for c in load_scenario(w.scenario).campaigns}
                assert w.campaign in ids, w


def test_leak_audit_command_exit_codes(tmp_path: Path) -> None:
    events, labels = _separable()
    folder = tmp_path / "sim"
    folder.mkdir()
    pq.write_table(events, folder / "events.parquet")
    pq.write_table(labels, folder / "labels.parquet")
    runner = CliRunner()
    out = tmp_path / "audit.json"
    result = runner.invoke(app, ["leak-audit", "--from", str(folder), "--json", str(out)])
    assert result.exit_code == 1, result.output
    assert "sim/requests" in result.output  # no summary.json: the folder names the scenario
    assert out.exists()
    assert audit_dir(folder).leaks
    relaxed = runner.invoke(app, ["leak-audit", "--from", str(folder), "--threshold", "1.01"])
    assert relaxed.exit_code == 0, relaxed.output


# --------------------------------------------------------------------------- the simulator

#: Events per scenario in CI: big enough for every campaign to hold a few accounts
#: (``easy`` at its own size, five loud accounts), small enough for ~20 s in all.
CI_EVENTS = {"easy": 100_000, "standard": 50_000, "stealth": 50_000, "mixed": 50_000}
CI_SEED = 7


@pytest.fixture(scope="module")
def pools(corpus: Corpus) -> Pools:
    return Pools.from_table(corpus.table)


def test_every_shipped_scenario_has_a_ci_size() -> None:
    assert set(CI_EVENTS) == set(shipped_scenarios())


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(CI_EVENTS))
def test_no_simulator_giveaways(pools: Pools, name: str) -> None:
    audit = audit_scenario(name, seed=CI_SEED, events=CI_EVENTS[name], pools=pools)
    assert audit.attack_accounts >= 5
    worst = [(r.feature, round(r.auc, 4)) for r in audit.sorted_results() if r.tell is None][:3]
    assert not audit.leaks, (
        f"{name}: plain features separate the attackers at AUC >= {THRESHOLD} with no "
        f"documented tell in attacker_tells.yaml: {audit.leaks} (top undocumented: {worst})"
    )
