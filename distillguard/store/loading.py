"""Loading logs into a store: read and validate, compute every signal, store.

The one place where the layers below the store meet: ingest reads and validates
rows (bad ones quarantined), the signals compute each request's columns, and the
store keeps the events and recomputes the profile parts of the account-days the
load touched.  :func:`load_logs` is what ``scan`` and :meth:`Store.load
<distillguard.store.duckdb.Store.load>` run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from distillguard.ingest import iter_event_batches
from distillguard.signals import EventBatch, Signal, available, create

if TYPE_CHECKING:
    from distillguard.store.duckdb import LoadReport, Store


def signal_columns(signals: Sequence[Signal], batch: EventBatch) -> dict[str, pa.Array]:
    """Every output column of ``signals`` over ``batch`` (sharing its derived columns)."""
    cols: dict[str, pa.Array] = {}
    for sig in signals:
        out = sig.compute(batch)
        for f in sig.outputs:
            cols[f.name] = out[f.name]
    return cols


def load_logs(
    store: Store,
    inputs: Sequence[str | Path],
    *,
    fmt: str | None = None,
    on_progress: Callable[[str, int], None] | None = None,
) -> LoadReport:
    """Load log files into ``store`` in one transaction, batch by batch: read and
    validate (ingest; bad rows quarantined), compute every registered signal, store
    the new events; then the store recomputes the profile parts of the account-days
    the load touched.  Idempotent and incremental (see :mod:`distillguard.store.duckdb`).
    """
    signals = [create(n) for n in available()]
    with store.loading() as load:
        for path in inputs:
            good = inserted = bad = 0
            for chunk, quarantined in iter_event_batches(path, fmt=fmt):
                load.quarantine(quarantined)
                bad += len(quarantined)
                if chunk.num_rows == 0:
                    continue
                good += chunk.num_rows
                batch = EventBatch(chunk)
                inserted += load.add(batch, signal_columns(signals, batch), str(path))
                if on_progress is not None:
                    on_progress(str(path), chunk.num_rows + len(quarantined))
            load.file_loaded(str(path), good=good, inserted=inserted, quarantined=bad)
    return load.report
