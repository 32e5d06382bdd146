"""Harvest economics (issue 19, item 6): prices as data, value taken, attacker's cost.

Every number is asserted on a small hand-built input, priced by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.datafile import DataFileError
from distillguard.economics.prices import load_prices, load_prices_text
from distillguard.economics.value import value_by_account, value_by_campaign, with_value
from distillguard.gateway.app import GatewayConfig, create_app
from distillguard.gateway.audit import read_records
from distillguard.gateway.harvest_cost import (
    harvest_cost,
    load_identity_costs,
    load_identity_costs_text,
)
from distillguard.gateway.keys import KeyInfo
from distillguard.gateway.policy import load_policy, load_policy_text
from distillguard.gateway.trust import load_trust, load_trust_text
from distillguard.scan import ScanOptions, _campaign_value, scan
from distillguard_lab.mock_upstream import create_mock_app
from tests.gateway.helpers import serve

PRICES = """
version: 1
models:
  - {match: "big-*", input: 10, completion: 30, reasoning: 60}
default: {input: 1, completion: 2, reasoning: 4}
"""


# ----------------------------------------------------------------- the price table
@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("version: 1\ndefault: {input: 1, completion: -2}\n", "p.yaml:2: field default.completion",
         "at least 0"),
        ("version: 1\nmodels:\n  - {input: 1, completion: 2}\ndefault: {input: 1, completion: 1}\n",
         "p.yaml:3: field models[0].match", "needs a pattern"),
        ("version: 2\ndefault: {input: 1, completion: 1}\n", "p.yaml:1: field version",
         "unsupported price table version"),
        ("version: 1\nmodels: []\n", "p.yaml:1", "missing required key 'default'"),
        ("version: 1\ndefault: {input: 1, completion: 1, cached: 0.5}\n",
         "p.yaml:2: field default.cached", "unknown key"),
        ("version: 1\ndefault: {input: one, completion: 1}\n", "p.yaml:2: field default.input",
         "expected a number"),
    ],
)  # fmt: skip
def test_price_table_errors_name_file_line_and_field(text: str, where: str, message: str) -> None:
    with pytest.raises(DataFileError) as err:
        load_prices_text(text, "p.yaml")
    assert str(err.value).startswith(where), str(err.value)
    assert message in str(err.value)


def test_price_file_errors_name_the_file(tmp_path: Path) -> None:
    p = tmp_path / "prices.yaml"
    p.write_text("version: 1\ndefault: {input: 1}\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"prices.yaml:2: field default: missing required"):
        load_prices(p)
    assert load_prices().default.completion > 0  # the shipped table loads


def test_reasoning_is_priced_inside_the_completion_never_twice() -> None:
    prices = load_prices_text(PRICES, "p.yaml")
    big, small = prices.price_for("BIG-1"), prices.price_for("small")
    # 1M prompt at 10, 0.5M visible completion at 30, 0.5M reasoning at 60.
    assert big.value(prompt=1e6, completion=1e6, reasoning=5e5) == pytest.approx(55.0)
    # Reasoning counted apart from a completion smaller than it: all reasoning.
    assert small.value(completion=1e6, reasoning=2e6) == pytest.approx(8.0)
    assert small.match == "default"


def test_value_per_account_and_campaign_on_a_hand_built_input() -> None:
    prices = load_prices_text(PRICES, "p.yaml")
    usage = pa.table({
        "account_id": ["a", "a", "b", "c"],
        "model": ["big-2", "small", "small", None],
        "prompt_tokens": [100_000, 1_000_000, 0, 500_000],
        "completion_tokens": [200_000, 1_000_000, 300_000, None],
        "reasoning_tokens": [150_000, 0, 300_000, None],
    })  # fmt: skip
    got = {r["account_id"]: r for r in value_by_account(usage, prices).to_pylist()}
    # a: big-2 1.0 + 1.5 + 9.0 = 11.5, small 1.0 + 2.0 = 3.0; reasoning part 9.0.
    assert got["a"]["value_usd"] == pytest.approx(14.5)
    assert got["a"]["reasoning_value_usd"] == pytest.approx(9.0)
    # b: 0.3M tokens, all reasoning, at 4: 1.2.  c: prompt only, 0.5.
    assert (got["b"]["value_usd"], got["b"]["reasoning_value_usd"]) == pytest.approx((1.2, 1.2))
    assert (got["c"]["value_usd"], got["c"]["reasoning_value_usd"]) == pytest.approx((0.5, 0.0))
    values = value_by_account(usage, prices)
    assert value_by_campaign(values, {"a": "k1", "b": "k1", "c": "k2"}) == {
        "k1": pytest.approx((15.7, 10.2)), "k2": pytest.approx((0.5, 0.0))
    }  # fmt: skip
    accounts = pa.table({"account_id": ["a", "b", "c", "d"],
                         "campaign_id": ["k1", "k1", None, None]})  # fmt: skip
    joined = with_value(accounts, values)
    assert joined.column("value_usd").to_pylist() == pytest.approx([14.5, 1.2, 0.5, 0.0])
    camps = _campaign_value(pa.table({"campaign_id": ["k1"]}), joined, values)
    assert camps.column("value_usd").to_pylist() == pytest.approx([15.7])
    assert camps.column("reasoning_value_usd").to_pylist() == pytest.approx([10.2])


def _event(i: int, account: str, model: str, prompt: int, completion: int, reasoning: int) -> str:
    return json.dumps({
        "event_id": f"e{i}", "ts": f"2026-03-01T10:{i:02d}:00Z", "account_id": account,
        "model": model, "messages": [{"role": "user", "content": f"question {i}"}],
        "prompt_tokens": prompt, "completion_tokens": completion, "reasoning_tokens": reasoning,
    })  # fmt: skip


def test_scan_writes_the_value_columns_and_the_economics_summary(tmp_path: Path) -> None:
    logs = tmp_path / "logs.jsonl"
    logs.write_text(
        "\n".join([
            _event(1, "a", "big-2", 100_000, 200_000, 150_000),
            _event(2, "a", "small", 1_000_000, 1_000_000, 0),
            _event(3, "b", "small", 0, 300_000, 300_000),
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    prices = tmp_path / "prices.yaml"
    prices.write_text(PRICES, encoding="utf-8")
    out = tmp_path / "out"
    opts = ScanOptions(store=tmp_path / "s.duckdb", out=out, prices=prices, campaigns=False,
                       reports=False)  # fmt: skip
    result = scan([logs], opts)
    rows = {r["account_id"]: r for r in pq.read_table(out / "accounts.parquet").to_pylist()}
    assert rows["a"]["value_usd"] == pytest.approx(14.5)
    assert rows["b"]["reasoning_value_usd"] == pytest.approx(1.2)
    summary = result.summary()
    value = summary["value_taken"]
    assert isinstance(value, dict)
    assert (value["value_usd"], value["reasoning_value_usd"]) == (15.7, 10.2)
    assert value["prices"] == str(prices)
    cost = summary["harvest_cost"]
    assert isinstance(cost, dict)
    assert cost["target_answers"] == 1_000_000
    assert cost["cheapest_usd"] == min(p["total_usd"] for p in cost["paths"])


# ----------------------------------------------------------------- the attacker's cost
POLICY = """
budgets:
  - {name: answers, unit: reasoning_answers, window: week, limit: 700,
     responses: [{at: 1.0, strip_reasoning: true}]}
  - {name: tokens, unit: reasoning_tokens, window: day, limit: 1000000,
     responses: [{at: 0.5, action: throttle, throttle: {rate: 1}}, {at: 1.0, action: block}]}
  - {name: org, per: org, unit: reasoning_answers, window: day, limit: 1,
     responses: [{at: 1.0, action: block}]}
  - {name: poems, unit: reasoning_answers, capability: writing, window: day, limit: 1,
     responses: [{at: 1.0, action: block}]}
rules:
  - {name: default, action: allow}
"""
TRUST = """
levels:
  - {name: new, multiplier: 0.5, when: {account_age_days_below: 7}}
  - {name: standard, multiplier: 1.0}
"""
COSTS = """
version: 1
target_answers: 10500
answer: {prompt_tokens: 1000, completion_tokens: 3000, reasoning_tokens: 2000}
paths:
  - {name: fresh, signup_usd: 1.0, payment_method_usd: 1.5, lifetime_days: 14}
  - {name: free, signup_usd: 0.5, pays_tokens: false, lifetime_days: 3}
"""


def test_attacker_cost_of_a_harvest_on_a_hand_built_policy() -> None:
    policy = load_policy_text(POLICY, "policy.yaml")
    est = harvest_cost(policy, load_trust_text(TRUST, "trust.yaml"),
                       load_prices_text(PRICES, "p.yaml"),
                       load_identity_costs_text(COSTS, "costs.yaml"))  # fmt: skip
    by = {p.path.name: p for p in est.paths}
    # fresh: 7 days 'new' (700 * 0.5 / 7 = 50 answers a day; the token budget allows
    # 1M * 0.5 / 2000 = 250), 7 days 'standard' (100 a day): 1,050 answers; the org and
    # writing budgets do not bound it.  10,500 answers: 10 accounts of 2.5.  One answer
    # at the default row: (1000 * 1 + 1000 * 2 + 2000 * 4) / 1M = 0.011; 10,500 of them.
    fresh = by["fresh"]
    assert fresh.answers_per_account == pytest.approx(1050.0)
    assert fresh.accounts == 10
    assert fresh.identity_usd == pytest.approx(25.0)
    assert fresh.token_usd == pytest.approx(115.5)
    assert fresh.total_usd == pytest.approx(140.5)
    assert fresh.trust_levels == ("new", "standard")
    # free: 3 days of 'new' (150 answers) but at least one whole week's window at once
    # (350): 30 accounts of 0.5, no token spend.
    free = by["free"]
    assert free.answers_per_account == pytest.approx(350.0)
    assert free.accounts == 30
    assert free.total_usd == pytest.approx(15.0)
    assert est.cheapest is free
    rec = est.record()
    assert rec["cheapest_path"] == "free"
    assert rec["paths"][1]["usd_per_answer"] == pytest.approx(140.5 / 10_500, abs=1e-6)
    # No budget at all: one account takes everything.
    open_policy = load_policy_text("rules:\n  - {name: default, action: allow}\n", "p.yaml")
    est = harvest_cost(open_policy, load_trust_text(TRUST, "trust.yaml"),
                       load_prices_text(PRICES, "p.yaml"),
                       load_identity_costs_text(COSTS, "costs.yaml"))  # fmt: skip
    assert {(p.path.name, p.accounts, p.answers_per_account) for p in est.paths} == {
        ("fresh", 1, None), ("free", 1, None)
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (COSTS.replace("reasoning_tokens: 2000", "reasoning_tokens: 4000"),
         "costs.yaml:4: field answer.reasoning_tokens"),
        (COSTS.replace("lifetime_days: 3", "lifetime_days: 0"),
         "costs.yaml:7: field paths[1].lifetime_days"),
        (COSTS.replace("name: free", "name: fresh"), "costs.yaml:7: field paths[1].name"),
        (COSTS.replace("signup_usd: 0.5", "signup_usd: -1"),
         "costs.yaml:7: field paths[1].signup_usd"),
    ],
)  # fmt: skip
def test_identity_cost_errors_name_file_line_and_field(text: str, where: str) -> None:
    with pytest.raises(DataFileError) as err:
        load_identity_costs_text(text, "costs.yaml")
    assert str(err.value).startswith(where), str(err.value)


def test_the_shipped_policy_has_a_cost_on_every_path() -> None:
    est = harvest_cost(load_policy(), load_trust(), load_prices(), load_identity_costs())
    assert all(p.accounts >= 1 and p.total_usd > 0 for p in est.paths)
    assert [p.total_usd for p in est.paths] == sorted(p.total_usd for p in est.paths)


# ----------------------------------------------------------------- the gateway's metrics
def test_gateway_counts_value_served_by_capability(tmp_path: Path) -> None:
    keys = {"k": KeyInfo("acct", tier="paid", created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))}
    prices = load_prices_text(PRICES, "p.yaml")
    body = {"model": "big-1", "messages": [{"role": "user", "content": "Solve for x: 3x + 5 = 20"}]}
    with serve(create_mock_app()) as up:
        cfg = GatewayConfig(upstream=up, keys=keys, prices=prices, scorer="inline",
                            audit_path=tmp_path / "audit.jsonl")  # fmt: skip
        with serve(create_app(cfg)) as url, httpx.Client(base_url=url, timeout=30) as c:
            for _ in range(2):
                r = c.post("/v1/chat/completions", json=body, headers={"authorization": "Bearer k"})
                assert r.status_code == 200
            metrics = ""
            for _ in range(100):  # the value is counted once the scorer has labelled it
                metrics = c.get("/metrics").text
                if "distillguard_gateway_value_served_usd_total{" in metrics:
                    break
                time.sleep(0.05)
    (out, _) = read_records(tmp_path / "audit.jsonl", "outcome")
    one = (out["prompt_tokens"] * 10 + (out["completion_tokens"] - out["reasoning_tokens"]) * 30
           + out["reasoning_tokens"] * 60) / 1e6  # fmt: skip
    line = next(x for x in metrics.splitlines()
                if x.startswith("distillguard_gateway_value_served_usd_total{"))  # fmt: skip
    assert 'capability="math"' in line
    assert float(line.split()[-1]) == pytest.approx(2 * one)
    assert 'distillguard_gateway_harvest_cost_usd{path="free-signup"}' in metrics
