"""The OpenAI record form: mapping onto the schema and back."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from distillguard.errors import InputError
from distillguard.ingest import (
    detect_format,
    openai_record_to_event,
    read_events,
    to_openai_records,
    write_events,
)
from distillguard.ingest.validate import RowError
from distillguard.schema import EVENT_COLUMNS
from tests.ingest.helpers import event, events_table, params, rows_of, write_jsonl

FULL_RECORD: dict[str, Any] = {
    "request": {
        "model": "o-mini",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": [{"type": "text", "text": "Prove it."}]},
        ],
        "temperature": 0.2,
        "n": 1,
        "logprobs": True,
        "top_logprobs": 5,
        "reasoning_effort": "high",
        "logit_bias": {"1734": -100},
        "seed": 42,
    },
    "response": {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1714564800,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Done.",
                    "reasoning_content": "First, ...",
                },
            },
            {"index": 1, "message": {"role": "assistant", "content": "ignored"}},
        ],
        "usage": {
            "prompt_tokens": 21,
            "completion_tokens": 230,
            "completion_tokens_details": {"reasoning_tokens": 200},
        },
    },
    "metadata": {
        "account_id": "acct-9",
        "ts": "2024-05-01T12:00:00.250Z",
        "ip": "203.0.113.7",
        "user_agent": "curl/8",
        "api_key_id": "key-1",
        "org_id": "org-1",
        "payment_fingerprint": "pf-9",
        "account_created_at": 1714000000,
        "account_tier": "paid",
        "request_id": "req-1",
        "conversation_id": "conv-1",
        "gateway": "edge-3",
    },
}


def test_full_record_maps_every_column(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "gw.jsonl", [FULL_RECORD])
    assert detect_format(path) == "openai"
    result = read_events([path])
    assert result.quarantined == []
    (row,) = result.table.to_pylist()
    assert row["event_id"] == "req-1"
    assert row["ts"] == datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)
    assert row["account_created_at"] == datetime.fromtimestamp(1714000000, UTC)
    assert row["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Prove it."},
    ]
    assert row["params"] == params(
        temperature=0.2,
        n=1,
        logprobs=True,
        top_logprobs=5,
        reasoning_effort="high",
        logit_bias='{"1734":-100}',
        extra='{"seed":42}',
    )
    assert (row["prompt_tokens"], row["completion_tokens"], row["reasoning_tokens"]) == (
        21,
        230,
        200,
    )
    assert row["response"] == "Done."
    assert row["status"] == 200
    assert row["reasoning_content"] == "First, ..."
    assert row["gateway"] == "edge-3"
    for name in ("ip", "user_agent", "api_key_id", "org_id", "payment_fingerprint"):
        assert row[name] == FULL_RECORD["metadata"][name]
    assert result.counts[str(path)].fmt == "openai"


def test_id_and_time_fallbacks() -> None:
    base = {"request": {"model": "m", "prompt": "p"}, "metadata": {"account_id": "a"}}
    assert openai_record_to_event(base)["event_id"] is None
    with_response = {**base, "response": {"id": "cmpl-1", "created": 5, "choices": []}}
    mapped = openai_record_to_event(with_response)
    assert (mapped["event_id"], mapped["ts"], mapped["status"]) == ("cmpl-1", 5, 200)
    explicit = {**with_response, "metadata": {"event_id": "ev", "ts": 9, "status": 429}}
    mapped = openai_record_to_event(explicit)
    assert (mapped["event_id"], mapped["ts"], mapped["status"]) == ("ev", 9, 429)
    assert openai_record_to_event(base)["status"] is None


def test_legacy_completions_logprobs_and_prompt_list() -> None:
    record = {"request": {"model": "m", "prompt": ["only one"], "logprobs": 3}}
    mapped = openai_record_to_event(record)
    assert mapped["prompt"] == "only one"
    assert mapped["params"] == {"logprobs": True, "top_logprobs": 3}


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"request": "model=m"}, "request"),
        ({"request": {"model": "m", "prompt": "p"}, "response": []}, "response"),
        ({"request": {"model": "m", "prompt": "p"}, "metadata": 5}, "metadata"),
        ({"request": {"model": "m", "prompt": ["a", "b"]}}, "prompt"),
        ({"request": {"model": "m", "prompt": [1, 2]}}, "prompt"),
        ({"request": {"model": "m", "prompt": "p"}, "response": {"choices": {}}}, "response"),
        ({"request": {"model": "m", "prompt": "p"}, "response": {"usage": 3}}, "response"),
        (
            {"request": {"model": "m", "prompt": "p", "logprobs": 2, "top_logprobs": 4}},
            "params.logprobs",
        ),
    ],
)
def test_malformed_records_raise_row_errors(record: dict[str, Any], field: str) -> None:
    with pytest.raises(RowError) as info:
        openai_record_to_event(record)
    assert info.value.field == field


def test_bad_records_are_quarantined_in_a_file(tmp_path: Path) -> None:
    metadata = {"account_id": "a", "event_id": "e1", "ts": "2024-05-01T00:00:00Z"}
    good: dict[str, Any] = {
        "request": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        "metadata": metadata,
    }
    lines: list[object] = [
        good,
        {"request": 1},
        {**good, "metadata": {**metadata, "event_id": "e3", "ip": "nope"}},
        {**good, "response": {"choices": [{"message": {"content": 5}}]}},
        "garbage",
    ]
    path = write_jsonl(tmp_path / "gw.jsonl", lines)
    result = read_events([path])
    assert result.table["event_id"].to_pylist() == ["e1"]
    assert [(q.row, q.field) for q in result.quarantined] == [
        (2, "request"),
        (3, "ip"),
        (4, "response"),
        (5, "line"),
    ]


def test_forced_openai_format_on_a_canonical_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [{"event_id": "e", "model": "m"}])
    result = read_events([path], fmt="openai")
    assert [q.field for q in result.quarantined] == ["request"]


def test_schema_to_openai_to_schema(tmp_path: Path) -> None:
    rows = [
        event(0),
        event(1, messages=None, prompt="Once upon", params=params(logprobs=True, top_logprobs=2)),
        event(2, response=None, prompt_tokens=None, completion_tokens=None, status=None),
        event(3, response=None, status=None, reasoning_tokens=7),
        event(4, params=None, ip="2001:db8::5", status=500),
        event(5, messages=[{"role": "tool", "content": None}], prompt=""),
    ]
    table = events_table(rows)
    records = list(to_openai_records(table))
    assert records[1]["request"]["logprobs"] == 2
    assert "response" not in records[2]
    path = write_jsonl(tmp_path / "back.jsonl", records)
    back = read_events([path])
    assert back.quarantined == []
    assert rows_of(back.table, EVENT_COLUMNS) == rows_of(table)


def test_write_events_openai_format_reads_back(tmp_path: Path) -> None:
    table = events_table(event(i) for i in range(5))
    path = tmp_path / "gw.jsonl"
    write_events(table, path, fmt="openai")
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"request", "response", "metadata"}
    assert rows_of(read_events([path]).table) == rows_of(table)


def test_openai_file_where_nothing_parses_is_a_file_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", ["request: {}"])
    with pytest.raises(InputError):
        read_events([path], fmt="openai")


def _record(event_id: str, **metadata: Any) -> dict[str, Any]:
    return {
        "request": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        "metadata": {"event_id": event_id, "account_id": "a", "ts": 1714564800, **metadata},
    }


@pytest.mark.parametrize("suffix", ["jsonl", "jsonl.gz"])
def test_ids_with_control_characters_are_quarantined_wherever_the_id_comes_from(
    tmp_path: Path, suffix: str
) -> None:
    from_response = _record("ignored")
    del from_response["metadata"]["event_id"]
    from_response["response"] = {"id": "chatcmpl\x00x", "choices": []}
    from_request_id = _record("ignored")
    del from_request_id["metadata"]["event_id"]
    from_request_id["metadata"]["request_id"] = "req\u2028x"
    lines = [
        _record("e1"),
        from_response,
        from_request_id,
        _record("e4", account_id="a\x1b[2J"),
        _record("e5", conversation_id="c\x85"),
        _record("e6", user_agent="ua\x00", gateway="g\x00"),  # not ids: kept
    ]
    path = tmp_path / f"gw.{suffix}"
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    path.write_bytes(gzip.compress(body) if suffix.endswith("gz") else body)
    result = read_events([path])
    assert result.counts[str(path)].fmt == "openai"
    assert result.table["event_id"].to_pylist() == ["e1", "e6"]
    assert [(q.row, q.field, q.reason) for q in result.quarantined] == [
        (2, "event_id", "control character U+0000 in id"),
        (3, "event_id", "line separator U+2028 in id"),
        (4, "account_id", "control character U+001B in id"),
        (5, "conversation_id", "control character U+0085 in id"),
    ]


def test_format_is_sniffed_past_a_bad_first_line(tmp_path: Path) -> None:
    record = json.dumps(_record("e1")).encode()
    latin1 = json.dumps(_record("e2", note="café"), ensure_ascii=False).encode("latin-1")
    bad_key = b'{"\x80request": {"model": "m"}}'  # not UTF-8, so not evidence either way
    for first in (b"\xff\xfe garbage", b"log header v2", b"[1, 2]", b"", latin1, bad_key):
        path = tmp_path / "gw.jsonl"
        path.write_bytes(first + b"\n" + record + b"\n")
        assert detect_format(path) == "openai", first
        result = read_events([path])
        assert result.table["event_id"].to_pylist() == ["e1"]
        assert [q.field for q in result.quarantined] == ([] if first == b"" else ["line"])
    path.write_bytes(latin1 + b"\n")
    with pytest.raises(InputError, match="UTF-8"):
        read_events([path])
