"""Extraction budgets on the request path: checked before forwarding, spent at the outcome.

Per model request (:class:`BudgetGuard`):

1. **Which budgets apply**: every budget of the policy whose scope the request has:
   the account (from the API key), its organisation (``org_id`` in the keys table)
   and its campaign (``campaign_id`` in the account view, from ``distillguard sync``).
   Nothing the client sends names a scope.  No budget applies: no state call at all.
2. **Check** (one atomic state call for all of them, :meth:`State.budget_check`, made
   with the view read on a guess of the budgets, see :func:`adopt`):
   each counter's spend over its rolling window; if no budget on ``capability: any``
   has reached the level where it refuses, the request's reservation is added to each
   (``reasoning_answers``: one per choice asked), so concurrent requests on every
   replica see each other.  Budgets on named capabilities are only read here: the
   request's capability is computed on the request path only when one of them has
   reached a response (otherwise it comes from the scorer, off the request path).
3. **Respond**: every level reached of each budget; the most severe action of all
   wins, options (strip, caps) add up, on top of what the rule said.
4. **Spend** (:class:`Ticket`): at the outcome, the value the answer gave the client
   (:meth:`~.strip.Measured.served`), less what was reserved, into the sub-bucket of
   the check's time; budgets on named capabilities when the request's capability is
   known (at once if computed in step 2, else when the scorer has labelled it).

Overshoot: a budget on ``capability: any`` is exceeded by at most what the requests
in flight take beyond their reservation (nothing, for ``reasoning_answers``); a
budget on named capabilities by what the requests in flight or not yet scored take
(the scorer's window, 50 ms by default).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from distillguard.gateway.budgets import SEVERITY, Budget, BudgetLevel, window_spec
from distillguard.gateway.policy import Rule
from distillguard.gateway.state import BudgetCounter, BudgetRead, BudgetSpend
from distillguard.gateway.trust import TrustLevel


@dataclass(frozen=True)
class Applied:
    """A budget that applies to one request, with the scope's id and the scaled limit."""

    budget: Budget
    scope_id: str
    counter: BudgetCounter
    #: The budget's limit times the trust multiplier (or as written, ``trust: fixed``).
    limit: float


@dataclass(frozen=True)
class Hit:
    """A budget that has reached a response, and the spend that reached it.

    Levels add up: every level reached applies (strips join, caps take the lower)
    and the most severe action of them wins.
    """

    applied: Applied
    spent: float
    levels: tuple[BudgetLevel, ...]

    @property
    def level(self) -> BudgetLevel:
        """The highest level reached."""
        return self.levels[-1]

    @property
    def action(self) -> str:
        return max((lvl.action for lvl in self.levels), key=SEVERITY.index)

    @property
    def refuses(self) -> bool:
        return self.action in ("require_verification", "block")

    def deciding(self) -> BudgetLevel:
        """The highest level with the most severe action (its throttle and message)."""
        return [lvl for lvl in self.levels if lvl.action == self.action][-1]

    def merged(self) -> BudgetLevel:
        """Every level reached, as one (the record's ``response``)."""
        top = self.deciding()
        if self.refuses:
            return top
        max_tokens = max_n = None
        for lvl in self.levels:
            max_tokens = _lower(max_tokens, lvl.max_tokens)
            max_n = _lower(max_n, lvl.max_n)
        return dataclasses.replace(
            top,
            strip_reasoning=any(lvl.strip_reasoning for lvl in self.levels),
            strip_logprobs=any(lvl.strip_logprobs for lvl in self.levels),
            max_tokens=max_tokens, max_n=max_n,
        )  # fmt: skip

    def record(self) -> dict[str, Any]:
        """The audit record's entry: which budget, its spend, its limit, the response."""
        b = self.applied.budget
        return {
            "budget": b.name, "per": b.per, "id": self.applied.scope_id, "unit": b.unit,
            "window": b.window, "spent": _number(self.spent),
            "limit": _number(self.applied.limit), "at": self.level.at,
            "response": self.merged().describe(),
        }  # fmt: skip


def _number(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 3)


@dataclass
class Ticket:
    """One request's budgets between its check and its outcome (a local of the request)."""

    applied: list[Applied]
    #: The check's clock (epoch seconds): spends go into its sub-buckets.
    now: float
    #: Whether the check reserved (every counter's ``reserve``).
    reserved: bool
    #: The request's capability, when it was computed on the request path.
    capability: str | None = None
    #: Whether the answer's reasoning is withheld (the final rule strips it).
    withheld: bool = False
    #: Spent already (a request is settled once).
    settled: bool = False
    hits: list[Hit] = field(default_factory=list)

    def release(self) -> list[BudgetSpend]:
        """Give the reservations back (the request was refused or failed)."""
        return self.settle(None)

    def settle(self, served: Mapping[str, int] | None) -> list[BudgetSpend]:
        """Spends of the budgets whose capability is known, ``served`` being the value taken.

        Budgets on named capabilities whose request capability is not known yet are
        left to :meth:`labelled`.
        """
        if self.settled:
            return []
        self.settled = True
        out = []
        for a in self.applied:
            caps = a.budget.capabilities
            if caps is not None and (self.capability is None or self.capability not in caps):
                continue
            amount = (served or {}).get(a.budget.unit, 0)
            if self.reserved:
                amount -= a.counter.reserve
            if amount:
                out.append(self._spend(a, amount))
        return out

    def waiting(self, served: Mapping[str, int]) -> bool:
        """Whether budgets on named capabilities wait for the request's capability."""
        return self.capability is None and any(
            a.budget.capabilities is not None and served.get(a.budget.unit, 0) > 0
            for a in self.applied
        )

    def labelled(self, served: Mapping[str, int], capability: str | None) -> list[BudgetSpend]:
        """Spends of the budgets on named capabilities, once the capability is known."""
        out = []
        for a in self.applied:
            caps = a.budget.capabilities
            amount = served.get(a.budget.unit, 0)
            if caps is not None and capability in caps and amount:
                out.append(self._spend(a, amount))
        return out

    def _spend(self, a: Applied, amount: int) -> BudgetSpend:
        c = a.counter
        return BudgetSpend(c.key, c.slot(self.now), int(amount), c.ttl)


@dataclass(frozen=True)
class Response:
    """What the budgets that were reached say, merged: the action and the options."""

    hits: tuple[Hit, ...]
    action: str = "allow"
    strip_reasoning: bool = False
    strip_logprobs: bool = False
    max_tokens: int | None = None
    max_n: int | None = None

    @property
    def refuses(self) -> bool:
        return self.action in ("require_verification", "block")

    def worst(self) -> Hit:
        """The hit whose level decided the action (the first of the most severe)."""
        return max(self.hits, key=lambda h: SEVERITY.index(h.action))

    def throttles(self) -> list[Hit]:
        return [h for h in self.hits if h.action == "throttle"]

    def on(self, rule: Rule | None) -> Rule:
        """``rule`` with this response's options added (strips join, caps take the lower)."""
        base = rule or Rule(name="budget", action="allow")
        return dataclasses.replace(
            base,
            strip_reasoning=base.strip_reasoning or self.strip_reasoning,
            strip_logprobs=base.strip_logprobs or self.strip_logprobs,
            max_tokens=_lower(base.max_tokens, self.max_tokens),
            max_n=_lower(base.max_n, self.max_n),
        )

    def changes(self) -> bool:
        return any((self.strip_reasoning, self.strip_logprobs, self.max_tokens, self.max_n))


def _lower(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


class BudgetGuard:
    """The policy's budgets, applied per request (stateless: per-request values are locals)."""

    def __init__(self, budgets: Sequence[Budget]) -> None:
        self.budgets = tuple(budgets)
        self._scopes = {b.per for b in self.budgets}

    @property
    def active(self) -> bool:
        return bool(self.budgets)

    def applicable(
        self,
        *,
        account_id: str,
        org_id: str | None,
        campaign_id: str | None,
        trust: TrustLevel,
        n: int,
        withheld: bool,
    ) -> list[Applied]:
        """The budgets this request spends, with their counters to check."""
        ids = {"account": account_id, "org": org_id, "campaign": campaign_id}
        out = []
        for b in self.budgets:
            scope_id = ids[b.per]
            if scope_id is None:
                continue
            limit = b.limit * (trust.multiplier if b.trust == "scale" else 1.0)
            stop = b.stop_ratio()
            named = b.capabilities is not None
            reserve = 0 if withheld and b.unit != "completion_tokens" else b.reserve_for(n)
            g, slots = window_spec(b.window)
            counter = BudgetCounter(
                key=b.counter_key(scope_id), granularity=g, slots=slots,
                # Budgets on named capabilities are only read: whether this request
                # spends them is known once its capability is.
                stop=None if named or stop is None else limit * stop,
                reserve=reserve,
            )  # fmt: skip
            out.append(Applied(b, scope_id, counter, limit))
        return out

    @staticmethod
    def reached(applied: Sequence[Applied], read: BudgetRead) -> list[Hit]:
        """Budgets at a response level, before asking which capability the request is."""
        hits = []
        for a, spent in zip(applied, read.spent, strict=True):
            levels = a.budget.reached(spent, a.limit)
            if levels:
                hits.append(Hit(a, spent, levels))
        return hits

    @staticmethod
    def response(hits: Sequence[Hit], capability: str | None) -> Response:
        """The merged response of the hits that apply to a request of ``capability``."""
        kept = tuple(
            h
            for h in hits
            if h.applied.budget.capabilities is None or capability in h.applied.budget.capabilities
        )
        if not kept:
            return Response(())
        action = max((h.action for h in kept), key=SEVERITY.index)
        merged = [h.merged() for h in kept]
        max_tokens = max_n = None
        for lvl in merged:
            max_tokens = _lower(max_tokens, lvl.max_tokens)
            max_n = _lower(max_n, lvl.max_n)
        return Response(
            kept, action,
            strip_reasoning=any(lvl.strip_reasoning for lvl in merged),
            strip_logprobs=any(lvl.strip_logprobs for lvl in merged),
            max_tokens=max_tokens, max_n=max_n,
        )  # fmt: skip


def adopt(
    guessed: Sequence[Applied], read: BudgetRead, applied: Sequence[Applied]
) -> tuple[BudgetRead | None, list[BudgetSpend]]:
    """Whether a check made before the account's view was read stands for the real budgets.

    The model route checks its budgets in the same state call that reads the account
    view, so it must guess what the view decides (trust, campaign, whether the rule
    withholds reasoning or caps ``n``) from the last request of the account.  The
    check stands when it covered the same counters and reserved no less than the real
    budgets would: a guessed stop above the real one only lets the levels refuse
    (:meth:`Budget.reached` compares with the same numbers), and what was reserved
    beyond the real reservation is given back.  Otherwise the caller checks again,
    after giving back all the guess reserved: (None, spends to give back).
    """
    same = len(guessed) == len(applied) and all(
        g.counter.key == a.counter.key for g, a in zip(guessed, applied, strict=True)
    )
    if (
        same
        and read.ok
        and all(
            a.counter.reserve <= g.counter.reserve for g, a in zip(guessed, applied, strict=True)
        )
    ):
        surplus = [
            _give_back(g.counter, g.counter.reserve - a.counter.reserve, read.now)
            for g, a in zip(guessed, applied, strict=True)
        ]
        return read, [sp for sp in surplus if sp.amount]
    if same and not read.ok:
        stopped = any(
            a.counter.stop is not None and spent >= a.counter.stop
            for a, spent in zip(applied, read.spent, strict=True)
        )
        # Refused by the real stops too: nothing reserved, as the real check would do.
        return (read, []) if stopped else (None, [])
    if not read.ok:
        return None, []
    everything = [_give_back(g.counter, g.counter.reserve, read.now) for g in guessed]
    return None, [sp for sp in everything if sp.amount]


def _give_back(counter: BudgetCounter, amount: int, now: float) -> BudgetSpend:
    return BudgetSpend(counter.key, counter.slot(now), -amount, counter.ttl)


def refusal_message(hit: Hit) -> str:
    """What a client is told when a budget refuses or throttles it."""
    lvl = hit.deciding()
    if lvl.message:
        return lvl.message
    words = hit.applied.budget.words()
    whose = {"account": "this account", "org": "this organisation", "campaign": "this account"}[
        hit.applied.budget.per
    ]
    if lvl.action == "block":
        return (
            f"{whose} has used its budget of {words}; the account is blocked "
            "(quote the reference to appeal)"
        )
    if lvl.action == "require_verification":
        return f"{whose} has used its budget of {words}; verify the account to continue"
    return f"{whose} has used its budget of {words}; requests are rate limited"
