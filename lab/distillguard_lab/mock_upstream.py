"""An OpenAI-compatible fake model for tests, demos and benchmarks.

Deterministic (the answer is derived from a hash of the request) and fast.  Chat
answers carry ``reasoning_content`` and a ``<think>…</think>`` block in the
content; ``logprobs`` are returned when asked; streams are SSE whose chunks cut
the ``<think>`` tags in the middle, so clients (and the gateway's stripping)
see the hard case.  ``/v1/responses`` answers in the Responses API's shape (a
reasoning item with a summary, a message with ``output_text``; streamed as its
typed events).  Streams end with a usage chunk when the client asks for one
(``stream_options.include_usage``), as real servers do.  ``"mock_delay_s"`` in a
request body delays the answer (to test upstream timeouts); ``"mock_status"``
makes it answer with that status; ``"mock_garbage": true`` answers 200 with a
body that is not JSON (or a stream whose events are not).
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


async def _stream(chunks: list[dict[str, Any]], done: bool = True) -> AsyncIterator[bytes]:
    for c in chunks:
        head = f"event: {c['type']}\n".encode() if "type" in c else b""
        yield head + b"data: " + json.dumps(c, separators=(",", ":")).encode() + b"\n\n"
    if done:
        yield b"data: [DONE]\n\n"


def _wants_usage(body: dict[str, Any]) -> bool:
    opts = body.get("stream_options")
    return isinstance(opts, dict) and opts.get("include_usage") is True


async def _garbage() -> AsyncIterator[bytes]:
    yield b"data: {not json <think>secret trace</think>\n\n"
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
        if _wants_usage(body):
            usage = _usage(answer, reasoning)
            chunks.append({"id": "chatcmpl-mock", "object": "chat.completion.chunk",
                           "model": model, "choices": [], "usage": usage})  # fmt: skip
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
        chunks: list[dict[str, Any]] = []
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
        if _wants_usage(body):
            tail: dict[str, Any] = {"id": "cmpl-mock", "object": "text_completion", "choices": []}
            chunks.append({**tail, "usage": _usage(answer, reasoning)})
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
    if body.get("mock_garbage") is True:
        if body.get("stream"):
            return StreamingResponse(_garbage(), media_type="text/event-stream")
        return Response(b"<think>secret trace</think> not json", media_type="application/json")
    return body


def _responses_output(answer: str, reasoning: str, want_lp: bool) -> list[dict[str, Any]]:
    text = f"<think>{reasoning}</think>{answer}"
    part: dict[str, Any] = {"type": "output_text", "text": text, "annotations": []}
    if want_lp:
        part["logprobs"] = _logprobs(answer)["content"]
    return [
        {"type": "reasoning", "id": "rs_mock",
         "summary": [{"type": "summary_text", "text": reasoning}],
         "encrypted_content": "gAAAA-mock-trace"},
        {"type": "message", "id": "msg_mock", "role": "assistant", "status": "completed",
         "content": [part]},
    ]  # fmt: skip


async def responses(request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    answer, reasoning = _answer(body)
    include = body.get("include") or []
    want_lp = bool(body.get("top_logprobs")) or "message.output_text.logprobs" in include
    usage = _usage(answer, reasoning)
    out_usage = {
        "input_tokens": usage["prompt_tokens"],
        "output_tokens": usage["completion_tokens"],
        "total_tokens": usage["total_tokens"],
        "output_tokens_details": usage["completion_tokens_details"],
    }
    output = _responses_output(answer, reasoning, want_lp)
    resp = {"id": "resp_mock", "object": "response", "status": "completed",
            "model": str(body.get("model") or "mock-1"), "output": output,
            "usage": out_usage}  # fmt: skip
    if not body.get("stream"):
        return JSONResponse(resp)
    rs, msg = output
    text = msg["content"][0]["text"]
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {**resp, "status": "in_progress",
                                                  "output": [], "usage": None}},
        {"type": "response.output_item.added", "output_index": 0,
         "item": {"type": "reasoning", "id": "rs_mock", "summary": []}},
        {"type": "response.reasoning_summary_part.added", "output_index": 0,
         "summary_index": 0, "part": {"type": "summary_text", "text": ""}},
    ]  # fmt: skip
    for piece in _pieces(reasoning, 20):
        events.append({"type": "response.reasoning_summary_text.delta", "item_id": "rs_mock",
                       "output_index": 0, "summary_index": 0, "delta": piece})  # fmt: skip
    events += [
        {"type": "response.reasoning_summary_text.done", "item_id": "rs_mock",
         "output_index": 0, "summary_index": 0, "text": reasoning},
        {"type": "response.output_item.done", "output_index": 0, "item": rs},
        {"type": "response.output_item.added", "output_index": 1,
         "item": {**msg, "status": "in_progress", "content": []}},
        {"type": "response.content_part.added", "output_index": 1, "content_index": 0,
         "part": {"type": "output_text", "text": "", "annotations": []}},
    ]  # fmt: skip
    for piece in _pieces(text):
        ev: dict[str, Any] = {"type": "response.output_text.delta", "item_id": "msg_mock",
                              "output_index": 1, "content_index": 0, "delta": piece}  # fmt: skip
        if want_lp:
            ev["logprobs"] = _logprobs(piece)["content"]
        events.append(ev)
    events += [
        {"type": "response.output_text.done", "item_id": "msg_mock", "output_index": 1,
         "content_index": 0, "text": text},
        {"type": "response.content_part.done", "output_index": 1, "content_index": 0,
         "part": msg["content"][0]},
        {"type": "response.output_item.done", "output_index": 1, "item": msg},
        {"type": "response.completed", "response": resp},
    ]  # fmt: skip
    return StreamingResponse(_stream(events, done=False), media_type="text/event-stream")


async def embeddings(request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    given = body.get("input")
    texts = given if isinstance(given, list) else [given]
    data = []
    for i, t in enumerate(texts):
        h = hashlib.sha256(json.dumps(t, default=str).encode()).digest()
        data.append({"object": "embedding", "index": i, "embedding": [b / 255 for b in h[:8]]})
    usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
    return JSONResponse({"object": "list", "data": data, "model": str(body.get("model")),
                         "usage": usage})  # fmt: skip


async def models(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [{"id": "mock-1", "object": "model"}]})


async def model(request: Request) -> Response:
    name = request.path_params["model"]
    if name != "mock-1":
        return JSONResponse(
            {"error": {"message": f"no model {name}", "type": "invalid_request_error",
                       "code": "model_not_found"}},
            status_code=404,
        )  # fmt: skip
    return JSONResponse({"id": name, "object": "model"})


async def echo(request: Request) -> Response:
    """What reached the upstream: method, path as sent, headers (tests of the gateway)."""
    return JSONResponse(
        {
            "method": request.method,
            "raw_path": request.scope.get("raw_path", b"").decode("latin-1"),
            "query": request.scope.get("query_string", b"").decode("latin-1"),
            "headers": [[k, v] for k, v in request.headers.items()],
        }
    )


def create_mock_app() -> Starlette:
    """The fake model as an ASGI app."""
    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/completions", completions, methods=["POST"]),
            Route("/v1/responses", responses, methods=["POST"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/models/{model}", model, methods=["GET"]),
            # Anything else is echoed back: tests see exactly what a gateway forwarded.
            Route("/{path:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
    )
