"""Rebuild the default calibration shipped in distillguard/scoring/default_calibration.json.

Thresholds are fitted on the *benign* accounts of simulated calibration seeds only
(labels are used for nothing else).  These seeds are reserved for calibration and
never used to report metrics; test seeds start at 1000 (see docs/evaluation.md).

    .venv/bin/python scripts/calibrate_defaults.py [--out PATH] [--sim-dir DIR]

``--out`` writes the calibration elsewhere (to measure a scoring change on
development seeds without touching the shipped file: pass it to
``distillguard scan --calibration`` or ``benchmarks/bench_detection.py
--calibration``).  ``--sim-dir`` keeps the simulated calibration logs there and
reuses them on the next run (the simulator is deterministic per seed, so only the
scan side is recomputed).

The evidence a block needs (``block_evidence``) is policy, not fitted: the rule of
the file being replaced is kept (the default rule when there is none), so a refit
moves thresholds and baselines only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from distillguard.calibrate import calibrate_on_labelled
from distillguard.scoring.risk import BlockEvidence, Calibration

#: (scenario, seed) pairs reserved for calibration.
CALIBRATION_RUNS = (("standard", 100), ("standard", 101), ("stealth", 100), ("mixed", 100))
OUT = Path(__file__).resolve().parents[1] / "distillguard" / "scoring" / "default_calibration.json"


def simulate(scenario: str, seed: int, out: Path) -> None:
    """Simulate one calibration run into ``out`` unless it is already there."""
    if (out / "events.parquet").exists() and (out / "labels.parquet").exists():
        print(f"reusing {scenario} seed {seed} from {out}", flush=True)
        return
    print(f"simulating {scenario} seed {seed}", flush=True)
    subprocess.run(
        [sys.executable, "-m", "distillguard", "simulate", "--scenario", scenario,
         "--seed", str(seed), "--out", str(out), "-q"],
        check=True,
    )  # fmt: skip


def kept_rule(path: Path) -> BlockEvidence:
    """The block-evidence rule of the calibration at ``path`` (the default if absent)."""
    if not path.exists():
        return BlockEvidence()
    return Calibration.load(path).block_evidence


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT, help="calibration file to write")
    ap.add_argument("--sim-dir", type=Path, default=None, help="keep/reuse simulated logs here")
    args = ap.parse_args(argv)
    rule = kept_rule(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        sims = args.sim_dir or t
        runs = []
        for scenario, seed in CALIBRATION_RUNS:
            out = sims / f"{scenario}-{seed}"
            simulate(scenario, seed, out)
            runs.append((out / "events.parquet", pq.read_table(out / "labels.parquet")))
        source = "benign accounts of simulated " + ", ".join(
            f"{s} seed {n}" for s, n in CALIBRATION_RUNS
        )
        cal = calibrate_on_labelled(runs, t, source=source, block_evidence=rule)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(cal.to_json() + "\n", encoding="utf-8")
    print(
        f"{cal.benign_accounts:,} benign accounts; thresholds {cal.thresholds}; "
        f"block needs {cal.block_evidence}; wrote {args.out}"
    )


if __name__ == "__main__":
    main()
