"""``distillguard signals``: every event's request-level signal values."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from distillguard.cli.common import (
    console,
    friendly,
    write_table,
)


@friendly
def signals(
    inputs: Annotated[
        list[Path],
        typer.Argument(metavar="LOGS", help="Log files (any format `scan` reads)."),
    ],
    out: Annotated[
        Path, typer.Option(metavar="FILE", help="Output file (.parquet, .csv or .jsonl).")
    ] = Path("signals.parquet"),
    fmt: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            metavar="FORMAT",
            help="Read every input as parquet, jsonl or openai (default: detected per file).",
        ),
    ] = None,
    list_only: Annotated[
        bool, typer.Option("--list", help="List the registered signals and exit.")
    ] = False,
) -> None:
    """Every event's request-level signal values, one column per signal output."""
    from distillguard.ingest import read_events
    from distillguard.signals import compute_signals, create
    from distillguard.signals.base import available

    if list_only:
        t = Table(title="request-level signals")
        t.add_column("name")
        t.add_column("columns")
        t.add_column("what it flags", overflow="fold")
        for name in available():
            sig = create(name)
            t.add_row(name, ", ".join(f.name for f in sig.outputs), sig.description)
        console.print(t)
        return
    result = read_events(inputs, fmt=fmt, progress=True)
    table = compute_signals(result.table)
    write_table(table, out)
    console.print(
        f"wrote {table.num_rows:,} events x {table.num_columns - 2} signal columns to {out}"
        + (f" ({len(result.quarantined):,} rows quarantined)" if result.quarantined else "")
    )
