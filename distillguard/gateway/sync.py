"""Push batch scan results into the gateway state (``distillguard sync``)."""

from __future__ import annotations

from pathlib import Path

from distillguard.errors import InputError
from distillguard.gateway.state import State


async def sync_accounts(
    state: State, path: str | Path, *, chunk: int = 5000, close: bool = True
) -> int:
    """Set ``batch_risk``, ``batch_verdict`` and ``campaign_id`` of every account in ``path``."""
    import pyarrow.parquet as pq

    p = Path(path)
    try:
        table = pq.read_table(p)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read accounts table: {exc}", path=p) from exc
    missing = [c for c in ("account_id", "risk", "verdict") if c not in table.column_names]
    if missing:
        raise InputError(f"accounts table lacks columns {missing}", path=p)
    cols = ["account_id", "risk", "verdict"]
    if "campaign_id" in table.column_names:
        cols.append("campaign_id")
    rows = table.select(cols).to_pylist()
    for start in range(0, len(rows), chunk):
        updates = {}
        for r in rows[start : start + chunk]:
            fields = {
                "batch_risk": repr(float(r["risk"] or 0.0)),
                "batch_verdict": str(r["verdict"]),
            }
            # An empty campaign clears an earlier membership.
            fields["campaign_id"] = str(r.get("campaign_id") or "")
            updates[str(r["account_id"])] = fields
        await state.update_views(updates)
    if close:
        await state.close()
    return len(rows)
