"""A profile spec compiled to DuckDB: the tables, the per account-day aggregation, the merge.

The store runs what this module writes and nothing else about profiles:

- :func:`create_days_sql` / :data:`CREATE_KEYS_SQL`: ``profile_days`` (one column
  per part) and ``profile_keys`` (account, day, kind, key, count);
- :func:`day_parts_sql` / :func:`key_rows_sql`: the parts and keys of the
  account-days named by a join, from the stored ``events``;
- :func:`profile_sql`: parts and keys of any window merged into one row per account
  (or per group of accounts), with the key statistics (:func:`attributes_sql`: the
  account attributes alone);
- :func:`fingerprint`: a hash of what the stored tables hold, so a store written
  under another spec is rebuilt from its events instead of read wrongly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

from distillguard.profiles.expr import (
    GAP_COLUMN,
    Cmp,
    Col,
    Expr,
    Flag,
    Func,
    IsNull,
    Lit,
    Logic,
    Not,
    Scalar,
)
from distillguard.profiles.spec import (
    Count,
    DistinctCount,
    Latest,
    Max,
    Min,
    Part,
    ProfileSpec,
    Sum,
    TopCount,
    TopCountIn,
)

CREATE_KEYS_SQL: Final = (
    "CREATE TABLE profile_keys (account_id VARCHAR NOT NULL, day DATE NOT NULL, "
    "kind VARCHAR NOT NULL, key VARCHAR NOT NULL, n BIGINT NOT NULL)"
)
#: ``gap_s`` over the stored events (``e``) of an account-day: seconds since the
#: day's previous event.
GAP_SQL: Final = "epoch(e.ts - lag(e.ts) OVER (PARTITION BY e.account_id, e.day ORDER BY e.ts))"


def _literal(value: Scalar) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def _atom(e: Expr) -> str:
    """SQL of ``e``, in parentheses unless it is one term already."""
    text = expr_sql(e)
    simple = isinstance(e, Col | Lit | Func | Logic) or (isinstance(e, Flag) and _simple(e.arg))
    return text if simple else f"({text})"


def _simple(e: Expr) -> bool:
    return isinstance(e, Col | Lit | Func | Logic)


def expr_sql(e: Expr) -> str:
    """DuckDB SQL of an expression over one event row."""
    match e:
        case Col(name):
            return name
        case Lit(value):
            return _literal(value)
        case Cmp(op, left, right):
            return f"{_atom(left)} {op} {_atom(right)}"
        case IsNull(arg, negate):
            return f"{_atom(arg)} IS {'NOT ' if negate else ''}NULL"
        case Flag(arg):
            return expr_sql(arg)
        case Not(arg):
            return f"NOT {_atom(arg)}"
        case Logic(op, args):
            return "(" + f" {op} ".join(expr_sql(a) for a in args) + ")"
        case Func("hour", arg):
            return f"hour({expr_sql(arg)} AT TIME ZONE 'UTC')"
        case Func("square", arg):
            return f"{_atom(arg)} * {_atom(arg)}"
        case Func("ln1p", arg):
            return f"ln({expr_sql(arg)} + 1)"
    raise TypeError(f"no SQL for expression {e!r}")


def part_type(part: Part) -> str:
    """The ``profile_days`` column type of a part."""
    match part:
        case Count() | Sum():
            return "DOUBLE"
        case Min(type=t) | Max(type=t):
            return "TIMESTAMPTZ" if t == "timestamp" else "DOUBLE"
        case Latest():
            return "STRUCT(ts TIMESTAMPTZ, v VARCHAR)"
    raise TypeError(f"no column type for part {part!r}")


def part_day_sql(part: Part) -> str:
    """The aggregate of an account-day's events that gives the part."""
    match part:
        case Count(where=None):
            return "count(*)"
        case Count(where=where) if where is not None:
            return f"count(*) FILTER (WHERE {expr_sql(where)})"
        case Sum(value=value, where=None):
            return f"coalesce(sum({expr_sql(value)}), 0)"
        case Sum(value=value, where=where) if where is not None:
            return f"coalesce(sum({expr_sql(value)}) FILTER (WHERE {expr_sql(where)}), 0)"
        case Min(value=value):
            return f"min({expr_sql(value)})"
        case Max(value=value):
            return f"max({expr_sql(value)})"
        case Latest(value=value, at=at):
            v, t = expr_sql(value), expr_sql(at)
            return (
                f"max({{'ts': {t}, 'v': CAST({v} AS VARCHAR)}}) "
                f"FILTER (WHERE {_atom(value)} IS NOT NULL AND {_atom(at)} IS NOT NULL)"
            )
    raise TypeError(f"no SQL for part {part!r}")


def part_merge_sql(part: Part) -> str:
    """The aggregate over day parts (or any parts) that merges them."""
    name = part.name
    match part.merge:
        case "sum" | "min" | "max":
            return f"{part.merge}({name})"
        case "latest":
            return f"struct_extract(max({name}), 'v')"
    raise TypeError(f"unknown merge {part.merge!r}")


def create_days_sql(spec: ProfileSpec) -> str:
    cols = ", ".join(f"{p.name} {part_type(p)}" for p in spec.day_parts)
    return f"CREATE TABLE profile_days (account_id VARCHAR NOT NULL, day DATE NOT NULL, {cols})"


def day_parts_sql(spec: ProfileSpec, join: str) -> str:
    """``INSERT`` of the parts of the account-days that ``join`` keeps (``events e {join}``)."""
    gap = f", {GAP_SQL} AS {GAP_COLUMN}" if spec.gap_parts else ""
    exprs = ",\n".join(f"{part_day_sql(p)} AS {p.name}" for p in spec.day_parts)
    return f"""
        INSERT INTO profile_days
        WITH ev AS (SELECT e.*{gap} FROM events e {join})
        SELECT account_id, day, {exprs} FROM ev GROUP BY account_id, day
    """


def key_rows_sql(spec: ProfileSpec, join: str, kinds: Sequence[str] | None = None) -> str | None:
    """``SELECT`` of ``profile_keys`` rows from ``events {join}`` (None when no kind is kept).

    ``kinds`` limits it to those kinds (all of the spec's by default).
    """
    selects = []
    for kind in spec.keys:
        if kinds is not None and kind.name not in kinds:
            continue
        v = expr_sql(kind.value)
        cond = f" AND {_atom(kind.where)}" if kind.where is not None else ""
        selects.append(
            f"SELECT account_id, day, {_literal(kind.name)} AS kind, CAST({v} AS VARCHAR) AS key, "
            f"count(*) AS n FROM events {join} WHERE {_atom(kind.value)} IS NOT NULL{cond} "
            f"GROUP BY account_id, day, {v}"
        )
    return " UNION ALL ".join(selects) if selects else None


def fingerprint(spec: ProfileSpec) -> str:
    """A short hash of what ``profile_days`` and ``profile_keys`` hold under ``spec``."""
    text = "\n".join(
        [
            create_days_sql(spec),
            CREATE_KEYS_SQL,
            day_parts_sql(spec, "<join>"),
            key_rows_sql(spec, "<join>") or "",
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def attributes_sql(spec: ProfileSpec, days: str = "profile_days", where: str = "") -> str:
    """Each account's attributes (tier, organisation, sign-up time) merged over ``days``.

    The same values as the attribute columns of :func:`profile_sql`, for readers that
    need only these (``where``: ``WHERE day ...`` or empty).
    """
    merges = ", ".join(f"{part_merge_sql(p)} AS {p.name}" for p in spec.attributes)
    return (
        f"SELECT account_id, {merges} FROM {days} {where} GROUP BY account_id ORDER BY account_id"
    )


def profile_sql(spec: ProfileSpec, days: str, keys: str, where: str) -> str:
    """One merged profile per ``account_id`` of ``days`` and ``keys`` (tables or subqueries).

    ``where`` (``WHERE day ...`` or empty) selects the window in both; its
    parameters are needed twice.
    """
    merges = ",\n".join(f"{part_merge_sql(p)} AS {p.name}" for p in spec.day_parts)
    ctes = [
        f"parts AS (SELECT * FROM {days} {where})",
        f"merged AS (SELECT account_id, count(*) AS active_days, {merges} "
        "FROM parts GROUP BY account_id)",
        f"keys AS (SELECT account_id, kind, key, sum(n) AS n FROM {keys} {where} "
        "GROUP BY account_id, kind, key)",
    ]
    joins = []
    per_kind = []
    for stat in spec.key_stats:
        kind = _literal(stat.kind)
        if isinstance(stat, TopCount):
            per_kind.append(f"max(n) FILTER (WHERE kind = {kind}) AS {stat.name}")
        elif isinstance(stat, DistinctCount):
            per_kind.append(f"count(*) FILTER (WHERE kind = {kind}) AS {stat.name}")
    if per_kind:
        ctes.append(
            f"key_stats AS (SELECT account_id, {', '.join(per_kind)} FROM keys GROUP BY account_id)"
        )
        joins.append("LEFT JOIN key_stats USING (account_id)")
    tops = [s for s in spec.key_stats if isinstance(s, TopCountIn)]
    if tops:
        kinds = ", ".join(_literal(s.kind) for s in tops)
        within = " ".join(f"WHEN {_literal(s.kind)} THEN {_literal(s.within)}" for s in tops)
        aggs = ", ".join(
            f"max(coalesce(c.n, 0)) FILTER (WHERE t.kind = {_literal(s.kind)}) AS {s.name}"
            for s in tops
        )
        ctes += [
            f"top_keys AS (SELECT account_id, kind, key, n FROM keys WHERE kind IN ({kinds}) "
            "QUALIFY n = max(n) OVER (PARTITION BY account_id, kind))",
            # Among an account's most used keys of each kind (ties), the largest count
            # of the same key in the paired kind.
            f"top_in AS (SELECT t.account_id, {aggs} FROM top_keys t LEFT JOIN keys c "
            "ON c.account_id = t.account_id AND c.key = t.key "
            f"AND c.kind = CASE t.kind {within} END GROUP BY t.account_id)",
        ]
        joins.append("LEFT JOIN top_in USING (account_id)")
    distinct = {s.name for s in spec.key_stats if isinstance(s, DistinctCount)}
    cols = [f"coalesce({c}, 0) AS {c}" if c in distinct else c for c in spec.output_columns]
    return (
        f"WITH {', '.join(ctes)} SELECT {', '.join(cols)} FROM merged {' '.join(joins)} "
        "ORDER BY account_id"
    )
