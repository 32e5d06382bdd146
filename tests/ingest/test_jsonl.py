"""Reading canonical JSON Lines logs: good lines, bad lines, bad files."""

from __future__ import annotations

import gc
import gzip
import json
from pathlib import Path

import pytest

from distillguard.errors import InputError
from distillguard.ingest import (
    iter_event_batches,
    read_events,
    read_quarantine,
    write_quarantine,
)
from distillguard.schema import EVENT_COLUMNS, EVENT_SCHEMA
from tests.ingest.helpers import DROP, T0, jsonl_event, params, write_jsonl


def test_valid_lines_are_normalised(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "log.jsonl",
        [
            jsonl_event(0),
            jsonl_event(1, ts="2024-05-01 14:00:01+02:00", ip="2001:db8::1"),
            jsonl_event(2, ts=T0.timestamp() + 2, messages=DROP, prompt="complete me"),
            jsonl_event(3, ts="2024-05-01T12:00:03", params='{"n": 2, "user": "u1"}'),
        ],
    )
    result = read_events([path])
    assert result.quarantined == []
    table = result.table
    assert table.schema == EVENT_SCHEMA
    assert [t.second for t in table["ts"].to_pylist()] == [0, 1, 2, 3]
    assert all(t.hour == 12 for t in table["ts"].to_pylist())
    assert table["prompt"].to_pylist() == [None, None, "complete me", None]
    assert table["params"].to_pylist()[3] == params(n=2, extra='{"user":"u1"}')
    assert table["status"].to_pylist() == [200] * 4


def test_bad_lines_are_quarantined_and_good_lines_kept(tmp_path: Path) -> None:
    lines: list[object] = [
        jsonl_event(1),
        jsonl_event(2, ts="last tuesday"),
        jsonl_event(3, ip="10.0.0.256"),
        jsonl_event(4, params={"temperature": "hot"}),
        jsonl_event(5, messages=[{"role": "narrator", "content": "x"}]),
        jsonl_event(6, status=99),
        "{not json",
        "",
        "[1, 2, 3]",
        jsonl_event(10, params="{broken"),
        jsonl_event(11, event_id=DROP),
        jsonl_event(12, messages=[{"role": "user", "content": 7}]),
        jsonl_event(13, ts=True),
        jsonl_event(14, completion_tokens=1.5),
        jsonl_event(15, account_created_at="never"),
        jsonl_event(1),
        jsonl_event(17, params={"n": 0, "logprobs": "yes"}),
        jsonl_event(18, model=["m"]),
        jsonl_event(19),
    ]
    path = write_jsonl(tmp_path / "mixed.jsonl", lines)
    result = read_events([path])
    assert [(q.row, q.field) for q in result.quarantined] == [
        (2, "ts"),
        (3, "ip"),
        (4, "params.temperature"),
        (5, "messages"),
        (6, "status"),
        (7, "line"),
        (9, "line"),
        (10, "params"),
        (11, "event_id"),
        (12, "messages"),
        (13, "ts"),
        (14, "completion_tokens"),
        (15, "account_created_at"),
        (16, "event_id"),
        (17, "params.n"),
        (18, "model"),
    ]
    assert result.table["event_id"].to_pylist() == ["e1", "e19"]
    by_row = {q.row: q for q in result.quarantined}
    assert by_row[7].raw == "{not json"
    assert json.loads(by_row[2].raw)["ts"] == "last tuesday"
    assert by_row[16].reason == "duplicate event_id, first seen at row 1"
    assert by_row[11].reason == "missing"
    assert result.counts[str(path)].good == 2
    assert result.counts[str(path)].quarantined == 16


def test_content_parts_and_json_text_messages(tmp_path: Path) -> None:
    parts = [
        {"type": "text", "text": "describe"},
        {"type": "image_url", "image_url": {"url": "data:"}},
        {"type": "text", "text": "this"},
    ]
    path = write_jsonl(
        tmp_path / "parts.jsonl",
        [
            jsonl_event(1, messages=[{"role": "user", "content": parts}]),
            jsonl_event(2, messages=json.dumps([{"role": "developer", "content": "rules"}])),
            jsonl_event(3, messages=[{"role": "assistant", "content": None, "tool_calls": []}]),
        ],
    )
    result = read_events([path])
    assert result.quarantined == []
    assert result.table["messages"].to_pylist() == [
        [{"role": "user", "content": "describe\nthis"}],
        [{"role": "developer", "content": "rules"}],
        [{"role": "assistant", "content": None}],
    ]


def test_extra_keys_become_extra_columns(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "extra.jsonl",
        [
            jsonl_event(1, region="eu"),
            jsonl_event(2, region="us", latency_ms=12),
            jsonl_event(3, latency_ms={"p50": 3}),  # clashes with 12: kept as JSON text
        ],
    )
    result = read_events([path])
    table = result.table
    assert table.column_names == [*EVENT_COLUMNS, "region", "latency_ms"]
    assert table["region"].to_pylist() == ["eu", "us", None]
    assert table["latency_ms"].to_pylist() == [None, "12", '{"p50":3}']


def test_extra_columns_unified_across_files(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [jsonl_event(1, n_tools=1)])
    b = write_jsonl(tmp_path / "b.jsonl", [jsonl_event(2, n_tools=2.5, tag="x")])
    c = write_jsonl(tmp_path / "c.jsonl", [jsonl_event(3, tag={"k": 1})])
    table = read_events([a, b, c]).table
    assert table["n_tools"].to_pylist() == [1.0, 2.5, None]
    assert table["tag"].to_pylist() == [None, "x", '{"k":1}']


def test_non_utf8_line_is_quarantined_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    good = json.dumps(jsonl_event(1)).encode()
    bad = json.dumps(jsonl_event(2, model="café"), ensure_ascii=False).encode("latin-1")
    path.write_bytes(good + b"\n" + bad + b"\n" + json.dumps(jsonl_event(3)).encode() + b"\n")
    result = read_events([path])
    assert result.table["event_id"].to_pylist() == ["e1", "e3"]
    (record,) = result.quarantined
    offset = bad.index(b"\xe9") + 1
    assert (record.file, record.row, record.field) == (str(path), 2, "line")
    assert record.reason == f"not UTF-8 text (byte {offset} of the line is 0xE9)"
    assert record.raw == bad.decode("utf-8", errors="backslashreplace")
    assert "caf\\xe9" in record.raw
    assert result.counts[str(path)].quarantined == 1


def test_non_utf8_line_reaches_the_quarantine_file_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "torn.jsonl.gz"
    with gzip.open(path, "wb") as out:
        out.write(b'{"event_id": "e\xff\xfe"}\n' + json.dumps(jsonl_event(2)).encode() + b"\n")
    result = read_events([path])
    assert result.table["event_id"].to_pylist() == ["e2"]
    target = tmp_path / "quarantine.jsonl"
    write_quarantine(result.quarantined, target)
    text = target.read_bytes().decode("utf-8")  # strict: would raise on a raw bad byte
    (record,) = read_quarantine(target)
    assert (record.row, record.field, record.raw) == (1, "line", '{"event_id": "e\\xff\\xfe"}')
    assert "byte 16 of the line is 0xFF" in text


def test_file_of_only_non_utf8_lines_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "utf16.jsonl"
    path.write_bytes(json.dumps(jsonl_event(1)).encode("utf-16"))
    with pytest.raises(InputError, match="no line is valid JSON") as info:
        read_events([path])
    assert (info.value.path, info.value.line) == (str(path), 1)
    assert "UTF-8" in str(info.value)
    assert isinstance(info.value.__cause__, UnicodeDecodeError)


def test_non_utf8_first_line_after_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf\x80junk\n" + json.dumps(jsonl_event(2)).encode() + b"\n")
    result = read_events([path])
    assert result.table.num_rows == 1
    assert [(q.row, q.field, q.raw) for q in result.quarantined] == [(1, "line", "\\x80junk")]
    assert result.quarantined[0].reason == "not UTF-8 text (byte 1 of the line is 0x80)"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("event_id", "e\x001", "control character U+0000 in id"),
        ("account_id", "acct\n2", "control character U+000A in id"),
        ("org_id", "org\x7f", "control character U+007F in id"),
        ("api_key_id", "key\x85", "control character U+0085 in id"),
        ("payment_fingerprint", "pf\x9b1", "control character U+009B in id"),
        ("conversation_id", "c\u20281", "line separator U+2028 in id"),
        ("conversation_id", "c\u2029", "paragraph separator U+2029 in id"),
        ("ip", "fe80::1%eth\x000", "control character U+0000 in address"),
    ],
)
def test_ids_with_control_characters_are_quarantined(
    tmp_path: Path, field: str, value: str, reason: str
) -> None:
    path = write_jsonl(tmp_path / "ids.jsonl", [jsonl_event(1), jsonl_event(2, **{field: value})])
    result = read_events([path])
    assert result.table["event_id"].to_pylist() == ["e1"]
    assert [(q.row, q.field, q.reason) for q in result.quarantined] == [(2, field, reason)]
    assert json.loads(result.quarantined[0].raw)[field] == value


def test_control_characters_in_free_text_and_other_fields_are_kept(tmp_path: Path) -> None:
    text = "tab\there\x00nul\x1bESC\u2028sep\x85"
    path = write_jsonl(
        tmp_path / "text.jsonl",
        [
            jsonl_event(
                1,
                messages=[{"role": "user", "content": text}],
                response=text,
                user_agent="curl\x01",
                note=text,
            ),
            jsonl_event(2, messages=DROP, prompt=text),
            jsonl_event(3, org_id="org-ünï-€", account_id="acct\u00a0x"),
        ],
    )
    result = read_events([path])
    assert result.quarantined == []
    assert result.table["messages"].to_pylist()[0] == [{"role": "user", "content": text}]
    assert result.table["prompt"].to_pylist()[1] == text
    assert result.table["user_agent"].to_pylist()[0] == "curl\x01"
    assert result.table["org_id"].to_pylist()[2] == "org-ünï-€"


def test_lone_surrogate_escapes_never_escape_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "surrogates.jsonl"
    lines = [
        json.dumps(jsonl_event(1, event_id="e\ud800")),
        json.dumps(jsonl_event(2, messages=[{"role": "user", "content": "a\udc00b"}])),
        json.dumps(jsonl_event(3, tag="x\ud83d\ude00", **{"k\udfff": 1})),
        json.dumps(jsonl_event(4, ip="fe80::1%\ud800")),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    result = read_events([path])
    assert [(q.row, q.field, q.reason) for q in result.quarantined] == [
        (1, "event_id", "lone surrogate U+D800 in id"),
        (4, "ip", "lone surrogate U+D800 in address"),
    ]
    table = result.table
    assert table["messages"].to_pylist()[0] == [{"role": "user", "content": "a\ufffdb"}]
    assert table["tag"].to_pylist() == [None, "x\U0001f600"]
    assert table["k\ufffd"].to_pylist() == [None, 1]


def test_lone_surrogates_inside_json_text_values_become_replacement_characters(
    tmp_path: Path,
) -> None:
    messages = json.dumps([{"role": "user", "content": "hi \ud800"}])
    params_text = json.dumps({"reasoning_effort": "\udc00", "user": "u\ud800"})
    path = write_jsonl(
        tmp_path / "text.jsonl",
        [
            jsonl_event(1, messages=messages, params=params_text),
            jsonl_event(2, params={"extra": json.dumps({"tag": "\udbff"})}),
        ],
    )
    result = read_events([path])
    assert result.quarantined == []
    assert result.table["messages"].to_pylist()[0] == [{"role": "user", "content": "hi \ufffd"}]
    assert result.table["params"].to_pylist() == [
        params(reasoning_effort="\ufffd", extra='{"user":"u\ufffd"}'),
        params(extra='{"tag":"\ufffd"}'),
    ]


def test_surrogate_repair_keeps_duplicate_detection_exact(tmp_path: Path) -> None:
    lines = [
        jsonl_event(1),
        jsonl_event(2),
        jsonl_event(3, messages=[{"role": "user", "content": "\ud800"}]),
        jsonl_event(1),  # a real repeat of line 1, in the chunk that is validated twice
        jsonl_event(5, account_id="a\udc00"),
        jsonl_event(5),
    ]
    path = write_jsonl(tmp_path / "dups.jsonl", lines)
    chunks = list(iter_event_batches(path, chunk_rows=2))
    rows = [q for _, bad in chunks for q in bad]
    assert [(q.row, q.field, q.reason) for q in rows] == [
        (4, "event_id", "duplicate event_id, first seen at row 1"),
        (5, "account_id", "lone surrogate U+DC00 in id"),
    ]
    assert [e for t, _ in chunks for e in t["event_id"].to_pylist()] == ["e1", "e2", "e3", "e5"]


def test_garbage_first_line_is_quarantined_not_fatal(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", ["this is a log header", jsonl_event(1)])
    result = read_events([path])
    assert result.table.num_rows == 1
    assert [(q.row, q.field) for q in result.quarantined] == [(1, "line")]


def test_file_with_no_json_at_all_is_a_file_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "notes.jsonl", ["hello", "", "world {"])
    with pytest.raises(InputError, match="no line is valid JSON") as info:
        read_events([path])
    assert info.value.line == 1


def test_all_garbage_file_larger_than_a_chunk_is_still_a_file_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "junk.jsonl", [f"junk {i}" for i in range(30)])
    with pytest.raises(InputError):
        list(iter_event_batches(path, chunk_rows=4))


def test_empty_and_blank_files_are_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n  \n\n", encoding="utf-8")
    result = read_events([empty, blank])
    assert result.table.num_rows == 0
    assert result.quarantined == []


def test_bom_crlf_and_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "win.jsonl"
    body = "\r\n".join([json.dumps(jsonl_event(1)), "", json.dumps(jsonl_event(3, status=1)), ""])
    path.write_bytes("\ufeff".encode() + body.encode())
    result = read_events([path])
    assert result.table["event_id"].to_pylist() == ["e1"]
    assert [(q.row, q.field) for q in result.quarantined] == [(3, "status")]
    assert not result.quarantined[0].raw.endswith("\r")


def test_gzipped_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for i in range(3):
            out.write(json.dumps(jsonl_event(i)) + "\n")
    assert read_events([path]).table.num_rows == 3


def test_truncated_gzip_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for i in range(500):
            out.write(json.dumps(jsonl_event(i)) + "\n")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])
    with pytest.raises(InputError, match="corrupt or truncated"):
        read_events([path])


def test_chunks_stream_with_line_numbers(tmp_path: Path) -> None:
    objects: list[object] = [jsonl_event(i) for i in range(23)]
    objects[20] = "oops"
    path = write_jsonl(tmp_path / "big.jsonl", objects)
    chunks = list(iter_event_batches(path, chunk_rows=5))
    assert len(chunks) == 5
    assert [t.num_rows for t, _ in chunks] == [5, 5, 5, 5, 2]
    assert [q.row for _, bad in chunks for q in bad] == [21]


def test_long_raw_lines_are_truncated(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "long.jsonl", [jsonl_event(1, status=0, response="x" * 5000)])
    (record,) = read_events([path]).quarantined
    assert len(record.raw) == 2000


def test_forcing_jsonl_on_an_openai_file_quarantines_every_line(tmp_path: Path) -> None:
    line = {"request": {"model": "m", "prompt": "p"}, "metadata": {"account_id": "a"}}
    path = write_jsonl(tmp_path / "o.jsonl", [line])
    result = read_events([path], fmt="jsonl")
    assert [q.field for q in result.quarantined] == ["event_id"]
    assert result.table.num_rows == 0


def test_garbage_collector_is_left_as_found(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "log.jsonl", [jsonl_event(i) for i in range(12)])
    assert gc.isenabled()
    chunks = iter_event_batches(path, chunk_rows=5)
    next(chunks)
    assert gc.isenabled()  # on while the caller holds a chunk
    chunks.close()
    assert gc.isenabled()
    read_events([path])
    assert gc.isenabled()
    write_jsonl(tmp_path / "bad.jsonl", ["nope"])
    with pytest.raises(InputError):
        read_events([tmp_path / "bad.jsonl"])
    assert gc.isenabled()
