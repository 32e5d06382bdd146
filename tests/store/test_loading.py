"""Loading: the scan orchestrates read (ingest) → signals → store → profiles; the store
only keeps what it is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.errors import DistillguardError
from distillguard.ingest import iter_event_batches, write_events
from distillguard.signals import EventBatch
from distillguard.store.duckdb import Store
from distillguard.store.loading import load_logs
from tests.campaigns.test_detect import traffic


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("load") / "events.parquet"
    write_events(traffic(), path)
    return path


def test_load_logs_fills_the_store_and_its_profiles(events: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "a.duckdb") as a:
        report = load_logs(a, [events])
        again = load_logs(a, [events])
        profiles_a = a.profile_table()
        n = a.count_events()
    assert report.inserted == n == traffic().num_rows
    assert report.touched_account_days > 0
    assert (again.inserted, again.duplicates) == (0, n)
    # The store's own ``load`` is the same thing.
    with Store(tmp_path / "b.duckdb") as b:
        b.load([events])
        assert b.profile_table().equals(profiles_a)


def test_the_store_keeps_signals_it_is_given_and_computes_none(
    events: Path, tmp_path: Path
) -> None:
    chunk, _ = next(iter(iter_event_batches(events)))
    with Store(tmp_path / "s.duckdb") as s:
        with pytest.raises(DistillguardError, match="lacks the signal column"), s.loading() as load:
            load.add(EventBatch(chunk), {}, str(events))
        # Nothing of a failed load is kept.
        assert s.count_events() == 0
