"""``distillguard forum-demo``: three providers, one campaign, one hub."""

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
def forum_demo(
    json_out: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Write the report as JSON.")
    ] = None,
    workdir: Annotated[Path, typer.Option(metavar="DIR", help="Working directory.")] = Path(
        "runs/forum-demo"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the simulated traffic.")] = 11,
    events: Annotated[int | None, typer.Option(help="Events (default: the scenario's).")] = (None),
    concurrency: Annotated[
        int, typer.Option(help="Requests in flight per gateway while replaying a day.")
    ] = 8,
) -> None:
    """Three providers, one campaign, one forum hub: what sharing indicators saves.

    Starts a TAXII hub, a mock model API and six `serve` gateways on loopback
    (three providers, with and without sharing) and sends every request through
    them over HTTP.
    """

    from distillguard_lab.forum_demo import run_forum_demo

    with console.status("forum demo") as status:
        report = run_forum_demo(
            workdir, seed=seed, events=events, concurrency=concurrency,
            on_step=lambda m: status.update(m),
        )  # fmt: skip
    t = Table(title="one campaign, three providers: with and without sharing")
    cols = ("provider", "arm", "campaign requests", "answered", "requests/account to stop",
            "benign requests", "benign denied", "gateway ms (mean)")  # fmt: skip
    for col in cols:
        t.add_column(col, justify="left" if col in ("provider", "arm") else "right")
    for p in ("A", "B", "C"):
        for arm in ("without_sharing", "with_sharing"):
            d = report[arm][p]
            t.add_row(
                p,
                arm.replace("_", " "),
                f"{d['campaign_requests']:,}",
                f"{d['answered']:,}",
                f"{d['requests_per_account_to_stop']}",
                f"{d['benign_requests']:,}",
                f"{d['benign_denied']:,}",
                f"{d['gateway_decision_ms_mean']}",
            )
            if d["transport_errors"]:
                console.print(
                    f"[yellow]{p} {arm}: {d['transport_errors']} requests failed (transport)[/]"
                )
    console.print(t)
    console.print(
        f"reduction factor (B and C, answered without / with sharing): "
        f"{report['reduction_factor']}x in {report['timings_s']['total_s']} s"
    )
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out}")
