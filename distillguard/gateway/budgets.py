"""Extraction budgets: how much value one identity may take, as policy data.

A budget bounds the *value taken* by one account, one organisation or one campaign
(``per``), on requests of some capabilities (``capability``: the ``capability``
signal's label of the request, or ``any``), in one unit (``unit``) over a rolling
window (``window``).  Its ``limit`` is multiplied by the account's trust level
(:mod:`.trust`) unless ``trust: fixed``.  When the spend reaches ``at`` times the
limit, the budget's response at that level applies: strip reasoning, cap
``max_tokens``/``n``, throttle, require verification, block.  Levels add up: every
level reached applies (strips join, caps take the lower, the most severe action wins).

Units (what the answer gave the client, measured at the outcome; see :mod:`.strip`):

- ``reasoning_tokens``: reasoning tokens served (the upstream's count; none when the
  gateway withheld the reasoning);
- ``completion_tokens``: completion tokens served (without the reasoning when it was
  withheld);
- ``reasoning_answers``: answers (choices) returned with visible reasoning.

Rolling windows are sums of sub-buckets (:data:`WINDOWS`): a ``day`` is 24 buckets of
an hour, so a spend leaves the window between 23 and 24 hours later, and each
bucket expires on its own (Redis TTL), so budgets reset without a job.

>>> from distillguard.yamlio import load_yaml_text
>>> from distillguard.config import build
>>> doc = load_yaml_text('''
... name: reasoning-day
... per: account
... unit: reasoning_tokens
... window: day
... limit: 1000
... responses:
...   - {at: 1.0, strip_reasoning: true}
...   - {at: 3.0, action: require_verification}
... ''', "b.yaml")
>>> b = build(Budget, doc)
>>> b.level_at(999.0, 1000.0), b.level_at(1000.0, 1000.0).describe()
(None, 'strip_reasoning')
>>> b.level_at(3000.0, 1000.0).describe(), b.level_at(3000.0, 2000.0).describe()
('require_verification', 'strip_reasoning')
>>> b.stop_ratio()
3.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

from distillguard.signals.capability import LABELS

Scope = Literal["account", "org", "campaign"]
Unit = Literal["reasoning_tokens", "completion_tokens", "reasoning_answers"]
Window = Literal["hour", "day", "week"]
UNITS: Final = ("reasoning_tokens", "completion_tokens", "reasoning_answers")
#: Window → (seconds per sub-bucket, sub-buckets summed).
WINDOWS: Final = {"hour": (300, 12), "day": (3600, 24), "week": (21_600, 28)}
#: Capabilities a budget may name (the ``capability`` signal's labels).
CAPABILITIES: Final = LABELS
#: Actions of a budget response, least to most severe.
SEVERITY: Final = ("allow", "throttle", "require_verification", "block")


@dataclass(frozen=True)
class BudgetThrottle:
    """A token bucket for a budget's throttle response: ``rate`` requests/s, ``burst``."""

    rate: float
    burst: float = 5.0

    def check(self) -> list[tuple[str, str]]:
        if self.rate <= 0:
            return [("rate", "must be positive")]
        if self.burst < 1:
            return [("burst", "must be at least 1")]
        return []


@dataclass(frozen=True)
class BudgetLevel:
    """What happens from ``at`` times the (trust-scaled) limit on."""

    #: Spend as a multiple of the limit from which this response applies.
    at: float
    action: Literal["allow", "throttle", "require_verification", "block"] = "allow"
    strip_reasoning: bool = False
    strip_logprobs: bool = False
    max_tokens: int | None = None
    max_n: int | None = None
    throttle: BudgetThrottle | None = None
    #: Shown to the client when the response refuses (a default otherwise).
    message: str | None = None

    def check(self) -> list[tuple[str, str]]:
        if not math.isfinite(self.at) or self.at <= 0:
            return [("at", "must be a positive number (a multiple of the limit)")]
        if self.action == "throttle" and self.throttle is None:
            return [("throttle", "action throttle needs a throttle: {rate, burst}")]
        if self.action != "throttle" and self.throttle is not None:
            return [("throttle", f"only action throttle takes a throttle, not {self.action}")]
        for name in ("max_tokens", "max_n"):
            v = getattr(self, name)
            if v is not None and v < 1:
                return [(name, "must be at least 1")]
        changes = (self.strip_reasoning, self.strip_logprobs, self.max_tokens, self.max_n)
        if self.action == "allow" and not any(changes):
            return [("action", "this response changes nothing: give an action or an option")]
        return []

    @property
    def refuses(self) -> bool:
        """Whether the request is refused outright (403)."""
        return self.action in ("require_verification", "block")

    def describe(self) -> str:
        """The response in words for audit records (``strip_reasoning,max_tokens=1024``)."""
        parts: list[str] = [] if self.action == "allow" else [self.action]
        if self.strip_reasoning:
            parts.append("strip_reasoning")
        if self.strip_logprobs:
            parts.append("strip_logprobs")
        if self.max_tokens is not None:
            parts.append(f"max_tokens={self.max_tokens}")
        if self.max_n is not None:
            parts.append(f"max_n={self.max_n}")
        return ",".join(parts)


@dataclass(frozen=True)
class Budget:
    """One extraction budget (see the module docstring)."""

    name: str
    unit: Unit
    window: Window
    #: Value allowed per window at trust multiplier 1.
    limit: float
    responses: tuple[BudgetLevel, ...]
    per: Scope = "account"
    #: ``any``, or the capabilities whose requests spend this budget.
    capability: str | tuple[str, ...] = "any"
    #: ``scale``: the limit is multiplied by the calling account's trust; ``fixed``: not.
    trust: Literal["scale", "fixed"] = "scale"
    #: Value reserved when a request is let through, settled at its outcome: concurrent
    #: requests then see each other.  ``reasoning_answers`` reserves 1 by default
    #: (``n`` for ``n`` choices); token units 0.  Only for ``capability: any``.
    reserve: int | None = None
    #: Shown in refusals: what the budget is, in words.
    description: str | None = None

    def check(self) -> list[tuple[str, str]]:
        if not math.isfinite(self.limit) or self.limit < 0:
            return [("limit", "must be a number of at least 0")]
        if not self.responses:
            return [("responses", "a budget needs at least one response")]
        for i in range(1, len(self.responses)):
            if self.responses[i].at <= self.responses[i - 1].at:
                return [(f"responses[{i}].at", "levels must be in increasing order of 'at'")]
        caps = self.capabilities
        if caps is not None:
            if not caps:
                return [("capability", "name at least one capability, or 'any'")]
            for i, c in enumerate(caps):
                if c not in CAPABILITIES:
                    field = "capability" if isinstance(self.capability, str) else f"capability[{i}]"
                    return [(field, f"must be 'any' or one of {', '.join(CAPABILITIES)}")]
            if self.reserve:
                return [("reserve", "only a budget on capability 'any' reserves")]
        if self.reserve is not None and self.reserve < 0:
            return [("reserve", "must be at least 0")]
        return []

    @property
    def capabilities(self) -> tuple[str, ...] | None:
        """The capabilities spending this budget; None: any request."""
        if self.capability == "any":
            return None
        if isinstance(self.capability, str):
            return (self.capability,)
        return self.capability

    def level(self, ratio: float) -> BudgetLevel | None:
        """The response at ``ratio`` = spend / limit (None: within the budget)."""
        return self.level_at(ratio, 1.0)

    def level_at(self, spent: float, limit: float) -> BudgetLevel | None:
        """The highest level reached once ``spent`` of a (trust-scaled) ``limit`` is taken."""
        reached = self.reached(spent, limit)
        return reached[-1] if reached else None

    def reached(self, spent: float, limit: float) -> tuple[BudgetLevel, ...]:
        """Every level reached (levels add up: a higher one keeps the lower ones' options).

        Compared as ``spent >= limit * at``, exactly as the state's atomic check
        compares with its stop, so both agree on which request is refused.
        """
        return tuple(lvl for lvl in self.responses if spent >= limit * lvl.at)

    def stop_ratio(self) -> float | None:
        """The ratio from which requests are refused outright (None: never)."""
        for lvl in self.responses:
            if lvl.refuses:
                return lvl.at
        return None

    def reserve_for(self, n: int) -> int:
        """Value reserved for a request asking ``n`` choices."""
        if self.capabilities is not None:
            return 0
        if self.reserve is not None:
            return self.reserve
        return max(1, n) if self.unit == "reasoning_answers" else 0

    def counter_key(self, scope_id: str) -> str:
        """Where the budget's spend for one account/org/campaign is counted."""
        return f"{self.name}|{self.unit}|{self.window}|{self.per}|{scope_id}"

    def words(self) -> str:
        """``reasoning tokens per day`` (or the budget's own description)."""
        if self.description:
            return self.description
        per = {"hour": "hour", "day": "day", "week": "week"}[self.window]
        return f"{self.unit.replace('_', ' ')} per {per}"


def window_spec(window: str) -> tuple[int, int]:
    """(seconds per sub-bucket, sub-buckets) of a window; the TTL is their product plus one."""
    return WINDOWS[window]
