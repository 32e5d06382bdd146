"""Policy files: validation with file, line and field; first matching rule wins."""

from __future__ import annotations

import dataclasses
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
from distillguard.gateway.state import VIEW_FIELDS, AccountView
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
    """A subject whose view is ``view`` as the state store holds it (strings)."""
    typed = AccountView.parse(view)
    return Subject(account_id="a1", tier="edu", created_at=NOW - dt.timedelta(days=2), view=typed)


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
    other = Subject(account_id="b", tier="paid", created_at=None, view=AccountView(risk=0.95))
    assert decide(p, other, watch, NOW).name == "risky"  # type: ignore[union-attr]
    assert decide(p, _subject(), watch, NOW).name == "young"  # type: ignore[union-attr]
    old = Subject(account_id="b", tier="edu", created_at=NOW - dt.timedelta(days=90))
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


# --- The typed account view: parsed once from the stored strings. ---


def test_the_view_reads_every_stored_field_typed() -> None:
    stored = {
        "risk": "0.9731", "score": "12.5", "verdict": "restrict", "requests": "25",
        "batch_risk": "0.999", "batch_verdict": "block", "campaign_id": "cmp_1", "intel": "p/c",
        "unrelated": "kept out",
    }  # fmt: skip
    v = AccountView.parse(stored)
    assert (v.risk, v.score, v.verdict, v.requests) == (0.9731, 12.5, "restrict", 25.0)
    assert (v.batch_risk, v.batch_verdict, v.campaign_id, v.intel) == (
        0.999, "block", "cmp_1", "p/c",
    )  # fmt: skip
    assert v.invalid == ()
    assert {f.name for f in dataclasses.fields(AccountView)} - {"invalid"} == set(VIEW_FIELDS)


def test_the_wire_format_is_what_the_scorer_and_sync_always_wrote() -> None:
    # The scorer wrote repr(float) for risk and score and str(int) for requests.
    risk, score = 0.1 + 0.2, 7.000000000000001
    v = AccountView(risk=risk, score=score, verdict="watch", requests=12.0)
    assert v.fields() == {
        "risk": repr(risk), "score": repr(score), "verdict": "watch", "requests": "12",
    }  # fmt: skip
    assert AccountView.parse(v.fields()) == v
    # Empty means unset: sync clears a campaign with "".
    assert AccountView.parse({"campaign_id": "", "risk": ""}) == AccountView()


@pytest.mark.parametrize(
    ("stored", "bad"),
    [
        ({"risk": "abc"}, "risk"),
        ({"risk": "nan"}, "risk"),
        ({"batch_risk": "inf"}, "batch_risk"),
        ({"requests": "many"}, "requests"),
        ({"verdict": "severe"}, "verdict"),
        ({"batch_verdict": "BLOCK"}, "batch_verdict"),
    ],
)
def test_a_bad_stored_value_is_named_and_read_as_unset(stored: dict[str, str], bad: str) -> None:
    v = AccountView.parse({**stored, "campaign_id": "c1"})
    assert v.invalid == (bad,)
    assert getattr(v, bad) is None
    assert v.campaign_id == "c1"
    # A rule on the bad field does not match (a NaN risk used to match every
    # threshold, and text raised ValueError inside the request).
    p = load_policy_text(
        """
rules:
  - {name: risky, action: block, when: {risk_at_least: 0.5}}
  - {name: calm, action: allow, when: {risk_below: 0.5}}
  - {name: batch, action: block, when: {batch_risk_at_least: 0.5}}
  - {name: busy, action: allow, when: {min_requests: 1}}
  - {name: judged, action: allow, when: {verdict_in: [allow, watch, restrict, block]}}
  - {name: batch_judged, action: allow, when: {batch_verdict_in: [allow, watch, restrict, block]}}
""",
        "p.yaml",
    )
    assert decide(p, _subject(**stored), p.watch_sets, NOW) is None
