"""The worked example of ``docs/profiles.md``: a new part, declared once, is the same both ways.

The part is registered in a test-local spec (``PROFILE.extend``) rather than in
``parts.py``, and run through the real store, both state backends and the merge,
exactly as the shipped parts are in ``test_conformance.py``.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings

from distillguard.gateway.state import State
from distillguard.profiles import PROFILE, Count, DistinctCount, KeyKind, feeds
from distillguard.profiles.expr import and_, col, flag
from distillguard.store.duckdb import Store
from tests.profiles.helpers import (
    assert_same_profiles,
    batch_profiles,
    fold,
    merged,
    params,
    state_factory,
)
from tests.profiles.streams import ACCOUNTS, Stream, crafted, streams

DOCS = Path(__file__).resolve().parents[2] / "docs" / "profiles.md"

# The declarations, as docs/profiles.md shows them (checked below).
PART = Count(
    "cot_logprobs_n",
    where=and_(flag("cot_elicitation"), flag("param_logprobs")),
    doc="elicitation with logprobs",
)
KIND = KeyKind("conversation", col("conversation_id"), doc="conversations")
STAT = DistinctCount("distinct_conversations", "conversation")
SPEC = PROFILE.extend(parts=[PART], keys=[KIND], key_stats=[STAT])


def test_the_docs_show_these_declarations() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for declaration in (
        '    Count(\n        "cot_logprobs_n",\n',
        'where=and_(flag("cot_elicitation"), flag("param_logprobs")),\n',
        'doc="elicitation with logprobs",',
        'KeyKind("conversation", col("conversation_id"), doc="conversations")',
        'DistinctCount("distinct_conversations", "conversation")',
    ):
        assert declaration in text, declaration


def test_the_part_is_read_off_the_signal() -> None:
    for signal in ("cot_elicitation", "harvest_params"):
        assert "cot_logprobs_n" in feeds(signal, SPEC)
        assert "cot_logprobs_n" not in feeds(signal)
    assert SPEC.output_columns[-5:] == (
        "distinct_conversations", "tier", "org_id", "client_family", "account_created_at",
    )  # fmt: skip


@pytest.fixture(params=["memory", "redis"])
def make_state(request: pytest.FixtureRequest) -> Callable[[], State]:
    return state_factory(request.param, lambda: request.getfixturevalue("redis_server"))


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(streams())
def test_the_new_part_is_the_same_batch_and_online(
    make_state: Callable[[], State], stream: Stream
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        batch = batch_profiles(stream.arrival, Path(tmp), spec=SPEC, cuts=stream.cuts)

    async def go() -> pa.Table:
        state = make_state()
        try:
            await fold(state, stream.arrival, spec=SPEC, batch=stream.batch)
            return await merged(state, ACCOUNTS, spec=SPEC)
        finally:
            await state.close()

    assert_same_profiles(batch, asyncio.run(go()), SPEC)


def test_the_new_part_counts_and_a_store_is_rebuilt_for_it(tmp_path: Path) -> None:
    """Elicitation with logprobs is counted; a store written without the part gains it
    when opened with it (and loses it again with the shipped spec)."""
    events = [{**e, "params": params(logprobs=i % 2 == 0)} for i, e in enumerate(crafted().events)]
    want = (len(events) + 1) // 2  # every crafted request elicits; half ask for logprobs
    (row,) = batch_profiles(events, tmp_path, spec=SPEC).to_pylist()
    assert row["cot_logprobs_n"] == want
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        store.load([tmp_path / "load0.parquet"])
        assert "cot_logprobs_n" not in store.profile_table().column_names
    with Store(path, profile_spec=SPEC) as store:
        assert store.profile_table().column("cot_logprobs_n").to_pylist() == [want]
    with Store(path) as store:
        assert store.profile_table().column_names == list(PROFILE.output_columns)
