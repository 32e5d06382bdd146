"""The keys table: which account (and org, tier, creation time) an API key belongs to.

The operator provides it as CSV, Parquet or YAML with columns ``api_key``,
``account_id`` and optionally ``org_id``, ``tier``, ``created_at``, and what trust
levels read (:mod:`.trust`): ``verified`` (true/false), ``paid_usd`` (lifetime
payments) and ``chargebacks`` (a count).  It is read
once at start-up into a dict, so a lookup per request is one hash probe.  Keys
are never logged: events and audit records carry ``api_key_id``, a short
SHA-256 of the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distillguard.errors import DistillguardError, InputError
from distillguard.yamlio import load_yaml_file


@dataclass(frozen=True)
class KeyInfo:
    """One API key's account."""

    account_id: str
    org_id: str | None = None
    tier: str | None = None
    created_at: dt.datetime | None = None
    #: The provider verified the account (identity, phone, card); None: not said.
    verified: bool | None = None
    #: Lifetime payments, in the provider's currency.
    paid_usd: float | None = None
    #: Payments charged back.
    chargebacks: int | None = None


def key_id(api_key: str) -> str:
    """A stable, non-secret id for an API key."""
    return "key_" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def _ts(value: Any, where: str, line: int) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"not an ISO-8601 time: {value!r}", path=where, line=line,
                         field="created_at") from exc  # fmt: skip
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


_TRUE = frozenset({"true", "yes", "1", "y", "t"})
_FALSE = frozenset({"false", "no", "0", "n", "f"})


def _bool(value: Any, where: str, line: int, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(f"expected true or false, got {value!r}", path=where, line=line, field=name)


def _number(value: Any, where: str, line: int, name: str, *, whole: bool = False) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InputError(f"expected a number, got {value!r}", path=where, line=line, field=name)
    try:
        got = float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"expected a number, got {value!r}", path=where, line=line,
                         field=name) from exc  # fmt: skip
    if not math.isfinite(got) or got < 0 or (whole and not got.is_integer()):
        what = "a whole number" if whole else "a number"
        raise InputError(f"expected {what} of at least 0, got {value!r}", path=where, line=line,
                         field=name)  # fmt: skip
    return got


def _rows(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        doc = load_yaml_file(path, InputError)
        data = doc.data
        if isinstance(data, dict):
            data = data.get("keys")
        if not isinstance(data, list):
            raise InputError("expected a list of keys (or a mapping with 'keys:')", path=path)
        return [r if isinstance(r, dict) else {"_bad": r} for r in data]
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
        elif suffix == ".csv":
            import pyarrow.csv as pacsv

            table = pacsv.read_csv(
                path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True)
            )
        else:
            raise InputError("keys table must be .csv, .parquet or .yaml", path=path)
    except InputError:
        raise
    except (OSError, ValueError) as exc:  # pyarrow errors derive from these
        raise InputError(f"cannot read keys table: {exc}", path=path) from exc
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def load_keys(path: str | Path) -> dict[str, KeyInfo]:
    """``api_key → KeyInfo`` from a CSV, Parquet or YAML file."""
    p = Path(path)
    if not p.exists():
        raise InputError("keys table not found", path=p)
    out: dict[str, KeyInfo] = {}
    for i, row in enumerate(_rows(p), start=1):
        # CSV/Parquet rows count from the first data row (line 2 of a CSV).
        line = i + 1 if p.suffix.lower() == ".csv" else i
        key, account = row.get("api_key"), row.get("account_id")
        if not isinstance(key, str) or not key:
            raise DistillguardError("missing api_key", path=p, line=line, field="api_key")
        if account is None or account == "":
            raise DistillguardError("missing account_id", path=p, line=line, field="account_id")
        if key in out:
            raise DistillguardError("duplicate api_key", path=p, line=line, field="api_key")
        org, tier = row.get("org_id"), row.get("tier")
        cb = _number(row.get("chargebacks"), str(p), line, "chargebacks", whole=True)
        out[key] = KeyInfo(
            account_id=str(account),
            org_id=None if org in (None, "") else str(org),
            tier=None if tier in (None, "") else str(tier),
            created_at=_ts(row.get("created_at"), str(p), line),
            verified=_bool(row.get("verified"), str(p), line, "verified"),
            paid_usd=_number(row.get("paid_usd"), str(p), line, "paid_usd"),
            chargebacks=None if cb is None else int(cb),
        )
    return out
