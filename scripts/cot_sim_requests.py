"""Request-level flag rates of ``cot_elicitation`` on simulated logs, by account role.

Development measurement (never the held-out set): for each simulated run directory
(``events.parquet`` + ``labels.parquet``), the share of requests flagged per role
(``app_integration``, ``attacker``, ...), and per role the share of accounts with at
least one flagged request or at least 5% of their requests flagged.  ``--throughput N``
also times the signal on the first N events of the first run.

Usage::

    PYTHONPATH=. python scripts/cot_sim_requests.py /tmp/dg/sims/standard-200 \
        [/tmp/dg/sims/standard-201 ...] [--throughput 100000] [--model PATH] [--json FILE]

Run it with another checkout on ``PYTHONPATH`` to measure that checkout's signal on
exactly the same requests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.signals.base import EventBatch
from distillguard.signals.cot_elicitation import CotElicitation

COLUMNS = ["account_id", "messages", "prompt"]
ROLES = ("app_integration", "attacker", "chat_user", "developer", "eval_user")


def run_one(sig: CotElicitation, run: Path) -> dict[str, dict[str, float]]:
    labels = pq.read_table(run / "labels.parquet")
    role_of = dict(
        zip(labels.column("account_id").to_pylist(), labels.column("role").to_pylist(), strict=True)
    )
    events = pq.read_table(run / "events.parquet", columns=COLUMNS)
    out: dict[str, dict[str, float]] = {}
    for role in ROLES:
        accts = [a for a, r in role_of.items() if r == role]
        sub = events.filter(pc.is_in(events.column("account_id"), pa.array(accts)))
        if role in ("chat_user", "developer") and sub.num_rows > 50_000:
            sub = sub.slice(0, 50_000)  # a sample: these roles are most of the log
        flags = sig.compute(EventBatch(sub))["cot_elicitation"].to_numpy(zero_copy_only=False)
        acct = np.array(sub.column("account_id").to_pylist())
        uniq, inv = np.unique(acct, return_inverse=True)
        per_n = np.bincount(inv)
        per_f = np.bincount(inv, weights=flags.astype(float))
        out[role] = {
            "requests": len(flags),
            "flagged": int(flags.sum()),
            "request_rate": float(flags.mean()) if len(flags) else 0.0,
            "accounts": len(uniq),
            "accounts_any": float((per_f > 0).mean()) if len(uniq) else 0.0,
            "accounts_5pct": float((per_f / per_n >= 0.05).mean()) if len(uniq) else 0.0,
        }
        print(f"{run.name} {role:16s} {out[role]}", file=sys.stderr, flush=True)
    return out


def throughput(sig: CotElicitation, run: Path, n: int) -> float:
    table = pq.read_table(run / "events.parquet").slice(0, n)
    sig.compute(EventBatch(table.slice(0, 2000)))  # load the model, compile the cues
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        sig.compute(EventBatch(table))
        best = min(best, time.perf_counter() - t0)
    return n / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--throughput", type=int, default=0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--model", default=None, help="model file (default: the packaged one)")
    args = parser.parse_args(argv)
    sig = CotElicitation(model_path=args.model) if args.model else CotElicitation()
    result: dict[str, object] = {}
    if args.throughput:
        eps = throughput(sig, args.runs[0], args.throughput)
        result["events_per_s"] = eps
        print(f"throughput: {eps:,.0f} events/s", file=sys.stderr, flush=True)
    per_run = {r.name: run_one(sig, r) for r in args.runs}
    result["runs"] = per_run
    pooled = {}
    for role in ROLES:
        req = sum(v[role]["requests"] for v in per_run.values())
        flg = sum(v[role]["flagged"] for v in per_run.values())
        acc = sum(v[role]["accounts"] for v in per_run.values())
        pooled[role] = {
            "request_rate": flg / max(req, 1),
            "requests": req,
            "accounts_any": sum(
                v[role]["accounts_any"] * v[role]["accounts"] for v in per_run.values()
            )
            / max(acc, 1),
            "accounts_5pct": sum(
                v[role]["accounts_5pct"] * v[role]["accounts"] for v in per_run.values()
            )
            / max(acc, 1),
        }
        print(f"pooled {role:16s} {pooled[role]}", flush=True)
    result["pooled"] = pooled
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
