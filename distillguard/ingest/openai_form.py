"""The OpenAI-style record form: ``{"request": ..., "response": ..., "metadata": ...}``.

Gateways often log the request body, the response body and their own
metadata side by side.  :func:`openai_record_to_event` maps one such record
onto the event schema's fields (values still unvalidated: the reader runs the
usual rules on them); :func:`to_openai_records` goes the other way.

>>> rec = {
...     "request": {"model": "gpt-x", "messages": [{"role": "user", "content": "hi"}],
...                 "temperature": 0.2, "seed": 3},
...     "response": {"id": "chatcmpl-1", "created": 1714564800,
...                  "choices": [{"message": {"role": "assistant", "content": "hello"}}],
...                  "usage": {"prompt_tokens": 5, "completion_tokens": 2}},
...     "metadata": {"account_id": "acct-1"},
... }
>>> ev = openai_record_to_event(rec)
>>> ev["event_id"], ev["ts"], ev["response"], ev["status"], ev["params"]
('chatcmpl-1', 1714564800, 'hello', 200, {'temperature': 0.2, 'seed': 3})
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Final

import pyarrow as pa

from distillguard.ingest.validate import RowError, content_text, short
from distillguard.ingest.writers import conform_events, json_rows, params_to_object
from distillguard.schema import EVENT_COLUMNS

#: Request-body keys that are columns of their own; every other key is a parameter.
REQUEST_COLUMNS: Final = ("model", "messages", "prompt")
#: Schema columns carried in ``metadata`` under their own names.
METADATA_COLUMNS: Final = (
    "account_id",
    "org_id",
    "api_key_id",
    "ip",
    "user_agent",
    "payment_fingerprint",
    "account_created_at",
    "account_tier",
    "conversation_id",
)
#: Kept as an extra column: the reasoning trace a distiller is often after.
REASONING_COLUMN: Final = "reasoning_content"
_RECORD_KEYS: Final = frozenset({"request", "response", "metadata"})
_EVENT_COLUMN_SET: Final = frozenset(EVENT_COLUMNS)


def is_openai_record(obj: object) -> bool:
    """True when ``obj`` looks like an OpenAI-form record (has a ``request`` object).

    >>> is_openai_record({"request": {"model": "m"}}), is_openai_record({"event_id": "e"})
    (True, False)
    """
    return isinstance(obj, dict) and isinstance(obj.get("request"), dict)


def _prompt_text(prompt: object) -> object:
    # The completions API also takes a list: one string is the same as a bare
    # string, several are a batch (one row each would need invented ids).
    if not isinstance(prompt, list):
        return prompt
    if not prompt:
        return None
    if all(isinstance(p, str) for p in prompt):
        if len(prompt) == 1:
            return prompt[0]
        raise RowError("prompt", f"a batch of {len(prompt)} prompts is not supported")
    raise RowError("prompt", "token-id prompts are not supported")


def _legacy_logprobs(params: dict[str, Any]) -> None:
    # Completions' integer ``logprobs`` is chat's ``logprobs: true`` plus
    # ``top_logprobs``; store it in the chat shape so the columns mean one thing.
    value = params.get("logprobs")
    if type(value) is not int:
        return
    top = params.get("top_logprobs")
    if top is not None and top != value:
        raise RowError("params.logprobs", "integer logprobs disagrees with top_logprobs")
    params["logprobs"] = True
    params["top_logprobs"] = value


def _first_choice(response: Mapping[str, Any]) -> tuple[object, object]:
    """(content, reasoning_content) of the first choice; later choices are not kept."""
    choices = response.get("choices")
    if choices is None or choices == []:
        return None, None
    if not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise RowError("response", f"choices is not a list of objects: {short(choices)}")
    choice = choices[0]
    message = choice.get("message")
    if isinstance(message, dict):
        return content_text(message.get("content"), "response"), message.get(REASONING_COLUMN)
    return choice.get("text"), choice.get(REASONING_COLUMN)


def openai_record_to_event(record: Mapping[str, Any]) -> dict[str, Any]:
    """Map one OpenAI-form record onto event fields; raise :class:`RowError` if malformed.

    Keys of ``metadata`` (and top-level keys besides request/response/metadata)
    that are not schema columns become extra columns.
    """
    request = record.get("request")
    if not isinstance(request, dict):
        raise RowError("request", "missing or not an object")
    response = record.get("response")
    if response is not None and not isinstance(response, dict):
        raise RowError("response", f"not an object: {short(response)}")
    metadata = record.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        raise RowError("metadata", f"not an object: {short(metadata)}")

    event: dict[str, Any] = {k: v for k, v in record.items() if k not in _RECORD_KEYS}
    event.update(metadata)
    event_id = metadata.get("event_id")
    if event_id is None and metadata.get("request_id") is not None:
        event_id = event.pop("request_id")
    if event_id is None and response is not None:
        event_id = response.get("id")
    event["event_id"] = event_id
    ts = metadata.get("ts")
    event["ts"] = ts if ts is not None or response is None else response.get("created")

    messages = request.get("messages")
    prompt = _prompt_text(request.get("prompt"))
    event["model"] = request.get("model")
    event["messages"] = messages
    event["prompt"] = prompt
    params = {k: v for k, v in request.items() if k not in REQUEST_COLUMNS}
    if messages is None and prompt is not None:
        _legacy_logprobs(params)
    event["params"] = params or None

    if response is not None:
        text, reasoning = _first_choice(response)
        event["response"] = text
        if reasoning is not None:
            event[REASONING_COLUMN] = reasoning
        usage = response.get("usage")
        if usage is not None and not isinstance(usage, dict):
            raise RowError("response", f"usage is not an object: {short(usage)}")
        if usage:
            event["prompt_tokens"] = usage.get("prompt_tokens")
            event["completion_tokens"] = usage.get("completion_tokens")
            details = usage.get("completion_tokens_details")
            if isinstance(details, dict):
                event["reasoning_tokens"] = details.get("reasoning_tokens")
    # An explicit ``"status": null`` stays null; only a missing key defaults.
    if "status" not in metadata:
        event["status"] = 200 if response is not None else None
    return event


def _epoch_seconds(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def event_to_openai_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """One :func:`~distillguard.ingest.writers.json_rows` row as an OpenAI-form record."""
    messages, prompt = row.get("messages"), row.get("prompt")
    chat = messages is not None or prompt is None
    request: dict[str, Any] = {"model": row.get("model")}
    if messages is not None:
        request["messages"] = messages
    if prompt is not None:
        request["prompt"] = prompt
    params = params_to_object(row.get("params")) or {}
    if not chat and params.get("logprobs") is True and params.get("top_logprobs") is not None:
        params["logprobs"] = params.pop("top_logprobs")
    for key, value in params.items():
        request.setdefault(key, value)

    metadata: dict[str, Any] = {"event_id": row.get("event_id"), "ts": row.get("ts")}
    metadata.update({k: row[k] for k in METADATA_COLUMNS if row.get(k) is not None})
    metadata["status"] = row.get("status")
    reasoning = row.get(REASONING_COLUMN)
    for name, value in row.items():
        if name not in _EVENT_COLUMN_SET and name != REASONING_COLUMN:
            metadata[name] = value

    record: dict[str, Any] = {"request": request}
    tokens = {k: row.get(k) for k in ("prompt_tokens", "completion_tokens")}
    reasoning_tokens = row.get("reasoning_tokens")
    has_body = (
        row.get("response") is not None
        or reasoning_tokens is not None
        or any(v is not None for v in tokens.values())
        or reasoning is not None
    )
    if has_body:
        if chat:
            message: dict[str, Any] = {"role": "assistant", "content": row.get("response")}
            if reasoning is not None:
                message[REASONING_COLUMN] = reasoning
            choice: dict[str, Any] = {"index": 0, "message": message}
        else:
            choice = {"index": 0, "text": row.get("response")}
            if reasoning is not None:
                choice[REASONING_COLUMN] = reasoning
        body: dict[str, Any] = {
            "id": row.get("event_id"),
            "object": "chat.completion" if chat else "text_completion",
            "model": row.get("model"),
            "choices": [choice],
        }
        if row.get("ts") is not None:
            body["created"] = _epoch_seconds(row["ts"])
        usage: dict[str, Any] = {k: v for k, v in tokens.items() if v is not None}
        if reasoning_tokens is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
        if usage:
            body["usage"] = usage
        record["response"] = body
    record["metadata"] = metadata
    return record


def to_openai_records(table: pa.Table) -> Iterator[dict[str, Any]]:
    """Event rows as OpenAI-form records (the inverse of the reader's mapping).

    Reading the records back gives the same values in every schema column;
    a completions row (``prompt`` without ``messages``) stores
    ``logprobs: true`` + ``top_logprobs: k`` as the legacy ``logprobs: k``.
    """
    for row in json_rows(conform_events(table)):
        yield event_to_openai_record(row)
