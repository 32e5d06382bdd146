"""A state store that goes away: batch verdicts come back, blocked accounts stay blocked."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.gateway.app import GatewayConfig, create_app
from distillguard.gateway.audit import read_records
from distillguard.gateway.keys import KeyInfo
from distillguard.gateway.policy import load_policy_text
from distillguard.gateway.redis_state import RedisState
from distillguard_lab.mock_upstream import create_mock_app
from tests.gateway.conftest import RedisServer
from tests.gateway.helpers import serve

KEYS = {
    "k-plain": KeyInfo("acct-plain"),
    "k-bad": KeyInfo("acct-bad"),
    "k-batch": KeyInfo("acct-batch"),
    "k-camp": KeyInfo("acct-camp"),
}
POLICY = """
state_failure: open
rules:
  - {name: blocked, action: block, when: {batch_verdict_in: [block]}}
  - name: campaign
    when: {in_campaign: true}
    action: throttle
    throttle: {rate: 0.001, burst: 2, per: campaign}
  - {name: default, action: allow}
"""
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve(create_mock_app()) as url:
        yield url


def _accounts(path: Path) -> Path:
    pq.write_table(
        pa.table({
            "account_id": ["acct-batch", "acct-camp", "acct-plain"],
            "risk": [0.99, 0.5, 0.01],
            "verdict": ["block", "watch", "allow"],
            "campaign_id": [None, "orion", None],
        }),
        path,
    )  # fmt: skip
    return path


@contextmanager
def gateway(
    upstream: str, tmp_path: Path, redis: RedisServer, prefix: str
) -> Iterator[httpx.Client]:
    state = RedisState(redis.url, prefix=prefix, cooldown_s=0.1)
    config = GatewayConfig(
        upstream=upstream, keys=KEYS, policy=load_policy_text(POLICY, "outage.yaml"),
        state=state, audit_path=tmp_path / "audit.jsonl", scorer="inline",
        accounts_path=_accounts(tmp_path / "accounts.parquet"), reload_s=0.1,
    )  # fmt: skip
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


def post(c: httpx.Client, key: str) -> httpx.Response:
    return c.post("/v1/chat/completions", json=CHAT, headers={"authorization": f"Bearer {key}"})


def redis_view(redis: RedisServer, prefix: str, account: str) -> dict[str, str]:
    async def go() -> dict[str, str]:
        st = RedisState(redis.url, prefix=prefix)
        try:
            return await st.view(account)
        finally:
            await st.close()

    return asyncio.run(go())


def wait_for(check: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except Exception:  # the store may still be starting
            pass
        time.sleep(0.05)
    return False


def test_batch_verdicts_come_back_after_a_restart_without_persistence(
    upstream: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    prefix = f"o{uuid.uuid4().hex[:6]}:"
    with gateway(upstream, tmp_path, redis_server, prefix) as c:
        assert post(c, "k-batch").status_code == 403
        redis_server.stop()
        redis_server.start()  # empty: no RDB, no AOF
        # Before the file is pushed again, the store answers "nothing known": the
        # gateway does not take that for a cleared verdict.
        assert post(c, "k-batch").status_code == 403
        assert wait_for(
            lambda: redis_view(redis_server, prefix, "acct-batch").get("batch_verdict") == "block"
        )
        assert post(c, "k-batch").status_code == 403
        assert post(c, "k-plain").status_code == 200


def test_known_blocked_accounts_stay_blocked_while_the_store_is_down(
    upstream: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    prefix = f"o{uuid.uuid4().hex[:6]}:"

    async def seed() -> None:
        st = RedisState(redis_server.url, prefix=prefix)
        try:  # as `distillguard sync` would, with no accounts file behind it
            await st.update_views({"acct-bad": {"batch_verdict": "block"}})
        finally:
            await st.close()

    asyncio.run(seed())
    with gateway(upstream, tmp_path, redis_server, prefix) as c:
        assert post(c, "k-bad").status_code == 403  # seen once, through the store
        assert [post(c, "k-camp").status_code for _ in range(2)] == [200, 200]
        redis_server.stop()
        try:
            # Fail-open serves the unknown, never the known-blocked.
            assert post(c, "k-bad").status_code == 403
            assert post(c, "k-batch").status_code == 403  # from the followed batch file
            assert post(c, "k-plain").status_code == 200
            # The campaign stays throttled, by this replica's own bucket while the
            # shared one cannot be reached.
            assert [post(c, "k-camp").status_code for _ in range(3)] == [200, 200, 429]
        finally:
            redis_server.start()
    states = {
        (d["account"], d["action"]): d["state"]
        for d in read_records(tmp_path / "audit.jsonl", "decision")
        if d["state"] != "ok"
    }
    assert states[("acct-bad", "block")] == "unavailable: last known view"
    assert states[("acct-plain", "allow")] == "unavailable"
