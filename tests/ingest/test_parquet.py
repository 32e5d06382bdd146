"""Reading Parquet logs: good data, bad rows, bad files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.errors import DistillguardError, InputError
from distillguard.ingest import (
    DuplicateTracker,
    iter_event_batches,
    read_events,
    write_events,
)
from distillguard.schema import EVENT_COLUMNS, EVENT_SCHEMA, MESSAGES_TYPE
from tests.ingest.helpers import T0, event, events_table, params, rows_of


def _write(path: Path, table: pa.Table, **kwargs: object) -> Path:
    pq.write_table(table, path, **kwargs)
    return path


def test_valid_file_reads_back_identically(tmp_path: Path) -> None:
    table = events_table(event(i) for i in range(20))
    path = tmp_path / "log.parquet"
    write_events(table, path)
    result = read_events([path])
    assert result.quarantined == []
    assert result.table.schema == EVENT_SCHEMA
    assert rows_of(result.table) == rows_of(table)
    assert result.counts == {str(path): result.counts[str(path)]}
    assert (result.counts[str(path)].good, result.counts[str(path)].quarantined) == (20, 0)


def test_missing_optional_columns_become_null_and_extras_follow(tmp_path: Path) -> None:
    table = pa.table(
        {
            "campaign_hint": ["x", "y"],
            "event_id": ["a", "b"],
            "ts": pa.array([T0, T0], pa.timestamp("ns")),  # naive and ns: UTC, truncated to us
            "account_id": ["acct", "acct"],
            "model": ["m", "m"],
            "prompt": ["p1", "p2"],
        }
    )
    result = read_events([_write(tmp_path / "min.parquet", table)])
    assert result.table.column_names == [*EVENT_COLUMNS, "campaign_hint"]
    assert result.table.schema.field("ts").type == EVENT_SCHEMA.field("ts").type
    assert result.table["ts"].to_pylist() == [T0, T0]
    assert result.table["messages"].null_count == 2
    assert result.table["campaign_hint"].to_pylist() == ["x", "y"]


def test_bad_rows_are_quarantined_with_row_and_first_field(tmp_path: Path) -> None:
    rows = [
        event(0),
        event(1, ts=None),
        event(2, ip="999.1.1.1"),
        event(3, params=params(temperature=-0.5)),
        event(4, messages=[{"role": "wizard", "content": "hi"}]),
        event(5, status=42),
        event(6, account_id="  "),
        event(7, model=None, status=1000),  # model comes first in schema order
        event(8, messages=[], prompt=None),
        event(9, params=params(n=0)),
        event(10, prompt_tokens=-1),
        event(0),  # duplicate of row 1
        event(12),
    ]
    path = tmp_path / "mixed.parquet"
    write_events(events_table(rows), path)
    result = read_events([path])
    got = {(q.row, q.field) for q in result.quarantined}
    assert got == {
        (2, "ts"),
        (3, "ip"),
        (4, "params.temperature"),
        (5, "messages"),
        (6, "status"),
        (7, "account_id"),
        (8, "model"),
        (9, "messages"),
        (10, "params.n"),
        (11, "prompt_tokens"),
        (12, "event_id"),
    }
    assert result.table["event_id"].to_pylist() == ["e0", "e12"]
    by_row = {q.row: q for q in result.quarantined}
    assert by_row[12].reason == "duplicate event_id, first seen at row 1"
    assert by_row[5].reason == "bad role 'wizard'"
    assert all(q.file == str(path) for q in result.quarantined)
    raw = json.loads(by_row[3].raw)
    assert raw["ip"] == "999.1.1.1"
    assert raw["ts"].startswith("2024-05-01T12:00:02")
    assert result.counts[str(path)].good == 2
    assert result.counts[str(path)].quarantined == 11


def test_row_numbers_count_across_batches(tmp_path: Path) -> None:
    rows = [event(i) for i in range(25)]
    rows[17] = event(17, status=9)
    path = _write(tmp_path / "groups.parquet", events_table(rows), row_group_size=4)
    chunks = list(iter_event_batches(path, chunk_rows=5))
    assert len(chunks) == 5
    quarantined = [q for _, bad in chunks for q in bad]
    assert [(q.row, q.field) for q in quarantined] == [(18, "status")]
    assert sum(t.num_rows for t, _ in chunks) == 24


def test_duplicates_across_files_name_the_first_file(tmp_path: Path) -> None:
    first = tmp_path / "a.parquet"
    second = tmp_path / "b.parquet"
    write_events(events_table([event(1), event(2)]), first)
    write_events(events_table([event(3), event(2)]), second)
    result = read_events([first, second])
    assert [(q.file, q.row, q.reason) for q in result.quarantined] == [
        (str(second), 2, f"duplicate event_id, first seen at row 2 of {first}")
    ]


def test_tracker_can_be_shared_by_streaming_callers(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    write_events(events_table([event(1), event(2)]), path)
    tracker = DuplicateTracker()
    list(iter_event_batches(path, tracker=tracker))
    again = [q for _, bad in iter_event_batches(path, tracker=tracker) for q in bad]
    assert len(again) == 2
    assert len(tracker) == 2


def test_timestamp_column_variants(tmp_path: Path) -> None:
    base = {
        "event_id": ["a", "b", "c", "d", "e"],
        "account_id": ["x"] * 5,
        "model": ["m"] * 5,
        "prompt": ["p"] * 5,
    }
    strings = [
        "2024-05-01T12:00:00Z",
        "2024-05-01 14:00:00+02:00",
        "2024-05-01T12:00:00",  # naive means UTC
        "2024-05-01T12:00:00.000000123Z",  # beyond us: Python fallback truncates
        "May 1st",
    ]
    epochs = [T0.timestamp(), T0.timestamp(), 1e300, float("nan"), -1.0]
    result = read_events(
        [
            _write(tmp_path / "s.parquet", pa.table({**base, "ts": strings})),
            _write(
                tmp_path / "e.parquet",
                pa.table({**base, "ts": epochs, "event_id": [f"n{i}" for i in range(5)]}),
            ),
        ]
    )
    assert result.table["ts"].to_pylist() == [T0] * 6 + [
        datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)
    ]
    assert [(Path(q.file).name, q.row, q.field) for q in result.quarantined] == [
        ("s.parquet", 5, "ts"),
        ("e.parquet", 3, "ts"),
        ("e.parquet", 4, "ts"),
    ]


def test_messages_as_json_text_and_content_parts(tmp_path: Path) -> None:
    parts = [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {}}]
    table = pa.table(
        {
            "event_id": ["a", "b", "c"],
            "ts": ["2024-05-01T12:00:00Z"] * 3,
            "account_id": ["x"] * 3,
            "model": ["m"] * 3,
            "messages": [
                json.dumps([{"role": "user", "content": parts}]),
                json.dumps([{"role": "robot", "content": "x"}]),
                "not json",
            ],
        }
    )
    result = read_events([_write(tmp_path / "m.parquet", table)])
    assert result.table["messages"].type == MESSAGES_TYPE
    assert result.table["messages"].to_pylist() == [[{"role": "user", "content": "look"}]]
    assert [(q.row, q.field) for q in result.quarantined] == [(2, "messages"), (3, "messages")]


def test_params_struct_with_unknown_fields_moves_them_to_extra(tmp_path: Path) -> None:
    params_col = pa.array(
        [{"temperature": 1, "seed": 5}, {"temperature": 2, "seed": None}, None],
        pa.struct([("temperature", pa.int32()), ("seed", pa.int64())]),
    )
    table = pa.table(
        {
            "event_id": ["a", "b", "c"],
            "ts": pa.array([0, 1, 2], pa.int64()),
            "account_id": ["x"] * 3,
            "model": ["m"] * 3,
            "prompt": ["p"] * 3,
            "params": params_col,
        }
    )
    result = read_events([_write(tmp_path / "p.parquet", table)])
    got = result.table["params"].to_pylist()
    assert got[0] == params(temperature=1.0, extra='{"seed":5}')
    assert got[1] == params(temperature=2.0, extra='{"seed":null}')
    assert got[2] is None


def test_params_as_json_text_column(tmp_path: Path) -> None:
    table = pa.table(
        {
            "event_id": ["a", "b", "c"],
            "ts": ["2024-05-01T12:00:00Z"] * 3,
            "account_id": ["x"] * 3,
            "model": ["m"] * 3,
            "prompt": ["p"] * 3,
            "params": ['{"top_p": 0.9, "tools": [{"type": "function"}]}', "[1]", '{"stream": 1}'],
        }
    )
    result = read_events([_write(tmp_path / "p.parquet", table)])
    assert result.table["params"].to_pylist() == [params(top_p=0.9, tools='[{"type":"function"}]')]
    assert [(q.row, q.field) for q in result.quarantined] == [(2, "params"), (3, "params.stream")]


def test_bad_json_text_inside_params_struct(tmp_path: Path) -> None:
    rows = [
        event(0, params=params(logit_bias='{"1": 2}')),
        event(1, params=params(logit_bias="[1]")),
        event(2, params=params(extra="seed=1")),
    ]
    path = tmp_path / "p.parquet"
    write_events(events_table(rows), path)
    result = read_events([path])
    assert [(q.row, q.field) for q in result.quarantined] == [
        (2, "params.logit_bias"),
        (3, "params.extra"),
    ]


def test_integer_id_columns_are_cast_to_strings(tmp_path: Path) -> None:
    table = pa.table(
        {
            "event_id": [1, 2],
            "ts": ["2024-05-01T12:00:00Z"] * 2,
            "account_id": [10, 10],
            "model": ["m", "m"],
            "prompt": ["p", "p"],
            "status": [200.0, 200.5],
        }
    )
    result = read_events([_write(tmp_path / "i.parquet", table)])
    assert result.table["event_id"].to_pylist() == ["1"]
    assert [(q.row, q.field) for q in result.quarantined] == [(2, "status")]


@pytest.mark.parametrize(
    ("drop", "named"),
    [
        (["event_id"], "event_id"),
        (["ts", "model"], "ts, model"),
        (["account_id"], "account_id"),
        (["messages", "prompt"], "messages or prompt"),
    ],
)
def test_missing_required_columns_is_a_file_error(
    tmp_path: Path, drop: list[str], named: str
) -> None:
    table = events_table([event(1)]).drop_columns(drop)
    path = _write(tmp_path / "cols.parquet", table)
    with pytest.raises(InputError, match=named) as info:
        read_events([path])
    assert info.value.path == str(path)


def test_wrong_column_type_is_a_file_error(tmp_path: Path) -> None:
    table = events_table([event(1)])
    table = table.set_column(table.column_names.index("ip"), "ip", pa.array([1.5]))
    path = _write(tmp_path / "t.parquet", table)
    with pytest.raises(InputError, match="expected string") as info:
        read_events([path])
    assert info.value.field == "ip"


def test_truncated_parquet_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    write_events(events_table(event(i) for i in range(50)), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="Parquet") as info:
        read_events([path])
    assert info.value.path == str(path)
    assert isinstance(info.value.__cause__, Exception)


def test_corrupt_data_pages_are_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pq.write_table(events_table(event(i) for i in range(200)), path, compression="zstd")
    data = bytearray(path.read_bytes())
    for i in range(100, len(data) // 2, 7):  # garble the column chunks, keep the footer
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(InputError):
        read_events([path])


def test_invalid_utf8_in_parquet_strings_is_a_file_error(tmp_path: Path) -> None:
    binary = pa.array([b"\xff\xfe"], pa.binary())
    table = events_table([event(1)])
    bad = table.set_column(0, "event_id", binary.view(pa.string()))
    path = _write(tmp_path / "u.parquet", bad)
    with pytest.raises(InputError, match=r"(?i)utf-?8"):
        read_events([path])


def test_missing_file_directory_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_events([tmp_path / "absent.parquet"])
    with pytest.raises(InputError, match="directory"):
        read_events([tmp_path])
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    result = read_events([empty])
    assert result.table.num_rows == 0
    assert result.table.schema == EVENT_SCHEMA


def test_zero_row_parquet_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "zero.parquet"
    write_events(events_table([]), path)
    result = read_events([path])
    assert result.table.num_rows == 0
    assert result.counts[str(path)].good == 0


def test_unknown_format_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    write_events(events_table([event(1)]), path)
    with pytest.raises(DistillguardError, match="unknown format"):
        read_events([path], fmt="csv")


def test_format_detected_by_magic_without_suffix(tmp_path: Path) -> None:
    path = tmp_path / "events.bin"
    pq.write_table(events_table([event(1)]), path)
    assert read_events(path).counts[str(path)].fmt == "parquet"


def test_large_and_dictionary_types_and_zoned_timestamps(tmp_path: Path) -> None:
    message = pa.struct([("content", pa.large_string()), ("role", pa.large_string())])
    table = pa.table(
        {
            "event_id": pa.array(["a", "b"], pa.large_string()),
            "ts": pa.array([T0, T0], pa.timestamp("ms", tz="Europe/Paris")),
            "account_id": pa.array(["x", "x"]).dictionary_encode(),
            "model": pa.array(["m", "m"], pa.string_view())
            if hasattr(pa, "string_view")
            else pa.array(["m", "m"]),
            "messages": pa.array(
                [[{"role": "user", "content": "hi"}], [{"role": "user", "content": None}]],
                pa.large_list(message),
            ),
            "status": pa.array([200, 404], pa.uint16()),
        }
    )
    result = read_events([_write(tmp_path / "large.parquet", table)])
    assert result.quarantined == []
    assert result.table.schema == EVENT_SCHEMA
    assert result.table["ts"].to_pylist() == [T0, T0]
    assert result.table["messages"].to_pylist()[0] == [{"role": "user", "content": "hi"}]


def test_progress_display_and_single_path(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    write_events(events_table([event(1)]), path)
    assert read_events(str(path), progress=True).table.num_rows == 1


def test_ids_with_control_characters_are_quarantined(tmp_path: Path) -> None:
    text = "step\x00one\x1b[31m\u2028two\x85"
    rows = [
        event(0, messages=[{"role": "user", "content": text}], response=text, user_agent="ua\x07"),
        event(1, event_id="e\x001"),
        event(2, account_id="acct\x7f"),
        event(3, org_id="org\x9f"),
        event(4, api_key_id="key\u2029"),
        event(5, payment_fingerprint="pf\t5"),
        event(6, conversation_id="c\r\n6"),
        event(7, ip="fe80::1%\x01"),
        event(8, org_id="ørg-€"),  # non-ASCII is fine, only controls are refused
    ]
    table = events_table(rows)
    # Dictionary and large strings go through the same check once cast.
    table = table.set_column(2, "account_id", table["account_id"].dictionary_encode())
    table = table.set_column(0, "event_id", table["event_id"].cast(pa.large_string()))
    path = _write(tmp_path / "ids.parquet", table)
    result = read_events([path])
    assert [(q.row, q.field, q.reason) for q in result.quarantined] == [
        (2, "event_id", "control character U+0000 in id"),
        (3, "account_id", "control character U+007F in id"),
        (4, "org_id", "control character U+009F in id"),
        (5, "api_key_id", "paragraph separator U+2029 in id"),
        (6, "payment_fingerprint", "control character U+0009 in id"),
        (7, "conversation_id", "control character U+000D in id"),
        (8, "ip", "control character U+0001 in address"),
    ]
    assert json.loads(result.quarantined[0].raw)["event_id"] == "e\x001"
    assert rows_of(result.table) == rows_of(events_table([rows[0], rows[8]]))


def test_lone_surrogates_in_json_text_columns_become_replacement_characters(
    tmp_path: Path,
) -> None:
    table = pa.table(
        {
            "event_id": ["a", "b"],
            "ts": pa.array([T0, T0], pa.timestamp("us", tz="UTC")),
            "account_id": ["x", "x"],
            "model": ["m", "m"],
            "messages": [
                json.dumps([{"role": "user", "content": "\ud83d\ude00 \ud800"}]),
                json.dumps([{"role": "user", "content": "fine"}]),
            ],
            "params": [json.dumps({"tools": [{"name": "\udfff"}], "seed": 1}), None],
        }
    )
    result = read_events([_write(tmp_path / "s.parquet", table)])
    assert result.quarantined == []
    assert result.table["messages"].to_pylist()[0] == [
        {"role": "user", "content": "\U0001f600 \ufffd"}
    ]
    assert result.table["params"].to_pylist()[0] == params(
        tools='[{"name":"\ufffd"}]', extra='{"seed":1}'
    )
