"""Gateway policy as data: ordered rules, each a condition and an action.

A policy file is YAML validated on load; every error names the file, line and
field.  Rules are tried in order and the **first rule whose conditions all hold
decides** (a rule without ``when`` always matches, so put a catch-all last; if no
rule matches the request is allowed unchanged).  See ``docs/gateway.md``.

Actions:

- ``allow``: forward, optionally with output safeguards (``strip_reasoning``,
  ``strip_logprobs``) and caps (``max_tokens``, ``max_n``);
- ``throttle``: take a token from a bucket per account or per campaign; over the
  limit answers 429, otherwise forwards like ``allow`` (safeguards and caps too);
- ``require_verification``: 403 with error code ``verification_required``;
- ``block``: 403 with error code ``account_blocked``.

Extraction budgets (``budgets:``, :mod:`.budgets`) apply after the rules, to requests
the rules let through; see ``docs/policy.md``.

>>> p = load_policy_text("rules:\\n  - name: all\\n    action: allow\\n", "p.yaml")
>>> p.rules[0].action
'allow'
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final, Literal

from distillguard.config import build
from distillguard.errors import DistillguardError
from distillguard.gateway.budgets import Budget
from distillguard.gateway.routes import Limits, RouteSpec
from distillguard.gateway.state import AccountView
from distillguard.yamlio import YamlDoc, load_yaml_file, load_yaml_text

Action = Literal["allow", "throttle", "require_verification", "block"]
ACTIONS: Final = ("allow", "throttle", "require_verification", "block")
VERDICT_NAMES: Final = ("allow", "watch", "restrict", "block")


class PolicyError(DistillguardError):
    """A policy file is invalid."""


@dataclass(frozen=True)
class When:
    """Conditions of a rule; all that are given must hold."""

    #: Online risk (from requests this gateway has seen), in [0, 1].
    risk_at_least: float | None = None
    risk_below: float | None = None
    #: Online verdict (allow/watch/restrict/block).
    verdict_in: tuple[str, ...] | None = None
    #: Verdict and risk pushed from a batch scan by ``distillguard sync``.
    batch_verdict_in: tuple[str, ...] | None = None
    batch_risk_at_least: float | None = None
    #: true: the account belongs to some campaign; false: to none.
    in_campaign: bool | None = None
    campaign_in: tuple[str, ...] | None = None
    #: Names of watchlists (see ``Policy.watchlists``); any one containing the account.
    watchlist: tuple[str, ...] | None = None
    tier_in: tuple[str, ...] | None = None
    account_age_days_below: float | None = None
    #: Requests this gateway has folded for the account so far.
    min_requests: int | None = None
    #: Only requests from keys not in the keys table (``unknown_keys: allow``).
    unknown_key: bool | None = None

    def check(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name in ("risk_at_least", "risk_below", "batch_risk_at_least"):
            v = getattr(self, name)
            if v is not None and not 0.0 <= v <= 1.0:
                out.append((name, f"must be between 0 and 1, got {v}"))
        for name in ("verdict_in", "batch_verdict_in"):
            for i, v in enumerate(getattr(self, name) or ()):
                if v not in VERDICT_NAMES:
                    out.append((f"{name}[{i}]", f"must be one of {', '.join(VERDICT_NAMES)}"))
        return out


@dataclass(frozen=True)
class Throttle:
    """A token bucket: ``rate`` requests per second, bursts up to ``burst``."""

    rate: float
    burst: float = 10.0
    per: Literal["account", "campaign"] = "account"

    def check(self) -> list[tuple[str, str]]:
        if self.rate <= 0:
            return [("rate", "must be positive")]
        if self.burst < 1:
            return [("burst", "must be at least 1")]
        return []


@dataclass(frozen=True)
class Rule:
    """One rule: a name, conditions, an action and its options."""

    name: str
    action: Action
    when: When = field(default_factory=When)
    throttle: Throttle | None = None
    strip_reasoning: bool = False
    strip_logprobs: bool = False
    max_tokens: int | None = None
    max_n: int | None = None
    #: Message shown to the client on 403/429 (a default is used otherwise).
    message: str | None = None

    def check(self) -> list[tuple[str, str]]:
        if self.action == "throttle" and self.throttle is None:
            return [("throttle", "action throttle needs a throttle: {rate, burst, per}")]
        if self.action != "throttle" and self.throttle is not None:
            return [("throttle", f"only action throttle takes a throttle, not {self.action}")]
        if self.max_tokens is not None and self.max_tokens < 1:
            return [("max_tokens", "must be at least 1")]
        if self.max_n is not None and self.max_n < 1:
            return [("max_n", "must be at least 1")]
        return []


@dataclass(frozen=True)
class Policy:
    """A whole policy file."""

    rules: tuple[Rule, ...]
    version: int = 1
    #: Requests whose API key is not in the keys table: reject with 401, or allow
    #: them as an account named after a hash of the key (rules see ``unknown_key``).
    unknown_keys: Literal["reject", "allow"] = "reject"
    #: State store unreachable: ``open`` decides without account state (rules on
    #: risk, verdicts and campaigns do not match, throttles let requests through);
    #: ``closed`` answers 503.
    state_failure: Literal["open", "closed"] = "open"
    #: Named lists of account ids for ``when.watchlist``.
    watchlists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Days of online profile kept and scored (the scan's window, in effect).
    window_days: int = 30
    #: Paths forwarded upstream (see :mod:`.routes`); None: the shipped list.
    routes: tuple[RouteSpec, ...] | None = None
    #: Bounds on every request.
    limits: Limits = field(default_factory=Limits)
    #: Extraction budgets (see :mod:`.budgets` and ``docs/policy.md``), checked on
    #: model routes after the rules, for requests the rules let through.
    budgets: tuple[Budget, ...] = ()
    #: Ask chat and completions streams for their usage (``stream_options.include_usage``;
    #: the extra chunk is hidden from clients that did not ask) so their value is
    #: counted.  false for an upstream that refuses the option: the gateway then counts
    #: the streamed text itself (``chars/4``).
    stream_usage: bool = True

    def check(self) -> list[tuple[str, str]]:
        if self.version != 1:
            return [("version", f"unsupported policy version {self.version} (this build reads 1)")]
        seen: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.name in seen:
                return [(f"rules[{i}].name", f"duplicate rule name {rule.name!r}")]
            seen.add(rule.name)
            for j, w in enumerate(rule.when.watchlist or ()):
                if w not in self.watchlists:
                    return [(f"rules[{i}].when.watchlist[{j}]", f"no watchlist named {w!r}")]
        if self.window_days < 1:
            return [("window_days", "must be at least 1")]
        names: set[str] = set()
        for i, budget in enumerate(self.budgets):
            if budget.name in names:
                return [(f"budgets[{i}].name", f"duplicate budget name {budget.name!r}")]
            names.add(budget.name)
        return []

    @property
    def watch_sets(self) -> dict[str, frozenset[str]]:
        return {k: frozenset(v) for k, v in self.watchlists.items()}

    @property
    def route_specs(self) -> tuple[RouteSpec, ...]:
        """The forwarded paths: this policy's own, or the shipped policy's."""
        if self.routes is not None:
            return self.routes
        return _shipped().routes or ()


def _build(doc: YamlDoc) -> Policy:
    if doc.data is None:
        raise PolicyError("empty policy file", path=doc.source)
    return build(Policy, doc, error=PolicyError)


def load_policy_text(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate policy YAML text."""
    return _build(load_yaml_text(text, source, PolicyError))


_SHIPPED: list[Policy] = []


def _shipped() -> Policy:
    if not _SHIPPED:
        ref = resources.files("distillguard.gateway") / "default_policy.yaml"
        _SHIPPED.append(load_policy_text(ref.read_text(encoding="utf-8"), "<default policy>"))
    return _SHIPPED[0]


def load_policy(path: str | Path | None = None) -> Policy:
    """A policy file, or the default policy shipped with the package."""
    if path is None:
        return _shipped()
    return _build(load_yaml_file(path, PolicyError))


@dataclass(frozen=True)
class Subject:
    """What a rule can look at for one request (built per request, never shared).

    ``view`` is the account view, typed (:class:`~distillguard.gateway.state.AccountView`,
    parsed once from what the state store holds): conditions compare its values, and
    a condition on a field the view does not have (unset, or stored unreadable) does
    not hold.
    """

    account_id: str
    tier: str | None
    created_at: dt.datetime | None
    view: AccountView = field(default_factory=AccountView)
    unknown_key: bool = False
    state_ok: bool = True

    # Cached: every rule's conditions read them (the instance is per request).
    @functools.cached_property
    def review(self) -> str | None:
        """The review action in force (see :meth:`AccountView.review_in_force`)."""
        return self.view.review_in_force()

    @functools.cached_property
    def evidence(self) -> AccountView:
        """The view as rules and trust levels read it: without evidence once a
        reviewer allowed the account (a reviewed false positive)."""
        return self.view.without_evidence() if self.review == "allow" else self.view

    def risk(self) -> float | None:
        return self.evidence.risk


def matches(
    when: When, s: Subject, watch: Mapping[str, AbstractSet[str]], now: dt.datetime
) -> bool:
    """Whether every condition given in ``when`` holds for ``s``."""
    view = s.evidence
    if when.unknown_key is not None and when.unknown_key != s.unknown_key:
        return False
    if when.risk_at_least is not None or when.risk_below is not None:
        r = s.risk()
        if r is None:
            return False
        if when.risk_at_least is not None and r < when.risk_at_least:
            return False
        if when.risk_below is not None and r >= when.risk_below:
            return False
    if when.verdict_in is not None and view.verdict not in when.verdict_in:
        return False
    if when.batch_verdict_in is not None and view.batch_verdict not in when.batch_verdict_in:
        return False
    if when.batch_risk_at_least is not None and (
        view.batch_risk is None or view.batch_risk < when.batch_risk_at_least
    ):
        return False
    campaign = view.campaign_id
    if when.in_campaign is not None and (
        not s.state_ok or (campaign is not None) != when.in_campaign
    ):
        return False
    if when.campaign_in is not None and campaign not in when.campaign_in:
        return False
    if when.watchlist is not None and (
        # Watchlists are evidence too: an allowed account is on none.
        s.review == "allow" or not any(s.account_id in watch[w] for w in when.watchlist)
    ):
        return False
    if when.tier_in is not None and s.tier not in when.tier_in:
        return False
    if when.account_age_days_below is not None:
        if s.created_at is None:
            return False
        if (now - s.created_at).total_seconds() / 86_400 >= when.account_age_days_below:
            return False
    if when.min_requests is not None:
        n = view.requests
        if n is None or n < when.min_requests:
            return False
    return True


#: What a review decides alone (``verify`` and ``block``; see :mod:`distillguard.review`).
REVIEW_RULES: Final = {
    "block": Rule(
        name="review-block", action="block",
        message="this account is blocked after review; quote the reference to appeal",
    ),
    "verify": Rule(
        name="review-verify", action="require_verification",
        message="additional verification is required for this account",
    ),
}  # fmt: skip
_REFUSING: Final = frozenset({"block", "require_verification"})


def decide(
    policy: Policy, s: Subject, watch: Mapping[str, AbstractSet[str]], now: dt.datetime
) -> Rule | None:
    """The first rule that matches ``s`` (``None``: no rule matched, allow unchanged).

    A review in force comes first: ``block`` and ``verify`` decide alone; after
    ``unblock`` the rules that refuse are passed over; after ``allow`` the rules see
    no evidence (:attr:`Subject.evidence`).
    """
    review = s.review
    if review in REVIEW_RULES:
        return REVIEW_RULES[review]
    for rule in policy.rules:
        if review == "unblock" and rule.action in _REFUSING:
            continue
        if matches(rule.when, s, watch, now):
            return rule
    return None
