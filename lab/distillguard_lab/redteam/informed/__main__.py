"""``python -m distillguard_lab.redteam.informed --seed S --out DIR [--events N]``.

Simulates the benign background (``background.yaml``), runs the informed strategies
against the installed detector, and writes the mixed data set to ``DIR`` in the
layout of ``distillguard simulate`` plus ``informed.json`` (costs, value, search
statistics, the detector version adapted to).  Bad input is one line on stderr and
exit code 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from distillguard.errors import DistillguardError

EXIT_INPUT_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    from distillguard_lab.redteam.informed import available, build_informed_dataset
    from distillguard_lab.redteam.mix import REFERENCE_EVENTS

    ap = argparse.ArgumentParser(
        prog="python -m distillguard_lab.redteam.informed",
        description="Benign simulator background + informed red-team strategies.",
    )
    ap.add_argument("--seed", type=int, required=True, help="seed of background and strategies")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument(
        "--events",
        type=int,
        default=REFERENCE_EVENTS,
        help=f"background events (default {REFERENCE_EVENTS:,}); budgets scale with it",
    )
    ap.add_argument(
        "--strategies", nargs="+", choices=available(), default=None, help="default: all"
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        result, data = build_informed_dataset(
            args.seed, args.out, events=args.events, strategies=args.strategies
        )
    except DistillguardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    s = result.summary
    print(
        f"{s['events']:,} events, {s['accounts']:,} accounts "
        f"({s['attack_accounts']:,} informed, {s['attack_event_share']:.1%} of events)"
    )
    for name, report in data.reports.items():
        c = report.cost
        print(
            f"  {name:<16} {c['accounts']:>5,} accounts {c['harvest_requests']:>6,} harvested "
            f"{c['cover_requests']:>6,} cover  {c['addresses']:>5,} addresses "
            f"{c['payment_methods']:>4,} cards  {c['self_scans']} self-scans"
        )
    print(f"wrote {', '.join(str(p) for p in result.written)} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
