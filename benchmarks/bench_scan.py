"""Scan speed and memory: `distillguard scan` over 1,000,000 simulated `mixed` events.

The scan runs as the real CLI in a child process with a fresh store (so peak memory
is the job's own).  The named baseline is DuckDB just reading the same Parquet file
(every column hashed, so nothing is skipped), run in this script; the ratio of the
two is the figure we track.

    .venv/bin/python benchmarks/bench_scan.py [--events 1000000] [--events-file F]

Target (issue 3): <= 60 s wall and <= 4 GB peak on 2 cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from _table import print_table

# Runs the CLI in a child and reports that child's own peak RSS (KiB) on stderr.
CHILD = """
import resource, sys
from distillguard.cli import app
sys.argv = sys.argv[1:]
try:
    app()
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
print("maxrss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=4243)
    ap.add_argument(
        "--events-file", type=Path, default=None, help="reuse an existing events.parquet"
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        events = args.events_file
        if events is None:
            subprocess.run(
                [sys.executable, "-m", "distillguard", "simulate", "--scenario", "mixed",
                 "--events", str(args.events), "--seed", str(args.seed),
                 "--out", str(t / "sim"), "-q"],
                check=True,
            )  # fmt: skip
            events = t / "sim" / "events.parquet"
        argv = ["distillguard", "scan", str(events), "--store", str(t / "s.duckdb"),
                "--out", str(t / "out"), "-q"]  # fmt: skip
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, *argv], check=True, capture_output=True, text=True
        )
        wall = time.perf_counter() - t0
        peak_mb = int(proc.stderr.strip().splitlines()[-1].split()[-1]) / 1024
        con = duckdb.connect()
        con.execute("SET threads = 2")
        t1 = time.perf_counter()
        row = con.execute(
            "SELECT count(*), sum(hash(COLUMNS(*))) FROM read_parquet(?)", [str(events)]
        ).fetchone()
        base = time.perf_counter() - t1
        n = int(row[0]) if row else 0
        store_mb = (t / "s.duckdb").stat().st_size / 1e6

    rows = [
        ("events", f"{n:,}"),
        ("scan wall time (s)", f"{wall:.1f}"),
        ("events/s", f"{n / wall:,.0f}"),
        ("peak RSS (MB)", f"{peak_mb:,.0f}"),
        ("store size (MB)", f"{store_mb:,.0f}"),
        ("baseline: DuckDB reads the Parquet file (s)", f"{base:.2f}"),
        ("ratio scan / baseline", f"{wall / base:.1f}x"),
        ("target", "<= 60 s, <= 4096 MB"),
        ("verdict", "PASS" if wall <= 60 and peak_mb <= 4096 else "FAIL"),
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
