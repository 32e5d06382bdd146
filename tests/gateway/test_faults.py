"""Faults on loopback with real processes: a gateway killed under load, upstreams that break.

``benchmarks/bench_faults.py`` runs the larger version (200 clients, 5 kills, a
10-second Redis outage) and prints the numbers.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from distillguard.gateway.app import GatewayConfig, create_app
from distillguard.gateway.audit import read_records, verify
from distillguard.gateway.keys import KeyInfo
from distillguard_lab.mock_upstream import create_mock_app
from tests.gateway.conftest import free_port
from tests.gateway.helpers import read_request_head, serve, tcp_server

CHAT = {"model": "m", "messages": [{"role": "user", "content": "Explain step by step: 2+2?"}]}
KEYS = {f"k-{i}": KeyInfo(f"acct-{i}", tier="paid") for i in range(8)}


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve(create_mock_app()) as url:
        yield url


@contextmanager
def gateway_process(upstream: str, tmp: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``distillguard serve`` as a child process, as an operator runs it."""
    keys = tmp / "keys.csv"
    keys.write_text("api_key,account_id\n" + "".join(f"{k},{v.account_id}\n" for k, v in
                                                     KEYS.items()), encoding="utf-8")  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "distillguard", "serve", "--upstream", upstream, "--keys",
         str(keys), "--port", str(port), "--audit", str(tmp / "audit.jsonl")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"gateway did not start: {err[-2000:]}") from None
                time.sleep(0.05)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        if proc.stderr is not None:
            proc.stderr.close()


async def _load(url: str, clients: int, answered: list[str], stop: asyncio.Event) -> int:
    """Clients posting until ``stop``; ids of requests answered 200 go to ``answered``."""
    errors = 0

    async def client(i: int) -> None:
        nonlocal errors
        headers = {"authorization": f"Bearer k-{i % len(KEYS)}"}
        async with httpx.AsyncClient(base_url=url, timeout=30) as c:
            while not stop.is_set():
                try:
                    r = await c.post("/v1/chat/completions", json=CHAT, headers=headers)
                except httpx.HTTPError:
                    errors += 1
                    await asyncio.sleep(0.01)
                    continue
                if r.status_code == 200:
                    answered.append(r.headers["x-request-id"])

    await asyncio.gather(*(client(i) for i in range(clients)))
    return errors


def test_sigkill_under_load_loses_no_answered_request(upstream: str, tmp_path: Path) -> None:
    port = free_port()
    answered: list[str] = []

    async def run(proc: subprocess.Popen[bytes]) -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(_load(f"http://127.0.0.1:{port}", 16, answered, stop))
        while len(answered) < 200:
            await asyncio.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)  # while requests are in flight
        await asyncio.sleep(0.2)
        stop.set()
        await task

    with gateway_process(upstream, tmp_path, port) as proc:
        asyncio.run(run(proc))
        proc.wait(10)
    audit = tmp_path / "audit.jsonl"
    decided = {r["request_id"] for r in read_records(audit, "decision")}
    outcomes = {r["request_id"] for r in read_records(audit, "outcome")}
    assert len(answered) >= 200
    assert [a for a in answered if a not in decided] == []
    assert [a for a in answered if a not in outcomes] == []
    res = verify(audit)
    assert res.ok, res.reason
    # A restart continues the same chain, and a clean stop closes it.
    with (
        gateway_process(upstream, tmp_path, port),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c,
    ):
        r = c.post("/v1/chat/completions", json=CHAT, headers={"authorization": "Bearer k-1"})
        assert r.status_code == 200
    after = verify(audit)
    assert after.ok, after.reason
    assert after.checkpointed == after.records > res.records


def _garbage(conn: socket.socket) -> None:
    read_request_head(conn)
    conn.sendall(b"\x00\x01 this is not HTTP at all\r\n\r\n")


def _cut_body(conn: socket.socket) -> None:
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                 b"content-length: 1000\r\n\r\n{\"choices\": [")  # fmt: skip


def _cut_stream(conn: socket.socket) -> None:
    read_request_head(conn)
    chunk = {"choices": [{"index": 0, "delta": {"content": "Answer: 4"}}]}
    event = f"data: {json.dumps(chunk)}\n\n".encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                 b"transfer-encoding: chunked\r\n\r\n"
                 + f"{len(event):x}\r\n".encode() + event + b"\r\n")  # fmt: skip


@pytest.mark.parametrize(
    ("handler", "stream", "status"),
    [(_garbage, False, 502), (_cut_body, False, 502), (_cut_stream, True, 200)],
    ids=["not-http", "body-cut", "stream-cut"],
)
def test_an_upstream_that_breaks_mid_answer(
    tmp_path: Path, handler: object, stream: bool, status: int
) -> None:
    with tcp_server(handler) as up:  # type: ignore[arg-type]
        config = GatewayConfig(upstream=up, keys=KEYS, audit_path=tmp_path / "audit.jsonl",
                               scorer="inline", upstream_timeout_s=5)  # fmt: skip
        with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as c:
            r = c.post("/v1/chat/completions", json={**CHAT, "stream": stream},
                       headers={"authorization": "Bearer k-0"})  # fmt: skip
            assert r.status_code == status
            if status == 502:
                assert r.json()["error"]["type"] == "upstream_error"
            # The gateway is still fine for the next request.
            assert c.get("/healthz").json()["status"] == "ok"
    (outcome,) = read_records(tmp_path / "audit.jsonl", "outcome")
    assert outcome["status"] == status
    if stream:
        assert outcome["stream"] == "interrupted"
    else:
        assert outcome["error"] == "UpstreamUnavailable"
    assert verify(tmp_path / "audit.jsonl").ok
