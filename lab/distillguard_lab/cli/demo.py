"""``distillguard demo``: the main job on the embedded default."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    friendly,
    print_outputs,
    write_json,
)
from distillguard.cli.tables import campaign_table, scan_outputs, top_table
from distillguard_lab.cli.simulate import print_summary


@friendly
def demo(
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario",
            "-s",
            metavar="NAME",
            help="Shipped scenario name or a scenario YAML file.",
        ),
    ] = "standard",
    seed: Annotated[
        int, typer.Option(help="Seed of the simulated traffic (not one the calibration used).")
    ] = 1001,
    events: Annotated[int | None, typer.Option(help="Number of events.")] = 100_000,
    out: Annotated[
        Path,
        typer.Option(metavar="DIR", help="Folder for every output (runs/ is ignored by git)."),
    ] = Path("runs/demo"),
) -> None:
    """The main job on the embedded default: simulate, scan, evaluate.

    Simulates a scenario from real prompts, loads it into a fresh DuckDB store,
    scores every account with reasons, links campaigns, writes their HTML reports
    and measures detection against the simulator's labels.  Everything goes under
    OUT; the last lines say where, the report index first.

    Examples:
      distillguard demo
      distillguard demo --scenario stealth --seed 2024 --out runs/stealth
      distillguard demo --events 20000     (a quicker, smaller run)
    """
    from distillguard.ingest import read_labels
    from distillguard.scan import ScanOptions
    from distillguard.scan import scan as run_scan
    from distillguard_lab.evaluate.campaigns import evaluate_campaigns, render_campaign_report
    from distillguard_lab.evaluate.metrics import evaluate_accounts, render_report
    from distillguard_lab.sim.run import run_simulation

    t0 = time.perf_counter()
    sim_dir, scan_dir, store = out / "sim", out / "scan", out / "distillguard.duckdb"
    store.unlink(missing_ok=True)
    result, _ = run_simulation(
        scenario, seed=seed, events=events, out=sim_dir, jsonl=False, progress=True
    )
    print_summary(result.summary)
    console.rule("scan")
    scanned = run_scan([sim_dir / "events.parquet"], ScanOptions(store=store, out=scan_dir))
    top_table(scanned.accounts, 10)
    if scanned.campaigns is not None:
        campaign_table(scanned.campaigns)
    console.rule("evaluation against the simulator's labels")
    labels = read_labels(sim_dir / "labels.parquet")
    report = evaluate_accounts(scanned.accounts, labels)
    render_report(report, console)
    camp = evaluate_campaigns(scanned.accounts, labels)
    render_campaign_report(camp, console)
    eval_json = out / "eval.json"
    write_json(report.to_dict() | camp.to_dict(), eval_json)
    console.print()
    rows = scan_outputs(scanned, store)
    rows += [
        ("simulated logs", f"{sim_dir / 'events.parquet'}  (labels: labels.parquet beside it)"),
        ("evaluation", f"{eval_json}  (the metrics above, as JSON)"),
    ]
    print_outputs(rows, time.perf_counter() - t0)
    console.print(
        "next: open the report index in a browser; docs/getting-started.md scans your own logs",
        highlight=False,
        soft_wrap=True,
    )
