"""Folding events one at a time gives the batch store's profiles and scores."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from distillguard.gateway.online import (
    SignalRunner,
    fold_item,
    merge_profile,
    profiles_table,
)
from distillguard.gateway.scorer import ScoringCore
from distillguard.gateway.state import MemoryState
from distillguard.scoring.risk import Calibration, score_profiles
from distillguard.store.duckdb import Store


def test_online_and_batch_profiles_have_the_same_columns(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        batch = store.profile_table()
    assert profiles_table([]).schema.names == batch.schema.names


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return (a or 0) == (b or 0)
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)
    return bool(a == b)


def test_folded_profiles_equal_batch_profiles(sim_dir: Path, tmp_path: Path) -> None:
    events = pq.read_table(sim_dir / "events.parquet").sort_by("ts")
    with Store(tmp_path / "s.duckdb") as store:
        store.load([sim_dir / "events.parquet"])
        batch = store.profile_table()
    state = MemoryState()
    runner = SignalRunner()
    rows = events.to_pylist()

    async def fold_all() -> list[dict[str, Any]]:
        # One event at a time, exactly as the gateway folds them.
        for row in rows:
            (with_signals,) = runner.rows([row])
            await state.fold([fold_item(with_signals)])
        ids = sorted({r["account_id"] for r in rows})
        return [merge_profile(a, await state.raw_profile(a)) for a in ids]

    online = asyncio.run(fold_all())
    batch_rows = {r["account_id"]: r for r in batch.to_pylist()}
    assert len(online) == len(batch_rows)
    compared = 0
    for row in online:
        b = batch_rows[row["account_id"]]
        for col in b:
            assert col in row, col
            assert _close(row[col], b[col]), (row["account_id"], col, row[col], b[col])
            compared += 1
    assert compared > 1000
    # The chain-of-thought counts inside top templates are compared too, and not
    # only as zeros.
    assert any((r.get("top_prefix_cot_n") or 0) > 0 for r in batch_rows.values())

    cal = Calibration.load()
    s_batch = score_profiles(batch, cal).sort_by("account_id")
    s_online = score_profiles(profiles_table(online), cal).sort_by("account_id")
    assert s_online.column("verdict").to_pylist() == s_batch.column("verdict").to_pylist()
    for col in ("risk", "score"):
        for x, y in zip(
            s_online.column(col).to_pylist(), s_batch.column(col).to_pylist(), strict=True
        ):
            assert x == pytest.approx(y, rel=1e-9, abs=1e-12)
    assert s_online.column("reasons").to_pylist() == s_batch.column("reasons").to_pylist()


def test_the_gateway_scorer_gives_the_batch_verdicts(sim_dir: Path, tmp_path: Path) -> None:
    """Online and batch share one verdict rule, the evidence a block needs included.

    Thresholds at zero put every account with any evidence at the block level, so
    the rule decides many verdicts here: small accounts are held at ``restrict`` and
    larger ones blocked, the same accounts on both paths.
    """
    cal = Calibration.fit(np.zeros(100), base_rates=Calibration.load().base_rates)
    with Store(tmp_path / "s.duckdb") as store:
        store.load([sim_dir / "events.parquet"])
        batch = score_profiles(store.profile_table(), cal)
    core = ScoringCore(MemoryState(), cal, window_days=3650)
    rows = pq.read_table(sim_dir / "events.parquet").sort_by("ts").to_pylist()

    async def run() -> dict[str, dict[str, str]]:
        views: dict[str, dict[str, str]] = {}
        # In micro-batches, as the gateway's scorer takes them.
        for i in range(0, len(rows), 64):
            scored = await core.score(rows[i : i + 64])
            assert scored.status == "ok"
            views.update(scored.views)
        return views

    views = asyncio.run(run())
    expected = dict(zip(batch["account_id"].to_pylist(), batch["verdict"].to_pylist(), strict=True))
    assert {a: v["verdict"] for a, v in views.items()} == expected
    need = cal.block_evidence.min_requests
    held = [r for r in batch.to_pylist() if r["score"] >= cal.thresholds["block"]]
    assert {r["verdict"] for r in held if r["requests"] < need} == {"restrict"}
    assert {r["verdict"] for r in held if r["requests"] >= need} == {"block"}
