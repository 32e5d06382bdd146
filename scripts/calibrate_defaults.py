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

Beside the calibration goes its build record (``default_calibration.build.json``,
:mod:`distillguard.artefacts`): the runs (scenario, seed, events, the SHA-256 of each
simulated events and labels file: the simulator writes the same bytes for the same
scenario and seed), the scenario files, the signals' data and artefacts the scan read
(cue table, CoT model, benchmark fingerprints), a digest of the prompt corpus, the kept
block rule, the code and the commit.  DuckDB's parallel sums change the last bits of
a few floats from run to run, so a refit within 1e-9 (relative, every number) of the
file it replaces keeps that file's bytes (the record says how close it came).  A full
rebuild simulates 2.3 million events (8 minutes on 2 cores); the tests check that the
record matches what this script would use now, and run the same code path on a small
case (``--runs easy:5,stealth:6 --events 3000``) twice: the same simulated inputs and
record, and calibrations equal to 1e-9.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from distillguard.artefacts import (
    build_record,
    file_hashes,
    record_path,
    relative,
    sha256_file,
    table_digest,
    write_with_record,
)
from distillguard.scoring.risk import BlockEvidence, Calibration
from distillguard_lab.calibration import calibrate_on_labelled

ROOT = Path(__file__).resolve().parents[1]
#: (scenario, seed) pairs reserved for calibration.
CALIBRATION_RUNS = (("standard", 100), ("standard", 101), ("stealth", 100), ("mixed", 100))
OUT = ROOT / "distillguard" / "scoring" / "default_calibration.json"
#: What the scan reads besides the events: the signals' data and artefacts.
SIGNAL_FILES = (
    ROOT / "distillguard/signals/data/capability_cues.yaml",
    ROOT / "distillguard/signals/data/cot_cues.yaml",
    ROOT / "distillguard/signals/data/cot_model.npz",
    ROOT / "distillguard/signals/data/benchmark_fingerprints.npz",
)
#: Source files whose logic shapes the calibration (recorded in the build record).
CODE = tuple(
    ROOT / p
    for p in (
        "scripts/calibrate_defaults.py",
        "distillguard/calibrate.py",
        "distillguard/scoring/risk.py",
        "distillguard/scoring/features.py",
        "distillguard/scoring/value.py",
    )
)


def simulate(scenario: str, seed: int, out: Path, events: int | None = None) -> None:
    """Simulate one calibration run into ``out`` unless it is already there."""
    if (out / "events.parquet").exists() and (out / "labels.parquet").exists():
        print(f"reusing {scenario} seed {seed} from {out}", flush=True)
        return
    print(f"simulating {scenario} seed {seed}", flush=True)
    extra = [] if events is None else ["--events", str(events)]
    subprocess.run(
        [sys.executable, "-m", "distillguard", "simulate", "--scenario", scenario,
         "--seed", str(seed), "--out", str(out), "-q", *extra],
        check=True,
    )  # fmt: skip


def kept_rule(path: Path) -> BlockEvidence:
    """The block-evidence rule of the calibration at ``path`` (the default if absent)."""
    if not path.exists():
        return BlockEvidence()
    return Calibration.load(path).block_evidence


#: A refit this close to the file it replaces (relative, every number) keeps the file.
SAME_TOLERANCE = 1e-9


def max_relative_difference(a: object, b: object) -> float | None:
    """Largest relative difference between the numbers of two JSON values of the same
    shape (None when their shape, keys or any other value differ)."""
    if isinstance(a, float | int) and isinstance(b, float | int) and type(a) is type(b):
        if a == b:
            return 0.0
        return abs(a - b) / max(abs(a), abs(b))
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return None
        parts = [max_relative_difference(a[k], b[k]) for k in a]
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return None
        parts = [max_relative_difference(x, y) for x, y in zip(a, b, strict=True)]
    else:
        return 0.0 if a == b else None
    if any(p is None for p in parts):
        return None
    return max((p for p in parts if p is not None), default=0.0)


def kept_if_same(out: Path, blob: bytes) -> dict[str, Any] | None:
    """When ``out`` already holds this calibration up to DuckDB's last-bit noise
    (:data:`SAME_TOLERANCE`), how close it is: the file is then kept, not churned."""
    if not out.is_file():
        return None
    try:
        old = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    diff = max_relative_difference(old, json.loads(blob))
    if diff is None or diff > SAME_TOLERANCE:
        return None
    return {"kept_existing_bytes": True, "max_relative_difference": diff}


def parse_runs(text: str) -> tuple[tuple[str, int], ...]:
    """``"standard:100,stealth:100"`` -> ``(("standard", 100), ("stealth", 100))``."""
    runs = []
    for part in text.split(","):
        scenario, _, seed = part.strip().partition(":")
        runs.append((scenario, int(seed)))
    return tuple(runs)


def scenario_file(scenario: str) -> Path:
    """The shipped scenario file a run name refers to."""
    from distillguard_lab.sim import scenario as sim_scenario

    return Path(sim_scenario.__file__).resolve().parent / "scenarios" / f"{scenario}.yaml"


def calibration_inputs(
    runs: tuple[tuple[str, int], ...], events: int | None, sims: Path
) -> dict[str, Any]:
    """What the calibration is built from, for its build record."""
    from distillguard_lab.sim.corpus import cache_key, load_corpus

    return {
        "runs": [
            {
                "scenario": scenario,
                "seed": seed,
                "events": events,
                "events_sha256": sha256_file(sims / f"{scenario}-{seed}" / "events.parquet"),
                "labels_sha256": sha256_file(sims / f"{scenario}-{seed}" / "labels.parquet"),
            }
            for scenario, seed in runs
        ],
        "files": file_hashes([*SIGNAL_FILES, *{scenario_file(s) for s, _ in runs}]),
        "corpus": {"cache_key": cache_key(), **table_digest(load_corpus().table)},
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT, help="calibration file to write")
    ap.add_argument("--sim-dir", type=Path, default=None, help="keep/reuse simulated logs here")
    ap.add_argument(
        "--runs",
        type=parse_runs,
        default=CALIBRATION_RUNS,
        help="scenario:seed,... (default: the reserved calibration runs)",
    )
    ap.add_argument(
        "--events", type=int, default=None, help="events per run (default: the scenario's own)"
    )
    args = ap.parse_args(argv)
    rule = kept_rule(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        sims = args.sim_dir or t
        runs = []
        for scenario, seed in args.runs:
            out = sims / f"{scenario}-{seed}"
            simulate(scenario, seed, out, args.events)
            runs.append((out / "events.parquet", pq.read_table(out / "labels.parquet")))
        source = "benign accounts of simulated " + ", ".join(f"{s} seed {n}" for s, n in args.runs)
        cal = calibrate_on_labelled(runs, t, source=source, block_evidence=rule)
        blob = (cal.to_json() + "\n").encode("utf-8")
        rebuild = kept_if_same(args.out, blob)
        if rebuild is not None:
            blob = args.out.read_bytes()
        record = build_record(
            args.out,
            blob,
            builder=relative(Path(__file__)),
            args={
                "runs": [list(r) for r in args.runs],
                "events": args.events,
                "block_evidence": asdict(rule),
            },
            inputs=calibration_inputs(args.runs, args.events, sims),
            code=CODE,
            packages=("duckdb", "numpy", "pyarrow"),
            note=(
                "DuckDB's parallel sums change the last bits of a few floats from run to "
                "run: a rebuild from these inputs matches to 1e-9 relative (the tolerance "
                "of scripts/golden.py), thresholds included, not byte for byte."
            ),
        )
    if rebuild is not None:
        record["rebuild"] = rebuild
    write_with_record(args.out, blob, record)
    if rebuild is not None:
        print(f"{args.out} reproduced to {rebuild['max_relative_difference']:.1e}: kept its bytes")
    print(
        f"{cal.benign_accounts:,} benign accounts; thresholds {cal.thresholds}; "
        f"block needs {cal.block_evidence}; wrote {args.out} and {record_path(args.out).name}"
    )


if __name__ == "__main__":
    main()
