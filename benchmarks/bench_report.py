"""Campaign case files at 60, 1,000 and 5,000 accounts: how long one report takes.

Builds hydras the way detection finds them: every member sends through a pool of
proxies (an ``ip`` and a ``subnet`` link between most pairs), a few payment cards
(``payment``), one template (``template``, a ring beyond 200 holders as the linkers
do) and synchronised hours for a third of them (``sync``); then times
:func:`render_report` (account graph or groups, recommended action, indicators,
tables) and :func:`render_index`.  The named baseline is plotly's own ``to_html`` of
one scatter with a point per account: the floor of drawing the accounts at all.

    .venv/bin/python benchmarks/bench_report.py [--sizes 60 1000 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import plotly.graph_objects as go
import pyarrow as pa
from _table import print_table

from distillguard.reports.campaign import CampaignView, ScanContext, render_index, render_report

T0 = datetime(2026, 3, 2, tzinfo=UTC)
TS = pa.timestamp("us", tz="UTC")


def hydra(n: int, seed: int = 7) -> CampaignView:
    rng = random.Random(seed)
    ids = [f"acct_{rng.getrandbits(64):016x}" for _ in range(n)]
    links: list[tuple[str, str, str, float]] = []

    def clique_or_ring(members: list[str], link_type: str, weight: float) -> None:
        # The linkers pair every holder of a key up to 200 holders, then a ring of 8.
        if len(members) <= 200:
            links.extend(
                (a, b, link_type, weight) for i, a in enumerate(members) for b in members[i + 1 :]
            )
        else:
            links.extend(
                (members[i], members[(i + k) % len(members)], link_type, weight)
                for i in range(len(members))
                for k in range(1, 9)
            )

    for pool in range(max(1, n // 150)):
        members = ids[pool :: max(1, n // 150)]
        clique_or_ring(members, "ip", 1.0)
        clique_or_ring(members, "subnet", 0.3)
    for card in range(max(1, n // 40)):
        clique_or_ring(ids[card :: max(1, n // 40)], "payment", 1.0)
    clique_or_ring(ids, "template", 0.5)
    clique_or_ring(ids[: n // 3], "sync", 0.5)
    accounts = pa.table(
        {
            "account_id": ids,
            "risk": [1.0] * n,
            "verdict": [rng.choice(["block", "block", "block", "restrict"]) for _ in ids],
            "n": [rng.randrange(5, 600) for _ in ids],
            "first_ts": pa.array([T0] * n, TS),
            "last_ts": pa.array([T0 + timedelta(days=7)] * n, TS),
        }
    )
    edges = pa.table(
        {
            "src": [x[0] for x in links],
            "dst": [x[1] for x in links],
            "link_type": [x[2] for x in links],
            "weight": [x[3] for x in links],
        }
    )
    per_type = edges.group_by("link_type").aggregate([("src", "count")]).to_pylist()
    evidence = pa.table(
        {
            "link_type": [r["link_type"] for r in per_type],
            "pairs": [r["src_count"] for r in per_type],
            "accounts": [n] * len(per_type),
            "weight": [float(r["src_count"]) for r in per_type],
            "detail": [f"{n} accounts share {r['link_type']}" for r in per_type],
        }
    )
    hours = [T0 + timedelta(hours=h) for h in range(7 * 24)]
    timeline = pa.table(
        {
            "hour": pa.array(hours, TS),
            "n": [rng.randrange(100, 300) for _ in hours],
            "n_cot": [rng.randrange(0, 100) for _ in hours],
        }
    )
    return CampaignView(
        campaign_id=f"cmp_bench_{n}",
        score=3.3,
        risk=1.0,
        verdict="block",
        reasons=(f"{n} accounts linked by ip, subnet, payment, template, sync",),
        summary={
            "n_accounts": n,
            "n_events": sum(timeline["n"].to_pylist()),
            "first_ts": T0,
            "last_ts": T0 + timedelta(days=7),
            "completion_tokens": 26_000_000,
            "reasoning_tokens": 54_000_000,
            "top_capability": "math",
        },
        accounts=accounts,
        edges=edges,
        evidence=evidence,
        timeline=timeline,
        capabilities={"math": 20_000, "coding": 12_000, "reasoning": 9_000},
    )


def best_of(repeat: int, fn: object) -> float:
    assert callable(fn)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[60, 1000, 5000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        context = ScanContext(generated_at=T0, n_events=1_000_000, n_accounts=26_000)
        render_report(hydra(5), out)  # loads plotly's validators and writes plotly.min.js once
        views = []
        for n in args.sizes:
            view = hydra(n)
            views.append(view)
            seconds = best_of(args.repeat, lambda v=view: render_report(v, out, context=context))
            ids = view.accounts["account_id"].to_pylist()
            fig = go.Figure(go.Scatter(x=list(range(n)), y=list(range(n)), text=ids))
            floor = best_of(args.repeat, lambda f=fig: f.to_html(include_plotlyjs=False))
            page = (out / f"{view.campaign_id}.html").stat().st_size
            rows += [
                (f"{n:,} accounts: links given", f"{view.edges.num_rows:,}"),
                (f"{n:,} accounts: report", f"{seconds:.2f} s ({page / 1e3:,.0f} kB)"),
                (f"{n:,} accounts: baseline (one scatter)", f"{floor:.3f} s"),
                (f"{n:,} accounts: ratio to baseline", f"{seconds / floor:.1f}x"),
            ]
        seconds = best_of(args.repeat, lambda: render_index(views, out, context=context))
        rows.append((f"index of {len(views)} campaigns", f"{seconds:.2f} s"))
    print_table(rows)


if __name__ == "__main__":
    main()
