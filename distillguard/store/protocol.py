"""What detection reads from a store: a small protocol, Arrow tables out.

Everything above the store (campaign linkers, campaign description and case
files, intel export and matching, the scan) reads through :class:`EventStore`
and never through a database connection, so a store on another engine (Apache
Spark, a later issue) plugs in behind the same methods.  The protocol names no
engine's types: arguments are plain values, :class:`Window` and
:class:`EventFilter`, and every read returns a ``pyarrow.Table`` (or plain
numbers), named by what it returns.

What a store keeps per event is metadata, request parameters, the cut user and
system text, turn counts and every signal's columns (see
:mod:`distillguard.store.duckdb`), and per account and UTC day the mergeable
profile parts and key counts.  Reads aggregate only where it spares
moving every event (counts per key, per value, per time slot); finer analysis
(pairs of accounts, case-file picks) is the caller's, over the tables it reads.

The DuckDB store (:class:`distillguard.store.duckdb.Store`) implements it;
``tests/store/test_protocol.py`` checks that and runs every read against it.

>>> Window().clause_free
True
>>> EventFilter(accounts=("a",), exclude_benchmark=True).window
Window(start=None, end=None)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import pyarrow as pa

#: Orders :meth:`EventStore.events` can return rows in: as stored (no promise),
#: by request time, or by a fixed hash of the event id (a repeatable sample).
EventOrder = Literal["stored", "time", "event_hash"]


@dataclass(frozen=True)
class Window:
    """UTC days ``[start, end]`` (inclusive; None: unbounded)."""

    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def clause_free(self) -> bool:
        """Whether the window is everything."""
        return self.start is None and self.end is None


@dataclass(frozen=True)
class EventFilter:
    """Which events a read covers: every condition given holds.

    ``accounts`` limits it to those accounts, or with ``other_accounts`` to every
    account *but* those; ``exclude_benchmark`` leaves out public benchmark items
    (evaluation traffic, see the ``benchmark_match`` signal); ``min_text_chars``
    keeps requests whose user text has at least that many characters.
    """

    window: Window = field(default_factory=Window)
    accounts: Sequence[str] | None = None
    other_accounts: bool = False
    exclude_benchmark: bool = False
    min_text_chars: int = 0


@runtime_checkable
class EventStore(Protocol):
    """The reads detection needs from a store of events and profile parts."""

    @property
    def location(self) -> str:
        """Where the store lives, for reports and error messages."""
        ...

    def profile_table(
        self,
        start: dt.date | None = None,
        end: dt.date | None = None,
        *,
        groups: pa.Table | None = None,
    ) -> pa.Table:
        """Merged profile parts per account over the window (per group with ``groups``:
        ``account_id, group_id``); the scoring's input."""
        ...

    def key_counts(self, kinds: Sequence[str], window: Window | None = None) -> pa.Table:
        """``account_id, kind, key, n``: requests per account and key of each kind in
        ``kinds`` over the window (linkers, case-file indicators).  The kinds are the
        profile's (:mod:`distillguard.profiles`: ``prefix``, ``suffix``, ``system``,
        ``ip``, ``user_agent``, ``api_key``, ``payment``, ``model``, ``cot_prefix``,
        ``cot_suffix``); an unknown kind has no keys."""
        ...

    def account_attributes(self, window: Window | None = None) -> pa.Table:
        """``account_id, org_id, tier, created_at`` of every account active in the window:
        the organisation and tier of its latest request, its earliest sign-up time."""
        ...

    def value_counts(self, column: str, where: EventFilter | None = None) -> pa.Table:
        """``account_id, value, n``: events per account and non-null value of an event
        column (client address, user agent, template hash, benchmark source, …)."""
        ...

    def events(
        self,
        columns: Sequence[str],
        where: EventFilter | None = None,
        *,
        event_ids: Sequence[str] | None = None,
        text_chars: int | None = None,
        order: EventOrder = "stored",
        limit: int | None = None,
    ) -> pa.Table:
        """Event columns of the events ``where`` selects (only ``event_ids`` when
        given); ``user_text`` and ``system_text`` cut to ``text_chars``."""
        ...

    def usage_by_model(self, window: Window | None = None) -> pa.Table:
        """``account_id, model, n, prompt_tokens, completion_tokens, reasoning_tokens``:
        token sums per account and model (usage semantics: reasoning within completion),
        what the value taken is priced on."""
        ...

    def activity(self, slot_seconds: int, window: Window | None = None) -> pa.Table:
        """``account_id, slot, n``: requests per account and time slot (slot = epoch
        microseconds // (``slot_seconds`` * 10**6)), for timing linkers."""
        ...

    def event_summary(self, where: EventFilter | None = None) -> dict[str, Any]:
        """``n_events``, ``n_accounts``, ``first_ts``, ``last_ts`` of the events selected."""
        ...

    def loaded_files(self) -> pa.Table:
        """``path, rows_good, rows_inserted, rows_quarantined, loaded_at`` of every load."""
        ...


__all__ = ["EventFilter", "EventOrder", "EventStore", "Window"]
