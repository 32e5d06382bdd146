"""The store protocol's reads over the DuckDB store's tables.

:class:`DuckDBReads` implements :class:`~distillguard.store.protocol.EventStore`
(profiles aside, which the store computes from its profile parts) as SQL over the
``events``, ``profile_keys`` and ``files`` tables of
:class:`~distillguard.store.duckdb.Store`, which inherits it.  This module and the
store's own are the only code that touches a store's DuckDB connection
(``tests/store/test_no_connection.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from distillguard.errors import DistillguardError
from distillguard.store.protocol import EventFilter, EventOrder, Window

_ORDER_SQL = {"stored": "", "time": "ORDER BY ts", "event_hash": "ORDER BY md5(event_id)"}


def window_conditions(window: Window | None, column: str = "day") -> tuple[list[str], list[Any]]:
    """SQL conditions (and their parameters) keeping the days of ``window``."""
    conds: list[str] = []
    params: list[Any] = []
    if window is not None and window.start is not None:
        conds.append(f"{column} >= ?")
        params.append(window.start)
    if window is not None and window.end is not None:
        conds.append(f"{column} <= ?")
        params.append(window.end)
    return conds, params


def _where(conds: Sequence[str]) -> str:
    return ("WHERE " + " AND ".join(conds)) if conds else ""


class DuckDBReads:
    """Reads of the store protocol, for a class holding a DuckDB connection (``con``)."""

    path: Path

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        raise NotImplementedError

    @property
    def location(self) -> str:
        return str(self.path)

    # ------------------------------------------------------------------ helpers
    def _fetch(self, sql: str, params: Sequence[Any], what: str) -> pa.Table:
        try:
            return self.con.sql(sql, params=list(params)).to_arrow_table()
        except duckdb.Error as exc:
            raise DistillguardError(f"cannot read {what}: {exc}", path=self.path) from exc

    def _event_columns(self) -> set[str]:
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'events'"
        ).fetchall()
        return {str(r[0]) for r in rows}

    def _check_columns(self, columns: Sequence[str]) -> None:
        known = self._event_columns()
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise DistillguardError(
                f"the store's events have no column {unknown[0]!r}", path=self.path
            )

    @contextmanager
    def _filtered(
        self, where: EventFilter | None, event_ids: Sequence[str] | None = None
    ) -> Iterator[tuple[list[str], list[Any]]]:
        """Conditions and parameters selecting the events of ``where`` (registering
        the account and event id lists it names for the query's duration)."""
        where = where or EventFilter()
        conds, params = window_conditions(where.window)
        registered = []
        try:
            if where.accounts is not None:
                self.con.register(
                    "dg_scope", pa.table({"account_id": pa.array(where.accounts, pa.string())})
                )
                registered.append("dg_scope")
                op = "NOT IN" if where.other_accounts else "IN"
                conds.append(f"account_id {op} (SELECT account_id FROM dg_scope)")
            if event_ids is not None:
                self.con.register(
                    "dg_ids", pa.table({"event_id": pa.array(event_ids, pa.string())})
                )
                registered.append("dg_ids")
                conds.append("event_id IN (SELECT event_id FROM dg_ids)")
            if where.exclude_benchmark:
                conds.append("NOT coalesce(benchmark_match, false)")
            if where.min_text_chars > 0:
                conds.append(f"length(user_text) >= {int(where.min_text_chars)}")
            yield conds, params
        finally:
            for name in registered:
                self.con.unregister(name)

    # ------------------------------------------------------------------ reads
    def key_counts(self, kinds: Sequence[str], window: Window | None = None) -> pa.Table:
        conds, params = window_conditions(window)
        conds.append("kind IN (" + ", ".join("?" for _ in kinds) + ")" if kinds else "FALSE")
        params.extend(str(k) for k in kinds)
        return self._fetch(
            "SELECT account_id, kind, key, CAST(sum(n) AS BIGINT) AS n "
            f"FROM profile_keys {_where(conds)} GROUP BY account_id, kind, key",
            params,
            "key counts",
        )

    def account_attributes(self, window: Window | None = None) -> pa.Table:
        conds, params = window_conditions(window)
        return self._fetch(
            "SELECT account_id, arg_max(org_id, ts) AS org_id, arg_max(account_tier, ts) AS tier, "
            "min(account_created_at) AS created_at "
            f"FROM events {_where(conds)} GROUP BY account_id",
            params,
            "account attributes",
        )

    def value_counts(self, column: str, where: EventFilter | None = None) -> pa.Table:
        self._check_columns([column])
        with self._filtered(where) as (conds, params):
            conds.append(f"{column} IS NOT NULL")
            return self._fetch(
                f"SELECT account_id, {column} AS value, count(*) AS n FROM events "
                f"{_where(conds)} GROUP BY ALL",
                params,
                f"{column} values",
            )

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
        self._check_columns(columns)
        if order not in _ORDER_SQL:
            raise DistillguardError(f"unknown order {order!r} (known: {', '.join(_ORDER_SQL)})")
        select = ", ".join(
            f"left({c}, {int(text_chars)}) AS {c}"
            if text_chars is not None and c in ("user_text", "system_text")
            else c
            for c in columns
        )
        tail = _ORDER_SQL[order] + ("" if limit is None else f" LIMIT {int(limit)}")
        with self._filtered(where, event_ids) as (conds, params):
            return self._fetch(
                f"SELECT {select} FROM events {_where(conds)} {tail}", params, "events"
            )

    def usage_by_model(self, window: Window | None = None) -> pa.Table:
        conds, params = window_conditions(window)
        return self._fetch(
            "SELECT account_id, model, count(*) AS n, "
            "CAST(coalesce(sum(prompt_tokens), 0) AS BIGINT) AS prompt_tokens, "
            "CAST(coalesce(sum(completion_tokens), 0) AS BIGINT) AS completion_tokens, "
            "CAST(coalesce(sum(reasoning_tokens), 0) AS BIGINT) AS reasoning_tokens "
            f"FROM events {_where(conds)} GROUP BY account_id, model ORDER BY account_id, model",
            params,
            "token usage per model",
        )

    def activity(self, slot_seconds: int, window: Window | None = None) -> pa.Table:
        if slot_seconds < 1:
            raise DistillguardError(f"a time slot must be at least 1 s, not {slot_seconds}")
        conds, params = window_conditions(window)
        return self._fetch(
            f"SELECT account_id, epoch_us(ts) // {int(slot_seconds) * 1_000_000} AS slot, "
            f"count(*) AS n FROM events {_where(conds)} GROUP BY ALL",
            params,
            "activity",
        )

    def event_summary(self, where: EventFilter | None = None) -> dict[str, Any]:
        with self._filtered(where) as (conds, params):
            rows = self._fetch(
                "SELECT count(*) AS n_events, count(DISTINCT account_id) AS n_accounts, "
                f"min(ts) AS first_ts, max(ts) AS last_ts FROM events {_where(conds)}",
                params,
                "the window",
            ).to_pylist()
        out: dict[str, Any] = rows[0]
        return out

    def loaded_files(self) -> pa.Table:
        return self._fetch(
            "SELECT path, rows_good, rows_inserted, rows_quarantined, loaded_at FROM files "
            "ORDER BY loaded_at, path",
            [],
            "inputs",
        )


__all__ = ["DuckDBReads", "window_conditions"]
