"""Reading interaction logs: Parquet, JSON Lines and the OpenAI record form.

Every reader streams in chunks (Parquet batches, blocks of JSON lines) so that a
log far larger than memory can be scanned with :func:`iter_event_batches`;
:func:`read_events` collects the chunks of several files into one table.

Bad rows are quarantined, never raised: in JSON Lines that includes a line
that is not UTF-8 or not JSON.  Problems with a whole file (missing,
truncated, no readable line, required columns absent) raise
:class:`~distillguard.errors.InputError`.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import gzip
import json
import zlib
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, cast

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from distillguard.errors import InputError
from distillguard.ingest.openai_form import is_openai_record, openai_record_to_event
from distillguard.ingest.quarantine import QuarantineRecord, truncate_raw
from distillguard.ingest.validate import (
    DuplicateTracker,
    Issues,
    RowError,
    columns_from_objects,
    dumps,
    replace_lone_surrogates,
    validate_chunk,
)
from distillguard.ingest.writers import label_schema_for
from distillguard.schema import (
    CONTENT_COLUMNS,
    EVENT_COLUMNS,
    LABEL_SCHEMA,
    REQUIRED_COLUMNS,
    empty_events,
)

#: Accepted values of ``fmt``.
FORMATS: Final = ("parquet", "jsonl", "openai")
#: What an error about an unrecognised file says is read.
FORMATS_READ: Final = (
    "Parquet, JSON Lines (one event per line) or OpenAI-style request records "
    "(JSON Lines of {request, response, metadata}), each plain or gzipped"
)
#: Rows (Parquet) or lines (JSONL) per chunk: big enough that per-chunk
#: overhead vanishes, small enough to keep a chunk's Python objects cheap.
DEFAULT_CHUNK_ROWS: Final = 50_000
_PARQUET_SUFFIXES: Final = (".parquet", ".pq", ".parq")
_PARQUET_MAGIC: Final = b"PAR1"
_GZIP_MAGIC: Final = b"\x1f\x8b"
_UTF8_BOM: Final = "\ufeff".encode()
#: Non-blank lines the format sniffer reads before settling for plain JSON Lines.
_SNIFF_LINES: Final = 64

Chunk = tuple[pa.Table, list[QuarantineRecord]]


@dataclass(frozen=True, slots=True)
class FileCounts:
    """Rows kept and rows quarantined for one input file, and the format it was read as."""

    good: int = 0
    quarantined: int = 0
    fmt: str = ""


@dataclass(slots=True)
class ReadResult:
    """What :func:`read_events` returns.

    ``table`` has the :data:`~distillguard.schema.EVENT_SCHEMA` columns first,
    in order, then any extra input columns; ``counts`` is keyed by the path as
    given (``str(path)``).
    """

    table: pa.Table
    quarantined: list[QuarantineRecord] = field(default_factory=list)
    counts: dict[str, FileCounts] = field(default_factory=dict)


# --------------------------------------------------------------------------- files


def _check_file(path: str | Path) -> int:
    """Size of ``path`` in bytes, or an InputError saying why it cannot be read."""
    target = Path(path)
    try:
        size = target.stat().st_size
    except FileNotFoundError as exc:
        raise InputError("no such file", path=path) from exc
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from exc
    if target.is_dir():
        raise InputError("is a directory, not a file", path=path)
    return size


def _head(path: str | Path, n: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(n)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from exc


def _open_binary(path: str | Path) -> IO[bytes]:
    if str(path).lower().endswith(".gz") or _head(path, 2) == _GZIP_MAGIC:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """``"parquet"``, ``"jsonl"`` or ``"openai"`` for ``path``.

    A given ``fmt`` wins.  Otherwise a Parquet suffix or the ``PAR1`` magic
    means Parquet, and a JSON Lines file is in OpenAI form when its first
    JSON object line (junk, non-objects and blank lines before it skipped)
    is an object with a ``request`` object.
    """
    # The file is checked first even when the format is given, so that a caller can
    # vet every input before it creates anything (a store, an output folder).
    _check_file(path)
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", path=path)
        return fmt
    if str(path).lower().endswith(_PARQUET_SUFFIXES) or _head(path, 4) == _PARQUET_MAGIC:
        return "parquet"
    return "openai" if is_openai_record(_first_object(path)) else "jsonl"


def _first_object(path: str | Path) -> dict[str, Any] | None:
    """The first line that parses as a JSON object, within :data:`_SNIFF_LINES` non-blank lines.

    Sniffing only: lines the read will quarantine (not UTF-8, not JSON, not an
    object) are passed over, since a bad byte could sit anywhere, even in the
    ``request`` key; gzip problems are left for the read to report.
    """
    seen = 0
    try:
        with _open_binary(path) as handle:
            for data in handle:
                if not data.strip():
                    continue
                try:
                    obj = json.loads(data.decode("utf-8").removeprefix("\ufeff"))
                except (ValueError, RecursionError):  # UnicodeDecodeError included
                    obj = None
                if type(obj) is dict:
                    return cast(dict[str, Any], obj)
                seen += 1
                if seen >= _SNIFF_LINES:
                    break
    except (OSError, EOFError, zlib.error):
        return None
    return None


# --------------------------------------------------------------------------- Parquet


def _dump_rows(batch: pa.RecordBatch, positions: list[int]) -> list[str]:
    """JSON text of raw rows, for quarantine records; never fails."""
    sub = batch.take(pa.array(positions, pa.int64()))
    try:
        rows = sub.to_pylist()
    except (ValueError, OverflowError, pa.ArrowException):
        # Some value has no Python equivalent (e.g. a year-20000 timestamp):
        # fall back column by column to Arrow's own text.
        rows = [{} for _ in positions]
        for name, column in zip(sub.schema.names, sub.columns, strict=True):
            try:
                values = column.to_pylist()
            except (ValueError, OverflowError, pa.ArrowException):
                values = [str(column[i]) for i in range(len(column))]
            for row, value in zip(rows, values, strict=True):
                row[name] = value
    return [json.dumps(row, ensure_ascii=False, default=_json_default) for row in rows]


def _json_default(value: object) -> str:
    # datetime/date as ISO-8601 (as the JSONL form writes them), anything else as str().
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


def _iter_parquet(
    path: str | Path, label: str, chunk_rows: int, tracker: DuplicateTracker
) -> Iterator[Chunk]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"not a readable Parquet file (truncated or corrupt?): {exc}", path=label
        ) from exc
    with contextlib.closing(parquet):
        yield from _parquet_chunks(parquet, label, chunk_rows, tracker)


def _parquet_chunks(
    parquet: pq.ParquetFile, label: str, chunk_rows: int, tracker: DuplicateTracker
) -> Iterator[Chunk]:
    names = parquet.schema_arrow.names
    if len(set(names)) != len(names):
        raise InputError("duplicate column names", path=label)
    missing = [name for name in EVENT_COLUMNS if name in REQUIRED_COLUMNS and name not in names]
    if missing:
        raise InputError(
            f"missing required column(s): {', '.join(missing)}", path=label, field=missing[0]
        )
    if not any(name in names for name in CONTENT_COLUMNS):
        raise InputError(
            "missing required column: needs messages or prompt", path=label, field="messages"
        )
    batches = parquet.iter_batches(batch_size=chunk_rows)
    offset = 0
    while True:
        try:
            batch = next(batches)
            batch.validate(full=True)  # catches invalid UTF-8 before to_pylist trips on it
        except StopIteration:
            break
        except (pa.ArrowException, OSError) as exc:
            raise InputError(
                f"corrupt Parquet data after row {offset}: {exc}", path=label, line=offset + 1
            ) from exc
        n = batch.num_rows
        columns = dict(zip(batch.schema.names, batch.columns, strict=True))
        table, records = validate_chunk(
            columns,
            n,
            file=label,
            rows=np.arange(offset + 1, offset + n + 1, dtype=np.int64),
            raw_text=functools.partial(_dump_rows, batch),
            tracker=tracker,
        )
        offset += n
        yield table, records


# --------------------------------------------------------------------------- JSON Lines


class _JsonlChunker:
    """Accumulates parsed lines and turns them into validated chunks.

    The lists are filled by the read loop through bound ``append`` methods
    (the loop runs once per line, so attribute lookups matter) and emptied in
    place by :meth:`flush`.
    """

    def __init__(self, label: str, tracker: DuplicateTracker) -> None:
        self.label = label
        self.tracker = tracker
        self.objects: list[dict[str, Any]] = []
        self.texts: list[str] = []
        self.lines: list[int] = []
        self.early: list[QuarantineRecord] = []

    def __len__(self) -> int:
        return len(self.objects) + len(self.early)

    def reject(self, line: int, field: str, reason: str, text: str) -> None:
        raw = truncate_raw(text.rstrip("\r\n"))
        self.early.append(QuarantineRecord(self.label, line, field, reason, raw))

    def flush(self) -> Chunk:
        try:
            try:
                table, records = self._validate()
            except UnicodeEncodeError:
                # A line spelled a lone surrogate ("\ud800"): json.loads took
                # it, Arrow cannot.  Finding it walks every object holding an
                # escape, so only a chunk that has one pays.  Validating again
                # is safe: the tracker ignores an id seen at the same row.
                self._repair_surrogates()
                table, records = self._validate()
            early = list(self.early)
        finally:
            for items in (self.objects, self.texts, self.lines, self.early):
                items.clear()
        if early:
            records = sorted(early + records, key=lambda r: r.row)
        return table, records

    def _validate(self) -> Chunk:
        if not self.objects:
            return empty_events(), []
        texts = self.texts
        issues = Issues()
        columns = columns_from_objects(self.objects, issues, file=self.label)
        return validate_chunk(
            columns,
            len(self.objects),
            file=self.label,
            rows=np.asarray(self.lines, dtype=np.int64),
            raw_text=lambda positions: [texts[i].rstrip("\r\n") for i in positions],
            tracker=self.tracker,
            issues=issues,
            prenormalized=("params",),
        )

    def _repair_surrogates(self) -> None:
        kept: tuple[list[dict[str, Any]], list[str], list[int]] = ([], [], [])
        for obj, text, line in zip(self.objects, self.texts, self.lines, strict=True):
            if "\\u" in text:  # only an escape can spell a surrogate
                try:
                    obj = replace_lone_surrogates(obj)
                except RowError as problem:
                    self.reject(line, problem.field, problem.reason, text)
                    continue
            kept[0].append(obj)
            kept[1].append(text)
            kept[2].append(line)
        # In place: the read loop holds these lists' bound append methods.
        self.objects[:], self.texts[:], self.lines[:] = kept


def _iter_jsonl(
    path: str | Path, label: str, chunk_rows: int, tracker: DuplicateTracker, *, openai: bool
) -> Iterator[Chunk]:
    chunker = _JsonlChunker(label, tracker)
    add_object, add_text, add_line = (
        chunker.objects.append,
        chunker.texts.append,
        chunker.lines.append,
    )
    loads = json.loads
    parsed_any = False
    first_bad: tuple[int, str, Exception] | None = None
    pending = 0
    # Parsed JSON holds no reference cycles, yet a chunk allocates hundreds of
    # thousands of containers, each nudging the cyclic GC into rescanning them
    # all: pausing it while a chunk is built saves about a fifth of the read.
    # It is back on whenever control is outside this generator.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with _open_binary(path) as handle:
            for lineno, data in enumerate(handle, 1):
                if lineno == 1:
                    data = data.removeprefix(_UTF8_BOM)
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    # One bad byte (a Latin-1 name, a torn write) spoils its
                    # line, not the file: the line is quarantined, shown with
                    # the bad bytes as \xNN so the quarantine file stays UTF-8.
                    pending += 1
                    byte = f"byte {exc.start + 1} of the line is 0x{data[exc.start]:02X}"
                    reason = f"not UTF-8 text ({byte})"
                    raw = data.decode("utf-8", errors="backslashreplace")
                    chunker.reject(lineno, "line", reason, raw)
                    first_bad = first_bad or (lineno, reason, exc)
                else:
                    if not text or text.isspace():
                        continue
                    pending += 1
                    try:
                        obj = loads(text)  # trailing newline is whitespace to JSON
                    except (ValueError, RecursionError) as exc:
                        chunker.reject(lineno, "line", f"not valid JSON: {exc}", text)
                        first_bad = first_bad or (lineno, str(exc), exc)
                    else:
                        parsed_any = True
                        if type(obj) is not dict:
                            chunker.reject(lineno, "line", "not a JSON object", text)
                        elif openai:
                            try:
                                add_object(openai_record_to_event(obj))
                            except RowError as problem:
                                chunker.reject(lineno, problem.field, problem.reason, text)
                            else:
                                add_text(text)
                                add_line(lineno)
                        else:
                            add_object(obj)
                            add_text(text)
                            add_line(lineno)
                # Hold everything back until some line is JSON: a file of
                # nothing but unreadable lines is a file error, not a quarantine.
                if pending >= chunk_rows and parsed_any:
                    pending = 0
                    chunk = chunker.flush()
                    if gc_was_enabled:
                        gc.enable()
                    yield chunk
                    gc.disable()
            if len(chunker) and parsed_any:
                last: Chunk | None = chunker.flush()
            else:
                last = None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read file (corrupt or truncated?): {exc}", path=label) from exc
    finally:
        if gc_was_enabled:
            gc.enable()
    if first_bad is not None and not parsed_any:
        line, message, cause = first_bad
        raise InputError(
            f"not a log format distillguard reads (no line is valid JSON: {message}); "
            f"it reads {FORMATS_READ}",
            path=label,
            line=line,
        ) from cause
    if last is not None:
        yield last


# --------------------------------------------------------------------------- public


def iter_event_batches(
    path: str | Path,
    *,
    fmt: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    tracker: DuplicateTracker | None = None,
) -> Generator[Chunk, None, None]:
    """Stream one file as ``(good rows, quarantined rows)`` chunks.

    Chunks are Parquet batches or blocks of ``chunk_rows`` JSON lines; each
    table has the canonical columns first, then the file's extra columns.
    Duplicate ``event_id`` detection spans every chunk that shares
    ``tracker`` (by default, the chunks of this file).
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    label = str(path)
    kind = detect_format(path, fmt)
    if _check_file(path) == 0:
        return  # an empty file is an empty log
    tracker = tracker if tracker is not None else DuplicateTracker()
    tracker.begin(label)
    if kind == "parquet":
        yield from _iter_parquet(path, label, chunk_rows, tracker)
    else:
        yield from _iter_jsonl(path, label, chunk_rows, tracker, openai=kind == "openai")


class _Bar(contextlib.AbstractContextManager["_Bar"]):
    """A rich progress display on stderr, or nothing when disabled."""

    def __init__(self, enabled: bool) -> None:
        self._progress = (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            if enabled
            else None
        )

    def __enter__(self) -> _Bar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def task(self, label: str) -> TaskID | None:
        if self._progress is None:
            return None
        return self._progress.add_task(label, total=None)

    def advance(self, task: TaskID | None, rows: int) -> None:
        if self._progress is not None and task is not None:
            self._progress.advance(task, rows)


def read_events(
    paths: Sequence[str | Path] | str | Path,
    *,
    fmt: str | None = None,
    progress: bool = False,
) -> ReadResult:
    """Read, validate and concatenate event logs.

    ``fmt`` forces one format for every file (``"parquet"``, ``"jsonl"``,
    ``"openai"``); ``None`` detects it per file.  Duplicate ``event_id``s are
    caught across all the files.  ``progress`` shows a progress display on
    stderr.
    """
    if isinstance(paths, str | Path):
        paths = [paths]  # a bare str is a Sequence too: of characters
    tracker = DuplicateTracker()
    tables: list[pa.Table] = []
    quarantined: list[QuarantineRecord] = []
    counts: dict[str, FileCounts] = {}
    with _Bar(progress) as bar:
        for path in paths:
            label = str(path)
            kind = detect_format(path, fmt)
            task = bar.task(label)
            good = bad = 0
            for table, records in iter_event_batches(path, fmt=kind, tracker=tracker):
                tables.append(table)
                quarantined.extend(records)
                good += table.num_rows
                bad += len(records)
                bar.advance(task, table.num_rows + len(records))
            before = counts.get(label, FileCounts())
            counts[label] = FileCounts(before.good + good, before.quarantined + bad, kind)
    return ReadResult(concat_events(tables), quarantined, counts)


def _json_text_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column.cast(pa.string())
    values = column.to_pylist()
    return pa.chunked_array(
        [pa.array([None if v is None else dumps(v) for v in values], pa.string())],
        pa.string(),
    )


def _unified_type(types: list[pa.DataType]) -> pa.DataType | None:
    try:
        schema = pa.unify_schemas(
            [pa.schema([("x", t)]) for t in types], promote_options="permissive"
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    return schema.field("x").type


def concat_events(tables: Sequence[pa.Table]) -> pa.Table:
    """Concatenate event chunks whose extra columns may differ (missing ones become null).

    An extra column whose types cannot be unified (say a number in one file
    and an object in another) becomes JSON text.
    """
    if not tables:
        return empty_events()
    if all(t.schema.equals(tables[0].schema) for t in tables[1:]):
        return pa.concat_tables(tables)
    extras: dict[str, list[pa.DataType]] = {}
    for table in tables:
        for name in table.column_names[len(EVENT_COLUMNS) :]:
            extras.setdefault(name, []).append(table.schema.field(name).type)
    targets = {name: _unified_type(types) for name, types in extras.items()}
    aligned = []
    for table in tables:
        columns = [table[name] for name in EVENT_COLUMNS]
        for name, target in targets.items():
            if name not in table.column_names:
                columns.append(pa.nulls(table.num_rows, target or pa.string()))
                continue
            column = table[name]
            if target is None:
                column = _json_text_column(column)
            elif column.type != target:
                try:
                    column = column.cast(target)
                except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                    targets[name] = None
                    return concat_events([_with_json_text(t, name) for t in tables])
            columns.append(column)
        aligned.append(pa.Table.from_arrays(columns, names=[*EVENT_COLUMNS, *targets]))
    return pa.concat_tables(aligned)


def _with_json_text(table: pa.Table, name: str) -> pa.Table:
    if name not in table.column_names:
        return table
    index = table.column_names.index(name)
    return table.set_column(index, name, _json_text_column(table[name]))


#: Columns every scan's ``accounts.parquet`` has, and what reads it needs.
ACCOUNT_COLUMNS: Final = ("account_id", "risk", "verdict")


def read_accounts(path: str | Path) -> pa.Table:
    """A scan's accounts table (``accounts.parquet``), with its required columns checked.

    Errors name the file: unreadable, or lacking ``account_id``, ``risk`` or ``verdict``.
    """
    p = Path(path)
    try:
        table = pq.read_table(p)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the accounts table: {exc}", path=p) from exc
    missing = [c for c in ACCOUNT_COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(f"accounts table lacks columns {missing}", path=p)
    return table


def read_labels(path: str | Path, schema: pa.Schema | None = None) -> pa.Table:
    """Read a label table (Parquet or JSONL) as ``LABEL_SCHEMA`` or ``EVENT_LABEL_SCHEMA``.

    The schema is picked by the file's columns unless given; labels are our
    own output, so any bad row is a file error rather than a quarantine.
    """
    label = str(path)
    if _check_file(path) == 0:
        return (schema or LABEL_SCHEMA).empty_table()
    try:
        if detect_format(path) == "parquet":
            table = pq.read_table(path)
        else:
            with _open_binary(path) as handle:
                rows = [json.loads(line) for line in handle if line.strip()]
            table = pa.Table.from_pylist(rows)
    except (pa.ArrowException, OSError, EOFError, zlib.error, ValueError) as exc:
        raise InputError(f"not a readable label file: {exc}", path=label) from exc
    try:
        target = schema or label_schema_for(table.column_names)
        return table.select(target.names).cast(target)
    except (ValueError, KeyError, pa.ArrowException) as exc:
        raise InputError(f"not a label table: {exc}", path=label) from exc
