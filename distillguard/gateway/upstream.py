"""Clients for the upstream model API: a lean HTTP/1.1 pool, and httpx as the fallback.

The request path of the gateway is mostly *forwarding*: profiling showed httpx
(with httpcore and anyio under it) taking about 0.5 ms of CPU per proxied call,
more than everything the gateway itself decides.  :class:`FastUpstream` is a
keep-alive connection pool on asyncio protocols with the ``httptools`` C parser
(the one uvicorn uses): about a tenth of that.  It speaks plain HTTP/1.1 over TCP
or TLS, which is what an OpenAI-compatible API needs; :class:`HttpxUpstream`
(used when ``httptools`` is missing, or with ``upstream_client="httpx"``, e.g.
for an HTTP proxy from the environment) offers the same small interface.

Both raise :class:`UpstreamTimeout` or :class:`UpstreamUnavailable`, which the
gateway turns into 504 and 502.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Sequence
from typing import Final, cast
from urllib.parse import urlsplit

import httpx

from distillguard.errors import DistillguardError

try:
    import httptools
except ImportError:  # pragma: no cover - exercised only where httptools is absent
    httptools = None  # type: ignore[assignment]

#: Whether the lean pool can be used here.
HAVE_HTTPTOOLS: Final = httptools is not None
#: Pause reading from the upstream socket when this much body is buffered.
_HIGH_WATER: Final = 1 << 20


class UpstreamError(DistillguardError):
    """The upstream could not be used for this request."""


class UpstreamTimeout(UpstreamError):  # noqa: N818  (reads as a condition)
    """The upstream did not answer (or send the next bytes) in time."""


class UpstreamUnavailable(UpstreamError):  # noqa: N818  (reads as a condition)
    """The upstream could not be reached, or broke the connection or the protocol."""


class UpstreamResponse(ABC):
    """Status and headers are there at once; the body is read with ``aread`` or ``aiter_raw``."""

    status_code: int
    #: Header names in lower case, in the order received.
    headers: list[tuple[str, str]]

    @abstractmethod
    async def aread(self) -> bytes:
        """The whole body."""

    @abstractmethod
    def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body as it arrives (chunked transfer coding already removed)."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release the connection (reused only when the body was read to the end)."""


class Upstream(ABC):
    """A pool of connections to one upstream base URL."""

    @abstractmethod
    async def send(
        self, method: str, path: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> UpstreamResponse:
        """Send a request; return once the response headers have arrived."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close every connection."""


# --------------------------------------------------------------------- fast
class _Conn(asyncio.Protocol):
    """One keep-alive connection; at most one request at a time (no pipelining)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reused = False
        self._reset()

    def _reset(self) -> None:
        assert httptools is not None
        self.parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.complete = False
        self.keep_alive = False
        self.got_bytes = False
        self.error: UpstreamError | None = None
        #: Inside an interim (1xx) response, which is skipped: the final one follows.
        self.interim = False
        self.head: asyncio.Future[None] = self.loop.create_future()
        self.wake: asyncio.Future[None] | None = None
        self.paused = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamUnavailable(f"bad HTTP from upstream: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.complete:
            return
        names = {k for k, _ in self.headers}
        if (
            self.head.done()
            and "content-length" not in names
            and ("transfer-encoding" not in names)
        ):
            # A body delimited by the end of the connection (HTTP/1.0 style).
            self.complete = True
            self._wake()
            return
        self._fail(UpstreamUnavailable("the upstream closed the connection"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:
            # ``100 Continue`` and other interim answers are not the answer: the gateway
            # sends no ``expect`` and never upgrades, so wait for the final response.
            self.interim = True
            self.headers = []
            return
        self.status = status
        if not self.head.done():
            self.head.set_result(None)

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH_WATER and self.transport is not None and not self.paused:
            # A slow client must not make us buffer a whole upstream answer.
            self.transport.pause_reading()
            self.paused = True
        self._wake()

    def on_message_complete(self) -> None:
        if self.interim:
            self.interim = False
            return
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()
        self._wake()

    # helpers
    def _wake(self) -> None:
        if self.wake is not None and not self.wake.done():
            self.wake.set_result(None)

    def _fail(self, err: UpstreamError) -> None:
        if self.error is None:
            self.error = err
        if not self.head.done():
            self.head.set_exception(err)
            self.head.exception()  # retrieved here: nobody may be waiting any more
        self._wake()

    def take(self) -> bytes | None:
        """Buffered body bytes, or None when none are buffered."""
        if not self.chunks:
            return None
        out = self.chunks.popleft() if len(self.chunks) == 1 else b"".join(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        if self.paused and self.transport is not None:
            self.transport.resume_reading()
            self.paused = False
        return out

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _FastResponse(UpstreamResponse):
    def __init__(self, pool: FastUpstream, conn: _Conn) -> None:
        self._pool = pool
        self._conn = conn
        self._released = False
        self.status_code = conn.status
        self.headers = conn.headers

    async def _next(self) -> bytes | None:
        """Next body bytes; None at the end."""
        c = self._conn
        while True:
            data = c.take()
            if data is not None:
                return data
            if c.complete:
                return None
            if c.error is not None:
                raise c.error
            c.wake = c.loop.create_future()
            try:
                await asyncio.wait_for(c.wake, self._pool.read_timeout_s)
            except TimeoutError as exc:
                c.close()
                raise UpstreamTimeout("the upstream stopped sending") from exc
            finally:
                c.wake = None

    async def aread(self) -> bytes:
        parts = []
        try:
            while (data := await self._next()) is not None:
                parts.append(data)
        finally:
            await self.aclose()
        return b"".join(parts)

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        try:
            while (data := await self._next()) is not None:
                yield data
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if self._released:
            return
        self._released = True
        self._pool._release(self._conn)


class FastUpstream(Upstream):
    """Keep-alive HTTP/1.1 pool with the ``httptools`` parser (HTTP or HTTPS)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 5.0,
        max_idle: int = 256,
    ) -> None:
        if httptools is None:
            raise UpstreamError("httptools is not installed")
        u = urlsplit(base_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise UpstreamError(f"upstream must be an http(s) URL, got {base_url!r}")
        self.host = u.hostname
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.prefix = u.path.rstrip("/")
        default_port = self.port == (443 if u.scheme == "https" else 80)
        self.host_header = u.hostname if default_port else f"{u.hostname}:{self.port}"
        self.ssl: ssl.SSLContext | None = (
            ssl.create_default_context() if u.scheme == "https" else None
        )
        self.read_timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_idle = max_idle
        self._idle: list[_Conn] = []

    async def _connect(self) -> _Conn:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Conn(loop), self.host, self.port, ssl=self.ssl,
                    server_hostname=self.host if self.ssl else None,
                ),
                self.connect_timeout_s,
            )  # fmt: skip
        except TimeoutError as exc:
            raise UpstreamTimeout("connecting to the upstream timed out") from exc
        except OSError as exc:
            raise UpstreamUnavailable(f"cannot connect to the upstream: {exc}") from exc
        return conn

    def _head(self, method: str, path: str, headers: Sequence[tuple[str, str]], n: int) -> bytes:
        lines = [f"{method} {self.prefix}{path} HTTP/1.1", f"host: {self.host_header}"]
        lines += [f"{k}: {v}" for k, v in headers]
        lines.append(f"content-length: {n}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def send(
        self, method: str, path: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> UpstreamResponse:
        head = self._head(method, path, headers, len(body))
        for attempt in range(2):
            conn = None
            while self._idle:
                c = self._idle.pop()
                if not c.closed:
                    conn = c
                    break
            if conn is None:
                conn = await self._connect()
            assert conn.transport is not None
            conn.transport.write(head + body if len(body) < 65536 else head)
            if len(body) >= 65536:
                conn.transport.write(body)
            try:
                await asyncio.wait_for(conn.head, self.read_timeout_s)
            except TimeoutError as exc:
                conn.close()
                raise UpstreamTimeout("the upstream did not answer in time") from exc
            except UpstreamUnavailable:
                conn.close()
                # An idle keep-alive connection the server closed just as we wrote
                # (nothing came back): the request never reached it; try a fresh one.
                if conn.reused and not conn.got_bytes and attempt == 0:
                    continue
                raise
            except BaseException:
                # Cancelled (client gone): the connection is mid-request, never reuse it.
                conn.close()
                raise
            return _FastResponse(self, conn)
        raise AssertionError("unreachable")  # pragma: no cover

    def _release(self, conn: _Conn) -> None:
        reusable = conn.complete and conn.keep_alive and not conn.closed and conn.error is None
        if reusable and len(self._idle) < self.max_idle:
            conn._reset()
            conn.reused = True
            self._idle.append(conn)
            return
        conn.close()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for c in idle:
            c.close()


# --------------------------------------------------------------------- httpx
class HttpxResponse(UpstreamResponse):
    """An ``httpx`` streaming response behind the same interface."""

    def __init__(self, resp: httpx.Response) -> None:
        self._r = resp
        self.status_code = resp.status_code
        self.headers = [(k.lower(), v) for k, v in resp.headers.items()]

    async def aread(self) -> bytes:
        try:
            return await self._r.aread()
        except httpx.HTTPError as exc:
            raise _mapped(exc) from exc
        finally:
            await self._r.aclose()

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._r.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            raise _mapped(exc) from exc
        finally:
            await self._r.aclose()

    async def aclose(self) -> None:
        await self._r.aclose()


def _mapped(exc: httpx.HTTPError) -> UpstreamError:
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout(f"the upstream did not answer in time ({type(exc).__name__})")
    return UpstreamUnavailable(f"the upstream could not be reached ({type(exc).__name__})")


class HttpxUpstream(Upstream):
    """The same interface on ``httpx.AsyncClient`` (honours proxy variables)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 5.0,
        max_idle: int = 256,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=max_idle),
        )

    async def send(
        self, method: str, path: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> UpstreamResponse:
        req = self.client.build_request(method, self.base + path, headers=list(headers),
                                        content=body)  # fmt: skip
        try:
            return HttpxResponse(await self.client.send(req, stream=True))
        except httpx.HTTPError as exc:
            raise _mapped(exc) from exc

    async def aclose(self) -> None:
        await self.client.aclose()


def make_upstream(
    base_url: str,
    *,
    kind: str = "auto",
    timeout_s: float = 120.0,
    connect_timeout_s: float = 5.0,
) -> Upstream:
    """``kind``: ``fast``, ``httpx``, or ``auto`` (fast when httptools is installed)."""
    if kind not in ("auto", "fast", "httpx"):
        raise UpstreamError(f"unknown upstream client {kind!r} (auto, fast, httpx)")
    if kind == "fast" or (kind == "auto" and httptools is not None):
        return FastUpstream(base_url, timeout_s=timeout_s, connect_timeout_s=connect_timeout_s)
    return HttpxUpstream(base_url, timeout_s=timeout_s, connect_timeout_s=connect_timeout_s)


async def close_quietly(resp: UpstreamResponse) -> None:
    """Close ``resp`` without raising (cleanup paths)."""
    with contextlib.suppress(Exception):
        await resp.aclose()
