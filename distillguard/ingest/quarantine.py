"""Rows that failed validation, and the JSON Lines file they are written to.

A bad row never stops a read: it becomes a :class:`QuarantineRecord` saying where
it was, which field failed first, why, and what the row looked like.

>>> rec = QuarantineRecord("logs.jsonl", 3, "ts", "not a timestamp: 'yesterday'", '{"ts": 1}')
>>> rec.as_dict()["row"]
3
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from distillguard.errors import InputError
from distillguard.fileio import atomic_open

#: Raw row text kept in a record is cut to this many characters, so a
#: quarantine file of a huge bad input stays a manageable size.
RAW_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    """One rejected row.

    ``row`` is 1-based: the row number in a Parquet file, the line number in a
    JSON Lines file.  ``field`` is the first field that failed (``params.n`` for
    a request parameter, ``line`` when the line itself is not a JSON object).
    ``raw`` is the raw line (JSONL) or a JSON dump of the row (Parquet), cut to
    :data:`RAW_LIMIT` characters.
    """

    file: str
    row: int
    field: str
    reason: str
    raw: str

    def as_dict(self) -> dict[str, Any]:
        """The record as a plain dict with exactly the dataclass fields."""
        return asdict(self)


QUARANTINE_FIELDS = tuple(f.name for f in fields(QuarantineRecord))


def truncate_raw(text: str) -> str:
    """Cut raw row text to :data:`RAW_LIMIT` characters.

    >>> len(truncate_raw("x" * 5000))
    2000
    """
    return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT]


def write_quarantine(records: Iterable[QuarantineRecord], path: str | Path) -> int:
    """Write ``records`` as JSON Lines (one object per record), atomically.

    Returns the number of records written.
    """
    count = 0
    with atomic_open(path, "w") as out:
        for rec in records:
            out.write(json.dumps(rec.as_dict(), ensure_ascii=False))
            out.write("\n")
            count += 1
    return count


def read_quarantine(path: str | Path) -> list[QuarantineRecord]:
    """Read a file written by :func:`write_quarantine` (for tests and reports)."""
    out: list[QuarantineRecord] = []
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [line for line in handle if line.strip()]
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read quarantine file: {exc}", path=path) from exc
    for lineno, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
            out.append(QuarantineRecord(**{k: obj[k] for k in QUARANTINE_FIELDS}))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not a quarantine record: {exc}", path=path, line=lineno) from exc
    return out
