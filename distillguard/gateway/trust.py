"""Trust levels as data: what the provider knows about an account, as a budget multiplier.

A trust table (YAML, validated on load; the shipped one is
``distillguard/gateway/trust.yaml``) is an ordered list of levels.  The **first
level whose conditions all hold** is the account's; its ``multiplier`` scales every
budget with ``trust: scale`` (:mod:`.budgets`).  Conditions read what the keys table
says about the account (tier, sign-up time, organisation, verification, payments,
chargebacks) and its view (online and batch verdicts, campaign, requests folded):
farmed tiers and new accounts start low, verified paying accounts with a long benign
history earn more, and evidence (a verdict, a campaign) takes it away again.

Nothing a client sends is read: the account comes from its API key, everything else
from the keys table and the state the gateway and ``distillguard sync`` write.

>>> t = load_trust_text('''
... levels:
...   - {name: flagged, multiplier: 0.1, when: {verdict_in: [restrict, block]}}
...   - {name: new, multiplier: 0.5, when: {account_age_days_below: 7}}
...   - {name: standard, multiplier: 1.0}
... ''', "t.yaml")
>>> import datetime as dt
>>> from distillguard.gateway.state import AccountView
>>> now = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
>>> facts = TrustFacts(created_at=dt.datetime(2026, 1, 8, tzinfo=dt.UTC))
>>> t.level_of(facts, AccountView(), now).name
'new'
>>> t.level_of(facts, AccountView(verdict="restrict"), now).name
'flagged'
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from distillguard.config import build
from distillguard.errors import DistillguardError
from distillguard.gateway.state import AccountView
from distillguard.yamlio import YamlDoc, load_yaml_file, load_yaml_text

VERDICT_NAMES = ("allow", "watch", "restrict", "block")


class TrustError(DistillguardError):
    """A trust table is invalid."""


@dataclass(frozen=True)
class TrustFacts:
    """What the keys table says about an account (see :class:`~.keys.KeyInfo`)."""

    tier: str | None = None
    created_at: dt.datetime | None = None
    org_id: str | None = None
    verified: bool | None = None
    paid_usd: float | None = None
    chargebacks: int | None = None


@dataclass(frozen=True)
class TrustWhen:
    """Conditions of a level; all that are given must hold.  Unknown facts do not hold."""

    tier_in: tuple[str, ...] | None = None
    account_age_days_below: float | None = None
    account_age_days_at_least: float | None = None
    #: true: the keys table says verified; false: it does not (unknown counts as false).
    verified: bool | None = None
    #: Lifetime payments (``paid_usd`` in the keys table) at least this much.
    paid_at_least: float | None = None
    chargebacks_at_least: int | None = None
    #: true: the account belongs to an organisation in the keys table.
    in_org: bool | None = None
    verdict_in: tuple[str, ...] | None = None
    batch_verdict_in: tuple[str, ...] | None = None
    in_campaign: bool | None = None
    #: Requests the gateway has folded for the account (benign history, with a verdict).
    min_requests: int | None = None

    def check(self) -> list[tuple[str, str]]:
        for name in ("verdict_in", "batch_verdict_in"):
            for i, v in enumerate(getattr(self, name) or ()):
                if v not in VERDICT_NAMES:
                    return [(f"{name}[{i}]", f"must be one of {', '.join(VERDICT_NAMES)}")]
        for name in ("account_age_days_below", "account_age_days_at_least", "paid_at_least"):
            v = getattr(self, name)
            if v is not None and (not math.isfinite(v) or v < 0):
                return [(name, "must be a number of at least 0")]
        return []

    def matches(self, facts: TrustFacts, view: AccountView, now: dt.datetime) -> bool:
        """Whether every condition given holds."""
        if self.tier_in is not None and facts.tier not in self.tier_in:
            return False
        if self.account_age_days_below is not None or self.account_age_days_at_least is not None:
            if facts.created_at is None:
                return False
            age = (now - facts.created_at).total_seconds() / 86_400
            if self.account_age_days_below is not None and age >= self.account_age_days_below:
                return False
            if self.account_age_days_at_least is not None and age < self.account_age_days_at_least:
                return False
        if self.verified is not None and bool(facts.verified) != self.verified:
            return False
        if self.paid_at_least is not None and (
            facts.paid_usd is None or facts.paid_usd < self.paid_at_least
        ):
            return False
        if self.chargebacks_at_least is not None and (
            facts.chargebacks is None or facts.chargebacks < self.chargebacks_at_least
        ):
            return False
        if self.in_org is not None and (facts.org_id is not None) != self.in_org:
            return False
        if self.verdict_in is not None and view.verdict not in self.verdict_in:
            return False
        if self.batch_verdict_in is not None and view.batch_verdict not in self.batch_verdict_in:
            return False
        if self.in_campaign is not None and (view.campaign_id is not None) != self.in_campaign:
            return False
        return self.min_requests is None or (
            view.requests is not None and view.requests >= self.min_requests
        )


@dataclass(frozen=True)
class TrustLevel:
    """One level: a name, conditions and the multiplier it gives budgets."""

    name: str
    multiplier: float
    when: TrustWhen = field(default_factory=TrustWhen)
    description: str | None = None

    def check(self) -> list[tuple[str, str]]:
        if not math.isfinite(self.multiplier) or self.multiplier < 0:
            return [("multiplier", "must be a number of at least 0")]
        return []


@dataclass(frozen=True)
class TrustTable:
    """A whole trust file: levels in order, the first that matches is the account's."""

    levels: tuple[TrustLevel, ...]
    version: int = 1

    def check(self) -> list[tuple[str, str]]:
        if self.version != 1:
            return [("version", f"unsupported trust table version {self.version} (reads 1)")]
        if not self.levels:
            return [("levels", "a trust table needs at least one level")]
        seen: set[str] = set()
        for i, lvl in enumerate(self.levels):
            if lvl.name in seen:
                return [(f"levels[{i}].name", f"duplicate level name {lvl.name!r}")]
            seen.add(lvl.name)
        if self.levels[-1].when != TrustWhen():
            return [("levels", "the last level must have no conditions (every account gets one)")]
        return []

    def level_of(self, facts: TrustFacts, view: AccountView, now: dt.datetime) -> TrustLevel:
        """The first level that matches (the last one has no conditions)."""
        for lvl in self.levels:
            if lvl.when.matches(facts, view, now):
                return lvl
        return self.levels[-1]


def _build(doc: YamlDoc) -> TrustTable:
    if doc.data is None:
        raise TrustError("empty trust file", path=doc.source)
    return build(TrustTable, doc, error=TrustError)


def load_trust_text(text: str, source: str = "<trust>") -> TrustTable:
    """Parse and validate trust YAML text."""
    return _build(load_yaml_text(text, source, TrustError))


_SHIPPED: list[TrustTable] = []


def load_trust(path: str | Path | None = None) -> TrustTable:
    """A trust file, or the table shipped with the package (``trust.yaml``)."""
    if path is not None:
        return _build(load_yaml_file(path, TrustError))
    if not _SHIPPED:
        ref = resources.files("distillguard.gateway") / "trust.yaml"
        _SHIPPED.append(load_trust_text(ref.read_text(encoding="utf-8"), "<shipped trust.yaml>"))
    return _SHIPPED[0]
