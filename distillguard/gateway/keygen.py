"""Writing the gateway's keys table: a random API key per account (``distillguard keys``).

The table is what :func:`distillguard.gateway.keys.load_keys` reads: columns
``api_key, account_id, org_id, tier, created_at``, as CSV or Parquet.  A key is
``sk-dg-`` and 32 random URL-safe characters (192 bits).  Writing to a table that
exists keeps every key in it: accounts it already holds keep their key, so handing
out keys to new accounts never revokes old ones.  The file is written atomically and
readable by its owner only.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     out = pathlib.Path(d) / "keys.csv"
...     first = make_keys(["alice", "bob"], out)
...     again = make_keys(["bob", "carol"], out)
...     oct(out.stat().st_mode & 0o777), sorted(k.account_id for k in load_keys(out).values())
('0o600', ['alice', 'bob', 'carol'])
>>> (first.added, first.kept), (again.added, again.kept, again.total)
((2, 0), (1, 2, 3))
"""

from __future__ import annotations

import csv
import datetime as dt
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.errors import DistillguardError, InputError
from distillguard.fileio import atomic_open
from distillguard.gateway.keys import KeyInfo, load_keys

#: Columns of the keys table, in the order they are written.
KEY_COLUMNS: Final = ("api_key", "account_id", "org_id", "tier", "created_at")
KEY_PREFIX: Final = "sk-dg-"


@dataclass(frozen=True)
class KeysMade:
    """What :func:`make_keys` did: keys in the table now, new ones, ones kept."""

    total: int
    added: int
    kept: int


def new_key() -> str:
    """A fresh random API key.

    >>> k = new_key()
    >>> k.startswith("sk-dg-"), len(k)
    (True, 38)
    """
    return KEY_PREFIX + secrets.token_urlsafe(24)


def _account_rows(source: Path) -> list[dict[str, Any]]:
    """One row per account in ``source``: account_id and, where the file has them, org, tier
    and sign-up time (the first event's, in time order)."""
    try:
        schema = pq.read_schema(source) if source.suffix.lower() == ".parquet" else None
    except (OSError, pa.ArrowException):
        schema = None  # not Parquet after all: the log reader says what it is
    if schema is not None and "account_id" in schema.names and "event_id" not in schema.names:
        # accounts.parquet from a scan (tier) or labels.parquet from a simulation.
        cols = [c for c in ("account_id", "org_id", "tier") if c in schema.names]
        try:
            rows: list[dict[str, Any]] = pq.read_table(source, columns=cols).to_pylist()
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"cannot read accounts: {exc}", path=source) from exc
        return rows
    from distillguard.ingest import read_events

    table = read_events(source).table.sort_by("ts")
    cols = ["account_id", "org_id", "account_tier", "account_created_at"]
    return [
        {
            "account_id": r["account_id"],
            "org_id": r["org_id"],
            "tier": r["account_tier"],
            "created_at": r["account_created_at"],
        }
        for r in table.select(cols).to_pylist()
    ]


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def make_keys(
    accounts: Sequence[str], out: str | Path, *, source: str | Path | None = None
) -> KeysMade:
    """Give every account in ``accounts`` (and in ``source``) a key in the table ``out``."""
    path = Path(out)
    _check_suffix(path)
    wanted: dict[str, dict[str, Any]] = {}
    for i, account in enumerate(accounts, start=1):
        if not account.strip() or not account.isprintable():
            raise DistillguardError(
                f"account id {i} ({account!r}) is empty or holds control characters",
                field="account_id",
            )
        wanted.setdefault(account, {"account_id": account})
    if source is not None:
        for row in _account_rows(Path(source)):
            wanted.setdefault(str(row["account_id"]), row)
    if not wanted:
        raise DistillguardError("no accounts: name some, or give --from FILE")
    existing = load_keys(path) if path.exists() else {}
    have = {info.account_id for info in existing.values()}
    rows = [_info_row(key, info) for key, info in existing.items()]
    added = 0
    for account, row in wanted.items():
        if account in have:
            continue
        rows.append(
            {
                "api_key": new_key(),
                "account_id": account,
                "org_id": _text(row.get("org_id")),
                "tier": _text(row.get("tier")),
                "created_at": _text(row.get("created_at")),
            }
        )
        added += 1
    write_keys_table(rows, path)
    return KeysMade(total=len(rows), added=added, kept=len(rows) - added)


def _info_row(key: str, info: KeyInfo) -> dict[str, Any]:
    return {
        "api_key": key,
        "account_id": info.account_id,
        "org_id": info.org_id,
        "tier": info.tier,
        "created_at": info.created_at.isoformat() if info.created_at else None,
    }


def _check_suffix(path: Path) -> None:
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise DistillguardError("a keys table is .csv or .parquet", path=path)


def write_keys_table(rows: Iterable[Mapping[str, Any]], out: str | Path) -> int:
    """Write a keys table (Parquet for a ``.parquet`` name, CSV otherwise), owner-only.

    CSV is written with minimal quoting, so ``cut -d, -f1`` gives the keys.
    """
    path = Path(out)
    _check_suffix(path)
    table = [{c: _text(r.get(c)) for c in KEY_COLUMNS} for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        schema = pa.schema([(c, pa.string()) for c in KEY_COLUMNS])
        with atomic_open(path, "wb", permissions=0o600) as fb:
            pq.write_table(pa.Table.from_pylist(table, schema=schema), fb)
        return len(table)
    with atomic_open(path, "w", permissions=0o600) as fh:
        writer = csv.DictWriter(fh, fieldnames=KEY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    return len(table)
