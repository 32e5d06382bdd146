"""An OpenAI-compatible fake model for tests, demos and benchmarks.

Deterministic (the answer is derived from a hash of the request) and fast.  Chat
answers carry ``reasoning_content`` and a ``<think>…</think>`` block in the
content; ``logprobs`` are returned when asked; streams are SSE whose chunks cut
the ``<think>`` tags in the middle, so clients (and the gateway's stripping)
see the hard case.  ``"mock_delay_s"`` in a request body delays the answer (to
test upstream timeouts); ``"mock_status"`` makes it answer with that status.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

REASONING = "Let me think step by step. First, restate the problem. Then solve it."


def _answer(body: dict[str, Any]) -> tuple[str, str]:
    h = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return f"Answer {h}: the result is 42.", f"{REASONING} (trace {h})"


def _logprobs(text: str) -> dict[str, Any]:
    toks = text.split(" ")
    return {
        "content": [
            {"token": t, "logprob": -0.1 * (i % 5), "top_logprobs": []} for i, t in enumerate(toks)
        ]
    }


def _usage(text: str, reasoning: str) -> dict[str, Any]:
    return {
        "prompt_tokens": 12,
        "completion_tokens": len(text.split()) + len(reasoning.split()),
        "total_tokens": 12 + len(text.split()) + len(reasoning.split()),
        "completion_tokens_details": {"reasoning_tokens": len(reasoning.split())},
    }


def _pieces(s: str, size: int = 7) -> list[str]:
    # Small fixed pieces: tags such as "<think>" end up split across chunks.
    return [s[i : i + size] for i in range(0, len(s), size)]


async def _stream(chunks: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    for c in chunks:
        yield b"data: " + json.dumps(c, separators=(",", ":")).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"


async def chat(request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    answer, reasoning = _answer(body)
    content = f"<think>{reasoning}</think>{answer}"
    n = int(body.get("n") or 1)
    want_lp = bool(body.get("logprobs"))
    model = str(body.get("model") or "mock-1")
    if body.get("stream"):
        chunks: list[dict[str, Any]] = []
        for i in range(n):
            base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "model": model}
            chunks.append({**base, "choices": [{"index": i, "delta": {"role": "assistant"}}]})
            for piece in _pieces(reasoning, 20):
                chunks.append(
                    {**base, "choices": [{"index": i, "delta": {"reasoning_content": piece}}]}
                )
            for piece in _pieces(content):
                ch: dict[str, Any] = {"index": i, "delta": {"content": piece}}
                if want_lp:
                    ch["logprobs"] = _logprobs(piece)
                chunks.append({**base, "choices": [ch]})
            chunks.append({**base, "choices": [{"index": i, "delta": {}, "finish_reason": "stop"}]})
        return StreamingResponse(_stream(chunks), media_type="text/event-stream")
    choices = []
    for i in range(n):
        msg = {"role": "assistant", "content": content, "reasoning_content": reasoning}
        choices.append(
            {
                "index": i,
                "message": msg,
                "logprobs": _logprobs(answer) if want_lp else None,
                "finish_reason": "stop",
            }
        )
    return JSONResponse(
        {
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "model": model,
            "choices": choices,
            "usage": _usage(answer, reasoning),
        }
    )


async def completions(request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    answer, reasoning = _answer(body)
    text = f"<think>{reasoning}</think>{answer}"
    n = int(body.get("n") or 1)
    lp = body.get("logprobs")
    model = str(body.get("model") or "mock-1")
    logprobs = {"tokens": text.split(" "), "token_logprobs": [-0.1] * len(text.split(" "))}
    if body.get("stream"):
        chunks = []
        for i in range(n):
            for piece in _pieces(text):
                ch: dict[str, Any] = {"index": i, "text": piece, "finish_reason": None}
                if lp:
                    ch["logprobs"] = {"tokens": [piece], "token_logprobs": [-0.1]}
                chunks.append({"id": "cmpl-mock", "object": "text_completion", "choices": [ch]})
            chunks.append(
                {
                    "id": "cmpl-mock",
                    "object": "text_completion",
                    "choices": [{"index": i, "text": "", "finish_reason": "stop"}],
                }
            )
        return StreamingResponse(_stream(chunks), media_type="text/event-stream")
    return JSONResponse(
        {
            "id": "cmpl-mock",
            "object": "text_completion",
            "model": model,
            "choices": [
                {
                    "index": i,
                    "text": text,
                    "logprobs": logprobs if lp else None,
                    "finish_reason": "stop",
                }
                for i in range(n)
            ],
            "usage": _usage(answer, reasoning),
        }
    )


async def _body(request: Request) -> dict[str, Any] | Response:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": {"message": "bad json", "type": "invalid_request_error",
                                       "code": "invalid_json"}}, status_code=400)  # fmt: skip
    if not isinstance(body, dict):
        body = {}
    delay = body.get("mock_delay_s")
    if isinstance(delay, int | float) and delay > 0:
        await asyncio.sleep(float(delay))
    status = body.get("mock_status")
    if isinstance(status, int) and status >= 400:
        return JSONResponse(
            {"error": {"message": "mock failure", "type": "server_error", "code": "mock"}},
            status_code=status,
        )
    return body


async def models(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [{"id": "mock-1", "object": "model"}]})


def create_mock_app() -> Starlette:
    """The fake model as an ASGI app."""
    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/completions", completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
        ]
    )
