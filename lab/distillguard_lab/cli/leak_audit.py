"""``distillguard leak-audit``: does one plain per-account aggregate give attackers away?"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from distillguard.cli.common import console, friendly, write_json

if TYPE_CHECKING:
    from distillguard_lab.leak_audit import ScenarioAudit

#: Rows shown per scenario unless --all (leaks and tells are always shown).
SHOWN = 12


@friendly
def leak_audit(
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            "-s",
            metavar="NAME",
            help="Shipped scenario or scenario file (repeat; default: every shipped one).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated traffic.")] = 1015,
    events: Annotated[
        int | None,
        typer.Option(help="Events per scenario (default 100,000; 0: the scenario's own)."),
    ] = 100_000,
    from_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--from",
            metavar="DIR",
            help="Audit a folder `distillguard simulate` wrote instead (repeat).",
        ),
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="AUC at which an undocumented feature is a leak.")
    ] = 0.995,
    campaigns: Annotated[
        bool,
        typer.Option(
            "--campaigns",
            help="Also fail when a feature separates one campaign's accounts (not only all).",
        ),
    ] = False,
    show_all: Annotated[bool, typer.Option("--all", help="Show every feature.")] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Write the audit as JSON.")
    ] = None,
) -> None:
    """Audit the simulator for giveaways: single-feature AUC of plain per-account aggregates.

    For every scenario, computes from the log columns alone (never the detector's
    signals) one row of plain aggregates per account (volume, addresses, clients,
    account age, tier, payment reuse, tokens, parameters, timing, message shape) and
    each one's ROC AUC of attack against benign accounts, in the better direction,
    for all attackers and for each campaign alone. A feature that reaches THRESHOLD
    for the scenario's attackers is a leak unless
    lab/distillguard_lab/data/attacker_tells.yaml lists it as a documented attacker
    tell with its source. Per-campaign separations are shown, and fail the audit
    only with --campaigns. Exit code 1 when there is a leak.

    Examples:
      distillguard leak-audit
      distillguard leak-audit -s standard -s stealth --events 100000 --seed 1015
      distillguard leak-audit --from runs/example/sim --json audit.json
    """
    from distillguard_lab.leak_audit import audit_dir, audit_scenario, load_tells

    tells = load_tells()
    audits: list[ScenarioAudit] = []
    if from_dir:
        if scenario:
            console.print("--scenario is ignored with --from (the folder names its scenario)")
        for folder in from_dir:
            audits.append(audit_dir(folder, tells=tells, threshold=threshold))
    else:
        from distillguard_lab.sim.corpus import load_corpus
        from distillguard_lab.sim.pools import Pools
        from distillguard_lab.sim.scenario import shipped_scenarios

        names = scenario or sorted(shipped_scenarios())
        with console.status("loading the real-prompt corpus"):
            pools = Pools.from_table(load_corpus(progress=False).table)
        for name in names:
            with console.status(f"simulating and auditing {name}"):
                audits.append(
                    audit_scenario(
                        name,
                        seed=seed,
                        events=events or None,
                        pools=pools,
                        tells=tells,
                        threshold=threshold,
                    )
                )
    for audit in audits:
        render(audit, show_all=show_all)
    if json_out is not None:
        write_json({"audits": [a.to_dict() for a in audits]}, json_out)
        console.print(f"wrote {json_out}", highlight=False)
    leaks = [f"{a.scenario}/{f}" for a in audits for f in a.leaks]
    camp_leaks = [f"{a.scenario}/{f} ({c})" for a in audits for f, c in a.campaign_leaks]
    if camp_leaks:
        console.print(
            f"{len(camp_leaks)} undocumented per-campaign separation(s) at AUC {threshold}"
            f"{'' if campaigns else ' (shown, not failing; --campaigns fails on them)'}: "
            + ", ".join(camp_leaks),
            soft_wrap=True,
            highlight=False,
        )
    failing = leaks + (camp_leaks if campaigns else [])
    if failing:
        console.print(
            f"[bold red]{len(failing)} undocumented feature(s) reach AUC {threshold}:[/] "
            + ", ".join(failing),
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print(
        f"no undocumented feature reaches AUC {threshold} for the attackers of "
        f"{', '.join(a.scenario for a in audits)}",
        highlight=False,
    )


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def render(audit: ScenarioAudit, *, show_all: bool = False) -> None:
    """A rich table of one scenario's audit, highest AUC first."""
    seed = "" if audit.seed is None else f", seed {audit.seed}"
    t = Table(
        title=(
            f"leak audit: {audit.scenario}{seed} ({audit.events:,} events, "
            f"{audit.accounts:,} accounts, {audit.attack_accounts:,} attack)"
        )
    )
    for col in ("feature", "AUC", "attackers", "attack median", "benign median"):
        t.add_column(col, justify="left" if col in ("feature", "attackers") else "right")
    t.add_column("worst campaign", justify="left")
    t.add_column("status", justify="left")
    rows = audit.sorted_results()
    for i, r in enumerate(rows):
        leak = r.leaks(audit.threshold)
        camp = r.campaign_leaks(audit.threshold)
        allowed = r.tell is not None or bool(r.campaign_tells)
        if not (show_all or i < SHOWN or leak or camp or allowed):
            continue
        cid, cauc = r.worst_campaign
        status = []
        if leak:
            status.append("[bold red]LEAK[/]")
        elif r.tell is not None and r.auc >= audit.threshold:
            status.append(f"tell: {r.tell.id}")
        if camp:
            status.append("[yellow]campaign[/] " + ", ".join(camp))
        told = [c for c in r.campaign_tells if r.campaign_aucs.get(c, 0.0) >= audit.threshold]
        if told:
            status.append("tell: " + ", ".join(f"{c} ({r.campaign_tells[c].id})" for c in told))
        t.add_row(
            r.feature,
            f"{r.auc:.4f}",
            r.direction,
            _fmt(r.attack_median),
            _fmt(r.benign_median),
            "—" if cid is None else f"{cid} {cauc:.4f}",
            "; ".join(status),
        )
    console.print(t)
