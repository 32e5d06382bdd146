"""Row validation and normalisation onto :data:`~distillguard.schema.EVENT_SCHEMA`.

Validation is columnar: every rule is a boolean mask computed with
``pyarrow.compute`` over a whole chunk, and Python only runs for the rows a mask
flags (to word the reason) or for the rare column shapes Arrow cannot convert
(JSON text in a ``messages`` column, content-part lists, ...).  That keeps a
million-row Parquet file to about a second.

JSON Lines input goes through :func:`columns_from_objects` first, which turns
the parsed lines into Arrow arrays of the types the columnar rules accept,
quarantining values of the wrong JSON type on the way.

Every rule records problems in an :class:`Issues`; a row's quarantine record
names the first failing field in schema order.

>>> import pyarrow as pa
>>> cols = {
...     "event_id": pa.array(["a", "b"]),
...     "ts": pa.array(["2024-05-01T12:00:00Z", "soon"]),
...     "account_id": pa.array(["acct", "acct"]),
...     "model": pa.array(["m", "m"]),
...     "prompt": pa.array(["hi", "hi"]),
... }
>>> table, bad = validate_chunk(cols, 2, file="x.parquet", rows=np.array([1, 2]),
...                             raw_text=lambda idx: ["" for _ in idx],
...                             tracker=DuplicateTracker())
>>> table.num_rows, [(q.row, q.field) for q in bad]
(1, [(2, 'ts')])
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any, Final, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import DistillguardError, InputError
from distillguard.ingest.quarantine import QuarantineRecord, truncate_raw
from distillguard.schema import (
    EVENT_COLUMNS,
    MESSAGE_ROLES,
    MESSAGES_TYPE,
    PARAM_FIELDS,
    PARAMS_TYPE,
    REQUIRED_COLUMNS,
    TIMESTAMP_TYPE,
)

BoolMask = npt.NDArray[np.bool_]
Reason = str | Callable[[int], str]

#: Epoch seconds that Python's ``datetime`` can represent (years 1 to 9999):
#: anything outside is certainly a unit mistake and would break ``to_pylist``.
EPOCH_MIN: Final = -62_135_596_800
EPOCH_MAX: Final = 253_402_300_799
_US: Final = 1_000_000
_INT64_MAX: Final = 2**63 - 1
_UTC_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

# The shapes Arrow's own ISO-8601 cast handles; anything else that still looks
# like a date goes through datetime.fromisoformat, one call per distinct value.
_ISO_TZ: Final = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$"
_ISO_NAIVE: Final = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$"
# Strict dotted quad (no leading zeros, as ipaddress requires); most log IPs
# match it, so only the rest (IPv6, junk) needs a Python call per distinct value.
_OCTET: Final = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4: Final = rf"^{_OCTET}(\.{_OCTET}){{3}}$"

#: Identifier columns: opaque keys that profiles group by, linkers join on and
#: reports print.  None of them is free text, so a control character in one is
#: a forged or corrupt value, never data (``ip`` gets the same check: an IPv6
#: scope id is the one place ``ipaddress`` lets anything through).
ID_COLUMNS: Final = (
    "event_id",
    "account_id",
    "org_id",
    "api_key_id",
    "payment_fingerprint",
    "conversation_id",
)
# C0 controls (NUL included), DEL, C1 controls, and the Unicode line and
# paragraph separators: ``str.splitlines``, JavaScript before ES2019 and many
# log viewers break lines on those two, so an id holding one can forge a line
# in a text report or an audit trail.
_CONTROL_RE2: Final = r"[\x00-\x1f\x7f-\x9f\x{2028}\x{2029}]"
_CONTROL_PY: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_NAMES: Final = {0x2028: "line separator", 0x2029: "paragraph separator"}

_ROLE_SET: Final = pa.array(sorted(MESSAGE_ROLES), pa.string())
_FLOAT_PARAMS: Final = ("temperature", "top_p")
_INT_PARAMS: Final = {"n": 1, "max_tokens": 0, "top_logprobs": 0}  # name -> minimum
_BOOL_PARAMS: Final = ("logprobs", "stream")
_JSON_PARAMS: Final = {"logit_bias": dict, "tools": list}
_PARAM_TYPES: Final = {f.name: f.type for f in PARAMS_TYPE}
_TYPED_PARAMS: Final = tuple(name for name in PARAM_FIELDS if name != "extra")
_SIMPLE_PARAMS: Final = frozenset({*_FLOAT_PARAMS, *_INT_PARAMS, *_BOOL_PARAMS, "reasoning_effort"})

# Rank of each field in "first failing field" order: schema order, with the
# params sub-fields right after ``params``.  Structural fields (``line``,
# ``request``...) rank first because nothing else in the row can be trusted.
_RANK: Final = {name: 100 * (i + 1) for i, name in enumerate(EVENT_COLUMNS)}
_RANK.update({f"params.{p}": _RANK["params"] + j + 1 for j, p in enumerate(PARAM_FIELDS)})


class RowError(DistillguardError):
    """One row (or value) is bad.

    Raised by the per-row normalisers (and :func:`openai_record_to_event`);
    readers turn it into a quarantine record, never let it escape.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason, field=field)
        self.field: str = field
        self.reason = reason


def short(value: object, limit: int = 60) -> str:
    """``repr`` of a value, cut for use inside a reason.

    >>> short("x" * 100, limit=10)
    "'xxxxxxxx…"
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Issues:
    """Problems found in one chunk, per field, resolved to one per row.

    Reasons may be callables so that wording (which often quotes the bad value)
    is only built for the field that ends up reported.
    """

    def __init__(self) -> None:
        self._by_field: dict[str, dict[int, Reason]] = {}

    def add(self, field: str, rows: Iterable[int], reason: Reason) -> None:
        """Flag ``rows`` (chunk positions); an earlier reason for a row wins."""
        bucket = self._by_field.setdefault(field, {})
        for row in rows:
            bucket.setdefault(int(row), reason)

    def add_mask(self, field: str, mask: pa.Array | BoolMask, reason: Reason) -> None:
        """Flag the rows where ``mask`` is true (nulls count as false)."""
        flags = to_bool_np(mask)
        if flags.any():
            self.add(field, np.flatnonzero(flags).tolist(), reason)

    def bad_mask(self, n: int) -> BoolMask:
        """True for every row with at least one problem."""
        mask = np.zeros(n, dtype=bool)
        for bucket in self._by_field.values():
            if bucket:
                mask[np.fromiter(bucket.keys(), dtype=np.int64, count=len(bucket))] = True
        return mask

    def resolve(self) -> dict[int, tuple[str, str]]:
        """Row -> (first failing field, reason), fields taken in schema order."""
        out: dict[int, tuple[str, str]] = {}
        for field in sorted(self._by_field, key=lambda f: _RANK.get(f, 0)):
            for row, reason in self._by_field[field].items():
                if row not in out:
                    out[row] = (field, reason if isinstance(reason, str) else reason(row))
        return out


class DuplicateTracker:
    """Remembers every accepted ``event_id`` of one read, with where it was first seen.

    Memory grows with the number of distinct ids (about 150 bytes each); a
    caller streaming a log too large for that can give each file its own
    tracker, which then only catches duplicates within a file.
    """

    _ROW_BITS: Final = 40

    def __init__(self) -> None:
        self._first: dict[str, int] = {}
        self._files: list[str] = []

    def __len__(self) -> int:
        return len(self._first)

    def begin(self, file: str) -> None:
        """Start a new input, so that reading the same file twice shows its rows as repeats."""
        self._files.append(file)

    def check(self, ids: Sequence[str], rows: Sequence[int], file: str) -> list[tuple[int, str]]:
        """Register ``ids`` (found at ``rows`` of ``file``); return the repeats.

        Returns ``(position in ids, reason)`` for every id seen before, in this
        call or an earlier one.  Inputs are checked one after the other: a
        ``file`` other than the current one starts a new input.

        >>> t = DuplicateTracker()
        >>> t.check(["a", "b"], [1, 2], "f")
        []
        >>> for repeat in t.check(["b", "c", "c"], [3, 4, 5], "f"):
        ...     print(repeat)
        (0, 'duplicate event_id, first seen at row 2')
        (2, 'duplicate event_id, first seen at row 4')
        """
        if not self._files or self._files[-1] != file:
            self.begin(file)
        current = len(self._files) - 1
        base = current << self._ROW_BITS
        packed = [base + r for r in rows]
        first = self._first
        # Fast path, all in C: reversed so that within the chunk the earliest
        # occurrence is the one kept in ``fresh``.
        fresh = dict(zip(reversed(ids), reversed(packed), strict=True))
        if len(fresh) == len(ids) and first.keys().isdisjoint(fresh):
            first.update(fresh)
            return []
        repeats: list[tuple[int, str]] = []
        for pos, (event_id, where) in enumerate(zip(ids, packed, strict=True)):
            seen = first.setdefault(event_id, where)
            if seen != where:
                repeats.append((pos, self._describe(seen, current)))
        return repeats

    def _describe(self, packed: int, current: int) -> str:
        index = packed >> self._ROW_BITS
        row = packed & ((1 << self._ROW_BITS) - 1)
        where = f"row {row}" if index == current else f"row {row} of {self._files[index]}"
        return f"duplicate event_id, first seen at {where}"


# --------------------------------------------------------------------------- helpers


def to_bool_np(mask: pa.Array | pa.ChunkedArray | BoolMask) -> BoolMask:
    """A boolean Arrow array (nulls as false) or numpy array as numpy."""
    if isinstance(mask, np.ndarray):
        return mask.astype(bool, copy=False)
    filled = pc.fill_null(mask, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def as_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A single contiguous array (Parquet batches are already, tables may not be)."""
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def _column_type_error(file: str, field: str, arrow_type: pa.DataType, want: str) -> InputError:
    return InputError(f"column has type {arrow_type}, expected {want}", path=file, field=field)


def _is_string_like(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _nulls(n: int, arrow_type: pa.DataType) -> pa.Array:
    return pa.nulls(n, arrow_type)


def _where(mask: pa.Array, values: pa.Array) -> pa.Array:
    """``values`` where ``mask`` is true, null elsewhere."""
    return pc.if_else(mask, values, pa.scalar(None, values.type))


def _map_uniques(arr: pa.Array, fn: Callable[[Any], Any], out_type: pa.DataType) -> pa.Array:
    """Apply a Python function once per distinct non-null value, then broadcast.

    Logs repeat values a lot (IPs, param blobs), so this is usually far fewer
    Python calls than rows.
    """
    uniques = pc.unique(arr.drop_null())
    mapped = pa.array([fn(v) for v in uniques.to_pylist()], out_type)
    return mapped.take(pc.index_in(arr, value_set=uniques))


# --------------------------------------------------------------------------- surrogates

# JSON can spell a lone UTF-16 surrogate ("\ud800"): json.loads accepts it,
# and no Arrow string can hold it.  Only text holding a \uD800-\uDFFF escape
# can spell one, so only that text pays for the walk that finds it.
_LONE_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")


def _without_surrogates(value: Any) -> Any:
    if type(value) is str:
        return _LONE_SURROGATE.sub("\ufffd", value)
    if type(value) is list:
        return [_without_surrogates(v) for v in value]
    if type(value) is dict:
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    return value


def replace_lone_surrogates(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` with each lone UTF-16 surrogate made U+FFFD; one in an id is a RowError.

    JSON can spell a lone surrogate (``"\\ud800"``) and ``json.loads`` accepts
    it, but no UTF-8 column can hold it.  In text the replacement keeps the row
    (a client could otherwise hide a request from the scan with one escape);
    an id would silently become a different id, so the row is refused.

    >>> replace_lone_surrogates({"prompt": "a\\ud800b", "n": 1})
    {'prompt': 'a�b', 'n': 1}
    >>> replace_lone_surrogates({"account_id": "x\\udc00"})
    Traceback (most recent call last):
    ...
    distillguard.ingest.validate.RowError: field account_id: lone surrogate U+DC00 in id
    """
    for name in (*ID_COLUMNS, "ip"):
        value = event.get(name)
        found = _LONE_SURROGATE.search(value) if type(value) is str else None
        if found is not None:
            noun = "address" if name == "ip" else "id"
            raise RowError(name, f"lone surrogate U+{ord(found.group()):04X} in {noun}")
    try:
        return cast(dict[str, Any], _without_surrogates(event))
    except RecursionError as exc:
        raise RowError("line", "nested too deeply") from exc


def loads_text(text: str) -> Any:
    r"""``json.loads``, with every lone surrogate in the result made U+FFFD.

    >>> loads_text('["\\ud83d\\ude00", "\\udc00"]')
    ['😀', '�']
    """
    value = json.loads(text)
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        value = _without_surrogates(value)
    return value


# --------------------------------------------------------------------------- strings


def string_column(arr: pa.Array, *, file: str, field: str) -> pa.Array:
    """Any string-ish column as ``string``; integer ids are cast, other types are a file error."""
    t = arr.type
    if pa.types.is_string(t):
        return arr
    if (
        _is_string_like(t)
        or pa.types.is_null(t)
        or pa.types.is_integer(t)
        or (pa.types.is_dictionary(t) and _is_string_like(t.value_type))
    ):
        return arr.cast(pa.string())
    raise _column_type_error(file, field, t, "string")


def require_nonempty(arr: pa.Array, issues: Issues, field: str) -> None:
    """Flag null and empty (or whitespace-only) strings."""
    issues.add_mask(field, arr.is_null(), "missing")
    if len(arr):
        blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(arr)), 0)
        issues.add_mask(field, blank, "empty string")


def _may_hold_controls(arr: pa.Array) -> bool:
    """False when no string of ``arr`` can hold a character :data:`_CONTROL_RE2` matches.

    numpy over the UTF-8 bytes, far cheaper than the regex, which then only
    runs on a column this flags.  Ids are nearly always printable ASCII (two
    reductions, under a millisecond per million ids); otherwise it looks for
    the first byte of each refused character: C0 and DEL are single bytes, C1
    controls start with 0xC2, U+2028/U+2029 with 0xE2 (so accented or CJK ids
    still skip the regex).
    """
    if arr.type != pa.string():
        return True
    _, offsets, data = arr.buffers()
    if data is None or offsets is None:
        return False
    positions = np.frombuffer(offsets, np.int32, count=len(arr) + 1, offset=4 * arr.offset)
    start, end = int(positions[0]), int(positions[-1])
    if end == start:
        return False
    raw = np.frombuffer(data, np.uint8, count=end - start, offset=start)
    if raw.min() >= 0x20 and raw.max() < 0x7F:
        return False
    return bool(((raw < 0x20) | (raw == 0x7F) | (raw == 0xC2) | (raw == 0xE2)).any())


def _control_reason(value: str, noun: str) -> str:
    found = _CONTROL_PY.search(value)
    code = ord(found.group()) if found else 0
    kind = _CONTROL_NAMES.get(code, "control character")
    return f"{kind} U+{code:04X} in {noun}"


def id_problem(value: str, noun: str = "id") -> str | None:
    """Why ``value`` cannot be an id (the readers' rule for one value), or None.

    >>> id_problem("conv-1"), id_problem("conv\x85")
    (None, 'control character U+0085 in id')
    """
    return _control_reason(value, noun) if _CONTROL_PY.search(value) else None


def check_control_characters(arr: pa.Array, issues: Issues, field: str, noun: str = "id") -> None:
    """Flag strings holding a C0 or C1 control, DEL, U+2028 or U+2029 (nulls are fine).

    >>> issues = Issues()
    >>> check_control_characters(pa.array(["acct-1", "acct\\x00-2", None]), issues, "account_id")
    >>> issues.resolve()
    {1: ('account_id', 'control character U+0000 in id')}
    """
    if arr.null_count == len(arr) or not _may_hold_controls(arr):
        return
    bad = pc.match_substring_regex(arr, _CONTROL_RE2)
    issues.add_mask(field, bad, lambda i: _control_reason(arr[i].as_py(), noun))


def check_ip(arr: pa.Array, issues: Issues) -> None:
    """Flag addresses ``ipaddress.ip_address`` rejects (nulls are fine)."""
    if arr.null_count == len(arr):
        return
    other = _where(pc.invert(pc.match_substring_regex(arr, _IPV4)), arr)
    if other.null_count == len(other):
        return

    def invalid(value: str) -> bool:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return True
        return False

    bad = _map_uniques(other, invalid, pa.bool_())
    issues.add_mask("ip", bad, lambda i: f"not an IP address: {short(arr[i].as_py())}")


# --------------------------------------------------------------------------- timestamps


def _py_iso_to_us(value: str) -> int | None:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # naive means UTC, by definition of the schema
    return (parsed - _UTC_EPOCH) // timedelta(microseconds=1)


def _py_parse_iso(arr: pa.Array) -> pa.Array:
    return _map_uniques(arr, _py_iso_to_us, pa.int64()).cast(TIMESTAMP_TYPE)


def _cast_iso(arr: pa.Array, target: pa.DataType) -> pa.Array:
    """Arrow's ISO-8601 cast, falling back to Python when any value defeats it."""
    if arr.null_count == len(arr):
        return _nulls(len(arr), TIMESTAMP_TYPE)
    try:
        return arr.cast(target).cast(TIMESTAMP_TYPE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _py_parse_iso(arr)


def _parse_iso_strings(arr: pa.Array) -> pa.Array:
    try:
        # Most logs use one zone-carrying ISO form throughout: one cast does it.
        return arr.cast(TIMESTAMP_TYPE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    trimmed = pc.utf8_trim_whitespace(arr)
    with_tz = pc.match_substring_regex(trimmed, _ISO_TZ)
    naive = pc.match_substring_regex(trimmed, _ISO_NAIVE)
    other = pc.and_(pc.invert(with_tz), pc.invert(naive))
    return pc.coalesce(
        _cast_iso(_where(with_tz, trimmed), TIMESTAMP_TYPE),
        _cast_iso(_where(naive, trimmed), pa.timestamp("us")),
        _py_parse_iso(_where(other, trimmed)),
    )


def _epoch_numbers(arr: pa.Array) -> pa.Array:
    if pa.types.is_integer(arr.type):
        in_range = pc.and_(
            pc.greater_equal(arr, EPOCH_MIN), pc.less_equal(arr, EPOCH_MAX)
        )  # compared before any cast, so huge uint64 values cannot wrap
        seconds = _where(in_range, arr).cast(pa.int64())
        return pc.multiply(seconds, _US).cast(TIMESTAMP_TYPE)
    floats = arr.cast(pa.float64())
    in_range = pc.and_(
        pc.is_finite(floats),
        pc.and_(pc.greater_equal(floats, EPOCH_MIN), pc.less(floats, EPOCH_MAX + 1)),
    )
    micros = pc.round(pc.multiply(_where(in_range, floats), float(_US)))
    return micros.cast(pa.int64()).cast(TIMESTAMP_TYPE)


def timestamp_column(
    arr: pa.Array, issues: Issues, *, file: str, field: str, required: bool
) -> pa.Array:
    """Parse ISO-8601 strings, epoch seconds or Arrow timestamps to ``timestamp[us, UTC]``."""
    t = arr.type
    n = len(arr)
    if pa.types.is_null(t):
        out = _nulls(n, TIMESTAMP_TYPE)
    elif pa.types.is_timestamp(t):
        # ns -> us truncates on purpose; a naive column is UTC by definition.
        out = arr.cast(pa.timestamp("us", tz=t.tz), safe=False).cast(TIMESTAMP_TYPE)
    elif pa.types.is_date(t):
        days = arr.cast(pa.date32()).cast(pa.int32())
        out = _epoch_numbers(pc.multiply(days.cast(pa.int64()), 86_400))
    elif pa.types.is_integer(t) or pa.types.is_floating(t):
        out = _epoch_numbers(arr)
    elif _is_string_like(t):
        out = _parse_iso_strings(arr.cast(pa.string()))
    else:
        raise _column_type_error(file, field, t, "timestamp, ISO-8601 string or epoch seconds")
    # Arrow parses and stores years 0 and 10000+, which Python (and so every
    # to_pylist downstream) cannot represent.
    micros = out.cast(pa.int64())
    in_range = pc.and_(
        pc.greater_equal(micros, EPOCH_MIN * _US), pc.less(micros, (EPOCH_MAX + 1) * _US)
    )
    if pa.types.is_timestamp(t):
        issues.add_mask(field, pc.invert(in_range), "timestamp outside years 1-9999")
    out = _where(in_range, out)
    if required:
        issues.add_mask(field, arr.is_null(), "missing")
    unparsed = pc.and_(arr.is_valid(), out.is_null())
    issues.add_mask(
        field,
        unparsed,
        lambda i: (
            f"not an ISO-8601 timestamp or epoch seconds (years 1-9999): {short(arr[i].as_py())}"
        ),
    )
    return out


# --------------------------------------------------------------------------- integers


def integer_column(
    arr: pa.Array, issues: Issues, *, file: str, field: str, low: int, high: int | None = None
) -> pa.Array:
    """Integers (floats allowed when integral) as ``int64``, range-checked."""
    t = arr.type
    if pa.types.is_null(t):
        return _nulls(len(arr), pa.int64())
    if pa.types.is_integer(t):
        fits = pc.less_equal(arr, _INT64_MAX) if t == pa.uint64() else None
        out = (arr if fits is None else _where(fits, arr)).cast(pa.int64())
        if fits is not None:
            issues.add_mask(field, pc.invert(fits), "integer too large")
    elif pa.types.is_floating(t):
        floats = arr.cast(pa.float64())
        integral = pc.and_(
            pc.is_finite(floats),
            pc.and_(pc.equal(pc.floor(floats), floats), pc.less(pc.abs(floats), float(_INT64_MAX))),
        )
        issues.add_mask(
            field, pc.invert(integral), lambda i: f"not an integer: {short(arr[i].as_py())}"
        )
        out = _where(integral, floats).cast(pa.int64())
    else:
        raise _column_type_error(file, field, t, "integer")
    too_low = pc.less(out, low)
    too_high = pc.greater(out, high) if high is not None else None
    want = f"between {low} and {high}" if high is not None else f">= {low}"
    issues.add_mask(field, too_low, lambda i: f"must be {want}, got {out[i].as_py()}")
    if too_high is not None:
        issues.add_mask(field, too_high, lambda i: f"must be {want}, got {out[i].as_py()}")
    return out


# --------------------------------------------------------------------------- messages


def content_text(content: object, field: str = "messages") -> str | None:
    """Message content as text: a string, or the text parts of a content-part list.

    Text parts are joined with a newline; image, audio and other parts are
    dropped (there is no column for them).

    >>> content_text([{"type": "text", "text": "a"}, {"type": "image_url"}, {"text": "b"}])
    'a\\nb'
    """
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        texts: list[str] = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                text = part.get("text")
                if part.get("type", "text") in ("text", "input_text", "output_text"):
                    if not isinstance(text, str):
                        raise RowError(field, "text content part without a string 'text'")
                    texts.append(text)
            else:
                raise RowError(field, f"content part is not an object: {short(part)}")
        return "\n".join(texts)
    raise RowError(field, f"content is neither a string nor a list of parts: {short(content)}")


def normalize_messages(value: object) -> list[dict[str, str | None]]:
    """One row's messages (a list, or JSON text of one) as ``[{role, content}]``.

    >>> normalize_messages('[{"role": "user", "content": "hi", "name": "x"}]')
    [{'role': 'user', 'content': 'hi'}]
    """
    if isinstance(value, str):
        try:
            value = loads_text(value)
        except (ValueError, RecursionError) as exc:
            raise RowError("messages", "a string that is not a JSON list") from exc
    if not isinstance(value, list):
        raise RowError("messages", f"not a list of messages: {short(value)}")
    out: list[dict[str, str | None]] = []
    for message in value:
        if not isinstance(message, dict):
            raise RowError("messages", f"message is not an object: {short(message)}")
        role = message.get("role")
        if not isinstance(role, str) or role not in MESSAGE_ROLES:
            raise RowError("messages", f"bad role {short(role)}")
        out.append({"role": role, "content": content_text(message.get("content"))})
    return out


def _py_messages(values: Sequence[object], issues: Issues) -> pa.Array:
    out: list[list[dict[str, str | None]] | None] = []
    for i, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(normalize_messages(value))
        except RowError as problem:
            issues.add(problem.field, [i], problem.reason)
            out.append(None)
    return pa.array(out, MESSAGES_TYPE)


def messages_column(arr: pa.Array, issues: Issues, *, file: str) -> pa.Array:
    """``list<struct<role, content>>``, from list columns or JSON text; roles checked."""
    t = arr.type
    if pa.types.is_null(t):
        return _nulls(len(arr), MESSAGES_TYPE)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
        item = t.value_type
        try:
            if not (pa.types.is_struct(item) and item.get_field_index("role") >= 0):
                raise pa.ArrowInvalid("not a list of role/content structs")
            out = arr.cast(MESSAGES_TYPE)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            # Content-part lists, JSON-ish shapes: rare enough for Python.
            out = _py_messages(arr.to_pylist(), issues)
    elif _is_string_like(t):
        out = _py_messages(arr.to_pylist(), issues)
    else:
        raise _column_type_error(file, "messages", t, "a list of {role, content}")
    _check_roles(out, issues)
    return out


def _check_roles(messages: pa.Array, issues: Issues) -> None:
    flat = pc.list_flatten(messages)
    if len(flat) == 0:
        return
    role_ok = pc.is_in(pc.struct_field(flat, "role"), value_set=_ROLE_SET)
    bad_items = ~to_bool_np(role_ok)
    if not bad_items.any():
        return
    parents = np.asarray(pc.list_parent_indices(messages).to_numpy(zero_copy_only=False))

    def reason(i: int) -> str:
        for message in messages[i].as_py() or []:
            if message is None:
                return "message is null"
            if message["role"] not in MESSAGE_ROLES:
                return f"bad role {short(message['role'])}"
        return "bad role"

    issues.add("messages", np.unique(parents[bad_items]).tolist(), reason)


def _py_messages_column(values: Sequence[object], issues: Issues) -> pa.Array:
    # Arrow reads a string as a list of characters ("" becomes []), so only
    # lists take the direct conversion.  Inside them Arrow's own type errors
    # send the chunk to Python, and odd items (``[]``, ``{}``) come out with a
    # null role, which the role check flags.
    if all(value is None or type(value) is list for value in values):
        try:
            return pa.array(values, MESSAGES_TYPE)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    return _py_messages(values, issues)


# --------------------------------------------------------------------------- params


def _json_text(value: object, kind: type, field: str) -> str:
    """A JSON object/list value (or JSON text of one) as compact JSON text."""
    if isinstance(value, str):
        try:
            value = loads_text(value)
        except (ValueError, RecursionError) as exc:
            raise RowError(field, f"a string that is not JSON {kind.__name__}") from exc
    if not isinstance(value, kind):
        raise RowError(field, f"expected a JSON {kind.__name__}, got {short(value)}")
    return dumps(value)


def dumps(value: object) -> str:
    """Compact JSON used for every JSON-text column (``logit_bias``, ``tools``, ``extra``)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _typed_param(name: str, value: object) -> object:
    """One typed parameter, type- and range-checked (the same rules as the columnar path)."""
    field = f"params.{name}"
    if name in _FLOAT_PARAMS:
        if type(value) not in (int, float):
            raise RowError(field, f"expected a number, got {short(value)}")
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError as exc:
            raise RowError(field, f"number too large: {short(value)}") from exc
        if not (math.isfinite(number) and number >= 0):
            raise RowError(field, f"must be a number >= 0, got {number}")
        return number
    if name in _INT_PARAMS:
        if type(value) is float and value.is_integer():
            value = int(value)
        if type(value) is not int or not -_INT64_MAX - 1 <= value <= _INT64_MAX:
            raise RowError(field, f"expected an integer, got {short(value)}")
        if value < _INT_PARAMS[name]:
            raise RowError(field, f"must be >= {_INT_PARAMS[name]}, got {value}")
        return value
    if name in _BOOL_PARAMS:
        if type(value) is not bool:
            raise RowError(field, f"expected true or false, got {short(value)}")
        return value
    if name in _JSON_PARAMS:
        return _json_text(value, _JSON_PARAMS[name], field)
    if not isinstance(value, str):  # reasoning_effort
        raise RowError(field, f"expected a string, got {short(value)}")
    return value


def normalize_params(value: object) -> dict[str, Any] | None:
    """One row's request parameters (an object, or JSON text of one) as a ``PARAMS_TYPE`` dict.

    Unknown keys go to ``extra`` as JSON text; an ``extra`` key holding JSON
    text of an object (the stored form) is merged back.  Returns ``None`` when
    nothing is set, so ``{}`` and a missing ``params`` read the same.

    >>> p = normalize_params({"temperature": 1, "seed": 7, "logit_bias": {"50256": -100}})
    >>> p["temperature"], p["logit_bias"], p["extra"]
    (1.0, '{"50256":-100}', '{"seed":7}')
    """
    if isinstance(value, str):
        try:
            value = loads_text(value)
        except (ValueError, RecursionError) as exc:
            raise RowError("params", "a string that is not a JSON object") from exc
    if not isinstance(value, dict):
        raise RowError("params", f"not an object: {short(value)}")
    out: dict[str, Any] = dict.fromkeys(PARAM_FIELDS)
    # Typed fields in schema order, so the first bad one is the one reported.
    for name in _TYPED_PARAMS:
        item = value.get(name)
        if item is not None:
            out[name] = _typed_param(name, item)
    extra: dict[str, Any] = {}
    for key, item in value.items():
        if key == "extra" and item is None:
            continue  # the stored form dumped as JSON: no extra keys, not one named "extra"
        if key == "extra" and isinstance(item, str):
            try:
                stored = loads_text(item)
            except (ValueError, RecursionError):
                stored = None
            if isinstance(stored, dict):
                extra.update(stored)
                continue
        if key not in _PARAM_TYPES or key == "extra":
            extra[key] = item
    if extra:
        out["extra"] = dumps(extra)
    return out if any(v is not None for v in out.values()) else None


def _py_params_slow(values: Sequence[object], issues: Issues, positions: Sequence[int]) -> pa.Array:
    out: list[dict[str, Any] | None] = []
    for i, value in zip(positions, values, strict=True):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(normalize_params(value))
        except RowError as problem:
            issues.add(problem.field, [i], problem.reason)
            out.append(None)
    return pa.array(out, PARAMS_TYPE)


def _simple_params(values: list[dict[str, Any]]) -> pa.Array | None:
    """Objects holding only scalar typed params, converted by Arrow; None if any type is off."""
    inferred = _infer(values)
    if inferred is None or not pa.types.is_struct(inferred.type):
        return None
    children = []
    for name in PARAM_FIELDS:
        index = inferred.type.get_field_index(name)
        if index < 0:
            children.append(_nulls(len(values), _PARAM_TYPES[name]))
            continue
        child = pc.struct_field(inferred, index)
        t = child.type
        # Arrow's own inference keeps bools, ints and floats apart, so a bool
        # temperature or a fractional n shows up here as a type mismatch.
        ok = (
            pa.types.is_null(t)
            or t == _PARAM_TYPES[name]
            or (name in _FLOAT_PARAMS and t == pa.int64())
        )
        if not ok:
            return None
        children.append(child.cast(_PARAM_TYPES[name]))
    return pa.StructArray.from_arrays(children, fields=list(PARAMS_TYPE))


def _py_params(values: Sequence[object], issues: Issues) -> pa.Array:
    """Params of JSONL rows: Arrow converts plain objects, Python the rest."""
    simple_positions: list[int] = []
    other_positions: list[int] = []
    for i, value in enumerate(values):
        if type(value) is dict and value and value.keys() <= _SIMPLE_PARAMS:
            simple_positions.append(i)
        else:
            other_positions.append(i)
    simple = (
        _simple_params([cast(dict[str, Any], values[i]) for i in simple_positions])
        if simple_positions
        else None
    )
    if simple is None:
        return _py_params_slow(values, issues, range(len(values)))
    if not other_positions:
        return simple
    other = _py_params_slow([values[i] for i in other_positions], issues, other_positions)
    order = np.argsort(np.asarray(simple_positions + other_positions, dtype=np.int64))
    return pa.concat_arrays([simple, other]).take(pa.array(order))


def _cast_param_child(child: pa.Array, name: str) -> pa.Array:
    """Cast one struct child to its schema type, refusing lossy or surprising casts."""
    want = _PARAM_TYPES[name]
    t = child.type
    if t == want or pa.types.is_null(t):
        return child.cast(want)
    numeric = pa.types.is_integer(t) or pa.types.is_floating(t)
    if (name in _FLOAT_PARAMS and numeric) or (name in _INT_PARAMS and pa.types.is_integer(t)):
        return child.cast(want)
    if want == pa.string() and _is_string_like(t):
        return child.cast(want)
    raise pa.ArrowInvalid(f"params.{name}: type {t}")


def _check_json_text(child: pa.Array, kind: type, field: str, issues: Issues) -> None:
    if child.null_count == len(child):
        return

    def invalid(text: str) -> bool:
        try:
            return not isinstance(json.loads(text), kind)
        except (ValueError, RecursionError):
            return True

    bad = _map_uniques(child, invalid, pa.bool_())
    issues.add_mask(field, bad, f"not JSON text of a {kind.__name__}")


def params_column(
    arr: pa.Array, issues: Issues, *, file: str, prenormalized: bool = False
) -> pa.Array:
    """``PARAMS_TYPE`` from a struct column, JSON text, or JSONL objects; ranges checked."""
    t = arr.type
    n = len(arr)
    if pa.types.is_null(t):
        return _nulls(n, PARAMS_TYPE)
    if pa.types.is_struct(t):
        names = [t.field(i).name for i in range(t.num_fields)]
        out = None
        if set(names) <= set(PARAM_FIELDS):
            try:
                children = [
                    _cast_param_child(pc.struct_field(arr, name), name)
                    if name in names
                    else _nulls(n, _PARAM_TYPES[name])
                    for name in PARAM_FIELDS
                ]
                out = pa.StructArray.from_arrays(
                    children, fields=list(PARAMS_TYPE), mask=arr.is_null()
                )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                out = None
            if out is not None and not prenormalized:
                for name, kind in _JSON_PARAMS.items():
                    _check_json_text(pc.struct_field(out, name), kind, f"params.{name}", issues)
                # ``extra`` is set on most rows of some logs and every value
                # differs, so parsing each would dominate the read: it gets
                # a columnar shape check only (readers of it tolerate bad JSON).
                looks_like_object = pc.match_substring_regex(
                    pc.struct_field(out, "extra"), r"(?s)^\s*\{.*\}\s*$"
                )
                issues.add_mask(
                    "params.extra", pc.invert(looks_like_object), "not JSON text of an object"
                )
        if out is None:
            # Unknown struct fields (to move into ``extra``) or odd child types.
            out = _py_params(arr.to_pylist(), issues)
    elif _is_string_like(t):
        out = _py_params(arr.to_pylist(), issues)
    else:
        raise _column_type_error(file, "params", t, "a struct or JSON object text")
    return _check_param_ranges(out, issues)


def _got(values: pa.Array, rule: str) -> Callable[[int], str]:
    def reason(i: int) -> str:
        return f"{rule}, got {values[i].as_py()}"

    return reason


def _check_param_ranges(params: pa.Array, issues: Issues) -> pa.Array:
    if params.null_count == len(params):
        return params
    for name in _FLOAT_PARAMS:
        child = pc.struct_field(params, name)
        bad = pc.or_(pc.invert(pc.is_finite(child)), pc.less(child, 0.0))
        issues.add_mask(f"params.{name}", bad, _got(child, "must be a number >= 0"))
    for name, low in _INT_PARAMS.items():
        child = pc.struct_field(params, name)
        issues.add_mask(f"params.{name}", pc.less(child, low), _got(child, f"must be >= {low}"))
    # An all-null struct is stored as null so that {} and "no params" compare equal.
    children = [pc.struct_field(params, name) for name in PARAM_FIELDS]
    all_null = children[0].is_null()
    for child in children[1:]:
        all_null = pc.and_(all_null, child.is_null())
    if not to_bool_np(all_null).any():
        return params
    return pa.StructArray.from_arrays(
        children, fields=list(PARAMS_TYPE), mask=pc.or_(params.is_null(), all_null)
    )


# --------------------------------------------------------------------------- JSONL columns

_STRING_KINDS: Final = {
    "event_id",
    "account_id",
    "org_id",
    "api_key_id",
    "ip",
    "user_agent",
    "payment_fingerprint",
    "account_tier",
    "model",
    "prompt",
    "conversation_id",
    "response",
}
_TS_KINDS: Final = {"ts", "account_created_at"}
_INT_KINDS: Final = {"prompt_tokens", "completion_tokens", "reasoning_tokens", "status"}


def _py_strings(values: list[Any], issues: Issues, field: str) -> pa.Array:
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    out: list[str | None] = []
    for i, value in enumerate(values):
        if value is None or type(value) is str:
            out.append(value)
        else:
            issues.add(field, [i], f"expected a string, got {short(value)}")
            out.append(None)
    return pa.array(out, pa.string())


def _infer(values: list[Any]) -> pa.Array | None:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return None


def _py_integers(values: list[Any], issues: Issues, field: str) -> pa.Array:
    arr = _infer(values)
    if arr is not None and (pa.types.is_null(arr.type) or arr.type in (pa.int64(), pa.float64())):
        return arr  # the columnar rule checks integrality and range
    out: list[int | None] = []
    for i, value in enumerate(values):
        if value is None or (type(value) is int and -_INT64_MAX - 1 <= value <= _INT64_MAX):
            out.append(value)
        elif type(value) is float and value.is_integer() and abs(value) < _INT64_MAX:
            out.append(int(value))
        else:
            issues.add(field, [i], f"expected an integer, got {short(value)}")
            out.append(None)
    return pa.array(out, pa.int64())


def _py_timestamps(values: list[Any], issues: Issues, field: str, file: str) -> pa.Array:
    arr = _infer(values)
    if arr is not None and (
        pa.types.is_null(arr.type) or arr.type in (pa.string(), pa.int64(), pa.float64())
    ):
        return arr
    # Mixed strings and numbers (or junk): parse each kind separately.
    strings: list[str | None] = []
    numbers: list[float | None] = []
    for i, value in enumerate(values):
        kind = type(value)
        if kind is str:
            strings.append(value)
            numbers.append(None)
            continue
        strings.append(None)
        # Comparing first keeps NaN, infinities and huge ints out without a float() call.
        if kind in (int, float) and EPOCH_MIN <= value <= EPOCH_MAX + 1:
            numbers.append(float(value))
            continue
        numbers.append(None)
        if value is not None:
            issues.add(field, [i], f"not an ISO-8601 timestamp or epoch seconds: {short(value)}")
    parsed = [
        timestamp_column(
            pa.array(strings, pa.string()), issues, file=file, field=field, required=False
        ),
        timestamp_column(
            pa.array(numbers, pa.float64()), issues, file=file, field=field, required=False
        ),
    ]
    return pc.coalesce(*parsed)


def _py_extra(values: list[Any]) -> pa.Array:
    arr = _infer(values)
    if arr is not None:
        return arr
    # Mixed JSON types under one key: keep them as JSON text rather than lose rows.
    return pa.array([None if v is None else dumps(v) for v in values], pa.string())


def columns_from_objects(
    objects: Sequence[dict[str, Any]], issues: Issues, *, file: str
) -> dict[str, pa.Array]:
    """Turn parsed JSON lines into Arrow columns the columnar rules accept.

    Canonical columns come first in schema order; other keys follow in order
    of first appearance.  Values of the wrong JSON type are flagged in
    ``issues`` and become null.
    """
    columns: dict[str, pa.Array] = {}
    for name in EVENT_COLUMNS:
        values = list(map(dict.get, objects, repeat(name)))
        if name in _STRING_KINDS:
            columns[name] = _py_strings(values, issues, name)
        elif name in _TS_KINDS:
            columns[name] = _py_timestamps(values, issues, name, file)
        elif name in _INT_KINDS:
            columns[name] = _py_integers(values, issues, name)
        elif name == "messages":
            columns[name] = _py_messages_column(values, issues)
        else:  # params
            columns[name] = _py_params(values, issues)
    known = set(EVENT_COLUMNS)
    all_keys = set().union(*objects) - known if objects else set()
    if all_keys:
        order: dict[str, None] = {}
        for obj in objects:
            for key in obj:
                if key in all_keys and key not in order:
                    order[key] = None
            if len(order) == len(all_keys):
                break
        for name in order:
            columns[name] = _py_extra(list(map(dict.get, objects, repeat(name))))
    return columns


# --------------------------------------------------------------------------- the chunk


def validate_chunk(
    columns: Mapping[str, pa.Array | pa.ChunkedArray],
    n: int,
    *,
    file: str,
    rows: npt.NDArray[np.int64],
    raw_text: Callable[[list[int]], list[str]],
    tracker: DuplicateTracker,
    issues: Issues | None = None,
    prenormalized: Collection[str] = (),
) -> tuple[pa.Table, list[QuarantineRecord]]:
    """Normalise and validate one chunk; return the good rows and the quarantined ones.

    ``columns`` holds the raw input columns (canonical names in any Arrow type
    the rules accept, plus any extra columns, kept as they are).  ``rows`` are
    the 1-based row/line numbers of the ``n`` rows, ``raw_text(positions)``
    gives their raw text for quarantine records.  ``issues`` may already hold
    problems found while building the columns.
    """
    issues = issues if issues is not None else Issues()
    arrays = {name: as_array(col) for name, col in columns.items()}
    out: dict[str, pa.Array] = {}
    for name in EVENT_COLUMNS:
        raw = arrays.get(name)
        if raw is None:
            raw = _nulls(n, pa.null())
        if name in _TS_KINDS:
            col = timestamp_column(raw, issues, file=file, field=name, required=name == "ts")
        elif name in _INT_KINDS:
            low, high = (100, 599) if name == "status" else (0, None)
            col = integer_column(raw, issues, file=file, field=name, low=low, high=high)
        elif name == "messages":
            col = messages_column(raw, issues, file=file)
        elif name == "params":
            col = params_column(raw, issues, file=file, prenormalized=name in prenormalized)
        else:
            col = string_column(raw, file=file, field=name)
            if name in REQUIRED_COLUMNS:
                require_nonempty(col, issues, name)
            if name in ID_COLUMNS:
                check_control_characters(col, issues, name)
            elif name == "ip":
                check_control_characters(col, issues, name, "address")
                check_ip(col, issues)
        out[name] = col

    has_messages = pc.fill_null(pc.greater(pc.list_value_length(out["messages"]), 0), False)
    has_prompt = pc.fill_null(pc.greater(pc.utf8_length(out["prompt"]), 0), False)
    issues.add_mask(
        "messages",
        pc.invert(pc.or_(has_messages, has_prompt)),
        "neither messages nor prompt is present and non-empty",
    )

    bad = issues.bad_mask(n)
    good_positions = np.flatnonzero(~bad)
    if len(good_positions):
        ids = out["event_id"].take(pa.array(good_positions)).to_pylist()
        repeats = tracker.check(ids, rows[good_positions].tolist(), file)
        for pos, reason in repeats:
            issues.add("event_id", [int(good_positions[pos])], reason)
        if repeats:
            bad = issues.bad_mask(n)

    records: list[QuarantineRecord] = []
    resolved = issues.resolve()
    if resolved:
        positions = sorted(resolved)
        texts = raw_text(positions)
        for pos, text in zip(positions, texts, strict=True):
            field, reason = resolved[pos]
            records.append(
                QuarantineRecord(file, int(rows[pos]), field, reason, truncate_raw(text))
            )

    for name, col in arrays.items():
        if name not in out:
            out[name] = col
    table = pa.table(out)
    if bad.any():
        table = table.filter(pa.array(~bad))
    return table, records
