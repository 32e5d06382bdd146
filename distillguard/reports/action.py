"""The recommended action of a campaign report, and the gateway rule each member
falls under.

The words come from a data file (``assets/actions.yaml``, keyed by the campaign's
verdict).  What the gateway will do is *computed*: every member is put through the
policy's own :func:`~distillguard.gateway.policy.decide` with the view that
``distillguard sync`` / ``serve --accounts`` gives it (batch risk, batch verdict,
campaign id), so the report cannot drift from the rules a deployment runs.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from distillguard.config import build
from distillguard.errors import DistillguardError
from distillguard.gateway.policy import Policy, PolicyError, Rule, Subject, decide, load_policy
from distillguard.gateway.policy import load_policy_text as _load_policy_text
from distillguard.gateway.state import AccountView
from distillguard.reports.formatting import asset
from distillguard.yamlio import load_yaml_file, load_yaml_text

#: Placeholders the action texts may use.
PLACEHOLDERS: Final = frozenset(
    {
        "campaign_id",
        "verdict",
        "score",
        "threshold",
        "n_accounts",
        "accounts_file",
        "policy",
        "out_dir",
        "store",
    }
)
SHIPPED_POLICY: Final = "the shipped gateway policy (distillguard/gateway/default_policy.yaml)"
_NO_RULE: Final = "(no rule)"


class ActionsError(DistillguardError):
    """The recommended-actions file is invalid."""


def _unknown_placeholders(text: str) -> list[str]:
    template = string.Template(text)
    if not template.is_valid():
        return ["(a '$' that starts no placeholder; write '$$' for a dollar sign)"]
    return sorted(set(template.get_identifiers()) - PLACEHOLDERS)


def _check_texts(fields: Mapping[str, str | None]) -> list[tuple[str, str]]:
    known = ", ".join(sorted(PLACEHOLDERS))
    for name, text in fields.items():
        if text is None:
            continue
        bad = _unknown_placeholders(text)
        if bad:
            return [(name, f"unknown placeholder ${bad[0]} (known: {known})")]
    return []


@dataclass(frozen=True)
class ActionText:
    """What to recommend for campaigns of one verdict."""

    title: str
    summary: str
    steps: tuple[str, ...] = ()
    #: A policy rule (YAML list item) that acts on this campaign alone.
    rule: str | None = None

    def check(self) -> list[tuple[str, str]]:
        texts: dict[str, str | None] = {"title": self.title, "summary": self.summary}
        texts.update({f"steps[{i}]": s for i, s in enumerate(self.steps)})
        texts["rule"] = self.rule
        problems = _check_texts(texts)
        if problems or self.rule is None:
            return problems
        # The rule must be one the gateway accepts: parse it as a policy.
        sample = string.Template(self.rule).safe_substitute(campaign_id="cmp_000000000000")
        try:
            _load_policy_text("rules:\n" + sample, "<rule>")
        except PolicyError as exc:
            return [("rule", f"not a valid policy rule: {exc.message}")]
        return []


@dataclass(frozen=True)
class ApplyCommand:
    """A command that applies the scan's verdicts, and when to use it."""

    label: str
    command: str

    def check(self) -> list[tuple[str, str]]:
        return _check_texts({"label": self.label, "command": self.command})


@dataclass(frozen=True)
class ActionBook:
    """The whole actions file."""

    actions: dict[str, ActionText]
    apply: tuple[ApplyCommand, ...] = ()
    version: int = 1

    def check(self) -> list[tuple[str, str]]:
        if self.version != 1:
            return [("version", f"unsupported version {self.version} (this build reads 1)")]
        if "default" not in self.actions:
            return [("actions", "needs a 'default' entry (for verdicts without their own)")]
        return []


def load_actions(path: str | Path | None = None) -> ActionBook:
    """The actions file at ``path``, or the one shipped in the package."""
    if path is None:
        doc = load_yaml_text(asset("actions.yaml"), "<shipped actions.yaml>", ActionsError)
    else:
        doc = load_yaml_file(path, ActionsError)
    return build(ActionBook, doc, error=ActionsError)


@dataclass(frozen=True)
class RuleOutcome:
    """How many members one policy rule decides, and what it does to them."""

    rule: str
    action: str
    accounts: int
    #: Member verdicts (from the scan) among those accounts.
    verdicts: Mapping[str, int]
    when: str
    effect: str


@dataclass(frozen=True)
class Recommendation:
    key: str
    title: str
    summary: str
    steps: tuple[str, ...]
    rule: str | None
    commands: tuple[tuple[str, str], ...]
    outcomes: tuple[RuleOutcome, ...]
    policy: str
    #: Short form for the index, e.g. ``block 1,150 · throttle 50``.
    short: str = field(default="")


def describe_when(rule: Rule) -> str:
    """A rule's conditions as ``key: value`` pairs (``always`` without conditions)."""
    parts = []
    for name, value in vars(rule.when).items():
        if value is None:
            continue
        if isinstance(value, tuple):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = str(value).lower()
        parts.append(f"{name}: {value}")
    return "; ".join(parts) or "always"


def describe_effect(rule: Rule) -> str:
    """What a rule does to a request, in words."""
    effects: list[str] = []
    if rule.action == "block":
        effects.append("refused (403 account_blocked)")
    elif rule.action == "require_verification":
        effects.append("refused until verified (403 verification_required)")
    elif rule.action == "throttle" and rule.throttle is not None:
        t = rule.throttle
        whose = "the whole campaign together" if t.per == "campaign" else "each account"
        effects.append(f"at most {t.rate:g} requests/s (bursts of {t.burst:g}) for {whose}")
    if rule.action in ("allow", "throttle"):
        if rule.strip_reasoning:
            effects.append("reasoning removed from answers")
        if rule.strip_logprobs:
            effects.append("logprobs withheld")
        if rule.max_n is not None:
            effects.append(f"n \u2264 {rule.max_n}")
        if rule.max_tokens is not None:
            effects.append(f"max_tokens \u2264 {rule.max_tokens:,}")
        if not effects:
            effects.append("served unchanged")
    return "; ".join(effects)


def gateway_outcomes(
    campaign_id: str, members: Sequence[Mapping[str, Any]], policy: Policy
) -> tuple[RuleOutcome, ...]:
    """Each member through ``policy`` as the gateway sees it after a sync.

    A member's view holds what ``distillguard sync`` pushes (``batch_risk``,
    ``batch_verdict``, ``campaign_id``) and nothing the gateway learns online, so
    rules on online verdicts, request counts or account age do not match yet.
    """
    by_rule: dict[str, dict[str, int]] = {}
    rules: dict[str, Rule | None] = {}
    # Only account age reads the clock, and no account here has a sign-up time.
    now = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    watch = policy.watch_sets
    for m in members:
        verdict = str(m.get("verdict") or "unknown")
        risk = m.get("risk")
        subject = Subject(
            account_id=str(m["account_id"]),
            tier=None,
            created_at=None,
            # As the gateway reads what a sync stored.
            view=AccountView.parse(
                {
                    "batch_risk": repr(float(risk)) if isinstance(risk, int | float) else "",
                    "batch_verdict": verdict,
                    "campaign_id": campaign_id,
                }
            ),
        )
        rule = decide(policy, subject, watch, now)
        name = _NO_RULE if rule is None else rule.name
        rules[name] = rule
        counts = by_rule.setdefault(name, {})
        counts[verdict] = counts.get(verdict, 0) + 1
    order = {r.name: i for i, r in enumerate(policy.rules)}
    out = []
    for name in sorted(by_rule, key=lambda n: order.get(n, len(order))):
        rule = rules[name]
        out.append(
            RuleOutcome(
                rule=name,
                action="allow" if rule is None else rule.action,
                accounts=sum(by_rule[name].values()),
                verdicts=dict(sorted(by_rule[name].items())),
                when="no rule matches" if rule is None else describe_when(rule),
                effect="served unchanged" if rule is None else describe_effect(rule),
            )
        )
    return tuple(out)


def recommend(
    *,
    campaign_id: str,
    verdict: str,
    score: float | None,
    threshold: float | None,
    members: Sequence[Mapping[str, Any]],
    accounts_file: str,
    out_dir: str,
    store: str,
    policy: Policy | None = None,
    policy_name: str = SHIPPED_POLICY,
    book: ActionBook | None = None,
) -> Recommendation:
    """The recommendation for one campaign (texts filled, gateway outcome computed)."""
    book = book or load_actions()
    policy = policy or load_policy()
    key = verdict if verdict in book.actions else "default"
    text = book.actions[key]
    values = {
        "campaign_id": campaign_id,
        "verdict": verdict,
        "score": "unknown" if score is None else f"{score:.2f}",
        "threshold": "unknown" if threshold is None else f"{threshold:.2f}",
        "n_accounts": f"{len(members):,}",
        "accounts_file": accounts_file,
        "policy": policy_name,
        "out_dir": out_dir,
        "store": store,
    }

    def fill(s: str) -> str:
        return string.Template(s).substitute(values)

    outcomes = gateway_outcomes(campaign_id, members, policy)
    short = " \u00b7 ".join(f"{o.action} {o.accounts:,}" for o in outcomes) or "no members"
    return Recommendation(
        key=key,
        title=fill(text.title),
        summary=fill(text.summary),
        steps=tuple(fill(s) for s in text.steps),
        rule=None if text.rule is None else fill(text.rule),
        commands=tuple((fill(c.label), fill(c.command)) for c in book.apply),
        outcomes=outcomes,
        policy=policy_name,
        short=short,
    )


__all__ = [
    "PLACEHOLDERS",
    "SHIPPED_POLICY",
    "ActionBook",
    "ActionText",
    "ActionsError",
    "ApplyCommand",
    "Recommendation",
    "RuleOutcome",
    "describe_effect",
    "describe_when",
    "gateway_outcomes",
    "load_actions",
    "recommend",
]
