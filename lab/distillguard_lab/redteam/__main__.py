"""``python -m distillguard_lab.redteam --seed S --out DIR [--events N]``.

Simulates the benign background (``background.yaml``), generates the red team's
operations scaled to it, and writes the mixed data set to ``DIR`` in the layout
of ``distillguard simulate``.  Bad input is one line on stderr and exit code 2.
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
    from distillguard_lab.redteam.generator import OPERATIONS
    from distillguard_lab.redteam.mix import REFERENCE_EVENTS, build_dataset

    ap = argparse.ArgumentParser(
        prog="python -m distillguard_lab.redteam",
        description="Benign simulator background + independent red-team attack traffic.",
    )
    ap.add_argument("--seed", type=int, required=True, help="seed of background and red team")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument(
        "--events",
        type=int,
        default=REFERENCE_EVENTS,
        help=f"background events (default {REFERENCE_EVENTS:,}); the red team scales with it",
    )
    ap.add_argument(
        "--operations",
        nargs="+",
        choices=sorted(OPERATIONS),
        default=None,
        help="run only these operations (default: all)",
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        ops = tuple(args.operations) if args.operations else None
        result = build_dataset(args.seed, args.out, events=args.events, operations=ops)
    except DistillguardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    s = result.summary
    print(
        f"{s['events']:,} events, {s['accounts']:,} accounts "
        f"({s['attack_accounts']:,} red-team, {s['attack_event_share']:.1%} of events)"
    )
    for cid, d in s["campaigns"].items():
        print(
            f"  {cid:<14} {d['accounts']:>5,} accounts {d['events']:>7,} events "
            f"cover {d['cover_share']:>4.0%}  max/account {d['max_requests_per_account']:,}"
        )
    print(f"wrote {', '.join(str(p) for p in result.written)} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
