"""Faults under load: a gateway SIGKILLed mid-traffic, and Redis gone for seconds.

Everything is a real process on loopback: the mock upstream and ``distillguard
serve`` run as the CLI, Redis as ``redis-server``, and the load comes from the
gateway's own lean HTTP/1.1 pool (``FastUpstream``), ``--clients`` requests in
flight.

1. **SIGKILL.**  The gateway is killed ``--kills`` times at a random moment
   (1 to 3 s into the load) and started again on the same audit log.  For every
   request a client saw answered 200, the audit must hold its ``decision`` and
   ``outcome`` records (the gateway writes both before the answer leaves).  The
   named baseline is the stated bound: records the micro-batch window can lose
   (``signals`` records, written once a batch is scored) are counted apart.  After
   the last restart the chain and its checkpoint must verify.
2. **Redis outage.**  The gateway runs on Redis with a followed accounts file in
   which a tenth of the accounts are blocked.  Redis is killed for ``--outage-s``
   seconds and started again empty (no persistence).  Counted per phase: 5xx other
   than the documented ``state_unavailable``, and requests of blocked accounts
   answered 200 (both must be 0), with the shipped policy (fail open) and with
   ``state_failure: closed``.

The added latency target (p50 <= 1 ms) is ``bench_gateway.py``'s.

    .venv/bin/python benchmarks/bench_faults.py [--clients 200] [--kills 5] [--outage-s 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from _table import print_table
from bench_gateway import child, cli, free_port, wait_port

from distillguard.gateway.audit import read_records, verify
from distillguard.gateway.upstream import FastUpstream, UpstreamError

BODY = json.dumps(
    {"model": "m", "messages": [{"role": "user", "content": "Explain step by step: 2+2?"}]}
).encode()


class Load:
    """Clients posting as fast as answers come; what each got is kept per phase."""

    def __init__(self, url: str, accounts: int, clients: int) -> None:
        self.url = url
        self.accounts = accounts
        self.clients = clients
        self.phase = "run"
        self.answered: list[str] = []
        #: (phase, account index, status, error code) per request.
        self.results: list[tuple[str, int, int, str]] = []
        self.errors = 0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        pool = FastUpstream(self.url, timeout_s=30, connect_timeout_s=2)
        rng = random.Random(7)

        async def client(i: int) -> None:
            while not self.stop.is_set():
                acct = rng.randrange(self.accounts)
                headers = [("content-type", "application/json"),
                           ("authorization", f"Bearer k-{acct}")]  # fmt: skip
                try:
                    r = await pool.send("POST", "/v1/chat/completions", headers, BODY)
                    body = await r.aread()
                except (UpstreamError, OSError):
                    self.errors += 1
                    await asyncio.sleep(0.01)
                    continue
                # The phase the answer came in: one in flight when Redis dies is the outage's.
                phase = self.phase
                code = ""
                if r.status_code >= 400:
                    try:
                        code = json.loads(body)["error"]["code"]
                    except (ValueError, KeyError, TypeError):
                        code = "?"
                self.results.append((phase, acct, r.status_code, code))
                if r.status_code == 200:
                    self.answered.append(dict(r.headers)["x-request-id"])

        try:
            await asyncio.gather(*(client(i) for i in range(self.clients)))
        finally:
            await pool.aclose()


def write_inputs(tmp: Path, accounts: int) -> tuple[Path, Path, set[int]]:
    keys = tmp / "keys.csv"
    keys.write_text(
        "api_key,account_id,tier\n" + "".join(f"k-{i},acct-{i},paid\n" for i in range(accounts)),
        encoding="utf-8",
    )
    blocked = set(range(0, accounts, 10))
    table = pa.table({
        "account_id": [f"acct-{i}" for i in range(accounts)],
        "risk": [0.99 if i in blocked else 0.01 for i in range(accounts)],
        "verdict": ["block" if i in blocked else "allow" for i in range(accounts)],
    })  # fmt: skip
    pq.write_table(table, tmp / "accounts.parquet")
    return keys, tmp / "accounts.parquet", blocked


def serve_args(up: str, keys: Path, port: int, audit: Path, *extra: str) -> list[str]:
    return cli("serve", "--upstream", up, "--keys", str(keys), "--port", str(port),
               "--audit", str(audit), *extra)  # fmt: skip


def sigkill_case(up: str, tmp: Path, keys: Path, clients: int, kills: int, accounts: int,
                 rng: random.Random) -> list[tuple[str, str]]:  # fmt: skip
    audit = tmp / "audit-kill.jsonl"
    rows: list[tuple[str, str]] = []
    total_missing = 0
    for k in range(1, kills + 1):
        port = free_port()
        proc = subprocess.Popen(serve_args(up, keys, port, audit), stdout=subprocess.DEVNULL)
        wait_port(port, 60)
        load = Load(f"http://127.0.0.1:{port}", accounts, clients)
        at = rng.uniform(1.0, 3.0)

        async def run(load: Load = load, at: float = at, proc: subprocess.Popen[bytes] = proc
                      ) -> None:  # fmt: skip
            task = asyncio.create_task(load.run())
            await asyncio.sleep(at)
            proc.send_signal(signal.SIGKILL)
            await asyncio.sleep(0.5)
            load.stop.set()
            await task

        asyncio.run(run())
        proc.wait(10)
        decided = {r["request_id"] for r in read_records(audit, "decision")}
        outcome = {r["request_id"] for r in read_records(audit, "outcome")}
        signals = {r["request_id"] for r in read_records(audit, "signals")}
        no_decision = sum(1 for a in load.answered if a not in decided)
        no_outcome = sum(1 for a in load.answered if a not in outcome)
        no_signals = sum(1 for a in load.answered if a not in signals)
        total_missing += no_decision + no_outcome
        rows.append((
            f"kill {k} at {at:.2f} s: answered / failed in flight",
            f"{len(load.answered):,} / {load.errors:,}",
        ))  # fmt: skip
        rows.append((
            f"kill {k}: answered without decision / outcome (target 0 / 0)",
            f"{no_decision} / {no_outcome}",
        ))  # fmt: skip
        rows.append((f"kill {k}: without signals (in the scorer window or queue)",
                     f"{no_signals}"))  # fmt: skip
    # One more start and a clean stop: the chain continues and closes.
    port = free_port()
    with child(serve_args(up, keys, port, audit), port):
        pass
    res = verify(audit)
    rows.append(("SIGKILL: answered requests without a record (target 0)", str(total_missing)))
    rows.append(("SIGKILL: chain after restart", (
        f"{'verifies' if res.ok else 'BROKEN: ' + res.reason}, {res.records:,} records"
    )))  # fmt: skip
    return rows


def outage_case(name: str, up: str, tmp: Path, keys: Path, accounts_file: Path, blocked: set[int],
                clients: int, accounts: int, outage_s: float,
                extra: list[str]) -> list[tuple[str, str]]:  # fmt: skip
    exe = shutil.which("redis-server")
    if exe is None:
        return [(f"[{name}] redis outage", "skipped: redis-server not installed")]
    rport = free_port()
    redis_args = [exe, "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", "no"]  # fmt: skip
    redis = subprocess.Popen(redis_args, stdout=subprocess.DEVNULL)
    wait_port(rport)
    port = free_port()
    args = serve_args(up, keys, port, tmp / f"audit-{name}.jsonl", "--redis",
                      f"redis://127.0.0.1:{rport}/0", "--accounts", str(accounts_file),
                      "--reload-every", "0.5", *extra)  # fmt: skip
    try:
        with child(args, port):
            time.sleep(1.5)  # the accounts file is pushed into Redis
            load = Load(f"http://127.0.0.1:{port}", accounts, clients)

            async def run() -> None:
                nonlocal redis
                task = asyncio.create_task(load.run())
                await asyncio.sleep(3)
                load.phase = "outage"
                redis.kill()
                redis.wait(10)
                await asyncio.sleep(outage_s)
                redis = subprocess.Popen(redis_args, stdout=subprocess.DEVNULL)
                load.phase = "after"
                await asyncio.sleep(5)
                load.stop.set()
                await task

            asyncio.run(run())
    finally:
        redis.kill()
        redis.wait(10)
    reasons = Counter(
        str(r.get("state_error"))
        for r in read_records(tmp / f"audit-{name}.jsonl", "decision")
        if r.get("state_error")
    )
    rows = [(f"[{name}] state errors by reason", "; ".join(
        f"{k[:60]}: {v:,}" for k, v in reasons.most_common(3)) or "none")]  # fmt: skip
    for phase in ("run", "outage", "after"):
        got = [r for r in load.results if r[0] == phase]
        statuses = Counter(r[2] for r in got)
        bad5xx = sum(1 for r in got if r[2] >= 500 and r[3] != "state_unavailable")
        unavailable = sum(1 for r in got if r[3] == "state_unavailable")
        served_blocked = sum(1 for r in got if r[1] in blocked and r[2] == 200)
        rows.append((
            f"[{name}] {phase}: requests / 200 / 403 / 503 state_unavailable",
            f"{len(got):,} / {statuses[200]:,} / {statuses[403]:,} / {unavailable:,}",
        ))  # fmt: skip
        rows.append((
            f"[{name}] {phase}: other 5xx / blocked accounts served (target 0 / 0)",
            f"{bad5xx} / {served_blocked}",
        ))  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--outage-s", type=float, default=10.0)
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        keys, accounts_file, blocked = write_inputs(tmp, args.accounts)
        (tmp / "closed.yaml").write_text(
            "state_failure: closed\nrules:\n"
            "  - {name: batch-block, when: {batch_verdict_in: [block]}, action: block}\n"
            "  - {name: default, action: allow}\n",
            encoding="utf-8",
        )
        up_port = free_port()
        with child(cli("mock-upstream", "--port", str(up_port)), up_port):
            up = f"http://127.0.0.1:{up_port}"
            rows += sigkill_case(up, tmp, keys, args.clients, args.kills, args.accounts, rng)
            rows += outage_case("fail-open", up, tmp, keys, accounts_file, blocked,
                                args.clients, args.accounts, args.outage_s, [])  # fmt: skip
            rows += outage_case("fail-closed", up, tmp, keys, accounts_file, blocked,
                                args.clients, args.accounts, args.outage_s,
                                ["--policy", str(tmp / "closed.yaml")])  # fmt: skip
    rows.append(("baseline", "the stated bound: 0 decision/outcome records lost; 0 blocked served"))
    print_table(rows)


if __name__ == "__main__":
    main()
