"""Ingesting interaction logs: read, validate, quarantine, write.

Formats: Parquet and JSON Lines in the event schema (``docs/schema.md``), and
JSON Lines in the OpenAI record form (``{"request", "response", "metadata"}``).
Bad rows are quarantined with a reason; unreadable files raise
:class:`~distillguard.errors.InputError`.

>>> import tempfile, pathlib
>>> lines = (
...     '{"event_id": "e1", "ts": "2024-05-01T12:00:00Z", "account_id": "a", "model": "m",'
...     ' "messages": [{"role": "user", "content": "hi"}]}\\n'
...     '{"event_id": "e2", "ts": "2024-05-01T12:00:01Z", "account_id": "a", "model": "m"}\\n'
... )
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = pathlib.Path(tmp) / "log.jsonl"
...     _ = path.write_text(lines, encoding="utf-8")
...     result = read_events([path])
>>> result.table.num_rows, [(q.row, q.field, q.reason) for q in result.quarantined]
(1, [(2, 'messages', 'neither messages nor prompt is present and non-empty')])
"""

from distillguard.ingest.openai_form import openai_record_to_event, to_openai_records
from distillguard.ingest.quarantine import QuarantineRecord, read_quarantine, write_quarantine
from distillguard.ingest.readers import (
    DEFAULT_CHUNK_ROWS,
    FORMATS,
    FileCounts,
    ReadResult,
    concat_events,
    detect_format,
    iter_event_batches,
    read_accounts,
    read_events,
    read_labels,
)
from distillguard.ingest.validate import DuplicateTracker, RowError
from distillguard.ingest.writers import conform_events, write_events, write_labels

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "FORMATS",
    "DuplicateTracker",
    "FileCounts",
    "QuarantineRecord",
    "ReadResult",
    "RowError",
    "concat_events",
    "conform_events",
    "detect_format",
    "iter_event_batches",
    "openai_record_to_event",
    "read_accounts",
    "read_events",
    "read_labels",
    "read_quarantine",
    "to_openai_records",
    "write_events",
    "write_labels",
    "write_quarantine",
]
