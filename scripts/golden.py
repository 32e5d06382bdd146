"""Golden outputs: what a refactoring must leave unchanged, written and compared.

On fixed seeds of every shipped scenario this simulates traffic, scans it, and
evaluates the scan, keeping ``accounts.parquet``, ``campaigns.parquet`` and the
eval JSON; then it replays the first events through a real gateway (uvicorn on
loopback, the shipped policy, the scan's accounts file followed) one request at a
time, waiting for the scorer after each, so the decisions do not depend on timing,
and keeps every request's status, action and modifications.

    .venv/bin/python scripts/golden.py write DIR      # before the change
    .venv/bin/python scripts/golden.py write DIR2     # after
    .venv/bin/python scripts/golden.py compare DIR DIR2

``compare`` prints every difference (tables compared row by row on their key,
floats to 1e-9 relative: DuckDB's parallel aggregation changes the last bits from
run to run) and exits 1 if there is one.  Volatile fields (timings, paths,
generation times) are dropped before comparing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import socket
import sys
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import uvicorn

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
SCENARIOS = {"easy": 6000, "standard": 20000, "stealth": 20000, "mixed": 20000}
SEED = 4242
REPLAY = 1500
#: Keys of the eval JSON and scan output that change from run to run.
VOLATILE = {"seconds", "wall_s", "timings", "generated", "generated_at", "path", "store", "out",
            "elapsed_s", "written", "inputs"}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _same(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9 relative: DuckDB's parallel sums differ in the last bits."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (a != a and b != b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, str) and isinstance(b, str) and a != b:
        # Reasons print those floats rounded: a last-bit change can flip a digit.
        return _NUMBER.sub("#", a) == _NUMBER.sub("#", b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _scrub(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _scrub(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_scrub(v) for v in obj]
    return obj


async def _replay(sim: Path, scan: Path, out: Path) -> list[dict[str, Any]]:
    from distillguard.gateway.app import GatewayConfig, create_app
    from distillguard.gateway.keys import load_keys
    from distillguard.ingest.writers import json_rows
    from distillguard_lab.mock_upstream import create_mock_app
    from distillguard_lab.replay import gateway_request, write_keys_table

    keys = out / "keys.csv"
    write_keys_table(sim / "events.parquet", keys)
    up_port, gw_port = _free_port(), _free_port()
    config = GatewayConfig(
        upstream=f"http://127.0.0.1:{up_port}", keys=load_keys(keys), scorer="inline",
        audit_path=out / "audit.jsonl", accounts_path=scan / "accounts.parquet",
        trust_client_headers=True, decision_header=True,
        # Each request waits for the scorer anyway: no window to gather a batch in.
        scorer_window_s=0.001,
    )  # fmt: skip
    app = create_app(config)
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                a, host="127.0.0.1", port=p, log_level="warning", lifespan="on", proxy_headers=False
            )
        )
        for a, p in ((create_mock_app(), up_port), (app, gw_port))
    ]
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    while not all(s.started for s in servers):
        await asyncio.sleep(0.01)
    gw = app.state.gateway
    table = pq.read_table(sim / "events.parquet").sort_by("ts").slice(0, REPLAY)
    got = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gw_port}", timeout=60) as c:
            for row in json_rows(table):
                path, body, headers = gateway_request(row)
                r = await c.post(path, json=body, headers=headers)
                got.append({
                    "event_id": row["event_id"], "status": r.status_code,
                    "action": r.headers.get("x-distillguard-action"),
                    "modified": r.headers.get("x-distillguard-modified"),
                })  # fmt: skip
                await gw.scorer.drain()
    finally:
        for s in servers:
            s.should_exit = True
        await asyncio.gather(*tasks)
    return got


def write(root: Path) -> None:
    from distillguard.ingest import read_labels
    from distillguard.scan import ScanOptions, scan
    from distillguard_lab.evaluate.campaigns import evaluate_campaigns
    from distillguard_lab.evaluate.metrics import evaluate_accounts
    from distillguard_lab.sim.corpus import load_corpus
    from distillguard_lab.sim.pools import Pools
    from distillguard_lab.sim.scenario import load_scenario
    from distillguard_lab.sim.simulator import simulate, write_result

    pools = Pools.from_table(load_corpus().table)
    for name, events in SCENARIOS.items():
        out = root / name
        sim, scan_out = out / "sim", out / "scan"
        result = simulate(load_scenario(name), pools, seed=SEED, events=events)
        write_result(result, sim)
        scan([sim / "events.parquet"], ScanOptions(store=out / "dg.duckdb", out=scan_out,
                                                   reports=False))  # fmt: skip
        acc, lab = pq.read_table(scan_out / "accounts.parquet"), read_labels(sim / "labels.parquet")
        report = evaluate_accounts(acc, lab).to_dict() | evaluate_campaigns(acc, lab).to_dict()
        (out / "eval.json").write_text(json.dumps(_scrub(report), indent=1, sort_keys=True,
                                                  default=str))  # fmt: skip
        replay = asyncio.run(_replay(sim, scan_out, out))
        (out / "replay.json").write_text(json.dumps(replay, indent=0))
        print(f"{name}: {events:,} events, {len(replay):,} replayed", flush=True)


def _table_diff(a: Path, b: Path, key: str) -> list[str]:
    ta, tb = pq.read_table(a), pq.read_table(b)
    if ta.schema != tb.schema:
        return [f"{a.name}: schema differs:\n{ta.schema}\n---\n{tb.schema}"]
    ra = {str(r[key]): r for r in ta.to_pylist()}
    rb = {str(r[key]): r for r in tb.to_pylist()}
    out = [f"{a.name}: only before: {k}" for k in sorted(set(ra) - set(rb))][:20]
    out += [f"{a.name}: only after: {k}" for k in sorted(set(rb) - set(ra))][:20]
    for k in sorted(set(ra) & set(rb)):
        for col, va in ra[k].items():
            if not _same(_scrub(va), _scrub(rb[k][col])):
                out.append(f"{a.name}: {key}={k} {col}: {va!r} -> {rb[k][col]!r}")
    return out


def compare(a: Path, b: Path) -> int:
    diffs: list[str] = []
    for name in SCENARIOS:
        x, y = a / name, b / name
        diffs += _table_diff(x / "scan/accounts.parquet", y / "scan/accounts.parquet",
                             "account_id")  # fmt: skip
        diffs += _table_diff(x / "scan/campaigns.parquet", y / "scan/campaigns.parquet",
                             "campaign_id")  # fmt: skip
        for f in ("eval.json", "replay.json"):
            ja, jb = json.loads((x / f).read_text()), json.loads((y / f).read_text())
            if not _same(ja, jb):
                diffs.append(f"{name}/{f} differs")
                if isinstance(ja, list) and isinstance(jb, list):
                    diffs += [f"  {p} -> {q}" for p, q in zip(ja, jb, strict=False) if p != q][:20]
    for d in diffs:
        print(d)
    print(f"{len(diffs)} difference(s)")
    return 1 if diffs else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("dir", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = ap.parse_args()
    if args.cmd == "write":
        write(args.dir)
    else:
        sys.exit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
