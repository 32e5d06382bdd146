"""``distillguard scan``: load logs, judge every account, find campaigns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    err_console,
    friendly,
    print_outputs,
    write_json,
)
from distillguard.cli.tables import campaign_table, scan_outputs, top_table


@friendly
def scan(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="LOGS",
            help="Log files: Parquet, JSON Lines or OpenAI-style request records, "
            "gzipped or not (docs/schema.md).",
        ),
    ],
    store: Annotated[
        Path, typer.Option(metavar="FILE", help="DuckDB store (created if missing).")
    ] = Path("distillguard.duckdb"),
    out: Annotated[Path, typer.Option(metavar="DIR", help="Output directory.")] = Path("scan-out"),
    output_format: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="Also write accounts as json or csv (repeatable); Parquet is always written.",
        ),
    ] = None,
    calibration: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Calibration file from `distillguard calibrate`."),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Model file from `distillguard train` (weights + calibration)."
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            metavar="FORMAT",
            help="Read every input as parquet, jsonl or openai (default: detected per file).",
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="How many of the riskiest accounts to show.")] = 15,
    campaigns: Annotated[
        bool,
        typer.Option(
            "--campaigns/--no-campaigns", help="Link accounts into campaigns (hydra clusters)."
        ),
    ] = True,
    reports: Annotated[
        bool, typer.Option("--reports/--no-reports", help="Write an HTML report per campaign.")
    ] = True,
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json",
            metavar="FILE",
            help="Also write a summary of the run as JSON (files read, verdict counts, "
            "outputs, seconds per stage; docs/scan.md). '-' prints it on stdout.",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print nothing but errors and the quarantine summary (both on stderr).",
        ),
    ] = False,
    intel: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Indicators pulled from a sharing forum (`distillguard intel pull`).",
        ),
    ] = None,
    intel_keys: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Forum key ring for --intel (default: $DISTILLGUARD_FORUM_KEYS)."
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="List prices the value taken is priced at (default: the shipped prices.yaml; "
            "docs/policy.md).",
        ),
    ] = None,
) -> None:
    """Load logs into the store, score every account with reasons, find campaigns.

    Writes OUT/reports/index.html (the campaign reports), OUT/accounts.parquet
    (account_id, risk, score, verdict, reasons, features, campaign_id, value_usd,
    reasoning_value_usd),
    OUT/campaigns.parquet, OUT/campaign_links.parquet and, when rows were rejected,
    OUT/quarantine.jsonl.  Loading is idempotent by event_id and incremental: run it
    on each new day's file.  Exit status 2 when an input is missing or unreadable
    (no store is left behind) or when no row of the inputs is valid.

    Examples:
      distillguard scan logs/day-01.parquet --store runs/dg.duckdb --out runs/scan
      distillguard scan logs/day-02.jsonl.gz --store runs/dg.duckdb --out runs/scan
      distillguard scan requests.jsonl --input-format openai --format csv --out runs/scan
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from distillguard.scan import ScanOptions, quarantine_summary
    from distillguard.scan import scan as run_scan

    # The JSON on stdout is the whole of stdout.
    quiet = quiet or (json_out is not None and str(json_out) == "-")
    opts = ScanOptions(
        store=store,
        out=out,
        formats=("parquet", *(output_format or [])),
        calibration=calibration,
        model=model,
        fmt=fmt,
        campaigns=campaigns,
        reports=reports,
        intel=intel,
        intel_keys=intel_keys,
        prices=prices,
    )
    total = _count_rows(inputs)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("loading events", total=total)

        def step(_: str, rows: int) -> None:
            bar.update(task, advance=rows)

        result = run_scan(inputs, opts, on_progress=step)
    load = result.load
    if result.quarantine is not None:
        rows = sum(f["good"] + f["quarantined"] for f in load.files.values())
        err_console.print(
            "[yellow]warning:[/] " + quarantine_summary(load.quarantined, rows, result.quarantine),
            highlight=False,
        )
    if json_out is not None:
        summary = {"store": str(store), **result.summary()}
        if str(json_out) == "-":
            print(json.dumps(summary, indent=1))
        else:
            write_json(summary, json_out)
    if quiet:
        return
    console.print(
        f"loaded {load.inserted:,} new events ({load.duplicates:,} already stored, "
        f"{len(load.quarantined):,} quarantined) into {store}"
    )
    top_table(result.accounts, top)
    if result.campaigns is not None:
        campaign_table(result.campaigns)
    print_outputs(scan_outputs(result, store), result.timings["total_s"])


def _count_rows(inputs: list[Path]) -> int | None:
    """Rows to expect, for the progress bar (Parquet metadata; None when unknown)."""
    import pyarrow.parquet as pq

    total = 0
    for p in inputs:
        if p.suffix != ".parquet" or not p.is_file():
            return None
        try:
            total += pq.read_metadata(p).num_rows
        except Exception:
            return None
    return total
