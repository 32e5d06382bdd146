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

    Examples:
      distillguard calibrate logs/benign-week.parquet --out runs/calibration.json
      distillguard calibrate logs/benign.jsonl --block-rule-from runs/calibration.json \\
          --out runs/calibration-new.json
    """
    import tempfile

    from distillguard.calibrate import calibrate_on_logs
    from distillguard.fileio import atomic_open
    from distillguard.scoring.risk import Calibration

    rule = None if block_rule_from is None else Calibration.load(block_rule_from).block_evidence
    with tempfile.TemporaryDirectory() as tmp:
        cal = calibrate_on_logs(
            benign,
            store or Path(tmp) / "benign.duckdb",
            fpr={"watch": watch_fpr, "restrict": restrict_fpr, "block": block_fpr},
            block_evidence=rule,
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
    console.print(f"wrote {out}; use it with `distillguard scan --calibration {out}`")
