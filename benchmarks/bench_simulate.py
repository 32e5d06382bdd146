"""Simulator speed and memory: `simulate --scenario mixed --events 1000000`.

Runs the real CLI in a child process (so peak memory is that of the job alone),
then, as the named baseline, times pyarrow writing the very tables the simulator
produced to Parquet (the I/O floor any simulator pays).  Prints one table.

    .venv/bin/python benchmarks/bench_simulate.py [--events 1000000] [--scenario mixed]

Target (issue 2): under 120 s and under 4 GB peak on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from _table import print_table


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scenario", default="mixed")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=4242)
    args = ap.parse_args()

    # Build the corpus cache first so that it is not part of the timed job.
    subprocess.run(
        [sys.executable, "-m", "distillguard", "data", "info"], check=True, capture_output=True
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sim"
        cmd = [
            sys.executable,
            "-m",
            "distillguard",
            "simulate",
            "--scenario",
            args.scenario,
            "--events",
            str(args.events),
            "--seed",
            str(args.seed),
            "--out",
            str(out),
            "--quiet",
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        events = pq.read_table(out / "events.parquet")
        n = events.num_rows
        size_mb = (out / "events.parquet").stat().st_size / 1e6
        t1 = time.perf_counter()
        pq.write_table(
            events, Path(tmp) / "baseline.parquet", compression="zstd", row_group_size=128 * 1024
        )
        base = time.perf_counter() - t1
        summary = json.loads((out / "summary.json").read_text())

    rows = [
        ("scenario", args.scenario),
        ("events", f"{n:,}"),
        ("accounts", f"{summary['accounts']:,}"),
        ("wall time (s)", f"{wall:.1f}"),
        ("events/s", f"{n / wall:,.0f}"),
        ("peak RSS (MB)", f"{peak_mb:,.0f}"),
        ("events.parquet (MB)", f"{size_mb:,.1f}"),
        ("baseline: pyarrow write of the same table (s)", f"{base:.2f}"),
        ("ratio simulate / baseline", f"{wall / base:.1f}x"),
        ("target", "< 120 s, < 4096 MB"),
        ("verdict", "PASS" if wall < 120 and peak_mb < 4096 else "FAIL"),
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
