"""Campaign detection at scale: `distillguard scan` with and without campaign linking.

Simulates the `mixed` scenario (six campaigns, one a 1,200-account stealth hydra)
with its benign populations scaled so that about 50,000 accounts send 1,000,000
events, then runs the real CLI in child processes on fresh stores: once with
``--no-campaigns`` and once with campaigns (links, Leiden clustering, group scoring,
HTML reports).  The named baseline is DuckDB reading the same Parquet file.  The
campaign metrics come from `distillguard eval` on the result.

    .venv/bin/python benchmarks/bench_campaigns.py [--events 1000000] [--seed 4244]
        [--accounts-factor 1.9] [--events-file F --labels-file L]

Target (issue 4): <= 120 s wall (scan included) and <= 4 GB peak on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from _child import duckdb_read, run_cli
from _table import print_table


def scaled_scenario(factor: float, out: Path) -> Path:
    """`mixed` with every benign population's account count times ``factor``."""
    text = (resources.files("distillguard_lab.sim") / "scenarios" / "mixed.yaml").read_text()
    doc = yaml.safe_load(text)
    doc["name"] = "mixed_scaled"
    for pop in doc["populations"]:
        pop["accounts"] = round(pop["accounts"] * factor)
        if "orgs" in pop:
            pop["orgs"] = round(pop["orgs"] * factor)
    path = out / "mixed_scaled.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=4244)
    ap.add_argument("--accounts-factor", type=float, default=1.9)
    ap.add_argument("--events-file", type=Path, default=None)
    ap.add_argument("--labels-file", type=Path, default=None)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        events, labels = args.events_file, args.labels_file
        if events is None or labels is None:
            scenario = scaled_scenario(args.accounts_factor, t)
            subprocess.run(
                [sys.executable, "-m", "distillguard", "simulate", "--scenario", str(scenario),
                 "--events", str(args.events), "--seed", str(args.seed),
                 "--out", str(t / "sim"), "-q"],
                check=True,
            )  # fmt: skip
            events, labels = t / "sim" / "events.parquet", t / "sim" / "labels.parquet"
        n_accounts = pq.read_metadata(labels).num_rows
        plain_wall, plain_mb = run_cli(
            [
                "scan",
                str(events),
                "--store",
                str(t / "a.duckdb"),
                "--out",
                str(t / "a"),
                "--no-campaigns",
                "-q",
            ]
        )
        wall, peak_mb = run_cli(
            ["scan", str(events), "--store", str(t / "b.duckdb"), "--out", str(t / "b"), "-q"]
        )
        subprocess.run(
            [sys.executable, "-m", "distillguard", "eval", "--labels", str(labels),
             "--accounts", str(t / "b" / "accounts.parquet"),
             "--json", str(t / "eval.json")],
            check=True, capture_output=True,
        )  # fmt: skip
        ev = json.loads((t / "eval.json").read_text())
        n_campaigns = pq.read_metadata(t / "b" / "campaigns.parquet").num_rows
        n_reports = len(list((t / "b" / "reports").glob("cmp_*.html")))
        n, base = duckdb_read(events)

    found = ev.get("campaigns_found")
    rows = [
        ("events", f"{n:,}"),
        ("accounts", f"{n_accounts:,}"),
        ("baseline: DuckDB reads the Parquet file (s)", f"{base:.2f}"),
        ("scan --no-campaigns: wall (s)", f"{plain_wall:.1f}"),
        ("scan --no-campaigns: peak RSS (MB)", f"{plain_mb:,.0f}"),
        ("scan with campaigns: wall (s)", f"{wall:.1f}"),
        ("scan with campaigns: events/s", f"{n / wall:,.0f}"),
        ("scan with campaigns: peak RSS (MB)", f"{peak_mb:,.0f}"),
        ("campaign linking adds (s)", f"{wall - plain_wall:.1f}"),
        ("ratio scan with campaigns / baseline", f"{wall / base:.1f}x"),
        ("campaigns reported / HTML reports", f"{n_campaigns} / {n_reports}"),
        ("campaigns_found", "n/a" if found is None else f"{found:.0%}"),
        ("campaign_purity", f"{ev.get('campaign_purity') or 0:.1%}"),
        ("benign_groups_flagged", str(ev.get("benign_groups_flagged"))),
        ("TPR at FPR 0.1%", f"{ev.get('tpr_at_fpr_0.001') or 0:.1%}"),
        ("target", "<= 120 s, <= 4096 MB"),
        ("verdict", "PASS" if wall <= 120 and peak_mb <= 4096 else "FAIL"),
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
