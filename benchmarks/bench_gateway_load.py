"""Gateway under sustained load: 200 concurrent clients on loopback for 60 s (bounded).

The mock upstream and the gateway run as the real CLI in child processes.  One
client process keeps ``--clients`` requests in flight (the gateway's own lean
HTTP/1.1 pool as load generator) from ``--accounts`` accounts with varied prompts,
for ``--seconds``.  Reported:

- gateway answers by status, and transport errors (nothing should be a 5xx);
- audit decision records vs requests sent, signals records by scoring status (the
  gateway is stopped with SIGTERM so scoring finishes), and the hash chain and its
  checkpoint checked with the audit verify code;
- RSS of the gateway process, sampled every second: start / peak / end (and of the
  whole process tree: the scoring worker and the fork server);
- throughput and latency percentiles.

    .venv/bin/python benchmarks/bench_gateway_load.py [--seconds 60] [--clients 200]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _table import print_table
from bench_gateway import cli, free_port, wait_port

from distillguard.gateway.audit import read_records, verify
from distillguard.gateway.upstream import FastUpstream, UpstreamError

PAGE = os.sysconf("SC_PAGE_SIZE")
#: Ordinary product traffic: the policy should let it through (a 403 here is a finding).
PROMPTS = (
    "Write a short thank-you note to colleague number {i} for their help with project {k}.",
    "Translate into French: the meeting on day {k} is moved to room {i}.",
    "Suggest a name for a bakery on street {i}; we open in {k} weeks.",
    "Summarise in two sentences why customers like our app (ticket {i}-{k}).",
    "Draft a polite reply declining invitation {k} from team {i}.",
)


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (the fork server and the scoring worker)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children[ppid].append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


async def load(
    url: str, seconds: float, clients: int, accounts: int
) -> tuple[collections.Counter[str], list[float], float]:
    """Keep ``clients`` requests in flight for ``seconds``; (status counts, latencies, wall)."""
    pool = FastUpstream(url, timeout_s=30, connect_timeout_s=5)
    statuses: collections.Counter[str] = collections.Counter()
    lat: list[float] = []
    deadline = time.monotonic() + seconds

    async def client(i: int) -> None:
        k = 0
        while time.monotonic() < deadline:
            k += 1
            prompt = PROMPTS[(i + k) % len(PROMPTS)].format(i=i, k=k)
            body = json.dumps({"model": "m", "messages": [{"role": "user", "content": prompt}],
                               "max_tokens": 256}).encode()  # fmt: skip
            headers = [("content-type", "application/json"),
                       ("authorization", f"Bearer sk-load-{i % accounts}")]  # fmt: skip
            t = time.perf_counter()
            try:
                r = await pool.send("POST", "/v1/chat/completions", headers, body)
                await r.aread()
                statuses[str(r.status_code)] += 1
            except UpstreamError as exc:
                statuses[f"transport: {type(exc).__name__}"] += 1
            lat.append(time.perf_counter() - t)

    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(client(i) for i in range(clients)))
    finally:
        await pool.aclose()
    return statuses, lat, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--accounts", type=int, default=50)
    ap.add_argument("--serve-args", default="", help="extra `distillguard serve` arguments")
    ap.add_argument("--keep-audit", type=Path, help="copy the audit log here afterwards")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        keys = tmp / "keys.csv"
        keys.write_text(
            "api_key,account_id,tier\n"
            + "".join(f"sk-load-{i},acct-load-{i},paid\n" for i in range(args.accounts)),
            encoding="utf-8",
        )
        audit = tmp / "audit.jsonl"
        up_port, gw_port = free_port(), free_port()
        up = subprocess.Popen(cli("mock-upstream", "--port", str(up_port)),
                              stdout=subprocess.DEVNULL)  # fmt: skip
        gw: subprocess.Popen[bytes] | None = None
        try:
            wait_port(up_port)
            gw = subprocess.Popen(
                cli("serve", "--upstream", f"http://127.0.0.1:{up_port}", "--keys", str(keys),
                    "--port", str(gw_port), "--audit", str(audit), *args.serve_args.split()),
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            wait_port(gw_port)
            time.sleep(1.0)  # let the scoring worker start
            samples: list[tuple[float, float]] = []
            stop = False

            async def sampler() -> None:
                assert gw is not None
                while not stop:
                    samples.append((rss_mb(gw.pid), sum(rss_mb(p) for p in tree(gw.pid))))
                    await asyncio.sleep(1.0)

            async def run() -> tuple[collections.Counter[str], list[float], float]:
                nonlocal stop
                task = asyncio.create_task(sampler())
                try:
                    return await load(
                        f"http://127.0.0.1:{gw_port}", args.seconds, args.clients, args.accounts
                    )
                finally:
                    stop = True
                    await task

            statuses, lat, wall = asyncio.run(run())
            samples.append((rss_mb(gw.pid), sum(rss_mb(p) for p in tree(gw.pid))))
            gw.send_signal(signal.SIGTERM)  # graceful: the audit log is flushed
            gw.wait(60)
        finally:
            for p in (gw, up):
                if p is not None and p.poll() is None:
                    p.terminate()
                    p.wait(15)
        sent = sum(statuses.values())
        transport = sum(v for k, v in statuses.items() if k.startswith("transport"))
        records = len(read_records(audit, "decision"))
        chain = verify(audit)
        if args.keep_audit is not None:
            shutil.copyfile(audit, args.keep_audit)
        scoring = collections.Counter(r.get("scoring") for r in read_records(audit, "signals"))

    ms = np.array(lat) * 1e3
    gw_rss = [a for a, _ in samples]
    tree_rss = [b for _, b in samples]
    ok = statuses.get("200", 0)
    errors = {k: v for k, v in sorted(statuses.items()) if k != "200"}
    rows = [
        ("duration (s) / clients / accounts", f"{wall:.1f} / {args.clients} / {args.accounts}"),
        ("requests sent / answered 200", f"{sent:,} / {ok:,}"),
        ("non-200 by status", ", ".join(f"{k}: {v:,}" for k, v in errors.items()) or "none"),
        ("throughput (req/s)", f"{sent / wall:,.0f}"),
        ("latency p50 / p90 / p99 / max (ms)",
         " / ".join(f"{np.percentile(ms, q):.1f}" for q in (50, 90, 99, 100))),
        ("audit decisions / requests answered", f"{records:,} / {sent - transport:,}"
         + (" (none lost)" if records == sent - transport else " (MISMATCH)")),
        ("audit chain", "intact" if chain.ok else f"BROKEN: {chain.reason}"),
        ("audit scoring status", ", ".join(f"{k}: {v:,}" for k, v in scoring.most_common())),
        ("gateway RSS start / peak / end (MiB)",
         f"{gw_rss[0]:.0f} / {max(gw_rss):.0f} / {gw_rss[-1]:.0f}"),
        ("gateway+worker tree RSS start / peak / end (MiB)",
         f"{tree_rss[0]:.0f} / {max(tree_rss):.0f} / {tree_rss[-1]:.0f}"),
        ("RSS samples", f"{len(samples)} (every 1 s)"),
    ]  # fmt: skip
    print_table(rows)
    if errors or records != sent - transport or not chain.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
