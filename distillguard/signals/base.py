"""Request-level signals: one definition, used by the batch scan and the live gateway.

A signal is a pure function of one event.  It is *written* over a batch of events
(Arrow columns, so a million events take seconds, not minutes), and the gateway
calls the very same code on a batch of one (:meth:`Signal.compute_one`): the batch
and live paths cannot drift.

Signals are dataclasses whose fields are their settings (thresholds, patterns), in
the pySigma manner, registered under a stable snake_case ``name``.  ``__init__``
only stores settings; heavy state (compiled patterns, lookup tables) is built
lazily on first use, as in river.

Direction: every score column a signal emits is in [0, 1] and **high means more
suspicious of harvesting** — except where a signal says otherwise in its
``outputs`` description (``benchmark_match`` is evidence of *legitimate* evaluation
traffic; it is reported so scoring can weigh it, not as an accusation).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import DistillguardError
from distillguard.schema import EVENT_SCHEMA

S = TypeVar("S", bound="type[Signal]")

#: Registered signal classes by name, in registration order.
REGISTRY: dict[str, type[Signal]] = {}


class EventBatch:
    """A batch of events in the canonical schema, with derived columns computed once.

    Signals share these (the last user message, the system prompt, turn counts), so
    each derived column is computed once per batch however many signals use it.
    """

    def __init__(self, table: pa.Table | pa.RecordBatch) -> None:
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        self.table = table

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> EventBatch:
        """A batch of one event given as a dict (the gateway path)."""
        row = {f.name: event.get(f.name) for f in EVENT_SCHEMA}
        return cls(pa.Table.from_pylist([row], schema=EVENT_SCHEMA))

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def column(self, name: str) -> pa.ChunkedArray:
        if name in self.table.column_names:
            return self.table.column(name)
        if name in EVENT_SCHEMA.names:
            return pa.chunked_array([pa.nulls(len(self), EVENT_SCHEMA.field(name).type)])
        raise DistillguardError(f"event batch has no column {name!r}")

    def _messages_flat(self) -> tuple[pa.Array, pa.Array, pa.Array]:
        msgs = self.column("messages").combine_chunks()
        if isinstance(msgs, pa.ChunkedArray):  # pragma: no cover - older pyarrow
            msgs = msgs.combine_chunks()
        offsets = msgs.offsets
        flat = msgs.flatten()
        return offsets, flat.field("role"), flat.field("content")

    def _last_of_role(self, role: str) -> pa.Array:
        """Content of the last message with ``role`` per row (null when none)."""
        import numpy as np

        offsets, roles, contents = self._messages_flat()
        n = len(self)
        if len(roles) == 0:
            return pa.nulls(n, pa.string())
        is_role = pc.equal(roles, role).to_numpy(zero_copy_only=False)
        is_role = np.nan_to_num(is_role.astype(float)).astype(bool)
        idx = np.arange(len(roles))
        cand = np.where(is_role, idx, -1)
        # Last matching position within each row's slice of the flat message array.
        off = offsets.to_numpy(zero_copy_only=False)
        last = np.full(n, -1, dtype=np.int64)
        nonempty = off[1:] > off[:-1]
        if nonempty.any():
            running = np.maximum.accumulate(cand)
            ends = off[1:][nonempty] - 1
            picked = running[ends]
            picked[picked < off[:-1][nonempty]] = -1
            last[nonempty] = picked
        take = pa.array(np.where(last >= 0, last, 0))
        out = contents.take(take)
        return pc.if_else(pa.array(last >= 0), out, pa.nulls(n, pa.string()))

    @cached_property
    def user_text(self) -> pa.Array:
        """The text the request asks about: the last user message, else ``prompt``."""
        last = self._last_of_role("user")
        prompt = self.column("prompt").combine_chunks()
        return pc.coalesce(last, prompt.cast(pa.string()), pa.scalar("", pa.string()))

    @cached_property
    def system_text(self) -> pa.Array:
        """The last system (or developer) message, or empty."""
        sys_ = self._last_of_role("system")
        dev = self._last_of_role("developer")
        return pc.coalesce(sys_, dev, pa.scalar("", pa.string()))

    @cached_property
    def n_assistant(self) -> pa.Array:
        """Assistant messages resent as history (0 for a first turn)."""
        return self._count_role("assistant")

    @cached_property
    def n_user(self) -> pa.Array:
        return self._count_role("user")

    def _count_role(self, role: str) -> pa.Array:
        import numpy as np

        offsets, roles, _ = self._messages_flat()
        if len(roles) == 0:
            return pa.array(np.zeros(len(self), dtype=np.int64))
        is_role = pc.equal(roles, role).to_numpy(zero_copy_only=False).astype(np.int64)
        csum = np.concatenate([[0], np.cumsum(is_role)])
        off = offsets.to_numpy(zero_copy_only=False)
        return pa.array(csum[off[1:]] - csum[off[:-1]])

    def param(self, name: str) -> pa.Array:
        """One request parameter as an array (nulls where not sent)."""
        params = self.column("params").combine_chunks()
        # StructArray.field ignores the struct's own validity: a request without
        # params would read as 0/false/"" instead of null.
        return pc.struct_field(params, name)


@dataclass
class Signal(ABC):
    """A request-level signal.  Subclasses are dataclasses; fields are settings.

    Class attributes every signal sets:

    - ``name``: stable snake_case id (a column prefix and the registry key);
    - ``outputs``: the columns :meth:`compute` returns, as Arrow fields whose
      metadata ``description`` says what they mean and which direction is suspicious;
    - ``description``: one line for docs and ``distillguard signals --list``.
    """

    name: ClassVar[str]
    outputs: ClassVar[tuple[pa.Field, ...]]
    description: ClassVar[str]

    @abstractmethod
    def compute(self, batch: EventBatch) -> dict[str, pa.Array]:
        """Output columns for every event of ``batch``, each of ``len(batch)`` rows."""

    def compute_one(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The same computation for a single event given as a dict (the gateway path)."""
        out = self.compute(EventBatch.from_event(event))
        return {k: v[0].as_py() for k, v in out.items()}


def register(cls: S) -> S:
    """Class decorator: add a signal to :data:`REGISTRY` under its ``name``."""
    name = cls.name
    if not name.isidentifier() or name != name.lower():
        raise ValueError(f"signal name {name!r} must be snake_case")
    if name in REGISTRY and REGISTRY[name] is not cls:
        raise ValueError(f"signal {name!r} registered twice")
    REGISTRY[name] = cls
    return cls


def available() -> list[str]:
    """Names of every registered signal."""
    from distillguard import signals as _load  # noqa: F401  (registers the built-ins)

    return list(REGISTRY)


def create(name: str, **settings: Any) -> Signal:
    """An instance of the signal registered as ``name``."""
    available()
    try:
        cls = REGISTRY[name]
    except KeyError as exc:
        raise DistillguardError(
            f"unknown signal {name!r} (known: {', '.join(REGISTRY)})", field="signal"
        ) from exc
    return cls(**settings)


def compute_signals(
    table: pa.Table, names: Sequence[str] | None = None, *, batch_rows: int = 200_000
) -> pa.Table:
    """Every event's signal values: ``event_id``, ``account_id``, then each signal's columns."""
    sigs = [create(n) for n in (names or available())]
    parts: list[pa.Table] = []
    for batch in table.to_batches(max_chunksize=batch_rows) or [table]:
        eb = EventBatch(batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch]))
        cols: dict[str, pa.Array] = {
            "event_id": eb.column("event_id").combine_chunks(),
            "account_id": eb.column("account_id").combine_chunks(),
        }
        for sig in sigs:
            out = sig.compute(eb)
            for f in sig.outputs:
                cols[f.name] = out[f.name]
        parts.append(pa.table(cols))
    if not parts:
        return pa.table(
            {"event_id": pa.array([], pa.string()), "account_id": pa.array([], pa.string())}
        )
    return pa.concat_tables(parts)
