"""Forwarding to the upstream model API, and OpenAI-style error responses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Final

import httpx
from starlette.responses import Response, StreamingResponse

from distillguard.gateway.upstream import (
    UpstreamError,
    UpstreamResponse,
    UpstreamTimeout,
)

#: Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1), plus
#: the ones we recompute.
HOP: Final = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length",
        "content-encoding", "accept-encoding",
    }
)  # fmt: skip


def error_response(
    status: int,
    message: str,
    *,
    type_: str,
    code: str,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An OpenAI-style error: ``{"error": {"message", "type", "code", "param"}}``."""
    body = {"error": {"message": message, "type": type_, "code": code, "param": param}}
    return Response(
        json.dumps(body).encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def request_headers(
    items: Iterable[tuple[str, str]], upstream_key: str | None, request_id: str
) -> dict[str, str]:
    """Headers to send upstream: hop-by-hop dropped, the upstream key swapped in."""
    out = {k: v for k, v in items if k.lower() not in HOP}
    if upstream_key is not None:
        for k in [k for k in out if k.lower() == "authorization"]:
            del out[k]
        out["authorization"] = f"Bearer {upstream_key}"
    # We parse responses, so ask for them uncompressed.
    out["accept-encoding"] = "identity"
    out["x-request-id"] = request_id
    return out


def response_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Upstream response headers to relay (hop-by-hop dropped)."""
    return {k: v for k, v in headers if k.lower() not in HOP}


def upstream_failure(exc: httpx.HTTPError | UpstreamError) -> Response:
    """504 for timeouts, 502 for every other transport failure."""
    if isinstance(exc, httpx.TimeoutException | UpstreamTimeout):
        return error_response(
            504,
            "the upstream model API did not answer in time",
            type_="upstream_error",
            code="upstream_timeout",
        )
    return error_response(
        502,
        f"the upstream model API could not be reached ({type(exc).__name__})",
        type_="upstream_error",
        code="upstream_unavailable",
    )


def stream_response(
    resp: UpstreamResponse,
    transform: Callable[[bytes], bytes] | None,
    finish: Callable[[], bytes] | None,
    on_close: Callable[[bool], None],
    headers: dict[str, str],
) -> StreamingResponse:
    """Relay an upstream stream, transformed chunk by chunk; ``on_close(ok)`` at the end."""

    async def body() -> AsyncIterator[bytes]:
        ok = False
        try:
            async for chunk in resp.aiter_raw():
                out = transform(chunk) if transform is not None else chunk
                if out:
                    yield out
            if finish is not None:
                tail = finish()
                if tail:
                    yield tail
            ok = True
        except UpstreamError:
            # Headers are already sent: all we can do is end the stream early.
            ok = False
        finally:
            await resp.aclose()
            on_close(ok)

    return StreamingResponse(body(), status_code=resp.status_code, headers=headers)


def json_body(raw: bytes) -> Any:
    """Parse JSON bytes; raise ``ValueError`` when they are not JSON."""
    return json.loads(raw)
