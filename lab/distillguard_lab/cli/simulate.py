"""``distillguard simulate``: API traffic from real prompts, with labels."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from distillguard.cli.common import (
    console,
    friendly,
)


@friendly
def simulate(
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario",
            "-s",
            metavar="NAME",
            help="Shipped scenario (easy, standard, stealth, mixed) or a scenario YAML file.",
        ),
    ] = "standard",
    seed: Annotated[
        int, typer.Option(help="Random seed; same scenario and seed give the same bytes.")
    ] = 0,
    events: Annotated[
        int | None, typer.Option(help="Number of events (default: the scenario's own).")
    ] = None,
    out: Annotated[Path, typer.Option(metavar="DIR", help="Output directory.")] = Path("sim-out"),
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Also write events.jsonl.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars or summary.")
    ] = False,
) -> None:
    """Simulate API traffic (benign users and distillation campaigns) from real prompts.

    Writes OUT/events.parquet (the interaction-log schema), OUT/labels.parquet
    (account_id, is_attack, campaign_id, role), OUT/event_labels.parquet and
    OUT/summary.json.

    Examples:
      distillguard simulate --scenario standard --seed 1001 --out runs/example/sim
      distillguard simulate --scenario mixed --events 20000 --jsonl --out runs/mixed
      distillguard scenarios standard     (what a scenario holds)
    """
    from distillguard_lab.sim.run import run_simulation

    t0 = time.perf_counter()
    result, written = run_simulation(
        scenario, seed=seed, events=events, out=out, jsonl=jsonl, progress=not quiet
    )
    if not quiet:
        print_summary(result.summary)
        console.print(
            f"wrote {', '.join(str(p) for p in written)} in {time.perf_counter() - t0:.1f} s",
            soft_wrap=True,
        )


def print_summary(summary: dict[str, object]) -> None:
    """Rich tables of a simulation summary."""
    roles = summary["roles"]
    assert isinstance(roles, dict)
    t = Table(
        title=(
            f"scenario {summary['scenario']} (seed {summary['seed']}): "
            f"{summary['events']:,} events, {summary['accounts']:,} accounts"
        )
    )
    t.add_column("role")
    t.add_column("accounts", justify="right")
    t.add_column("events", justify="right")
    for role, d in roles.items():
        t.add_row(role, f"{d['accounts']:,}", f"{d['events']:,}")
    console.print(t)
    camps = summary["campaigns"]
    assert isinstance(camps, dict)
    if camps:
        c = Table(title="campaigns (ground truth)")
        for col in ("campaign", "accounts", "events", "cover share", "max req/account"):
            c.add_column(col, justify="left" if col == "campaign" else "right")
        for cid, d in camps.items():
            c.add_row(
                cid,
                f"{d['accounts']:,}",
                f"{d['events']:,}",
                f"{d['cover_share']:.0%}",
                f"{d['max_requests_per_account']:,}",
            )
        console.print(c)
    console.print(
        f"attack accounts: {summary['attack_accounts']:,} "
        f"({summary['attack_account_share']:.1%} of accounts), "
        f"attack events: {summary['attack_event_share']:.1%} of events"
    )
