"""A model request (chat, completions, responses) as the gateway reads and changes it.

:func:`parse_request` checks a body's shape and the policy's limits and reads it
with the log readers' own rules (a request the scan could not read is refused,
with a 400 naming the parameter); :func:`apply_rule` applies a rule's caps and
safeguards to the body before it is forwarded.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from distillguard.gateway.policy import Rule
from distillguard.gateway.proxy import error_response
from distillguard.gateway.responses_form import responses_request
from distillguard.gateway.routes import Limits
from distillguard.ingest.openai_form import openai_record_to_event
from distillguard.ingest.validate import RowError, normalize_messages, normalize_params


def bad_request(message: str, param: str | None = None, code: str = "invalid_request") -> Response:
    """A 400 in the OpenAI error shape, naming the parameter."""
    return error_response(400, message, type_="invalid_request_error", code=code, param=param)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def parse_request(
    raw: bytes, kind: str, limits: Limits
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, Response | None]:
    """(body, event fields, None), or (None, None, a 400 naming the parameter).

    The body must read one way only, here and upstream: UTF-8 (Python's JSON reader
    would also take UTF-16 or UTF-32) and no key twice in an object (readers differ
    on which one counts: ``{"stream": false, "stream": true}`` could be decided as
    one and served as the other).
    """
    try:
        body = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except _DuplicateKeyError as exc:
        return None, None, bad_request(f"the key {exc.key!r} appears twice in one object",
                                       exc.key, code="duplicate_key")  # fmt: skip
    except (ValueError, RecursionError):
        return (
            None,
            None,
            bad_request("the request body is not valid JSON in UTF-8", code="invalid_json"),
        )
    if not isinstance(body, dict):
        return None, None, bad_request("the request body must be a JSON object")
    problem = check_body(body, kind, limits)
    if problem is not None:
        return None, None, problem
    # The log readers' own rules: a request the scan could not read is refused here.
    try:
        fields = event_fields(kind, body)
    except RowError as exc:
        return None, None, bad_request(exc.message, exc.field)
    return body, fields, None


def check_body(body: dict[str, Any], kind: str, lim: Limits) -> Response | None:
    """The request's shape and the policy's limits (a 400 naming the parameter)."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return bad_request("'model' is required and must be a string", "model")
    if kind == "chat":
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs:
            return bad_request("'messages' must be a non-empty list", "messages")
        count, what = len(msgs), "messages"
    elif kind == "completions":
        prompt = body.get("prompt")
        if not (isinstance(prompt, str) or (isinstance(prompt, list) and prompt)):
            return bad_request("'prompt' must be a string or a list of strings", "prompt")
        count, what = (len(prompt) if isinstance(prompt, list) else 1), "prompt"
    else:
        given = body.get("input")
        count, what = (len(given) if isinstance(given, list) else 1), "input"
    if count > lim.max_messages:
        return bad_request(
            f"'{what}' has {count} items; this gateway allows {lim.max_messages}", what
        )
    for name in ("n", "max_tokens", "max_completion_tokens", "max_output_tokens"):
        v = body.get(name)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            return bad_request(f"'{name}' must be a positive integer", name)
        cap = lim.max_n if name == "n" else lim.max_tokens
        if v > cap:
            return bad_request(f"'{name}' is {v}; this gateway allows at most {cap}", name)
    if body.get("stream") is not None and not isinstance(body["stream"], bool):
        return bad_request("'stream' must be true or false", "stream")
    return None


def event_fields(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The event fields the signals read, by the log readers' rules (raises RowError)."""
    request = {k: v for k, v in body.items() if k not in ("stream_options", "user")}
    if kind == "responses":
        request = responses_request(request)
    prompt = request.get("prompt")
    if kind == "completions" and isinstance(prompt, list):
        # A batch of prompts is one call here: ask about all of it.
        if not all(isinstance(p, str) for p in prompt):
            raise RowError("prompt", "token-id prompts are not supported")
        request["prompt"] = "\n".join(prompt)
    fields = openai_record_to_event({"request": request})
    messages = fields.get("messages")
    fields["messages"] = normalize_messages(messages) if messages is not None else None
    params = fields.get("params")
    fields["params"] = normalize_params(params) if params is not None else None
    return fields


def apply_rule(body: dict[str, Any], rule: Rule | None, kind: str) -> list[str]:
    """Cap and strip ``body`` in place as ``rule`` says; what was done, by name."""
    if rule is None:
        return []
    done: list[str] = []
    if rule.max_tokens is not None:
        names = ("max_output_tokens",) if kind == "responses" else (
            "max_tokens", "max_completion_tokens",
        )  # fmt: skip
        for name in names:
            v = body.get(name)
            if v is not None and v > rule.max_tokens:
                body[name] = rule.max_tokens
                done.append(f"cap_{name}")
        if all(body.get(name) is None for name in names):
            body[names[0]] = rule.max_tokens
            done.append(f"cap_{names[0]}")
    if rule.max_n is not None and (body.get("n") or 1) > rule.max_n:
        body["n"] = rule.max_n
        done.append("cap_n")
    if rule.strip_logprobs:
        include = body.get("include")
        asked = body.get("logprobs") or body.get("top_logprobs")
        if isinstance(include, list) and any("logprobs" in str(i) for i in include):
            body["include"] = [i for i in include if "logprobs" not in str(i)]
            asked = True
        if asked:
            body.pop("logprobs", None)
            body.pop("top_logprobs", None)
            done.append("strip_logprobs")
    if rule.strip_reasoning:
        if kind == "responses":
            # Nothing of the reasoning is to come back, summaries and the
            # encrypted trace included.
            reasoning = body.get("reasoning")
            if isinstance(reasoning, dict) and "summary" in reasoning:
                body["reasoning"] = {k: v for k, v in reasoning.items() if k != "summary"}
            include = body.get("include")
            if isinstance(include, list):
                body["include"] = [i for i in include if "reasoning" not in str(i)]
        done.append("strip_reasoning")
    return done
