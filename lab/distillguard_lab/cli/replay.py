"""``distillguard replay``: simulated events through a gateway, harvest per campaign."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    friendly,
)


@friendly
def replay(
    events: Annotated[
        Path,
        typer.Argument(
            metavar="EVENTS",
            help="events.parquet from `distillguard simulate` (labels.parquet beside it), "
            "or the same events in any log format.",
        ),
    ],
    gateway: Annotated[str | None, typer.Option(metavar="URL", help="Gateway base URL.")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Write the report here.")
    ] = None,
    write_keys: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Write the keys table the replay's keys need (sk-sim-ACCOUNT) and exit.",
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Requests in flight.")] = 8,
    limit: Annotated[int | None, typer.Option(help="Replay only the first N events.")] = None,
) -> None:
    """Send simulated events through the gateway in time order; report harvest per campaign."""
    from distillguard_lab.replay import render, replay_events, write_keys_table

    if write_keys is not None:
        n = write_keys_table(events, write_keys)
        console.print(f"wrote {n:,} keys to {write_keys}")
        return
    if gateway is None:
        raise typer.BadParameter("give --gateway URL (or --write-keys FILE)")
    report = asyncio.run(replay_events(events, gateway, concurrency=concurrency, limit=limit))
    render(report, console)
    if json_out is not None:
        json_out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
