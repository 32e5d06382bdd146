"""Profiles of one event stream three ways: the DuckDB store, and folded into a state backend.

Batch: the events written to Parquet files and loaded into a real
:class:`~distillguard.store.duckdb.Store` (signals, storage, ``profile_days`` and
``profile_keys``, ``profile_table``).  Online: the events in *arrival* order, in
micro-batches, through :class:`~distillguard.gateway.online.SignalRunner`,
:func:`~distillguard.profiles.fold.fold_item` and a backend's ``fold`` /
``raw_profiles``, then :func:`~distillguard.profiles.fold.merge_profile`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.gateway.online import SignalRunner
from distillguard.gateway.redis_state import RedisState
from distillguard.gateway.state import MemoryState, State
from distillguard.profiles import PROFILE, Count, ProfileSpec, Sum
from distillguard.profiles.fold import fold_item, merge_profile, profiles_table
from distillguard.schema import EVENT_SCHEMA, PARAM_FIELDS
from distillguard.store.duckdb import Store
from tests.gateway.conftest import RedisServer

Event = dict[str, Any]
_RUNNER: SignalRunner | None = None


def runner() -> SignalRunner:
    """One signal runner for the session (signals build their tables lazily, once)."""
    global _RUNNER
    if _RUNNER is None:
        _RUNNER = SignalRunner()
    return _RUNNER


def params(**given: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(PARAM_FIELDS)
    out.update(given)
    return out


def event_row(**given: Any) -> Event:
    """An event with every schema column (None unless given)."""
    row: Event = dict.fromkeys(EVENT_SCHEMA.names)
    row.update(given)
    return row


def batch_profiles(
    events: Sequence[Event],
    where: Path,
    *,
    spec: ProfileSpec = PROFILE,
    cuts: Sequence[int] = (),
    start: dt.date | None = None,
) -> pa.Table:
    """``Store.profile_table(start)`` after loading ``events`` (split at ``cuts``)."""
    (table,) = batch_windows(events, where, spec=spec, cuts=cuts, starts=[start])
    return table


def batch_windows(
    events: Sequence[Event],
    where: Path,
    *,
    spec: ProfileSpec = PROFILE,
    cuts: Sequence[int] = (),
    starts: Sequence[dt.date | None] = (None,),
) -> list[pa.Table]:
    """``Store.profile_table`` from each of ``starts`` after loading ``events``, split at
    ``cuts`` into several loads (each recomputes the account-days it touches)."""
    bounds = [0, *sorted(cuts), len(events)]
    with Store(where / f"{uuid.uuid4().hex}.duckdb", profile_spec=spec) as store:
        for i, (a, b) in enumerate(itertools.pairwise(bounds)):
            if a == b:
                continue
            path = where / f"load{i}.parquet"
            pq.write_table(pa.Table.from_pylist(list(events[a:b]), schema=EVENT_SCHEMA), path)
            report = store.load([path])
            assert not report.quarantined, report.quarantined[0]
        return [store.profile_table(start) for start in starts]


async def fold(
    state: State, events: Sequence[Event], *, spec: ProfileSpec = PROFILE, batch: int = 1
) -> None:
    """Fold ``events`` as given (arrival order), ``batch`` at a time, as the gateway does."""
    for i in range(0, len(events), batch):
        rows = runner().rows(events[i : i + batch])
        await state.fold([fold_item(r, spec) for r in rows])


async def merged(
    state: State,
    accounts: Sequence[str],
    *,
    spec: ProfileSpec = PROFILE,
    first_day: dt.date | None = None,
) -> pa.Table:
    """The stored profiles of ``accounts`` merged (over the days from ``first_day``)."""
    day = None if first_day is None else first_day.isoformat()
    raws = await state.raw_profiles(sorted(accounts), day)
    rows = [merge_profile(a, raw, spec) for a, raw in sorted(raws.items()) if raw.days]
    return profiles_table(rows, spec)


def state_factory(kind: str, redis: Callable[[], RedisServer]) -> Callable[[], State]:
    """Fresh, isolated backends of one kind (Redis: a new key prefix each)."""

    def make() -> State:
        if kind == "memory":
            return MemoryState()
        return RedisState(redis().url, prefix=f"t{uuid.uuid4().hex[:10]}:")

    return make


def _exact_columns(spec: ProfileSpec) -> set[str]:
    """Columns compared exactly: everything but sums of values (floating-point order)."""
    sums = {p.name for p in spec.day_parts if isinstance(p, Sum)}
    counts = {p.name for p in spec.day_parts if isinstance(p, Count)}
    return (set(spec.output_columns) - sums) | counts


def assert_same_profiles(batch: pa.Table, online: pa.Table, spec: ProfileSpec = PROFILE) -> None:
    """Every column of every profile equal: counts, times, tiers exactly; sums to 1e-9."""
    assert batch.column_names == list(spec.output_columns)
    assert online.column_names == batch.column_names
    b_rows, o_rows = batch.to_pylist(), online.to_pylist()
    assert [r["account_id"] for r in o_rows] == [r["account_id"] for r in b_rows]
    exact = _exact_columns(spec)
    for b, o in zip(b_rows, o_rows, strict=True):
        for col, want in b.items():
            got = o[col]
            if isinstance(want, Decimal):
                want = float(want)
            where = (b["account_id"], col, got, want)
            if col in exact or want is None or got is None:
                assert got == want, where
            else:
                assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), where
