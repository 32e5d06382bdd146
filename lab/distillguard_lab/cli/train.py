"""``distillguard train``: fit evidence weights on labelled traffic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from distillguard.cli.common import (
    console,
    friendly,
)


@friendly
def train(
    inputs: Annotated[list[Path], typer.Argument(metavar="LOGS", help="Labelled traffic logs.")],
    labels: Annotated[Path, typer.Option(metavar="FILE", help="labels.parquet for those logs.")],
    out: Annotated[Path, typer.Option(metavar="FILE", help="Model file to write.")] = Path(
        "model.json"
    ),
    store: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Store for the training traffic (default: a temporary one)."
        ),
    ] = None,
) -> None:
    """Fit evidence weights on labelled traffic (optional; scan needs no labels)."""
    import tempfile

    from distillguard.ingest import read_labels
    from distillguard.store.duckdb import Store
    from distillguard_lab.train import train as fit

    with tempfile.TemporaryDirectory() as tmp, Store(store or Path(tmp) / "train.duckdb") as s:
        s.load(inputs)
        profiles = s.profile_table()
    model = fit(profiles, read_labels(labels), source=", ".join(str(p) for p in inputs))
    model.save(out)
    t = Table(title="learned evidence weights")
    t.add_column("term")
    t.add_column("weight", justify="right")
    for k, v in model.weights.items():
        t.add_row(k, f"{v:+.3f}")
    console.print(t)
    console.print(f"wrote {out}; use it with `distillguard scan --model {out}`")
