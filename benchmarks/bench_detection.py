"""Detection quality on held-out test seeds (never used for calibration or tuning).

For each (scenario, seed): simulate at the scenario's default size, scan with the
shipped default calibration, evaluate against the labels.  Prints one row per run
and writes all metrics as JSON.

    .venv/bin/python benchmarks/bench_detection.py [--scenario standard] [--seeds 1019 1020 1021]

Targets (issue 3, `standard`): TPR >= 95% at account FPR <= 0.1%; FPR <= 0.5% for app
integrations and for evaluation users separately.  Calibration uses seeds 100-101
(standard), 100 (stealth, mixed); development used seeds 200-203 and 300.  Test seeds
already reported (and so spent): 1000-1018 (standard; 1018 at 100,000 events), up to
1010 (stealth), up to 1009 (mixed); see docs/evaluation.md.  The defaults are the next
fresh ones.  Campaign
metrics (issue 4) are printed too, and per label role the share of accounts at each
verdict level (watch or above, restrict or above, block), with the blocks that rest
on fewer than ``--small`` requests (issue 16): for a benign role that is its FPR at
each level.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from distillguard_lab.evaluate.campaigns import evaluate_campaigns
from distillguard_lab.evaluate.metrics import evaluate_accounts

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _verdicts import print_verdict_levels, verdict_levels


def run(
    scenario: str,
    seed: int,
    tmp: Path,
    events: int | None,
    calibration: Path | None = None,
    sim_dir: Path | None = None,
    out_dir: Path | None = None,
    small: int = 20,
) -> dict[str, Any]:
    """Simulate (or reuse ``sim_dir``'s copy of) one run, scan it, evaluate it."""
    size = f"-{events}" if events else ""
    sim = (sim_dir or tmp) / f"{scenario}-{seed}{size}"
    out = (out_dir or tmp) / f"scan-{scenario}-{seed}{size}"
    if not ((sim / "events.parquet").exists() and (sim / "labels.parquet").exists()):
        cmd = [sys.executable, "-m", "distillguard", "simulate", "--scenario", scenario,
               "--seed", str(seed), "--out", str(sim), "-q"]  # fmt: skip
        if events:
            cmd += ["--events", str(events)]
        subprocess.run(cmd, check=True)
    store = tmp / f"s-{scenario}-{seed}.duckdb"
    store.unlink(missing_ok=True)
    scan = [sys.executable, "-m", "distillguard", "scan", str(sim / "events.parquet"),
            "--store", str(store), "--out", str(out), "-q"]  # fmt: skip
    if calibration is not None:
        scan += ["--calibration", str(calibration)]
    subprocess.run(scan, check=True)
    accounts = pq.read_table(out / "accounts.parquet")
    labels = pq.read_table(sim / "labels.parquet")
    report = evaluate_accounts(accounts, labels)
    levels = {"verdict_levels": verdict_levels(accounts, labels, small)}
    return report.to_dict() | evaluate_campaigns(accounts, labels).to_dict() | levels


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scenario", default="standard")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1019, 1020, 1021])
    ap.add_argument("--events", type=int, default=None)
    ap.add_argument("--json", type=Path, default=Path("bench-detection.json"))
    ap.add_argument(
        "--calibration",
        type=Path,
        default=None,
        help="calibration file passed to the scan (default: the shipped one)",
    )
    ap.add_argument(
        "--sim-dir", type=Path, default=None, help="keep/reuse simulated logs in this directory"
    )
    ap.add_argument(
        "--out-dir", type=Path, default=None, help="keep each scan's output in this directory"
    )
    ap.add_argument(
        "--small", type=int, default=20, help="count blocks on fewer requests than this"
    )
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            results[seed] = run(
                args.scenario,
                seed,
                Path(tmp),
                args.events,
                args.calibration,
                args.sim_dir,
                args.out_dir,
                args.small,
            )
    header = (
        "seed",
        "AUC",
        "TPR@0.1%",
        "TPR@1%",
        "precision",
        "recall",
        "FPR",
        "FPR apps",
        "FPR eval",
        "worst campaign",
        "found",
        "purity",
        "benign grp",
    )
    print("  ".join(f"{h:>10}" for h in header))
    for seed, r in results.items():
        fr = r["fpr_by_role"]
        worst = min(r["recall_by_campaign"].items(), key=lambda kv: kv[1], default=("-", 0.0))

        def pct(x: float | None) -> str:
            return "n/a" if x is None else f"{100 * x:.2f}%"

        row = (
            str(seed), f"{r['roc_auc']:.4f}", pct(r["tpr_at_fpr_0.001"]), pct(r["tpr_at_fpr_0.01"]),
            pct(r["precision"]), pct(r["recall"]), pct(r["fpr"]), pct(fr.get("app_integration")),
            pct(fr.get("eval_user")), f"{worst[0]} {pct(worst[1])}",
            pct(r["campaigns_found"]), pct(r["campaign_purity"]), str(r["benign_groups_flagged"]),
        )  # fmt: skip
        print("  ".join(f"{c:>10}" for c in row))
    for seed, r in results.items():
        print_verdict_levels(r["verdict_levels"], f"{args.scenario} seed {seed}", args.small)
    args.json.write_text(json.dumps({"scenario": args.scenario, "runs": results}, indent=1) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
