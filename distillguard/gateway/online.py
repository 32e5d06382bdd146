"""Online account profiles: every signal run on live events, folded by the profile spec.

The parts of a profile, how one event contributes to them and how stored parts
merge are declared once, in :mod:`distillguard.profiles` (the batch store compiles
the same declarations to SQL).  This module adds what only the gateway needs:
:class:`SignalRunner`, which gives a micro-batch of live events the signal columns
(and ``system_text``/``n_assistant``) that the parts read, with the batch code.
Folding (:func:`fold_item`), storing (``gateway/state.py``,
``gateway/redis_state.py``) and merging (:func:`merge_profile`,
:func:`profiles_table`) come from :mod:`distillguard.profiles.fold`;
``tests/profiles`` folds random event streams through every backend and the store
and demands the same profiles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from distillguard.profiles.fold import (
    FoldItem,
    RawProfile,
    apply_fold,
    fold_item,
    from_us,
    merge_profile,
    profiles_table,
    prune_days,
    ts_us,
)
from distillguard.schema import EVENT_SCHEMA
from distillguard.signals import EventBatch, Signal, available, create

__all__ = [
    "Event",
    "FoldItem",
    "RawProfile",
    "SignalRunner",
    "apply_fold",
    "fold_item",
    "from_us",
    "merge_profile",
    "profiles_table",
    "prune_days",
    "ts_us",
]

Event = Mapping[str, Any]


class SignalRunner:
    """Every registered signal, run over a micro-batch of events with the batch code."""

    def __init__(self, names: Sequence[str] | None = None) -> None:
        self.signals: list[Signal] = [create(n) for n in (names or available())]

    def rows(self, events: Sequence[Event]) -> list[dict[str, Any]]:
        """``events`` with every signal column plus ``system_text`` and ``n_assistant``.

        One :class:`EventBatch` for the whole micro-batch: exactly what
        ``Signal.compute_one`` does for one event, without paying the Arrow set-up
        once per signal per request.
        """
        if not events:
            return []
        table = pa.Table.from_pylist(
            [{f.name: ev.get(f.name) for f in EVENT_SCHEMA} for ev in events], schema=EVENT_SCHEMA
        )
        eb = EventBatch(table)
        cols: dict[str, list[Any]] = {
            "system_text": eb.system_text.to_pylist(),
            "n_assistant": eb.n_assistant.to_pylist(),
        }
        for sig in self.signals:
            out = sig.compute(eb)
            for f in sig.outputs:
                cols[f.name] = out[f.name].to_pylist()
        result = []
        for i, ev in enumerate(events):
            row = dict(ev)
            for name, values in cols.items():
                row[name] = values[i]
            result.append(row)
        return result

    @property
    def signal_columns(self) -> list[str]:
        return [f.name for s in self.signals for f in s.outputs]
