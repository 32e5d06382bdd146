"""The feedback table: durable appends by several writers, strict reads, labels."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from distillguard.review.actions import ReviewAction, ReviewError, parse_action
from distillguard.review.feedback import FeedbackTable, labels


def _act(action: str, account: str, **more: object) -> ReviewAction:
    body = {"action": action, "reviewer": "ana", "note": "n", "account_id": account, **more}
    return parse_action(body, source="cli")


def test_actions_come_back_as_written(tmp_path: Path) -> None:
    t = FeedbackTable(tmp_path / "sub" / "feedback.jsonl")
    assert t.actions() == []
    a = parse_action({"action": "unblock", "reviewer": "ana", "note": "teacher",
                      "account_id": "acct-1", "reference": "req_0123456789abcdef"},
                     source="gateway")  # fmt: skip
    t.append(a)
    (back,) = t.actions()
    assert back == a
    assert json.loads(t.path.read_text())["v"] == 1


def test_concurrent_writers_interleave_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"

    def write(i: int) -> None:
        t = FeedbackTable(path)  # one per writer, as replicas have
        for j in range(25):
            t.append(parse_action({"action": "allow", "reviewer": f"r{i}", "note": "x" * 500,
                                   "account_id": f"a{i}-{j}"}, source="cli"))  # fmt: skip

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(FeedbackTable(path).actions()) == 100


def test_a_torn_last_line_is_skipped_and_the_next_append_starts_clean(tmp_path: Path) -> None:
    t = FeedbackTable(tmp_path / "feedback.jsonl")
    t.append(_act("allow", "acct-1"))
    with t.path.open("a") as fh:
        fh.write('{"v": 1, "id": "rev_')  # a writer killed mid-line
    assert len(t.actions()) == 1
    t.append(_act("block", "acct-2"))
    with pytest.raises(ReviewError) as err:
        t.actions()  # the torn line is now in the middle: an error naming it
    assert err.value.line == 2


def test_an_unknown_version_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "feedback.jsonl"
    p.write_text(json.dumps({"v": 2, "action": "allow"}) + "\n")
    with pytest.raises(ReviewError) as err:
        FeedbackTable(p).actions()
    assert (err.value.field, err.value.line) == ("v", 1)


def test_the_latest_action_labels_an_account(tmp_path: Path) -> None:
    t = FeedbackTable(tmp_path / "feedback.jsonl")
    for action, account in (("block", "a"), ("unblock", "a"), ("allow", "b"), ("block", "b"),
                            ("verify", "c")):  # fmt: skip
        t.append(_act(action, account))
    camp = parse_action({"action": "block", "reviewer": "r", "note": "n", "campaign_id": "orion",
                         "accounts": ["d", "e"]}, source="cli")  # fmt: skip
    t.append(camp)
    got = labels([t])
    assert got.benign == {"a"}
    assert got.attack == {"b", "d", "e"}
    assert got.campaigns == {"orion"}
