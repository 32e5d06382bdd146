"""Writing event logs and label tables (Parquet or JSON Lines), atomically.

JSON Lines output is exactly what the reader expects back: timestamps as
ISO-8601 with ``Z``, ``messages`` as a list of ``{role, content}`` objects,
``params`` as one object (typed fields plus the ``extra`` keys, no nulls).

>>> from distillguard.schema import empty_events
>>> list(json_rows(empty_events()))
[]
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.fileio import atomic_open
from distillguard.schema import (
    EVENT_COLUMNS,
    EVENT_LABEL_SCHEMA,
    EVENT_SCHEMA,
    LABEL_SCHEMA,
    PARAM_FIELDS,
    REQUIRED_COLUMNS,
    TIMESTAMP_TYPE,
)

WRITE_FORMATS: Final = ("parquet", "jsonl", "openai")
_BATCH_ROWS: Final = 10_000
_ISO_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"  # Arrow's %S carries the microseconds
_JSON_TEXT_PARAMS: Final = ("logit_bias", "tools")
_EVENT_COLUMN_SET: Final = frozenset(EVENT_COLUMNS)


def conform_events(table: pa.Table) -> pa.Table:
    """Schema columns first (in order, typed, missing optional ones null), then the rest.

    Raises ``ValueError`` when a required column is missing or a column cannot
    be cast: that is a bug in the code that built the table, not bad input.

    >>> import pyarrow as pa
    >>> t = conform_events(pa.table({"model": ["m"], "event_id": ["e"], "account_id": ["a"],
    ...                              "ts": pa.array([0], pa.timestamp("s")), "seed": [1]}))
    >>> t.column_names[:2], t.column_names[-1], t.num_columns
    (['event_id', 'ts'], 'seed', 21)
    """
    missing = sorted(REQUIRED_COLUMNS - set(table.column_names))
    if missing:
        raise ValueError(f"event table lacks required column(s): {', '.join(missing)}")
    columns: list[pa.ChunkedArray | pa.Array] = []
    for field in EVENT_SCHEMA:
        if field.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table[field.name]
        if column.type != field.type:
            try:
                column = column.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
                raise ValueError(
                    f"column {field.name} has type {column.type}, expected {field.type}"
                ) from exc
        columns.append(column)
    extras = [name for name in table.column_names if name not in EVENT_COLUMNS]
    columns.extend(table[name] for name in extras)
    return pa.Table.from_arrays(columns, names=[*EVENT_COLUMNS, *extras])


def params_to_object(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A ``PARAMS_TYPE`` value as the request-parameter object a client sent.

    >>> params_to_object({"temperature": 0.5, "n": None, "tools": "[]", "extra": '{"seed":1}'})
    {'temperature': 0.5, 'tools': [], 'seed': 1}
    """
    if params is None:
        return None
    out: dict[str, Any] = {}
    for name in PARAM_FIELDS:
        value = params.get(name)
        if value is None or name == "extra":
            continue
        out[name] = _json_or_text(value) if name in _JSON_TEXT_PARAMS else value
    extra = params.get("extra")
    if extra is not None:
        parsed = _json_or_text(extra)
        if isinstance(parsed, dict):
            for key, value in parsed.items():
                out.setdefault(key, value)  # typed fields win over a stray duplicate
        else:
            out["extra"] = extra
    return out


def _json_or_text(text: str) -> Any:
    # Tables built outside the reader may hold invalid JSON text; writing it
    # as a plain string beats failing the whole write.
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _iso_strings(column: pa.Array) -> pa.Array:
    if column.type.tz is None:
        column = column.cast(pa.timestamp("us"), safe=False).cast(TIMESTAMP_TYPE)
    else:
        column = column.cast(TIMESTAMP_TYPE, safe=False)
    return pc.strftime(column, format=_ISO_FORMAT)


def json_rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    """Rows as dicts of JSON-ready values (timestamp columns as ISO-8601 ``Z`` strings)."""
    for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
        arrays = [
            _iso_strings(col) if pa.types.is_timestamp(col.type) else col for col in batch.columns
        ]
        yield from pa.RecordBatch.from_arrays(arrays, names=batch.schema.names).to_pylist()


def event_to_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """One :func:`json_rows` row as a canonical JSONL object.

    Null canonical fields are left out (the reader fills them back in); extra
    columns are always written so that they survive a round trip even when null.
    """
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name not in _EVENT_COLUMN_SET:
            out[name] = value
        elif value is not None:
            out[name] = params_to_object(value) if name == "params" else value
    return out


def _infer_format(path: str | Path) -> str:
    name = Path(path).name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".json", ".json.gz")):
        return "jsonl"
    return "parquet"


def _write_lines(lines: Iterator[str], path: str | Path) -> None:
    gz = str(path).lower().endswith(".gz")
    with atomic_open(path, "wb") as raw:
        # mtime=0 keeps gzip output byte-identical across runs.
        sink: IO[bytes] = (
            cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)) if gz else raw
        )
        try:
            buffer: list[str] = []
            for line in lines:
                buffer.append(line)
                if len(buffer) >= _BATCH_ROWS:
                    sink.write("".join(buffer).encode("utf-8"))
                    buffer.clear()
            sink.write("".join(buffer).encode("utf-8"))
        finally:
            if gz:
                sink.close()


def _dump_line(obj: Mapping[str, Any]) -> str:
    # default=str: extra columns may hold dates, decimals or bytes.
    return json.dumps(obj, ensure_ascii=False, default=str) + "\n"


def write_events(table: pa.Table, path: str | Path, fmt: str | None = None) -> None:
    """Write an event table as Parquet (zstd), canonical JSONL, or OpenAI-form JSONL.

    ``fmt`` is ``"parquet"``, ``"jsonl"`` or ``"openai"``; ``None`` picks
    ``jsonl`` for ``.jsonl``/``.ndjson``/``.json`` names (optionally ``.gz``,
    which compresses) and Parquet otherwise.  The table is conformed to the
    schema first (see :func:`conform_events`); the file appears atomically.
    """
    fmt = fmt or _infer_format(path)
    if fmt not in WRITE_FORMATS:
        raise ValueError(f"unknown event format {fmt!r}; use one of {', '.join(WRITE_FORMATS)}")
    table = conform_events(table)
    if fmt == "parquet":
        with atomic_open(path, "wb") as out:
            pq.write_table(table, out, compression="zstd")
    elif fmt == "jsonl":
        _write_lines((_dump_line(event_to_json(row)) for row in json_rows(table)), path)
    else:
        # Imported here: openai_form builds on this module's helpers.
        from distillguard.ingest.openai_form import to_openai_records

        _write_lines((_dump_line(rec) for rec in to_openai_records(table)), path)


def label_schema_for(columns: list[str]) -> pa.Schema:
    """``LABEL_SCHEMA`` or ``EVENT_LABEL_SCHEMA``, whichever has exactly these columns."""
    for schema in (LABEL_SCHEMA, EVENT_LABEL_SCHEMA):
        if set(columns) == set(schema.names):
            return schema
    raise ValueError(
        "a label table has exactly the columns of LABEL_SCHEMA or EVENT_LABEL_SCHEMA, "
        f"got {', '.join(columns)}"
    )


def write_labels(table: pa.Table, path: str | Path, fmt: str | None = None) -> None:
    """Write account labels (``LABEL_SCHEMA``) or event labels (``EVENT_LABEL_SCHEMA``).

    The schema is picked by the table's columns; ``fmt`` as for :func:`write_events`
    (``"parquet"`` or ``"jsonl"``).
    """
    fmt = fmt or _infer_format(path)
    if fmt not in ("parquet", "jsonl"):
        raise ValueError(f"unknown label format {fmt!r}; use parquet or jsonl")
    schema = label_schema_for(table.column_names)
    table = table.select(schema.names).cast(schema)
    if fmt == "parquet":
        with atomic_open(path, "wb") as out:
            pq.write_table(table, out, compression="zstd")
    else:
        _write_lines((_dump_line(row) for row in json_rows(table)), path)
