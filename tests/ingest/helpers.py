"""Builders for small, valid event logs used across the ingest tests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from distillguard.schema import EVENT_SCHEMA, PARAM_FIELDS

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def params(**given: Any) -> dict[str, Any]:
    """A full ``PARAMS_TYPE`` dict with the given fields set."""
    out: dict[str, Any] = dict.fromkeys(PARAM_FIELDS)
    out.update(given)
    return out


def event(i: int, **overrides: Any) -> dict[str, Any]:
    """One valid event row (all schema columns), ``event_id`` ``e{i}``."""
    row: dict[str, Any] = dict.fromkeys(EVENT_SCHEMA.names)
    row.update(
        event_id=f"e{i}",
        ts=T0 + timedelta(seconds=i, microseconds=i),
        account_id=f"acct-{i % 3}",
        org_id="org-1",
        api_key_id=f"key-{i % 3}",
        ip=f"10.0.0.{i % 250}",
        user_agent="openai-python/1.40",
        payment_fingerprint="pf-1",
        account_created_at=T0 - timedelta(days=30),
        account_tier="free",
        model="gpt-test",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": f"question {i} ünïcødé"},
        ],
        params=params(temperature=0.7, max_tokens=256, extra='{"seed":1}'),
        conversation_id=f"c{i // 2}",
        prompt_tokens=10 + i,
        completion_tokens=20 + i,
        reasoning_tokens=None,
        response=f"answer {i}",
        status=200,
    )
    row.update(overrides)
    return row


def events_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows (schema columns only) as a table with exactly ``EVENT_SCHEMA``."""
    return pa.Table.from_pylist(list(rows), schema=EVENT_SCHEMA)


def jsonl_event(i: int, **overrides: Any) -> dict[str, Any]:
    """A valid canonical JSONL object (JSON types only), ``event_id`` ``e{i}``."""
    obj: dict[str, Any] = {
        "event_id": f"e{i}",
        "ts": f"2024-05-01T12:00:{i % 60:02d}Z",
        "account_id": "acct-1",
        "model": "gpt-test",
        "messages": [{"role": "user", "content": f"hello {i}"}],
        "params": {"temperature": 0.5},
        "ip": "192.0.2.1",
        "status": 200,
    }
    obj.update(overrides)
    return {k: v for k, v in obj.items() if v is not _DROP}


#: Pass as an override value to leave a key out of :func:`jsonl_event`.
_DROP: Any = object()
DROP = _DROP


def write_jsonl(path: Path, objects: Iterable[Any]) -> Path:
    """Write objects (or raw ``str`` lines as given) one per line."""
    lines = [o if isinstance(o, str) else json.dumps(o) for o in objects]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def rows_of(table: pa.Table, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Table rows as dicts, optionally restricted to some columns."""
    if columns is not None:
        table = table.select(list(columns))
    return list(table.to_pylist())
