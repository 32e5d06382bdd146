"""Scan speed and memory: `distillguard scan` over 1,000,000 simulated `mixed` events.

The scan (without campaign linking: see bench_campaigns.py) runs as the real CLI
in a child process with a fresh store (so peak memory is the job's own).  The named
baseline is DuckDB just reading the same Parquet file (every column hashed, so
nothing is skipped), run in this script; the ratio of the two is the figure we track.

    .venv/bin/python benchmarks/bench_scan.py [--events 1000000] [--events-file F]

Target (issue 3): <= 60 s wall and <= 4 GB peak on 2 cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _child import duckdb_read, run_cli
from _table import print_table


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
        # Campaign linking is measured by bench_campaigns.py; this is issue 3's scan.
        argv = ["scan", str(events), "--store", str(t / "s.duckdb"),
                "--out", str(t / "out"), "--no-campaigns", "-q"]  # fmt: skip
        wall, peak_mb = run_cli(argv)
        n, base = duckdb_read(events)
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
