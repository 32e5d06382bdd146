"""``distillguard calibrate``: thresholds from your own known-benign traffic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    friendly,
)


@friendly
def calibrate(
    benign: Annotated[
        list[Path], typer.Argument(metavar="LOGS", help="Logs of known-benign traffic.")
    ],
    out: Annotated[Path, typer.Option(metavar="FILE", help="Calibration file to write.")] = Path(
        "calibration.json"
    ),
    store: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Store for the benign traffic (default: a temporary one)."
        ),
    ] = None,
    watch_fpr: Annotated[
        float, typer.Option(help="Share of benign accounts allowed at watch or worse.")
    ] = 0.01,
    restrict_fpr: Annotated[
        float, typer.Option(help="Share of benign accounts allowed at restrict or worse.")
    ] = 0.001,
    block_fpr: Annotated[
        float, typer.Option(help="Share of benign accounts allowed at block.")
    ] = 0.0002,
    feedback: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Review feedback table(s) (`distillguard review act`, the gateway's "
            "--feedback): cleared accounts join the benign accounts, blocked ones are "
            "scored as labelled attack examples (repeatable).",
        ),
    ] = None,
    reviewed_logs: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="LOGS",
            help="Logs that hold the reviewed accounts' requests (the scanned logs; "
            "repeatable); needed with --feedback.",
        ),
    ] = None,
    block_rule_from: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Keep the block-evidence rule (block_evidence) of this calibration file, "
            "for example the one being replaced (default: the shipped rule).",
        ),
    ] = None,
) -> None:
    """Recalibrate risk and verdict thresholds on your own known-benign traffic.

    The thresholds are fitted; what a block needs besides its score (requests of the
    account's own, or campaign or intel evidence) is policy, kept from
    --block-rule-from when given.

    With --feedback, accounts a reviewer cleared (allow, unblock) are benign
    calibration data, their requests read from --reviewed-logs; accounts a
    reviewer blocked are never fitted on, but the report says which share of them
    each new threshold still reaches.

    Examples:
      distillguard calibrate logs/benign-week.parquet --out runs/calibration.json
      distillguard calibrate logs/benign.parquet --feedback runs/feedback.jsonl \\
          --reviewed-logs logs/day-01.parquet --out runs/calibration-new.json
      distillguard calibrate logs/benign.jsonl --block-rule-from runs/calibration.json \\
          --out runs/calibration-new.json
    """
    import tempfile

    from distillguard.calibrate import calibrate_on_logs, calibrate_with_feedback
    from distillguard.fileio import atomic_open
    from distillguard.scoring.risk import Calibration

    rule = None if block_rule_from is None else Calibration.load(block_rule_from).block_evidence
    fpr = {"watch": watch_fpr, "restrict": restrict_fpr, "block": block_fpr}
    use = None
    with tempfile.TemporaryDirectory() as tmp:
        if feedback:
            cal, use = calibrate_with_feedback(
                benign, store or Path(tmp) / "benign.duckdb", feedback=feedback,
                reviewed_logs=reviewed_logs or [], reviewed_store=Path(tmp) / "reviewed.duckdb",
                fpr=fpr, block_evidence=rule,
            )  # fmt: skip
        else:
            cal = calibrate_on_logs(
                benign, store or Path(tmp) / "benign.duckdb", fpr=fpr, block_evidence=rule
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(out) as fh:
        fh.write(cal.to_json() + "\n")
    console.print(
        f"calibrated on {cal.benign_accounts:,} benign accounts: "
        + ", ".join(
            f"{v} at score >= {t:.3f} (FPR {cal.fpr[v]:.1%})" for v, t in cal.thresholds.items()
        )
    )
    if use is not None:
        console.print(
            f"review feedback: {len(use.benign_added):,} reviewed false positive(s) added as "
            f"benign ({use.benign_already:,} already in the benign logs, "
            f"{use.not_found:,} labelled account(s) not in the reviewed logs); "
            f"{use.attack:,} confirmed harvester(s) scored"
            + (
                ": " + ", ".join(f"{v} {r:.0%}" for v, r in use.attack_reached.items())
                if use.attack
                else ""
            ),
            highlight=False,
        )
    console.print(f"wrote {out}; use it with `distillguard scan --calibration {out}`")
