"""Robustness against attacker effort: TPR and harvest-through as the informed attacker spends more.

One informed strategy (default ``hydra``) is run against the detector in this checkout
with one of its effort parameters moved at a time, everything else at its default, on
one fresh measurement seed; each point is a full run (benign background, the strategy
adapting by self-scans, the shipped scan with the default calibration).  The axes:

- ``cover_share``: share of each account's requests that are real conversations;
- ``max_requests``: the largest account (fewer requests per account means more
  accounts per 10,000 harvested requests, which the table reports);
- ``max_task_uses``: how many accounts may send the same task;
- ``search_budget``: rewording candidates tried per language.

Per point: TPR at the verdicts (restrict or block), the share of its harvested
requests sent from accounts below restrict ("harvest through"), benign FPR, and what
it cost (accounts per 10,000 harvested requests, addresses, cards, cover requests).
Prints a table and writes JSON and an HTML report with one plot per axis
(plotly, its JavaScript inline so the file stands alone).

    .venv/bin/python benchmarks/bench_robustness.py [--seed 3301] [--strategy hydra]
        [--events 200000] [--json robustness.json] [--html robustness.html]

Seeds: 3301 and up are measurement seeds for this benchmark (never used to change a
strategy or the detector).  What it does not vary: the days the harvest is spread
over (the window is the background's 14 days).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import plotly.graph_objects as go
import pyarrow.parquet as pq
from plotly.subplots import make_subplots

from distillguard.ingest import read_labels
from distillguard.scan import ScanOptions, scan
from distillguard_lab.evaluate.metrics import evaluate_accounts
from distillguard_lab.redteam.informed import build_informed_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table
from bench_informed_redteam import print_grid, strategy_metrics

#: Effort axes: parameter -> values (the strategy's default is added if missing).
AXES: Final[dict[str, tuple[float, ...]]] = {
    "cover_share": (0.0, 0.35, 0.6),
    "max_requests": (10, 25, 60),
    "max_task_uses": (1, 6),
    "search_budget": (50, 400),
}


def point(
    seed: int, events: int, strategy: str, axis: str, value: float, tmp: Path
) -> dict[str, Any]:
    """One run of ``strategy`` with ``axis`` set to ``value``."""
    t0 = time.perf_counter()
    out = tmp / f"{axis}-{value}"
    mixed, data = build_informed_dataset(
        seed, out, events=events, strategies=[strategy], params={strategy: {axis: value}}
    )
    result = scan(
        [mixed.out_dir / "events.parquet"],
        ScanOptions(store=out / "store.duckdb", out=out / "scan", reports=False),
    )
    labels = read_labels(mixed.out_dir / "labels.parquet")
    ev_labels = pq.read_table(mixed.out_dir / "event_labels.parquet")
    m = strategy_metrics(result.accounts, labels, ev_labels)[strategy]
    cost = data.reports[strategy].cost
    report = evaluate_accounts(result.accounts, labels).to_dict()
    harvest = max(int(cost["harvest_requests"]), 1)
    return {
        "axis": axis,
        "value": value,
        "tpr_restrict": m["tpr_restrict"],
        "harvest_through": m["harvest_below_restrict"],
        "benign_fpr": report["fpr"],
        "accounts": int(cost["accounts"]),
        "accounts_per_10k": 10_000 * int(cost["accounts"]) / harvest,
        "addresses": int(cost["addresses"]),
        "payment_methods": int(cost["payment_methods"]),
        "harvest_requests": int(cost["harvest_requests"]),
        "cover_requests": int(cost["cover_requests"]),
        "seconds": time.perf_counter() - t0,
    }


def html(points: list[dict[str, Any]], title: str) -> str:
    """One row of plots per axis: TPR and harvest-through against the value."""
    axes = list(dict.fromkeys(p["axis"] for p in points))
    fig = make_subplots(rows=len(axes), cols=1, subplot_titles=axes, vertical_spacing=0.08)
    for i, axis in enumerate(axes, start=1):
        pts = sorted((p for p in points if p["axis"] == axis), key=lambda p: p["value"])
        x = [p["value"] for p in pts]
        for key, name, color in (
            ("tpr_restrict", "attack accounts restricted (TPR)", "#1f77b4"),
            ("harvest_through", "harvested requests from accounts below restrict", "#d62728"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=[p[key] for p in pts],
                    mode="lines+markers",
                    name=name,
                    line={"color": color},
                    showlegend=i == 1,
                    text=[
                        f"{p['accounts']:,} accounts ({p['accounts_per_10k']:,.0f} per 10k "
                        f"harvested), {p['addresses']:,} addresses, {p['payment_methods']:,} "
                        f"cards, {p['cover_requests']:,} cover requests"
                        for p in pts
                    ],
                ),
                row=i,
                col=1,
            )
        fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=i, col=1)
    fig.update_layout(height=320 * len(axes), title=title)
    body = fig.to_html(full_html=False, include_plotlyjs=True)
    rows = "".join(
        f"<tr><td>{p['axis']}</td><td>{p['value']:g}</td><td>{p['tpr_restrict']:.1%}</td>"
        f"<td>{(p['harvest_through'] or 0):.1%}</td><td>{(p['benign_fpr'] or 0):.2%}</td>"
        f"<td>{p['accounts']:,}</td><td>{p['accounts_per_10k']:,.0f}</td>"
        f"<td>{p['addresses']:,}</td><td>{p['payment_methods']:,}</td>"
        f"<td>{p['harvest_requests']:,}</td><td>{p['cover_requests']:,}</td></tr>"
        for p in points
    )
    table = (
        "<table><tr><th>axis</th><th>value</th><th>TPR</th><th>harvest through</th>"
        "<th>benign FPR</th><th>accounts</th><th>per 10k harvested</th><th>addresses</th>"
        f"<th>cards</th><th>harvested</th><th>cover requests</th></tr>{rows}</table>"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head>"
        f"<body><h1>{title}</h1>{body}<h2>Every point: what it cost</h2>{table}</body></html>"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=3301)
    ap.add_argument("--strategy", default="hydra")
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--axes", nargs="+", choices=list(AXES), default=list(AXES))
    ap.add_argument("--json", type=Path, default=Path("robustness.json"))
    ap.add_argument("--html", type=Path, default=Path("robustness.html"))
    args = ap.parse_args()
    points = []
    with tempfile.TemporaryDirectory(prefix="robustness-") as d:
        for axis in args.axes:
            for value in AXES[axis]:
                p = point(args.seed, args.events, args.strategy, axis, value, Path(d))
                points.append(p)
                print(
                    f"{axis}={value:g}: TPR {p['tpr_restrict']:.1%}, harvest through "
                    f"{(p['harvest_through'] or 0):.1%}, {p['accounts']:,} accounts "
                    f"({p['seconds']:.0f} s)",
                    flush=True,
                )
    print_table([("strategy", args.strategy), ("seed", str(args.seed))])
    print_grid(
        [
            "axis",
            "value",
            "TPR",
            "harvest through",
            "benign FPR",
            "accounts",
            "per 10k",
            "harvested",
        ],
        [
            [
                p["axis"],
                f"{p['value']:g}",
                f"{p['tpr_restrict']:.1%}",
                f"{(p['harvest_through'] or 0):.1%}",
                f"{(p['benign_fpr'] or 0):.2%}",
                f"{p['accounts']:,}",
                f"{p['accounts_per_10k']:,.0f}",
                f"{p['harvest_requests']:,}",
            ]
            for p in points
        ],
    )
    args.json.write_text(json.dumps({"seed": args.seed, "strategy": args.strategy,
                                     "points": points}, indent=2) + "\n")  # fmt: skip
    title = f"distillguard robustness: {args.strategy}, seed {args.seed}"
    args.html.write_text(html(points, title), encoding="utf-8")
    print(f"wrote {args.json} and {args.html}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
