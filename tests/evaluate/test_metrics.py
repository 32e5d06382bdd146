"""Account-level metrics on hand-built tables with known answers, plus brute-force properties."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from distillguard.errors import InputError
from distillguard.schema import LABEL_SCHEMA
from distillguard_lab.evaluate.metrics import (
    FPR_TARGETS,
    MISS_LIMIT,
    AccountReport,
    evaluate_accounts,
    render_report,
    roc_auc,
    tpr_at_fpr,
    write_json,
)

TOP_KEYS = {
    "roc_auc",
    "tpr_at_fpr_0.001",
    "tpr_at_fpr_0.01",
    "precision",
    "recall",
    "fpr",
    "fpr_by_role",
    "recall_by_campaign",
    "thresholds",
    "counts",
    "verdict_counts",
    "misses",
    "n_accounts_missing",
    "n_accounts_unlabelled",
}


def make_labels(rows: Sequence[tuple[str, bool, str | None, str]]) -> pa.Table:
    """Label table in ``LABEL_SCHEMA`` from (account_id, is_attack, campaign_id, role)."""
    return pa.table(
        {name: [row[i] for row in rows] for i, name in enumerate(LABEL_SCHEMA.names)},
        schema=LABEL_SCHEMA,
    )


def make_accounts(
    ids: Sequence[str],
    scores: Sequence[float | None],
    verdicts: Sequence[str | None],
    reasons: Sequence[list[str] | None] | None = None,
) -> pa.Table:
    cols: dict[str, Any] = {
        "account_id": pa.array(list(ids), pa.string()),
        "risk": pa.array([None if s is None else min(max(s, 0.0), 1.0) for s in scores]),
        "score": pa.array(list(scores), pa.float64()),
        "verdict": pa.array(list(verdicts), pa.string()),
    }
    if reasons is not None:
        cols["reasons"] = pa.array(list(reasons), pa.list_(pa.string()))
    return pa.table(cols)


def population(
    attack_scores: Sequence[float],
    benign_scores: Sequence[float],
    *,
    flag_at: float = 0.5,
) -> tuple[pa.Table, pa.Table]:
    """Attacks ``a0..`` (campaign c1) and benign chat users ``b0..``; verdict block at flag_at."""
    n_attack, n_benign = len(attack_scores), len(benign_scores)
    ids = [f"a{i}" for i in range(n_attack)] + [f"b{i}" for i in range(n_benign)]
    scores = [*attack_scores, *benign_scores]
    verdicts = ["block" if s >= flag_at else "allow" for s in scores]
    labels = make_labels(
        [(f"a{i}", True, "c1", "attacker") for i in range(n_attack)]
        + [(f"b{i}", False, None, "chat_user") for i in range(n_benign)]
    )
    return make_accounts(ids, scores, verdicts), labels


def json_round_trip(report: AccountReport) -> dict[str, Any]:
    d = report.to_dict()
    # No default= and allow_nan=False: the dict must be plain JSON as it stands.
    text = json.dumps(d, allow_nan=False)
    back: dict[str, Any] = json.loads(text)
    assert back == d
    return back


# --------------------------------------------------------------------------- ranking


def test_perfect_separation() -> None:
    accounts, labels = population([0.9, 0.8, 0.7], [0.3, 0.2, 0.1, 0.0])
    r = evaluate_accounts(accounts, labels)
    assert r.roc_auc == 1.0
    assert r.tpr_at(0.001) == 1.0
    assert r.tpr_at(0.01) == 1.0
    d = json_round_trip(r)
    point = d["thresholds"]["tpr_at_fpr_0.001"]
    # The highest threshold reaching the best TPR: the lowest attack score.
    assert point == {
        "target_fpr": 0.001,
        "threshold": 0.7,
        "tpr": 1.0,
        "fpr": 0.0,
        "true_positives": 3,
        "false_positives": 0,
    }
    assert (d["precision"], d["recall"], d["fpr"]) == (1.0, 1.0, 0.0)


def test_reversed_ranking() -> None:
    accounts, labels = population([0.1, 0.2], [0.8, 0.9, 0.7], flag_at=2.0)
    r = evaluate_accounts(accounts, labels)
    assert r.roc_auc == 0.0
    for p in r.operating_points:
        assert (p.tpr, p.threshold, p.fpr, p.true_positives, p.false_positives) == (
            0.0,
            None,
            0.0,
            0,
            0,
        )


def test_all_scores_tied() -> None:
    accounts, labels = population([0.5] * 4, [0.5] * 6)
    r = evaluate_accounts(accounts, labels)
    assert r.roc_auc == 0.5
    # The only threshold that flags anything flags everyone: FPR 1, never admissible.
    assert r.tpr_at(0.01) == 0.0
    assert r.operating_points[1].threshold is None


def test_partial_ties_auc_is_average_rank() -> None:
    # Pairs (pos, neg): 3>2, 3>2, 3>1, 2=2 (half), 2=2 (half), 2>1 -> 5 / 6.
    s = np.array([3.0, 2.0, 2.0, 2.0, 1.0])
    y = np.array([True, True, False, False, False])
    assert roc_auc(s, y) == 5 / 6


def test_one_benign_above_all_attacks_is_allowed_at_fpr_0001_with_1000_benign() -> None:
    # FPR <= 0.001 over 1000 benign accounts allows exactly one false positive, so the
    # threshold may (and should) include the benign outlier and every attack.
    attacks = [0.9, 0.8, 0.6]
    benign = [0.95] + [0.1] * 999
    accounts, labels = population(attacks, benign)
    r = evaluate_accounts(accounts, labels)
    p001, p01 = r.operating_points
    assert (p001.tpr, p001.threshold, p001.false_positives, p001.fpr) == (1.0, 0.6, 1, 0.001)
    assert (p01.tpr, p01.threshold) == (1.0, 0.6)
    assert r.roc_auc == pytest.approx(1 - 3 / 3000)


def test_two_benign_above_all_attacks_exceed_fpr_0001() -> None:
    accounts, labels = population([0.9, 0.8], [0.99, 0.95] + [0.1] * 998)
    r = evaluate_accounts(accounts, labels)
    p001, p01 = r.operating_points
    assert (p001.tpr, p001.threshold) == (0.0, None)
    # 1 % of 1000 allows 10 false positives.
    assert (p01.tpr, p01.threshold, p01.false_positives) == (1.0, 0.8, 2)


def test_fpr_target_interleaved() -> None:
    # benign 0.95, attack 0.93, benign 0.9, attack 0.8: one FP allowed -> stop at 0.93.
    accounts, labels = population([0.93, 0.8], [0.95, 0.9] + [0.1] * 998)
    p001 = evaluate_accounts(accounts, labels).operating_points[0]
    assert (p001.tpr, p001.threshold, p001.false_positives) == (0.5, 0.93, 1)


def test_999_benign_allow_no_false_positive_at_fpr_0001() -> None:
    # 1 / 999 > 0.001: even one benign account above the attacks is too many.
    accounts, labels = population([0.9], [0.95] + [0.1] * 998)
    assert evaluate_accounts(accounts, labels).tpr_at(0.001) == 0.0


def test_tie_at_boundary_counts_together() -> None:
    # Two benign accounts tie with all five attacks at the top: a threshold cannot
    # take the attacks without both benign ones, which is 2 FP > 1 allowed.
    accounts, labels = population([0.9] * 5, [0.9, 0.9] + [0.1] * 998)
    r = evaluate_accounts(accounts, labels)
    p001, p01 = r.operating_points
    assert (p001.tpr, p001.threshold, p001.false_positives) == (0.0, None, 0)
    assert (p01.tpr, p01.threshold, p01.false_positives, p01.fpr) == (1.0, 0.9, 2, 0.002)


def test_tie_at_boundary_within_budget() -> None:
    # One benign tied with the attacks at 0.7 and one above: 2 FP; with 2000 benign
    # FPR 0.001 allows exactly 2.
    accounts, labels = population([0.9, 0.7], [0.95, 0.7] + [0.1] * 1998)
    p001 = evaluate_accounts(accounts, labels).operating_points[0]
    assert (p001.tpr, p001.threshold, p001.false_positives, p001.fpr) == (1.0, 0.7, 2, 0.001)


def test_highest_threshold_among_equal_tpr() -> None:
    # Benign at 0.5 lies between the last attack (0.6) and the floor: thresholds 0.6
    # and 0.5 both give TPR 1; the higher one (no FP) is reported.
    s = np.array([0.9, 0.6, 0.5, 0.1, 0.1])
    y = np.array([True, True, False, False, False])
    p = tpr_at_fpr(s, y, 0.5)
    assert (p.threshold, p.false_positives, p.tpr) == (0.6, 0, 1.0)


def test_tpr_at_fpr_rejects_bad_input() -> None:
    y = np.array([True, False])
    with pytest.raises(ValueError, match="target"):
        tpr_at_fpr(np.array([1.0, 0.0]), y, 1.0)
    with pytest.raises(ValueError, match="NaN"):
        tpr_at_fpr(np.array([np.nan, 0.0]), y, 0.01)
    with pytest.raises(ValueError, match=r"\+inf"):
        tpr_at_fpr(np.array([np.inf, 0.0]), y, 0.01)
    with pytest.raises(ValueError, match="labels"):
        roc_auc(np.array([1.0]), y)


# --------------------------------------------------------------------------- verdicts


def mixed() -> tuple[pa.Table, pa.Table]:
    labels = make_labels(
        [
            ("a1", True, "c1", "attacker"),
            ("a2", True, "c1", "attacker"),
            ("a3", True, "c1", "attacker"),
            ("a4", True, "c2", "attacker"),
            ("d1", False, None, "developer"),
            ("d2", False, None, "developer"),
            ("u1", False, None, "chat_user"),
            ("u2", False, None, "chat_user"),
            ("u3", False, None, "chat_user"),
            ("u4", False, None, "chat_user"),
            ("e1", False, None, "eval_user"),
            ("gone", True, "c2", "attacker"),  # never scanned
        ]
    )
    accounts = make_accounts(
        ["a1", "a2", "a3", "a4", "d1", "d2", "u1", "u2", "u3", "u4", "e1", "x1", "x2"],
        [0.9, 0.8, 0.2, 0.7, 0.85, 0.1, 0.3, 0.2, 0.1, 0.0, 0.6, 0.99, 0.5],
        [
            "block",
            "restrict",
            "allow",
            "watch",
            "restrict",
            "allow",
            "watch",
            "allow",
            "allow",
            None,  # null verdict reads as allow
            "block",
            "block",  # x1, x2: unlabelled, ignored
            "allow",
        ],
        reasons=[
            ["harvest_params"],
            None,
            [],
            ["template_skeleton", "volume"],
            ["harvest_params"],
            None,
            None,
            None,
            None,
            None,
            ["benchmark [match]"],
            None,
            None,
        ],
    )
    return accounts, labels


def test_per_role_and_campaign() -> None:
    accounts, labels = mixed()
    r = evaluate_accounts(accounts, labels)
    d = json_round_trip(r)
    assert set(d) == TOP_KEYS
    # Flagged: a1, a2 (attack); d1, e1 (benign).
    assert d["precision"] == 0.5
    assert d["recall"] == 2 / 5
    assert d["fpr"] == 2 / 7
    assert d["fpr_by_role"] == {"chat_user": 0.0, "developer": 0.5, "eval_user": 1.0}
    assert d["recall_by_campaign"] == {"c1": 2 / 3, "c2": 0.0}
    assert d["n_accounts_missing"] == 1
    assert d["n_accounts_unlabelled"] == 2
    counts = d["counts"]
    assert counts["positives"] == 5
    assert counts["negatives"] == 7
    assert counts["accounts"] == 12
    assert counts["by_role"] == {"attacker": 5, "chat_user": 4, "developer": 2, "eval_user": 1}
    assert counts["by_campaign"] == {"c1": 3, "c2": 2}
    assert counts["flagged_by_campaign"] == {"c1": 2, "c2": 0}
    assert (counts["true_positives"], counts["false_positives"]) == (2, 2)
    assert (counts["false_negatives"], counts["true_negatives"]) == (3, 5)
    assert d["verdict_counts"] == {
        "allow": {"benign": 4, "attack": 2},  # u4 (null verdict) and "gone" count as allow
        "watch": {"benign": 1, "attack": 1},
        "restrict": {"benign": 1, "attack": 1},
        "block": {"benign": 1, "attack": 1},
    }


def test_misses_order_and_content() -> None:
    accounts, labels = mixed()
    misses = json_round_trip(evaluate_accounts(accounts, labels))["misses"]
    fps = misses["false_positives"]
    assert [m["account_id"] for m in fps] == ["d1", "e1"]  # highest score first
    assert fps[0] == {
        "account_id": "d1",
        "role": "developer",
        "campaign_id": None,
        "score": 0.85,
        "risk": 0.85,
        "verdict": "restrict",
        "reasons": ["harvest_params"],
        "missing": False,
    }
    fns = misses["false_negatives"]
    # Lowest score first; the never-scanned account (score -inf, null in JSON) leads.
    assert [m["account_id"] for m in fns] == ["gone", "a3", "a4"]
    assert fns[0]["score"] is None
    assert fns[0]["missing"] is True
    assert fns[0]["verdict"] == "allow"
    assert fns[0]["campaign_id"] == "c2"
    assert fns[2]["reasons"] == ["template_skeleton", "volume"]
    assert (misses["n_false_positives"], misses["n_false_negatives"]) == (2, 3)


def test_misses_are_capped_and_tie_broken_by_id() -> None:
    n = MISS_LIMIT + 20
    accounts, labels = population([0.1] * n, [0.2] * 10, flag_at=0.9)
    misses = evaluate_accounts(accounts, labels).false_negatives_listed
    assert len(misses) == MISS_LIMIT
    assert [m.account_id for m in misses] == sorted(f"a{i}" for i in range(n))[:MISS_LIMIT]


def test_flagged_verdicts_and_unknown_verdicts() -> None:
    accounts, labels = mixed()
    r = evaluate_accounts(accounts, labels, flagged_verdicts=frozenset({"watch", "restrict"}))
    # Flagged: a2, a4 (attack); d1, u1 (benign).
    assert (r.precision, r.recall, r.fpr) == (0.5, 2 / 5, 2 / 7)
    custom = accounts.set_column(
        accounts.column_names.index("verdict"),
        "verdict",
        pa.array(["challenge"] * accounts.num_rows),
    )
    r2 = evaluate_accounts(custom, labels, flagged_verdicts=frozenset({"challenge"}))
    assert list(r2.verdict_counts) == ["allow", "watch", "restrict", "block", "challenge"]
    assert r2.verdict_counts["challenge"] == {"benign": 7, "attack": 4}
    assert r2.recall == 4 / 5


def test_missing_accounts_rank_below_everything() -> None:
    # The scan saw no account at all: every labelled account is "missing" at -inf.
    labels = make_labels([("a", True, "c", "attacker"), ("b", False, None, "chat_user")])
    accounts = make_accounts([], [], [])
    r = evaluate_accounts(accounts, labels)
    assert r.n_accounts_missing == 2
    assert r.roc_auc == 0.5
    assert r.recall == 0.0
    assert r.precision is None  # nothing flagged
    assert r.verdict_counts["allow"] == {"benign": 1, "attack": 1}


def test_null_score_counts_as_unscored() -> None:
    labels = make_labels([("a", True, "c", "attacker"), ("b", False, None, "chat_user")])
    accounts = make_accounts(["a", "b"], [None, 0.2], ["allow", "allow"])
    r = evaluate_accounts(accounts, labels)
    assert r.roc_auc == 0.0
    fn = r.false_negatives_listed[0]
    assert (fn.score, fn.missing) == (None, False)


def test_risk_is_used_without_score_column() -> None:
    accounts, labels = population([0.9, 0.2], [0.5, 0.1])
    no_score = accounts.drop_columns(["score"])
    r = evaluate_accounts(no_score, labels)
    assert r.score_column == "risk"
    assert r.roc_auc == 0.75
    assert r.to_dict()["thresholds"]["score_column"] == "risk"


def test_chunked_tables_match_single_chunk() -> None:
    accounts, labels = mixed()
    chunked_accounts = pa.concat_tables([accounts.slice(0, 5), accounts.slice(5)])
    chunked_labels = pa.concat_tables([labels.slice(0, 7), labels.slice(7)])
    assert chunked_accounts.column("score").num_chunks == 2
    assert (
        evaluate_accounts(chunked_accounts, chunked_labels).to_dict()
        == evaluate_accounts(accounts, labels).to_dict()
    )


# --------------------------------------------------------------------------- undefined


def test_no_attacks_gives_none() -> None:
    accounts, labels = population([], [0.1, 0.9])
    d = json_round_trip(evaluate_accounts(accounts, labels))
    assert d["roc_auc"] is None
    assert d["recall"] is None
    assert d["precision"] == 0.0  # b1 flagged, and it is benign
    assert d["tpr_at_fpr_0.001"] is None
    assert d["tpr_at_fpr_0.01"] is None
    assert d["recall_by_campaign"] == {}
    assert d["fpr"] == 0.5


def test_no_benign_gives_none() -> None:
    accounts, labels = population([0.9, 0.1], [])
    d = json_round_trip(evaluate_accounts(accounts, labels))
    assert d["roc_auc"] is None
    assert d["fpr"] is None
    assert d["fpr_by_role"] == {}
    for target in FPR_TARGETS:
        point = d["thresholds"][f"tpr_at_fpr_{target:g}"]
        assert point["tpr"] is None
        assert point["fpr"] is None
        assert point["threshold"] is None
    assert d["recall"] == 0.5


def test_empty_everything() -> None:
    d = json_round_trip(evaluate_accounts(make_accounts([], [], []), make_labels([])))
    assert d["roc_auc"] is None
    assert d["precision"] is None
    assert d["counts"]["accounts"] == 0
    assert d["misses"]["false_negatives"] == []


# --------------------------------------------------------------------------- bad input


def test_input_errors() -> None:
    accounts, labels = mixed()
    with pytest.raises(InputError, match="duplicated account_id"):
        evaluate_accounts(pa.concat_tables([accounts, accounts]), labels)
    with pytest.raises(InputError, match="duplicated account_id"):
        evaluate_accounts(accounts, pa.concat_tables([labels, labels]))
    with pytest.raises(InputError, match="verdict"):
        evaluate_accounts(accounts.drop_columns(["verdict"]), labels)
    with pytest.raises(InputError, match="neither"):
        evaluate_accounts(accounts.drop_columns(["score", "risk"]), labels)
    with pytest.raises(InputError, match="is_attack"):
        evaluate_accounts(accounts, labels.drop_columns(["is_attack"]))
    null_label = pa.table({"account_id": ["a1"], "is_attack": pa.array([None], pa.bool_())})
    with pytest.raises(InputError, match="null is_attack"):
        evaluate_accounts(accounts, null_label)
    null_id = pa.table({"account_id": pa.array([None], pa.string()), "is_attack": [True]})
    with pytest.raises(InputError, match="null account_id"):
        evaluate_accounts(accounts, null_id)
    nan = make_accounts(["a1"], [float("nan")], ["allow"])
    with pytest.raises(InputError, match="NaN"):
        evaluate_accounts(nan, labels)


def test_unlabelled_nan_is_ignored() -> None:
    # Only labelled accounts are evaluated, so junk in unlabelled rows does not matter.
    labels = make_labels([("a", True, "c", "attacker"), ("b", False, None, "chat_user")])
    accounts = make_accounts(["a", "b", "z"], [0.9, 0.1, float("nan")], ["block", "allow", "x"])
    r = evaluate_accounts(accounts, labels)
    assert (r.roc_auc, r.n_accounts_unlabelled) == (1.0, 1)


# --------------------------------------------------------------------------- output


def test_write_json_round_trip(tmp_path: Path) -> None:
    accounts, labels = mixed()
    report = evaluate_accounts(accounts, labels)
    out = tmp_path / "reports" / "accounts.json"
    write_json(report, out)
    assert json.loads(out.read_text(encoding="utf-8")) == report.to_dict()
    assert [p.name for p in out.parent.iterdir()] == ["accounts.json"]  # no temp left


def test_render_report_mentions_the_essentials() -> None:
    accounts, labels = mixed()
    labels = labels.set_column(
        0, "account_id", pa.array([*labels.column("account_id").to_pylist()[:-1], "[bold]gone"])
    )
    console = Console(record=True, width=160, color_system=None)
    render_report(evaluate_accounts(accounts, labels), console)
    text = console.export_text()
    for needle in (
        "ROC AUC",
        "TPR @ FPR ≤ 0.1%",
        "false positives by benign role",
        "developer",
        "recall by campaign",
        "c2",
        "top false negatives",
        "[bold]gone",  # data is printed literally, never as markup
        "not scanned",
        "benchmark [match]",
    ):
        assert needle in text, needle


def test_render_report_with_undefined_metrics() -> None:
    accounts, labels = population([], [0.1])
    console = Console(record=True, width=120, color_system=None)
    render_report(evaluate_accounts(accounts, labels), console)
    text = console.export_text()
    assert "n/a" in text
    assert "top false negatives (attacks missed, 0 in all): none" in text


# --------------------------------------------------------------------------- properties

small_scores = st.lists(st.integers(0, 4).map(float), min_size=1, max_size=30)


def brute_auc(pos: list[float], neg: list[float]) -> float:
    wins = sum(1 for p in pos for q in neg if p > q)
    ties = sum(1 for p in pos for q in neg if p == q)
    return (2 * wins + ties) / (2 * len(pos) * len(neg))


@settings(max_examples=200, deadline=None, database=None)
@given(pos=small_scores, neg=small_scores)
def test_auc_equals_pairwise_probability(pos: list[float], neg: list[float]) -> None:
    s = np.array(pos + neg)
    y = np.array([True] * len(pos) + [False] * len(neg))
    perm = np.random.default_rng(len(pos) * 31 + len(neg)).permutation(len(s))
    assert roc_auc(s[perm], y[perm]) == brute_auc(pos, neg)


@settings(max_examples=200, deadline=None, database=None)
@given(
    pos=small_scores,
    neg=small_scores,
    target=st.sampled_from([0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.9]),
)
def test_tpr_at_fpr_equals_brute_force(pos: list[float], neg: list[float], target: float) -> None:
    s = np.array(pos + neg)
    y = np.array([True] * len(pos) + [False] * len(neg))
    best_tp, best_t = 0, None
    for t in sorted(set(pos + neg), reverse=True):
        tp = sum(1 for p in pos if p >= t)
        fp = sum(1 for q in neg if q >= t)
        if fp / len(neg) <= target and tp > best_tp:
            best_tp, best_t = tp, t
    point = tpr_at_fpr(s, y, target)
    assert point.tpr == best_tp / len(pos)
    assert point.threshold == best_t
    assert point.fpr is not None
    assert point.fpr <= target


@settings(max_examples=50, deadline=None, database=None)
@given(pos=small_scores, neg=small_scores, seed=st.integers(0, 2**32 - 1))
def test_report_ignores_row_order(pos: list[float], neg: list[float], seed: int) -> None:
    accounts, labels = population([p / 4 for p in pos], [q / 4 for q in neg])
    rng = np.random.default_rng(seed)
    shuffled = accounts.take(pa.array(rng.permutation(accounts.num_rows)))
    relabelled = labels.take(pa.array(rng.permutation(labels.num_rows)))
    assert (
        evaluate_accounts(shuffled, relabelled).to_dict()
        == evaluate_accounts(accounts, labels).to_dict()
    )
