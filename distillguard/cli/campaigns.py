"""``distillguard campaigns``: link a store's accounts into campaigns again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    friendly,
    print_outputs,
)
from distillguard.cli.tables import campaign_table, scan_outputs
from distillguard.errors import DistillguardError


@friendly
def campaigns(
    store: Annotated[
        Path, typer.Option(metavar="FILE", help="DuckDB store written by `distillguard scan`.")
    ] = Path("distillguard.duckdb"),
    out: Annotated[Path, typer.Option(metavar="DIR", help="Output directory.")] = Path("scan-out"),
    calibration: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Calibration file from `distillguard calibrate`."),
    ] = None,
    reports: Annotated[
        bool, typer.Option("--reports/--no-reports", help="Write an HTML report per campaign.")
    ] = True,
) -> None:
    """Link the store's accounts into campaigns (hydra clusters) and report them.

    Rescores every account in the store, links accounts that share addresses,
    networks, payment, rare clients, sign-up bursts and templates, clusters the
    account graph and scores each group's pooled traffic.  Writes
    OUT/campaigns.parquet, OUT/campaign_links.parquet, OUT/reports/*.html and
    OUT/accounts.parquet with campaign_id.  `scan` runs this too.
    """
    from distillguard.scan import ScanOptions
    from distillguard.scan import scan as run_scan

    if not store.exists():
        raise DistillguardError("no such store (run `distillguard scan` first)", path=store)
    with console.status("linking accounts into campaigns"):
        result = run_scan(
            [], ScanOptions(store=store, out=out, calibration=calibration, reports=reports)
        )
    if result.campaigns is not None:
        campaign_table(result.campaigns)
    print_outputs(scan_outputs(result, store), result.timings["total_s"])
