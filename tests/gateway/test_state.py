"""One conformance suite for every state backend (memory, Redis), and Redis outages."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from distillguard.gateway.online import FoldItem, RawProfile, merge_profile
from distillguard.gateway.redis_state import RedisState
from distillguard.gateway.state import MemoryState, State, StateUnavailable
from tests.gateway.conftest import RedisServer

T0 = int(dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC).timestamp() * 1_000_000)


@pytest.fixture(params=["memory", "redis"])
def make_state(request: pytest.FixtureRequest) -> Callable[[], State]:
    """A factory of fresh, isolated backends of each kind."""

    def make() -> State:
        if request.param == "memory":
            s: State = MemoryState()
        else:
            server: RedisServer = request.getfixturevalue("redis_server")
            s = RedisState(server.url, prefix=f"t{uuid.uuid4().hex[:8]}:")
        return s

    return make


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def _item(
    acct: str, sec: float, day: str = "2026-03-01", tier: str = "free", **sums: float
) -> FoldItem:
    ts = T0 + int(sec * 1e6)
    return FoldItem(
        account_id=acct, day=day, ts_us=ts,
        sums={"n": 1.0, **sums}, mins={"first_ts": ts}, maxs={"last_ts": ts},
        latest={"tier": (ts, tier)},
        keys=(("ip", "10.0.0.1"), ("model", f"m{int(sec) % 20 == 0}")),
    )  # fmt: skip


def test_fold_sums_gaps_keys_and_attrs(make_state: Callable[[], State]) -> None:
    async def go() -> RawProfile:
        s = make_state()
        await s.fold([_item("a", 0, cot_n=1.0), _item("a", 10), _item("a", 40, cot_n=1.0)])
        await s.fold([_item("b", 5)])
        raw = await s.raw_profile("a")
        await s.close()
        return raw

    raw = run(go())
    day = raw.days["2026-03-01"]
    assert day["n"] == 3
    assert day["cot_n"] == 2
    assert day["gap_n"] == 2
    assert day["gap_sum"] == pytest.approx(40.0)
    assert day["gap_sq_sum"] == pytest.approx(100.0 + 900.0)
    assert day["first_ts"] == T0
    assert day["last_ts"] == T0 + 40_000_000
    assert raw.keys["2026-03-01"][("ip", "10.0.0.1")] == 3
    assert raw.keys["2026-03-01"][("model", "mTrue")] == 2
    assert raw.latest == {"2026-03-01": {"tier": (T0 + 40_000_000, "free")}}
    prof = merge_profile("a", raw)
    assert prof["tier"] == "free"
    assert prof["distinct_models"] == 2
    assert prof["active_days"] == 1


def test_old_days_are_pruned(make_state: Callable[[], State]) -> None:
    async def go() -> tuple[RawProfile, RawProfile]:
        s = make_state()
        await s.fold([_item("a", 0, day="2026-01-01"), _item("a", 1, day="2026-03-01")])
        pruned = await s.raw_profile("a", first_day="2026-02-01")
        after = await s.raw_profile("a")
        await s.close()
        return pruned, after

    pruned, after = run(go())
    assert list(pruned.days) == ["2026-03-01"] == list(after.days)
    assert list(after.keys) == ["2026-03-01"] == list(after.latest)


def test_views_merge_field_by_field(make_state: Callable[[], State]) -> None:
    async def go() -> tuple[dict[str, str], dict[str, str]]:
        s = make_state()
        await s.update_views({"a": {"risk": "0.5", "verdict": "watch"}})
        await s.update_views({"a": {"batch_verdict": "block"}, "b": {"campaign_id": "c1"}})
        await s.fold([_item("a", 0)])  # attributes never leak into the view
        out = await s.view("a"), await s.view("zzz")
        await s.close()
        return out

    a, missing = run(go())
    assert a == {"risk": "0.5", "verdict": "watch", "batch_verdict": "block"}
    assert missing == {}


def test_token_bucket(make_state: Callable[[], State]) -> None:
    async def go() -> list[bool]:
        s = make_state()
        got = [await s.take("x", rate=0.001, burst=3) for _ in range(5)]
        got.append(await s.take("other", rate=0.001, burst=1))
        await asyncio.sleep(0.25)
        got.append(await s.take("fast", rate=1000, burst=1))
        got.append(await s.take("fast", rate=1000, burst=1) or await _later(s))
        await s.close()
        return got

    async def _later(s: State) -> bool:
        await asyncio.sleep(0.01)
        return await s.take("fast", rate=1000, burst=1)

    assert run(go()) == [True, True, True, False, False, True, True, True]


def test_token_bucket_on_given_times(make_state: Callable[[], State]) -> None:
    """A replay is throttled on the logged times (rate 1 per 10 s, burst 2)."""

    async def go() -> list[bool]:
        s = make_state()
        t = 1_770_000_000.0
        got = [await s.take("r", rate=0.1, burst=2, at=t + dt_) for dt_ in (0, 1, 2, 12, 13)]
        # Out of order by a second: no refill backwards, no crash.
        got.append(await s.take("r", rate=0.1, burst=2, at=t + 12))
        got.append(await s.take("r", rate=0.1, burst=2, at=t + 40))
        await s.close()
        return got

    assert run(go()) == [True, True, False, True, False, False, True]


def test_out_of_order_events_fold_exactly(make_state: Callable[[], State]) -> None:
    """A late event splits its neighbours' gap; a later fold never moves the tier back."""

    async def go() -> RawProfile:
        s = make_state()
        await s.fold([_item("a", 0), _item("a", 30, tier="paid")])
        # Finished late (another replica, a slow request), and before the upgrade.
        await s.fold([_item("a", 20)])
        await s.fold([_item("a", 20), _item("a", -5)])  # the same instant again; a first
        raw = await s.raw_profile("a")
        await s.close()
        return raw

    raw = run(go())
    day = raw.days["2026-03-01"]
    assert day["n"] == 5
    # Times -5, 0, 20, 20, 30: gaps 5, 20, 0, 10, as the batch store computes them.
    assert day["gap_n"] == 4
    assert day["gap_sum"] == pytest.approx(35.0)
    assert day["gap_sq_sum"] == pytest.approx(25.0 + 400.0 + 100.0)
    assert day["last_ts"] == T0 + 30_000_000
    assert day["first_ts"] == T0 - 5_000_000
    assert merge_profile("a", raw)["tier"] == "paid"


def test_latest_ties_go_to_the_greatest_value(make_state: Callable[[], State]) -> None:
    async def go() -> list[str | None]:
        s = make_state()
        await s.fold([_item("a", 0, tier="b"), _item("a", 0, tier="a")])
        await s.fold([_item("b", 0, tier="a"), _item("b", 0, tier="é"), _item("b", 0, tier="z")])
        raws = await s.raw_profiles(["a", "b"])
        await s.close()
        return [merge_profile(k, raw)["tier"] for k, raw in sorted(raws.items())]

    assert run(go()) == ["b", "é"]


def test_redis_outage_raises_fast_and_recovers(redis_server: RedisServer) -> None:
    async def go() -> None:
        s = RedisState(redis_server.url, prefix="outage:", cooldown_s=0.2, timeout_s=0.2)
        await s.update_views({"a": {"risk": "0.1"}})
        redis_server.stop()
        try:
            with pytest.raises(StateUnavailable):
                await s.view("a")
            t = asyncio.get_running_loop().time()
            with pytest.raises(StateUnavailable, match="cooling down"):
                await s.view("a")
            assert asyncio.get_running_loop().time() - t < 0.05
        finally:
            redis_server.start()
        await asyncio.sleep(0.25)
        await s.update_views({"a": {"risk": "0.2"}})
        assert await s.view("a") == {"risk": "0.2"}
        await s.close()

    run(go())
