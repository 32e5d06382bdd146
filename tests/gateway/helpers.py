"""Run ASGI apps with uvicorn on loopback in a background thread; talk raw HTTP to them."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from tests.gateway.conftest import free_port


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yield its base URL; stop on exit."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False,
        proxy_headers=False,  # as `distillguard serve` runs the gateway
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class RawResponse:
    """A response read off the socket: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes
    #: Status lines of interim (1xx) responses that came first.
    interim: list[int]

    def json(self) -> Any:
        return json.loads(self.body)


def raw_request(
    base: str,
    method: str,
    target: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    expect_continue: bool = False,
) -> RawResponse:
    """Send one HTTP/1.1 request with ``target`` exactly as given (no client normalising it).

    ``expect_continue``: send ``Expect: 100-continue`` and the body only after the
    server's interim answer (or its final one, which then ends the exchange).
    """
    host, port = base.removeprefix("http://").split(":")
    hdrs = {"host": f"{host}:{port}", "connection": "close", **(headers or {})}
    if body or method in ("POST", "PUT", "PATCH"):
        hdrs.setdefault("content-length", str(len(body)))
    if expect_continue:
        hdrs["expect"] = "100-continue"
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(head.encode("latin-1") + b"\r\n")
        buf = b""
        interim: list[int] = []
        if expect_continue:
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            status = int(buf.split(b" ", 2)[1])
            if status == 100:
                interim.append(100)
                buf = buf.split(b"\r\n\r\n", 1)[1]
                s.sendall(body)
        else:
            s.sendall(body)
        while chunk := s.recv(65536):
            buf += chunk
    return _parse_raw(buf, interim)


def _parse_raw(buf: bytes, interim: list[int]) -> RawResponse:
    while True:
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        if 100 <= status < 200:
            interim.append(status)
            buf = rest
            continue
        headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while rest:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    break
                body += rest[:size]
                rest = rest[size + 2 :]
            rest = body
        return RawResponse(status, headers, rest, interim)


@contextmanager
def tcp_server(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    """A loopback TCP server calling ``handle(conn)`` per connection; yield its base URL."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            handle(self.request)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    with Server(("127.0.0.1", 0), Handler) as srv:
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{srv.server_address[1]}"
        finally:
            srv.shutdown()
            thread.join(10)


def read_request_head(conn: socket.socket) -> bytes:
    """Read one request's head (up to the blank line) from ``conn``."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf
