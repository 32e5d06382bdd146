"""``distillguard scenarios``: the shipped simulator scenarios."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from distillguard.cli.common import (
    console,
    friendly,
)


@friendly
def scenarios(
    name: Annotated[
        str | None, typer.Argument(metavar="NAME", help="Show one scenario (name or file) in full.")
    ] = None,
) -> None:
    """List the shipped scenarios, or show one."""
    from distillguard_lab.sim.scenario import load_scenario, shipped_scenarios

    if name is None:
        t = Table(title="shipped scenarios")
        for col in ("name", "events", "benign accounts", "campaigns", "attack accounts"):
            t.add_column(col)
        for n in sorted(shipped_scenarios()):
            s = load_scenario(n)
            t.add_row(
                n,
                f"{s.events:,}",
                f"{sum(p.accounts for p in s.populations):,}",
                ", ".join(c.id for c in s.campaigns),
                f"{sum(c.accounts for c in s.campaigns):,}",
            )
        console.print(t)
        return
    s = load_scenario(name)
    console.print(f"[bold]{s.name}[/]: {s.description}")
    for p in s.populations:
        console.print(
            f"  benign {p.role}: {p.accounts:,} accounts, {p.share:.0%} of benign events",
            highlight=False,
        )
    for c in s.campaigns:
        console.print(
            f"  campaign {c.id}: {c.accounts:,} accounts x "
            f"{c.requests_per_account[0]}-{c.requests_per_account[1]} "
            f"requests, cover {c.cover_fraction:.0%}, {c.proxies} {c.proxy_kind} proxies",
            highlight=False,
        )
