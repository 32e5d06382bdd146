"""The attacker's cost of a harvest under the current policy: identities and tokens.

How much must an operator pay for ``target_answers`` (one million) reasoning-rich
answers when every account it runs is held to the policy's budgets?  Identity paths
and the answer harvested are data (``identity_costs.yaml``, validated on load); the
budgets, trust levels and prices are the gateway's own.

For each sign-up path ``p`` (what one account costs, the facts the provider then
knows of it, how long it harvests before it is stopped):

1. **Trust**, day by day of the account's life: the level of the trust table that its
   facts give (tier, verification, payments, age growing from ``age_days``), with an
   empty view (an account not yet detected).
2. **Answers a budget allows per day**, for each of the account's budgets that the
   answer spends (``per: account``; ``capability: any`` or one naming the answer's):
   ``limit * multiplier * at / per_answer / window_days``: ``at`` is the first level
   that ends reasoning-rich answers (strips reasoning or refuses), ``per_answer`` the
   answer's amount of the budget's unit (1 answer, its reasoning or completion tokens).
3. **Answers per account** = the least, over those budgets, of the budget's sum over
   the account's ``lifetime_days`` (at least one whole window at its first day's
   trust: a window can be taken at once).  Throttles and ``max_tokens`` caps are left
   out, so this is an upper bound on what an account takes and the cost a lower bound.
4. **Accounts** = ``ceil(target / answers per account)`` (one when nothing bounds it).
5. **Cost** = accounts * (sign-up + payment method + verification + holding)
   + target * the answer's price at list price (unless the path pays no tokens, a
   free tier).

Budgets per organisation and campaign are left out: an operator gives each account
its own organisation, and a campaign budget applies only once it is found.

>>> paths = load_identity_costs()
>>> from distillguard.gateway.policy import load_policy
>>> from distillguard.gateway.trust import load_trust
>>> from distillguard.economics.prices import load_prices
>>> est = harvest_cost(load_policy(), load_trust(), load_prices(), paths)
>>> est.cheapest.path.name in {p.name for p in paths.paths}
True
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from distillguard.config import build
from distillguard.datafile import DataFileError, load_data_file, load_data_text
from distillguard.economics.prices import PriceTable
from distillguard.gateway.budgets import Budget
from distillguard.gateway.policy import Policy
from distillguard.gateway.state import AccountView
from distillguard.gateway.trust import TrustFacts, TrustTable
from distillguard.signals.capability import LABELS
from distillguard.yamlio import YamlDoc

#: Days in each budget window.
WINDOW_DAYS = {"hour": 1 / 24, "day": 1.0, "week": 7.0}


@dataclass(frozen=True)
class Answer:
    """One reasoning-rich answer as harvested (reasoning within the completion)."""

    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    capability: str = "reasoning"
    model: str | None = None

    def check(self) -> list[tuple[str, str]]:
        for name in ("prompt_tokens", "completion_tokens", "reasoning_tokens"):
            if getattr(self, name) < 0:
                return [(name, "must be at least 0")]
        if self.reasoning_tokens < 1:
            return [("reasoning_tokens", "a reasoning-rich answer has reasoning tokens")]
        if self.reasoning_tokens > self.completion_tokens:
            return [("reasoning_tokens", "reasoning tokens are part of the completion tokens")]
        if self.capability not in LABELS:
            return [("capability", f"must be one of {', '.join(LABELS)}")]
        return []

    def amount(self, unit: str) -> int:
        """How much of a budget's unit one answer spends."""
        return {
            "reasoning_answers": 1,
            "reasoning_tokens": self.reasoning_tokens,
            "completion_tokens": self.completion_tokens,
        }[unit]


@dataclass(frozen=True)
class IdentityPath:
    """One way to get an account: what it costs and what the provider knows of it."""

    name: str
    lifetime_days: int
    signup_usd: float = 0.0
    payment_method_usd: float = 0.0
    verification_usd: float = 0.0
    #: Money spent to make the account look established (payments, aging).
    holding_usd: float = 0.0
    #: False: the tier serves answers without charge (a free or programme tier).
    pays_tokens: bool = True
    tier: str | None = None
    verified: bool = False
    paid_usd: float = 0.0
    #: The account's age when it starts harvesting.
    age_days: float = 0.0
    description: str | None = None

    def check(self) -> list[tuple[str, str]]:
        for name in ("signup_usd", "payment_method_usd", "verification_usd", "holding_usd",
                     "paid_usd", "age_days"):  # fmt: skip
            v = getattr(self, name)
            if not math.isfinite(v) or v < 0:
                return [(name, "must be a number of at least 0")]
        if self.lifetime_days < 1:
            return [("lifetime_days", "must be at least 1")]
        return []

    @property
    def identity_usd(self) -> float:
        return self.signup_usd + self.payment_method_usd + self.verification_usd + self.holding_usd


@dataclass(frozen=True)
class IdentityCosts:
    """A whole identity-costs file."""

    answer: Answer
    paths: tuple[IdentityPath, ...]
    target_answers: int = 1_000_000
    version: int = 1

    def check(self) -> list[tuple[str, str]]:
        if self.version != 1:
            return [("version", f"unsupported identity costs version {self.version} (reads 1)")]
        if self.target_answers < 1:
            return [("target_answers", "must be at least 1")]
        if not self.paths:
            return [("paths", "name at least one sign-up path")]
        seen: set[str] = set()
        for i, p in enumerate(self.paths):
            if p.name in seen:
                return [(f"paths[{i}].name", f"duplicate path name {p.name!r}")]
            seen.add(p.name)
        return []


@dataclass(frozen=True)
class PathCost:
    """The harvest's cost on one sign-up path."""

    path: IdentityPath
    target_answers: int
    #: Reasoning-rich answers one account takes in its life (None: nothing bounds it).
    answers_per_account: float | None
    accounts: int
    identity_usd: float
    token_usd: float
    #: Trust levels the account passes through, in order.
    trust_levels: tuple[str, ...]

    @property
    def total_usd(self) -> float:
        return self.identity_usd + self.token_usd

    def record(self) -> dict[str, Any]:
        return {
            "path": self.path.name,
            "answers_per_account": None
            if self.answers_per_account is None
            else round(self.answers_per_account, 1),
            "accounts": self.accounts,
            "identity_usd": round(self.identity_usd, 2),
            "token_usd": round(self.token_usd, 2),
            "total_usd": round(self.total_usd, 2),
            "usd_per_answer": round(self.total_usd / self.target_answers, 6),
            "trust_levels": list(self.trust_levels),
        }


@dataclass(frozen=True)
class HarvestCost:
    """Every path's cost, cheapest first."""

    target_answers: int
    paths: tuple[PathCost, ...]

    @property
    def cheapest(self) -> PathCost:
        return self.paths[0]

    def record(self) -> dict[str, Any]:
        """Plain data (``scan --json``): the cheapest path and each path's numbers."""
        return {
            "target_answers": self.target_answers,
            "cheapest_path": self.cheapest.path.name,
            "cheapest_usd": round(self.cheapest.total_usd, 2),
            "paths": [p.record() for p in self.paths],
        }


def _bounding(budgets: tuple[Budget, ...], answer: Answer) -> list[tuple[Budget, float]]:
    """The account budgets that end reasoning-rich answers, with the ``at`` that does."""
    out = []
    for b in budgets:
        caps = b.capabilities
        if b.per != "account" or (caps is not None and answer.capability not in caps):
            continue
        end = next((lvl.at for lvl in b.responses if lvl.strip_reasoning or lvl.refuses), None)
        if end is not None and answer.amount(b.unit) > 0:
            out.append((b, end))
    return out


def path_cost(
    path: IdentityPath,
    policy: Policy,
    trust: TrustTable,
    prices: PriceTable,
    costs: IdentityCosts,
    now: dt.datetime | None = None,
) -> PathCost:
    """One path's cost (see the module docstring for the formula)."""
    now = now or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    answer = costs.answer
    bounding = _bounding(policy.budgets, answer)
    levels: list[str] = []
    # Per budget: answers over the account's life, and one whole window at day 0.
    totals = [0.0] * len(bounding)
    first = [0.0] * len(bounding)
    for day in range(path.lifetime_days):
        created = now - dt.timedelta(days=path.age_days + day)
        facts = TrustFacts(
            tier=path.tier, created_at=created, verified=path.verified, paid_usd=path.paid_usd,
            chargebacks=0,
        )  # fmt: skip
        level = trust.level_of(facts, AccountView(), now)
        if not levels or levels[-1] != level.name:
            levels.append(level.name)
        for i, (b, at) in enumerate(bounding):
            mult = level.multiplier if b.trust == "scale" else 1.0
            allowed = b.limit * mult * at / answer.amount(b.unit)
            totals[i] += allowed / WINDOW_DAYS[b.window]
            if day == 0:
                first[i] = allowed
    price = prices.price_for(answer.model)
    one = price.value(
        prompt=answer.prompt_tokens, completion=answer.completion_tokens,
        reasoning=answer.reasoning_tokens,
    )  # fmt: skip
    token_usd = costs.target_answers * one if path.pays_tokens else 0.0
    if not bounding:
        per_account = None
        accounts = 1
    else:
        # Each answer spends every budget: the scarcest one bounds the account.
        per_account = min(max(t, f) for t, f in zip(totals, first, strict=True))
        accounts = (
            costs.target_answers
            if per_account < 1
            else math.ceil(costs.target_answers / per_account)
        )
    return PathCost(
        path, costs.target_answers, per_account, accounts, accounts * path.identity_usd,
        token_usd, tuple(levels),
    )  # fmt: skip


def harvest_cost(
    policy: Policy,
    trust: TrustTable,
    prices: PriceTable,
    costs: IdentityCosts,
    now: dt.datetime | None = None,
) -> HarvestCost:
    """Every path's cost of ``costs.target_answers`` answers, cheapest first."""
    got = [path_cost(p, policy, trust, prices, costs, now) for p in costs.paths]
    got.sort(key=lambda c: (c.total_usd, c.path.name))
    return HarvestCost(costs.target_answers, tuple(got))


def _build(doc: YamlDoc) -> IdentityCosts:
    if doc.data is None:
        raise DataFileError("empty identity costs file", path=doc.source)
    return build(IdentityCosts, doc, error=DataFileError)


def load_identity_costs_text(text: str, source: str = "<identity costs>") -> IdentityCosts:
    """Parse and validate identity-costs YAML text (errors name ``source``, line, field)."""
    return _build(load_data_text(text, source))


def load_identity_costs(path: str | Path | None = None) -> IdentityCosts:
    """An identity-costs file, or the one shipped with the package."""
    if path is not None:
        return _build(load_data_file(path))
    return _shipped()


@lru_cache(maxsize=1)
def _shipped() -> IdentityCosts:
    ref = resources.files("distillguard.gateway") / "identity_costs.yaml"
    return load_identity_costs_text(
        ref.read_text(encoding="utf-8"), "<shipped identity_costs.yaml>"
    )
