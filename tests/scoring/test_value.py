"""Issue 18 scoring: token semantics, system-prompt elicitation, harvest value."""

from __future__ import annotations

import json

import numpy as np
import pytest

from distillguard.calibrate import fit_from_features
from distillguard.scoring.features import account_features
from distillguard.scoring.risk import (
    Calibration,
    ScoringConfig,
    evidence,
    score_accounts,
    score_profiles,
    total,
)
from distillguard.scoring.value import (
    CAP_DECADES,
    MIN_COHORT,
    cohort_keys,
    compare_value,
    describe_cohort,
    value_reference,
)
from tests.scoring.helpers import profiles

#: A benign population: 300 free-tier browser chat users, new, taking a little coding
#: help, and 300 paid SDK integrations a year old taking a lot.
CHAT = {"tier": "free", "client_family": "browser", "n": 8, "cap_coding": 2}
APP = {"tier": "paid", "client_family": "openai-python", "n": 300, "cap_coding": 250}


def _population(rng: np.random.Generator) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for _ in range(300):
        take = float(rng.lognormal(np.log(400), 0.8))
        rows.append({**CHAT, "value_tokens": take, "completion_tokens": take})
    for _ in range(300):
        take = float(rng.lognormal(np.log(200_000), 0.8))
        rows.append({**APP, "value_tokens": take, "completion_tokens": take, "active_days": 5})
    return rows


@pytest.fixture(scope="module")
def calibration() -> Calibration:
    feats = account_features(profiles(_population(np.random.default_rng(0))))
    return fit_from_features([feats], None, "test population")


def test_tokens_follow_openai_usage_semantics() -> None:
    """Reasoning tokens are part of the completion tokens: not added to them again."""
    feats = account_features(profiles([{"completion_tokens": 1000, "reasoning_tokens": 700}]))
    assert feats["tokens_returned"][0] == 1000
    assert feats["tokens_per_request"][0] == 100
    assert feats["reasoning_tokens"][0] == 700


def test_system_prompt_elicitation_is_evidence_on_the_account() -> None:
    rows = [
        {"n": 60, "cot_system_n": 60, "followup_n": 0},  # every request, in the system prompt
        {"n": 60, "cot_system_n": 0, "followup_n": 0},
        {"n": 1, "cot_system_n": 1},  # one request: shrunk towards the baseline
        {"n": 60, "cot_system_n": 60, "bench_n": 60},  # benchmark items never cancel it
    ] + [{"n": 8}] * 100
    feats = account_features(profiles(rows))
    terms = evidence(feats, ScoringConfig())
    assert 0.15 < terms["system_cot"][0] <= 0.3 * 60 / 80  # shrunk, over the baseline
    assert terms["system_cot"][1] == 0
    assert 0 < terms["system_cot"][2] < terms["system_cot"][0] / 3
    assert total(terms, len(rows))[3] >= terms["system_cot"][3] > 0.15
    # Context (age, tier) is not amplified by it: an app's "show steps" prompt alone.
    assert terms["new_account"][0] == 0


def test_system_prompt_reason_line() -> None:
    rows = [{"n": 60, "cot_system_n": 45, "followup_n": 0}] + [{"n": 8}] * 50
    out = score_profiles(profiles(rows), Calibration.fit(np.zeros(10))).to_pylist()
    top = next(r for r in out if r["account_id"] == "a0")
    assert any("75% send a system prompt demanding" in r for r in top["reasons"])
    assert top["system_cot_share"] == 0.75


def test_reference_per_cohort_with_fallback(calibration: Calibration) -> None:
    ref = calibration.value_reference
    assert ref["free|old|browser"]["accounts"] == 300
    assert ref["paid|old|openai-python"]["accounts"] == 300
    assert ref["*|*|*"]["accounts"] == 600
    assert all(v["accounts"] >= MIN_COHORT for v in ref.values())
    assert cohort_keys("free|new|go")[-1] == "*|*|*"
    assert describe_cohort("paid|*|*") == "paid tier"


def test_a_large_take_gains_score_without_any_other_tell(calibration: Calibration) -> None:
    """Neither elicitation nor harvest parameters: the take alone, against comparable
    accounts, scores, with a reason that says how much and against whom."""
    harvester = {**CHAT, "n": 300, "cap_coding": 280, "active_days": 5,
                 "value_tokens": 4_100_000.0, "completion_tokens": 4_100_000.0}  # fmt: skip
    same_as_apps = {**APP, "active_days": 5, "value_tokens": 4_100_000.0}
    verdicts = score_accounts(profiles([harvester, same_as_apps]), calibration)
    table = verdicts.table().to_pylist()
    by_id = {r["account_id"]: r for r in table}
    h, app = by_id["a0"], by_id["a1"]
    assert h["score"] > 0.2 + 0.4  # more than the "at most about 0.2"
    assert h["score"] > app["score"]
    line = next(r for r in h["reasons"] if r.startswith("took "))
    assert "4.1M tokens on coding" in line
    assert "x the daily median of comparable accounts (free tier, old accounts, browser" in line
    assert h["value_compared_with"] == "free|old|browser"
    assert h["value_ratio"] > 100
    assert app["value_compared_with"] == "paid|old|openai-python"


def test_the_take_counts_at_most_the_cap(calibration: Calibration) -> None:
    huge = {**CHAT, "value_tokens": 1e12, "completion_tokens": 1e12}
    feats = account_features(profiles([huge]))
    cmp = compare_value(feats, calibration.value_reference)
    assert cmp.excess[0] == CAP_DECADES
    terms = evidence(feats, ScoringConfig(), calibration.base_rates, cmp)
    assert terms["harvest_value"][0] == pytest.approx(CAP_DECADES * 0.3)


def test_reasoning_rich_take_is_compared_too(calibration: Calibration) -> None:
    """Hidden reasoning and step-by-step answers are compared as a take of their own."""
    rich = {
        **CHAT,
        "value_tokens": 500.0,
        "value_reasoning_tokens": 0.0,
        "value_steps_tokens": 900_000.0,
        "value_steps_n": 90,
        "value_logged_n": 100,
    }
    feats = account_features(profiles([rich]))
    assert feats["value_rich_tokens"][0] == 900_000
    assert feats["steps_share"][0] == pytest.approx(0.9)
    cmp = compare_value(feats, calibration.value_reference)
    assert cmp.measure == ["rich"]
    assert cmp.excess[0] > 0
    (row,) = score_accounts(profiles([rich]), calibration).table().to_pylist()
    line = next(r for r in row["reasons"] if r.startswith("took "))
    assert "900.0k reasoning tokens" in line
    assert "step-by-step answers 90% of those logged" in line


def test_campaign_groups_are_not_compared_with_one_account(calibration: Calibration) -> None:
    big = {**CHAT, "value_tokens": 1e9, "completion_tokens": 1e9}
    alone = score_accounts(profiles([big]), calibration)
    group = score_accounts(profiles([big]), calibration, take=False)
    assert alone.score[0] - group.score[0] == pytest.approx(0.3 * CAP_DECADES)


def test_calibration_round_trips_the_reference(calibration: Calibration) -> None:
    again = Calibration.from_json(calibration.to_json())
    assert again.value_reference == calibration.value_reference
    # A calibration written before the reference existed loads, with no value term.
    old = json.loads(calibration.to_json())
    del old["value_reference"]
    legacy = Calibration.from_dict(old)
    assert legacy.value_reference == {}
    scores = score_accounts(profiles([{**CHAT, "value_tokens": v} for v in (1e9, 0.0)]), legacy)
    assert scores.score[0] == scores.score[1]


def test_reference_of_a_small_cohort_falls_back() -> None:
    feats = {
        "cohort": ["free|new|go"] * 3 + ["paid|old|java"] * 60,
        "value_per_day": np.array([1.0, 2.0, 3.0] + [10.0] * 60),
        "rich_per_day": np.zeros(63),
    }
    ref = value_reference(feats)
    assert "free|new|go" not in ref
    assert "paid|old|java" in ref
    cmp = compare_value(feats, ref)
    assert cmp.compared_with[0] == "*|*|*"
    assert cmp.compared_with[-1] == "paid|old|java"
