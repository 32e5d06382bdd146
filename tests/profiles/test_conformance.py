"""Batch and online profiles are one definition: random event streams, every part equal.

Each example is a random stream of events over three accounts and three UTC days
(texts that trip the real signals, templates shared across events, parameters,
statuses, addresses, tiers, organisations and sign-up times, some missing; times
that collide to the microsecond).  The store loads it in a random *arrival* order
split into one to three loads; a state backend folds it in that order, in
micro-batches; every column of every profile must be equal, over all days and
over a window that starts on the second day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings

from distillguard.gateway.state import State
from distillguard.profiles import PROFILE, feeds
from distillguard.profiles.sql import attributes_sql
from distillguard.schema import EVENT_SCHEMA
from distillguard.signals import REGISTRY, available
from distillguard.store.duckdb import Store
from tests.profiles.helpers import (
    assert_same_profiles,
    batch_profiles,
    batch_windows,
    event_row,
    fold,
    merged,
    runner,
    state_factory,
)
from tests.profiles.streams import (
    ACCOUNTS,
    CREATED,
    DAY0,
    RESPONSES,
    TEXTS,
    USER_AGENTS,
    Stream,
    benchmark_texts,
    crafted,
    streams,
)

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(params=["memory", "redis"])
def make_state(request: pytest.FixtureRequest) -> Callable[[], State]:
    return state_factory(request.param, lambda: request.getfixturevalue("redis_server"))


@SETTINGS
@given(streams())
@example(crafted())
@example(crafted(days=1))
def test_folded_profiles_equal_batch_profiles(
    make_state: Callable[[], State], stream: Stream
) -> None:
    second_day = (DAY0 + dt.timedelta(days=1)).date()
    with tempfile.TemporaryDirectory() as tmp:
        batch, window = batch_windows(
            stream.arrival, Path(tmp), cuts=stream.cuts, starts=[None, second_day]
        )

    async def go() -> tuple[pa.Table, pa.Table]:
        state = make_state()
        try:
            await fold(state, stream.arrival, batch=stream.batch)
            online = await merged(state, ACCOUNTS)
            # Pruning the days before a window gives the store's profile of the window.
            return online, await merged(state, ACCOUNTS, first_day=second_day)
        finally:
            await state.close()

    online, online_window = asyncio.run(go())
    assert_same_profiles(batch, online)
    assert_same_profiles(window, online_window)


def test_the_crafted_stream_follows_the_attribute_rules(tmp_path: Path) -> None:
    """Tier and organisation: the latest event naming one (ties: the greatest value);
    sign-up time: the earliest given.  Here the next day's 08:00 event decides."""
    (row,) = batch_profiles(crafted().arrival, tmp_path).to_pylist()
    assert (row["tier"], row["org_id"]) == ("free", "org-free")
    assert row["account_created_at"] == CREATED[1]
    with Store(tmp_path / "s.duckdb") as store:
        store.load([tmp_path / "load0.parquet"])
        (attrs,) = store.con.sql(attributes_sql(PROFILE)).to_arrow_table().to_pylist()
    names = ("account_id", "tier", "org_id", "client_family", "account_created_at")
    assert attrs == {k: row[k] for k in names}
    (day0,) = batch_profiles(crafted(days=1).events, tmp_path).to_pylist()
    assert (day0["tier"], day0["org_id"]) == ("édu", "org-édu")
    assert day0["gap_n"] == 3
    assert day0["gap_sq_sum"] == pytest.approx(2 * 3600.0**2)
    assert day0["top_prefix_cot_n"] == 4


def test_every_column_a_part_reads_exists() -> None:
    """Parts and key kinds read event columns, derived columns or signal outputs; a
    signal's parts are found from its outputs (signals never list them)."""
    available()
    signal_cols = {f.name: s for s, cls in REGISTRY.items() for f in cls.outputs}
    known = set(EVENT_SCHEMA.names) | {"system_text", "n_assistant", "gap_s"} | set(signal_cols)
    readers = PROFILE.readers()
    assert set(readers) <= known, set(readers) - known
    # What each signal feeds, read off the spec.
    assert feeds("cot_elicitation") == (
        "cot_n", "cot_prefix", "cot_score_sum", "cot_suffix", "cot_system_n",
    )  # fmt: skip
    assert "bench_n" in feeds("benchmark_match")
    assert feeds("template_skeleton") == ("cot_prefix", "cot_suffix", "prefix", "suffix", "system")
    assert all(feeds(s) for s in REGISTRY), "every signal feeds some part"


def test_streams_trip_the_signals() -> None:
    """The text pool exercises what the parts count (else the test proves little)."""
    rows: list[dict[str, Any]] = runner().rows(
        [event_row(event_id=str(i), ts=DAY0, account_id="a", model="m",
                   messages=[{"role": "user", "content": t}])
         for i, t in enumerate(TEXTS + benchmark_texts())]
    )  # fmt: skip
    assert sum(bool(r["cot_elicitation"]) for r in rows) >= 3
    assert {"coding", "math", "agentic", "writing"} <= {r["capability"] for r in rows}
    texts = TEXTS + benchmark_texts()
    grader = {r["template_prefix"] for r, t in zip(rows, texts, strict=True) if "grading" in t}
    assert len(grader) == 1


def test_streams_trip_the_value_parts() -> None:
    """Responses and clients exercise the harvest-value parts and the client family."""
    rows: list[dict[str, Any]] = runner().rows(
        [event_row(event_id=str(i), ts=DAY0, account_id="a", model="m", user_agent=ua,
                   response=resp, messages=[{"role": "user", "content": TEXTS[1]}])
         for i, (ua, resp) in enumerate(zip(USER_AGENTS, RESPONSES * 2, strict=False))]
    )  # fmt: skip
    assert [r["response_steps"] for r in rows] == [None, False, True, None]
    assert {r["client_family"] for r in rows} == {"none", "openai-python", "curl", "framework"}
