"""Default deny: every path authenticated, canonical paths, an allow-list, limits, headers.

Requests go over raw sockets where a client library would normalise what an
attacker sends as-is (dot segments, case, ``;`` parameters, ``Expect``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from distillguard.gateway.app import GatewayConfig, create_app
from distillguard.gateway.audit import read_records, verify
from distillguard.gateway.keys import KeyInfo
from distillguard.gateway.policy import load_policy_text
from distillguard.gateway.state import MemoryState
from distillguard_lab.mock_upstream import create_mock_app
from tests.gateway.helpers import raw_request, read_request_head, serve, tcp_server

KEYS = {
    "k-plain": KeyInfo("acct-plain", tier="paid"),
    "k-edu": KeyInfo("acct-edu", tier="edu"),
    "k-bad": KeyInfo("acct-bad", tier="paid"),
}
UPSTREAM_KEY = "sk-provider-secret"

POLICY = """
rules:
  - {name: blocked, action: block, when: {batch_verdict_in: [block]}}
  - name: edu
    when: {tier_in: [edu]}
    action: allow
    strip_reasoning: true
    strip_logprobs: true
  - {name: default, action: allow}
routes:
  - {path: /v1/chat/completions, methods: [POST], kind: chat}
  - {path: /v1/completions, methods: [POST], kind: completions}
  - {path: /v1/responses, methods: [POST], kind: responses}
  - {path: /v1/models, methods: [GET], kind: plain}
  - {path: "/v1/models/{model}", methods: [GET], kind: plain}
  - {path: "/v1/echo/{what}", methods: [GET, POST], kind: plain}
limits: {max_body_bytes: 20000, max_n: 4, max_tokens: 1000, max_messages: 5}
"""

MESSAGE = {"role": "user", "content": "Explain step by step: 2+2?"}
CHAT: dict[str, Any] = {"model": "m", "messages": [MESSAGE]}
MESSAGE_JSON = json.dumps(MESSAGE).encode()
BODY = json.dumps(CHAT).encode()


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve(create_mock_app()) as url:
        yield url


@contextmanager
def gateway(upstream: str, tmp_path: Path, **cfg: Any) -> Iterator[str]:
    state = MemoryState()
    asyncio.run(state.update_views({"acct-bad": {"batch_verdict": "block"}}))
    config = GatewayConfig(
        upstream=upstream, keys=KEYS, policy=load_policy_text(POLICY, "doors.yaml"),
        state=state, audit_path=tmp_path / "audit.jsonl", decision_header=True,
        upstream_key=UPSTREAM_KEY, **cfg,
    )  # fmt: skip
    with serve(create_app(config)) as url:
        yield url


def auth(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}", "content-type": "application/json"}


UNAUTHENTICATED = [
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/responses"),
    ("POST", "/v1/embeddings"),
    ("GET", "/v1/models"),
    ("GET", "/admin"),
    ("POST", "/V1/chat/completions"),
    ("POST", "/v1/chat/completions/"),
    ("POST", "/v1/chat/completions;x"),
    ("POST", "/v1/./chat/completions"),
    ("POST", "/v1/x/../chat/completions"),
    ("POST", "//v1//chat/completions"),
    ("POST", "/v1/chat/%63ompletions"),
    ("GET", "/v1/echo/..%2f..%2fadmin"),
    ("DELETE", "/v1/files/x"),
]


def test_no_key_reaches_nothing_on_any_path(upstream: str, tmp_path: Path) -> None:
    with gateway(upstream, tmp_path) as url:
        for method, target in UNAUTHENTICATED:
            for hdrs in ({}, {"authorization": "Bearer not-a-key"}, {"authorization": "Basic x"}):
                r = raw_request(url, method, target, {"content-type": "application/json", **hdrs},
                                BODY if method == "POST" else b"")  # fmt: skip
                assert r.status == 401, (method, target, r.status, r.body[:200])
                assert r.json()["error"]["code"] == "invalid_api_key"
                assert b"reasoning" not in r.body
    decisions = read_records(tmp_path / "audit.jsonl", "decision")
    assert len(decisions) == 3 * len(UNAUTHENTICATED)
    assert {d["action"] for d in decisions} == {"reject_key"}
    assert not read_records(tmp_path / "audit.jsonl", "outcome")  # nothing went upstream


@pytest.mark.parametrize(
    "target",
    [
        "/v1/./chat/completions",
        "/v1/x/../chat/completions",
        "//v1//chat/completions/",
        "/v1/chat/%63ompletions",
        "/v1/%2e/chat/completions",
    ],
)
def test_dot_segments_and_escapes_are_decided_as_the_route_they_become(
    upstream: str, tmp_path: Path, target: str
) -> None:
    with gateway(upstream, tmp_path) as url:
        blocked = raw_request(url, "POST", target, auth("k-bad"), BODY)
        assert blocked.status == 403
        assert blocked.json()["error"]["code"] == "account_blocked"
        edu = raw_request(url, "POST", target, auth("k-edu"), BODY)
        assert edu.status == 200
        msg = edu.json()["choices"][0]["message"]
        assert "<think>" not in msg["content"]
        assert "reasoning_content" not in msg
    decisions = read_records(tmp_path / "audit.jsonl", "decision")
    assert [d["path"] for d in decisions] == ["/v1/chat/completions"] * 2
    assert [d["route"] for d in decisions] == ["chat"] * 2


@pytest.mark.parametrize(
    ("method", "target", "status", "code"),
    [
        ("POST", "/V1/chat/completions", 404, "unknown_route"),
        ("POST", "/v1/embeddings", 404, "unknown_route"),
        ("GET", "/admin", 404, "unknown_route"),
        ("POST", "/v1/chat/completions;x", 400, "invalid_path"),
        ("POST", "/v1%2fchat/completions", 400, "invalid_path"),
        ("POST", "/v1/chat\\completions", 400, "invalid_path"),
        ("POST", "/../v1/chat/completions", 400, "invalid_path"),
        ("POST", "/v1/chat/completions%00", 400, "invalid_path"),
        ("POST", "/v1/chat/compl%ZZetions", 400, "invalid_path"),
        ("GET", "/v1/chat/completions", 405, "method_not_allowed"),
        ("POST", "/v1/models", 405, "method_not_allowed"),
    ],
)
def test_other_paths_are_refused_after_the_key(
    upstream: str, tmp_path: Path, method: str, target: str, status: int, code: str
) -> None:
    with gateway(upstream, tmp_path) as url:
        r = raw_request(url, method, target, auth("k-plain"), BODY if method == "POST" else b"")
        assert r.status == status, r.body
        assert r.json()["error"]["code"] == code
        if status == 405:
            assert r.headers["allow"]
    (d,) = read_records(tmp_path / "audit.jsonl", "decision")
    assert d["status"] == status
    assert d["account"] == "acct-plain"


def test_upstream_gets_exactly_the_decided_path_and_our_headers(
    upstream: str, tmp_path: Path
) -> None:
    sent = {
        **auth("k-plain"),
        "x-forwarded-for": "6.6.6.6",
        "forwarded": "for=6.6.6.6",
        "x-real-ip": "6.6.6.6",
        "via": "1.1 evil",
        "openai-organization": "org-victim",
        "openai-project": "proj-victim",
        "api-key": "client-supplied",
        "x-distillguard-action": "allow",
        "x-request-id": "client-chosen",
        "connection": "close, x-secret",
        "x-secret": "hop",
        "x-kept": "yes",
    }
    with gateway(upstream, tmp_path) as url:
        r = raw_request(url, "GET", "/v1//echo/./a/?q=1", sent)
        assert r.status == 200, r.body
        seen = r.json()
        assert r.headers["x-request-id"].startswith("req_")
    assert seen["raw_path"] == "/v1/echo/a"
    assert seen["query"] == "q=1"
    got = dict(seen["headers"])
    assert got["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert got["x-forwarded-for"] == "127.0.0.1"
    for name in ("forwarded", "x-real-ip", "via", "openai-organization", "openai-project",
                 "api-key", "x-distillguard-action", "x-secret", "expect"):  # fmt: skip
        assert name not in got, name
    assert got["x-request-id"].startswith("req_")
    assert got["x-kept"] == "yes"
    decision, outcome = read_records(tmp_path / "audit.jsonl")
    assert (decision["kind"], decision["action"], decision["path"]) == (
        "decision", "forward", "/v1/echo/a",
    )  # fmt: skip
    assert (outcome["kind"], outcome["status"]) == ("outcome", 200)


def test_expect_continue_is_answered_by_the_gateway_not_relayed(
    upstream: str, tmp_path: Path
) -> None:
    with gateway(upstream, tmp_path) as url:
        r = raw_request(url, "POST", "/v1/chat/completions", auth("k-plain"), BODY,
                        expect_continue=True)  # fmt: skip
        assert r.interim == [100]
        assert r.status == 200
        assert r.json()["choices"]
        # Too big: refused from the declared length, before the body is asked for.
        big = raw_request(url, "POST", "/v1/chat/completions", auth("k-plain"), b"x" * 30000,
                          expect_continue=True)  # fmt: skip
        assert big.status == 413
        assert big.interim == []
    decisions = read_records(tmp_path / "audit.jsonl", "decision")
    assert [d["action"] for d in decisions] == ["allow", "too_large"]
    assert read_records(tmp_path / "audit.jsonl", "outcome")[0]["status"] == 200


def test_an_interim_answer_from_the_upstream_is_skipped(tmp_path: Path) -> None:
    def handle(conn: socket.socket) -> None:
        read_request_head(conn)
        body = b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}]}'
        head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" + head.encode() + b"\r\n\r\n" + body)

    with tcp_server(handle) as up, gateway(up, tmp_path) as url:
        r = raw_request(url, "POST", "/v1/chat/completions", auth("k-plain"), BODY)
        assert r.status == 200
        assert r.json()["choices"][0]["message"]["content"] == "ok"
    assert read_records(tmp_path / "audit.jsonl", "outcome")[0]["status"] == 200


def test_body_size_and_request_limits(upstream: str, tmp_path: Path) -> None:
    with gateway(upstream, tmp_path) as url:
        huge = json.dumps({**CHAT, "pad": "x" * 50_000}).encode()
        r = raw_request(url, "POST", "/v1/chat/completions", auth("k-plain"), huge)
        assert r.status == 413
        assert r.json()["error"]["code"] == "request_too_large"
        # Without a declared length (chunked), counted while read.
        with httpx.Client(base_url=url, timeout=30) as c:

            def chunks() -> Iterator[bytes]:
                for _ in range(10):
                    yield b"x" * 5000

            r2 = c.post("/v1/chat/completions", content=chunks(), headers=auth("k-plain"))
            assert r2.status_code == 413
            cases: list[tuple[dict[str, Any], str]] = [
                ({**CHAT, "n": 5}, "n"),
                ({**CHAT, "max_tokens": 1001}, "max_tokens"),
                ({**CHAT, "max_completion_tokens": 10**9}, "max_completion_tokens"),
                ({**CHAT, "messages": [MESSAGE] * 6}, "messages"),
                ({"model": "m", "input": "hi", "max_output_tokens": 5000}, "max_output_tokens"),
                ({"model": "m", "input": [{"role": "user", "content": "x"}] * 6}, "input"),
            ]
            for body, param in cases:
                path = "/v1/responses" if "input" in body else "/v1/chat/completions"
                r3 = c.post(path, json=body, headers=auth("k-plain"))
                assert r3.status_code == 400, (param, r3.text)
                assert r3.json()["error"]["param"] == param
                assert "allows" in r3.json()["error"]["message"]
            assert c.post("/v1/chat/completions", json={**CHAT, "n": 4, "max_tokens": 1000},
                          headers=auth("k-plain")).status_code == 200  # fmt: skip


def test_responses_route_is_decided_stripped_and_counted(upstream: str, tmp_path: Path) -> None:
    body = {"model": "m", "instructions": "Show every step.", "input": "2+2?", "top_logprobs": 2,
            "include": ["message.output_text.logprobs", "reasoning.encrypted_content"],
            "reasoning": {"effort": "high", "summary": "detailed"}}  # fmt: skip
    with gateway(upstream, tmp_path) as url, httpx.Client(base_url=url, timeout=30) as c:
        full = c.post("/v1/responses", json=body, headers=auth("k-plain")).json()
        assert full["output"][0]["summary"]
        assert "<think>" in full["output"][1]["content"][0]["text"]
        r = c.post("/v1/responses", json=body, headers=auth("k-edu"))
        assert r.status_code == 200
        out = r.json()["output"]
        assert out[0] == {"type": "reasoning", "id": "rs_mock", "summary": []}
        part = out[1]["content"][0]
        assert "<think>" not in part["text"]
        assert part["text"].startswith("Answer")
        assert not part.get("logprobs")
        assert set(r.headers["x-distillguard-modified"].split(",")) == {
            "strip_logprobs", "strip_reasoning",
        }  # fmt: skip
        s = c.post("/v1/responses", json={**body, "stream": True}, headers=auth("k-edu"))
        assert s.status_code == 200
        assert "reasoning_summary" not in s.text
        assert "Let me think" not in s.text
        assert "<think" not in s.text
        assert '"logprobs":[{' not in s.text
        deltas = [json.loads(ln[6:]) for ln in s.text.splitlines() if ln.startswith("data: {")]
        text = "".join(d["delta"] for d in deltas if d["type"] == "response.output_text.delta")
        assert text.startswith("Answer")
        assert c.post("/v1/responses", json=body, headers=auth("k-bad")).status_code == 403
        bad = c.post("/v1/responses", json={"model": "m"}, headers=auth("k-plain"))
        assert bad.status_code == 400
        assert bad.json()["error"]["param"] == "input"
    outcomes = read_records(tmp_path / "audit.jsonl", "outcome")
    assert len(outcomes) == 3
    assert all(o["completion_tokens"] > 0 and o["reasoning_tokens"] > 0 for o in outcomes)
    assert all(d["route"] == "responses" for d in read_records(tmp_path / "audit.jsonl"
                                                               , "decision"))  # fmt: skip


def test_unreadable_upstream_answers_are_not_relayed_when_stripping(
    upstream: str, tmp_path: Path
) -> None:
    with gateway(upstream, tmp_path) as url, httpx.Client(base_url=url, timeout=30) as c:
        r = c.post("/v1/chat/completions", json={**CHAT, "mock_garbage": True},
                   headers=auth("k-edu"))  # fmt: skip
        assert r.status_code == 502
        assert r.json()["error"]["code"] == "upstream_unreadable"
        assert "secret" not in r.text
        s = c.post("/v1/chat/completions", json={**CHAT, "mock_garbage": True, "stream": True},
                   headers=auth("k-edu"))  # fmt: skip
        assert "secret" not in s.text
        # Nothing to withhold: the answer goes back as it came.
        plain = c.post("/v1/chat/completions", json={**CHAT, "mock_garbage": True},
                       headers=auth("k-plain"))  # fmt: skip
        assert plain.status_code == 200
        assert "secret" in plain.text
    streamed = [o for o in read_records(tmp_path / "audit.jsonl", "outcome")
                if o.get("unreadable_events")]  # fmt: skip
    assert streamed
    assert streamed[0]["unreadable_events"] == 1


def test_admin_endpoints_need_the_token(upstream: str, tmp_path: Path) -> None:
    with (
        gateway(upstream, tmp_path, admin_token="adm-1") as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        assert c.get("/metrics").status_code == 403
        assert c.get("/metrics", headers={"authorization": "Bearer k-plain"}).status_code == 403
        assert c.get("/metrics", headers={"authorization": "Bearer adm-1"}).status_code == 200
        assert c.get("/healthz").json() == {"status": "ok"}
        detail = c.get("/healthz", headers={"authorization": "Bearer adm-1"}).json()
        assert detail["state"] == "up"
        assert detail["audit"]["gaps"] == []


def test_a_quiet_gateway_audits_at_once_and_scores_within_the_window(
    upstream: str, tmp_path: Path
) -> None:
    state = MemoryState()
    config = GatewayConfig(
        upstream=upstream, keys=KEYS, state=state, audit_path=tmp_path / "audit.jsonl",
        scorer="inline", scorer_window_s=0.05,
    )  # fmt: skip
    body = {
        "model": "m", "n": 4, "logprobs": True,
        "messages": [{"role": "user", "content": "Think step by step and show all work: 17*23"}],
    }  # fmt: skip
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as c:
        r = c.post("/v1/chat/completions", json=body, headers=auth("k-plain"))
        assert r.status_code == 200
        # On disk before the answer was handed over: nothing to wait for.
        kinds = [x["kind"] for x in read_records(tmp_path / "audit.jsonl")]
        assert kinds == ["decision", "outcome"]
        # One request alone is scored: the window starts with it (no batch of 256 needed).
        deadline = time.monotonic() + 20
        view: dict[str, str] = {}
        while time.monotonic() < deadline:
            view = asyncio.run(state.view("acct-plain"))
            if view.get("requests") == "1":
                break
            time.sleep(0.01)
        assert view.get("requests") == "1"
        assert float(view["risk"]) > 0
        kinds = [x["kind"] for x in read_records(tmp_path / "audit.jsonl")]
        assert kinds == ["decision", "outcome", "signals"]
    assert verify(tmp_path / "audit.jsonl").ok


def test_ids_the_scan_would_quarantine_are_refused_at_the_door(
    upstream: str, tmp_path: Path
) -> None:
    """A client must not get its requests left out of the evidence through a header."""
    with gateway(upstream, tmp_path) as url:
        bad = raw_request(url, "POST", "/v1/chat/completions",
                          {**auth("k-plain"), "x-conversation-id": "conv\x85x"}, BODY)  # fmt: skip
        assert bad.status == 400
        assert bad.json()["error"]["param"] == "x-conversation-id"
        ok = raw_request(url, "POST", "/v1/chat/completions",
                         {**auth("k-plain"), "x-conversation-id": "conv-1"}, BODY)  # fmt: skip
        assert ok.status == 200


def test_a_body_reads_one_way_only(upstream: str, tmp_path: Path) -> None:
    """Parser differentials: duplicate keys and non-UTF-8 JSON are refused, not guessed."""
    dup = b'{"model": "m", "stream": false, "stream": true, "messages": [' + MESSAGE_JSON + b"]}"
    with gateway(upstream, tmp_path) as url:
        r = raw_request(url, "POST", "/v1/chat/completions", auth("k-edu"), dup)
        assert r.status == 400
        assert r.json()["error"]["code"] == "duplicate_key"
        assert r.json()["error"]["param"] == "stream"
        utf16 = json.dumps(CHAT).encode("utf-16")
        r = raw_request(url, "POST", "/v1/chat/completions", auth("k-edu"), utf16)
        assert r.status == 400
        assert r.json()["error"]["code"] == "invalid_json"


REASONED = {
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "<think>secret</think>4",
                                         "reasoning_content": "secret"}}]
}  # fmt: skip


def _answers_json(conn: socket.socket) -> None:
    read_request_head(conn)
    body = json.dumps(REASONED).encode()
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
    conn.sendall(head.encode() + b"\r\n\r\n" + body)


def _answers_sse(conn: socket.socket) -> None:
    read_request_head(conn)
    chunk = {"choices": [{"index": 0, "delta": {"content": "<think>secret</think>4",
                                                "reasoning_content": "secret"}}]}  # fmt: skip
    body = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
    head = f"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {len(body)}"
    conn.sendall(head.encode() + b"\r\n\r\n" + body)


@pytest.mark.parametrize(
    ("handler", "stream"), [(_answers_json, True), (_answers_sse, False)], ids=["json", "sse"]
)
def test_the_answer_is_read_as_what_it_is_not_as_what_was_asked(
    tmp_path: Path, handler: Any, stream: bool
) -> None:
    """An upstream that streams when asked not to (or not when asked) leaks nothing."""
    with tcp_server(handler) as up, gateway(up, tmp_path) as url:
        r = raw_request(url, "POST", "/v1/chat/completions", auth("k-edu"),
                        json.dumps({**CHAT, "stream": stream}).encode())  # fmt: skip
        assert r.status == 200
        assert b"secret" not in r.body
        assert b"4" in r.body
