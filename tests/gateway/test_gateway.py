"""The gateway end to end: real HTTP on loopback to a real mock upstream."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from distillguard.gateway import upstream as upstream_module
from distillguard.gateway.app import GatewayConfig, create_app
from distillguard.gateway.audit import read_records, verify
from distillguard.gateway.keys import KeyInfo
from distillguard.gateway.policy import load_policy_text
from distillguard.gateway.redis_state import RedisState
from distillguard.gateway.scorer import ProcessScorer
from distillguard.gateway.state import MemoryState, State
from distillguard_lab.mock_upstream import create_mock_app
from tests.gateway.conftest import RedisServer, free_port
from tests.gateway.helpers import serve

KEYS = {
    "k-plain": KeyInfo("acct-plain", tier="paid"),
    "k-edu": KeyInfo("acct-edu", tier="edu"),
    "k-c1": KeyInfo("acct-c1", tier="free"),
    "k-c2": KeyInfo("acct-c2", tier="free"),
    "k-bad": KeyInfo("acct-bad", tier="free"),
    "k-ver": KeyInfo("acct-ver", tier="free"),
}

POLICY = """
state_failure: {failure}
unknown_keys: {unknown}
rules:
  - {{name: blocked, action: block, when: {{batch_verdict_in: [block]}}}}
  - {{name: verify, action: require_verification, when: {{batch_verdict_in: [restrict]}}}}
  - name: campaign
    when: {{in_campaign: true}}
    action: throttle
    throttle: {{rate: 0.001, burst: 2, per: campaign}}
  - name: edu
    when: {{tier_in: [edu]}}
    action: allow
    strip_reasoning: true
    strip_logprobs: true
    max_tokens: 64
    max_n: 1
  - {{name: default, action: allow}}
"""

CHAT = {"model": "m", "messages": [{"role": "user", "content": "Explain step by step: 2+2?"}]}


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve(create_mock_app()) as url:
        yield url


@contextmanager
def gateway(
    upstream: str,
    tmp_path: Path,
    *,
    state: State | None = None,
    failure: str = "open",
    unknown: str = "reject",
    views: dict[str, dict[str, str]] | None = None,
    **cfg: Any,
) -> Iterator[tuple[httpx.Client, GatewayConfig]]:
    st = state or MemoryState()
    if views:
        asyncio.run(st.update_views(views)) if isinstance(st, MemoryState) else None
    config = GatewayConfig(
        upstream=upstream,
        keys=KEYS,
        policy=load_policy_text(POLICY.format(failure=failure, unknown=unknown), "test.yaml"),
        state=st,
        audit_path=tmp_path / "audit.jsonl",
        decision_header=True,
        **cfg,
    )
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, config


def post(
    c: httpx.Client, key: str | None, body: Any, path: str = "/v1/chat/completions"
) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    if isinstance(body, bytes):
        return c.post(path, content=body, headers=headers)
    return c.post(path, json=body, headers=headers)


def stream_text(r: httpx.Response) -> str:
    out = []
    for line in r.text.split("\n"):
        if line.startswith("data: {"):
            for ch in json.loads(line[6:])["choices"]:
                d = ch.get("delta")
                out.append((d.get("content") or "") if d is not None else ch.get("text") or "")
                out.append((d or {}).get("reasoning_content") or "")
    return "".join(out)


def audit_records(path: Path, kind: str = "decision") -> list[dict[str, Any]]:
    return read_records(path, kind)


def test_allow_forwards_the_full_answer_and_audits(upstream: str, tmp_path: Path) -> None:
    with gateway(upstream, tmp_path) as (c, _):
        r = post(c, "k-plain", {**CHAT, "logprobs": True})
        assert r.status_code == 200, r.text
        msg = r.json()["choices"][0]
        assert "<think>" in msg["message"]["content"]
        assert msg["message"]["reasoning_content"]
        assert msg["logprobs"] is not None
        assert r.headers["x-distillguard-action"] == "allow"
        s = post(c, "k-plain", {**CHAT, "stream": True})
        assert s.status_code == 200
        assert "<think>" in stream_text(s)
        assert (
            post(c, "k-plain", {"model": "m", "prompt": "hi"}, "/v1/completions").status_code == 200
        )
        # Plain routes are forwarded to the holder of a key, unchanged.
        models = c.get("/v1/models", headers={"authorization": "Bearer k-plain"})
        assert models.json()["data"][0]["id"] == "mock-1"
        assert c.get("/healthz").json()["status"] == "ok"
        metrics = c.get("/metrics").text
        assert 'distillguard_gateway_decisions_total{action="allow"} 3.0' in metrics
        assert "distillguard_gateway_decision_seconds_bucket" in metrics
    recs = audit_records(tmp_path / "audit.jsonl")
    assert [r["action"] for r in recs] == ["allow"] * 3 + ["forward"]
    assert {r["account"] for r in recs} == {"acct-plain"}
    assert all(r["rule"] == "default" and r["request_id"].startswith("req_") for r in recs)
    outcomes = audit_records(tmp_path / "audit.jsonl", "outcome")
    assert [o["request_id"] for o in outcomes] == [r["request_id"] for r in recs]
    assert outcomes[0]["completion_tokens"] > 0
    assert all(o["status"] == 200 for o in outcomes)
    assert len(audit_records(tmp_path / "audit.jsonl", "signals")) == 3
    assert verify(tmp_path / "audit.jsonl").ok


def test_strip_and_caps_non_streaming_and_streaming(upstream: str, tmp_path: Path) -> None:
    with gateway(upstream, tmp_path) as (c, _):
        r = post(c, "k-edu", {**CHAT, "logprobs": True, "top_logprobs": 2, "n": 3})
        assert r.status_code == 200
        body = r.json()
        assert len(body["choices"]) == 1  # n capped
        ch = body["choices"][0]
        assert "<think>" not in ch["message"]["content"]
        assert "reasoning_content" not in ch["message"]
        assert ch["logprobs"] is None
        assert ch["message"]["content"].startswith("Answer")
        mods = set(r.headers["x-distillguard-modified"].split(","))
        assert mods == {"cap_max_tokens", "cap_n", "strip_logprobs", "strip_reasoning"}
        s = post(c, "k-edu", {**CHAT, "stream": True, "logprobs": True})
        text = stream_text(s)
        assert s.status_code == 200
        assert text.startswith("Answer")
        assert "think" not in text
        assert "Let me think" not in s.text
        assert '"logprobs":{' not in s.text
        comp = post(c, "k-edu", {"model": "m", "prompt": "hi", "stream": True, "logprobs": 2},
                    "/v1/completions")  # fmt: skip
        assert stream_text(comp).startswith("Answer")
        assert "<think" not in comp.text


def test_block_verification_and_campaign_throttle(upstream: str, tmp_path: Path) -> None:
    views = {
        "acct-bad": {"batch_verdict": "block"},
        "acct-ver": {"batch_verdict": "restrict"},
        "acct-c1": {"campaign_id": "orion"},
        "acct-c2": {"campaign_id": "orion"},
    }
    with gateway(upstream, tmp_path, views=views) as (c, _):
        r = post(c, "k-bad", CHAT)
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "account_blocked"
        r = post(c, "k-ver", CHAT)
        err = r.json()["error"]
        assert r.status_code == 403
        assert err["code"] == "verification_required"
        assert err["type"] == "permission_error"
        assert err["message"]
        # Two accounts of one campaign share one bucket of two requests.
        got = [post(c, k, CHAT).status_code for k in ("k-c1", "k-c2", "k-c1")]
        assert got == [200, 200, 429]
        r = post(c, "k-c2", CHAT)
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "rate_limited"
        assert "retry-after" in r.headers
    actions = [x["action"] for x in audit_records(tmp_path / "audit.jsonl")]
    assert actions == ["block", "require_verification", "throttle", "throttle",
                       "throttle_denied", "throttle_denied"]  # fmt: skip


def test_refused_requests_are_scored_so_a_verdict_can_recover(
    upstream: str, tmp_path: Path
) -> None:
    state = MemoryState()
    views = {"acct-bad": {"batch_verdict": "block"}}
    with gateway(upstream, tmp_path, views=views, state=state, scorer="inline") as (c, _):
        for _ in range(3):
            assert post(c, "k-bad", CHAT).status_code == 403
    view = asyncio.run(state.view("acct-bad"))
    assert view["requests"] == "3"
    recs = audit_records(tmp_path / "audit.jsonl")
    assert [(r["action"], r["status"]) for r in recs] == [("block", 403)] * 3
    scored = audit_records(tmp_path / "audit.jsonl", "signals")
    assert [r["request_id"] for r in scored] == [r["request_id"] for r in recs]
    assert all(r["scoring"] == "ok" for r in scored)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (b'{"model": "m"}', "messages"),
        (b'{"model": "m", "messages": [{"role": "wizard", "content": "x"}]}', "messages"),
        (b'{"model": "m", "messages": [{"role": "user", "content": 5}]}', "messages"),
        (b'{"model": "m", "messages": [{"role": "user", "content": "x"}], "n": "two"}', "n"),
        (b'{"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}',
         "params.temperature"),
        (b'{"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": 1}', "stream"),
        (b'{"messages": [{"role": "user", "content": "x"}]}', "model"),
    ],
)  # fmt: skip
def test_malformed_requests_get_400_with_json(
    upstream: str, tmp_path: Path, body: bytes, param: str | None
) -> None:
    with gateway(upstream, tmp_path) as (c, _):
        r = post(c, "k-plain", body)
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert err["type"] == "invalid_request_error"
        assert err["param"] == param
        assert err["message"]


def test_unknown_keys_by_policy(upstream: str, tmp_path: Path) -> None:
    with gateway(upstream, tmp_path) as (c, _):
        r = post(c, "nope", CHAT)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "invalid_api_key"
        assert post(c, None, CHAT).status_code == 401
    with gateway(upstream, tmp_path / "b", unknown="allow") as (c, _):
        assert post(c, "nope", CHAT).status_code == 200


def test_upstream_timeout_and_unreachable(upstream: str, tmp_path: Path) -> None:
    with gateway(upstream, tmp_path, upstream_timeout_s=0.3) as (c, _):
        r = post(c, "k-plain", {**CHAT, "mock_delay_s": 3})
        assert r.status_code == 504
        assert r.json()["error"]["code"] == "upstream_timeout"
        r = post(c, "k-plain", {**CHAT, "mock_status": 500})
        assert r.status_code == 500  # upstream's own errors are relayed as they are
    dead = f"http://127.0.0.1:{free_port()}"
    with gateway(dead, tmp_path / "b") as (c, _):
        r = post(c, "k-plain", CHAT)
        assert r.status_code == 502
        assert r.json()["error"]["type"] == "upstream_error"
        assert post(c, "k-plain", {**CHAT, "stream": True}).status_code == 502


@pytest.mark.parametrize("failure", ["open", "closed"])
def test_redis_down_then_up(
    upstream: str, tmp_path: Path, redis_server: RedisServer, failure: str
) -> None:
    state = RedisState(redis_server.url, prefix=f"gw{uuid.uuid4().hex[:6]}:", cooldown_s=0.2)
    with gateway(upstream, tmp_path, state=state, failure=failure) as (c, _):
        assert post(c, "k-plain", CHAT).status_code == 200
        redis_server.stop()
        try:
            r = post(c, "k-plain", CHAT)
            if failure == "open":
                assert r.status_code == 200
            else:
                assert r.status_code == 503
                assert r.json()["error"]["code"] == "state_unavailable"
            assert c.get("/healthz").json()["state"] == "down"
        finally:
            redis_server.start()
        ok = False
        for _ in range(50):
            if (
                post(c, "k-plain", CHAT).status_code == 200
                and c.get("/healthz").json()["state"] == "up"
            ):
                ok = True
                break
            asyncio.run(asyncio.sleep(0.05))
        assert ok
        # Failing open, a 200 does not say the store answered it (the request before
        # healthz saw the store up may not have): the next request is decided with it.
        assert post(c, "k-plain", CHAT).status_code == 200
    recs = audit_records(tmp_path / "audit.jsonl")
    assert any(r.get("state") == "unavailable" for r in recs)
    assert recs[-1]["state"] == "ok"
    assert verify(tmp_path / "audit.jsonl").ok


@pytest.mark.parametrize("scorer", ["process", "inline"])
def test_online_scores_reach_the_account_view(upstream: str, tmp_path: Path, scorer: str) -> None:
    state = MemoryState()
    with gateway(upstream, tmp_path, state=state, scorer=scorer) as (c, _):
        for i in range(5):
            body = {
                **CHAT,
                "messages": [
                    {
                        "role": "user",
                        "content": f"Show your full chain of thought, step by step: {i}*7?",
                    }
                ],
                "n": 4,
                "logprobs": True,
            }
            assert post(c, "k-plain", body).status_code == 200
    view = asyncio.run(state.view("acct-plain"))
    assert view["requests"] == "5"
    assert 0.0 <= float(view["risk"]) <= 1.0
    recs = audit_records(tmp_path / "audit.jsonl", "signals")
    assert len(recs) == 5
    assert all(r["scoring"] == "ok" and r["signals"]["harvest_params_score"] > 0 for r in recs)


@pytest.mark.parametrize(
    "client",
    [
        pytest.param("fast", marks=pytest.mark.skipif(
            not upstream_module.HAVE_HTTPTOOLS, reason="httptools not installed"
        )),
        "httpx",
    ],
)  # fmt: skip
def test_both_upstream_clients_forward_strip_and_fail_alike(
    upstream: str, tmp_path: Path, client: str
) -> None:
    with gateway(upstream, tmp_path, upstream_client=client, upstream_timeout_s=0.5) as (c, _):
        for _ in range(3):  # keep-alive connections are reused
            r = post(c, "k-plain", CHAT)
            assert r.status_code == 200
            assert "<think>" in r.json()["choices"][0]["message"]["content"]
        s = post(c, "k-edu", {**CHAT, "stream": True})
        assert s.status_code == 200
        assert stream_text(s).startswith("Answer")
        assert post(c, "k-plain", {**CHAT, "mock_status": 503}).status_code == 503
        assert post(c, "k-plain", {**CHAT, "mock_delay_s": 3}).status_code == 504
        assert post(c, "k-plain", CHAT).status_code == 200  # the pool recovers
    dead = f"http://127.0.0.1:{free_port()}"
    with gateway(dead, tmp_path / "b", upstream_client=client) as (c, _):
        r = post(c, "k-plain", CHAT)
        assert r.status_code == 502
        assert r.json()["error"]["code"] == "upstream_unavailable"


def test_process_scorer_writes_views_to_redis(
    upstream: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    state = RedisState(redis_server.url, prefix=f"gw{uuid.uuid4().hex[:6]}:")
    with gateway(upstream, tmp_path, state=state, scorer="process") as (c, _):
        for _ in range(3):
            assert post(c, "k-plain", CHAT).status_code == 200
    check = RedisState(redis_server.url, prefix=state.prefix)

    async def read() -> dict[str, str]:
        try:
            return await check.view("acct-plain")
        finally:
            await check.close()

    view = asyncio.run(read())
    assert view["requests"] == "3"
    assert 0.0 <= float(view["risk"]) <= 1.0


def test_scoring_worker_death_is_audited_and_survived(upstream: str, tmp_path: Path) -> None:
    config = GatewayConfig(
        upstream=upstream, keys=KEYS, audit_path=tmp_path / "audit.jsonl", scorer="process",
    )  # fmt: skip
    app = create_app(config)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        assert post(c, "k-plain", CHAT).status_code == 200
        scorer = app.state.gateway.scorer
        assert isinstance(scorer, ProcessScorer)
        os.kill(scorer._proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while scorer.restarts == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert scorer.restarts == 1
        # Requests are served throughout, and scored again by the new worker.
        assert post(c, "k-plain", CHAT).status_code == 200
    assert len(audit_records(tmp_path / "audit.jsonl")) == 2
    recs = audit_records(tmp_path / "audit.jsonl", "signals")
    assert recs[-1]["scoring"] == "ok"
    assert verify(tmp_path / "audit.jsonl").ok
