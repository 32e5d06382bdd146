"""The embedded store: one DuckDB file holding events, their signals and account profiles.

What is kept per event is what detection and an analyst need — metadata, request
parameters, the last user message and system prompt (cut to
:data:`TEXT_CHARS`), turn counts and every signal's columns — not the whole
conversation, which stays in the original logs (``source_file`` says where).

Loading is **idempotent** (an ``event_id`` already stored is skipped) and
**incremental** (a new day's file adds to what is there: only the account-days it
touches have their profile parts recomputed).  Each load is one transaction: if
any file cannot be read, nothing of that load is stored.

Profiles are kept as mergeable parts, one row per account and UTC day
(``profile_days``: counts, sums, minima, maxima, latest values) plus a multiset of
keys per account-day (``profile_keys``: template prefixes, client addresses, …).  A
profile over any window is the merge of its days' parts.  The parts are those of
a :class:`~distillguard.profiles.ProfileSpec` (:mod:`distillguard.profiles`); a
store whose tables were written under another spec is rebuilt from its events
when opened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import DistillguardError, InputError
from distillguard.ingest import QuarantineRecord
from distillguard.profiles import COT_KEY_KINDS as COT_KEY_KINDS  # re-exported
from distillguard.profiles import PROFILE, ProfileSpec
from distillguard.profiles import sql as profile_sql
from distillguard.signals import REGISTRY, EventBatch, available
from distillguard.store.duckdb_reads import DuckDBReads

STORE_VERSION: Final = 3
#: Characters of the last user message and system prompt kept per event.
TEXT_CHARS: Final = 2000
SYSTEM_CHARS: Final = 600

#: Columns copied from the canonical schema (messages and response are not kept).
META_COLUMNS: Final = (
    "event_id", "ts", "account_id", "org_id", "api_key_id", "ip", "user_agent",
    "payment_fingerprint", "account_created_at", "account_tier", "model", "params",
    "conversation_id", "prompt_tokens", "completion_tokens", "reasoning_tokens", "status",
)  # fmt: skip

# Profile parts, key kinds and key statistics are declared once, in
# ``distillguard/profiles/parts.py``; the SQL this store runs for them comes from
# ``distillguard/profiles/sql.py`` (the gateway folds the same declarations online).


@dataclass
class LoadReport:
    """What one load did."""

    files: dict[str, dict[str, int]] = field(default_factory=dict)
    inserted: int = 0
    duplicates: int = 0
    quarantined: list[QuarantineRecord] = field(default_factory=list)
    touched_account_days: int = 0


def _sql_type(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_floating(t):
        return "DOUBLE"
    if pa.types.is_integer(t):
        return "BIGINT"
    return "VARCHAR"


class Store(DuckDBReads):
    """A DuckDB file with events, signals and profile parts.

    It implements the store protocol (:class:`~distillguard.store.EventStore`, reads
    in :class:`~distillguard.store.duckdb_reads.DuckDBReads`): code above the store
    reads through those methods, never through :attr:`con`.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with Store(pathlib.Path(d) / "s.duckdb") as s:
    ...         s.count_events()
    0
    """

    def __init__(
        self,
        path: str | Path,
        *,
        memory_limit: str = "2GB",
        threads: int = 2,
        profile_spec: ProfileSpec = PROFILE,
    ) -> None:
        self.path = Path(path)
        self.memory_limit = memory_limit
        self.threads = threads
        #: The profile parts kept (a store written under another spec is rebuilt).
        self.profile_spec = profile_spec
        self._con: duckdb.DuckDBPyConnection | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Store:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.connect()

    def connect(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            if self.path.exists() and self.path.is_dir():
                raise InputError("the store path is a directory", path=self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                con = duckdb.connect(str(self.path))
            except duckdb.Error as exc:
                raise InputError(f"cannot open the DuckDB store: {exc}", path=self.path) from exc
            con.execute(f"SET memory_limit = '{self.memory_limit}'").fetchall()
            con.execute(f"SET threads = {int(self.threads)}").fetchall()
            con.execute("SET TimeZone = 'UTC'").fetchall()
            con.execute("SET enable_progress_bar = false").fetchall()
            self._con = con
            self._ensure_schema()
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _signal_fields(self) -> list[pa.Field]:
        """The columns every registered signal adds to an event (the store keeps them;
        :func:`distillguard.store.loading.load_logs` computes them)."""
        return [f for name in available() for f in REGISTRY[name].outputs]

    def _ensure_schema(self) -> None:
        con = self._con
        assert con is not None  # only called from connect()
        con.execute(
            "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
        ).fetchall()
        rows = con.execute("SELECT value FROM meta WHERE key = 'store_version'").fetchall()
        row = rows[0] if rows else None
        if row is not None and int(row[0]) == 2:
            self._migrate_from_2()
        elif row is not None and int(row[0]) != STORE_VERSION:
            raise InputError(
                f"store version {row[0]} is not supported "
                f"(this distillguard writes {STORE_VERSION})",
                path=self.path,
            )
        if row is not None:
            self._check_signal_columns()
            self._sync_profile_spec()
            return
        sig_cols = ",\n".join(f"{f.name} {_sql_type(f.type)}" for f in self._signal_fields())
        con.execute("BEGIN").fetchall()
        con.execute(
            f"""
            CREATE TABLE events (
                event_id VARCHAR NOT NULL, ts TIMESTAMPTZ NOT NULL, day DATE NOT NULL,
                account_id VARCHAR NOT NULL, org_id VARCHAR, api_key_id VARCHAR, ip VARCHAR,
                user_agent VARCHAR, payment_fingerprint VARCHAR, account_created_at TIMESTAMPTZ,
                account_tier VARCHAR, model VARCHAR,
                params STRUCT(temperature DOUBLE, top_p DOUBLE, n BIGINT, max_tokens BIGINT,
                    logprobs BOOLEAN, top_logprobs BIGINT, logit_bias VARCHAR,
                    reasoning_effort VARCHAR, stream BOOLEAN, tools VARCHAR, extra VARCHAR),
                conversation_id VARCHAR, prompt_tokens BIGINT, completion_tokens BIGINT,
                reasoning_tokens BIGINT, status BIGINT,
                user_text VARCHAR, system_text VARCHAR, n_messages BIGINT, n_assistant BIGINT,
                source_file VARCHAR,
                {sig_cols}
            )"""
        ).fetchall()
        con.execute(profile_sql.create_days_sql(self.profile_spec)).fetchall()
        con.execute(profile_sql.CREATE_KEYS_SQL).fetchall()
        con.execute(
            "INSERT INTO meta VALUES ('profile_spec', ?)",
            [profile_sql.fingerprint(self.profile_spec)],
        ).fetchall()
        con.execute(
            "CREATE TABLE files (path VARCHAR, rows_good BIGINT, rows_inserted BIGINT, "
            "rows_quarantined BIGINT, loaded_at TIMESTAMPTZ)"
        ).fetchall()
        con.execute(
            "CREATE TABLE quarantine "
            "(file VARCHAR, row BIGINT, field VARCHAR, reason VARCHAR, raw VARCHAR)"
        ).fetchall()
        con.execute("INSERT INTO meta VALUES ('store_version', ?)", [str(STORE_VERSION)]).fetchall()
        con.execute("COMMIT").fetchall()

    def _check_signal_columns(self) -> None:
        """Refuse a store written before a signal this version computes.

        Its events lack that signal's columns, and the columns cannot be filled
        afterwards: the store keeps cut texts, not the requests the signal reads.
        """
        have = {
            r[0]
            for r in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'events'"
            ).fetchall()
        }
        missing = [f.name for f in self._signal_fields() if f.name not in have]
        if missing:
            raise InputError(
                f"this store was written before the signal column(s) {', '.join(missing)} "
                "existed; scan the logs into a new store",
                path=self.path,
                field=missing[0],
            )

    def _migrate_from_2(self) -> None:
        """Version 3 only added profile keys (``cot_*``): its events are version 2's.

        Forgetting its profile spec makes :meth:`_sync_profile_spec` rebuild its
        profile tables, new keys included, from the stored events.
        """
        self.con.execute("DELETE FROM meta WHERE key = 'profile_spec'").fetchall()
        self.con.execute(
            "UPDATE meta SET value = ? WHERE key = 'store_version'", [str(STORE_VERSION)]
        ).fetchall()

    def _sync_profile_spec(self) -> None:
        """Rebuild ``profile_days``/``profile_keys`` from the events if written under another spec.

        The spec's fingerprint is kept in ``meta``; a store written by a version
        with other parts (or opened with another ``profile_spec``) is recomputed
        once, in one transaction, so its profiles are never read with a wrong layout.
        """
        con = self.con
        want = profile_sql.fingerprint(self.profile_spec)
        rows = con.execute("SELECT value FROM meta WHERE key = 'profile_spec'").fetchall()
        if rows and rows[0][0] == want:
            return
        con.execute("BEGIN").fetchall()
        try:
            con.execute("DROP TABLE IF EXISTS profile_days").fetchall()
            con.execute("DROP TABLE IF EXISTS profile_keys").fetchall()
            con.execute(profile_sql.create_days_sql(self.profile_spec)).fetchall()
            con.execute(profile_sql.CREATE_KEYS_SQL).fetchall()
            con.execute(
                "CREATE OR REPLACE TEMP TABLE touched AS "
                "SELECT DISTINCT account_id, day FROM events"
            ).fetchall()
            self._refresh_parts()
            con.execute("INSERT OR REPLACE INTO meta VALUES ('profile_spec', ?)", [want]).fetchall()
            con.execute("COMMIT").fetchall()
        except BaseException:
            con.execute("ROLLBACK").fetchall()
            raise

    # ------------------------------------------------------------------ loading
    def _storage_table(
        self, batch: EventBatch, signals: Mapping[str, pa.Array], source: str
    ) -> pa.Table:
        """The stored form of ``batch``: metadata, cut texts, turn counts, ``signals``."""
        eb = batch
        n = len(eb)
        cols: dict[str, Any] = {name: eb.column(name).combine_chunks() for name in META_COLUMNS}
        cols["user_text"] = pc.utf8_slice_codeunits(eb.user_text, 0, TEXT_CHARS)
        cols["system_text"] = pc.utf8_slice_codeunits(eb.system_text, 0, SYSTEM_CHARS)
        msgs = eb.column("messages").combine_chunks()
        cols["n_messages"] = pc.fill_null(pc.list_value_length(msgs), 0).cast(pa.int64())
        cols["n_assistant"] = eb.n_assistant
        cols["source_file"] = pa.array([source] * n, pa.string())
        for f in self._signal_fields():
            if f.name not in signals:
                raise DistillguardError(
                    f"a batch to store lacks the signal column {f.name!r}", path=self.path
                )
            cols[f.name] = signals[f.name]
        return pa.table(cols)

    @contextmanager
    def loading(self) -> Iterator[LoadSession]:
        """One load, all or nothing: events added batch by batch (:meth:`LoadSession.add`),
        then, on leaving the block, the profile parts of the account-days they touched
        recomputed and everything committed (rolled back if the block raises).

        What fills it is :func:`distillguard.store.loading.load_logs`: read and validate
        (ingest), compute signals, add, refresh profiles.
        """
        con = self.con
        con.execute("BEGIN").fetchall()
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE touched (account_id VARCHAR, day DATE)"
            ).fetchall()
            session = LoadSession(self)
            yield session
            quarantined = session.report.quarantined
            if quarantined:
                q = pa.table(
                    {
                        "file": [r.file for r in quarantined],
                        "row": pa.array([r.row for r in quarantined], pa.int64()),
                        "field": [r.field for r in quarantined],
                        "reason": [r.reason for r in quarantined],
                        "raw": [r.raw for r in quarantined],
                    }
                )
                con.register("q", q)
                con.execute("INSERT INTO quarantine SELECT * FROM q").fetchall()
                con.unregister("q")
            session.report.touched_account_days = self._refresh_parts()
            con.execute("COMMIT").fetchall()
        except BaseException:
            con.execute("ROLLBACK").fetchall()
            raise

    def load(
        self,
        paths: Sequence[str | Path],
        *,
        fmt: str | None = None,
        on_progress: Callable[[str, int], None] | None = None,
    ) -> LoadReport:
        """Load log files in one transaction; return counts and quarantined rows.

        The same as :func:`distillguard.store.loading.load_logs` (which reads, computes the
        signals and fills :meth:`loading`), kept for the callers written before it.
        """
        from distillguard.store.loading import load_logs

        return load_logs(self, paths, fmt=fmt, on_progress=on_progress)

    def _refresh_parts(self) -> int:
        """Recompute profile parts of the account-days the load touched, from stored events."""
        con = self.con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE t AS SELECT DISTINCT account_id, day FROM touched"
        ).fetchall()
        n = con.execute("SELECT count(*) FROM t").fetchall()
        touched = int(n[0][0]) if n else 0
        if touched == 0:
            return 0
        con.execute(
            "DELETE FROM profile_days WHERE (account_id, day) IN (SELECT account_id, day FROM t)"
        ).fetchall()
        con.execute(
            "DELETE FROM profile_keys WHERE (account_id, day) IN (SELECT account_id, day FROM t)"
        ).fetchall()
        join = "JOIN t USING (account_id, day)"
        con.execute(profile_sql.day_parts_sql(self.profile_spec, join)).fetchall()
        keys = profile_sql.key_rows_sql(self.profile_spec, join)
        if keys is not None:
            con.execute(f"INSERT INTO profile_keys {keys}").fetchall()
        return touched

    # ------------------------------------------------------------------ reading
    def count_events(self) -> int:
        rows = self.con.execute("SELECT count(*) FROM events").fetchall()
        return int(rows[0][0]) if rows else 0

    def window(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        rows = self.con.execute("SELECT min(ts), max(ts) FROM events").fetchall()
        return (rows[0][0], rows[0][1]) if rows else (None, None)

    def profile_table(
        self,
        start: dt.date | None = None,
        end: dt.date | None = None,
        *,
        groups: pa.Table | None = None,
    ) -> pa.Table:
        """Merged profile parts per account over ``[start, end]`` (inclusive days).

        With ``groups`` (columns ``account_id, group_id``) the parts of every account
        in a group merge into one profile per group, keyed ``account_id = group_id``:
        a campaign's profile is the merge of its members' (accounts not in ``groups``
        are left out).
        """
        where, params = _window_clause(start, end)
        days, keys = "profile_days", "profile_keys"
        if groups is not None:
            self.con.register("profile_groups", groups.select(["account_id", "group_id"]))
            days, keys = (
                f"(SELECT g.group_id AS account_id, t.* EXCLUDE (account_id) FROM {name} t "
                "JOIN profile_groups g USING (account_id))"
                for name in (days, keys)
            )
        sql = profile_sql.profile_sql(self.profile_spec, days, keys, where)
        try:
            return self.con.sql(sql, params=params * 2).to_arrow_table()
        except duckdb.Error as exc:
            raise DistillguardError(f"cannot compute profiles: {exc}", path=self.path) from exc
        finally:
            if groups is not None:
                self.con.unregister("profile_groups")


class LoadSession:
    """Events added to a :class:`Store` inside one :meth:`Store.loading` transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.report = LoadReport()

    def add(self, batch: EventBatch, signals: Mapping[str, pa.Array], source: str) -> int:
        """Store the events of ``batch`` not stored yet, with their ``signals`` columns;
        return how many were new."""
        con = self.store.con
        staged = self.store._storage_table(batch, signals, source)
        con.register("staged", staged)
        try:
            # Two anti-joins, not one into a temp table: a temp copy of every
            # batch stays alive until the load commits (measured: +0.8 GB peak
            # on 1M events).
            con.execute(
                "INSERT INTO touched SELECT DISTINCT account_id, CAST(ts AS DATE) "
                "FROM staged WHERE event_id NOT IN (SELECT event_id FROM events)"
            ).fetchall()
            res = con.execute(
                "INSERT INTO events BY NAME "
                "SELECT *, CAST(ts AS DATE) AS day FROM staged "
                "WHERE event_id NOT IN (SELECT event_id FROM events)"
            ).fetchall()
        finally:
            # In an aborted transaction unregister fails too, and its error would
            # replace the one that says what went wrong.
            with contextlib.suppress(duckdb.Error):
                con.unregister("staged")
        return int(res[0][0]) if res else 0

    def quarantine(self, records: Sequence[QuarantineRecord]) -> None:
        """Keep rows that failed validation (written when the load commits)."""
        self.report.quarantined.extend(records)

    def file_loaded(self, path: str, *, good: int, inserted: int, quarantined: int) -> None:
        """Record one input file's counts."""
        self.report.files[path] = {"good": good, "inserted": inserted, "quarantined": quarantined}
        self.report.inserted += inserted
        self.report.duplicates += good - inserted
        self.store.con.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, now())", [path, good, inserted, quarantined]
        ).fetchall()


def _window_clause(start: dt.date | None, end: dt.date | None) -> tuple[str, list[Any]]:
    conds, params = [], []
    if start is not None:
        conds.append("day >= ?")
        params.append(start)
    if end is not None:
        conds.append("day <= ?")
        params.append(end)
    return ("WHERE " + " AND ".join(conds) if conds else ""), params
