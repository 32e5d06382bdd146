"""Campaign detection before and after the linear design (issue 20 item 1).

Simulates the shipped scenarios with the lab simulator, loads each into a store once
(``scan --no-campaigns``), then runs :func:`~distillguard.campaigns.detect.find_campaigns`
on a copy of that store twice, in child processes: with the baseline code (by
default the commit this branch forked from, exported with ``git archive``; or any
source tree given by ``--before-tree``) and with this tree.  Reported per run:
campaign recall (``campaigns_found``) and purity as the lab evaluation computes them
(:mod:`distillguard_lab.evaluate.campaigns`), benign groups flagged, how many members
are in the same campaign before and after, the campaign-stage time and its split
(links, clustering, group scoring), the number of links; for ``mixed`` at several
sizes, the growth exponent of the campaign-stage time and of the links (a log-log
fit: 1 is linear, 2 quadratic).

    PYTHONPATH=.:lab .venv/bin/python benchmarks/bench_campaign_linear.py \\
        [--sizes 125000 250000 500000] [--quality easy:100000 stealth:150000 ...] \\
        [--before-ref REF | --before-tree DIR] [--work DIR] [--seed 7]

``--work`` keeps the simulated logs and loaded stores, so a rerun only re-detects.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "_campaign_child.py"


def simulate_and_load(scenario: str, events: int, seed: int, work: Path) -> tuple[Path, Path]:
    """The store and labels of one simulated run (made once, kept in ``work``)."""
    sim = work / f"{scenario}-{seed}-{events}"
    store = work / f"{scenario}-{seed}-{events}.duckdb"
    if not (sim / "labels.parquet").exists():
        subprocess.run(
            [sys.executable, "-m", "distillguard", "simulate", "--scenario", scenario,
             "--events", str(events), "--seed", str(seed), "--out", str(sim), "-q"],
            check=True,
        )  # fmt: skip
    if not store.exists():
        subprocess.run(
            [sys.executable, "-m", "distillguard", "scan", str(sim / "events.parquet"),
             "--store", str(store), "--out", str(work / f"out-{store.stem}"),
             "--no-campaigns", "-q"],
            check=True,
        )  # fmt: skip
    return store, sim / "labels.parquet"


def detect(tree: Path, store: Path, labels: Path, members: Path) -> dict[str, Any]:
    """``find_campaigns`` of the code in ``tree`` on a private copy of ``store``."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / store.name
        shutil.copy(store, copy)
        env = os.environ | {"PYTHONPATH": f"{tree}{os.pathsep}{tree / 'lab'}"}
        proc = subprocess.run(
            [sys.executable, str(CHILD), str(copy), str(labels), str(members)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp,
        )
    if proc.returncode != 0:
        sys.exit(f"campaign detection failed under {tree}:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def same_campaign_share(before: Path, after: Path) -> float | None:
    """How far the campaigns agree: each member's fellow members compared.

    Campaign ids are hashes of the smallest member, so they change when membership
    does.  For every account that is a member on either side, the Jaccard similarity
    of its campaign's member set before and after (0 when it is a member on one side
    only); the mean over those accounts.  1.0 means the very same campaigns.
    """
    ta, tb = pq.read_table(before).to_pylist(), pq.read_table(after).to_pylist()
    ga = {r["account_id"]: r["group_id"] for r in ta}
    gb = {r["account_id"]: r["group_id"] for r in tb}
    if not ga and not gb:
        return None

    def groups(g: dict[str, str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for acc, gid in g.items():
            out.setdefault(gid, set()).add(acc)
        return out

    sa, sb = groups(ga), groups(gb)
    scores = []
    for acc in sorted(set(ga) | set(gb)):
        ca = sa[ga[acc]] if acc in ga else set()
        cb = sb[gb[acc]] if acc in gb else set()
        scores.append(len(ca & cb) / len(ca | cb))
    return sum(scores) / len(scores)


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log(y) on log(x)."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


def baseline_tree(ref: str, work: Path) -> Path:
    """A copy of ``ref``'s tracked files (``git archive``), made once in ``work``."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", ref], check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = work / f"before-{sha[:12]}"
    if not (tree / "distillguard").exists():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", sha], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def fmt(x: float | None, spec: str) -> str:
    return "n/a" if x is None else format(x, spec)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[125_000, 250_000, 500_000])
    ap.add_argument(
        "--quality",
        nargs="*",
        default=["easy:100000", "standard:150000", "stealth:150000"],
        help="further scenario:events runs (quality only; mixed runs at every --sizes)",
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--before-ref", default=None, help="git ref (default: merge-base with main)")
    ap.add_argument("--before-tree", type=Path, default=None, help="a source tree to compare")
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="write every result here")
    args = ap.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-campaign-linear-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.before_tree is not None:
        before = args.before_tree.resolve()
    else:
        ref = (
            args.before_ref
            or subprocess.run(
                ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
        before = baseline_tree(ref, work)
    runs = [("mixed", n) for n in args.sizes]
    for q in args.quality:
        name, _, n = q.partition(":")
        runs.append((name, int(n)))

    results: list[dict[str, Any]] = []
    for scenario, events in runs:
        store, labels = simulate_and_load(scenario, events, args.seed, work)
        tag = f"{scenario}-{events}"
        b = detect(before, store, labels, work / f"members-before-{tag}.parquet")
        a = detect(ROOT, store, labels, work / f"members-after-{tag}.parquet")
        same = same_campaign_share(
            work / f"members-before-{tag}.parquet", work / f"members-after-{tag}.parquet"
        )
        results.append({"scenario": scenario, "events": events, "before": b, "after": a,
                        "same_campaign": same})  # fmt: skip
        print(f"{tag}: before {b['campaign_s']:.1f} s, after {a['campaign_s']:.1f} s", flush=True)

    header = ("run", "side", "campaign s", "cpu s", "links s", "cluster s", "score s", "links",
              "found", "purity", "benign", "camps", "members", "same", "time ratio")  # fmt: skip
    rows = []
    for r in results:
        for side in ("before", "after"):
            x, t = r[side], r[side]["timings"]
            ratio = x["campaign_s"] / r["before"]["campaign_s"]
            rows.append((
                f"{r['scenario']}-{r['events'] // 1000}k", side, f"{x['campaign_s']:.1f}",
                f"{x['campaign_cpu_s']:.1f}",
                f"{t['links_s']:.1f}", f"{t['cluster_s']:.2f}", f"{t['score_s']:.2f}",
                f"{x['links']:,}", fmt(x["campaigns_found"], ".0%"),
                fmt(x["campaign_purity"], ".1%"), str(x["benign_groups_flagged"]),
                str(x["campaigns"]), f"{x['members']:,}",
                fmt(r["same_campaign"], ".1%") if side == "after" else "",
                f"{ratio:.2f}x",
            ))  # fmt: skip
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    mixed = [r for r in results if r["scenario"] == "mixed"]
    if len(mixed) >= 2:
        xs = [float(r["events"]) for r in mixed]
        print("\ngrowth exponent over mixed sizes (log-log slope; 1 = linear, 2 = quadratic)")
        for side in ("before", "after"):
            stage = slope(xs, [r[side]["campaign_s"] for r in mixed])
            cpu = slope(xs, [r[side]["campaign_cpu_s"] for r in mixed])
            clus = slope(xs, [r[side]["timings"]["cluster_s"] for r in mixed])
            links = slope(xs, [float(r[side]["links"]) for r in mixed])
            print(f"  {side:6s}  campaign stage {fmt(stage, '.2f')} (cpu {fmt(cpu, '.2f')})"
                  f"  clustering {fmt(clus, '.2f')}  links {fmt(links, '.2f')}")  # fmt: skip
        types = sorted({t for r in mixed for side in ("before", "after")
                        for t in r[side]["links_by_type"]})  # fmt: skip
        print("links by type over mixed sizes (before -> after; exponent before / after)")
        for t in types:
            cells = []
            for side in ("before", "after"):
                ys = [float(r[side]["links_by_type"].get(t, 0)) for r in mixed]
                cells.append(("/".join(f"{int(y):,}" for y in ys), slope(xs, ys)))
            print(f"  {t:15s} {cells[0][0]} -> {cells[1][0]}; "
                  f"{fmt(cells[0][1], '.2f')} / {fmt(cells[1][1], '.2f')}")  # fmt: skip
    print(f"\nbaseline tree: {before}\nwork dir: {work}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
