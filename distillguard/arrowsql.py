"""SQL over Arrow tables, in a private in-memory DuckDB per query (never a store's).

Analysis above the store (which accounts share a key, a campaign's traffic, a case
file's repeatable picks) is written as SQL over the Arrow tables it read through
the store protocol (:mod:`distillguard.store`).  Each call opens its own in-memory
database with the store's settings (UTC, two threads, the same memory limit, so
time buckets and ``hash()`` orders are those of a query on the store), registers
the tables under the names given, runs one query and closes: nothing is shared
between calls or threads, and no store's connection is involved.

>>> import pyarrow as pa
>>> query("SELECT max(x) AS m FROM t", what="a maximum", t=pa.table({"x": [1, 2]})).to_pylist()
[{'m': 2}]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import duckdb
import pyarrow as pa

from distillguard.errors import DistillguardError

#: Settings of every query's database (those of :class:`~distillguard.store.duckdb.Store`).
THREADS: Final = 2
MEMORY_LIMIT: Final = "2GB"


def query(sql: str, params: Sequence[Any] = (), *, what: str, **tables: pa.Table) -> pa.Table:
    """The result of ``sql`` over ``tables`` (each registered under its keyword)."""
    db = duckdb.connect(":memory:")
    try:
        db.execute(f"SET memory_limit = '{MEMORY_LIMIT}'").fetchall()
        db.execute(f"SET threads = {THREADS}").fetchall()
        db.execute("SET TimeZone = 'UTC'").fetchall()
        db.execute("SET enable_progress_bar = false").fetchall()
        for name, table in tables.items():
            db.register(name, table)
        return db.sql(sql, params=list(params) or None).to_arrow_table()
    except duckdb.Error as exc:
        raise DistillguardError(f"cannot compute {what}: {exc}") from exc
    finally:
        db.close()


__all__ = ["query"]
