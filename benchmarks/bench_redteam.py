"""Detection on traffic our simulator did not produce: the independent red team.

For each seed: simulate the benign-only background (``lab/distillguard_lab/redteam/
background.yaml``, 200,000 events over 14 days by default), add the red team's
seven operations (``lab/distillguard_lab/redteam/``, written blind to the detectors and
to the simulator's attack code), scan the mix with the shipped default
calibration (the detector as a black box: ``distillguard.scan.scan``), and
evaluate against the labels (``distillguard_lab.evaluate.metrics``).

    .venv/bin/python benchmarks/bench_redteam.py [--seeds 2013 2014] [--events 200000]

Seeds 2001 and up are red-team seeds: never used for simulator development,
calibration or tuning.  An operation counts as *missed* when fewer than half of
its accounts get a flagging verdict (restrict or block).  Do not tune detectors
on these seeds; if you do, they become development seeds and the report must say so.
Seeds 2001-2012 were reported already (docs/evaluation.md); the defaults are fresh.
Per label role, the share of accounts at each verdict level is printed too
(``_verdicts.py``; for benign roles, the FPR at that level).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.ingest import read_labels
from distillguard.scan import ScanOptions, scan
from distillguard_lab.evaluate.metrics import evaluate_accounts, roc_auc, tpr_at_fpr
from distillguard_lab.redteam import OPERATIONS, build_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table
from _verdicts import print_verdict_levels, verdict_levels

#: An operation with a lower recall at the default verdicts is reported as missed.
MISSED_BELOW = 0.5
_FLAGGED = ("restrict", "block")
_WATCH_OR_WORSE = ("watch", "restrict", "block")


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def per_campaign(accounts: pa.Table, labels: pa.Table) -> dict[str, dict[str, Any]]:
    """Median risk, recall, watch rate, AUC and TPR at 1% benign FPR per red-team campaign.

    Labelled accounts the scan never wrote count as risk 0, score -inf, ``allow``.
    """
    scanned = {
        r["account_id"]: r
        for r in accounts.select(["account_id", "risk", "score", "verdict"]).to_pylist()
    }
    rows = labels.to_pylist()
    benign = np.array(
        [
            scanned.get(r["account_id"], {}).get("score", -np.inf)
            for r in rows
            if not r["is_attack"]
        ],
        dtype=float,
    )
    out: dict[str, dict[str, Any]] = {}
    for cid in sorted({r["campaign_id"] for r in rows if r["is_attack"]}):
        mine = [scanned.get(r["account_id"]) for r in rows if r["campaign_id"] == cid]
        risk = np.array([m["risk"] if m else 0.0 for m in mine], dtype=float)
        score = np.array([m["score"] if m else -np.inf for m in mine], dtype=float)
        verdicts = [m["verdict"] if m else "allow" for m in mine]
        s = np.concatenate([score, benign])
        y = np.concatenate([np.ones(len(score), bool), np.zeros(len(benign), bool)])
        out[cid] = {
            "accounts": len(mine),
            "median_risk": float(np.median(risk)),
            "recall": sum(v in _FLAGGED for v in verdicts) / len(mine),
            "watch_or_worse": sum(v in _WATCH_OR_WORSE for v in verdicts) / len(mine),
            "block": sum(v == "block" for v in verdicts) / len(mine),
            "auc": roc_auc(s, y),
            "tpr_at_fpr_0.01": tpr_at_fpr(s, y, 0.01).tpr,
        }
    return out


def run(seed: int, tmp: Path, events: int) -> dict[str, Any]:
    """Build, scan and evaluate one seed; returns the metrics."""
    t0 = time.perf_counter()
    mixed = build_dataset(seed, tmp / f"mix-{seed}", events=events)
    t1 = time.perf_counter()
    result = scan(
        [mixed.out_dir / "events.parquet"],
        ScanOptions(store=tmp / f"store-{seed}.duckdb", out=tmp / f"scan-{seed}"),
    )
    t2 = time.perf_counter()
    labels = read_labels(mixed.out_dir / "labels.parquet")
    report = evaluate_accounts(result.accounts, labels)
    campaigns = per_campaign(result.accounts, labels)
    benign = pc.invert(labels["is_attack"])
    return {
        "seed": seed,
        "events": mixed.summary["events"],
        "benign_accounts": int(pc.sum(benign).as_py() or 0),
        "attack_accounts": mixed.summary["attack_accounts"],
        "attack_event_share": mixed.summary["attack_event_share"],
        "report": report.to_dict(),
        "campaigns": campaigns,
        "verdict_levels": verdict_levels(result.accounts, labels),
        "seconds": {"build": t1 - t0, "scan": t2 - t1, "total": time.perf_counter() - t0},
    }


def print_run(r: dict[str, Any]) -> list[str]:
    """Print one seed's table; returns the operations it missed."""
    rep = r["report"]
    rows: list[tuple[str, str]] = [
        ("events", f"{r['events']:,} ({_pct(r['attack_event_share'])} red team)"),
        ("accounts benign / red team", f"{r['benign_accounts']:,} / {r['attack_accounts']:,}"),
        ("ROC AUC", "n/a" if rep["roc_auc"] is None else f"{rep['roc_auc']:.4f}"),
        ("TPR @ FPR <= 0.1%", _pct(rep["tpr_at_fpr_0.001"])),
        ("TPR @ FPR <= 1%", _pct(rep["tpr_at_fpr_0.01"])),
        ("precision (restrict|block)", _pct(rep["precision"])),
        ("recall (restrict|block)", _pct(rep["recall"])),
        ("FPR (restrict|block)", _pct(rep["fpr"])),
    ]
    for role, fpr in sorted(rep["fpr_by_role"].items()):
        rows.append((f"FPR {role}", _pct(fpr)))
    for cid, c in r["campaigns"].items():
        auc = "n/a" if c["auc"] is None else f"{c['auc']:.3f}"
        rows.append(
            (
                f"{cid} ({c['accounts']})",
                f"recall {_pct(c['recall'])}, watch+ {_pct(c['watch_or_worse'])}, "
                f"block {_pct(c['block'])}, "
                f"median risk {c['median_risk']:.3f}, AUC {auc}, "
                f"TPR@1% {_pct(c['tpr_at_fpr_0.01'])}",
            )
        )
    missed = [cid for cid, c in r["campaigns"].items() if c["recall"] < MISSED_BELOW]
    rows.append(("missed (recall < 50%)", ", ".join(missed) or "none"))
    sec = r["seconds"]
    rows.append(("seconds build / scan", f"{sec['build']:.1f} / {sec['scan']:.1f}"))
    print(f"\n== red-team seed {r['seed']} ==")
    print_table(rows)
    print_verdict_levels(r["verdict_levels"], f"red-team seed {r['seed']}")
    return missed


def code_version() -> str:
    """The commit the detector under test comes from, and whether the tree is dirty."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "--no-optional-locks",
                "-C",
                str(root),
                "status",
                "--porcelain",
                "--untracked-files=no",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" + uncommitted changes" if dirty else "")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seeds", type=int, nargs="+", default=[2013, 2014])
    ap.add_argument("--events", type=int, default=200_000, help="background events per seed")
    ap.add_argument("--json", type=Path, default=None, help="also write all metrics here")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-redteam-") as tmp:
        for seed in args.seeds:
            results.append(run(seed, Path(tmp), args.events))
    print(f"detector code: {code_version()}; default calibration; seeds {args.seeds}")
    missed_by_seed = {r["seed"]: print_run(r) for r in results}
    print("\n== operations ==")
    rows = []
    for op in OPERATIONS.values():
        seeds = [s for s, m in missed_by_seed.items() if op.id in m]
        rec = ", ".join(
            _pct(r["campaigns"][op.id]["recall"]) for r in results if op.id in r["campaigns"]
        )
        rows.append(
            (f"{op.id}: {op.title}", f"recall {rec}" + (f"; MISSED on {seeds}" if seeds else ""))
        )
    print_table(rows)
    if args.json is not None:
        args.json.write_text(json.dumps({"runs": results}, indent=1, default=str) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
