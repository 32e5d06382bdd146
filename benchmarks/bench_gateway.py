"""Gateway overhead: added latency (p50/p99) and throughput, memory and Redis state.

The mock upstream and the gateway run as the real CLI in child processes on
loopback (so client, gateway and upstream do not share a GIL).  The named
baseline is the same request sent straight to the mock upstream, interleaved with
the gateway requests so both see the same machine noise; the added latency is the
difference of the two distributions' percentiles.  Redis runs as a child
``redis-server`` (skipped when it is not installed).

Throughput is measured with the gateway's own lean HTTP/1.1 pool as the load
generator (``FastUpstream``; httpx alone tops out near a few hundred requests/s
per core and would measure itself), ``--concurrency`` requests in flight.

    .venv/bin/python benchmarks/bench_gateway.py [--requests 2000] [--concurrency 32]
        [--serve-args "--scorer inline --upstream-client httpx"]   # the old hot path

Targets (issue 5): added p50 <= 1 ms, p99 <= 5 ms; Redis p50 <= 2 ms; >= 1,000 req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
from _table import print_table

from distillguard.gateway.upstream import FastUpstream

BODY = {"model": "m", "messages": [{"role": "user", "content": "Explain step by step: 2+2?"}]}
HEADERS = {"authorization": "Bearer sk-bench"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


@contextmanager
def child(args: list[str], port: int) -> Iterator[None]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield
    finally:
        proc.terminate()
        proc.wait(15)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "distillguard", *args]


def latencies(gw: str, up: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sequential requests, alternating gateway and direct, one keep-alive client each."""
    g, d = [], []
    with httpx.Client(base_url=gw) as cg, httpx.Client(base_url=up) as cu:
        for _ in range(50):  # warm-up: connections, lazy signal state
            cg.post("/v1/chat/completions", json=BODY, headers=HEADERS)
            cu.post("/v1/chat/completions", json=BODY)
        for _ in range(n):
            t = time.perf_counter()
            cg.post("/v1/chat/completions", json=BODY, headers=HEADERS).raise_for_status()
            g.append(time.perf_counter() - t)
            t = time.perf_counter()
            cu.post("/v1/chat/completions", json=BODY).raise_for_status()
            d.append(time.perf_counter() - t)
    return np.array(g) * 1e3, np.array(d) * 1e3


async def throughput(url: str, n: int, concurrency: int) -> float:
    client = FastUpstream(url, timeout_s=60)
    body = json.dumps(BODY).encode()
    headers = [("content-type", "application/json"), *HEADERS.items()]
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            r = await client.send("POST", "/v1/chat/completions", headers, body)
            await r.aread()
            if r.status_code != 200:
                raise RuntimeError(f"status {r.status_code}")

    try:
        t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return n / (time.perf_counter() - t)
    finally:
        await client.aclose()


def run_case(
    name: str, tmp: Path, up: str, n: int, conc: int, redis: str | None, extra: list[str]
) -> list[tuple[str, str]]:
    port = free_port()
    args = ["serve", "--upstream", up, "--keys", str(tmp / "keys.csv"), "--port", str(port),
            "--audit", str(tmp / f"audit-{name}.jsonl"), *extra]  # fmt: skip
    if redis:
        args += ["--redis", redis]
    with child(cli(*args), port):
        gw = f"http://127.0.0.1:{port}"
        g, d = latencies(gw, up, n)
        rps = asyncio.run(throughput(gw, n, conc))
        rps_direct = asyncio.run(throughput(up, n, conc))
    added50 = np.percentile(g, 50) - np.percentile(d, 50)
    added99 = np.percentile(g, 99) - np.percentile(d, 99)

    def pct(x: np.ndarray) -> str:
        return f"{np.percentile(x, 50):.2f} / {np.percentile(x, 99):.2f}"

    return [
        (f"[{name}] direct p50 / p99 (ms)", pct(d)),
        (f"[{name}] gateway p50 / p99 (ms)", pct(g)),
        (f"[{name}] added p50 / p99 (ms)", f"{added50:.2f} / {added99:.2f}"),
        (f"[{name}] throughput gateway / direct (req/s)", f"{rps:,.0f} / {rps_direct:,.0f}"),
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--serve-args", default="", help="extra `distillguard serve` arguments")
    args = ap.parse_args()
    extra = shlex.split(args.serve_args)

    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "keys.csv").write_text(
            "api_key,account_id,org_id,tier,created_at\nsk-bench,acct-bench,org,paid,2025-01-01\n",
            encoding="utf-8",
        )
        up_port = free_port()
        with child(cli("mock-upstream", "--port", str(up_port)), up_port):
            up = f"http://127.0.0.1:{up_port}"
            rows += run_case("memory", tmp, up, args.requests, args.concurrency, None, extra)
            exe = shutil.which("redis-server")
            if exe is None:
                rows.append(("[redis]", "skipped: redis-server not installed"))
            else:
                rport = free_port()
                redis_args = [exe, "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"]  # fmt: skip
                with child(redis_args, rport):
                    rows += run_case(
                        "redis", tmp, up, args.requests, args.concurrency,
                        f"redis://127.0.0.1:{rport}/0", extra,
                    )  # fmt: skip
    if extra:
        rows.append(("serve args", " ".join(extra)))
    rows.append(("target", "added p50 <= 1 ms, p99 <= 5 ms; redis p50 <= 2 ms; >= 1,000 req/s"))
    print_table(rows)


if __name__ == "__main__":
    main()
