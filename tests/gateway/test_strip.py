"""Reasoning and logprobs stripping, including <think> blocks split across SSE chunks."""

from __future__ import annotations

import json

import pytest

from distillguard.gateway.strip import SSEStripper, ThinkFilter, strip_response


def _sse(chunks: list[dict[str, object]]) -> bytes:
    return (
        b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
    )


def _content(stream: bytes) -> str:
    out = []
    for ev in stream.split(b"\n\n"):
        if ev.startswith(b"data: {"):
            obj = json.loads(ev[6:])
            for ch in obj["choices"]:
                d = ch.get("delta", {})
                assert "reasoning_content" not in d
                assert ch.get("logprobs") is None
                out.append(d.get("content") or "")
    return "".join(out)


TEXT = "Sure. <think>secret plan\nstep 2</think>The answer is 4. <think>more</think>Done."


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, 100])
def test_think_blocks_split_anywhere_are_removed_from_sse(size: int) -> None:
    pieces = [TEXT[i : i + size] for i in range(0, len(TEXT), size)]
    chunks: list[dict[str, object]] = [
        {"choices": [{"index": 0, "delta": {"reasoning_content": "hidden"}}]}
    ]
    chunks += [
        {"choices": [{"index": 0, "delta": {"content": p}, "logprobs": {"content": []}}]}
        for p in pieces
    ]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    raw = _sse(chunks)
    # Cut the byte stream itself at every `size` bytes too (events span reads).
    s = SSEStripper(reasoning=True, logprobs=True)
    out = b"".join(s.feed(raw[i : i + size]) for i in range(0, len(raw), size)) + s.close()
    assert _content(out) == "Sure. The answer is 4. Done."
    assert b"secret" not in out
    assert b"hidden" not in out
    assert out.endswith(b"data: [DONE]\n\n")


def test_a_partial_tag_that_is_not_a_tag_is_released() -> None:
    f = ThinkFilter()
    assert f.feed("a <thi") == "a "
    assert f.feed("s is fine") == "<this is fine"
    assert f.flush() == ""
    g = ThinkFilter()
    assert g.feed("x <th") + g.flush() == "x <th"


def test_unclosed_think_is_dropped() -> None:
    f = ThinkFilter()
    assert f.feed("ok <think>never closed") + f.flush() == "ok "


def test_strip_response_chat_and_completions() -> None:
    chat = {
        "choices": [
            {
                "message": {
                    "content": "<think>x</think>4",
                    "reasoning_content": "r",
                    "reasoning": "r",
                },
                "logprobs": {"content": [1]},
            }
        ]
    }
    assert strip_response(chat, reasoning=True, logprobs=True)
    assert chat["choices"][0] == {"message": {"content": "4"}, "logprobs": None}
    comp = {"choices": [{"text": "<think>x</think>4", "logprobs": {"tokens": []}}]}
    assert strip_response(comp, reasoning=False, logprobs=True)
    assert comp["choices"][0] == {"text": "<think>x</think>4", "logprobs": None}
    assert not strip_response({"choices": [{"text": "4"}]}, reasoning=True, logprobs=True)


def test_crlf_streams_and_non_json_events_pass() -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "<think>a</think>b"}}]}
    raw = b": comment\r\n\r\ndata: " + json.dumps(chunk).encode() + b"\r\n\r\n"
    s = SSEStripper(reasoning=True, logprobs=False)
    out = b"".join(s.feed(raw[i : i + 1]) for i in range(len(raw))) + s.close()
    assert b": comment\n\n" in out
    assert _content(out) == "b"
