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
#: Responses API stream events whose ``delta`` is reasoning text.
_REASONING_DELTAS: Final = (
    "response.reasoning_summary_text.delta", "response.reasoning_text.delta",
)  # fmt: skip
#: The key of a Responses answer among reasoning choices (it has one answer).
RESPONSE: Final = "response"
#: Characters per token of the gateway's own count, where an upstream sends no usage.
CHARS_PER_TOKEN: Final = 4


def estimate_tokens(chars: int) -> int:
    """The gateway's own token count of ``chars`` characters: an approximation.

    Used only where the upstream reports no usage: one token per
    :data:`CHARS_PER_TOKEN` characters, rounded up (English prose and code come out
    near the real tokenizers' counts; other scripts are undercounted).

    >>> estimate_tokens(0), estimate_tokens(1), estimate_tokens(9)
    (0, 1, 3)
    """
    return -(-chars // CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Measured:
    """Token counts of one answer, before any stripping, and which were estimated."""

    completion_tokens: int
    reasoning_tokens: int
    prompt_tokens: int | None
    #: Choices (or Responses reasoning items) that carried visible reasoning.
    reasoning_answers: int
    #: Counts that are the gateway's estimate (``chars/4``), not the upstream's usage.
    estimated: tuple[str, ...] = ()

    def served(self, *, reasoning_withheld: bool) -> dict[str, int]:
        """Value the client got, per budget unit (none of the reasoning when withheld)."""
        if reasoning_withheld:
            return {
                "completion_tokens": max(0, self.completion_tokens - self.reasoning_tokens),
                "reasoning_tokens": 0,
                "reasoning_answers": 0,
            }
        return {
            "completion_tokens": self.completion_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "reasoning_answers": self.reasoning_answers,
        }

    def record(self) -> dict[str, Any]:
        """Token fields for the outcome record and the event (estimates labelled)."""
        out: dict[str, Any] = {
            "completion_tokens": self.completion_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }
        if self.prompt_tokens is not None:
            out["prompt_tokens"] = self.prompt_tokens
        return out


@dataclass
class Seen:
    """What an answer carried, counted before stripping (see :func:`seen_in_body`)."""

    #: Generated text: the answer and its reasoning, ``<think>`` blocks included.
    completion_chars: int = 0
    #: Reasoning text: reasoning fields, reasoning items and ``<think>`` blocks.
    reasoning_chars: int = 0
    #: Choices that carried visible reasoning (``"response"``: a Responses answer).
    reasoning_choices: set[int | str] = field(default_factory=set)
    usage: dict[str, Any] | None = None

    def measure(self) -> Measured:
        """Counts from the upstream's usage where it sent them, else ``chars/4``."""
        got = usage_tokens(self.usage)
        estimated = []
        completion = got.get("completion_tokens")
        if completion is None:
            completion = estimate_tokens(self.completion_chars)
            estimated.append("completion_tokens")
        reasoning = got.get("reasoning_tokens")
        if reasoning is None:
            reasoning = estimate_tokens(self.reasoning_chars)
            if self.reasoning_chars:
                estimated.append("reasoning_tokens")
        return Measured(
            completion, reasoning, got.get("prompt_tokens"), len(self.reasoning_choices),
            tuple(estimated),
        )  # fmt: skip

    def text(self, text: object, key: int | str) -> None:
        """Count a whole answer text (``<think>`` blocks are reasoning)."""
        if not isinstance(text, str):
            return
        self.completion_chars += len(text)
        think = len(text) - len(strip_think(text)) if OPEN in text else 0
        if think:
            self.reasoning_chars += think
            self.reasoning_choices.add(key)

    def reasoning(self, value: object, key: int | str) -> None:
        """Count reasoning given as a field or item (text, or a list of parts)."""
        n = _text_len(value)
        if n:
            self.completion_chars += n
            self.reasoning_chars += n
            self.reasoning_choices.add(key)


def _text_len(value: object) -> int:
    """Characters of text in a reasoning field: a string or parts holding ``text``."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_text_len(v) for v in value)
    if isinstance(value, dict):
        return sum(_text_len(value.get(k)) for k in ("text", "summary", "content"))
    return 0


def seen_in_body(body: dict[str, Any]) -> Seen:
    """What a (non-streamed) chat, completions or responses answer carries."""
    seen = Seen(usage=body.get("usage") if isinstance(body.get("usage"), dict) else None)
    for item in body.get("output") or ():
        if not isinstance(item, dict):
            continue
        if item.get("type") == "reasoning":
            seen.reasoning([item.get("summary"), item.get("content")], RESPONSE)
            continue
        for part in item.get("content") or ():
            if isinstance(part, dict):
                seen.text(part.get("text"), RESPONSE)
    for j, choice in enumerate(body.get("choices") or ()):
        if not isinstance(choice, dict):
            continue
        idx = choice.get("index", j)
        key = idx if isinstance(idx, int) else j
        msg = choice.get("message")
        if isinstance(msg, dict):
            for f in REASONING_FIELDS:
                seen.reasoning(msg.get(f), key)
            seen.text(msg.get("content"), key)
        seen.text(choice.get("text"), key)
    return seen


@dataclass
class SSEStripper:
    """Reads, meters and strips a stream of server-sent events (``data: {json}`` chunks).

    Every stream is read: what it carried is counted in :attr:`seen` (for the
    outcome record and budgets), and the usage chunk the gateway asked for on the
    client's behalf is taken out when ``hide_usage`` (with the ``usage: null`` that
    servers put on every other chunk then).  With ``reasoning`` or ``logprobs`` the
    events are stripped; an event whose data is not JSON cannot be checked, so it is
    dropped then (counted in ``unreadable``): relaying it could relay what the policy
    withholds.  Events that nothing changes are relayed byte for byte.
    """

    reasoning: bool
    logprobs: bool
    hide_usage: bool = False
    _buf: bytes = b""
    _filters: dict[int, ThinkFilter] = field(default_factory=dict)
    _rfilters: dict[tuple[object, object], ThinkFilter] = field(default_factory=dict)
    #: Characters fed to and let out of each ``<think>`` filter (the difference is reasoning).
    _fed: dict[int | tuple[object, object], list[int]] = field(default_factory=dict)
    seen: Seen = field(default_factory=Seen)
    unreadable: int = 0

    @property
    def usage(self) -> dict[str, Any] | None:
        """The last ``usage`` seen (``include_usage`` chunk or ``response.completed``)."""
        return self.seen.usage

    @property
    def strips(self) -> bool:
        return self.reasoning or self.logprobs

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
        """What is left at the end of the stream (and the reasoning counts finished)."""
        rest, self._buf = self._buf, b""
        out = self._event(rest) if rest.strip() else b""
        for key, filt in self._filters.items():
            self._count(key, "", filt.flush())
        for rkey, rfilt in self._rfilters.items():
            self._count(rkey, "", rfilt.flush())
        return out + b"\n\n" if out else b""

    def _count(self, key: int | tuple[object, object], text: str, out: str) -> None:
        fed = self._fed.setdefault(key, [0, 0])
        fed[0] += len(text)
        fed[1] += len(out)

    def finish(self) -> Seen:
        """:attr:`seen`, with the ``<think>`` text of every choice counted as reasoning."""
        for key, (fed, out) in self._fed.items():
            if fed > out:
                self.seen.reasoning_chars += fed - out
                self.seen.reasoning_choices.add(key if isinstance(key, int) else RESPONSE)
        self._fed.clear()
        return self.seen

    def _event(self, raw: bytes) -> bytes:
        """The event to send on (empty: drop it)."""
        lines = raw.split(b"\n")
        if any(ln and not ln.startswith(_SSE_FIELDS) for ln in lines):
            # Not server-sent events (a JSON body where a stream was expected, say):
            # nothing in it can be checked, so none of it is sent when stripping.
            if not self.strips:
                return raw
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
            if not self.strips:
                return raw
            self.unreadable += 1
            return b""
        kind = obj.get("type")
        if isinstance(kind, str) and kind.startswith("response."):
            if not self._responses_event(kind, obj):
                return b""
            changed = self.strips
        else:
            keep, changed = self._usage(obj)
            if not keep:
                return b""
            changed = self._chunk(obj) or changed
        if not changed:
            return raw
        others = [ln for ln in lines if not ln.startswith(b"data:")]
        payload = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        return b"\n".join([*others, b"data: " + payload])

    def _usage(self, obj: dict[str, Any]) -> tuple[bool, bool]:
        """(keep the event, changed): note a chunk's usage; hide it when asked."""
        if "usage" not in obj:
            return True, False
        usage = obj["usage"]
        if isinstance(usage, dict):
            self.seen.usage = usage
        if not self.hide_usage:
            return True, False
        if isinstance(usage, dict) and not obj.get("choices"):
            return False, False  # the extra chunk the client did not ask for
        del obj["usage"]
        return True, True

    def _responses_event(self, kind: str, obj: dict[str, Any]) -> bool:
        """Count one Responses API event and strip it in place; False: drop it."""
        if kind in _REASONING_DELTAS:
            self.seen.reasoning(obj.get("delta"), RESPONSE)
        resp = obj.get("response")
        if isinstance(resp, dict) and isinstance(resp.get("usage"), dict):
            self.seen.usage = resp["usage"]
        if kind == "response.output_text.delta":
            delta = obj.get("delta")
            if isinstance(delta, str):
                key = (obj.get("output_index"), obj.get("content_index"))
                filt = self._rfilters.setdefault(key, ThinkFilter())
                out = filt.feed(delta)
                self.seen.completion_chars += len(delta)
                self._count(key, delta, out)
                if self.reasoning:
                    obj["delta"] = out
            if self.logprobs and obj.get("logprobs"):
                obj["logprobs"] = []
        elif kind == "response.output_text.done":
            # The full text here is stripped whole; a partial tag the deltas held back
            # is not sent again.
            key = (obj.get("output_index"), obj.get("content_index"))
            if key in self._rfilters:
                self._count(key, "", self._rfilters.pop(key).flush())
        if not self.strips:
            return True
        if self.reasoning and kind.startswith(_REASONING_EVENTS):
            return False
        if isinstance(resp, dict):
            _strip_responses_output(resp, reasoning=self.reasoning, logprobs=self.logprobs)
        item = obj.get("item")
        if isinstance(item, dict):
            _strip_responses_output(
                {"output": [item]}, reasoning=self.reasoning, logprobs=self.logprobs
            )
        part = obj.get("part")
        if isinstance(part, dict):
            _strip_output_text(part, reasoning=self.reasoning, logprobs=self.logprobs)
        if kind == "response.output_text.done":
            _strip_output_text(obj, reasoning=self.reasoning, logprobs=self.logprobs)
        return True

    def _chunk(self, obj: dict[str, Any]) -> bool:
        """Count one chat or completions chunk and strip it in place; True if changed."""
        changed = False
        for choice in obj.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            if self.logprobs and choice.get("logprobs") is not None:
                choice["logprobs"] = None
                changed = True
            idx = choice.get("index", 0)
            key = idx if isinstance(idx, int) else 0
            filt = self._filters.setdefault(key, ThinkFilter())
            delta = choice.get("delta")
            holder: dict[str, Any] = delta if isinstance(delta, dict) else choice
            name = "content" if isinstance(delta, dict) else "text"
            if isinstance(delta, dict):
                for f in REASONING_FIELDS:
                    if f in delta:
                        self.seen.reasoning(delta[f], key)
                        if self.reasoning:
                            del delta[f]
                            changed = True
            text = holder.get(name)
            out = filt.feed(text) if isinstance(text, str) else None
            if isinstance(text, str):
                self.seen.completion_chars += len(text)
            if choice.get("finish_reason") is not None:
                # Last chunk of this choice: release a held-back partial tag.
                out = (out or "") + filt.flush()
            self._count(key, text if isinstance(text, str) else "", out or "")
            if self.reasoning and out is not None and (isinstance(text, str) or out):
                holder[name] = out
                changed = True
        return changed
