"""Extraction budgets, trust levels and graduated responses (issue 19, items 1-3).

Real HTTP on loopback to the mock upstream, real redis-server where Redis is named.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from distillguard.errors import DistillguardError, InputError
from distillguard.gateway.app import GatewayConfig, create_app
from distillguard.gateway.audit import read_records, verify
from distillguard.gateway.budgets import Budget, window_spec
from distillguard.gateway.guard import BudgetGuard, adopt
from distillguard.gateway.keys import KeyInfo, load_keys
from distillguard.gateway.policy import Policy, PolicyError, load_policy, load_policy_text
from distillguard.gateway.redis_state import RedisState
from distillguard.gateway.state import (
    BudgetCounter,
    BudgetRead,
    BudgetSpend,
    MemoryState,
    State,
)
from distillguard.gateway.strip import SSEStripper, estimate_tokens, seen_in_body
from distillguard.gateway.trust import TrustError, TrustTable, load_trust, load_trust_text
from distillguard_lab.mock_upstream import REASONING, create_mock_app
from tests.gateway.conftest import RedisServer
from tests.gateway.helpers import serve

NOW = dt.datetime.now(dt.UTC)
OLD = NOW - dt.timedelta(days=400)
KEYS = {
    "k-a": KeyInfo("acct-a", org_id="org-a", tier="paid", created_at=OLD),
    "k-b": KeyInfo("acct-b", org_id="org-a", tier="paid", created_at=OLD),
    "k-c": KeyInfo("acct-c", org_id="org-c", tier="paid", created_at=OLD),
    "k-edu": KeyInfo("acct-edu", tier="edu", created_at=NOW - dt.timedelta(days=2)),
    "k-ent": KeyInfo("acct-ent", tier="enterprise", created_at=OLD, verified=True),
    "k-camp": KeyInfo("acct-camp", tier="paid", created_at=OLD),
}
TRUST = """
levels:
  - {name: flagged, multiplier: 0.5, when: {verdict_in: [restrict, block]}}
  - {name: enterprise, multiplier: 4.0, when: {tier_in: [enterprise], verified: true}}
  - {name: new-farmed, multiplier: 0.25, when: {tier_in: [edu], account_age_days_below: 30}}
  - {name: standard, multiplier: 1.0}
"""
#: Mock answers: reasoning tokens per answer (its usage counts words).
MOCK_REASONING = len(f"{REASONING} (trace 0123abcd)".split())
CHAT = {"model": "m", "messages": [{"role": "user", "content": "What is the capital of Peru?"}]}
CODING = {
    "model": "m",
    "messages": [{"role": "user", "content": "Fix my python: ```def f(x): return x[0]``` "
                  "raises IndexError in the traceback"}],
}  # fmt: skip
MATH = {"model": "m", "messages": [{"role": "user", "content": "Solve for x: 3x + 5 = 20"}]}


def budgets_policy(budgets: str, rules: str = "  - {name: default, action: allow}\n") -> Policy:
    return load_policy_text(f"budgets:\n{budgets}\nrules:\n{rules}", "test-policy.yaml")


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve(create_mock_app()) as url:
        yield url


@contextmanager
def gateway(
    upstream: str,
    tmp_path: Path,
    policy: Policy,
    *,
    state: State | None = None,
    views: dict[str, dict[str, str]] | None = None,
    trust: TrustTable | None = None,
    **cfg: Any,
) -> Iterator[tuple[httpx.Client, GatewayConfig]]:
    st = state or MemoryState()
    if views:
        asyncio.run(st.update_views(views))
    config = GatewayConfig(
        upstream=upstream, keys=KEYS, policy=policy, state=st,
        trust=trust or load_trust_text(TRUST, "trust.yaml"),
        audit_path=tmp_path / "audit.jsonl", scorer=cfg.pop("scorer", "inline"), **cfg,
    )  # fmt: skip
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, config


def post(
    c: httpx.Client, key: str, body: Any, path: str = "/v1/chat/completions", **headers: str
) -> httpx.Response:
    return c.post(path, json=body, headers={"authorization": f"Bearer {key}", **headers})


def counter(budget: Budget, scope_id: str) -> BudgetCounter:
    g, n = window_spec(budget.window)
    return BudgetCounter(budget.counter_key(scope_id), g, n)


def spent(state: State, budget: Budget, scope_id: str, at: float | None = None) -> float:
    """What ``budget`` has counted for ``scope_id`` over its window (a read, no reserve)."""
    got = asyncio.run(state.budget_check([counter(budget, scope_id)], at=at))
    return float(got.spent[0])


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Spends land in the background, after the answer: poll for them."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def decisions(tmp_path: Path) -> list[dict[str, Any]]:
    return read_records(tmp_path / "audit.jsonl", "decision")


def outcomes(tmp_path: Path) -> list[dict[str, Any]]:
    return read_records(tmp_path / "audit.jsonl", "outcome")


def _strings(obj: Any, keys: tuple[str, ...]) -> Iterator[str]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in keys and isinstance(v, str):
                yield v
            else:
                yield from _strings(v, keys)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v, keys)


def has_reasoning(r: httpx.Response) -> bool:
    """Whether the mock's reasoning reached the client (a stream's pieces joined)."""
    if "reasoning_content" in r.text or "Let me think" in r.text:
        return True
    keys = ("text", "content", "delta", "reasoning_content")
    events = sse_events(r.text) if r.text.startswith(("data:", "event:")) else [r.json()]
    joined = "".join(s for ev in events for s in _strings(ev, keys))
    return "Let me think" in joined


# ----------------------------------------------------------------- data: validation
@pytest.mark.parametrize(
    ("budget", "line", "field", "message"),
    [
        ("  - {name: b, unit: tokens, window: day, limit: 5, responses: [{at: 1, action: block}]}",
         2, "budgets[0].unit", "must be one of"),
        ("  - {name: b, unit: reasoning_tokens, window: month, limit: 5,\n"
         "     responses: [{at: 1, action: block}]}", 2, "budgets[0].window", "must be one of"),
        ("  - name: b\n    unit: reasoning_tokens\n    window: day\n    limit: 5\n"
         "    responses:\n      - {at: 2, action: block}\n      - {at: 1, strip_reasoning: true}",
         8, "budgets[0].responses[1].at", "increasing order"),
        ("  - name: b\n    unit: reasoning_tokens\n    window: day\n    limit: 5\n"
         "    responses:\n      - {at: 1, action: throttle}", 7,
         "budgets[0].responses[0].throttle", "needs a throttle"),
        ("  - name: b\n    unit: reasoning_tokens\n    window: day\n    limit: 5\n"
         "    responses:\n      - {at: 1}", 7, "budgets[0].responses[0].action", "changes nothing"),
        ("  - name: b\n    unit: completion_tokens\n    window: day\n    limit: 5\n"
         "    capability: [coding, poetry]\n    responses: [{at: 1, action: block}]", 6,
         "budgets[0].capability[1]", "must be 'any' or one of"),
        ("  - {name: b, unit: reasoning_tokens, window: day, limit: -1,\n"
         "     responses: [{at: 1, action: block}]}", 2, "budgets[0].limit", "at least 0"),
        ("  - {name: b, unit: reasoning_tokens, window: day, limit: 1, per: user,\n"
         "     responses: [{at: 1, action: block}]}", 2, "budgets[0].per", "must be one of"),
        ("  - {name: b, unit: reasoning_tokens, window: day, limit: 1, responses: [{at: 1, "
         "action: block}]}\n  - {name: b, unit: reasoning_tokens, window: hour, limit: 1, "
         "responses: [{at: 1, action: block}]}", 3, "budgets[1].name", "duplicate budget"),
    ],
)  # fmt: skip
def test_budget_errors_name_file_line_and_field(
    budget: str, line: int, field: str, message: str
) -> None:
    with pytest.raises(PolicyError) as err:
        budgets_policy(budget)
    text = str(err.value)
    assert text.startswith(f"test-policy.yaml:{line}: field {field}:"), text
    assert message in text


def test_trust_errors_and_the_shipped_table() -> None:
    with pytest.raises(TrustError, match=r"t.yaml:3: field levels\[0\].when.verdict_in\[0\]"):
        load_trust_text("levels:\n  - name: x\n    when: {verdict_in: [evil]}\n"
                        "    multiplier: 1\n  - {name: y, multiplier: 1}\n", "t.yaml")  # fmt: skip
    with pytest.raises(TrustError, match="last level must have no conditions"):
        load_trust_text("levels:\n  - {name: x, multiplier: 1, when: {in_org: true}}\n", "t.yaml")
    with pytest.raises(TrustError, match=r"t.yaml:2: field levels\[0\].multiplier"):
        load_trust_text("levels:\n  - {name: x, multiplier: -2}\n", "t.yaml")
    shipped = load_trust()
    from distillguard.gateway.state import AccountView
    from distillguard.gateway.trust import TrustFacts

    def level(view: AccountView | None = None, **facts: Any) -> str:
        return shipped.level_of(TrustFacts(**facts), view or AccountView(), NOW).name

    young = NOW - dt.timedelta(days=3)
    assert level(tier="edu", created_at=young) == "new-farmed-tier"
    assert level(tier="edu", created_at=OLD) == "farmed-tier"
    assert level(tier="enterprise", verified=True) == "enterprise"
    assert level(verified=True, paid_usd=500.0, created_at=OLD) == "established"
    assert level(verified=True, paid_usd=500.0, created_at=OLD, chargebacks=2) == "chargebacks"
    assert level(AccountView(batch_verdict="block"), tier="enterprise", verified=True) == (
        "flagged-batch"
    )
    assert level() == "standard"
    # The shipped policy's budgets load, and every multiplier is a number.
    assert {b.name for b in load_policy().budgets} >= {"reasoning-tokens-day"}


def test_keys_table_carries_the_facts_trust_reads(tmp_path: Path) -> None:
    p = tmp_path / "keys.csv"
    p.write_text(
        "api_key,account_id,tier,verified,paid_usd,chargebacks\n"
        "k1,a1,edu,true,12.5,0\nk2,a2,,no,,\n"
    )
    keys = load_keys(p)
    assert (keys["k1"].verified, keys["k1"].paid_usd, keys["k1"].chargebacks) == (True, 12.5, 0)
    assert (keys["k2"].verified, keys["k2"].paid_usd, keys["k2"].chargebacks) == (False, None, None)
    p.write_text("api_key,account_id,verified\nk1,a1,maybe\n")
    with pytest.raises(InputError, match=r"keys.csv:2: field verified: expected true or false"):
        load_keys(p)
    p.write_text("api_key,account_id,chargebacks\nk1,a1,1.5\n")
    with pytest.raises(DistillguardError, match="field chargebacks: expected a whole number"):
        load_keys(p)


# ----------------------------------------------------------------- state: both backends
@pytest.fixture(params=["memory", "redis"])
def make_state(request: pytest.FixtureRequest) -> Callable[[], State]:
    def make() -> State:
        if request.param == "memory":
            return MemoryState()
        server: RedisServer = request.getfixturevalue("redis_server")
        return RedisState(server.url, prefix=f"b{uuid.uuid4().hex[:8]}:")

    return make


def test_spend_reserve_stop_and_reset(make_state: Callable[[], State]) -> None:
    t0 = 1_800_000_000.0  # a replay's time: sub-buckets of an hour (day window)
    c = BudgetCounter("b|reasoning_answers|day|account|a", 3600, 24, stop=3.0, reserve=1)

    async def go() -> list[Any]:
        s = make_state()
        got: list[Any] = [await s.budget_check([c], at=t0 + i) for i in range(4)]
        # Three reserved; the fourth reached the stop and reserved nothing.
        await s.budget_spend([BudgetSpend(c.key, c.slot(t0), -1, c.ttl)])  # one gave back
        got.append(await s.budget_check([c], at=t0 + 10))
        ttl = await s._client.ttl(s._k("bx", c.key)) if isinstance(s, RedisState) else None
        # 23 hours on: still in the window; 24 hours on: out of it (the budget resets).
        read = BudgetCounter(c.key, 3600, 24)
        got.append(await s.budget_check([read], at=t0 + 23 * 3600))
        got.append(await s.budget_check([read], at=t0 + 24 * 3600 + 1))
        got.append(ttl)
        await s.close()
        return got

    got = asyncio.run(go())
    assert [(r.ok, r.spent) for r in got[:4]] == [
        (True, (0.0,)), (True, (1.0,)), (True, (2.0,)), (False, (3.0,))
    ]  # fmt: skip
    assert (got[4].ok, got[4].spent) == (True, (2.0,))  # and it reserved again: 3
    assert got[5].spent == (3.0,)
    assert got[6].spent == (0.0,)
    assert got[6].now == pytest.approx(t0 + 24 * 3600 + 1)
    if got[7] is not None:
        assert 0 < got[7] <= c.ttl  # Redis forgets an idle counter by itself


def test_one_counter_at_its_stop_refuses_all_and_reserves_nowhere(
    make_state: Callable[[], State],
) -> None:
    a = BudgetCounter("x|reasoning_answers|hour|account|a", 300, 12, stop=1.0, reserve=1)
    b = BudgetCounter("y|reasoning_answers|hour|org|o", 300, 12, stop=10.0, reserve=1)

    async def go() -> tuple[Any, ...]:
        s = make_state()
        first = await s.budget_check([a, b], at=1e9)
        second = await s.budget_check([a, b], at=1e9)
        third = await s.budget_check([a, b], at=1e9)
        await s.close()
        return first, second, third

    first, second, third = asyncio.run(go())
    assert (first.ok, second.ok) == (True, False)
    assert third.spent == (1.0, 1.0)  # the refused check reserved in neither


def test_view_and_budgets_in_one_round_trip(
    make_state: Callable[[], State], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model route's one state call: the view, and a check as atomic as budget_check."""
    c = BudgetCounter("v|reasoning_answers|day|account|a", 3600, 24, stop=2.0, reserve=1)
    calls: list[int] = []

    async def go() -> tuple[list[Any], Any]:
        s = make_state()
        await s.update_views({"a": {"verdict": "watch", "campaign_id": "c1"}})
        if isinstance(s, RedisState):
            real = s._call

            async def counted(aw: Any) -> Any:
                calls.append(1)
                return await real(aw)

            monkeypatch.setattr(s, "_call", counted)
        got = [await s.view_and_budgets("a", [c], at=1e9) for _ in range(3)]
        empty = await s.view_and_budgets("nobody", [], at=1e9)
        await s.close()
        return got, empty

    got, empty = asyncio.run(go())
    assert [v for v, _ in got] == [{"verdict": "watch", "campaign_id": "c1"}] * 3
    assert [(r.ok, r.spent) for _, r in got] == [
        (True, (0.0,)), (True, (1.0,)), (False, (2.0,))
    ]  # fmt: skip
    assert empty[0] == {}
    assert empty[1].spent == ()
    if calls:
        assert len(calls) == 4  # one round trip each (no counters: the view alone)


def _applied(trust: str, *, campaign: str | None = None, withheld: bool = False) -> list[Any]:
    policy = budgets_policy(
        "  - {name: answers, unit: reasoning_answers, window: day, limit: 4,\n"
        "     responses: [{at: 1.0, action: require_verification}]}\n"
        "  - {name: camp, per: campaign, unit: reasoning_tokens, window: day, limit: 100,\n"
        "     responses: [{at: 1.0, action: block}]}\n"
    )
    table = load_trust_text(TRUST, "trust.yaml")
    level = next(lvl for lvl in table.levels if lvl.name == trust)
    return BudgetGuard(policy.budgets).applicable(
        account_id="a", org_id=None, campaign_id=campaign, trust=level, n=1, withheld=withheld
    )


def test_a_check_made_on_a_guess_stands_or_is_made_again() -> None:
    std, flagged = _applied("standard"), _applied("flagged")
    # Same counters and stops: the read stands, nothing to give back.
    read = BudgetRead(True, 1e9, (1.0,))
    assert adopt(std, read, std) == (read, [])
    # Guessed a higher stop and reserved; the real (lower) stop is reached: the read
    # stands, the budget's levels refuse and the request gives its reservation back.
    read = BudgetRead(True, 1e9, (2.0,))
    assert adopt(std, read, flagged) == (read, [])
    assert _applied("flagged")[0].budget.reached(2.0, 4 * 0.5)
    # Guessed a lower stop and was refused, but the real stop is not reached: check again.
    assert adopt(flagged, BudgetRead(False, 1e9, (2.0,)), std) == (None, [])
    # Refused on the guess and on the real stop alike: it stands (nothing reserved).
    refused = BudgetRead(False, 1e9, (4.0,))
    assert adopt(flagged, refused, std) == (refused, [])
    # The guess reserved an answer the real request does not (its reasoning is withheld).
    read = BudgetRead(True, 1e9, (0.0,))
    held = _applied("standard", withheld=True)
    assert adopt(std, read, held) == (read, [BudgetSpend(std[0].counter.key, 277_777, -1, 90_000)])
    # Other counters (the view named a campaign): give the guess back, check again.
    camp = _applied("standard", campaign="c9")
    assert adopt(std, read, camp) == (None, [BudgetSpend(std[0].counter.key, 277_777, -1, 90_000)])
    assert adopt(camp, read, std)[0] is None


def test_a_changed_view_between_requests_keeps_the_budget_exact(
    upstream: str, tmp_path: Path, make_state: Callable[[], State]
) -> None:
    """The guess is the account's last view; when the view changed, the budget still holds."""
    policy = budgets_policy(
        "  - {name: answers, unit: reasoning_answers, window: day, limit: 4,\n"
        "     responses: [{at: 1.0, action: require_verification}]}\n",
        "  - {name: blocked, action: block, when: {batch_verdict_in: [block]}}\n"
        "  - {name: default, action: allow}\n",
    )
    (answers,) = policy.budgets
    state = make_state()

    def beside() -> State:
        # The gateway's Redis client lives on its own loop: another client, same keys.
        if isinstance(state, RedisState):
            return RedisState(state.url, prefix=state.prefix)
        return state

    def views(updates: dict[str, dict[str, str]]) -> None:
        async def go() -> None:
            side = beside()
            await side.update_views(updates)
            if side is not state:
                await side.close()

        asyncio.run(go())

    def count() -> float:
        async def go() -> float:
            side = beside()
            got = await side.budget_check([counter(answers, "acct-a")])
            if side is not state:
                await side.close()
            return got.spent[0]

        return asyncio.run(go())

    # Batch verdicts (the scorer writes the online ones, and would race the test's).
    trust = load_trust_text(
        "levels:\n  - {name: flagged, multiplier: 0.5, when: {batch_verdict_in: [restrict]}}\n"
        "  - {name: standard, multiplier: 1.0}\n",
        "trust.yaml",
    )
    with gateway(upstream, tmp_path, policy, state=state, trust=trust) as (c, _):
        assert [post(c, "k-a", CHAT).status_code for _ in range(2)] == [200, 200]
        # Flagged now (trust 0.5, limit 2): the guess (standard, limit 4) reserved, the
        # real budget refuses and gives the reservation back.
        views({"acct-a": {"batch_verdict": "restrict"}})
        assert post(c, "k-a", CHAT).status_code == 403
        wait_for(lambda: count() == 2)
        # Standard again: the guess (flagged) was refused; the real check lets it through.
        views({"acct-a": {"batch_verdict": "allow"}})
        assert post(c, "k-a", CHAT).status_code == 200
        wait_for(lambda: count() == 3)
        # Refused by a rule: the reservation made with the view is given back.
        views({"acct-a": {"batch_verdict": "block"}})
        assert post(c, "k-a", CHAT).json()["error"]["reason"] == "policy"
        wait_for(lambda: count() == 3)  # in the background, as every release
        views({"acct-a": {"batch_verdict": "allow"}})
        assert [post(c, "k-a", CHAT).status_code for _ in range(2)] == [200, 403]
        wait_for(lambda: count() == 4)
        time.sleep(0.1)
        assert count() == 4
    asyncio.run(state.close())


# ----------------------------------------------------------------- trust and capability
def test_trust_scales_the_budget(upstream: str, tmp_path: Path) -> None:
    policy = budgets_policy(
        "  - name: answers\n    unit: reasoning_answers\n    window: day\n    limit: 4\n"
        "    responses:\n      - {at: 1.0, strip_reasoning: true}\n"
    )
    state = MemoryState()
    with gateway(upstream, tmp_path, policy, state=state) as (c, _):
        served = {k: [has_reasoning(post(c, k, CHAT)) for _ in range(18)]
                  for k in ("k-edu", "k-a", "k-ent")}  # fmt: skip
    # limit 4 times 0.25 (a new edu account), 1 (standard), 4 (verified enterprise).
    assert served["k-edu"] == [True] + [False] * 17
    assert served["k-a"] == [True] * 4 + [False] * 14
    assert served["k-ent"] == [True] * 16 + [False] * 2
    recs = decisions(tmp_path)
    assert {r["trust"] for r in recs if r["account"] == "acct-edu"} == {"new-farmed"}
    stripped = [r for r in recs if r.get("budgets")]
    assert len(stripped) == 17 + 14 + 2
    first = next(r for r in stripped if r["account"] == "acct-edu")
    assert first["budgets"] == [{
        "budget": "answers", "per": "account", "id": "acct-edu", "unit": "reasoning_answers",
        "window": "day", "spent": 1, "limit": 1, "at": 1.0, "response": "strip_reasoning",
    }]  # fmt: skip
    assert "strip_reasoning" in first["modified"]
    assert first["action"] == "allow"


def test_budgets_per_capability(upstream: str, tmp_path: Path) -> None:
    policy = budgets_policy(
        "  - name: coding-tokens\n    unit: completion_tokens\n    window: hour\n    limit: 60\n"
        "    capability: [coding]\n"
        "    responses:\n      - {at: 1.0, action: require_verification}\n"
    )
    budget = policy.budgets[0]
    state = MemoryState()
    with gateway(upstream, tmp_path, policy, state=state) as (c, _):
        for _ in range(3):
            assert post(c, "k-a", MATH).status_code == 200
        wait_for(lambda: len(read_records(tmp_path / "audit.jsonl", "signals")) == 3)
        assert spent(state, budget, "acct-a") == 0  # labelled math: not this budget
        for _ in range(3):
            assert post(c, "k-a", CODING).status_code == 200
        # Labelled by the scorer, off the request path: the coding answers only.
        per_answer = outcomes(tmp_path)[-1]["completion_tokens"]
        assert per_answer * 3 >= 60
        wait_for(lambda: spent(state, budget, "acct-a") == 3 * per_answer)
        # Over the coding budget: coding refused, math still answered in full.
        refused = post(c, "k-a", CODING)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "verification_required"
        math = post(c, "k-a", MATH)
        assert math.status_code == 200
        assert has_reasoning(math)
        assert post(c, "k-b", CODING).status_code == 200  # another account's budget
    recs = decisions(tmp_path)
    assert [r.get("capability") for r in recs[-3:]] == ["coding", "math", None]
    assert recs[-3]["action"] == "budget_require_verification"
    assert recs[-2]["rule"] == "default"
    assert "budgets" not in recs[-2]


# ----------------------------------------------------------------- value on every route
def sse_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(ln[6:]) for ln in text.split("\n") if ln.startswith("data: {")]


def test_streams_are_metered_and_the_usage_chunk_stays_hidden(
    upstream: str, tmp_path: Path
) -> None:
    policy = budgets_policy(
        "  - name: rt\n    unit: reasoning_tokens\n    window: day\n    limit: 100000\n"
        "    responses:\n      - {at: 1.0, strip_reasoning: true}\n"
    )
    budget = policy.budgets[0]
    state = MemoryState()
    with gateway(upstream, tmp_path, policy, state=state) as (c, _):
        plain = post(c, "k-a", {**CHAT, "stream": True})
        assert plain.status_code == 200
        chunks = sse_events(plain.text)
        assert not any("usage" in ch for ch in chunks), "a usage chunk the client did not ask for"
        assert plain.text.rstrip().endswith("data: [DONE]")
        wait_for(lambda: spent(state, budget, "acct-a") == MOCK_REASONING)
        asked = post(c, "k-a", {**CHAT, "stream": True, "stream_options": {"include_usage": True}})
        usage = [ch["usage"] for ch in sse_events(asked.text) if ch.get("usage")]
        assert usage
        assert usage[0]["completion_tokens_details"]["reasoning_tokens"] > 0
        wait_for(lambda: spent(state, budget, "acct-a") == 2 * MOCK_REASONING)
        comp = post(c, "k-a", {"model": "m", "prompt": "hi", "stream": True}, "/v1/completions")
        assert not any("usage" in ch for ch in sse_events(comp.text))
        wait_for(lambda: spent(state, budget, "acct-a") == 3 * MOCK_REASONING)
    recs = decisions(tmp_path)
    assert [r.get("usage_asked") for r in recs] == [True, None, True]
    outs = outcomes(tmp_path)
    assert all(o["reasoning_tokens"] == MOCK_REASONING and "estimated" not in o for o in outs)
    assert [o["value"]["reasoning_tokens"] for o in outs] == [MOCK_REASONING] * 3


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("route", ["chat", "completions", "responses"])
def test_value_counted_on_every_model_route(
    upstream: str, tmp_path: Path, route: str, stream: bool
) -> None:
    policy = budgets_policy(
        "  - name: answers\n    unit: reasoning_answers\n    window: day\n    limit: 1\n"
        "    responses:\n      - {at: 1.0, strip_reasoning: true}\n"
    )
    routes: dict[str, tuple[str, dict[str, Any]]] = {
        "chat": ("/v1/chat/completions", CHAT),
        "completions": ("/v1/completions", {"model": "m", "prompt": "hi"}),
        "responses": ("/v1/responses", {"model": "m", "input": "hi"}),
    }
    path, body = routes[route]
    state = MemoryState()
    with gateway(upstream, tmp_path, policy, state=state) as (c, _):
        first = post(c, "k-a", {**body, "stream": stream}, path)
        assert first.status_code == 200
        assert has_reasoning(first)
        wait_for(lambda: spent(state, policy.budgets[0], "acct-a") == 1)
        second = post(c, "k-a", {**body, "stream": stream}, path)
        assert second.status_code == 200
        assert not has_reasoning(second)
    outs = outcomes(tmp_path)
    assert outs[0]["value"]["reasoning_answers"] == 1
    assert outs[0]["reasoning_tokens"] > 0
    assert outs[1]["value"] == {
        "completion_tokens": outs[1]["completion_tokens"] - outs[1]["reasoning_tokens"],
        "reasoning_tokens": 0, "reasoning_answers": 0,
    }  # fmt: skip


def _no_usage_upstream() -> Starlette:
    """An upstream that streams chat without usage, whatever it is asked."""
    text = "<think>" + "r" * 40 + "</think>" + "a" * 20

    async def chat(request: Request) -> Response:
        body = json.loads(await request.body())
        assert body["stream_options"] == {"include_usage": True}  # the gateway asked

        async def gen() -> Any:
            for i in range(0, len(text), 9):
                ch = {
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {"content": text[i : i + 9]}}],
                }
                yield b"data: " + json.dumps(ch).encode() + b"\n\n"
            yield b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
            yield b"data: [DONE]\n\n"

        return StreamingResponse(gen(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


def test_the_gateway_counts_a_stream_that_carries_no_usage(tmp_path: Path) -> None:
    policy = budgets_policy(
        "  - name: rt\n    unit: reasoning_tokens\n    window: day\n    limit: 100000\n"
        "    responses:\n      - {at: 1.0, strip_reasoning: true}\n"
    )
    state = MemoryState()
    with serve(_no_usage_upstream()) as up, gateway(up, tmp_path, policy, state=state) as (c, _):
        r = post(c, "k-a", {**CHAT, "stream": True})
        assert r.status_code == 200
        assert "<think>" in r.text
        reasoning = estimate_tokens(len("<think>" + "r" * 40 + "</think>"))
        wait_for(lambda: spent(state, policy.budgets[0], "acct-a") == reasoning)
    (out,) = outcomes(tmp_path)
    assert out["estimated"] == ["completion_tokens", "reasoning_tokens"]
    assert out["estimate"] == "chars/4"
    assert out["completion_tokens"] == estimate_tokens(55 + 20)
    assert out["reasoning_tokens"] == reasoning


def test_meters_read_what_an_answer_carries() -> None:
    s = SSEStripper(reasoning=False, logprobs=False, hide_usage=True)
    raw = (
        b'data: {"choices":[{"index":0,"delta":{"reasoning_content":"abcd"}}]}\n\n'
        b'data: {"choices":[{"index":1,"delta":{"content":"<thi"}}],"usage":null}\n\n'
        b'data: {"choices":[{"index":1,"delta":{"content":"nk>xy</think>ok"}}]}\n\n'
        b'data: {"choices":[],"usage":{"completion_tokens":9}}\n\ndata: [DONE]\n\n'
    )
    out = s.feed(raw) + s.close()
    assert b"usage" not in out
    assert out.count(b"data:") == 4
    assert b'"<thi"' in out  # relayed as it was (nothing to strip)
    m = s.finish().measure()
    assert (m.completion_tokens, m.reasoning_answers, m.estimated) == (9, 2, ("reasoning_tokens",))
    assert m.reasoning_tokens == estimate_tokens(4 + len("<think>xy</think>"))
    message = {"type": "message", "content": [{"type": "output_text", "text": "hi"}]}
    body = {
        "output": [{"type": "reasoning", "summary": [{"text": "plan"}]}, message],
        "usage": {"output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 3}},
    }
    m = seen_in_body(body).measure()
    assert (m.completion_tokens, m.reasoning_tokens, m.reasoning_answers) == (7, 3, 1)
    assert m.served(reasoning_withheld=True) == {
        "completion_tokens": 4, "reasoning_tokens": 0, "reasoning_answers": 0
    }  # fmt: skip


# ----------------------------------------------------------------- whose budget
def test_no_header_or_body_field_changes_whose_budget_is_spent(
    upstream: str, tmp_path: Path
) -> None:
    policy = budgets_policy(
        "  - {name: acct, unit: reasoning_answers, window: day, limit: 100,\n"
        "     responses: [{at: 1.0, strip_reasoning: true}]}\n"
        "  - {name: org, per: org, unit: reasoning_answers, window: day, limit: 100,\n"
        "     responses: [{at: 1.0, strip_reasoning: true}]}\n"
        "  - {name: camp, per: campaign, unit: reasoning_answers, window: day, limit: 100,\n"
        "     responses: [{at: 1.0, strip_reasoning: true}]}\n"
    )
    acct, org, camp = policy.budgets
    state = MemoryState()
    spoof = {
        "openai-organization": "org-c", "openai-project": "p", "x-distillguard-account": "acct-c",
        "x-distillguard-org": "org-c", "x-account-id": "acct-c", "x-org-id": "org-c",
        "x-campaign-id": "c-x", "x-forwarded-for": "10.9.9.9",
    }  # fmt: skip
    body = {**CHAT, "user": "acct-c", "metadata": {"account_id": "acct-c", "org_id": "org-c"}}
    views = {"acct-a": {"campaign_id": "c-1"}}
    with gateway(upstream, tmp_path, policy, state=state, views=views) as (c, _):
        for _ in range(3):
            assert post(c, "k-a", body, **spoof).status_code == 200
        assert post(c, "k-b", {**CHAT, "user": "acct-a"}).status_code == 200
        wait_for(lambda: spent(state, org, "org-a") == 4)
    assert spent(state, acct, "acct-a") == 3
    assert spent(state, acct, "acct-b") == 1
    assert spent(state, camp, "c-1") == 3
    for name in ("acct-c", "org-c", "c-x"):
        for b in (acct, org, camp):
            assert spent(state, b, name) == 0
    assert {r["account"] for r in decisions(tmp_path)} == {"acct-a", "acct-b"}


# ----------------------------------------------------------------- graduated responses
LADDER = """\
  - name: ladder
    unit: reasoning_answers
    window: hour
    limit: 2
    description: answers with reasoning per hour
    responses:
      - {at: 1.0, strip_reasoning: true}
      - {at: 1.5, max_tokens: 16}
      - {at: 2.0, action: throttle, throttle: {rate: 0.001, burst: 1}}
      - {at: 2.5, action: require_verification}
      - {at: 3.0, action: block}
"""


def test_every_graduated_response_is_audited_with_the_budget(upstream: str, tmp_path: Path) -> None:
    """Each level of the ladder: audited with budget, spend, limit and response."""
    policy = budgets_policy(LADDER)
    budget = policy.budgets[0]
    state = MemoryState()
    t0 = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    when = t0.timestamp()

    def now_spent() -> float:
        return spent(state, budget, "acct-a", at=when)

    with gateway(upstream, tmp_path, policy, state=state, trust_client_headers=True) as (c, _):

        def ask(i: int, then: float) -> httpx.Response:
            # A replay's clock (a trusted header): the spends land in t0's sub-bucket.
            ts = (t0 + dt.timedelta(seconds=i)).isoformat()
            r = post(c, "k-a", CHAT, **{"x-distillguard-ts": ts})
            wait_for(lambda: now_spent() == then)  # reservations settled
            return r

        def top_up(to: float) -> None:
            # Stripped answers no longer count reasoning answers: the test adds them.
            slot = counter(budget, "acct-a").slot(when)
            add = BudgetSpend(budget.counter_key("acct-a"), slot, int(to - now_spent()), 3900)
            asyncio.run(state.budget_spend([add]))

        first = [ask(0, 1), ask(1, 2)]
        stripped = ask(2, 2)  # 2 of 2: reasoning withheld (and not counted)
        top_up(3)
        capped = ask(3, 3)  # 1.5 times the limit: capped as well
        top_up(4)
        throttled_ok = ask(4, 4)  # 2.0: throttled, the bucket's one token
        throttled = ask(5, 4)  # then 429
        top_up(5)
        verify_ = ask(6, 5)  # 2.5: verification
        top_up(6)
        blocked = ask(7, 6)  # 3.0: block
        # An hour and a sub-bucket on, the window has moved past all of it: reset.
        ts = (t0 + dt.timedelta(hours=1, minutes=6)).isoformat()
        later = post(c, "k-a", CHAT, **{"x-distillguard-ts": ts})
    assert all(r.status_code == 200 and has_reasoning(r) for r in first)
    assert stripped.status_code == 200
    assert not has_reasoning(stripped)
    assert capped.status_code == 200
    assert not has_reasoning(capped)
    assert throttled_ok.status_code == 200
    assert not has_reasoning(throttled_ok)
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "1000"
    assert verify_.status_code == 403
    assert blocked.status_code == 403
    assert later.status_code == 200
    assert has_reasoning(later)
    recs = decisions(tmp_path)
    by_id = {r["request_id"]: r for r in recs}
    for resp, code in ((throttled, "rate_limited"), (verify_, "verification_required"),
                       (blocked, "account_blocked")):  # fmt: skip
        err = resp.json()["error"]
        assert set(err) == {"message", "type", "code", "param", "reason", "reference"}
        assert err["code"] == code
        assert err["reason"] == "budget_exhausted"
        assert "answers with reasoning per hour" in err["message"]
        assert by_id[err["reference"]]["status"] == resp.status_code
    expect = [
        ("strip_reasoning", 2, "allow"),
        ("strip_reasoning,max_tokens=16", 3, "allow"),
        ("throttle,strip_reasoning,max_tokens=16", 4, "allow"),
        ("throttle,strip_reasoning,max_tokens=16", 4, "budget_throttled"),
        ("require_verification", 5, "budget_require_verification"),
        ("block", 6, "budget_block"),
    ]
    for rec, (response, spend, action) in zip(recs[2:8], expect, strict=True):
        (entry,) = rec["budgets"]
        assert (entry["budget"], entry["response"], entry["spent"], entry["limit"]) == (
            "ladder",
            response,
            spend,
            2,
        )
        assert rec["action"] == action
    assert {"cap_max_tokens", "strip_reasoning"} <= set(recs[3]["modified"])
    assert "budgets" not in recs[8]
    assert recs[8]["action"] == "allow"
    assert verify(tmp_path / "audit.jsonl").ok


def test_rule_refusals_carry_reason_and_reference(upstream: str, tmp_path: Path) -> None:
    policy = budgets_policy(
        "  - {name: a, unit: reasoning_answers, window: day, limit: 9,\n"
        "     responses: [{at: 1.0, strip_reasoning: true}]}\n",
        "  - {name: blocked, action: block, when: {batch_verdict_in: [block]}}\n",
    )
    state = MemoryState()
    with gateway(upstream, tmp_path, policy, state=state,
                 views={"acct-a": {"batch_verdict": "block"}}) as (c, _):  # fmt: skip
        r = post(c, "k-a", CHAT)
    err = r.json()["error"]
    assert (r.status_code, err["code"], err["reason"]) == (403, "account_blocked", "policy")
    (rec,) = decisions(tmp_path)
    assert err["reference"] == rec["request_id"] == r.headers["x-request-id"]
    assert "trust" not in rec  # decided by the rule: no budget was read


# ----------------------------------------------------------------- replicas on one Redis
def test_three_replicas_on_one_redis_keep_the_budget(
    upstream: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    """200 concurrent requests on one account through three gateways sharing Redis."""
    # Answers: 50 whatever the trust; tokens: 500 times the trust (4 for acct-ent), so
    # acct-ent meets the answers budget first and acct-b the tokens budget.
    policy = budgets_policy(
        "  - {name: answers, unit: reasoning_answers, window: day, limit: 50, trust: fixed,\n"
        "     responses: [{at: 1.0, action: require_verification}]}\n"
        "  - {name: tokens, unit: reasoning_tokens, window: day, limit: 500,\n"
        "     responses: [{at: 1.0, action: require_verification}]}\n"
    )
    answers, tokens = policy.budgets
    prefix = f"r{uuid.uuid4().hex[:6]}:"
    with ExitStack() as stack:
        urls = []
        for i in range(3):
            cfg = GatewayConfig(
                upstream=upstream, keys=KEYS, policy=policy,
                state=RedisState(redis_server.url, prefix=prefix),
                trust=load_trust_text(TRUST, "trust.yaml"),
                audit_path=tmp_path / f"audit{i}.jsonl", scorer="inline",
            )  # fmt: skip
            urls.append(stack.enter_context(serve(create_app(cfg))))

        async def run(key: str, n: int, limit: int) -> list[int]:
            gate = asyncio.Semaphore(limit)
            async with httpx.AsyncClient(timeout=60) as client:

                async def one(i: int) -> int:
                    async with gate:
                        r = await client.post(
                            urls[i % 3] + "/v1/chat/completions", json=CHAT,
                            headers={"authorization": f"Bearer {key}"},
                        )  # fmt: skip
                        return r.status_code

                return list(await asyncio.gather(*(one(i) for i in range(n))))

        # Reserved at the check: all 200 at once, and no more answers than the budget.
        got = asyncio.run(run("k-ent", 200, 200))
        # Tokens are measured at the outcome: overspend at most the requests in flight.
        got_b = asyncio.run(run("k-b", 200, 20))

        async def read() -> tuple[float, ...]:
            check = RedisState(redis_server.url, prefix=prefix)
            for _ in range(200):  # the last spends land just after the answers
                got = await check.budget_check(
                    [counter(answers, "acct-ent"), counter(tokens, "acct-b")]
                )
                if got.spent[1] == got_b.count(200) * MOCK_REASONING:
                    break
                await asyncio.sleep(0.02)
            await check.close()
            return got.spent

        spent_a, spent_b = asyncio.run(read())
    assert got.count(200) == 50
    assert got.count(403) == 150
    assert spent_a == 50  # reserved at the check: not one answer over
    in_flight = 20
    assert 500 <= spent_b <= 500 + in_flight * MOCK_REASONING
    assert got_b.count(200) * MOCK_REASONING == spent_b
    assert got_b.count(200) <= -(-500 // MOCK_REASONING) + in_flight
    records = [r for i in range(3) for r in read_records(tmp_path / f"audit{i}.jsonl")]
    assert len([r for r in records if r["kind"] == "decision"]) == 400


# ----------------------------------------------------------------- the docs
def test_the_policy_doc_example_runs_and_its_defaults_match_the_shipped_policy() -> None:
    """docs/policy.md: its worked example runs as written; its table names every budget."""
    import re
    import types

    doc = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text("utf-8")
    (block,) = re.findall(r"^```python\n(.*?)^```$", doc, re.DOTALL | re.MULTILINE)
    module = types.ModuleType("policy_doc_example")
    exec(compile(block, "docs/policy.md", "exec"), module.__dict__)
    for b in load_policy().budgets:
        assert f"| `{b.name}` |" in doc, f"docs/policy.md does not list budget {b.name}"
    for lvl in load_trust().levels:
        assert f"`{lvl.name}`" in doc, f"docs/policy.md does not name trust level {lvl.name}"
