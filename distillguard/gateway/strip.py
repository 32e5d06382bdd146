"""Output safeguards: withhold reasoning traces and logprobs from responses.

Reasoning appears as fields (``reasoning_content``, ``reasoning``,
``reasoning_details`` on a message or a streamed delta), as ``<think>…</think>``
blocks inside the text, and in the Responses API as ``reasoning`` output items
(summary, content, encrypted content) and their ``response.reasoning_*`` stream
events.  A reasoning item is emptied rather than removed, so ``output_index``
still points at the right item for clients that index by it.  In a stream a
block, or a tag itself, may be split across chunks, so :class:`ThinkFilter`
keeps per-choice state and holds back only a possible partial tag.
:class:`SSEStripper` applies the same rules to a server-sent-events byte stream
whose events may be cut anywhere.

>>> f = ThinkFilter()
>>> f.feed("Hi <thi") + f.feed("nk>secret</th") + f.feed("ink>there") + f.flush()
'Hi there'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

REASONING_FIELDS: Final = ("reasoning_content", "reasoning", "reasoning_details")
OPEN: Final = "<think>"
CLOSE: Final = "</think>"


def _partial_tag(s: str, tag: str) -> int:
    """Length of the longest suffix of ``s`` that is a proper prefix of ``tag``."""
    for k in range(min(len(tag) - 1, len(s)), 0, -1):
        if s.endswith(tag[:k]):
            return k
    return 0


class ThinkFilter:
    """Removes ``<think>…</think>`` blocks from text fed in pieces.

    An unclosed block at the end of the text is dropped: it is reasoning.
    """

    def __init__(self) -> None:
        self.inside = False
        self._held = ""

    def feed(self, text: str) -> str:
        s = self._held + text
        self._held = ""
        out: list[str] = []
        while s:
            tag = CLOSE if self.inside else OPEN
            i = s.find(tag)
            if i >= 0:
                if not self.inside:
                    out.append(s[:i])
                s = s[i + len(tag) :]
                self.inside = not self.inside
                continue
            k = _partial_tag(s, tag)
            if not self.inside:
                out.append(s[: len(s) - k])
            self._held = s[len(s) - k :] if k else ""
            break
        return "".join(out)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return "" if self.inside else held


def strip_think(text: str) -> str:
    """``text`` without ``<think>`` blocks.

    >>> strip_think("<think>plan</think>Answer: 4")
    'Answer: 4'
    """
    f = ThinkFilter()
    return f.feed(text) + f.flush()


def _strip_output_text(part: dict[str, Any], *, reasoning: bool, logprobs: bool) -> bool:
    """A Responses ``output_text`` part (or text event) stripped in place."""
    changed = False
    if logprobs and part.get("logprobs"):
        part["logprobs"] = []
        changed = True
    for key in ("text", "delta") if reasoning else ():
        text = part.get(key)
        if isinstance(text, str) and OPEN in text:
            part[key] = strip_think(text)
            changed = True
    return changed


def _empty_reasoning_item(item: dict[str, Any]) -> bool:
    kept: dict[str, Any] = {k: item[k] for k in ("type", "id", "status") if k in item}
    kept["summary"] = []
    if kept == item:
        return False
    item.clear()
    item.update(kept)
    return True


def _strip_responses_output(body: dict[str, Any], *, reasoning: bool, logprobs: bool) -> bool:
    changed = False
    for item in body.get("output") or ():
        if not isinstance(item, dict):
            continue
        if item.get("type") == "reasoning":
            if reasoning:
                changed |= _empty_reasoning_item(item)
            continue
        for part in item.get("content") or ():
            if isinstance(part, dict):
                changed |= _strip_output_text(part, reasoning=reasoning, logprobs=logprobs)
    return changed


def usage_tokens(usage: object) -> dict[str, Any]:
    """``prompt_tokens``, ``completion_tokens``, ``reasoning_tokens`` of a usage object.

    Chat and completions name them so; the Responses API says input/output tokens.

    >>> usage_tokens({"input_tokens": 5, "output_tokens": 9,
    ...               "output_tokens_details": {"reasoning_tokens": 4}})
    {'prompt_tokens': 5, 'completion_tokens': 9, 'reasoning_tokens': 4}
    """
    if not isinstance(usage, dict):
        return {}
    details = usage.get("completion_tokens_details") or usage.get("output_tokens_details")
    out = {
        "prompt_tokens": usage.get("prompt_tokens", usage.get("input_tokens")),
        "completion_tokens": usage.get("completion_tokens", usage.get("output_tokens")),
        "reasoning_tokens": details.get("reasoning_tokens") if isinstance(details, dict) else None,
    }
    return {k: v for k, v in out.items() if isinstance(v, int) and not isinstance(v, bool)}


def response_usage(body: dict[str, Any]) -> dict[str, Any]:
    """Token counts of a (non-streamed) answer of any of the three model routes."""
    return usage_tokens(body.get("usage"))


def strip_response(body: dict[str, Any], *, reasoning: bool, logprobs: bool) -> bool:
    """Strip a (non-streamed) chat, completions or responses answer in place; True if changed."""
    changed = _strip_responses_output(body, reasoning=reasoning, logprobs=logprobs)
    for choice in body.get("choices") or ():
        if not isinstance(choice, dict):
            continue
        if logprobs and choice.get("logprobs") is not None:
            choice["logprobs"] = None
            changed = True
        if not reasoning:
            continue
        msg = choice.get("message")
        if isinstance(msg, dict):
            for f in REASONING_FIELDS:
                if f in msg:
                    del msg[f]
                    changed = True
            content = msg.get("content")
            if isinstance(content, str) and OPEN in content:
                msg["content"] = strip_think(content)
                changed = True
        text = choice.get("text")
        if isinstance(text, str) and OPEN in text:
            choice["text"] = strip_think(text)
            changed = True
    return changed


#: What a line of a server-sent event may start with (``:`` is a comment).
_SSE_FIELDS: Final = (b"data:", b"event:", b"id:", b"retry:", b":")
#: Responses API stream events that carry nothing but reasoning.
_REASONING_EVENTS: Final = (
    "response.reasoning_summary_part.", "response.reasoning_summary_text.",
    "response.reasoning_text.", "response.reasoning.",
)  # fmt: skip


@dataclass
class SSEStripper:
    """Strips a stream of server-sent events (``data: {json}`` chunks).

    An event whose data is not JSON cannot be checked, so it is dropped (counted
    in ``unreadable``): relaying it could relay what the policy withholds.
    """

    reasoning: bool
    logprobs: bool
    _buf: bytes = b""
    _filters: dict[int, ThinkFilter] = field(default_factory=dict)
    _rfilters: dict[tuple[object, object], ThinkFilter] = field(default_factory=dict)
    #: Last ``usage`` object seen (streams with ``stream_options.include_usage``, or
    #: a Responses ``response.completed`` event).
    usage: dict[str, Any] | None = None
    unreadable: int = 0

    def feed(self, data: bytes) -> bytes:
        """Bytes to send on for ``data``; incomplete events are held back."""
        buf = (self._buf + data).replace(b"\r\n", b"\n")
        if buf.endswith(b"\r"):
            # A CRLF may be cut between chunks: wait for the \n.
            buf, self._buf = buf[:-1], b"\r"
        else:
            self._buf = b""
        *events, rest = buf.split(b"\n\n")
        self._buf = rest + self._buf
        return b"".join(out + b"\n\n" for e in events if (out := self._event(e)))

    def close(self) -> bytes:
        """What is left at the end of the stream."""
        rest, self._buf = self._buf, b""
        out = self._event(rest) if rest.strip() else b""
        return out + b"\n\n" if out else b""

    def _event(self, raw: bytes) -> bytes:
        """The event to send on (empty: drop it)."""
        lines = raw.split(b"\n")
        if any(ln and not ln.startswith(_SSE_FIELDS) for ln in lines):
            # Not server-sent events (a JSON body where a stream was expected, say):
            # nothing in it can be checked, so none of it is sent.
            self.unreadable += 1
            return b""
        data = b"\n".join(ln[5:].lstrip(b" ") for ln in lines if ln.startswith(b"data:"))
        if not data or data == b"[DONE]":
            return raw
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError):
            obj = None
        if not isinstance(obj, dict):
            self.unreadable += 1
            return b""
        kind = obj.get("type")
        if isinstance(kind, str) and kind.startswith("response."):
            if not self._responses_event(kind, obj):
                return b""
        else:
            if isinstance(obj.get("usage"), dict):
                self.usage = obj["usage"]
            self._chunk(obj)
        others = [ln for ln in lines if not ln.startswith(b"data:")]
        payload = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        return b"\n".join([*others, b"data: " + payload])

    def _responses_event(self, kind: str, obj: dict[str, Any]) -> bool:
        """Strip one Responses API event in place; False: drop it."""
        if self.reasoning and kind.startswith(_REASONING_EVENTS):
            return False
        resp = obj.get("response")
        if isinstance(resp, dict):
            if isinstance(resp.get("usage"), dict):
                self.usage = resp["usage"]
            _strip_responses_output(resp, reasoning=self.reasoning, logprobs=self.logprobs)
        item = obj.get("item")
        if isinstance(item, dict):
            _strip_responses_output(
                {"output": [item]}, reasoning=self.reasoning, logprobs=self.logprobs
            )
        part = obj.get("part")
        if isinstance(part, dict):
            _strip_output_text(part, reasoning=self.reasoning, logprobs=self.logprobs)
        if kind == "response.output_text.delta":
            delta = obj.get("delta")
            if self.logprobs and obj.get("logprobs"):
                obj["logprobs"] = []
            if self.reasoning and isinstance(delta, str):
                key = (obj.get("output_index"), obj.get("content_index"))
                filt = self._rfilters.setdefault(key, ThinkFilter())
                obj["delta"] = filt.feed(delta)
        elif kind == "response.output_text.done":
            # The full text here is stripped whole; a partial tag the deltas held back
            # is not sent again.
            self._rfilters.pop((obj.get("output_index"), obj.get("content_index")), None)
            _strip_output_text(obj, reasoning=self.reasoning, logprobs=self.logprobs)
        return True

    def _chunk(self, obj: dict[str, Any]) -> None:
        for choice in obj.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            if self.logprobs and choice.get("logprobs") is not None:
                choice["logprobs"] = None
            if not self.reasoning:
                continue
            idx = choice.get("index", 0)
            filt = self._filters.setdefault(idx if isinstance(idx, int) else 0, ThinkFilter())
            delta = choice.get("delta")
            holder: dict[str, Any] = delta if isinstance(delta, dict) else choice
            key = "content" if isinstance(delta, dict) else "text"
            if isinstance(delta, dict):
                for f in REASONING_FIELDS:
                    delta.pop(f, None)
            text = holder.get(key)
            out = filt.feed(text) if isinstance(text, str) else None
            if choice.get("finish_reason") is not None:
                # Last chunk of this choice: release a held-back partial tag.
                out = (out or "") + filt.flush()
            if out is not None and (isinstance(text, str) or out):
                holder[key] = out
