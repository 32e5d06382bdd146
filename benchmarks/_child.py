"""Run the real CLI in a child process and measure it, and the DuckDB read baseline."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb

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


def run_cli(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``distillguard ARGV`` in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, "distillguard", *argv],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    peak_mb = int(proc.stderr.strip().splitlines()[-1].split()[-1]) / 1024
    return wall, peak_mb


def duckdb_read(events: Path) -> tuple[int, float]:
    """Rows and seconds for DuckDB to read every column of ``events`` (the baseline)."""
    con = duckdb.connect()
    con.execute("SET threads = 2")
    t0 = time.perf_counter()
    row = con.execute(
        "SELECT count(*), sum(hash(COLUMNS(*))) FROM read_parquet(?)", [str(events)]
    ).fetchone()
    return (int(row[0]) if row else 0), time.perf_counter() - t0
