"""Expressions mean the same in DuckDB and in Python: NULLs, three-valued logic, functions."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from distillguard.profiles import Count, ProfileSpecError, Sum
from distillguard.profiles.expr import (
    GAP,
    Expr,
    Lit,
    and_,
    col,
    eq,
    flag,
    gt,
    hour,
    is_null,
    ln1p,
    lt,
    ne,
    not_,
    not_null,
    or_,
    square,
)
from distillguard.profiles.fold import _Codegen, compile_expr
from distillguard.profiles.parts import PROFILE
from distillguard.profiles.sql import expr_sql

T0 = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
ROWS: list[dict[str, Any]] = [
    {"a": a, "b": b, "x": x, "s": s, "ts": ts, "gap_s": g}
    for a, b, x, s, ts, g in itertools.product(
        (True, False, None),
        (True, False, None),
        (None, 0, 399, 400),
        (None, "", "q"),
        (T0, T0 + dt.timedelta(hours=1)),
        (None, 0.0, 2.5),
    )
]
SCHEMA = pa.schema(
    [("a", pa.bool_()), ("b", pa.bool_()), ("x", pa.int64()), ("s", pa.string()),
     ("ts", pa.timestamp("us", tz="UTC")), ("gap_s", pa.float64())]
)  # fmt: skip
CONDITIONS: list[Expr] = [
    and_(flag("a"), not_(flag("b"))),
    or_(is_null("x"), lt("x", 400)),
    not_(or_(flag("a"), flag("b"))),
    and_(flag("a"), flag("b"), gt("x", 0)),
    ne("s", ""),
    not_null("s"),
    eq(hour("ts"), 23),
    not_null(GAP),
]
VALUES: list[Expr] = [col("x"), GAP, square(GAP), ln1p(GAP), hour("ts")]


def _sql_values(e: Expr) -> list[Any]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("t", pa.Table.from_pylist(ROWS, schema=SCHEMA))
    return [r[0] for r in con.execute(f"SELECT {expr_sql(e)} FROM t").fetchall()]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-15)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("e", CONDITIONS + VALUES, ids=expr_sql)
def test_python_evaluates_as_duckdb(e: Expr) -> None:
    want = _sql_values(e)
    fn = compile_expr(e)
    got = [fn(r) for r in ROWS]
    bad = [(r, g, w) for r, g, w in zip(ROWS, got, want, strict=True) if not _same(g, w)]
    assert not bad, bad[:3]


@pytest.mark.parametrize("e", CONDITIONS, ids=expr_sql)
def test_generated_counts_and_sums_agree(e: Expr) -> None:
    """The generated function that folds all summed parts at once, as a FILTER counts."""
    want = _sql_values(e)
    sums = _Codegen().sums([Count("c", where=e), Sum("x_sum", col("x")), Count("n")])
    for row, w in zip(ROWS, want, strict=True):
        got = sums(row)
        x: int | None = row["x"]
        assert got == {"c": 1.0 if w is True else 0.0, "x_sum": float(x or 0), "n": 1.0}


def test_constants_of_different_types_differ() -> None:
    assert Lit(1) != Lit(True)
    assert Lit(1) != Lit(1.0)
    assert eq("x", 1) != eq("x", True)
    assert len({Lit(1), Lit(True), Lit(1.0), Lit(1)}) == 3


def test_a_spec_that_contradicts_itself_is_refused() -> None:
    with pytest.raises(ProfileSpecError, match="defined twice"):
        PROFILE.extend(parts=[Count("n")])
    with pytest.raises(ProfileSpecError, match="gap_s"):
        PROFILE.extend(parts=[Count("late_gaps", where=and_(not_null(GAP), flag("a")))])
    with pytest.raises(ProfileSpecError, match="snake_case"):
        PROFILE.extend(parts=[Count("Bad Name")])
