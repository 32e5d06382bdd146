"""``calibrate`` reads review feedback: cleared accounts benign, blocked ones scored."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.calibrate import calibrate_on_logs, calibrate_with_feedback
from distillguard.errors import DistillguardError
from distillguard.review.actions import parse_action
from distillguard.review.feedback import FeedbackTable
from tests.review.scanfiles import write_logs


def test_feedback_adds_false_positives_and_scores_confirmed_harvesters(tmp_path: Path) -> None:
    benign = write_logs(tmp_path / "benign.jsonl", ["b1", "b2", "b3"])
    scanned = write_logs(tmp_path / "scanned.jsonl", ["fp1", "fp2", "bad", "b1", "other"])
    table = FeedbackTable(tmp_path / "feedback.jsonl")
    for action, account in (("unblock", "fp1"), ("allow", "fp2"), ("allow", "b1"),
                            ("block", "bad"), ("allow", "gone")):  # fmt: skip
        table.append(parse_action({"action": action, "reviewer": "r", "note": "n",
                                   "account_id": account}, source="cli"))  # fmt: skip
    plain = calibrate_on_logs([benign], tmp_path / "p.duckdb")
    cal, use = calibrate_with_feedback(
        [benign], tmp_path / "b.duckdb", feedback=[table.path], reviewed_logs=[scanned],
        reviewed_store=tmp_path / "r.duckdb",
    )  # fmt: skip
    assert sorted(use.benign_added) == ["fp1", "fp2"]
    assert use.benign_already == 1  # b1 is in the benign logs: not counted twice
    assert use.not_found == 1  # "gone" has no request in the reviewed logs
    assert use.attack == 1
    assert set(use.attack_reached) == {"watch", "restrict", "block"}
    assert cal.benign_accounts == plain.benign_accounts + 2
    assert "2 reviewed false positive(s)" in cal.source


def test_labels_without_their_logs_are_an_error(tmp_path: Path) -> None:
    benign = write_logs(tmp_path / "benign.jsonl", ["b1"])
    table = FeedbackTable(tmp_path / "feedback.jsonl")
    table.append(parse_action({"action": "allow", "reviewer": "r", "note": "n",
                               "account_id": "fp"}, source="cli"))  # fmt: skip
    with pytest.raises(DistillguardError) as err:
        calibrate_with_feedback([benign], tmp_path / "b.duckdb", feedback=[table.path],
                                reviewed_logs=[], reviewed_store=tmp_path / "r.duckdb")  # fmt: skip
    assert err.value.field == "reviewed-logs"
