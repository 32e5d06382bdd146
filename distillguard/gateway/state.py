"""Gateway state: one small interface, kept apart from the logic (as in datasketch).

A backend stores, per account, the raw online profile (per-day parts, key
counts and event times, see :mod:`distillguard.profiles.fold`), a small *account
view* (online risk and verdict, batch verdict and campaign pushed by
``distillguard sync``), token buckets, and the spend counters of extraction
budgets (:mod:`.budgets`): per counter, sub-buckets of a rolling window, checked
and reserved atomically (:meth:`State.budget_check`) and settled at the outcome
(:meth:`State.budget_spend`).
:class:`MemoryState` serves one process; :class:`~.redis_state.RedisState` lets
several gateway replicas share state.  ``tests/gateway/test_state.py`` runs the
same conformance suite against both.

Every method is a coroutine so the Redis backend never blocks the event loop;
a backend that cannot reach its store raises :class:`StateUnavailable`, which
the gateway turns into fail-open or fail-closed behaviour.
"""

from __future__ import annotations

import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from distillguard.errors import DistillguardError
from distillguard.profiles.fold import FoldItem, RawProfile, apply_fold, prune_days
from distillguard.review.actions import REVIEW_ACTIONS, verdict_rank
from distillguard.scoring.risk import VERDICTS

#: Account-view fields a backend stores (all strings on the wire).
VIEW_FIELDS = (
    "risk", "score", "verdict", "requests", "batch_risk", "batch_verdict", "campaign_id",
    "intel", "review", "review_id", "review_verdict", "review_campaign",
)  # fmt: skip
_NUMBERS: Final = frozenset({"risk", "score", "requests", "batch_risk"})


@dataclass(frozen=True)
class AccountView:
    """The account view as policy rules read it: typed, parsed once from the wire.

    On the wire (a Redis hash, :class:`MemoryState`'s dict) every field of
    :data:`VIEW_FIELDS` is a string: scores and risks as Python's ``repr`` of the
    float, request counts as whole numbers, verdicts and names as they are, and an
    empty string for unset (``distillguard sync`` clears a campaign so).  A stored
    value that does not parse (a number that is not one, or is not finite; a verdict
    that is not a verdict) is read as unset and named in :attr:`invalid`: a rule on it
    does not match, and the decision record says which fields were bad.

    >>> v = AccountView.parse({"risk": "0.25", "verdict": "watch", "requests": "abc"})
    >>> v.risk, v.verdict, v.requests, v.invalid
    (0.25, 'watch', None, ('requests',))
    >>> AccountView(risk=0.25, verdict="watch", requests=12.0).fields()
    {'risk': '0.25', 'verdict': 'watch', 'requests': '12'}
    """

    #: Online risk (from the requests this gateway has seen), in [0, 1].
    risk: float | None = None
    score: float | None = None
    #: Online verdict (allow/watch/restrict/block).
    verdict: str | None = None
    #: Requests the gateway has folded for the account (in the scoring window).
    requests: float | None = None
    #: Risk and verdict pushed from a batch scan (``distillguard sync``).
    batch_risk: float | None = None
    batch_verdict: str | None = None
    campaign_id: str | None = None
    #: The peer campaign whose indicators the account matched.
    intel: str | None = None
    #: The last review action (allow, unblock, verify, block; :mod:`distillguard.review`),
    #: its id, and the evidence the reviewer saw: the worst verdict and the campaign.
    review: str | None = None
    review_id: str | None = None
    review_verdict: str | None = None
    review_campaign: str | None = None
    #: Fields whose stored value could not be read (and are read as unset).
    invalid: tuple[str, ...] = ()

    @classmethod
    def parse(cls, fields: Mapping[str, str]) -> AccountView:
        """The view of the stored ``fields`` (unknown fields are ignored)."""
        get = fields.get
        invalid: list[str] = []
        return cls(
            _number(get("risk"), "risk", invalid),
            _number(get("score"), "score", invalid),
            _verdict(get("verdict"), "verdict", invalid),
            _number(get("requests"), "requests", invalid),
            _number(get("batch_risk"), "batch_risk", invalid),
            _verdict(get("batch_verdict"), "batch_verdict", invalid),
            get("campaign_id") or None,
            get("intel") or None,
            _review(get("review"), invalid),
            get("review_id") or None,
            _verdict(get("review_verdict"), "review_verdict", invalid),
            get("review_campaign") or None,
            tuple(invalid),
        )

    def review_in_force(self) -> str | None:
        """The review action that decides for the account, or None.

        ``allow`` and ``unblock`` lapse on new evidence: a verdict (online or batch)
        worse than the worst the reviewer saw, or a campaign other than the one the
        account was in then; the rules decide again.  ``verify`` and ``block`` hold
        until the next review.

        >>> v = AccountView(batch_verdict="block", review="unblock", review_verdict="block")
        >>> v.review_in_force()
        'unblock'
        >>> later = AccountView(verdict="block", review="allow", review_verdict="restrict")
        >>> later.review_in_force() is None  # new evidence: worse than the reviewer saw
        True
        """
        if self.review not in ("allow", "unblock"):
            return self.review
        worst = max(verdict_rank(self.verdict), verdict_rank(self.batch_verdict))
        if worst > verdict_rank(self.review_verdict):
            return None
        if self.campaign_id is not None and self.campaign_id != self.review_campaign:
            return None
        return self.review

    def without_evidence(self) -> AccountView:
        """The view with no evidence against the account (what an ``allow`` decides on)."""
        return AccountView(
            requests=self.requests, review=self.review, review_id=self.review_id,
            review_verdict=self.review_verdict, review_campaign=self.review_campaign,
        )  # fmt: skip

    def fields(self) -> dict[str, str]:
        """The wire form of the fields that are set (what a backend stores)."""
        out: dict[str, str] = {}
        for name in VIEW_FIELDS:
            v = getattr(self, name)
            if v is None:
                continue
            if name == "requests":
                out[name] = str(int(v))
            elif name in _NUMBERS:
                out[name] = repr(float(v))
            else:
                out[name] = str(v)
        return out


def _number(raw: str | None, name: str, invalid: list[str]) -> float | None:
    """A stored number: None when unset; not a finite number is named in ``invalid``."""
    if not raw:
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if math.isfinite(value):
        return value
    invalid.append(name)
    return None


def _review(raw: str | None, invalid: list[str]) -> str | None:
    if not raw:
        return None
    if raw in REVIEW_ACTIONS:
        return raw
    invalid.append("review")
    return None


def _verdict(raw: str | None, name: str, invalid: list[str]) -> str | None:
    """A stored verdict: None when unset; not a verdict is named in ``invalid``."""
    if not raw:
        return None
    if raw in VERDICTS:
        return raw
    invalid.append(name)
    return None


@dataclass(frozen=True)
class BudgetCounter:
    """One budget counter to check: a rolling window of ``slots`` sub-buckets.

    ``stop``: the request is refused (nothing reserved anywhere) when the window's
    spend is at least this (None: never refused here).  ``reserve``: added to the
    current sub-bucket when the request is let through (settled at the outcome).
    """

    key: str
    granularity: int
    slots: int
    stop: float | None = None
    reserve: int = 0

    @property
    def ttl(self) -> int:
        """Seconds a counter lives after its last write (its window and one sub-bucket)."""
        return self.granularity * (self.slots + 1)

    def slot(self, now: float) -> int:
        """The sub-bucket ``now`` (epoch seconds) falls in."""
        return math.floor(now / self.granularity)


@dataclass(frozen=True)
class BudgetRead:
    """What :meth:`State.budget_check` found: spend per counter before this request."""

    #: False: some counter reached its ``stop``; nothing was reserved.
    ok: bool
    #: The store's clock (epoch seconds), or the time given: the sub-buckets used.
    now: float
    spent: tuple[float, ...]


@dataclass(frozen=True)
class BudgetSpend:
    """Value to add to a counter's sub-bucket (negative: a reservation given back)."""

    key: str
    slot: int
    amount: int
    ttl: int


class StateUnavailable(DistillguardError):  # noqa: N818  (reads as a condition)
    """The state store cannot be reached (Redis down, timed out)."""


@dataclass(frozen=True)
class StateSpec:
    """How to open the same shared store in another process (the scoring worker)."""

    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def open(self) -> State:
        if self.kind == "redis":
            from distillguard.gateway.redis_state import RedisState

            return RedisState(**self.kwargs)
        raise ValueError(f"unknown state kind {self.kind!r}")


class State(ABC):
    """Where online profiles, account views and token buckets live."""

    #: Short name for metrics and errors ("memory", "redis").
    name: str = "state"
    #: Whether :meth:`view_and_budgets` saves a round trip (the gateway then checks
    #: budgets with the view, on a guess; otherwise after the rules, as they are).
    one_trip: bool = False

    @abstractmethod
    async def fold(self, items: Sequence[FoldItem]) -> None:
        """Fold events into their account-days, in the order given."""

    @abstractmethod
    async def raw_profile(self, account_id: str, first_day: str | None = None) -> RawProfile:
        """The account's stored parts; days before ``first_day`` are dropped for good."""

    async def raw_profiles(
        self, account_ids: Sequence[str], first_day: str | None = None
    ) -> dict[str, RawProfile]:
        """:meth:`raw_profile` of many accounts (backends batch the round trips)."""
        return {a: await self.raw_profile(a, first_day) for a in account_ids}

    def spec(self) -> StateSpec | None:
        """Where another process finds this store; None when it lives in this process."""
        return None

    @abstractmethod
    async def view(self, account_id: str) -> dict[str, str]:
        """The account view (fields of :data:`VIEW_FIELDS` that are set)."""

    @abstractmethod
    async def update_views(self, updates: Mapping[str, Mapping[str, str]]) -> None:
        """Set view fields of many accounts (online scores, batch sync)."""

    @abstractmethod
    async def take(
        self, bucket: str, rate: float, burst: float, cost: float = 1.0, at: float | None = None
    ) -> bool:
        """Take ``cost`` tokens from a token bucket refilled at ``rate`` per second.

        ``at`` (epoch seconds) replaces the backend's clock: a replay of logged traffic
        runs days in minutes, and must be throttled on the time the events happened.
        """

    @abstractmethod
    async def budget_check(
        self, counters: Sequence[BudgetCounter], at: float | None = None
    ) -> BudgetRead:
        """Each counter's spend over its window; atomically, reserve if none reached ``stop``.

        ``at`` (epoch seconds) replaces the backend's clock (replays).  One round trip.
        """

    async def view_and_budgets(
        self, account_id: str, counters: Sequence[BudgetCounter], at: float | None = None
    ) -> tuple[dict[str, str], BudgetRead]:
        """:meth:`view` and :meth:`budget_check` together: one round trip where it costs one.

        The model route reads both before it decides; a shared store answers both in
        one call.  The check is as atomic as :meth:`budget_check`'s.
        """
        view = await self.view(account_id)
        if not counters:
            return view, BudgetRead(True, time.time() if at is None else at, ())
        return view, await self.budget_check(counters, at)

    @abstractmethod
    async def budget_spend(self, spends: Sequence[BudgetSpend]) -> None:
        """Add measured value to counters (one round trip); each counter lives ``ttl`` more."""

    @abstractmethod
    async def ping(self) -> None:
        """Return when the store answers; raise :class:`StateUnavailable` otherwise."""

    @abstractmethod
    async def get_meta(self, name: str) -> str | None:
        """A small value the gateways keep about the store itself (None: not set).

        It vanishes with the rest when a store restarts empty, which is how a
        gateway learns that it must push what it follows again.
        """

    @abstractmethod
    async def set_meta(self, name: str, value: str) -> None:
        """Set :meth:`get_meta`'s ``name``."""

    async def close(self) -> None:  # noqa: B027  (optional hook, nothing to do by default)
        """Release connections."""


class MemoryState(State):
    """In-process state (the default).  A lock keeps it safe if called from threads."""

    name = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._profiles: dict[str, RawProfile] = {}
        self._views: dict[str, dict[str, str]] = {}
        # bucket -> (tokens, last refill on the monotonic clock)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._meta: dict[str, str] = {}
        # budget counter -> (sub-bucket -> spend, expiry on the wall clock)
        self._counters: dict[str, tuple[dict[int, float], float]] = {}
        self._writes = 0

    async def fold(self, items: Sequence[FoldItem]) -> None:
        with self._lock:
            for item in items:
                apply_fold(self._profiles.setdefault(item.account_id, RawProfile()), item)

    async def raw_profile(self, account_id: str, first_day: str | None = None) -> RawProfile:
        with self._lock:
            raw = self._profiles.get(account_id)
            if raw is None:
                return RawProfile()
            prune_days(raw, first_day)
            # A copy without the write side (``times``).
            return RawProfile(
                days={d: dict(v) for d, v in raw.days.items()},
                latest={d: dict(v) for d, v in raw.latest.items()},
                keys={d: dict(v) for d, v in raw.keys.items()},
            )

    async def view(self, account_id: str) -> dict[str, str]:
        with self._lock:
            return dict(self._views.get(account_id, {}))

    async def update_views(self, updates: Mapping[str, Mapping[str, str]]) -> None:
        self.set_views(updates)

    def set_views(self, updates: Mapping[str, Mapping[str, str]]) -> None:
        """:meth:`update_views` without a coroutine (the process scorer's callback)."""
        with self._lock:
            for account_id, fields in updates.items():
                self._views.setdefault(account_id, {}).update(fields)

    async def take(
        self, bucket: str, rate: float, burst: float, cost: float = 1.0, at: float | None = None
    ) -> bool:
        now = time.monotonic() if at is None else at
        with self._lock:
            tokens, last = self._buckets.get(bucket, (burst, now))
            # Given times may come slightly out of order: never refill backwards.
            tokens = min(burst, tokens + max(0.0, now - last) * rate)
            ok = tokens >= cost
            if ok:
                tokens -= cost
            self._buckets[bucket] = (tokens, max(now, last))
            return ok

    async def budget_check(
        self, counters: Sequence[BudgetCounter], at: float | None = None
    ) -> BudgetRead:
        now = time.time() if at is None else at
        with self._lock:
            spent = []
            for c in counters:
                slots = self._live(c.key)
                cur = c.slot(now)
                if slots is not None:
                    for old in [k for k in slots if k <= cur - c.slots]:
                        del slots[old]
                total = sum(v for k, v in (slots or {}).items() if k <= cur)
                spent.append(max(0.0, total))
            ok = all(c.stop is None or s < c.stop for c, s in zip(counters, spent, strict=True))
            if ok:
                for c in counters:
                    if c.reserve:
                        self._add(c.key, c.slot(now), c.reserve, c.ttl)
            return BudgetRead(ok, now, tuple(spent))

    async def budget_spend(self, spends: Sequence[BudgetSpend]) -> None:
        with self._lock:
            for sp in spends:
                self._add(sp.key, sp.slot, sp.amount, sp.ttl)

    def _live(self, key: str) -> dict[int, float] | None:
        got = self._counters.get(key)
        if got is None:
            return None
        if got[1] <= time.time():
            del self._counters[key]
            return None
        return got[0]

    def _add(self, key: str, slot: int, amount: float, ttl: int) -> None:
        slots = self._live(key)
        if slots is None:
            slots = {}
        slots[slot] = slots.get(slot, 0.0) + amount
        # Like Redis' EXPIRE, on the wall clock whatever time a replay gives: a counter
        # left alone for its window is gone.
        wall = time.time()
        self._counters[key] = (slots, wall + ttl)
        self._writes += 1
        if self._writes % 4096 == 0:
            for k in [k for k, (_, exp) in self._counters.items() if exp <= wall]:
                del self._counters[k]

    async def ping(self) -> None:
        return None

    async def get_meta(self, name: str) -> str | None:
        with self._lock:
            return self._meta.get(name)

    async def set_meta(self, name: str, value: str) -> None:
        with self._lock:
            self._meta[name] = value
