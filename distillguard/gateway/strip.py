"""Output safeguards: withhold reasoning traces and logprobs from responses.

Reasoning appears as fields (``reasoning_content``, ``reasoning``,
``reasoning_details`` on a message or a streamed delta) and as ``<think>…</think>``
blocks inside the text.  In a stream a block, or a tag itself, may be split
across chunks, so :class:`ThinkFilter` keeps per-choice state and holds back
only a possible partial tag.  :class:`SSEStripper` applies the same rules to a
server-sent-events byte stream whose events may be cut anywhere.

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


def strip_response(body: dict[str, Any], *, reasoning: bool, logprobs: bool) -> bool:
    """Strip a (non-streamed) chat or completions response in place; True if changed."""
    changed = False
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


@dataclass
class SSEStripper:
    """Strips a stream of server-sent events (``data: {json}`` chunks)."""

    reasoning: bool
    logprobs: bool
    _buf: bytes = b""
    _filters: dict[int, ThinkFilter] = field(default_factory=dict)
    #: Last ``usage`` object seen (streams with ``stream_options.include_usage``).
    usage: dict[str, Any] | None = None

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
        return b"".join(self._event(e) + b"\n\n" for e in events)

    def close(self) -> bytes:
        """What is left at the end of the stream."""
        rest, self._buf = self._buf, b""
        return self._event(rest) + b"\n\n" if rest.strip() else b""

    def _event(self, raw: bytes) -> bytes:
        lines = raw.split(b"\n")
        data = b"\n".join(ln[5:].lstrip(b" ") for ln in lines if ln.startswith(b"data:"))
        if not data or data == b"[DONE]":
            return raw
        try:
            obj = json.loads(data)
        except ValueError:
            return raw
        if not isinstance(obj, dict):
            return raw
        if isinstance(obj.get("usage"), dict):
            self.usage = obj["usage"]
        self._chunk(obj)
        others = [ln for ln in lines if not ln.startswith(b"data:")]
        payload = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        return b"\n".join([*others, b"data: " + payload])

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
