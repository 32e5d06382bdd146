"""Detection against the informed red team: attackers that adapt to the version under test.

For each seed: simulate the benign background (``lab/distillguard_lab/redteam/
background.yaml``, 200,000 events over 14 days by default), run every informed
strategy (``lab/distillguard_lab/redteam/informed/``) against the *installed*
detector (the rewording search asks its chain-of-thought classifier, accounts are
sized by scanning the attacker's own traffic with the shipped scan and calibration,
tasks are pre-filtered with its signals), mix them in, scan the mix with the
shipped product and default calibration (``distillguard.scan.scan``, what
``distillguard scan`` runs) and report, per strategy:

- account TPR at the shipped calibration's restrict threshold (verdict restrict or
  block) and at benign FPR <= 0.1% (a threshold on the scan's score, benign
  accounts of the same run);
- the share of its harvested requests (the ones asking for a worked solution) sent
  from accounts left below restrict, and of all its requests;
- ROC AUC of its accounts against every benign account;
- what it cost (accounts, addresses, cards, sign-ups, requests, self-scans) and
  what it took (requests for worked solutions, distinct tasks);
- with ``--replay``: the gateway's ``harvest_fraction`` (harvested requests answered
  in full) when the attack traffic and a sample of benign accounts are replayed
  through ``distillguard serve`` in front of the mock model server.

Benign FPR by role is printed per seed.  Issue 18's targets, for the detector:
TPR >= 90% at FPR <= 0.1% and <= 10% of attack requests from accounts below
restrict, for every strategy; a strategy that misses either *wins*, and is listed.

    .venv/bin/python benchmarks/bench_informed_redteam.py [--seeds 3101 3102 3103]
        [--events 200000] [--strategies reworded hydra] [--replay] [--json out.json]

Seeds: 3001-3002 are the development seeds (the strategies were written, run and
looked at on them); 3101 and up are measurement seeds, run for a report and never
used to change a strategy.  A seed used to change anything becomes a development
seed, and the report must say so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.ingest import read_labels, write_events, write_labels
from distillguard.scan import ScanOptions, scan
from distillguard_lab.evaluate.languages import account_languages, fpr_by_language
from distillguard_lab.evaluate.metrics import evaluate_accounts, roc_auc, tpr_at_fpr
from distillguard_lab.redteam.informed import available, build_informed_dataset
from distillguard_lab.replay import replay_events, write_keys_table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table
from bench_redteam import code_version

FLAGGED: Final = ("restrict", "block")
#: Issue 18's targets for the detector (not for the attacker).
TARGET_TPR: Final = 0.9
TARGET_BELOW: Final = 0.1
DEV_SEEDS: Final = (3001, 3002)
MEASURE_SEEDS: Final = (3101, 3102, 3103)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


# --------------------------------------------------------------------------- metrics


def strategy_metrics(
    accounts: pa.Table, labels: pa.Table, event_labels: pa.Table
) -> dict[str, dict[str, Any]]:
    """Per informed strategy (``campaign_id``): TPRs, AUC and what got through."""
    scanned = {
        r["account_id"]: (r["score"], r["verdict"])
        for r in accounts.select(["account_id", "score", "verdict"]).to_pylist()
    }
    rows = labels.to_pylist()
    benign = np.array(
        [scanned.get(r["account_id"], (-np.inf, "allow"))[0] for r in rows if not r["is_attack"]],
        dtype=float,
    )
    below_acct = {
        a: scanned.get(a, (None, "allow"))[1] not in FLAGGED
        for a in (r["account_id"] for r in rows if r["is_attack"])
    }
    ev = event_labels.select(["account_id", "is_attack_request"]).to_pylist()
    out: dict[str, dict[str, Any]] = {}
    for cid in sorted({r["campaign_id"] for r in rows if r["is_attack"]}):
        mine = [r["account_id"] for r in rows if r["campaign_id"] == cid]
        mine_set = set(mine)
        score = np.array([scanned.get(a, (-np.inf, "allow"))[0] for a in mine], dtype=float)
        flagged = sum(scanned.get(a, (None, "allow"))[1] in FLAGGED for a in mine)
        s = np.concatenate([score, benign])
        y = np.concatenate([np.ones(len(score), bool), np.zeros(len(benign), bool)])
        harvest = [e for e in ev if e["account_id"] in mine_set and e["is_attack_request"]]
        every = [e for e in ev if e["account_id"] in mine_set]
        out[cid] = {
            "accounts": len(mine),
            "tpr_restrict": flagged / len(mine),
            "tpr_at_fpr_0.001": tpr_at_fpr(s, y, 0.001).tpr,
            "roc_auc": roc_auc(s, y),
            "harvest_requests": len(harvest),
            "harvest_below_restrict": (
                sum(below_acct[e["account_id"]] for e in harvest) / len(harvest)
                if harvest
                else None
            ),
            "requests_below_restrict": (
                sum(below_acct[e["account_id"]] for e in every) / len(every) if every else None
            ),
        }
    return out


#: Plain per-account aggregates of the scan (``accounts.parquet`` feature columns)
#: whose single-feature AUC is reported per strategy: what still tells the accounts
#: apart after the attacker adapted (the value it must take shows up here).
PLAIN_FEATURES: Final = (
    "requests",
    "tokens_per_request",
    "reasoning_tokens",
    "target_share",
    "single_turn_share",
    "template_share",
    "account_age_days",
    "distinct_ips",
    "hours_active",
    "gap_cv",
)


def feature_aucs(accounts: pa.Table, labels: pa.Table) -> dict[str, dict[str, float]]:
    """Per strategy, the AUC of each plain feature against every benign account
    (> 0.5: the strategy's accounts have higher values)."""
    cols = [c for c in PLAIN_FEATURES if c in accounts.column_names]
    feats = {r["account_id"]: r for r in accounts.select(["account_id", *cols]).to_pylist()}
    rows = labels.select(["account_id", "is_attack", "campaign_id"]).to_pylist()
    benign = [
        feats[r["account_id"]] for r in rows if not r["is_attack"] and r["account_id"] in feats
    ]
    out: dict[str, dict[str, float]] = {}
    for cid in sorted({r["campaign_id"] for r in rows if r["is_attack"]}):
        mine = [
            feats[r["account_id"]]
            for r in rows
            if r["campaign_id"] == cid and r["account_id"] in feats
        ]
        per: dict[str, float] = {}
        for c in cols:
            a = np.array([m[c] for m in mine], dtype=float)
            b = np.array([m[c] for m in benign], dtype=float)
            s = np.nan_to_num(np.concatenate([a, b]), nan=0.0)
            y = np.concatenate([np.ones(len(a), bool), np.zeros(len(b), bool)])
            auc = roc_auc(s, y)
            if auc is not None:
                per[c] = auc
        out[cid] = per
    return out


# --------------------------------------------------------------------------- replay


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


@contextmanager
def _child(args: list[str], port: int) -> Iterator[None]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        yield
    finally:
        proc.terminate()
        proc.wait(30)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "distillguard", *args]


def replay(mix_dir: Path, tmp: Path, benign_accounts: int, seed: int) -> dict[str, Any]:
    """Replay the attack traffic and ``benign_accounts`` whole benign accounts through
    ``distillguard serve`` (default policy, in-memory state) and the mock upstream."""
    events = pq.read_table(mix_dir / "events.parquet")
    labels = pq.read_table(mix_dir / "labels.parquet")
    ev_labels = pq.read_table(mix_dir / "event_labels.parquet")
    attack = labels.filter(labels["is_attack"])["account_id"]
    benign_ids = labels.filter(pc.invert(labels["is_attack"]))["account_id"].to_numpy(
        zero_copy_only=False
    )
    rng = np.random.default_rng(seed)
    k = min(benign_accounts, len(benign_ids))
    sample = pa.array(rng.choice(benign_ids, size=k, replace=False).tolist(), pa.string())
    keep = pa.concat_arrays([attack.combine_chunks(), sample])
    mask = pc.is_in(events["account_id"], value_set=keep)
    sub = tmp / "replay"
    sub.mkdir(parents=True, exist_ok=True)
    write_events(events.filter(mask), sub / "events.parquet")
    write_labels(
        labels.filter(pc.is_in(labels["account_id"], value_set=keep)), sub / "labels.parquet"
    )
    write_labels(
        ev_labels.filter(pc.is_in(ev_labels["account_id"], value_set=keep)),
        sub / "event_labels.parquet",
    )
    write_keys_table(sub / "events.parquet", sub / "keys.csv")
    up, gw = _free_port(), _free_port()
    serve = ["serve", "--upstream", f"http://127.0.0.1:{up}", "--keys", str(sub / "keys.csv"),
             "--port", str(gw), "--audit", str(sub / "audit.jsonl"), "--trust-client-headers",
             "--decision-header"]  # fmt: skip
    with _child(_cli("mock-upstream", "--port", str(up)), up), _child(_cli(*serve), gw):
        report: dict[str, Any] = asyncio.run(
            replay_events(sub / "events.parquet", f"http://127.0.0.1:{gw}", concurrency=8)
        )
    report["benign_accounts_replayed"] = k
    return report


# --------------------------------------------------------------------------- one seed


def run(
    seed: int, tmp: Path, events: int, strategies: Sequence[str] | None, replay_benign: int | None
) -> dict[str, Any]:
    """Build, scan and evaluate one seed (and replay it, when asked)."""
    t0 = time.perf_counter()
    mixed, data = build_informed_dataset(seed, tmp / f"mix-{seed}", events=events,
                                         strategies=strategies)  # fmt: skip
    t1 = time.perf_counter()
    result = scan(
        [mixed.out_dir / "events.parquet"],
        ScanOptions(store=tmp / f"store-{seed}.duckdb", out=tmp / f"scan-{seed}", reports=False),
    )
    t2 = time.perf_counter()
    labels = read_labels(mixed.out_dir / "labels.parquet")
    ev_labels = pq.read_table(mixed.out_dir / "event_labels.parquet")
    report = evaluate_accounts(result.accounts, labels)
    out: dict[str, Any] = {
        "seed": seed,
        "events": mixed.summary["events"],
        "attack_event_share": mixed.summary["attack_event_share"],
        "benign_accounts": int(pc.sum(pc.invert(labels["is_attack"])).as_py() or 0),
        "report": report.to_dict(),
        "strategies": strategy_metrics(result.accounts, labels, ev_labels),
        "feature_aucs": feature_aucs(result.accounts, labels),
        "fpr_by_language": fpr_by_language(
            result.accounts,
            labels,
            account_languages(
                pq.read_table(mixed.out_dir / "events.parquet", columns=["account_id", "messages"])
            ),
        ),
        "informed": data.to_dict(),
    }
    if replay_benign is not None:
        t = time.perf_counter()
        out["replay"] = replay(mixed.out_dir, tmp / f"replay-{seed}", replay_benign, seed)
        out["seconds_replay"] = time.perf_counter() - t
    out["seconds"] = {"build": t1 - t0, "scan": t2 - t1, **data.seconds}
    return out


def _row(name: str, m: dict[str, Any], cost: dict[str, Any], harvest: Any) -> list[str]:
    auc = "n/a" if m["roc_auc"] is None else f"{m['roc_auc']:.3f}"
    return [
        name,
        f"{m['accounts']:,}",
        _pct(m["tpr_restrict"]),
        _pct(m["tpr_at_fpr_0.001"]),
        auc,
        _pct(m["harvest_below_restrict"]),
        "-" if harvest is None else _pct(harvest),
        f"{cost['addresses']:,} / {cost['payment_methods']:,} / {cost['signups']:,}",
        f"{cost['harvest_requests']:,} + {cost['cover_requests']:,}",
        f"{cost['self_scans']}",
    ]


HEADER: Final = [
    "strategy",
    "accounts",
    "TPR@restrict",
    "TPR@FPR0.1%",
    "AUC",
    "harvest below restrict",
    "replay harvest",
    "addresses / cards / sign-ups",
    "harvest + cover requests",
    "self-scans",
]


def print_grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table with one column per field, aligned."""
    width = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print("  ".join(f"{h:<{w}}" for h, w in zip(header, width, strict=True)))
    print("  ".join("-" * w for w in width))
    for r in rows:
        print("  ".join(f"{c:<{w}}" for c, w in zip(r, width, strict=True)))


def print_run(r: dict[str, Any]) -> None:
    rep = r["report"]
    auc = "n/a" if rep["roc_auc"] is None else f"{rep['roc_auc']:.4f}"
    reports = r["informed"]["strategies"]
    by_campaign = (r.get("replay") or {}).get("by_campaign", {})
    print(f"\n== informed red team, seed {r['seed']} ==")
    print_table(
        [
            ("events", f"{r['events']:,} ({_pct(r['attack_event_share'])} informed)"),
            ("benign accounts", f"{r['benign_accounts']:,}"),
            ("ROC AUC (all strategies)", auc),
            ("TPR @ FPR <= 0.1% (all)", _pct(rep["tpr_at_fpr_0.001"])),
            ("benign FPR (restrict|block)", _pct(rep["fpr"])),
            *((f"benign FPR {role}", _pct(v)) for role, v in sorted(rep["fpr_by_role"].items())),
            *(
                (f"benign FPR language {lang}", f"{_pct(v['fpr'])} ({v['flagged']}/{v['n']})")
                for lang, v in r.get("fpr_by_language", {}).items()
            ),
            *(
                [("replay benign denied", _pct(r["replay"]["benign_denied_fraction"]))]
                if "replay" in r
                else []
            ),
        ]
    )  # fmt: skip
    rows = [
        _row(n, m, reports[n]["cost"], (by_campaign.get(n) or {}).get("harvest_fraction"))
        for n, m in r["strategies"].items()
    ]
    print()
    print_grid(HEADER, rows)
    print("\nplain per-account features that still tell a strategy apart (AUC vs benign, "
          "the three furthest from 0.5):")  # fmt: skip
    tells = []
    for n, per in r["feature_aucs"].items():
        top = sorted(per.items(), key=lambda kv: -abs(kv[1] - 0.5))[:3]
        tells.append((n, ", ".join(f"{k} {v:.3f}" for k, v in top)))
    print_table(tells)
    sec = r["seconds"]
    print(f"seconds: build {sec['build']:.0f} (background {sec.get('background', 0):.0f}), "
          f"scan {sec['scan']:.0f}" + (f", replay {r['seconds_replay']:.0f}"
                                       if "seconds_replay" in r else ""))  # fmt: skip


def print_summary(results: Sequence[dict[str, Any]]) -> None:
    """Every strategy over all seeds: TPRs and AUC (mean, min-max), the share of its
    harvest below restrict and replayed in full (pooled), its mean cost per seed."""
    rows = []
    names = sorted({n for r in results for n in r["strategies"]})
    for n in names:
        ms = [r["strategies"][n] for r in results if n in r["strategies"]]
        costs = [r["informed"]["strategies"][n]["cost"] for r in results if n in r["strategies"]]

        def span(key: str, ms: list[dict[str, Any]] = ms) -> str:
            v = [m[key] for m in ms if m[key] is not None]
            if not v:
                return "n/a"
            if key == "roc_auc":
                return f"{np.mean(v):.3f} ({min(v):.3f}-{max(v):.3f})"
            return f"{_pct(float(np.mean(v)))} ({_pct(min(v))}-{_pct(max(v))})"

        harvest = sum(m["harvest_requests"] for m in ms)
        below = sum((m["harvest_below_restrict"] or 0.0) * m["harvest_requests"] for m in ms)
        replayed = [
            (r.get("replay") or {}).get("by_campaign", {}).get(n) for r in results if "replay" in r
        ]
        full = [g for g in replayed if g and g.get("attack_requests")]
        replay = (
            _pct(
                sum(g["harvest_fraction"] * g["attack_requests"] for g in full)
                / sum(g["attack_requests"] for g in full)
            )
            if full
            else "-"
        )

        def mean(key: str, costs: list[dict[str, Any]] = costs) -> str:
            return f"{np.mean([c[key] for c in costs]):,.0f}"

        rows.append(
            [
                n,
                span("tpr_restrict"),
                span("tpr_at_fpr_0.001"),
                span("roc_auc"),
                _pct(below / harvest) if harvest else "n/a",
                replay,
                f"{mean('accounts')} / {mean('addresses')} / {mean('payment_methods')}",
                f"{mean('harvest_requests')} + {mean('cover_requests')}",
            ]
        )
    print(f"\n== all seeds ({', '.join(str(r['seed']) for r in results)}) ==")
    print_grid(
        [
            "strategy",
            "TPR@restrict mean (min-max)",
            "TPR@FPR0.1% mean (min-max)",
            "AUC mean (min-max)",
            "harvest below restrict",
            "replay harvest",
            "accounts / addresses / cards per seed",
            "harvest + cover per seed",
        ],
        rows,
    )


def winners(results: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Strategies missing a target on some seed, with what they beat."""
    out: dict[str, list[str]] = {}
    for r in results:
        for n, m in r["strategies"].items():
            why = []
            if (m["tpr_at_fpr_0.001"] or 0.0) < TARGET_TPR:
                why.append(f"TPR@0.1% {_pct(m['tpr_at_fpr_0.001'])}")
            if (m["harvest_below_restrict"] or 0.0) > TARGET_BELOW:
                why.append(f"{_pct(m['harvest_below_restrict'])} of harvest below restrict")
            if why:
                out.setdefault(n, []).append(f"seed {r['seed']}: " + ", ".join(why))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seeds", type=int, nargs="+", default=list(MEASURE_SEEDS))
    ap.add_argument("--events", type=int, default=200_000, help="background events per seed")
    ap.add_argument("--strategies", nargs="+", choices=available(), default=None)
    ap.add_argument("--replay", action="store_true", help="also replay through the gateway")
    ap.add_argument("--replay-benign", type=int, default=300, help="benign accounts replayed")
    ap.add_argument("--json", type=Path, default=None, help="also write all metrics here")
    ap.add_argument(
        "--from-json", type=Path, default=None, help="print a run saved with --json; run nothing"
    )
    args = ap.parse_args()
    if args.from_json is not None:
        results = json.loads(args.from_json.read_text(encoding="utf-8"))["runs"]
        args.seeds = [r["seed"] for r in results]
    else:
        results = []
        with tempfile.TemporaryDirectory(prefix="bench-informed-") as tmp:
            for seed in args.seeds:
                replay_benign = args.replay_benign if args.replay else None
                results.append(run(seed, Path(tmp), args.events, args.strategies, replay_benign))
    kind = "development" if set(args.seeds) <= set(DEV_SEEDS) else "measurement"
    print(f"detector code: {code_version()}; default calibration; seeds {args.seeds} ({kind})")
    print(f"detector the strategies adapted to: {json.dumps(results[0]['informed']['detector'])}")
    for r in results:
        print_run(r)
    print_summary(results)
    print("\n== strategies that still win (a target missed on some seed) ==")
    won = winners(results)
    print_table(
        [(n, "; ".join(w)) for n, w in won.items()] or [("none", "every strategy was stopped")]
    )
    if args.json is not None and args.from_json is None:
        args.json.write_text(json.dumps({"runs": results}, indent=1, default=str) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
