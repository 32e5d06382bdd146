"""The DuckDB store: idempotent, incremental, atomic loads and mergeable profile parts."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from distillguard.errors import InputError
from distillguard.store.duckdb import Store
from distillguard_lab.sim.corpus import Corpus
from distillguard_lab.sim.pools import Pools
from distillguard_lab.sim.scenario import load_scenario
from distillguard_lab.sim.simulator import simulate

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def days(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A small simulated week split into (all, first half, second half) files."""
    events = simulate(
        load_scenario("standard"), Pools.from_table(corpus.table), seed=21, events=6000
    ).events
    d = tmp_path_factory.mktemp("days")
    cut = pa.scalar(
        events.column("ts")[events.num_rows // 2].as_py(), events.schema.field("ts").type
    )
    # Split on a day boundary so each account-day lies in exactly one file.
    day = pc.floor_temporal(events.column("ts"), unit="day")
    cut_day = pc.floor_temporal(
        pa.array([cut.as_py()], events.schema.field("ts").type), unit="day"
    )[0]
    first = events.filter(pc.less(day, cut_day))
    second = events.filter(pc.greater_equal(day, cut_day))
    paths = (d / "all.parquet", d / "first.parquet", d / "second.parquet")
    for table, path in zip((events, first, second), paths, strict=True):
        pq.write_table(table, path)
    return paths


def profile_rows(store: Store) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = store.profile_table().to_pylist()
    return rows


def test_load_is_idempotent(days: tuple[Path, Path, Path], tmp_path: Path) -> None:
    all_, _, _ = days
    with Store(tmp_path / "s.duckdb") as s:
        r1 = s.load([all_])
        assert r1.inserted == 6000
        before = profile_rows(s)
        r2 = s.load([all_])
        assert (r2.inserted, r2.duplicates) == (0, 6000)
        assert s.count_events() == 6000
        assert profile_rows(s) == before


def test_incremental_loads_merge_to_the_same_profiles(
    days: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    all_, first, second = days
    with Store(tmp_path / "once.duckdb") as s:
        s.load([all_])
        once = profile_rows(s)
    with Store(tmp_path / "twice.duckdb") as s:
        s.load([first])
        s.load([second])
        twice = profile_rows(s)
    assert len(once) == len(twice) > 100
    for a, b in zip(once, twice, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], float):
                # Sums of floats depend on the order DuckDB adds them in.
                assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-9), key
            else:
                assert a[key] == b[key], key


def test_store_survives_reopening(days: tuple[Path, Path, Path], tmp_path: Path) -> None:
    all_, _, _ = days
    with Store(tmp_path / "s.duckdb") as s:
        s.load([all_])
    with Store(tmp_path / "s.duckdb") as s:
        assert s.count_events() == 6000


def test_failed_load_leaves_the_store_as_it_was(
    days: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, first, second = days
    broken = tmp_path / "broken.parquet"
    data = second.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    with Store(tmp_path / "s.duckdb") as s:
        s.load([first])
        n, before = s.count_events(), profile_rows(s)
        with pytest.raises(InputError) as info:
            s.load([second, broken])
        assert str(broken) in str(info.value)
        assert s.count_events() == n
        assert profile_rows(s) == before


def test_bad_rows_are_quarantined_and_recorded(tmp_path: Path) -> None:
    good = {
        "event_id": "e1",
        "ts": "2026-03-02T10:00:00Z",
        "account_id": "a1",
        "model": "m",
        "messages": [{"role": "user", "content": "Write a Python function that reverses a list."}],
    }
    rows = [
        good,
        {**good, "event_id": "e2", "ts": "not a time"},
        {**good, "event_id": "e3", "account_id": ""},
    ]
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as s:
        report = s.load([log])
        assert report.inserted == 1
        assert [(q.row, q.field) for q in report.quarantined] == [(2, "ts"), (3, "account_id")]
        stored = s.con.execute("SELECT row, field FROM quarantine ORDER BY row").fetchall()
        assert stored == [(2, "ts"), (3, "account_id")]


def test_profiles_hold_signals_and_keys(days: tuple[Path, Path, Path], tmp_path: Path) -> None:
    all_, _, _ = days
    with Store(tmp_path / "s.duckdb") as s:
        s.load([all_])
        prof = s.profile_table()
    assert pc.sum(prof.column("n")).as_py() == 6000
    for col in (
        "cot_n",
        "cap_coding",
        "bench_n",
        "top_prefix_n",
        "distinct_ips",
        "gap_n",
        "h00",
        "first_ts",
    ):
        assert col in prof.column_names
    assert pc.sum(prof.column("cot_n")).as_py() > 0


def test_a_directory_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory"):
        Store(tmp_path).connect()


def test_top_template_cot_counts_match_the_events(
    days: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    all_, _, _ = days
    with Store(tmp_path / "s.duckdb") as s:
        s.load([all_])
        prof = {r["account_id"]: r for r in s.profile_table().to_pylist()}
        # Straight from the events: flagged requests inside each account's most used
        # prefix (the largest such count where several prefixes tie).
        direct = s.con.execute(
            """
            WITH per AS (
                SELECT account_id, template_prefix, count(*) AS n,
                       count(*) FILTER (WHERE cot_elicitation AND NOT benchmark_match) AS c
                FROM events WHERE template_prefix IS NOT NULL GROUP BY ALL
            ),
            top AS (SELECT * FROM per QUALIFY n = max(n) OVER (PARTITION BY account_id))
            SELECT account_id, max(c) FROM top GROUP BY account_id
            """
        ).fetchall()
    assert direct
    assert {a: prof[a]["top_prefix_cot_n"] for a, _ in direct} == {a: float(c) for a, c in direct}
    assert any(c > 0 for _, c in direct)


def test_a_version_2_store_gains_the_template_cot_keys(
    days: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    all_, _, _ = days
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.load([all_])
        before = profile_rows(s)
        # What a store written by the previous version holds.
        s.con.execute("DELETE FROM profile_keys WHERE kind LIKE 'cot_%'").fetchall()
        s.con.execute("UPDATE meta SET value = '2' WHERE key = 'store_version'").fetchall()
    with Store(path) as s:
        version = s.con.execute("SELECT value FROM meta WHERE key = 'store_version'").fetchall()
        assert version == [("3",)]
        after = profile_rows(s)
    # Rebuilt from the events: sums may differ in the last bits (parallel aggregation).
    assert len(after) == len(before)
    for a, b in zip(after, before, strict=True):
        assert a.keys() == b.keys()
        assert a == {k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v
                     for k, v in b.items()}  # fmt: skip


def test_a_store_older_than_a_signal_is_refused_by_name(
    days: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, first, _ = days
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.load([first])
        # What a store written before the signal's column existed holds.
        s.con.execute("ALTER TABLE events DROP COLUMN param_logit_bias").fetchall()
    with pytest.raises(InputError, match="param_logit_bias") as err:
        Store(path).connect()
    assert err.value.path == str(path)
    assert "new store" in str(err.value)
