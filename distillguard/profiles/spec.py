"""What a profile is made of: parts, key kinds and key statistics, declared as data.

An account's profile over any window is the merge of per account-day *parts*:

- a :class:`Part` is one aggregate of the day's events that merges across days
  (:class:`Count` and :class:`Sum` add, :class:`Min` and :class:`Max` keep the
  extreme, :class:`Latest` keeps the value of the latest event that has one);
- a :class:`KeyKind` is a multiset of keys per account-day (template prefixes,
  client addresses, ...), merged by adding counts;
- a :class:`KeyStat` is a statistic of an account's merged keys of one kind (the
  count of its most used key, the number of distinct keys, ...).

Account attributes (tier, organisation, sign-up time) are parts too, with a merge
rule that picks a value; a :class:`ProfileSpec` lists them apart only because
profiles show them last.

These declarations say *what*, never *how*: :mod:`.sql` compiles a spec to the
DuckDB tables and queries the store runs, :mod:`.fold` to the per-event fold and
the merge the gateway's state backends run.  Nothing else defines a part.
"""

from __future__ import annotations

import re
from abc import ABC
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Final, Literal

from distillguard.errors import DistillguardError
from distillguard.profiles.expr import GAP_COLUMN, Col, Expr

Merge = Literal["sum", "min", "max", "latest"]

_NAME: Final = re.compile(r"^[a-z][a-z0-9_]*$")
#: Output columns every profile has besides its parts.
RESERVED: Final = frozenset({"account_id", "day", "active_days"})


#: The request time, by which :class:`Latest` orders events unless told otherwise.
TS: Final = Col("ts")


class ProfileSpecError(DistillguardError):
    """A profile specification contradicts itself (a programming error, raised at import)."""


@dataclass(frozen=True)
class Part(ABC):
    """One column of ``profile_days``: an aggregate of an account-day's events.

    ``doc`` says what it measures (one line, shown in ``docs/profiles.md``).
    """

    name: str
    doc: str = field(default="", kw_only=True)

    #: How the parts of several days (or accounts) merge into one value.
    merge: ClassVar[Merge]

    def reads(self) -> frozenset[str]:
        """Every event column the part reads."""
        return frozenset()


@dataclass(frozen=True)
class Count(Part):
    """Events for which ``where`` is TRUE (all events without one); merged by adding."""

    where: Expr | None = None
    merge: ClassVar[Merge] = "sum"

    def reads(self) -> frozenset[str]:
        return self.where.columns() if self.where is not None else frozenset()


@dataclass(frozen=True)
class Sum(Part):
    """Sum of ``value`` over the events for which ``where`` is TRUE (all events without
    one; NULLs skipped, 0 for none); merged by adding."""

    value: Expr
    where: Expr | None = None
    merge: ClassVar[Merge] = "sum"

    def reads(self) -> frozenset[str]:
        cond = self.where.columns() if self.where is not None else frozenset()
        return self.value.columns() | cond


@dataclass(frozen=True)
class Min(Part):
    """Smallest non-NULL ``value`` (a timestamp or a number); merged by ``min``."""

    value: Expr
    type: Literal["timestamp", "number"] = "timestamp"
    merge: ClassVar[Merge] = "min"

    def reads(self) -> frozenset[str]:
        return self.value.columns()


@dataclass(frozen=True)
class Max(Part):
    """Largest non-NULL ``value`` (a timestamp or a number); merged by ``max``."""

    value: Expr
    type: Literal["timestamp", "number"] = "timestamp"
    merge: ClassVar[Merge] = "max"

    def reads(self) -> frozenset[str]:
        return self.value.columns()


@dataclass(frozen=True)
class Latest(Part):
    """The text ``value`` of the latest event (by ``at``) that has one; merged the same way.

    Events at the same instant with different values are ordered by the value
    (the greatest, in code-point order, wins), so the result never depends on the
    order events arrive or are scanned in.
    """

    value: Expr
    at: Expr = TS
    merge: ClassVar[Merge] = "latest"

    def reads(self) -> frozenset[str]:
        return self.value.columns() | self.at.columns()


@dataclass(frozen=True)
class KeyKind:
    """A multiset of keys per account-day: ``value`` (as text) of the events where ``where``."""

    name: str
    value: Expr
    where: Expr | None = None
    doc: str = field(default="", kw_only=True)

    def reads(self) -> frozenset[str]:
        cond = self.where.columns() if self.where is not None else frozenset()
        return self.value.columns() | cond


@dataclass(frozen=True)
class KeyStat(ABC):
    """A statistic of an account's merged keys of kind ``kind``."""

    name: str
    kind: str
    doc: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class TopCount(KeyStat):
    """Count of the most used key of ``kind`` (NULL when the account has none)."""


@dataclass(frozen=True)
class DistinctCount(KeyStat):
    """Number of distinct keys of ``kind`` (0 when the account has none)."""


@dataclass(frozen=True)
class TopCountIn(KeyStat):
    """Among the most used keys of ``kind`` (ties), the largest count of the same key in ``within``.

    0 when none of them appears in ``within``; NULL when the account has no key of ``kind``.
    """

    within: str


@dataclass(frozen=True)
class ProfileSpec:
    """Every part, key kind and key statistic of a profile.

    ``parts`` and ``attributes`` are both per account-day parts (``profile_days``
    columns, in that order); profiles list key statistics between them.
    """

    parts: tuple[Part, ...]
    keys: tuple[KeyKind, ...] = ()
    key_stats: tuple[KeyStat, ...] = ()
    attributes: tuple[Part, ...] = ()

    def __post_init__(self) -> None:
        self.check()

    @property
    def day_parts(self) -> tuple[Part, ...]:
        """The columns of ``profile_days`` after ``account_id, day``, in order."""
        return self.parts + self.attributes

    @property
    def gap_parts(self) -> tuple[Part, ...]:
        """Parts that read ``gap_s`` (they depend on an event's neighbours in its day)."""
        return tuple(p for p in self.day_parts if GAP_COLUMN in p.reads())

    @property
    def output_columns(self) -> tuple[str, ...]:
        """Columns of a profile, in order."""
        return (
            "account_id",
            "active_days",
            *(p.name for p in self.parts),
            *(s.name for s in self.key_stats),
            *(p.name for p in self.attributes),
        )

    def extend(
        self,
        *,
        parts: Iterable[Part] = (),
        keys: Iterable[KeyKind] = (),
        key_stats: Iterable[KeyStat] = (),
        attributes: Iterable[Part] = (),
    ) -> ProfileSpec:
        """This spec with more parts, kinds, statistics or attributes appended."""
        return ProfileSpec(
            self.parts + tuple(parts),
            self.keys + tuple(keys),
            self.key_stats + tuple(key_stats),
            self.attributes + tuple(attributes),
        )

    def readers(self) -> dict[str, tuple[str, ...]]:
        """Event column -> names of the parts and key kinds that read it."""
        out: dict[str, list[str]] = {}
        items: list[Part | KeyKind] = [*self.day_parts, *self.keys]
        for item in items:
            for column in sorted(item.reads()):
                out.setdefault(column, []).append(item.name)
        return {c: tuple(names) for c, names in sorted(out.items())}

    def check(self) -> None:
        """Raise :class:`ProfileSpecError` where the spec contradicts itself."""
        seen: set[str] = set(RESERVED)
        for name in (*(p.name for p in self.day_parts), *(s.name for s in self.key_stats)):
            _check_name(name, "part")
            if name in seen:
                raise ProfileSpecError(f"profile column {name!r} is defined twice")
            seen.add(name)
        kinds: set[str] = set()
        for kind in self.keys:
            _check_name(kind.name, "key kind")
            if kind.name in kinds:
                raise ProfileSpecError(f"key kind {kind.name!r} is defined twice")
            kinds.add(kind.name)
            if GAP_COLUMN in kind.reads():
                raise ProfileSpecError(f"key kind {kind.name!r} cannot read {GAP_COLUMN}")
        within: set[str] = set()
        for stat in self.key_stats:
            for k in (stat.kind, *([stat.within] if isinstance(stat, TopCountIn) else [])):
                if k not in kinds:
                    raise ProfileSpecError(f"key statistic {stat.name!r} reads unknown kind {k!r}")
            if isinstance(stat, TopCountIn):
                if stat.kind in within:
                    raise ProfileSpecError(
                        f"kind {stat.kind!r} has two TopCountIn statistics (one is allowed)"
                    )
                within.add(stat.kind)
        for part in self.day_parts:
            reads = part.reads()
            if GAP_COLUMN in reads and (not isinstance(part, Count | Sum) or reads != {GAP_COLUMN}):
                raise ProfileSpecError(
                    f"part {part.name!r}: a part that reads {GAP_COLUMN} must be a Count or "
                    f"Sum of it alone (its value moves when an event lands between two others)"
                )


def _check_name(name: str, what: str) -> None:
    if not _NAME.match(name):
        raise ProfileSpecError(f"{what} name {name!r} must be snake_case")
