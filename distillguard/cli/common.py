"""What every command shares: the root app, the consoles, error handling, writers.

Every command is wrapped in :func:`friendly`: a
:class:`~distillguard.errors.DistillguardError` becomes one clear line on stderr
and exit code 2; a traceback means a bug in distillguard, never bad input.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Final, ParamSpec, TypeVar

import typer
from rich.console import Console

from distillguard import __version__
from distillguard.errors import DistillguardError
from distillguard.helpformat import App

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

EXIT_INPUT_ERROR: Final = 2


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Report user errors as one line and exit 2 instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DistillguardError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(EXIT_INPUT_ERROR) from exc

    return wrapper


def _version(value: bool) -> None:
    if value:
        console.print(f"distillguard {__version__}")
        raise typer.Exit()


def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Detect and stop adversarial distillation of model APIs."""


def new_app() -> App:
    """The root ``distillguard`` app, before any command is added."""
    app = App(
        name="distillguard",
        help="Detect and stop adversarial distillation of model APIs.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    app.callback()(main)
    return app


def print_outputs(rows: list[tuple[str, str]], seconds: float) -> None:
    """The last lines of a run: where every output is, one a line, never wrapped."""
    console.print("[bold]outputs[/]")
    width = max(len(what) for what, _ in rows)
    for what, where in rows:
        console.print(f"  {what:<{width}}  {where}", highlight=False, soft_wrap=True)
    console.print(f"done in {seconds:.1f} s")


def write_json(doc: dict[str, object], path: Path) -> None:
    """``doc`` as indented JSON, written atomically."""
    from distillguard.fileio import atomic_open

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as fh:
        fh.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def write_table(table: object, out: Path) -> None:
    """An Arrow table as Parquet, CSV or JSON Lines (by ``out``'s suffix), atomically."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from distillguard.fileio import atomic_open

    assert isinstance(table, pa.Table)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix in (".jsonl", ".json"):
        with atomic_open(out) as fh:
            for row in table.to_pylist():
                fh.write(json.dumps(row, default=str) + "\n")
        return
    with atomic_open(out, "wb") as fb:
        if out.suffix == ".csv":
            pacsv.write_csv(table, fb)
        else:
            pq.write_table(table, fb, compression="zstd")
