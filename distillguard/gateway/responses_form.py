"""The Responses API request (``POST /v1/responses``) read as the chat form the signals read.

A Responses request puts the system prompt in ``instructions`` and the
conversation in ``input`` (a string, or a list of items: messages whose content
is a string or ``input_text``/``output_text`` parts, tool outputs, and items the
client passes back such as earlier reasoning).  The signals need messages and
parameters as a chat request has them, so this maps one onto the other:
``max_output_tokens`` is ``max_tokens``, ``reasoning.effort`` is
``reasoning_effort``, and ``top_logprobs`` or an ``include`` of output logprobs
asks for logprobs.  Parameters with no chat equivalent are kept (the readers
put them in ``params.extra``).

>>> r = responses_request({"model": "m", "instructions": "Be terse.",
...     "input": [{"role": "user", "content": [{"type": "input_text", "text": "2+2?"}]}],
...     "reasoning": {"effort": "high"}, "max_output_tokens": 50, "top_logprobs": 3})
>>> [m["role"] for m in r["messages"]], r["max_tokens"], r["reasoning_effort"], r["logprobs"]
(['system', 'user'], 50, 'high', True)
"""

from __future__ import annotations

import json
from typing import Any, Final

from distillguard.ingest.validate import RowError, short

#: Responses parameters that are chat parameters under another name.
_RENAMED: Final = {"max_output_tokens": "max_tokens"}
#: Handled here, not passed on as they are.
_CONSUMED: Final = frozenset({"model", "input", "instructions", "reasoning", "max_output_tokens"})
LOGPROBS_INCLUDE: Final = "message.output_text.logprobs"


def _item_message(item: dict[str, Any], i: int) -> dict[str, Any] | None:
    kind = item.get("type", "message")
    if kind == "message":
        return {"role": item.get("role"), "content": item.get("content")}
    if kind == "function_call_output":
        out = item.get("output")
        return {"role": "tool", "content": out if isinstance(out, str) else json.dumps(out)}
    if not isinstance(kind, str):
        raise RowError("input", f"item {i} has a type that is not a string: {short(kind)}")
    # Items the client passes back (earlier reasoning, tool calls, references):
    # they carry no text the client wrote.
    return None


def responses_request(body: dict[str, Any]) -> dict[str, Any]:
    """The chat-form request equivalent to a Responses API body (see the module docstring)."""
    messages: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise RowError("instructions", f"must be a string: {short(instructions)}")
        messages.append({"role": "system", "content": instructions})
    given = body.get("input")
    if isinstance(given, str):
        messages.append({"role": "user", "content": given})
    elif isinstance(given, list) and given:
        for i, item in enumerate(given):
            if not isinstance(item, dict):
                raise RowError("input", f"item {i} is not an object: {short(item)}")
            msg = _item_message(item, i)
            if msg is not None:
                messages.append(msg)
    else:
        raise RowError("input", "'input' must be a string or a non-empty list of items")
    request: dict[str, Any] = {"model": body.get("model"), "messages": messages}
    for key, value in body.items():
        if key not in _CONSUMED:
            request[key] = value
    for old, new in _RENAMED.items():
        if body.get(old) is not None:
            request[new] = body[old]
    reasoning = body.get("reasoning")
    if reasoning is not None:
        if not isinstance(reasoning, dict):
            raise RowError("reasoning", f"must be an object: {short(reasoning)}")
        if reasoning.get("effort") is not None:
            request["reasoning_effort"] = reasoning["effort"]
    include = body.get("include")
    if body.get("top_logprobs") or (isinstance(include, list) and LOGPROBS_INCLUDE in include):
        request["logprobs"] = True
    return request
