"""Every registered signal obeys the same contract (see distillguard.signals.base)."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

import pyarrow as pa
import pytest

import distillguard.signals  # noqa: F401  (registers the built-in signals)
from distillguard.schema import EVENT_SCHEMA
from distillguard.signals.base import REGISTRY, EventBatch, Signal, compute_signals, create
from tests.signals.helpers import ZOO, batch

NAMES = sorted(REGISTRY)
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def test_all_built_in_signals_registered() -> None:
    assert {
        "benchmark_match",
        "capability",
        "cot_elicitation",
        "harvest_params",
        "template_skeleton",
    } <= set(NAMES)


@pytest.fixture(params=NAMES)
def signal(request: pytest.FixtureRequest) -> Signal:
    return create(request.param)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


def test_name_and_metadata(signal: Signal) -> None:
    cls = type(signal)
    assert SNAKE.fullmatch(cls.name)
    assert REGISTRY[cls.name] is cls
    assert cls.description
    assert cls.description.strip() == cls.description
    names = [f.name for f in cls.outputs]
    assert len(names) == len(set(names))
    assert names
    for f in cls.outputs:
        assert SNAKE.fullmatch(f.name), f.name
        assert f.metadata, f.name
        assert f.metadata.get(b"description"), f.name


def test_is_a_dataclass_whose_init_only_stores_fields(signal: Signal) -> None:
    cls = type(signal)
    assert dataclasses.is_dataclass(cls)
    fresh = cls()
    # No compiled state, tables or caches before first use: only the settings.
    assert set(vars(fresh)) == {f.name for f in dataclasses.fields(fresh)}
    assert fresh == cls()


def test_outputs_declared_typed_and_sized(signal: Signal) -> None:
    b = batch(ZOO)
    out = signal.compute(b)
    assert set(out) == {f.name for f in signal.outputs}
    for f in signal.outputs:
        col = out[f.name]
        assert isinstance(col, pa.Array), f.name
        assert col.type == f.type, (f.name, col.type, f.type)
        assert len(col) == len(b)


def test_scores_in_unit_interval(signal: Signal) -> None:
    out = signal.compute(batch(ZOO))
    for f in signal.outputs:
        if f.name.endswith("_score"):
            vals = out[f.name].to_pylist()
            assert all(v is not None and 0.0 <= v <= 1.0 for v in vals), (f.name, vals)


def test_pure_batch_equals_single_events(signal: Signal) -> None:
    """Same input, same output; a row's output does not depend on the other rows."""
    b = batch(ZOO)
    first = signal.compute(b)
    again = signal.compute(batch(ZOO))
    for name, col in first.items():
        assert col.equals(again[name]), name
    reversed_out = signal.compute(batch(ZOO[::-1]))
    for i, ev in enumerate(ZOO):
        one = signal.compute_one(ev)
        assert set(one) == set(first)
        for name, value in one.items():
            assert _same(first[name][i].as_py(), value), (name, i, value)
            assert _same(reversed_out[name][len(ZOO) - 1 - i].as_py(), value), (name, i)


def test_empty_batch(signal: Signal) -> None:
    out = signal.compute(EventBatch(EVENT_SCHEMA.empty_table()))
    for f in signal.outputs:
        assert len(out[f.name]) == 0
        assert out[f.name].type == f.type


def test_table_without_optional_columns(signal: Signal) -> None:
    """Readers may hand over only the required columns plus ``prompt``."""
    table = pa.table(
        {
            "event_id": ["a", "b"],
            "ts": pa.array([0, 1], pa.timestamp("us", tz="UTC")),
            "account_id": ["x", "y"],
            "model": ["m", "m"],
            "prompt": ["Solve 2 + 2", None],
        }
    )
    out = signal.compute(EventBatch(table))
    for f in signal.outputs:
        assert len(out[f.name]) == 2


def test_compute_signals_end_to_end() -> None:
    b = batch(ZOO)
    table = compute_signals(b.table)
    assert table.num_rows == len(ZOO)
    for name in NAMES:
        for f in REGISTRY[name].outputs:
            assert f.name in table.column_names
