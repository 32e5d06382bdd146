"""Review and appeal end to end: real gateways on loopback, a real Redis, real files.

From flag to appeal to recalibration: a scan blocks an account; its request is
refused with a reference; the appeal is looked up by that reference; a reviewer
unblocks it with a note (through the CLI, over HTTP); the next request is served
by another replica on the same Redis; the action is in the audit log and the
feedback table; ``calibrate`` takes the account as benign.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from distillguard.cli import app as cli_app
from distillguard.gateway.app import GatewayConfig, create_app
from distillguard.gateway.audit import read_records, verify
from distillguard.gateway.keys import KeyInfo
from distillguard.gateway.redis_state import RedisState
from distillguard.review.feedback import FeedbackTable
from distillguard_lab.mock_upstream import create_mock_app
from tests.gateway.conftest import RedisServer
from tests.gateway.helpers import serve
from tests.review.scanfiles import write_logs, write_scan

runner = CliRunner()
ADMIN = "adm-token-1"
KEYS = {f"k-{a}": KeyInfo(f"acct-{a}", tier="paid") for a in ("fp", "c1", "c2", "ok")}
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve(create_mock_app()) as url:
        yield url


@contextmanager
def replicas(upstream: str, redis: RedisServer, tmp: Path, n: int = 2) -> Iterator[list[str]]:
    """``n`` gateways on one Redis (a prefix of their own), following one scan's
    accounts file, each with its own audit log, all with one feedback table."""
    prefix = f"dg-review-{uuid.uuid4().hex[:8]}:"
    scan = write_scan(tmp / "scan")
    try:
        with ExitStack() as stack:
            urls = []
            for i in range(n):
                cfg = GatewayConfig(
                    upstream=upstream, keys=KEYS, state=RedisState(redis.url, prefix=prefix),
                    audit_path=tmp / f"audit-{i}.jsonl", admin_token=ADMIN, scorer="inline",
                    accounts_path=scan / "accounts.parquet",
                    feedback_path=tmp / "feedback.jsonl", decision_header=True,
                )  # fmt: skip
                urls.append(stack.enter_context(serve(create_app(cfg))))
            yield urls
    finally:
        cleanup = RedisState(redis.url, prefix=prefix)

        async def flush() -> None:
            await cleanup.flush_all()
            await cleanup.close()

        asyncio.run(flush())


def chat(url: str, account: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/chat/completions", json=CHAT, timeout=30,
                      headers={"authorization": f"Bearer k-{account}"})  # fmt: skip


def admin(
    url: str, method: str, path: str, body: object = None, token: str = ADMIN
) -> httpx.Response:
    return httpx.request(method, f"{url}{path}", json=body, timeout=30,
                         headers={"authorization": f"Bearer {token}"})  # fmt: skip


def test_flag_appeal_unblock_recalibrate(
    upstream: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    with replicas(upstream, redis_server, tmp_path) as (a, b):
        # Flagged by the scan: refused, with the reference the user will quote.
        refused = chat(a, "fp")
        assert refused.status_code == 403
        err = refused.json()["error"]
        assert err["code"] == "account_blocked"
        ref = err["reference"]
        assert ref == refused.headers["x-request-id"]
        assert chat(b, "fp").status_code == 403

        # The queue shows it with the scan's reasons, and the campaign.
        queue = admin(a, "GET", "/admin/review/flagged").json()
        fp = next(r for r in queue["accounts"] if r["account_id"] == "acct-fp")
        assert fp["batch_verdict"] == "block"
        assert "chain-of-thought" in fp["reasons"][1]
        assert fp["review"] is None
        assert [c["campaign_id"] for c in queue["campaigns"]] == ["orion"]

        # The appeal, looked up by its reference (the admin token only).
        assert admin(a, "GET", f"/admin/review/appeal/{ref}", token="wrong").status_code == 401
        got = admin(a, "GET", f"/admin/review/appeal/{ref}")
        assert got.status_code == 200, got.text
        appeal = got.json()
        assert appeal["account_id"] == "acct-fp"
        assert appeal["decision"]["rule"] == "batch-block"
        assert appeal["decision"]["status"] == 403
        assert appeal["view"]["batch_verdict"] == "block"

        # A reviewer unblocks it, answering the appeal, through the CLI and the API.
        res = runner.invoke(cli_app, [
            "review", "act", "unblock", "--account", "acct-fp", "--reviewer", "ana",
            "--note", "a teacher preparing worked examples; verified by phone",
            "--reference", ref, "--gateway", a, "--admin-token", ADMIN, "--json",
        ])  # fmt: skip
        assert res.exit_code == 0, res.output
        done = json.loads(res.output)
        assert done["reference_found"] is True
        review_id = done["action"]["id"]

        # Served at once, on the other replica too (the batch file still says block).
        served = chat(b, "fp")
        assert served.status_code == 200, served.text
        assert chat(a, "fp").status_code == 200
        decisions = read_records(tmp_path / "audit-1.jsonl", "decision")
        assert decisions[-1]["review"] == {"action": "unblock", "id": review_id, "in_force": True}
        assert decisions[-1]["rule"] == "default"

        # The appeal now shows the review that answered it.
        appeal = admin(a, "GET", f"/admin/review/appeal/{ref}").json()
        assert [r["id"] for r in appeal["reviews"]] == [review_id]
        assert appeal["review"] == {"action": "unblock", "id": review_id, "in_force": True}
        assert [h["id"] for h in appeal["history"]] == [review_id]

    # Audited (the review record, and the admin calls), the chain intact.
    records = read_records(tmp_path / "audit-0.jsonl")
    (rev,) = [r for r in records if r["kind"] == "review"]
    assert (rev["action"], rev["reviewer"], rev["reference"]) == ("unblock", "ana", ref)
    assert rev["accounts"] == ["acct-fp"]
    assert {r["status"] for r in records if r["kind"] == "admin"} == {200, 201, 401}
    assert verify(tmp_path / "audit-0.jsonl").ok

    # In the feedback table, and recalibration takes the account as benign.
    (action,) = FeedbackTable(tmp_path / "feedback.jsonl").actions()
    assert (action.id, action.action, action.reference) == (review_id, "unblock", ref)
    benign = write_logs(tmp_path / "benign.jsonl", ["b1", "b2", "b3", "b4"])
    scanned = write_logs(tmp_path / "scanned.jsonl", ["acct-fp", "b9"])
    outs = {}
    for name, extra in (("plain", []), ("reviewed", ["--feedback", str(tmp_path / "feedback.jsonl"),
                                                    "--reviewed-logs", str(scanned)])):  # fmt: skip
        out = tmp_path / f"cal-{name}.json"
        res = runner.invoke(cli_app, ["calibrate", str(benign), "--out", str(out), *extra])
        assert res.exit_code == 0, res.output
        outs[name] = (json.loads(out.read_text()), res.output)
    plain, reviewed = outs["plain"][0], outs["reviewed"][0]
    assert reviewed["benign_accounts"] == plain["benign_accounts"] + 1
    assert "1 reviewed false positive(s)" in reviewed["source"]
    assert "1 reviewed false positive(s) added as benign" in " ".join(outs["reviewed"][1].split())


def test_campaign_block_verify_and_allow_reach_every_replica(
    upstream: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    with replicas(upstream, redis_server, tmp_path) as (a, b):
        # Campaign members are throttled and stripped by the shipped policy.
        assert chat(b, "c1").headers["x-distillguard-action"] == "throttle"
        act = {"action": "block", "reviewer": "bo", "note": "one card, one script",
               "campaign_id": "orion"}  # fmt: skip
        r = admin(a, "POST", "/admin/review/actions", act)
        assert r.status_code == 201, r.text
        assert r.json()["action"]["accounts"] == ["acct-c1", "acct-c2"]
        for account in ("c1", "c2"):
            got = chat(b, account)
            assert got.status_code == 403
            assert got.json()["error"]["code"] == "account_blocked"
        # A campaign's members: those the scan knows and those listed.
        verify_ok = {**act, "action": "verify", "accounts": ["acct-ok"]}
        r = admin(a, "POST", "/admin/review/actions", verify_ok)
        assert r.status_code == 201, r.text
        got = chat(b, "ok")
        assert got.json()["error"]["code"] == "verification_required"
        # allow: a false positive is decided as if it had no evidence (no campaign rule).
        allow = {"action": "allow", "reviewer": "bo", "note": "a lab", "account_id": "acct-c1"}
        r = admin(a, "POST", "/admin/review/actions", allow)
        assert r.status_code == 201
        got = chat(b, "c1")
        assert got.status_code == 200
        assert got.headers["x-distillguard-action"] == "allow"
        # Bad actions: named field, OpenAI error shape; no token, no action.
        bad = admin(a, "POST", "/admin/review/actions", {**act, "note": " "})
        assert bad.status_code == 400
        assert bad.json()["error"]["param"] == "note"
        unknown = admin(a, "POST", "/admin/review/actions", {**act, "campaign_id": "nope"})
        assert unknown.status_code == 404
        assert admin(a, "POST", "/admin/review/actions", act, token="x").status_code == 401
        assert admin(a, "GET", "/admin/review/actions").status_code == 405
        assert admin(a, "GET", "/admin/review/elsewhere").status_code == 404
        assert admin(a, "GET", "/admin/review/appeal/req_0000000000000000").status_code == 404
        assert admin(a, "GET", "/admin/review/appeal/nope").status_code == 400
        # The CLI against a gateway: the queue with the reviews in force, and an appeal.
        res = runner.invoke(cli_app, ["review", "list", "--gateway", b, "--admin-token", ADMIN,
                                      "--json"])  # fmt: skip
        assert res.exit_code == 0, res.output
        rows = {r["account_id"]: r for r in json.loads(res.output)["accounts"]}
        assert rows["acct-c2"]["review"]["action"] == "verify"  # the campaign's last action
        assert rows["acct-c1"]["review"]["action"] == "allow"
        assert rows["acct-c1"]["review"]["in_force"] is True
        ref = got.headers["x-request-id"]
        res = runner.invoke(cli_app, ["review", "appeal", ref, "--gateway", b])
        assert res.exit_code == 2
        assert "401" in res.output  # no token, no evidence
    actions = FeedbackTable(tmp_path / "feedback.jsonl").actions()
    assert [x.action for x in actions] == ["block", "verify", "allow"]


def test_without_an_admin_token_the_review_api_is_off(upstream: str, tmp_path: Path) -> None:
    cfg = GatewayConfig(upstream=upstream, keys=KEYS, scorer="inline")
    with serve(create_app(cfg)) as url:
        # Loopback is enough for /metrics, never for review actions.
        r = httpx.get(f"{url}/admin/review/flagged", timeout=30)
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "forbidden"


def test_review_cli_without_a_gateway(redis_server: RedisServer, tmp_path: Path) -> None:
    from distillguard.gateway.audit import AuditLog

    scan = write_scan(tmp_path / "scan")
    feedback = tmp_path / "feedback.jsonl"
    res = runner.invoke(cli_app, ["review", "list", "--scan", str(scan), "--json"])
    assert res.exit_code == 0, res.output
    queue = json.loads(res.output)
    assert [r["account_id"] for r in queue["accounts"]] == ["acct-fp", "acct-c1", "acct-c2"]
    assert queue["accounts"][0]["reasons"][2] == "narrow templates"
    res = runner.invoke(cli_app, ["review", "list", "--scan", str(scan)])
    assert res.exit_code == 0, res.output
    assert "acct-fp" in res.output
    assert "orion" in res.output

    # Block the campaign into the feedback table and the gateways' shared state.
    prefix = "dg:"  # what `review act --redis` and `serve --redis` use
    try:
        res = runner.invoke(cli_app, [
            "review", "act", "block", "--campaign", "orion", "--reviewer", "bo",
            "--note", "one card", "--scan", str(scan), "--feedback", str(feedback),
            "--redis", redis_server.url,
        ])  # fmt: skip
        assert res.exit_code == 0, res.output
        assert "on 2 account(s)" in res.output

        async def views() -> list[dict[str, str]]:
            state = RedisState(redis_server.url, prefix=prefix)
            try:
                return [await state.view(a) for a in ("acct-c1", "acct-c2", "acct-fp")]
            finally:
                await state.close()

        c1, c2, fp = asyncio.run(views())
        assert c1["review"] == c2["review"] == "block"
        assert "review" not in fp
    finally:
        cleanup = RedisState(redis_server.url, prefix=prefix)

        async def flush() -> None:
            await cleanup.flush_all()
            await cleanup.close()

        asyncio.run(flush())
    res = runner.invoke(cli_app, ["review", "show", "orion", "--scan", str(scan),
                                  "--feedback", str(feedback)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "acct-c1, acct-c2" in res.output
    assert "block by bo: one card" in res.output
    res = runner.invoke(cli_app, ["review", "show", "acct-fp", "--scan", str(scan), "--json"])
    assert json.loads(res.output)["account"]["verdict"] == "block"
    blank = ["--reviewer", "bo", "--note", " ", "--feedback", str(feedback)]
    res = runner.invoke(cli_app, ["review", "act", "allow", "--account", "acct-fp", *blank])
    assert res.exit_code == 2
    assert "note" in res.output

    # An appeal looked up in audit logs (several replicas' files).
    logs = []
    for i, rid in enumerate(("req_00000000000000aa", "req_00000000000000bb")):
        log = AuditLog(tmp_path / f"audit-{i}.jsonl").start()
        log.write({"kind": "decision", "request_id": rid, "account": "acct-fp",
                   "action": "block", "rule": "batch-block", "status": 403})  # fmt: skip
        log.close()
        logs += ["--audit", str(log.path)]
    res = runner.invoke(cli_app, ["review", "appeal", "req_00000000000000bb", *logs, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["decision"]["rule"] == "batch-block"
    res = runner.invoke(cli_app, ["review", "appeal", "req_00000000000000cc", *logs])
    assert res.exit_code == 2


def test_reviews_come_back_after_a_restart_or_a_redis_that_lost_them(
    upstream: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    import time

    scan = write_scan(tmp_path / "scan")
    feedback = tmp_path / "feedback.jsonl"
    unblock = ["review", "act", "unblock", "--account", "acct-fp", "--reviewer", "ana",
               "--note", "verified", "--feedback", str(feedback)]  # fmt: skip
    assert runner.invoke(cli_app, unblock).exit_code == 0
    # A gateway started after the action (memory state: nothing survives a restart
    # but the feedback table) applies it from its first request.
    cfg = GatewayConfig(upstream=upstream, keys=KEYS, scorer="inline", admin_token=ADMIN,
                        accounts_path=scan / "accounts.parquet",
                        feedback_path=feedback)  # fmt: skip
    with serve(create_app(cfg)) as url:
        assert chat(url, "fp").status_code == 200
        assert chat(url, "c1").status_code == 200  # throttled, not refused
    # A Redis that lost everything gets the batch views and the reviews back.
    prefix = f"dg-review-{uuid.uuid4().hex[:8]}:"
    cfg = GatewayConfig(upstream=upstream, keys=KEYS, scorer="inline", admin_token=ADMIN,
                        state=RedisState(redis_server.url, prefix=prefix), reload_s=0.1,
                        accounts_path=scan / "accounts.parquet",
                        feedback_path=feedback)  # fmt: skip
    with serve(create_app(cfg)) as url:
        assert chat(url, "fp").status_code == 200
        asyncio.run(flush_prefix(redis_server.url, prefix))
        deadline = time.monotonic() + 10
        while True:
            views = asyncio.run(_view(redis_server.url, prefix, "acct-fp"))
            if views.get("review") == "unblock" and views.get("batch_verdict") == "block":
                break
            assert time.monotonic() < deadline, views
            time.sleep(0.1)
        assert chat(url, "fp").status_code == 200
    asyncio.run(flush_prefix(redis_server.url, prefix))


async def _view(url: str, prefix: str, account: str) -> dict[str, str]:
    state = RedisState(url, prefix=prefix)
    try:
        return await state.view(account)
    finally:
        await state.close()


async def flush_prefix(url: str, prefix: str) -> None:
    state = RedisState(url, prefix=prefix)
    await state.flush_all()
    await state.close()
