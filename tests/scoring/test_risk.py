"""Scoring: calibration keeps its stated FPR, evidence grows with volume, reasons have numbers."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from distillguard.errors import DistillguardError
from distillguard.scoring.features import PRIOR_REQUESTS, account_features, shrunk
from distillguard.scoring.risk import Calibration, ScoringConfig, evidence, score_profiles, total
from distillguard_lab.train import fit_logistic, train
from tests.scoring.helpers import profiles


def test_calibration_flags_at_most_the_stated_share_of_benign() -> None:
    rng = np.random.default_rng(0)
    benign = rng.normal(size=20_000)
    cal = Calibration.fit(benign)
    for verdict, rate in cal.fpr.items():
        flagged = (benign >= cal.thresholds[verdict]).mean()
        assert flagged <= rate
        assert flagged >= rate * 0.8
    risk = cal.risk(np.array([-10.0, 0.0, 10.0]))
    assert risk[0] == 0.0
    assert risk[1] == pytest.approx(0.5, abs=0.01)
    assert risk[2] == 1.0
    assert cal.verdicts(np.array([-10.0, 10.0]), np.array([100.0, 100.0])) == ["allow", "block"]


def test_calibration_round_trips_and_bad_files_say_where(tmp_path: object) -> None:
    cal = Calibration.fit(np.arange(100.0), source="test")
    again = Calibration.from_json(cal.to_json())
    assert again.thresholds == cal.thresholds
    with pytest.raises(DistillguardError, match="not a calibration file"):
        Calibration.from_json("{", "x.json")
    assert json.loads(Calibration.load().to_json())["thresholds"]


def test_shrinkage_needs_volume() -> None:
    one = shrunk(np.array([1.0]), np.array([1.0]), 0.01)[0]
    many = shrunk(np.array([100.0]), np.array([100.0]), 0.01)[0]
    assert one < 0.1 < 0.8 < many
    assert shrunk(np.array([0.0]), np.array([0.0]), 0.3)[0] == pytest.approx(0.3)
    assert PRIOR_REQUESTS > 0


def test_harvester_outscores_lookalikes() -> None:
    t = profiles(
        [
            {
                "n": 300,
                "cot_n": 250,
                "cap_coding": 280,
                "followup_n": 0,
                "top_prefix_n": 290,
            },  # harvester
            {"n": 1, "cot_n": 1, "cap_coding": 1, "followup_n": 0},  # one odd request
            {"n": 300, "cap_coding": 200, "followup_n": 0, "top_prefix_n": 300},  # templated app
            {"n": 300, "cot_n": 0, "bench_n": 300, "cap_math": 300, "followup_n": 0},  # evaluator
        ]
        + [{"n": 8} for _ in range(200)]
    )
    feats = account_features(t)
    terms = evidence(feats, ScoringConfig())
    score = total(terms, t.num_rows)
    assert score[0] > max(score[1], score[2], score[3]) + 2


def test_scored_table_has_reasons_with_numbers() -> None:
    t = profiles([{"n": 300, "cot_n": 250, "cap_coding": 280, "followup_n": 0}] + [{"n": 8}] * 50)
    out = score_profiles(t, Calibration.fit(np.zeros(10)))
    top = out.slice(0, 1).to_pylist()[0]
    assert top["account_id"] == "a0"
    assert top["verdict"] == "block"
    assert 0.0 <= top["risk"] <= 1.0
    assert top["reasons"][0].startswith("300 requests")
    assert any("step-by-step reasoning" in r and "%" in r for r in top["reasons"])


def test_logistic_fit_separates_and_train_checks_labels() -> None:
    X = np.array([[0.0, 1.0], [0.2, 0.9], [3.0, 0.1], [2.5, 0.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    w, _ = fit_logistic(X, y)
    assert w[0] > 0
    t = profiles([{"n": 8}] * 20)
    labels = pa.table({"account_id": [f"a{i}" for i in range(20)], "is_attack": [False] * 20})
    with pytest.raises(DistillguardError, match="both attack and benign"):
        train(t, labels)


def test_benchmark_items_cancel_evaluation_evidence_but_not_elicitation() -> None:
    # a0: an evaluator (all benchmark items, harvest parameters, no elicitation);
    # a1: a harvester mixing benchmark items into elicitation requests;
    # a2: the same harvester without the benchmark items.
    table = profiles(
        [
            {"n": 200, "bench_n": 200, "harvest_score_sum": 80.0, "followup_n": 0},
            {"n": 200, "bench_n": 100, "cot_n": 100, "followup_n": 0},
            {"n": 200, "bench_n": 0, "cot_n": 100, "followup_n": 0},
        ]
    )
    feats = account_features(table)
    terms = evidence(feats, ScoringConfig())
    score = total(terms, 3)
    assert score[0] == pytest.approx(0.0, abs=1e-9)
    assert terms["cot"][1] == pytest.approx(terms["cot"][2])
    assert score[1] >= terms["cot"][1] - 1e-12
    assert (score >= -1e-12).all()


def test_flags_scattered_inside_a_fixed_template_are_discounted() -> None:
    """A grading app's students trip the detector now and then inside the app's one
    template; a harvester's template elicits reasoning on every request it wraps."""
    feats = account_features(
        profiles(
            [
                # The app: one prefix and one suffix on all 300 requests, 6% flagged.
                {"n": 300, "cot_n": 18, "followup_n": 0, "top_prefix_n": 300,
                 "top_prefix_cot_n": 18, "top_suffix_n": 300, "top_suffix_cot_n": 18},
                # The same counts without a dominant template: nothing is discounted.
                {"n": 300, "cot_n": 18, "followup_n": 0, "top_prefix_n": 3,
                 "top_prefix_cot_n": 1},
                # A harvester whose template carries the elicitation.
                {"n": 300, "cot_n": 270, "followup_n": 0, "top_prefix_n": 300,
                 "top_prefix_cot_n": 270},
                # A bland fixed prefix, and a fixed suffix that elicits reasoning: both
                # dominate, the suffix's flagged share is high, so no discount.
                {"n": 300, "cot_n": 290, "followup_n": 0, "top_prefix_n": 300,
                 "top_prefix_cot_n": 290, "top_suffix_n": 300, "top_suffix_cot_n": 290},
            ]
        )
    )  # fmt: skip
    assert list(feats["cot_scattered"])[1:] == [0.0, 0.0, 0.0]
    assert feats["cot_scattered"][0] == pytest.approx(18 * (1 - 0.06 / 0.5))
    assert feats["template_cot_share"][0] == pytest.approx(0.06)
    terms = evidence(feats, ScoringConfig(), {"cot": 0.01})["cot"]
    assert terms[0] < 0.25 * terms[1]
    assert terms[2] > 10 * terms[1]
    assert terms[3] > 10 * terms[1]


def test_reasons_say_when_flags_are_scattered() -> None:
    table = profiles(
        [{"n": 300, "cot_n": 60, "followup_n": 0, "top_prefix_n": 300, "top_prefix_cot_n": 60}]
    )
    cal = Calibration.fit(np.zeros(100), base_rates={"cot": 0.01})
    reasons = score_profiles(table, cal).column("reasons").to_pylist()
    line = next(r for r in reasons[0] if "step-by-step" in r)
    assert "scattered inside one fixed template (20% of its requests), counted as 8%" in line
