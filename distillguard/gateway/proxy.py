"""Forwarding to the upstream model API, and OpenAI-style error responses.

Headers are the gateway's to set, not the client's to relay: hop-by-hop headers
(and any the client names in ``Connection``), forwarding headers (the gateway
writes ``x-forwarded-for`` itself, from the address it decided on), ``expect``
(the gateway reads the whole body before it forwards, so an upstream's interim
``100 Continue`` has nothing to answer), the gateway's own ``x-distillguard-*``,
and, when the gateway sends its own upstream key, every header that carries or
selects credentials.
"""

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
    extra: dict[str, Any] | None = None,
) -> Response:
    """An OpenAI-style error: ``{"error": {"message", "type", "code", "param"}}``.

    ``extra`` adds fields to the error object: a policy refusal carries ``reason``
    (machine-readable: ``policy`` or ``budget_exhausted``) and ``reference`` (the
    request id of its audit decision record, for the user to quote).
    """
    error: dict[str, Any] = {"message": message, "type": type_, "code": code, "param": param}
    if extra:
        error.update(extra)
    body = {"error": error}
    return Response(
        json.dumps(body).encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


#: Forwarding headers a client could use to pose as another address or scheme.
FORWARDING: Final = frozenset(
    {
        "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
        "x-forwarded-port", "x-forwarded-prefix", "x-real-ip", "x-client-ip",
        "x-cluster-client-ip", "true-client-ip", "cf-connecting-ip", "fastly-client-ip",
        "via",
    }
)  # fmt: skip
#: Headers that carry or select credentials upstream (dropped when the gateway
#: sends its own key: the client must not choose the provider's organisation).
CREDENTIALS: Final = frozenset(
    {"authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie"}
)
_NEVER: Final = HOP | FORWARDING | {"expect", "x-request-id"}


def request_headers(
    items: Iterable[tuple[str, str]],
    upstream_key: str | None,
    request_id: str,
    client_ip: str | None = None,
) -> dict[str, str]:
    """Headers to send upstream (see the module docstring)."""
    pairs = [(k.lower(), v) for k, v in items]
    named = {
        t.strip().lower() for k, v in pairs if k == "connection" for t in v.split(",") if t.strip()
    }
    drop = _NEVER | named | (CREDENTIALS if upstream_key is not None else frozenset())
    out = {k: v for k, v in pairs if k not in drop and not k.startswith("x-distillguard-")}
    if upstream_key is not None:
        out["authorization"] = f"Bearer {upstream_key}"
    # We parse responses, so ask for them uncompressed.
    out["accept-encoding"] = "identity"
    out["x-request-id"] = request_id
    if client_ip:
        out["x-forwarded-for"] = client_ip
    return out


def response_headers(
    headers: Iterable[tuple[str, str]], *, encoded: bool = False
) -> dict[str, str]:
    """Upstream response headers to relay (hop-by-hop dropped).

    ``encoded``: the body is relayed as the upstream encoded it, so its
    ``content-encoding`` goes with it.
    """
    out = {k: v for k, v in headers if k.lower() not in HOP}
    if encoded:
        for k, v in headers:
            if k.lower() == "content-encoding":
                out[k] = v
    return out


def content_encoded(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether the upstream encoded the body (gzip, br…) although we asked for identity."""
    return any(
        k.lower() == "content-encoding" and v.strip().lower() not in ("", "identity")
        for k, v in headers
    )


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
