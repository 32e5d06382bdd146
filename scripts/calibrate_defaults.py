"""Rebuild the default calibration shipped in distillguard/scoring/default_calibration.json.

Thresholds are fitted on the *benign* accounts of simulated calibration seeds only
(labels are used for nothing else).  These seeds are reserved for calibration and
never used to report metrics; test seeds start at 1000 (see docs/evaluation.md).

    .venv/bin/python scripts/calibrate_defaults.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from distillguard.calibrate import calibrate_on_labelled

#: (scenario, seed) pairs reserved for calibration.
CALIBRATION_RUNS = (("standard", 100), ("standard", 101), ("stealth", 100), ("mixed", 100))
OUT = Path(__file__).resolve().parents[1] / "distillguard" / "scoring" / "default_calibration.json"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        runs = []
        for scenario, seed in CALIBRATION_RUNS:
            out = t / f"{scenario}-{seed}"
            print(f"simulating {scenario} seed {seed}", flush=True)
            subprocess.run(
                [sys.executable, "-m", "distillguard", "simulate", "--scenario", scenario,
                 "--seed", str(seed), "--out", str(out), "-q"],
                check=True,
            )  # fmt: skip
            runs.append((out / "events.parquet", pq.read_table(out / "labels.parquet")))
        source = "benign accounts of simulated " + ", ".join(
            f"{s} seed {n}" for s, n in CALIBRATION_RUNS
        )
        cal = calibrate_on_labelled(runs, t, source=source)
    OUT.write_text(cal.to_json() + "\n", encoding="utf-8")
    print(f"{cal.benign_accounts:,} benign accounts; thresholds {cal.thresholds}; wrote {OUT}")


if __name__ == "__main__":
    main()
