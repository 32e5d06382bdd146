"""A profile spec compiled for the gateway: fold one event at a time, merge what is stored.

The gateway cannot run DuckDB per request.  From the same declarations the store
compiles to SQL (:mod:`.sql`), this module derives:

- :func:`fold_item`: one event's contribution to its account-day, by merge rule
  (``sums`` to add, ``mins``/``maxs`` to compare, ``latest`` picks, key counts),
  each part's expression evaluated with SQL's semantics (:func:`compile_expr`);
- :meth:`FoldItem.gap_sums`: the change an event makes to the parts that read
  ``gap_s`` once the backend knows its neighbours in the day (the stored event
  just before and just after it).  An event that lands between two others splits
  their gap in two, so folds in any order give exactly the batch parts;
- :func:`apply_fold`: the whole fold on a :class:`RawProfile` in memory (the Redis
  backend does the same with a script, see ``gateway/redis_state.py``);
- :func:`merge_profile` / :func:`profiles_table`: a stored raw profile merged over
  its days into the row ``Store.profile_table`` gives for the same events.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import pyarrow as pa

from distillguard.profiles.expr import (
    GAP_COLUMN,
    Cmp,
    Col,
    Expr,
    Flag,
    Func,
    IsNull,
    Lit,
    Logic,
    Not,
)
from distillguard.profiles.parts import PROFILE
from distillguard.profiles.spec import (
    Count,
    DistinctCount,
    Latest,
    Max,
    Min,
    Part,
    ProfileSpec,
    Sum,
    TopCount,
    TopCountIn,
)
from distillguard.schema import TIMESTAMP_TYPE

Row = Mapping[str, Any]
Compiled = Callable[[Row], Any]
#: A :class:`~.spec.Latest` part's stored value: (microseconds of ``at``, text).
Pick = tuple[int, str]

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_DAY_US: Final = 86_400_000_000
_OPS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "=": operator.eq, "<>": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def ts_us(ts: dt.datetime) -> int:
    """Microseconds since the epoch (the resolution of the event schema)."""
    delta = ts.astimezone(dt.UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: float) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=int(us))


def day_bounds_us(day: str) -> tuple[int, int]:
    """``[start, end)`` of a UTC day (ISO date) in microseconds."""
    start = ts_us(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC))
    return start, start + _DAY_US


def key_text(value: Any) -> str:
    """A key as ``CAST(value AS VARCHAR)`` writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------- expressions
def compile_expr(e: Expr) -> Compiled:
    """A function of one event row computing ``e`` with SQL's semantics (None is NULL)."""
    match e:
        case Col(name):
            return lambda row: row.get(name)
        case Lit(value):
            return lambda row: value
        case Cmp(op, left, right):
            f, g, fn = compile_expr(left), compile_expr(right), _OPS[op]

            def cmp(row: Row) -> bool | None:
                a = f(row)
                if a is None:
                    return None
                b = g(row)
                return None if b is None else fn(a, b)

            return cmp
        case IsNull(arg, negate):
            f = compile_expr(arg)
            if negate:
                return lambda row: f(row) is not None
            return lambda row: f(row) is None
        case Flag(arg):
            f = compile_expr(arg)
            return lambda row: None if (v := f(row)) is None else bool(v)
        case Not(arg):
            f = compile_expr(arg)
            return lambda row: None if (v := f(row)) is None else not v
        case Logic(op, args):
            fs = [compile_expr(a) for a in args]
            # Three-valued: a decisive value wins over NULL.
            decisive = op == "OR"

            def logic(row: Row) -> bool | None:
                unknown = False
                for f in fs:
                    v = f(row)
                    if v is None:
                        unknown = True
                    elif bool(v) is decisive:
                        return decisive
                return None if unknown else not decisive

            return logic
        case Func(name, arg):
            f, func = compile_expr(arg), _FUNCS[name]
            return lambda row: None if (v := f(row)) is None else func(v)
    raise TypeError(f"cannot evaluate expression {e!r}")


_FUNCS: Final[dict[str, Callable[[Any], Any]]] = {
    "hour": lambda ts: ts.astimezone(dt.UTC).hour,
    "square": lambda x: x * x,
    "ln1p": lambda x: math.log(x + 1),
}


def _as_number(value: Any, timestamp: bool) -> float:
    if timestamp:
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a timestamp, got {value!r}")
        return float(ts_us(value))
    return float(value)


def _and(values: tuple[Any, ...]) -> bool | None:
    unknown = False
    for v in values:
        if v is None:
            unknown = True
        elif not v:
            return False
    return None if unknown else True


def _or(values: tuple[Any, ...]) -> bool | None:
    unknown = False
    for v in values:
        if v is None:
            unknown = True
        elif v:
            return True
    return None if unknown else False


_PY_OPS: Final = {"=": "==", "<>": "!="}


class _Codegen:
    """Python source computing many parts of one event, each subexpression once.

    The summed parts are most of a profile and many share a subexpression (24
    hour counters read the hour of ``ts``); one generated function evaluates each
    distinct node once, with the semantics of :func:`compile_expr`.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[Expr, str] = {}

    def visit(self, e: Expr) -> str:
        """The name of a local holding ``e``'s value (computed once)."""
        known = self.names.get(e)
        if known is not None:
            return known
        match e:
            case Col(name):
                code = f"get({name!r})"
            case Lit(value):
                code = repr(value)
            case Cmp(op, left, right):
                a, b = self.visit(left), self.visit(right)
                code = f"None if {a} is None or {b} is None else {a} {_PY_OPS.get(op, op)} {b}"
            case IsNull(arg, negate):
                code = f"{self.visit(arg)} is {'not ' if negate else ''}None"
            case Flag(arg):
                a = self.visit(arg)
                code = f"None if {a} is None else bool({a})"
            case Not(arg):
                a = self.visit(arg)
                code = f"None if {a} is None else not {a}"
            case Logic(op, args):
                code = f"_{op.lower()}(({''.join(self.visit(x) + ', ' for x in args)}))"
            case Func(name, arg):
                a = self.visit(arg)
                code = f"None if {a} is None else _{name}({a})"
            case _:
                raise TypeError(f"cannot evaluate expression {e!r}")
        var = self.names[e] = f"v{len(self.names)}"
        self.lines.append(f"    {var} = {code}")
        return var

    def sums(self, parts: Iterable[Count | Sum]) -> Callable[[Row], dict[str, float]]:
        items = []
        for part in parts:
            if isinstance(part, Count):
                w = None if part.where is None else self.visit(part.where)
                value = "1.0" if w is None else f"1.0 if {w} is True else 0.0"
                items.append(f"{part.name!r}: {value}")
            else:
                v = self.visit(part.value)
                value = f"0.0 if {v} is None else float({v})"
                if part.where is not None:
                    w = self.visit(part.where)
                    value = f"0.0 if {v} is None or {w} is not True else float({v})"
                items.append(f"{part.name!r}: {value}")
        ret = f"    return {{{', '.join(items)}}}"
        source = "\n".join(["def sums(row):", "    get = row.get", *self.lines, ret])
        scope: dict[str, Any] = {"_and": _and, "_or": _or}
        scope.update({f"_{k}": f for k, f in _FUNCS.items()})
        # Source written above from the spec's own expression trees, never from input.
        exec(compile(source, "<profile parts>", "exec"), scope)
        fn: Callable[[Row], dict[str, float]] = scope["sums"]
        return fn


# ---------------------------------------------------------------------- folding
@dataclass(frozen=True)
class FoldItem:
    """One event's contribution to its account-day, ready for a state backend.

    ``sums`` add, ``mins``/``maxs`` keep the extreme (timestamps as microseconds),
    ``latest`` keeps the greatest ``(at, value)`` pick, ``keys`` each count one.
    The parts in ``gap_parts`` are not in ``sums``: the backend finds the event's
    neighbours in its day's stored times and adds :meth:`gap_sums`.
    """

    account_id: str
    day: str
    ts_us: int
    sums: dict[str, float] = field(default_factory=dict)
    mins: dict[str, float] = field(default_factory=dict)
    maxs: dict[str, float] = field(default_factory=dict)
    latest: dict[str, Pick] = field(default_factory=dict)
    keys: tuple[tuple[str, str], ...] = ()
    gap_parts: tuple[Part, ...] = PROFILE.gap_parts

    def gap_sums(self, pred_us: float | None, succ_us: float | None) -> dict[str, float]:
        """What inserting this event between ``pred_us`` and ``succ_us`` adds to the gap parts.

        ``pred_us`` is the day's latest stored time at or before the event (equal
        times are one gap of zero), ``succ_us`` the earliest after it; None where
        there is none.  The event adds the gaps from ``pred`` and to ``succ`` and
        removes the one between them; deltas add up to the batch value whatever
        the order events are folded in.
        """
        added = []
        if pred_us is not None:
            added.append((self.ts_us - pred_us) / 1e6)
        if succ_us is not None:
            added.append((succ_us - self.ts_us) / 1e6)
        removed = (succ_us - pred_us) / 1e6 if pred_us is not None and succ_us is not None else None
        fn = _gap_function(self.gap_parts)
        out = dict.fromkeys((p.name for p in self.gap_parts), 0.0)
        for g in added:
            for name, v in fn({GAP_COLUMN: g}).items():
                out[name] += v
        if removed is not None:
            for name, v in fn({GAP_COLUMN: removed}).items():
                out[name] -= v
        return {name: v for name, v in out.items() if v}


_GAP_FNS: dict[int, tuple[tuple[Part, ...], Callable[[Row], dict[str, float]]]] = {}


def _gap_function(parts: tuple[Part, ...]) -> Callable[[Row], dict[str, float]]:
    """The gap parts' contributions of one gap (``{gap_s: g}``), compiled once per tuple."""
    hit = _GAP_FNS.get(id(parts))
    if hit is None or hit[0] is not parts:
        additive = [p for p in parts if isinstance(p, Count | Sum)]
        if len(additive) != len(parts):
            raise TypeError("gap parts must be counts or sums")
        hit = _GAP_FNS[id(parts)] = (parts, _Codegen().sums(additive))
    return hit[1]


class _Folder:
    """Every part, attribute and key kind of one spec, compiled to functions of an event."""

    def __init__(self, spec: ProfileSpec) -> None:
        gap = set(spec.gap_parts)
        self.gap_parts = spec.gap_parts
        sums: list[Count | Sum] = []
        self.extremes: list[tuple[str, bool, bool, Compiled]] = []  # name, is_min, ts, value
        self.latest: list[tuple[str, Compiled, Compiled]] = []
        for part in spec.day_parts:
            if part in gap:
                continue
            if isinstance(part, Count | Sum):
                sums.append(part)
            elif isinstance(part, Min | Max):
                is_ts = part.type == "timestamp"
                self.extremes.append(
                    (part.name, isinstance(part, Min), is_ts, compile_expr(part.value))
                )
            elif isinstance(part, Latest):
                self.latest.append((part.name, compile_expr(part.value), compile_expr(part.at)))
            else:  # pragma: no cover - every Part kind is handled above
                raise TypeError(f"cannot fold part {part!r}")
        self.sums = _Codegen().sums(sums)
        self.keys = [
            (k.name, compile_expr(k.value), None if k.where is None else compile_expr(k.where))
            for k in spec.keys
        ]

    def item(self, event: Row) -> FoldItem:
        ts: dt.datetime = event["ts"]
        mins: dict[str, float] = {}
        maxs: dict[str, float] = {}
        for name, is_min, is_ts, value in self.extremes:
            v = value(event)
            if v is not None:
                (mins if is_min else maxs)[name] = _as_number(v, is_ts)
        latest: dict[str, Pick] = {}
        for name, value, at in self.latest:
            v, t = value(event), at(event)
            if v is not None and t is not None:
                latest[name] = (ts_us(t), key_text(v))
        keys = []
        for kind, value, where in self.keys:
            v = value(event)
            if v is not None and (where is None or where(event) is True):
                keys.append((kind, key_text(v)))
        return FoldItem(
            account_id=str(event["account_id"]),
            day=ts.astimezone(dt.UTC).date().isoformat(),
            ts_us=ts_us(ts),
            sums=self.sums(event),
            mins=mins,
            maxs=maxs,
            latest=latest,
            keys=tuple(keys),
            gap_parts=self.gap_parts,
        )


_FOLDERS: dict[int, tuple[ProfileSpec, _Folder]] = {}


def _folder(spec: ProfileSpec) -> _Folder:
    hit = _FOLDERS.get(id(spec))
    if hit is None or hit[0] is not spec:
        hit = _FOLDERS[id(spec)] = (spec, _Folder(spec))
    return hit[1]


def fold_item(event: Row, spec: ProfileSpec = PROFILE) -> FoldItem:
    """The contribution of one event (with its signal columns, ``system_text`` and
    ``n_assistant``, as ``SignalRunner.rows`` gives them) to its account-day."""
    return _folder(spec).item(event)


@dataclass
class RawProfile:
    """What a backend stores for one account, by UTC day (ISO date).

    ``days``: summed and min/max parts (timestamps as microseconds); ``latest``:
    :class:`~.spec.Latest` picks; ``keys``: (kind, key) counts.  ``times`` (write
    side only, not returned by reads) holds each day's distinct event times, in
    order, for :meth:`FoldItem.gap_sums`.
    """

    days: dict[str, dict[str, float]] = field(default_factory=dict)
    latest: dict[str, dict[str, Pick]] = field(default_factory=dict)
    keys: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)
    times: dict[str, array[int]] = field(default_factory=dict)


def neighbours(times: array[int], t: int) -> tuple[int | None, int | None]:
    """The latest time ``<= t`` and the earliest ``> t`` in sorted ``times``."""
    i = bisect_right(times, t)
    return (times[i - 1] if i else None), (times[i] if i < len(times) else None)


def apply_fold(raw: RawProfile, item: FoldItem) -> None:
    """Fold ``item`` into ``raw`` in place (the in-memory backend's whole fold)."""
    day = raw.days.setdefault(item.day, {})
    times = raw.times.setdefault(item.day, array("q"))
    pred, succ = neighbours(times, item.ts_us)
    if pred != item.ts_us:
        times.insert(bisect_right(times, item.ts_us), item.ts_us)
    for name, value in (*item.sums.items(), *item.gap_sums(pred, succ).items()):
        day[name] = day.get(name, 0.0) + value
    for name, value in item.mins.items():
        cur = day.get(name)
        if cur is None or value < cur:
            day[name] = value
    for name, value in item.maxs.items():
        cur = day.get(name)
        if cur is None or value > cur:
            day[name] = value
    if item.latest:
        picks = raw.latest.setdefault(item.day, {})
        for name, pick in item.latest.items():
            old = picks.get(name)
            if old is None or pick > old:
                picks[name] = pick
    kd = raw.keys.setdefault(item.day, {})
    for k in item.keys:
        kd[k] = kd.get(k, 0.0) + 1.0


def prune_days(raw: RawProfile, first_day: str | None) -> list[str]:
    """Drop days before ``first_day`` (ISO date); return the dropped days."""
    if first_day is None:
        return []
    old = [d for d in raw.days if d < first_day]
    for d in old:
        raw.days.pop(d, None)
        raw.keys.pop(d, None)
        raw.latest.pop(d, None)
        raw.times.pop(d, None)
    return old


def encode_pick(pick: Pick) -> str:
    """A pick as one string (``at|value``), for backends that store text."""
    return f"{pick[0]}|{pick[1]}"


def decode_pick(text: str) -> Pick:
    at, _, value = text.partition("|")
    return int(at), value


def encode_number(value: float) -> str:
    """A stored part as text (integral values without a fraction: exact microseconds)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# ---------------------------------------------------------------------- merging
def _merged(part: Part, raw: RawProfile) -> Any:
    name = part.name
    if isinstance(part, Latest):
        picks = [p[name] for p in raw.latest.values() if name in p]
        return max(picks)[1] if picks else None
    values = [d[name] for d in raw.days.values() if name in d]
    if part.merge == "sum":
        return float(sum(values))
    if not values:
        return None
    v = min(values) if part.merge == "min" else max(values)
    return from_us(v) if isinstance(part, Min | Max) and part.type == "timestamp" else v


def merge_profile(account_id: str, raw: RawProfile, spec: ProfileSpec = PROFILE) -> dict[str, Any]:
    """One profile row, as ``Store.profile_table`` computes it, from the raw parts."""
    row: dict[str, Any] = {"account_id": account_id, "active_days": len(raw.days)}
    for part in spec.day_parts:
        row[part.name] = _merged(part, raw)
    totals: dict[str, dict[str, float]] = {}
    for kd in raw.keys.values():
        for (kind, key), n in kd.items():
            per = totals.setdefault(kind, {})
            per[key] = per.get(key, 0.0) + n
    for stat in spec.key_stats:
        keys = totals.get(stat.kind, {})
        if isinstance(stat, DistinctCount):
            row[stat.name] = len(keys)
        elif isinstance(stat, TopCount):
            row[stat.name] = max(keys.values()) if keys else None
        elif isinstance(stat, TopCountIn):
            top = max(keys.values()) if keys else None
            within = totals.get(stat.within, {})
            row[stat.name] = (
                None
                if top is None
                else max(within.get(k, 0.0) for k, n in keys.items() if n == top)
            )
    return {c: row.get(c) for c in spec.output_columns}


def _part_type(part: Part) -> pa.DataType:
    if isinstance(part, Min | Max) and part.type == "timestamp":
        return TIMESTAMP_TYPE
    return pa.string() if isinstance(part, Latest) else pa.float64()


def profile_schema(spec: ProfileSpec = PROFILE) -> pa.Schema:
    """Arrow schema of online profiles (the store's, with key counts as doubles)."""
    fields = [pa.field("account_id", pa.string()), pa.field("active_days", pa.int64())]
    fields += [pa.field(p.name, _part_type(p)) for p in spec.parts]
    fields += [
        pa.field(s.name, pa.int64() if isinstance(s, DistinctCount) else pa.float64())
        for s in spec.key_stats
    ]
    fields += [pa.field(p.name, _part_type(p)) for p in spec.attributes]
    return pa.schema(fields)


def profiles_table(rows: Iterable[Mapping[str, Any]], spec: ProfileSpec = PROFILE) -> pa.Table:
    """Profile rows as an Arrow table with the types ``Store.profile_table`` returns."""
    schema = profile_schema(spec)
    return pa.Table.from_pylist(
        [{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema
    )
