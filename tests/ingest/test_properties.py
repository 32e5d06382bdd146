"""Property tests: random valid events survive every format; random junk never raises."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillguard.errors import InputError
from distillguard.ingest import read_events, to_openai_records, write_events
from distillguard.ingest.validate import dumps
from distillguard.schema import (
    EVENT_COLUMNS,
    EVENT_SCHEMA,
    MESSAGE_ROLES,
    PARAM_FIELDS,
)
from tests.ingest.helpers import events_table, rows_of, write_jsonl

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Keys a client could send that are not typed params (and would not collide
# with the request's own model/messages/prompt keys or the stored ``extra``).
RESERVED = {*PARAM_FIELDS, "model", "messages", "prompt"}
extra_keys = st.text(min_size=1, max_size=8).filter(lambda k: k not in RESERVED)
json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)

nonblank = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")
maybe_text = st.none() | st.text(max_size=30)
# Ids refuse control characters and U+2028/U+2029 (docs/schema.md); free text keeps them.
id_chars = st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\u2028\u2029")
id_text = st.text(id_chars, max_size=20)
nonblank_id = id_text.filter(lambda s: s.strip() != "")
maybe_id = st.none() | id_text
timestamps = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@st.composite
def param_values(draw: st.DrawFn) -> dict[str, Any] | None:
    chosen = {
        "temperature": st.floats(0, 2, allow_nan=False),
        "top_p": st.floats(0, 1, allow_nan=False),
        "n": st.integers(1, 8),
        "max_tokens": st.integers(0, 2**40),
        "logprobs": st.booleans(),
        "top_logprobs": st.integers(0, 20),
        "logit_bias": st.dictionaries(st.integers(0, 10**5).map(str), st.integers(-100, 100)).map(
            dumps
        ),
        "reasoning_effort": st.text(max_size=10),
        "stream": st.booleans(),
        "tools": st.lists(
            st.fixed_dictionaries({"type": st.just("function"), "name": st.text(max_size=5)}),
            max_size=2,
        ).map(dumps),
        "extra": st.dictionaries(extra_keys, json_values, min_size=1, max_size=3).map(dumps),
    }
    out: dict[str, Any] = dict.fromkeys(PARAM_FIELDS)
    for name in draw(st.sets(st.sampled_from(PARAM_FIELDS))):
        out[name] = draw(chosen[name])
    # All-null params read back as null: generate them that way.
    return out if any(v is not None for v in out.values()) else None


@st.composite
def valid_event(draw: st.DrawFn, index: int = 0) -> dict[str, Any]:
    messages = draw(
        st.none()
        | st.lists(
            st.fixed_dictionaries(
                {"role": st.sampled_from(sorted(MESSAGE_ROLES)), "content": maybe_text}
            ),
            max_size=3,
        )
    )
    prompt = draw(maybe_text)
    if not messages and not prompt:
        prompt = draw(nonblank)
    maybe_int = st.none() | st.integers(0, 2**40)
    return {
        "event_id": f"{index}:{draw(st.text(id_chars, max_size=8))}",
        "ts": draw(timestamps),
        "account_id": draw(nonblank_id),
        "org_id": draw(maybe_id),
        "api_key_id": draw(maybe_id),
        "ip": draw(st.none() | st.ip_addresses().map(str)),
        "user_agent": draw(maybe_text),
        "payment_fingerprint": draw(maybe_id),
        "account_created_at": draw(st.none() | timestamps),
        "account_tier": draw(st.none() | st.sampled_from(["free", "paid", "weird tier"])),
        "model": draw(nonblank),
        "messages": messages,
        "prompt": prompt,
        "params": draw(param_values()),
        "conversation_id": draw(maybe_id),
        "prompt_tokens": draw(maybe_int),
        "completion_tokens": draw(maybe_int),
        "reasoning_tokens": draw(maybe_int),
        "response": draw(maybe_text),
        "status": draw(st.none() | st.integers(100, 599)),
    }


@st.composite
def valid_tables(draw: st.DrawFn) -> pa.Table:
    count = draw(st.integers(1, 6))
    return events_table([draw(valid_event(i)) for i in range(count)])


def _round_trip(table: pa.Table, fmt: str, suffix: str) -> pa.Table:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"log.{suffix}"
        write_events(table, path, fmt=fmt)
        result = read_events([path])
        assert result.quarantined == [], result.quarantined[:1]
        return result.table


@SETTINGS
@given(valid_tables())
def test_parquet_round_trip(table: pa.Table) -> None:
    back = _round_trip(table, "parquet", "parquet")
    assert back.schema == EVENT_SCHEMA
    assert rows_of(back) == rows_of(table)


@SETTINGS
@given(valid_tables())
def test_jsonl_round_trip(table: pa.Table) -> None:
    assert rows_of(_round_trip(table, "jsonl", "jsonl")) == rows_of(table)


@SETTINGS
@given(valid_tables())
def test_gzipped_jsonl_round_trip(table: pa.Table) -> None:
    assert rows_of(_round_trip(table, "jsonl", "jsonl.gz")) == rows_of(table)


@SETTINGS
@given(valid_tables())
def test_openai_round_trip(table: pa.Table) -> None:
    back = _round_trip(table, "openai", "jsonl")
    assert rows_of(back, EVENT_COLUMNS) == rows_of(table)
    assert len(list(to_openai_records(table))) == table.num_rows


def _read_lines(lines: list[str], fmt: str | None = None) -> tuple[int, int]:
    """Read lines as a file: (rows kept, rows quarantined); InputError is allowed."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_jsonl(Path(tmp) / "fuzz.jsonl", lines)
        result = read_events([path], fmt=fmt)
        counts = result.counts[str(path)]
        assert counts.good == result.table.num_rows
        assert result.table.schema.names[: len(EVENT_COLUMNS)] == list(EVENT_COLUMNS)
        return counts.good, counts.quarantined


GOOD_LINE = json.dumps(
    {
        "event_id": "anchor",
        "ts": "2024-01-01T00:00:00Z",
        "account_id": "a",
        "model": "m",
        "prompt": "p",
    }
)
line_text = st.text(max_size=60).map(lambda s: s.replace("\n", " ").replace("\r", " "))


@SETTINGS
@given(st.lists(line_text, max_size=8))
def test_random_text_lines_are_quarantined_never_raised(lines: list[str]) -> None:
    kept, bad = _read_lines([GOOD_LINE, *lines])
    non_blank = 1 + sum(1 for line in lines if line.strip())
    assert kept + bad == non_blank
    assert kept >= 1


canonical_keys = st.sampled_from([*EVENT_COLUMNS, "other"])
junk_objects = st.dictionaries(canonical_keys, json_values, max_size=8)


@SETTINGS
@given(st.lists(junk_objects, min_size=1, max_size=8))
def test_random_json_objects_never_raise(objects: list[dict[str, Any]]) -> None:
    lines = [json.dumps(obj) for obj in objects]
    kept, bad = _read_lines(lines)
    assert kept + bad == len(lines)


record_parts = st.fixed_dictionaries(
    {
        "request": st.dictionaries(
            st.sampled_from(["model", "messages", "prompt", "n", "logprobs"]), json_values
        )
    },
    optional={"response": json_values, "metadata": json_values},
)


@SETTINGS
@given(st.lists(record_parts, min_size=1, max_size=6))
def test_random_openai_records_never_raise(records: list[dict[str, Any]]) -> None:
    kept, bad = _read_lines([json.dumps(r) for r in records], fmt="openai")
    assert kept + bad == len(records)


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(EVENT_COLUMNS),
        st.sampled_from(
            [pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.timestamp("ms"), pa.null()]
        ),
        min_size=1,
    ),
    st.data(),
)
def test_random_parquet_columns_raise_only_input_errors(
    types: dict[str, pa.DataType], data: st.DataObject
) -> None:
    n = 3
    columns = {}
    for name, arrow_type in types.items():
        values = data.draw(
            st.lists(
                st.from_type(type(None))
                | {
                    pa.string(): st.text(max_size=10),
                    pa.int64(): st.integers(-(2**63), 2**63 - 1),
                    pa.float64(): st.floats(),
                    pa.bool_(): st.booleans(),
                    pa.timestamp("ms"): st.datetimes(),
                    pa.null(): st.none(),
                }[arrow_type],
                min_size=n,
                max_size=n,
            )
        )
        columns[name] = pa.array(values, arrow_type)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.parquet"
        pq.write_table(pa.table(columns), path)
        try:
            result = read_events([path])
        except InputError:
            return
        assert result.table.num_rows + len(result.quarantined) == n
