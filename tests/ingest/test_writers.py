"""Writers: events, labels and quarantine files."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.errors import InputError
from distillguard.fileio import atomic_open
from distillguard.ingest import (
    QuarantineRecord,
    conform_events,
    read_events,
    read_labels,
    read_quarantine,
    write_events,
    write_labels,
    write_quarantine,
)
from distillguard.schema import EVENT_COLUMNS, EVENT_LABEL_SCHEMA, LABEL_SCHEMA
from tests.ingest.helpers import event, events_table, params, rows_of


def test_parquet_is_zstd_compressed(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    write_events(events_table(event(i) for i in range(10)), path)
    meta = pq.ParquetFile(path).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_jsonl_layout(tmp_path: Path) -> None:
    rows = [
        event(1, params=params(temperature=0.5, logit_bias='{"5":1}', extra='{"seed":3}')),
        event(2, org_id=None, params=None),
    ]
    path = tmp_path / "log.jsonl"
    write_events(events_table(rows).append_column("region", pa.array(["eu", None])), path)
    first, second = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    assert first["ts"] == "2024-05-01T12:00:01.000001Z"
    assert first["messages"][0] == {"role": "system", "content": "be brief"}
    assert first["params"] == {"temperature": 0.5, "logit_bias": {"5": 1}, "seed": 3}
    assert "org_id" not in second
    assert "params" not in second
    assert second["region"] is None  # extra columns are always written


def test_parquet_to_jsonl_to_table_round_trip(tmp_path: Path) -> None:
    table = events_table(
        [
            event(1),
            event(2, messages=None, prompt="text", params=params(tools='[{"type":"x"}]')),
            event(3, params=params(stream=True, reasoning_effort="low", top_p=1.0)),
        ]
    ).append_column("region", pa.array(["eu", "us", None]))
    parquet = tmp_path / "a.parquet"
    write_events(table, parquet)
    from_parquet = read_events([parquet]).table
    jsonl = tmp_path / "a.jsonl.gz"
    write_events(from_parquet, jsonl)
    with gzip.open(jsonl, "rt", encoding="utf-8") as handle:
        assert len(handle.read().splitlines()) == 3
    from_jsonl = read_events([jsonl]).table
    assert from_jsonl.column_names == [*EVENT_COLUMNS, "region"]
    assert rows_of(from_jsonl) == rows_of(from_parquet) == rows_of(table)


def test_conform_events_orders_and_casts() -> None:
    table = pa.table(
        {
            "zzz": [1],
            "model": ["m"],
            "ts": pa.array([0], pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
            "account_id": ["a"],
            "event_id": ["e"],
            "status": pa.array([200], pa.int16()),
        }
    )
    out = conform_events(table)
    assert out.column_names == [*EVENT_COLUMNS, "zzz"]
    assert out.schema.field("status").type == pa.int64()
    with pytest.raises(ValueError, match="event_id"):
        conform_events(table.drop_columns(["event_id"]))


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    write_events(events_table([event(1)]), path)
    before = path.read_bytes()
    bad = pa.table({"event_id": ["e"], "ts": ["not a time"], "account_id": ["a"], "model": ["m"]})
    with pytest.raises(ValueError, match="ts"):
        write_events(bad, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.parquet"]
    assert os.stat(path).st_mode & 0o044  # readable like any other new file


def test_labels_round_trip_both_kinds_and_formats(tmp_path: Path) -> None:
    accounts = pa.table(
        {
            "role": ["distiller", None],
            "account_id": ["a1", "a2"],
            "is_attack": [True, False],
            "campaign_id": ["c1", None],
        }
    )
    events = pa.table(
        {
            "event_id": ["e1"],
            "account_id": ["a1"],
            "is_attack_request": [True],
            "is_cover": [False],
            "source": ["sim"],
            "capability": ["math"],
            "elicitation_family": ["cot"],
            "language": ["en"],
        }
    )
    for name, table, schema in (
        ("labels", accounts, LABEL_SCHEMA),
        ("event_labels", events, EVENT_LABEL_SCHEMA),
    ):
        for suffix in ("parquet", "jsonl"):
            path = tmp_path / f"{name}.{suffix}"
            write_labels(table, path)
            back = read_labels(path)
            assert back.schema == schema
            assert back.to_pylist() == table.select(schema.names).to_pylist()
    with pytest.raises(ValueError, match="label table"):
        write_labels(accounts.drop_columns(["role"]), tmp_path / "x.parquet")


def test_read_labels_errors(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"account_id": "a"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="not a label table"):
        read_labels(path)
    path.write_text("{oops\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable label file"):
        read_labels(path)


def test_quarantine_file_format(tmp_path: Path) -> None:
    records = [
        QuarantineRecord("a.jsonl", 3, "ts", "not a timestamp: 'x'", '{"ts": "x"}'),
        QuarantineRecord("b.parquet", 1, "params.n", "must be >= 1, got 0", "{}"),
    ]
    path = tmp_path / "q.jsonl"
    assert write_quarantine(records, path) == 2
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [list(line) for line in lines] == [
        [f.name for f in dataclasses.fields(QuarantineRecord)]
    ] * 2
    assert read_quarantine(path) == records
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.jsonl"]


def test_quarantine_from_a_real_read(tmp_path: Path) -> None:
    log = tmp_path / "log.parquet"
    write_events(events_table([event(1), event(2, status=7)]), log)
    result = read_events([log])
    out = tmp_path / "quarantine.jsonl"
    write_quarantine(result.quarantined, out)
    (line,) = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["field"] == "status"
    path = tmp_path / "broken.jsonl"
    path.write_text('{"file": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="quarantine"):
        read_quarantine(path)


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("old\n", encoding="utf-8")

    def failing_write() -> None:
        with atomic_open(path) as handle:
            handle.write("partial")
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        failing_write()
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
