"""Online account profiles: the batch profile parts, folded one event at a time.

The batch store defines every per account-day part once, in
:data:`distillguard.ingest.store.PART_SPEC` (column, SQL aggregate, merge).  The
gateway cannot run DuckDB per request, so this module states each part's
*per-event contribution* once, in Python, under the same column names:
``count(*) FILTER (WHERE x)`` contributes 1 when ``x`` holds, ``sum(y)``
contributes ``y``, ``min``/``max`` contribute the value.  Folding contributions
with each column's merge function gives exactly the batch part; the test suite
folds simulated events one at a time and compares every column with the store.

Import fails loudly (:class:`OnlineSpecError`) when ``PART_SPEC`` or
``KEY_SPEC`` gain a column this module does not know, so batch and live cannot
drift silently.

The gap columns depend on the account-day's previous event; a state backend
swaps the day's ``last_ts`` atomically and calls :func:`gap_parts` with what it
got back (several gateway replicas may fold into one account at once).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pyarrow as pa

from distillguard.errors import DistillguardError
from distillguard.ingest.store import COT_KEY_KINDS, KEY_SPEC, PART_SPEC
from distillguard.schema import EVENT_SCHEMA, TIMESTAMP_TYPE
from distillguard.signals import EventBatch, Signal, available, create


class OnlineSpecError(DistillguardError):
    """``PART_SPEC``/``KEY_SPEC`` and the online contributions disagree (a bug)."""


Event = Mapping[str, Any]

#: Merge function of every part column, straight from the batch spec.
MERGES: Final[dict[str, str]] = {name: merge for name, _, merge in PART_SPEC}
PART_COLUMNS: Final[tuple[str, ...]] = tuple(MERGES)
#: Parts that need the previous event of the same account-day.
GAP_COLUMNS: Final = ("gap_n", "gap_sum", "gap_sq_sum", "gap_log_sum")
#: Parts kept as microseconds since the epoch and merged with min/max.
TS_COLUMNS: Final = ("first_ts", "last_ts")


def _true(value: Any) -> float:
    # SQL FILTER keeps a row only when the condition is TRUE (NULL drops it).
    return 1.0 if value is True else 0.0


def _num(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _hour(event: Event) -> int:
    ts: dt.datetime = event["ts"]
    return ts.astimezone(dt.UTC).hour


def _hour_part(h: int) -> Callable[[Event], float]:
    return lambda e: 1.0 if _hour(e) == h else 0.0


#: Contribution of one event (with its signal columns and the derived
#: ``system_text``/``n_assistant``) to each summed part column.  Mirrors the SQL
#: expression of the same name in ``PART_SPEC``.
CONTRIB: Final[dict[str, Callable[[Event], float]]] = {
    "n": lambda e: 1.0,
    "n_ok": lambda e: 1.0 if e.get("status") is None or e["status"] < 400 else 0.0,
    "prompt_tokens": lambda e: _num(e.get("prompt_tokens")),
    "completion_tokens": lambda e: _num(e.get("completion_tokens")),
    "reasoning_tokens": lambda e: _num(e.get("reasoning_tokens")),
    "cot_n": lambda e: (
        _true(e.get("cot_elicitation")) if e.get("benchmark_match") is False else 0.0
    ),
    "cot_score_sum": lambda e: _num(e.get("cot_elicitation_score")),
    "cap_coding": lambda e: 1.0 if e.get("capability") == "coding" else 0.0,
    "cap_math": lambda e: 1.0 if e.get("capability") == "math" else 0.0,
    "cap_reasoning": lambda e: 1.0 if e.get("capability") == "reasoning" else 0.0,
    "cap_agentic": lambda e: 1.0 if e.get("capability") == "agentic" else 0.0,
    "cap_writing": lambda e: 1.0 if e.get("capability") == "writing" else 0.0,
    "p_n_gt1": lambda e: _true(e.get("param_n_gt1")),
    "p_logprobs": lambda e: _true(e.get("param_logprobs")),
    "p_logit_bias": lambda e: _true(e.get("param_logit_bias")),
    "p_high_effort": lambda e: _true(e.get("param_high_effort")),
    "p_large_max_tokens": lambda e: _true(e.get("param_large_max_tokens")),
    "harvest_score_sum": lambda e: _num(e.get("harvest_params_score")),
    "bench_n": lambda e: _true(e.get("benchmark_match")),
    "followup_n": lambda e: 1.0 if (e.get("n_assistant") or 0) > 0 else 0.0,
    "system_n": lambda e: 1.0 if (e.get("system_text") or "") != "" else 0.0,
    "conv_n": lambda e: 1.0 if e.get("conversation_id") is not None else 0.0,
    **{f"h{h:02d}": _hour_part(h) for h in range(24)},
}

#: Key multisets: kind → event column (``KEY_SPEC`` expressions are plain columns).
KEY_COLUMNS: Final[dict[str, str]] = dict(KEY_SPEC)


def _check_spec() -> None:
    known = set(CONTRIB) | set(GAP_COLUMNS) | set(TS_COLUMNS)
    missing = [c for c in PART_COLUMNS if c not in known]
    extra = sorted(set(CONTRIB) - set(PART_COLUMNS))
    if missing or extra:
        raise OnlineSpecError(
            f"online contributions out of step with PART_SPEC: missing {missing}, extra {extra}"
        )
    for kind, expr in KEY_COLUMNS.items():
        if not expr.isidentifier():
            raise OnlineSpecError(f"KEY_SPEC[{kind!r}] is not a plain column: {expr!r}")
    for c in (*GAP_COLUMNS, *TS_COLUMNS):
        if c not in MERGES:
            raise OnlineSpecError(f"PART_SPEC lost column {c!r}")


_check_spec()


def gap_parts(prev_us: float | None, ts_us: float) -> dict[str, float]:
    """Gap contributions of an event whose account-day's previous event was at ``prev_us``.

    Mirrors ``epoch(ts - lag(ts))`` and the ``gap_*`` sums (``ln(gap + 1)``).
    """
    if prev_us is None:
        return {}
    # An event older than the day's latest (replicas, concurrent clients, a replay with
    # several requests in flight) would need its neighbours to split a gap exactly; we
    # keep only ``last_ts``, so it counts as a gap of zero: ``gap_n`` stays exact and the
    # sums move by at most the reordering (milliseconds).  In-order folds are exact.
    gap = max(0.0, (ts_us - prev_us) / 1e6)
    return {"gap_n": 1.0, "gap_sum": gap, "gap_sq_sum": gap * gap, "gap_log_sum": math.log(gap + 1)}


def ts_us(ts: dt.datetime) -> int:
    """Microseconds since the epoch (the resolution of the event schema)."""
    delta = ts.astimezone(dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: float) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(us))


@dataclass(frozen=True)
class FoldItem:
    """One event's contribution to its account-day, ready for a state backend."""

    account_id: str
    day: str
    ts_us: int
    sums: dict[str, float]
    keys: tuple[tuple[str, str], ...]
    attrs: dict[str, str] = field(default_factory=dict)


def fold_item(event: Event) -> FoldItem:
    """The contribution of one event with its signal columns (see :func:`signal_rows`)."""
    ts: dt.datetime = event["ts"]
    sums = {name: fn(event) for name, fn in CONTRIB.items()}
    keys = tuple(
        (kind, str(event[col])) for kind, col in KEY_COLUMNS.items() if event.get(col) is not None
    )
    if sums["cot_n"]:
        # Mirrors the store's ``cot_<kind>`` keys (``COT_CONDITION`` is what cot_n counts).
        keys += tuple((f"cot_{kind}", key) for kind, key in keys if kind in COT_KEY_KINDS)
    attrs: dict[str, str] = {}
    if event.get("account_tier") is not None:
        attrs["tier"] = str(event["account_tier"])
    if event.get("org_id") is not None:
        attrs["org_id"] = str(event["org_id"])
    created = event.get("account_created_at")
    if isinstance(created, dt.datetime):
        attrs["created_us"] = str(ts_us(created))
    return FoldItem(
        account_id=str(event["account_id"]),
        day=ts.astimezone(dt.UTC).date().isoformat(),
        ts_us=ts_us(ts),
        sums=sums,
        keys=keys,
        attrs=attrs,
    )


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


@dataclass
class RawProfile:
    """What a backend stores for one account: per-day parts, per-day key counts, attributes."""

    days: dict[str, dict[str, float]] = field(default_factory=dict)
    keys: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)
    attrs: dict[str, str] = field(default_factory=dict)


def apply_fold(raw: RawProfile, item: FoldItem) -> None:
    """Fold ``item`` into ``raw`` in place (the in-memory backend's whole fold)."""
    day = raw.days.setdefault(item.day, {})
    prev = day.get("last_ts")
    day["last_ts"] = max(prev, item.ts_us) if prev is not None else float(item.ts_us)
    first = day.get("first_ts")
    day["first_ts"] = min(first, item.ts_us) if first is not None else float(item.ts_us)
    for name, value in (*item.sums.items(), *gap_parts(prev, item.ts_us).items()):
        day[name] = day.get(name, 0.0) + value
    kd = raw.keys.setdefault(item.day, {})
    for k in item.keys:
        kd[k] = kd.get(k, 0.0) + 1.0
    raw.attrs.update(item.attrs)


def prune_days(raw: RawProfile, first_day: str | None) -> list[str]:
    """Drop days before ``first_day`` (ISO date); return the dropped days."""
    if first_day is None:
        return []
    old = [d for d in raw.days if d < first_day]
    for d in old:
        raw.days.pop(d, None)
        raw.keys.pop(d, None)
    return old


#: Key statistics the batch profile computes from ``profile_keys``.
_TOP_KINDS: Final = {"top_prefix_n": "prefix", "top_suffix_n": "suffix", "top_system_n": "system"}
_TOP_COT_KINDS: Final = {f"top_{kind}_cot_n": kind for kind in COT_KEY_KINDS}
_DISTINCT_KINDS: Final = {
    "distinct_prefixes": "prefix",
    "distinct_ips": "ip",
    "distinct_user_agents": "user_agent",
    "distinct_api_keys": "api_key",
    "distinct_models": "model",
}


def merge_profile(account_id: str, raw: RawProfile) -> dict[str, Any]:
    """One profile row, as ``Store.profile_table`` computes it, from the raw parts."""
    row: dict[str, Any] = {"account_id": account_id, "active_days": len(raw.days)}
    for name in PART_COLUMNS:
        merge = MERGES[name]
        values = [d[name] for d in raw.days.values() if name in d]
        if name in TS_COLUMNS:
            v = (min(values) if merge == "min" else max(values)) if values else None
            row[name] = from_us(v) if v is not None else None
        else:
            row[name] = float(sum(values))
    totals: dict[tuple[str, str], float] = {}
    for kd in raw.keys.values():
        for k, n in kd.items():
            totals[k] = totals.get(k, 0.0) + n
    by_kind: dict[str, list[float]] = {}
    for (kind, _), n in totals.items():
        by_kind.setdefault(kind, []).append(n)
    for col, kind in _TOP_KINDS.items():
        row[col] = max(by_kind[kind]) if kind in by_kind else None
    # Among each kind's most used keys (ties), the most chain-of-thought requests.
    tops = {k: row[f"top_{k}_n"] for k in COT_KEY_KINDS}
    top_cot: dict[str, float] = {}
    for (kind, key), n in totals.items():
        if tops.get(kind) == n:
            c = totals.get((f"cot_{kind}", key), 0.0)
            top_cot[kind] = max(top_cot.get(kind, 0.0), c)
    for col, kind in _TOP_COT_KINDS.items():
        row[col] = top_cot.get(kind)
    for col, kind in _DISTINCT_KINDS.items():
        row[col] = len(by_kind.get(kind, ()))
    row["tier"] = raw.attrs.get("tier")
    row["org_id"] = raw.attrs.get("org_id")
    created = raw.attrs.get("created_us")
    row["account_created_at"] = from_us(float(created)) if created else None
    return row


def profiles_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Profile rows as an Arrow table with the types ``Store.profile_table`` returns."""
    rows = list(rows)
    fields: list[pa.Field] = [
        pa.field("account_id", pa.string()),
        pa.field("active_days", pa.int64()),
    ]
    for name in PART_COLUMNS:
        fields.append(pa.field(name, TIMESTAMP_TYPE if name in TS_COLUMNS else pa.float64()))
    fields += [pa.field(c, pa.float64()) for c in _TOP_KINDS]
    fields += [pa.field(c, pa.float64()) for c in _TOP_COT_KINDS]
    fields += [pa.field(c, pa.int64()) for c in _DISTINCT_KINDS]
    fields += [
        pa.field("tier", pa.string()),
        pa.field("org_id", pa.string()),
        pa.field("account_created_at", TIMESTAMP_TYPE),
    ]
    schema = pa.schema(fields)
    return pa.Table.from_pylist(
        [{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema
    )
