"""Push batch scan results into the gateway state (``distillguard sync``)."""

from __future__ import annotations

from pathlib import Path

from distillguard.gateway.state import State
from distillguard.ingest import read_accounts


def account_views(path: str | Path) -> dict[str, dict[str, str]]:
    """``account_id`` → the view fields a batch scan sets (``accounts.parquet``)."""
    table = read_accounts(path)
    cols = ["account_id", "risk", "verdict"]
    if "campaign_id" in table.column_names:
        cols.append("campaign_id")
    return {
        str(r["account_id"]): {
            "batch_risk": repr(float(r["risk"] or 0.0)),
            "batch_verdict": str(r["verdict"]),
            # An empty campaign clears an earlier membership.
            "campaign_id": str(r.get("campaign_id") or ""),
        }
        for r in table.select(cols).to_pylist()
    }


async def push_views(state: State, views: dict[str, dict[str, str]], *, chunk: int = 5000) -> int:
    """Write ``views`` into ``state`` in chunks (one round trip each on Redis)."""
    items = list(views.items())
    for start in range(0, len(items), chunk):
        await state.update_views(dict(items[start : start + chunk]))
    return len(items)


async def sync_accounts(
    state: State, path: str | Path, *, chunk: int = 5000, close: bool = True
) -> int:
    """Set ``batch_risk``, ``batch_verdict`` and ``campaign_id`` of every account in ``path``."""
    n = await push_views(state, account_views(path), chunk=chunk)
    if close:
        await state.close()
    return n
