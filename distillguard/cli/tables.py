"""Tables a scan's results print: the riskiest accounts, the campaigns, where outputs went."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from distillguard.cli.common import (
    console,
)


def top_table(accounts: object, top: int) -> None:
    """Rich table of the highest-scoring accounts."""
    import pyarrow as pa

    assert isinstance(accounts, pa.Table)
    t = Table(title=f"top {min(top, accounts.num_rows)} of {accounts.num_rows:,} accounts by risk")
    for col in ("account", "risk", "verdict", "requests", "reasons"):
        t.add_column(col, overflow="fold")
    colours = {"block": "bold red", "restrict": "red", "watch": "yellow", "allow": "green"}
    for row in accounts.slice(0, top).to_pylist():
        v = row["verdict"]
        t.add_row(
            row["account_id"],
            f"{row['risk']:.4f}",
            f"[{colours.get(v, '')}]{v}[/]",
            f"{int(row['requests']):,}",
            "\n".join(row["reasons"][1:4]),
        )
    console.print(t)
    counts: dict[str, int] = {}
    for v in accounts.column("verdict").to_pylist():
        counts[v] = counts.get(v, 0) + 1
    console.print(
        "verdicts: "
        + ", ".join(f"{k} {counts.get(k, 0):,}" for k in ("block", "restrict", "watch", "allow"))
    )


def scan_outputs(result: object, store: Path | None = None) -> list[tuple[str, str]]:
    """(what, where) for every file a scan wrote, the report index first."""
    from distillguard.scan import ScanResult

    assert isinstance(result, ScanResult)
    rows: list[tuple[str, str]] = []
    accounts: list[str] = []
    campaign_files: list[str] = []
    others: list[tuple[str, str]] = []
    n_reports = 0 if result.campaigns is None else result.campaigns.num_rows
    for p in result.written:
        if p.name == "index.html":
            rows.append(
                ("report index", f"{p}  (open in a browser; {n_reports} campaign report(s))")
            )
        elif p.stem == "accounts":
            accounts.append(str(p))
        elif p.name in ("campaigns.parquet", "campaign_links.parquet"):
            campaign_files.append(str(p))
        elif p.name == "quarantine.jsonl":
            others.append(("quarantined rows", str(p)))
        elif p.name == "intel_matches.parquet":
            others.append(("intel matches", str(p)))
        else:
            others.append(("output", str(p)))
    if accounts:
        rows.append(("accounts", ", ".join(accounts)))
    if campaign_files:
        rows.append(("campaigns", ", ".join(campaign_files)))
    rows += others
    if store is not None:
        rows.append(("store", f"{store}  (DuckDB: events, signals, profiles)"))
    return rows


def campaign_table(campaigns: object) -> None:
    """Rich table of the campaigns found, with their sizes and evidence."""
    import pyarrow as pa

    assert isinstance(campaigns, pa.Table)
    if campaigns.num_rows == 0:
        console.print("campaigns: none found")
        return
    t = Table(title=f"{campaigns.num_rows} campaign(s)")
    for col in ("campaign", "risk", "accounts", "requests", "span", "evidence"):
        t.add_column(col, overflow="fold")
    for row in campaigns.to_pylist():
        span = "—"
        if row["first_ts"] is not None and row["last_ts"] is not None:
            span = f"{row['first_ts']:%Y-%m-%d} … {row['last_ts']:%Y-%m-%d}"
        ev = ", ".join(
            f"{e['link_type']} ({e['accounts']:,} accounts)" for e in (row["evidence"] or [])[:4]
        )
        t.add_row(
            row["campaign_id"],
            f"{row['risk']:.4f}",
            f"{row['n_accounts']:,}",
            f"{row['n_events']:,}",
            span,
            ev,
        )
    console.print(t)
