"""Review actions: what a valid one is, and how it decides with the policy's rules."""

from __future__ import annotations

import datetime as dt

import pytest

from distillguard.gateway.policy import Subject, decide, load_policy
from distillguard.gateway.state import AccountView
from distillguard.review.actions import ReviewError, UnknownTarget, parse_action, review_fields

BASE = {"action": "block", "reviewer": "ana", "note": "confirmed", "account_id": "acct-1"}
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"action": "ban"}, "action"),
        ({"reviewer": "  "}, "reviewer"),
        ({"note": None}, "note"),
        ({"note": "x" * 4001}, "note"),
        ({"campaign_id": "c"}, "account_id"),
        ({"account_id": None}, "account_id"),
        ({"account_id": "a\x00b"}, "account_id"),
        ({"accounts": ["a"]}, "accounts"),
        ({"reference": "12345"}, "reference"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_action_names_its_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ReviewError) as err:
        parse_action({**BASE, **change}, source="cli")
    assert err.value.field == field


def test_a_campaign_action_names_its_members() -> None:
    body = {**BASE, "campaign_id": "orion", "accounts": ["acct-9"]}
    del body["account_id"]
    got = parse_action(body, source="gateway", members={"orion": ["acct-2", "acct-1"]})
    assert got.accounts == ("acct-1", "acct-2", "acct-9")
    assert got.campaign_id == "orion"
    del body["accounts"]
    with pytest.raises(UnknownTarget):
        parse_action(body, source="gateway")


def _decide(view: dict[str, str]) -> str | None:
    s = Subject(account_id="acct-1", tier="paid", created_at=None, view=AccountView.parse(view))
    rule = decide(load_policy(), s, {}, NOW)
    return None if rule is None else rule.name


def _reviewed(action: str, view: dict[str, str]) -> dict[str, str]:
    a = parse_action({**BASE, "action": action}, source="cli")
    return {**view, **review_fields(a, view)}


def test_reviews_decide_once_in_the_policy() -> None:
    blocked = {"batch_verdict": "block", "campaign_id": "orion"}
    assert _decide(blocked) == "batch-block"
    # unblock: the refusal is lifted, the campaign's safeguards stay.
    assert _decide(_reviewed("unblock", blocked)) == "campaign"
    # allow: decided as if there were no evidence.
    assert _decide(_reviewed("allow", blocked)) == "default"
    assert _decide(_reviewed("verify", {})) == "review-verify"
    assert _decide(_reviewed("block", {})) == "review-block"


def test_an_allow_lapses_on_new_evidence() -> None:
    restricted = {"batch_verdict": "restrict"}
    allowed = _reviewed("allow", restricted)
    assert _decide(allowed) == "default"
    # The same evidence again (another sync) keeps it; worse evidence ends it.
    assert _decide({**allowed, "verdict": "restrict"}) == "default"
    assert _decide({**allowed, "batch_verdict": "block"}) == "batch-block"
    assert _decide({**allowed, "campaign_id": "new-one"}) == "campaign"
    # A block holds whatever the evidence says.
    assert _decide({**_reviewed("block", {}), "batch_verdict": "allow"}) == "review-block"


def test_an_allowed_account_is_trusted_as_if_unflagged() -> None:
    from distillguard.gateway.trust import TrustFacts, load_trust

    flagged = {"verdict": "restrict"}
    facts = TrustFacts(tier="paid")
    trust = load_trust()
    s = Subject("acct-1", "paid", None, view=AccountView.parse(_reviewed("allow", flagged)))
    assert trust.level_of(facts, AccountView.parse(flagged), NOW).name == "flagged"
    assert trust.level_of(facts, s.evidence, NOW).name != "flagged"
