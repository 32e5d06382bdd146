"""Policy files: validation with file, line and field; first matching rule wins."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from distillguard.gateway.policy import (
    PolicyError,
    Subject,
    decide,
    load_policy,
    load_policy_text,
)
from distillguard.scoring.risk import Calibration, score_profiles
from tests.scoring.helpers import profiles

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def test_default_policy_loads() -> None:
    p = load_policy()
    assert p.rules[-1].name == "default"
    assert {r.action for r in p.rules} >= {"allow", "throttle", "block"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("rules:\n  - name: a\n    action: nope\n", "p.yaml:3: field rules[0].action"),
        ("rules:\n  - name: a\n    action: throttle\n", "p.yaml:2: field rules[0].throttle"),
        (
            "rules:\n  - name: a\n    action: allow\n    when:\n      risk_at_least: 2\n",
            "p.yaml:5: field rules[0].when.risk_at_least",
        ),
        (
            "rules:\n  - name: a\n    action: allow\n    when: {watchlist: [x]}\n",
            "p.yaml:4: field rules[0].when.watchlist[0]",
        ),
        (
            "rules:\n  - name: a\n    action: allow\n    colour: red\n",
            "p.yaml:4: field rules[0].colour",
        ),
        ("rules: [\n", "p.yaml:2"),
        (
            "rules:\n  - name: a\n    action: allow\n  - name: a\n    action: block\n",
            "p.yaml:4: field rules[1].name",
        ),
    ],
)
def test_policy_errors_name_file_line_and_field(text: str, where: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, "p.yaml")
    assert str(info.value).startswith(where), str(info.value)


def test_policy_file_errors_name_the_file(tmp_path: Path) -> None:
    f = tmp_path / "pol.yaml"
    f.write_text("version: 2\nrules: []\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"pol.yaml:1: field version"):
        load_policy(f)


def _subject(**view: str) -> Subject:
    return Subject(account_id="a1", tier="edu", created_at=NOW - dt.timedelta(days=2), view=view)


def test_first_matching_rule_wins() -> None:
    p = load_policy_text(
        """
watchlists: {vip: [a1]}
rules:
  - {name: listed, action: allow, when: {watchlist: [vip], risk_at_least: 0.5}}
  - {name: risky, action: block, when: {risk_at_least: 0.9}}
  - {name: young, action: require_verification, when: {account_age_days_below: 7, tier_in: [edu]}}
  - {name: rest, action: allow}
""",
        "p.yaml",
    )
    watch = p.watch_sets
    assert decide(p, _subject(risk="0.95"), watch, NOW).name == "listed"  # type: ignore[union-attr]
    other = Subject(account_id="b", tier="paid", created_at=None, view={"risk": "0.95"})
    assert decide(p, other, watch, NOW).name == "risky"  # type: ignore[union-attr]
    assert decide(p, _subject(), watch, NOW).name == "young"  # type: ignore[union-attr]
    old = Subject(account_id="b", tier="edu", created_at=NOW - dt.timedelta(days=90), view={})
    assert decide(p, old, watch, NOW).name == "rest"  # type: ignore[union-attr]


def test_campaign_and_batch_conditions() -> None:
    p = load_policy_text(
        """
rules:
  - {name: camp, action: block, when: {campaign_in: [orion]}}
  - {name: batch, action: block, when: {batch_verdict_in: [restrict, block]}}
""",
        "p.yaml",
    )
    w = p.watch_sets
    assert decide(p, _subject(campaign_id="orion"), w, NOW).name == "camp"  # type: ignore[union-attr]
    assert decide(p, _subject(batch_verdict="restrict"), w, NOW).name == "batch"  # type: ignore[union-attr]
    assert decide(p, _subject(batch_verdict="watch"), w, NOW) is None


def test_default_policy_restricts_online_block_before_verification() -> None:
    """A fresh account judged a harvester online gets no reasoning traces at once,
    and is asked to verify once the evidence suffices for a block.

    The scorer holds a block-level score on too few requests at ``restrict`` (the
    calibration's ``block_evidence``), so the policy needs no request count of its
    own: the views below are what the scorer writes for 5 and 25 such requests.
    """
    cal = Calibration.load()
    scored = score_profiles(profiles([_elicitor(5), _elicitor(25)]), cal).sort_by("account_id")
    views = [
        {"verdict": v, "requests": str(int(n))}
        for v, n in zip(scored["verdict"].to_pylist(), scored["requests"].to_pylist(), strict=True)
    ]
    p = load_policy()
    w = p.watch_sets
    few = decide(p, _subject(**views[0]), w, NOW)
    assert few is not None
    assert few.name == "restrict"
    assert few.strip_reasoning
    many = decide(p, _subject(**views[1]), w, NOW)
    assert many is not None
    assert many.action == "require_verification"


def _elicitor(n: int) -> dict[str, object]:
    """A new free-tier account whose every request asks for the model's reasoning."""
    return {
        "n": n, "cot_n": n, "followup_n": 0, "tier": "free",
        "account_created_at": NOW - dt.timedelta(days=2),
    }  # fmt: skip
