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
(``profile_days``: counts, sums, minima, maxima) plus a multiset of keys per
account-day (``profile_keys``: template prefixes, client addresses, …).  A profile
over any window is the merge (sum/min/max) of its days' parts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import DistillguardError, InputError
from distillguard.ingest import QuarantineRecord, iter_event_batches
from distillguard.signals import EventBatch, Signal, available, create

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

HOURS: Final = tuple(f"h{h:02d}" for h in range(24))
#: A request that counts as chain-of-thought elicitation in a profile (benchmark
#: items that ask for step-by-step answers are evaluation traffic, not harvesting).
COT_CONDITION: Final = "cot_elicitation AND NOT benchmark_match"

#: Per account-day summary: (column, SQL expression over events, merge function).
#: This single list defines the parts, how each is computed from events, and how
#: parts merge into a profile over a window.
PART_SPEC: Final[tuple[tuple[str, str, str], ...]] = (
    ("n", "count(*)", "sum"),
    ("n_ok", "count(*) FILTER (WHERE status IS NULL OR status < 400)", "sum"),
    ("prompt_tokens", "coalesce(sum(prompt_tokens), 0)", "sum"),
    ("completion_tokens", "coalesce(sum(completion_tokens), 0)", "sum"),
    ("reasoning_tokens", "coalesce(sum(reasoning_tokens), 0)", "sum"),
    ("cot_n", f"count(*) FILTER (WHERE {COT_CONDITION})", "sum"),
    ("cot_score_sum", "coalesce(sum(cot_elicitation_score), 0)", "sum"),
    ("cap_coding", "count(*) FILTER (WHERE capability = 'coding')", "sum"),
    ("cap_math", "count(*) FILTER (WHERE capability = 'math')", "sum"),
    ("cap_reasoning", "count(*) FILTER (WHERE capability = 'reasoning')", "sum"),
    ("cap_agentic", "count(*) FILTER (WHERE capability = 'agentic')", "sum"),
    ("cap_writing", "count(*) FILTER (WHERE capability = 'writing')", "sum"),
    ("p_n_gt1", "count(*) FILTER (WHERE param_n_gt1)", "sum"),
    ("p_logprobs", "count(*) FILTER (WHERE param_logprobs)", "sum"),
    ("p_logit_bias", "count(*) FILTER (WHERE param_logit_bias)", "sum"),
    ("p_high_effort", "count(*) FILTER (WHERE param_high_effort)", "sum"),
    ("p_large_max_tokens", "count(*) FILTER (WHERE param_large_max_tokens)", "sum"),
    ("harvest_score_sum", "coalesce(sum(harvest_params_score), 0)", "sum"),
    ("bench_n", "count(*) FILTER (WHERE benchmark_match)", "sum"),
    ("followup_n", "count(*) FILTER (WHERE n_assistant > 0)", "sum"),
    ("system_n", "count(*) FILTER (WHERE system_text <> '')", "sum"),
    ("conv_n", "count(*) FILTER (WHERE conversation_id IS NOT NULL)", "sum"),
    *(
        (h, f"count(*) FILTER (WHERE hour(ts AT TIME ZONE 'UTC') = {i})", "sum")
        for i, h in enumerate(HOURS)
    ),
    ("first_ts", "min(ts)", "min"),
    ("last_ts", "max(ts)", "max"),
    ("gap_n", "count(gap_s)", "sum"),
    ("gap_sum", "coalesce(sum(gap_s), 0)", "sum"),
    ("gap_sq_sum", "coalesce(sum(gap_s * gap_s), 0)", "sum"),
    ("gap_log_sum", "coalesce(sum(ln(gap_s + 1)), 0)", "sum"),
)  # fmt: skip

#: Multisets kept per account-day: key kind → SQL expression of the key.
KEY_SPEC: Final[dict[str, str]] = {
    "prefix": "template_prefix",
    "suffix": "template_suffix",
    "system": "template_system",
    "ip": "ip",
    "user_agent": "user_agent",
    "api_key": "api_key_id",
    "payment": "payment_fingerprint",
    "model": "model",
}
#: Template kinds whose keys are also counted over chain-of-thought requests only,
#: as kind ``cot_<kind>``: how much of one user-message template's traffic elicits
#: reasoning.  (A fixed system prompt is left out: harvest scripts send one too, and
#: it says nothing about where the flagged words came from.)
COT_KEY_KINDS: Final = ("prefix", "suffix")


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


class Store:
    """A DuckDB file with events, signals and profile parts.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with Store(pathlib.Path(d) / "s.duckdb") as s:
    ...         s.count_events()
    0
    """

    def __init__(self, path: str | Path, *, memory_limit: str = "2GB", threads: int = 2) -> None:
        self.path = Path(path)
        self.memory_limit = memory_limit
        self.threads = threads
        self._con: duckdb.DuckDBPyConnection | None = None
        self._signals: list[Signal] | None = None

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

    @property
    def signals(self) -> list[Signal]:
        if self._signals is None:
            self._signals = [create(n) for n in available()]
        return self._signals

    def _signal_fields(self) -> list[pa.Field]:
        return [f for s in self.signals for f in s.outputs]

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
            return
        if row is not None and int(row[0]) != STORE_VERSION:
            raise InputError(
                f"store version {row[0]} is not supported "
                f"(this distillguard writes {STORE_VERSION})",
                path=self.path,
            )
        if row is not None:
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
        parts = ",\n".join(
            f"{name} {'TIMESTAMPTZ' if merge in ('min', 'max') else 'DOUBLE'}"
            for name, _, merge in PART_SPEC
        )
        con.execute(
            f"CREATE TABLE profile_days (account_id VARCHAR NOT NULL, day DATE NOT NULL, {parts})"
        ).fetchall()
        con.execute(
            "CREATE TABLE profile_keys (account_id VARCHAR NOT NULL, day DATE NOT NULL, "
            "kind VARCHAR NOT NULL, key VARCHAR NOT NULL, n BIGINT NOT NULL)"
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

    def _migrate_from_2(self) -> None:
        """Add version 3's ``cot_*`` template keys, computed from the stored events."""
        con = self.con
        con.execute("BEGIN").fetchall()
        try:
            cot_kinds = [f"cot_{k}" for k in COT_KEY_KINDS]
            con.execute(f"INSERT INTO profile_keys {_key_selects('', cot_kinds)}").fetchall()
            con.execute(
                "UPDATE meta SET value = ? WHERE key = 'store_version'", [str(STORE_VERSION)]
            ).fetchall()
            con.execute("COMMIT").fetchall()
        except BaseException:
            con.execute("ROLLBACK").fetchall()
            raise

    # ------------------------------------------------------------------ loading
    def _storage_table(self, table: pa.Table, source: str) -> pa.Table:
        eb = EventBatch(table)
        n = len(eb)
        cols: dict[str, Any] = {name: eb.column(name).combine_chunks() for name in META_COLUMNS}
        cols["user_text"] = pc.utf8_slice_codeunits(eb.user_text, 0, TEXT_CHARS)
        cols["system_text"] = pc.utf8_slice_codeunits(eb.system_text, 0, SYSTEM_CHARS)
        msgs = eb.column("messages").combine_chunks()
        cols["n_messages"] = pc.fill_null(pc.list_value_length(msgs), 0).cast(pa.int64())
        cols["n_assistant"] = eb.n_assistant
        cols["source_file"] = pa.array([source] * n, pa.string())
        for sig in self.signals:
            out = sig.compute(eb)
            for f in sig.outputs:
                cols[f.name] = out[f.name]
        return pa.table(cols)

    def load(
        self,
        paths: Sequence[str | Path],
        *,
        fmt: str | None = None,
        on_progress: Callable[[str, int], None] | None = None,
    ) -> LoadReport:
        """Load log files in one transaction; return counts and quarantined rows."""
        con = self.con
        report = LoadReport()
        con.execute("BEGIN").fetchall()
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE touched (account_id VARCHAR, day DATE)"
            ).fetchall()
            for path in paths:
                good = inserted = bad = 0
                for chunk, quarantined in iter_event_batches(path, fmt=fmt):
                    report.quarantined.extend(quarantined)
                    bad += len(quarantined)
                    if chunk.num_rows == 0:
                        continue
                    good += chunk.num_rows
                    staged = self._storage_table(chunk, str(path))
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
                        inserted += int(res[0][0]) if res else 0
                    finally:
                        con.unregister("staged")
                    if on_progress is not None:
                        on_progress(str(path), chunk.num_rows + len(quarantined))
                report.files[str(path)] = {"good": good, "inserted": inserted, "quarantined": bad}
                report.inserted += inserted
                report.duplicates += good - inserted
                con.execute(
                    "INSERT INTO files VALUES (?, ?, ?, ?, now())", [str(path), good, inserted, bad]
                ).fetchall()
            if report.quarantined:
                q = pa.table(
                    {
                        "file": [r.file for r in report.quarantined],
                        "row": pa.array([r.row for r in report.quarantined], pa.int64()),
                        "field": [r.field for r in report.quarantined],
                        "reason": [r.reason for r in report.quarantined],
                        "raw": [r.raw for r in report.quarantined],
                    }
                )
                con.register("q", q)
                con.execute("INSERT INTO quarantine SELECT * FROM q").fetchall()
                con.unregister("q")
            report.touched_account_days = self._refresh_parts()
            con.execute("COMMIT").fetchall()
        except BaseException:
            con.execute("ROLLBACK").fetchall()
            raise
        return report

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
        exprs = ",\n".join(f"{expr} AS {name}" for name, expr, _ in PART_SPEC)
        con.execute(
            f"""
            INSERT INTO profile_days
            WITH ev AS (
                SELECT e.*,
                       epoch(e.ts - lag(e.ts) OVER (PARTITION BY e.account_id, e.day ORDER BY e.ts))
                         AS gap_s
                FROM events e JOIN t USING (account_id, day)
            )
            SELECT account_id, day, {exprs} FROM ev GROUP BY account_id, day
            """
        ).fetchall()
        keys = _key_selects("JOIN t USING (account_id, day)")
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
        merges = ",\n".join(f"{merge}({name}) AS {name}" for name, _, merge in PART_SPEC)
        cot_kinds = ", ".join(f"'{k}'" for k in COT_KEY_KINDS)
        top_cot = ", ".join(
            f"max(coalesce(c.n, 0)) FILTER (WHERE t.kind = '{k}') AS top_{k}_cot_n"
            for k in COT_KEY_KINDS
        )
        where, params = _window_clause(start, end)
        days, keys, events = "profile_days", "profile_keys", "events"
        if groups is not None:
            self.con.register("profile_groups", groups.select(["account_id", "group_id"]))
            days, keys, events = (
                f"(SELECT g.group_id AS account_id, t.* EXCLUDE (account_id) FROM {name} t "
                "JOIN profile_groups g USING (account_id))"
                for name in (days, keys, events)
            )
        sql = f"""
            WITH parts AS (SELECT * FROM {days} {where}),
            merged AS (
                SELECT account_id, count(*) AS active_days, {merges}
                FROM parts GROUP BY account_id
            ),
            keys AS (
                SELECT account_id, kind, key, sum(n) AS n FROM {keys} {where}
                GROUP BY account_id, kind, key
            ),
            key_stats AS (
                SELECT account_id,
                    max(n) FILTER (WHERE kind = 'prefix') AS top_prefix_n,
                    max(n) FILTER (WHERE kind = 'suffix') AS top_suffix_n,
                    max(n) FILTER (WHERE kind = 'system') AS top_system_n,
                    count(*) FILTER (WHERE kind = 'prefix') AS distinct_prefixes,
                    count(*) FILTER (WHERE kind = 'ip') AS distinct_ips,
                    count(*) FILTER (WHERE kind = 'user_agent') AS distinct_user_agents,
                    count(*) FILTER (WHERE kind = 'api_key') AS distinct_api_keys,
                    count(*) FILTER (WHERE kind = 'model') AS distinct_models
                FROM keys GROUP BY account_id
            ),
            top_keys AS (
                SELECT account_id, kind, key, n FROM keys
                WHERE kind IN ({cot_kinds})
                QUALIFY n = max(n) OVER (PARTITION BY account_id, kind)
            ),
            top_cot AS (
                -- Among an account's most used templates of each kind (ties), the
                -- largest count of chain-of-thought requests inside one of them.
                SELECT t.account_id, {top_cot}
                FROM top_keys t LEFT JOIN keys c
                  ON c.account_id = t.account_id AND c.kind = 'cot_' || t.kind AND c.key = t.key
                GROUP BY t.account_id
            ),
            attrs AS (
                SELECT account_id,
                    arg_max(account_tier, ts) AS tier,
                    arg_max(org_id, ts) AS org_id,
                    min(account_created_at) AS account_created_at
                FROM {events} {where.replace("day", "CAST(ts AS DATE)")}
                GROUP BY account_id
            )
            SELECT * FROM merged
            LEFT JOIN key_stats USING (account_id) LEFT JOIN top_cot USING (account_id)
            LEFT JOIN attrs USING (account_id)
            ORDER BY account_id
        """
        try:
            return self.con.sql(sql, params=params * 3).to_arrow_table()
        except duckdb.Error as exc:
            raise DistillguardError(f"cannot compute profiles: {exc}", path=self.path) from exc
        finally:
            if groups is not None:
                self.con.unregister("profile_groups")


def _key_selects(join: str, kinds: Sequence[str] | None = None) -> str:
    """SQL selecting ``profile_keys`` rows from ``events`` (joined with ``join``).

    ``kinds`` limits it to those kinds (all of ``KEY_SPEC`` and the ``cot_`` kinds
    by default).
    """
    specs = [(kind, expr, "TRUE") for kind, expr in KEY_SPEC.items()]
    specs += [(f"cot_{k}", KEY_SPEC[k], COT_CONDITION) for k in COT_KEY_KINDS]
    return " UNION ALL ".join(
        f"SELECT account_id, day, '{kind}' AS kind, CAST({expr} AS VARCHAR) AS key, "
        f"count(*) AS n FROM events {join} WHERE {expr} IS NOT NULL AND ({cond}) "
        f"GROUP BY account_id, day, {expr}"
        for kind, expr, cond in specs
        if kinds is None or kind in kinds
    )


def _window_clause(start: dt.date | None, end: dt.date | None) -> tuple[str, list[Any]]:
    conds, params = [], []
    if start is not None:
        conds.append("day >= ?")
        params.append(start)
    if end is not None:
        conds.append("day <= ?")
        params.append(end)
    return ("WHERE " + " AND ".join(conds) if conds else ""), params
