"""Property tests of the readers: every line is accounted for, whatever the file holds.

A file is a random mix of valid events, junk, non-objects, lines with a
non-UTF-8 byte, ids with a control character or a lone surrogate, free text
with a lone surrogate, and blank lines, behind an optional BOM, with LF or
CRLF endings, plain or gzipped.  Each valid line's ``event_id`` carries its
line number, so every row and every quarantine record can be checked against
the line it came from.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillguard.errors import InputError
from distillguard.ingest import (
    QuarantineRecord,
    concat_events,
    detect_format,
    iter_event_batches,
    read_events,
    read_quarantine,
    write_quarantine,
)
from distillguard.ingest.validate import ID_COLUMNS
from tests.ingest.helpers import event, events_table, rows_of

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Every character an id refuses: C0 (NUL included), DEL, C1, U+2028, U+2029.
CONTROLS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)]
#: Fields checked for control characters, and the noun their reason uses.
CHECKED = {**dict.fromkeys(ID_COLUMNS, "id"), "ip": "address"}
# Whatever the line kind, free text may hold any character (controls included).
free_text = st.text(max_size=12)
no_newlines = st.text(max_size=30).map(lambda s: s.replace("\n", " ").replace("\r", " "))


#: Line kinds, good ones twice so that most files mix rows and records.
KINDS = [
    "good",
    "good",
    "surrogate_text",
    "junk",
    "non_object",
    "not_utf8",
    "control_id",
    "surrogate_id",
    "blank",
]


@dataclass(frozen=True)
class Line:
    """One line as bytes (no line ending) and what the reader must make of it.

    ``field`` None means a good row (or nothing, for a blank line); otherwise
    the quarantine record's field.  ``reason`` is a text the record's reason
    must contain.
    """

    kind: str
    data: bytes
    field: str | None = None
    reason: str = ""

    @property
    def blank(self) -> bool:
        return self.kind == "blank"

    @property
    def parses(self) -> bool:
        """Whether the line is JSON at all: a file with no such line is a file error."""
        return self.kind not in ("blank", "junk", "not_utf8")


def _event_object(draw: st.DrawFn, lineno: int) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "event_id": f"L{lineno}",
        "ts": "2024-05-01T12:00:00Z",
        "account_id": f"acct-{draw(st.integers(0, 3))}",
        "model": "m",
    }
    if draw(st.booleans()):
        obj["messages"] = [{"role": "user", "content": draw(free_text)}]
        obj["prompt"] = draw(st.none() | free_text)
    else:
        obj["prompt"] = "p" + draw(free_text)
    for name in ("org_id", "api_key_id", "payment_fingerprint", "conversation_id"):
        if draw(st.booleans()):
            obj[name] = f"{name}-{draw(st.integers(0, 9))}"
    obj["user_agent"] = draw(st.none() | free_text)  # not an id: any text is kept
    obj["response"] = draw(st.none() | free_text)
    return obj


def _openai_object(draw: st.DrawFn, lineno: int) -> dict[str, Any]:
    flat = _event_object(draw, lineno)
    request: dict[str, Any] = {"model": flat.pop("model")}
    if "messages" in flat:
        request["messages"] = flat.pop("messages")
        flat.pop("prompt")
    else:
        request["prompt"] = flat.pop("prompt")
    response = flat.pop("response")
    event_id = flat.pop("event_id")
    # The id may come from any of the three places the form allows.
    source = draw(st.sampled_from(["event_id", "request_id", "response.id"]))
    body: dict[str, Any] = {"request": request, "metadata": flat}
    if source == "response.id":
        body["response"] = {"id": event_id, "choices": [{"message": {"content": response}}]}
    else:
        flat[source] = event_id
    return body


def _set_id(obj: dict[str, Any], openai: bool, field: str, value: str) -> None:
    if not openai:
        obj[field] = value
        return
    metadata = obj["metadata"]
    if field != "event_id":
        metadata[field] = value
    elif "response" in obj:
        obj["response"]["id"] = value
    else:
        key = "event_id" if "event_id" in metadata else "request_id"
        metadata[key] = value


@st.composite
def lines_of(draw: st.DrawFn, lineno: int, openai: bool) -> Line:
    make = _openai_object if openai else _event_object
    kind = draw(st.sampled_from(KINDS))
    if kind == "blank":
        return Line(kind, draw(st.sampled_from([b"", b" ", b"\t", b"  \t "])))
    if kind == "junk":
        text = "<" + draw(no_newlines)  # "<" starts no JSON value
        return Line(kind, text.encode(), "line", "not valid JSON")
    if kind == "non_object":
        value = draw(st.none() | st.integers() | free_text | st.lists(st.integers(), max_size=3))
        return Line(kind, json.dumps(value).encode(), "line", "not a JSON object")
    obj = make(draw, lineno)
    if kind == "good":
        # ensure_ascii either way: raw UTF-8 and \u escapes must read the same.
        return Line(kind, json.dumps(obj, ensure_ascii=draw(st.booleans())).encode())
    if kind == "surrogate_text":
        # Free text may spell a lone surrogate: the row is kept (as U+FFFD).
        lone = draw(st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"]))
        target = obj["request"] if openai else obj
        if "messages" in target:
            target["messages"][0]["content"] += lone
        else:
            target["prompt"] += lone
        return Line("good", json.dumps(obj).encode())
    if kind == "not_utf8":
        data = json.dumps(obj).encode()  # ASCII, so any byte >= 0x80 alone is invalid
        at = draw(st.integers(0, len(data)))
        bad = draw(st.integers(0x80, 0xFF))
        data = data[:at] + bytes([bad]) + data[at:]
        return Line(kind, data, "line", f"byte {at + 1} of the line is 0x{bad:02X}")
    field = draw(st.sampled_from(sorted(CHECKED)))
    prefix = "fe80::1%eth" if field == "ip" else f"L{lineno}-"
    if kind == "control_id":
        char = draw(st.sampled_from(CONTROLS))
        _set_id(obj, openai, field, prefix + char + draw(st.sampled_from(["", "x"])))
        reason = f"U+{ord(char):04X} in {CHECKED[field]}"
    else:
        _set_id(obj, openai, field, prefix + "\ud800")
        reason = f"lone surrogate U+D800 in {CHECKED[field]}"
    return Line(kind, json.dumps(obj, ensure_ascii=True).encode(), field, reason)


@dataclass(frozen=True)
class LogFile:
    lines: list[Line]
    data: bytes


@st.composite
def log_files(draw: st.DrawFn, openai: bool = False) -> LogFile:
    count = draw(st.integers(0, 12))
    lines = [draw(lines_of(i, openai)) for i in range(1, count + 1)]
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    data = b"".join(line.data + ending for line in lines)
    if draw(st.booleans()) and lines:
        data = data[: -len(ending)]  # no newline after the last line
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return LogFile(lines, data)


def _read(path: Path, chunk_rows: int) -> tuple[pa.Table, list[QuarantineRecord]]:
    """Read as the streaming callers do; InputError is the only exception allowed out."""
    chunks = list(iter_event_batches(path, chunk_rows=chunk_rows))
    records = [record for _, bad in chunks for record in bad]
    return concat_events([table for table, _ in chunks]), records


def _check_accounting(log: LogFile, path: Path, chunk_rows: int) -> None:
    non_blank = [(i, line) for i, line in enumerate(log.lines, 1) if not line.blank]
    if non_blank and not any(line.parses for _, line in non_blank):
        with pytest.raises(InputError, match="no line is valid JSON") as info:
            _read(path, chunk_rows)
        assert (info.value.path, info.value.line) == (str(path), non_blank[0][0])
        return
    table, records = _read(path, chunk_rows)
    good = [f"L{i}" for i, line in non_blank if line.field is None]
    bad = [(i, line.field) for i, line in non_blank if line.field is not None]
    assert table["event_id"].to_pylist() == good
    assert [(r.row, r.field) for r in records] == bad
    by_row = dict(non_blank)
    for record in records:
        assert record.file == str(path)
        assert by_row[record.row].reason in record.reason
        if by_row[record.row].kind == "not_utf8":
            data = by_row[record.row].data
            assert record.raw == data.decode("utf-8", errors="backslashreplace")


@SETTINGS
@given(log_files(), st.integers(1, 5))
def test_every_jsonl_line_is_a_row_or_a_quarantine_record(
    tmp_path_factory: pytest.TempPathFactory, log: LogFile, chunk_rows: int
) -> None:
    path = tmp_path_factory.mktemp("jsonl") / "log.jsonl"
    path.write_bytes(log.data)
    _check_accounting(log, path, chunk_rows)


@SETTINGS
@given(log_files(openai=True), st.integers(1, 5))
def test_every_openai_line_is_a_row_or_a_quarantine_record(
    tmp_path_factory: pytest.TempPathFactory, log: LogFile, chunk_rows: int
) -> None:
    path = tmp_path_factory.mktemp("openai") / "log.jsonl"
    path.write_bytes(log.data)
    _check_accounting(log, path, chunk_rows)
    # The sniffer looks past junk, non-UTF-8 and blank lines to the first object.
    if any(line.kind in ("good", "control_id", "surrogate_id") for line in log.lines):
        assert detect_format(path) == "openai"


def _outcome(path: Path) -> tuple[list[dict[str, Any]], list[tuple[int, str, str, str]]] | str:
    try:
        result = read_events([path])
    except InputError as exc:
        return f"{exc.line}: {exc.message}"
    records = [(q.row, q.field, q.reason, q.raw) for q in result.quarantined]
    return rows_of(result.table), records


@SETTINGS
@given(st.booleans().flatmap(lambda openai: log_files(openai=openai)))
def test_gzipped_or_not_reads_the_same(
    tmp_path_factory: pytest.TempPathFactory, log: LogFile
) -> None:
    folder = tmp_path_factory.mktemp("gz")
    plain = folder / "log.jsonl"
    plain.write_bytes(log.data)
    packed = folder / "log.jsonl.gz"
    packed.write_bytes(gzip.compress(log.data))
    assert _outcome(plain) == _outcome(packed)


@SETTINGS
@given(log_files())
def test_quarantine_file_holds_every_record_as_utf8(
    tmp_path_factory: pytest.TempPathFactory, log: LogFile
) -> None:
    folder = tmp_path_factory.mktemp("q")
    path = folder / "log.jsonl"
    path.write_bytes(log.data)
    try:
        records = read_events([path]).quarantined
    except InputError:
        return
    target = folder / "quarantine.jsonl"
    write_quarantine(records, target)
    target.read_bytes().decode("utf-8")  # strict: no raw bad byte, no lone surrogate
    assert read_quarantine(target) == records


@SETTINGS
@given(
    st.lists(
        st.none() | st.tuples(st.sampled_from(sorted(CHECKED)), st.sampled_from(CONTROLS)),
        min_size=1,
        max_size=8,
    )
)
def test_parquet_ids_with_control_characters_are_quarantined(
    tmp_path_factory: pytest.TempPathFactory, spoilers: list[tuple[str, str] | None]
) -> None:
    rows = [event(i) for i in range(len(spoilers))]
    for row, spoiler in zip(rows, spoilers, strict=True):
        if spoiler is not None:
            field, char = spoiler
            row[field] = f"{row[field] or 'x'}{char}"
    path = tmp_path_factory.mktemp("pq") / "log.parquet"
    pq.write_table(events_table(rows), path)
    result = read_events([path])
    expected = [(i + 1, s[0]) for i, s in enumerate(spoilers) if s is not None]
    assert [(q.row, q.field) for q in result.quarantined] == expected
    for record in result.quarantined:
        field, char = spoilers[record.row - 1] or ("", "")
        assert record.reason.endswith(f"U+{ord(char):04X} in {CHECKED[field]}")
    kept = [row for row, s in zip(rows, spoilers, strict=True) if s is None]
    assert rows_of(result.table) == rows_of(events_table(kept))
