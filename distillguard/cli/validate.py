"""``distillguard validate``: check logs against the schema, quarantine bad rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from distillguard.cli.common import (
    console,
    friendly,
)


@friendly
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="LOGS", help="Parquet, JSON Lines or OpenAI-form JSONL files (gzipped or not)."
        ),
    ],
    quarantine: Annotated[
        Path, typer.Option(metavar="FILE", help="Where to write quarantined rows (JSON Lines).")
    ] = Path("quarantine.jsonl"),
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", metavar="FORMAT", help="parquet, jsonl or openai (default: detected)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print counts as JSON.")] = False,
) -> None:
    """Check interaction logs against the schema; quarantine bad rows (file, row, field, reason)."""
    from distillguard.ingest import read_events, write_quarantine

    result = read_events(files, fmt=fmt, progress=not as_json)
    write_quarantine(result.quarantined, quarantine)
    totals = {"good": 0, "quarantined": 0}
    per_file = {}
    for name, counts in result.counts.items():
        per_file[name] = {"good": counts.good, "quarantined": counts.quarantined}
        totals["good"] += counts.good
        totals["quarantined"] += counts.quarantined
    if as_json:
        console.print_json(
            json.dumps({"files": per_file, **totals, "quarantine_file": str(quarantine)})
        )
    else:
        t = Table(title="validation")
        t.add_column("file")
        t.add_column("good rows", justify="right")
        t.add_column("quarantined", justify="right")
        for name, d in per_file.items():
            t.add_row(name, f"{d['good']:,}", f"{d['quarantined']:,}")
        console.print(t)
        if totals["quarantined"]:
            reasons: dict[str, int] = {}
            for r in result.quarantined:
                reasons[f"{r.field}: {r.reason}"] = reasons.get(f"{r.field}: {r.reason}", 0) + 1
            top = sorted(reasons.items(), key=lambda kv: -kv[1])[:10]
            for reason, n in top:
                console.print(f"  {n:>6,}  {reason}", highlight=False)
            console.print(f"quarantined rows written to {quarantine}")
