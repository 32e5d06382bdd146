"""``distillguard eval``: detection metrics against labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    friendly,
    write_json,
)
from distillguard.errors import DistillguardError


@friendly
def eval_(
    labels: Annotated[
        Path,
        typer.Option(
            metavar="FILE", help="labels.parquet (account_id, is_attack, campaign_id, role)."
        ),
    ],
    accounts: Annotated[
        Path, typer.Option(metavar="FILE", help="accounts.parquet from `distillguard scan`.")
    ],
    json_out: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Write all metrics as JSON.")
    ] = None,
    dev_report: Annotated[
        bool,
        typer.Option(
            "--dev-report",
            help="Also print the chain-of-thought signal's development report: recall on its "
            "development and held-out phrasing families, flag rates on benign prompt sets "
            "(about 160 lines; needs the corpus). JSON key `signals`.",
        ),
    ] = False,
    seed: Annotated[
        int, typer.Option(help="Seed for sampling the --dev-report evaluation sets.")
    ] = 0,
) -> None:
    """Detection metrics: ROC-AUC, TPR at FPR 0.1%/1%, FPR by role, recall by campaign, misses.

    Joins a scan's accounts with labels (a simulation's, or your own with columns
    account_id, is_attack, campaign_id, role) and prints account and campaign
    metrics; --json writes them all.  The signal development report is behind
    --dev-report.

    Examples:
      distillguard eval --labels runs/example/sim/labels.parquet \\
          --accounts runs/example/scan/accounts.parquet --json runs/example/eval.json
      distillguard eval --labels labels.parquet --accounts accounts.parquet --dev-report
    """
    import pyarrow.parquet as pq

    from distillguard.ingest import read_labels
    from distillguard_lab.evaluate.campaigns import evaluate_campaigns, render_campaign_report
    from distillguard_lab.evaluate.metrics import evaluate_accounts, render_report

    try:
        acc = pq.read_table(accounts)
    except (OSError, ValueError) as exc:
        raise DistillguardError(f"cannot read accounts: {exc}", path=accounts) from exc
    lab = read_labels(labels)
    report = evaluate_accounts(acc, lab)
    render_report(report, console)
    out = report.to_dict()
    if "campaign_id" in acc.column_names:
        camp = evaluate_campaigns(acc, lab)
        render_campaign_report(camp, console)
        out |= camp.to_dict()
    if dev_report:
        out["signals"] = _signal_eval(seed)
    if json_out is not None:
        write_json(out, json_out)
        console.print(f"wrote {json_out}")


def _signal_eval(seed: int) -> dict[str, object]:
    """Held-out family evaluation of the chain-of-thought signal (needs the corpus)."""
    from distillguard.errors import CorpusError
    from distillguard_lab.evaluate.cot import evaluate_cot

    try:
        cot = evaluate_cot(seed=seed, n_benign=20_000)
    except CorpusError as exc:
        console.print(f"[yellow]signal evaluation skipped:[/] {exc}")
        return {"cot_elicitation": None, "skipped": str(exc)}
    console.print(cot.table(), highlight=False)
    return {"cot_elicitation": cot.to_dict()}
