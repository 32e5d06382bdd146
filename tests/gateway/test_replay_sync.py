"""``distillguard replay`` and ``distillguard sync`` end to end, on loopback."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from distillguard.cli import app as cli_app
from distillguard.gateway.app import GatewayConfig, create_app
from distillguard.gateway.audit import read_records
from distillguard.gateway.keys import load_keys
from distillguard.gateway.policy import load_policy
from distillguard.gateway.redis_state import RedisState
from distillguard.gateway.state import MemoryState, State
from distillguard.ingest import read_events
from distillguard.ingest.writers import json_rows, params_to_object
from distillguard_lab.mock_upstream import create_mock_app
from distillguard_lab.replay import gateway_request, replay_events, sim_key
from tests.gateway.conftest import RedisServer
from tests.gateway.helpers import serve

runner = CliRunner()

#: Replaying every event of the session's simulation takes too long for a unit test.
LIMIT = 240


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve(create_mock_app()) as url:
        yield url


def _gateway(
    upstream: str, keys: Path, tmp_path: Path, state: State | None = None
) -> GatewayConfig:
    return GatewayConfig(
        upstream=upstream,
        keys=load_keys(keys),
        policy=load_policy(),
        state=state or MemoryState(),
        audit_path=tmp_path / "audit.jsonl",
        trust_client_headers=True,
        decision_header=True,
    )


def _check_report(report: dict[str, object], events: int) -> None:
    assert report["events"] == events
    for key in ("harvest_fraction", "benign_denied_fraction"):
        value = report[key]
        assert value is None or (isinstance(value, float) and 0.0 <= value <= 1.0), (key, value)
    by_campaign = report["by_campaign"]
    assert isinstance(by_campaign, dict)
    attack = report["attack_requests"]
    assert isinstance(attack, int)
    assert sum(g["attack_requests"] for g in by_campaign.values()) == attack
    for g in by_campaign.values():
        assert set(g) == {"attack_requests", "harvest_fraction"}


def test_replay_cli_through_a_real_gateway(sim_dir: Path, upstream: str, tmp_path: Path) -> None:
    keys = tmp_path / "keys.csv"
    res = runner.invoke(
        cli_app, ["replay", str(sim_dir / "events.parquet"), "--write-keys", str(keys)]
    )
    assert res.exit_code == 0, res.output
    n_accounts = pq.read_table(sim_dir / "events.parquet", columns=["account_id"]).column(0)
    assert len(load_keys(keys)) == len(set(n_accounts.to_pylist()))

    out = tmp_path / "replay.json"
    with serve(create_app(_gateway(upstream, keys, tmp_path))) as url:
        res = runner.invoke(
            cli_app,
            ["replay", str(sim_dir / "events.parquet"), "--gateway", url, "--json", str(out),
             "--limit", str(LIMIT), "--concurrency", "4"],
        )  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads(out.read_text(encoding="utf-8"))
    _check_report(report, LIMIT)
    # The simulation has attackers in its first events, and the default policy lets
    # nothing through untouched that it has reason to stop: fractions are real numbers.
    assert report["attack_requests"] > 0
    assert report["benign_requests"] > 0
    # Every replayed request was decided and audited by the gateway.
    assert len(read_records(tmp_path / "audit.jsonl", "decision")) == LIMIT


def _as_json_text(events: pa.Table, *, stored: bool) -> pa.Table:
    """``messages`` and ``params`` as JSON text, a form the schema documents.

    ``stored``: ``params`` as the stored struct dumped whole (every field, nulls and
    ``extra`` included); otherwise as the request-parameter object a client sent.
    """
    rows = events.to_pylist()
    for column in ("messages", "params"):
        values = [r[column] for r in rows]
        if column == "params" and not stored:
            values = [params_to_object(v) for v in values]
        text = [None if v is None else json.dumps(v) for v in values]
        i = events.column_names.index(column)
        events = events.set_column(i, column, pa.array(text, pa.string()))
    return events


@pytest.mark.parametrize("stored", [False, True], ids=["request-object", "stored-struct"])
def test_replay_reads_messages_and_params_stored_as_json_text(
    sim_dir: Path, upstream: str, tmp_path: Path, stored: bool
) -> None:
    events = pq.read_table(sim_dir / "events.parquet")
    texts = tmp_path / "events.parquet"
    pq.write_table(_as_json_text(events, stored=stored), texts)
    assert pa.types.is_string(pq.read_schema(texts).field("params").type)
    for name in ("labels.parquet", "event_labels.parquet"):
        (tmp_path / name).write_bytes((sim_dir / name).read_bytes())
    # The requests built from either form are the same, row by row, whether the row
    # comes straight from the file or through the log reader.
    native = [gateway_request(r) for r in json_rows(events)]
    as_text = list(json_rows(_as_json_text(events, stored=stored)))
    assert [gateway_request(r) for r in as_text] == native
    assert [gateway_request(r) for r in json_rows(read_events(texts).table)] == native
    assert any(body.get("temperature") is not None for _, body, _ in native)

    keys = tmp_path / "keys.csv"
    res = runner.invoke(cli_app, ["replay", str(texts), "--write-keys", str(keys)])
    assert res.exit_code == 0, res.output
    with serve(create_app(_gateway(upstream, keys, tmp_path))) as url:
        report = asyncio.run(replay_events(texts, url, limit=60))
    _check_report(report, 60)
    assert len(read_records(tmp_path / "audit.jsonl", "decision")) == 60
    # None was refused for its shape (400: a body the gateway could not read).
    outcomes = read_records(tmp_path / "audit.jsonl", "outcome")
    assert len(outcomes) == 60
    assert [o for o in outcomes if o["status"] == 400] == []


def test_replay_counts_refusals_as_denied(sim_dir: Path, upstream: str, tmp_path: Path) -> None:
    """A gateway that refuses everything: nothing harvested, every benign request denied."""
    keys = tmp_path / "keys.csv"
    runner.invoke(cli_app, ["replay", str(sim_dir / "events.parquet"), "--write-keys", str(keys)])
    policy = tmp_path / "deny.yaml"
    policy.write_text("rules:\n  - {name: all, action: block}\n", encoding="utf-8")
    cfg = _gateway(upstream, keys, tmp_path)
    cfg.policy = load_policy(policy)
    with serve(create_app(cfg)) as url:
        report = asyncio.run(replay_events(sim_dir / "events.parquet", url, limit=120))
    _check_report(report, 120)
    assert report["harvest_fraction"] in (0.0, None)
    assert report["benign_denied_fraction"] == 1.0


def test_sync_cli_pushes_verdicts_the_gateway_applies(
    upstream: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    prefix = "dg:"  # what `distillguard sync` and `serve --redis` use
    accounts = tmp_path / "accounts.parquet"
    pq.write_table(
        pa.table({
            "account_id": ["acct-bad", "acct-camp", "acct-ok"],
            "risk": [0.99, 0.7, 0.01],
            "verdict": ["block", "watch", "allow"],
            "campaign_id": [None, "orion", None],
        }),
        accounts,
    )  # fmt: skip
    keys = tmp_path / "keys.csv"
    keys.write_text(
        "api_key,account_id,tier\nk-bad,acct-bad,paid\nk-camp,acct-camp,paid\nk-ok,acct-ok,paid\n",
        encoding="utf-8",
    )
    try:
        res = runner.invoke(cli_app, ["sync", "--accounts", str(accounts), "--redis",
                                      redis_server.url])  # fmt: skip
        assert res.exit_code == 0, res.output
        assert "synced 3 accounts" in res.output

        state = RedisState(redis_server.url, prefix=prefix)
        cfg = _gateway(upstream, keys, tmp_path, state=state)
        chat = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}
        with serve(create_app(cfg)) as url, httpx.Client(base_url=url, timeout=30) as c:

            def post(key: str) -> httpx.Response:
                return c.post("/v1/chat/completions", json=chat,
                              headers={"authorization": f"Bearer {key}"})  # fmt: skip

            r = post("k-bad")
            assert r.status_code == 403
            assert r.json()["error"]["code"] == "account_blocked"
            # Campaign members are throttled and lose their reasoning traces.
            r = post("k-camp")
            assert r.status_code == 200
            assert r.headers["x-distillguard-action"] == "throttle"
            assert "reasoning_content" not in r.json()["choices"][0]["message"]
            r = post("k-ok")
            assert r.status_code == 200
            assert r.headers["x-distillguard-action"] == "allow"
        recs = read_records(tmp_path / "audit.jsonl", "decision")
        assert [r["rule"] for r in recs] == ["batch-block", "campaign", "default"]
    finally:
        cleanup = RedisState(redis_server.url, prefix=prefix)

        async def flush() -> None:
            await cleanup.flush_all()
            await cleanup.close()

        asyncio.run(flush())


def test_sync_without_redis_exits_2(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.parquet"
    pq.write_table(pa.table({"account_id": ["a"], "risk": [0.1], "verdict": ["allow"]}), accounts)
    res = runner.invoke(cli_app, ["sync", "--accounts", str(accounts)])
    assert res.exit_code == 2


def test_sim_keys_are_per_account() -> None:
    a, b = sim_key("acct-1"), sim_key(f"acct-{uuid.uuid4().hex}")
    assert a.startswith("sk-sim-")
    assert a != b
