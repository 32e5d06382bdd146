"""What a scan flagged, with its evidence: the review queue.

Read from the scan's outputs (``accounts.parquet`` and ``campaigns.parquet`` of
``distillguard scan --out DIR``), which carry every verdict's reasons, so the
queue needs neither the store nor the logs.  An account is flagged when its verdict
is ``restrict`` or ``block`` or it belongs to a campaign.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from distillguard.errors import InputError
from distillguard.ingest import read_accounts

#: Verdicts that put an account in the queue (a campaign member is there whatever its own).
FLAGGING: Final = ("restrict", "block")
_ACCOUNT_COLUMNS: Final = ("account_id", "risk", "verdict", "requests", "reasons", "campaign_id")
_CAMPAIGN_COLUMNS: Final = (
    "campaign_id", "risk", "verdict", "n_accounts", "accounts", "n_events", "first_ts",
    "last_ts", "evidence", "reasons",
)  # fmt: skip


@dataclass(frozen=True)
class Flagged:
    """Flagged accounts (riskiest first) and campaigns, as plain rows."""

    accounts: list[dict[str, Any]]
    campaigns: list[dict[str, Any]]

    def campaign_members(self) -> dict[str, list[str]]:
        """Campaign id → its accounts (``campaigns.parquet``, and the accounts table's
        ``campaign_id`` where there is no campaigns file)."""
        out: dict[str, set[str]] = {
            str(c["campaign_id"]): set(c["accounts"] or []) for c in self.campaigns
        }
        for r in self.accounts:
            if r.get("campaign_id"):
                out.setdefault(str(r["campaign_id"]), set()).add(str(r["account_id"]))
        return {k: sorted(v) for k, v in out.items()}


def scan_files(where: str | Path) -> tuple[Path, Path]:
    """``accounts.parquet`` and ``campaigns.parquet`` of a scan directory (or beside
    an accounts file)."""
    p = Path(where)
    accounts = p / "accounts.parquet" if p.is_dir() else p
    return accounts, accounts.with_name("campaigns.parquet")


def read_flagged(where: str | Path, accounts: Iterable[str] | None = None) -> Flagged:
    """The flagged accounts and the campaigns of a scan (``accounts``: only those)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    apath, cpath = scan_files(where)
    table = read_accounts(apath)
    table = table.select([c for c in _ACCOUNT_COLUMNS if c in table.column_names])
    if accounts is not None:
        table = table.filter(pc.is_in(table["account_id"], value_set=_strings(accounts)))
    else:
        flag = pc.is_in(table["verdict"], value_set=_strings(FLAGGING))
        if "campaign_id" in table.column_names:
            in_campaign = pc.invert(pc.fill_null(pc.equal(table["campaign_id"], ""), True))
            flag = pc.or_(flag, pc.fill_null(in_campaign, False))
        table = table.filter(flag)
    rows = sorted(
        table.to_pylist(), key=lambda r: (-(_finite(r["risk"]) or 0.0), str(r["account_id"]))
    )
    campaigns: list[dict[str, Any]] = []
    if cpath.exists():
        try:
            ct = pq.read_table(cpath)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the scan's campaigns: {exc}", path=cpath) from exc
        campaigns = ct.select([c for c in _CAMPAIGN_COLUMNS if c in ct.column_names]).to_pylist()
        for c in campaigns:
            for k in ("first_ts", "last_ts"):
                if c.get(k) is not None:
                    c[k] = c[k].isoformat()
    for r in rows:
        r["reasons"] = list(r.get("reasons") or [])
        r["campaign_id"] = r.get("campaign_id") or None
        r["risk"] = _finite(r.get("risk"))
    for c in campaigns:
        c["risk"] = _finite(c.get("risk"))
    return Flagged(rows, campaigns)


def _finite(v: object) -> float | None:
    # JSON has no NaN: an unreadable risk is shown as none.
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None


def _strings(values: Iterable[str]) -> Any:
    import pyarrow as pa

    return pa.array(list(values), pa.string())
