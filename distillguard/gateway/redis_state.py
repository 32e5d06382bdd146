"""Redis-backed gateway state, shared by several gateway replicas.

Layout (``prefix`` defaults to ``dg:``):

- ``{prefix}p:{account}`` hash, field ``{day}|{part}``: profile parts
  (timestamps as integer microseconds; a latest-value part as ``{at}|{value}``);
- ``{prefix}k:{account}`` hash, field ``{day}|{kind}|{key}``: key counts;
- ``{prefix}t:{account}`` sorted set: the account's distinct event times
  (microseconds), which the gap parts need;
- ``{prefix}a:{account}`` hash: the account view;
- ``{prefix}tb:{bucket}`` hash: a token bucket (``tokens``, ``ts``);
- ``{prefix}bx:{counter}`` hash, field ``{sub-bucket}``: a budget's spend per
  sub-bucket of its rolling window (integers; it expires a window after its last
  write, and sub-buckets out of the window are deleted when it is checked);
- ``{prefix}meta`` hash: what the gateways keep about the store (which version of
  the batch results it holds).

Updates that read before they write run as Lua scripts, so concurrent replicas
never lose an update: an event's fold (its time inserted among the day's, its
neighbours returned for the gap parts, min/max/latest parts compared and set) and
the token bucket and the budget check (both use the Redis clock, so replicas
agree on time).  A budget check reads every counter of the request and, only if
none has reached its stop, reserves in all of them, in one script: replicas
never both take the last of a budget; the model route's view read is the same
script (one round trip for both).  Sums
and key counts are plain increments.  What each part is and how it folds comes
from :mod:`distillguard.profiles.fold`; nothing here names a part.

When Redis cannot be reached every call raises
:class:`~.state.StateUnavailable` quickly: after a connection failure the backend
does not try again for ``cooldown_s`` seconds, so a dead Redis costs requests
nothing; redis-py reconnects by itself once Redis is back.  A slow answer or a
wait for a free connection is load, not an outage: that call fails, and only
:data:`_TRIP` of them in a row (a Redis that hangs) start the cool-down.
Connections come from a bounded pool that makes callers wait for a free one
rather than fail at once: 200 requests in flight must not look like a dead Redis.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, TypeVar, cast

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from distillguard.gateway.state import (
    BudgetCounter,
    BudgetRead,
    BudgetSpend,
    State,
    StateSpec,
    StateUnavailable,
)
from distillguard.profiles.fold import (
    FoldItem,
    RawProfile,
    day_bounds_us,
    decode_pick,
    encode_number,
    encode_pick,
)

T = TypeVar("T")

#: Slow calls in a row (timeouts, waits for a connection) that start the cool-down.
_TRIP = 3

# One event's order-dependent fold, atomic.  KEYS: parts hash, times sorted set.
# ARGV: day, ts, day start, day end (exclusive; microseconds), then (op, part, value)
# triples with op min | max | latest.  Inserts ts among the account's times and
# returns its neighbours in the day: the latest time <= ts and the earliest > ts.
# A latest pick is "at|value": the later at wins, then the greater value byte by
# byte (UTF-8 bytes order as code points do, as in Python and DuckDB).
_FOLD = """
local function later(a, b)
  local i, j = string.find(a, '|', 1, true), string.find(b, '|', 1, true)
  local ta, tb = tonumber(string.sub(a, 1, i - 1)), tonumber(string.sub(b, 1, j - 1))
  if ta ~= tb then return ta > tb end
  local va, vb = string.sub(a, i + 1), string.sub(b, j + 1)
  for k = 1, math.min(#va, #vb) do
    local x, y = string.byte(va, k), string.byte(vb, k)
    if x ~= y then return x > y end
  end
  return #va > #vb
end
local ts = ARGV[2]
local pred = redis.call('ZREVRANGEBYSCORE', KEYS[2], ts, ARGV[3], 'LIMIT', 0, 1)[1]
local succ = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ts, '(' .. ARGV[4], 'LIMIT', 0, 1)[1]
redis.call('ZADD', KEYS[2], ts, ts)
for i = 5, #ARGV, 3 do
  local op, f, v = ARGV[i], ARGV[1] .. '|' .. ARGV[i + 1], ARGV[i + 2]
  local cur = redis.call('HGET', KEYS[1], f)
  local set = not cur
  if cur then
    if op == 'min' then set = tonumber(v) < tonumber(cur)
    elseif op == 'max' then set = tonumber(v) > tonumber(cur)
    else set = later(v, cur) end
  end
  if set then redis.call('HSET', KEYS[1], f, v) end
end
return {pred or false, succ or false}
"""

_TAKE = """
local now = tonumber(ARGV[4])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1]) or burst
local last = tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local ok = 0
if tokens >= cost then
  tokens = tokens - cost
  ok = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
           'ts', string.format('%.17g', math.max(now, last)))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / math.max(rate, 1e-9)) + 60)
return ok
"""

# Budget check, atomic.  KEYS[first..]: counter hashes.  ARGV[1]: the time ('' = the
# Redis clock); then per key: sub-bucket seconds, sub-buckets, stop ('' = none),
# reserve, ttl.  Returns {ok, now, spent...}: spent is each window's sum before this
# request.  A function so that the view read below shares it.
_BUDGET_FN = """
local function budget(first)
  local now = tonumber(ARGV[1])
  if not now then
    local t = redis.call('TIME')
    now = tonumber(t[1]) + tonumber(t[2]) / 1000000
  end
  local spent, ok = {}, 1
  for i = first, #KEYS do
    local key = KEYS[i]
    local b = 2 + (i - first) * 5
    local g, n, stop = tonumber(ARGV[b]), tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
    local cur = math.floor(now / g)
    local flat = redis.call('HGETALL', key)
    local s, old = 0, {}
    for j = 1, #flat, 2 do
      local slot = tonumber(flat[j])
      if slot <= cur - n then
        old[#old + 1] = flat[j]
      elseif slot <= cur then
        s = s + tonumber(flat[j + 1])
      end
    end
    if #old > 0 then redis.call('HDEL', key, unpack(old)) end
    if s < 0 then s = 0 end
    spent[#spent + 1] = s
    if stop and s >= stop then ok = 0 end
  end
  if ok == 1 then
    for i = first, #KEYS do
      local b = 2 + (i - first) * 5
      local reserve = tonumber(ARGV[b + 3])
      if reserve > 0 then
        redis.call('HINCRBY', KEYS[i], math.floor(now / tonumber(ARGV[b])), reserve)
        redis.call('EXPIRE', KEYS[i], tonumber(ARGV[b + 4]))
      end
    end
  end
  local out = {ok, string.format('%.6f', now)}
  for i = 1, #spent do out[#out + 1] = string.format('%.17g', spent[i]) end
  return out
end
"""
_BUDGET = _BUDGET_FN + "return budget(1)\n"

# The account view and a budget check in one round trip (the model route's one state
# call).  KEYS[1]: the view hash, then counters as in _BUDGET.  Returns the budget
# check's reply followed by the view's fields and values.
_VIEW_BUDGET = (
    _BUDGET_FN
    + """
local out = budget(2)
local view = redis.call('HGETALL', KEYS[1])
for i = 1, #view do out[#out + 1] = view[i] end
return out
"""
)

# Budget spends: KEYS counter hashes; ARGV (sub-bucket, amount, ttl) per key.  One
# command for a whole batch of spends (cheaper than a pipeline of two per counter).
_SPEND = """
for i, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, ARGV[3 * i - 2], ARGV[3 * i - 1])
  redis.call('EXPIRE', key, ARGV[3 * i])
end
return #KEYS
"""


class RedisState(State):
    """State in Redis at ``url`` (``redis://host:port/db``)."""

    name = "redis"
    one_trip = True

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "dg:",
        timeout_s: float = 1.0,
        cooldown_s: float = 1.0,
        ttl_days: int = 35,
        max_connections: int = 64,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.timeout_s = timeout_s
        self.cooldown_s = cooldown_s
        self.ttl_days = ttl_days
        self.max_connections = max_connections
        # No retries: a request must not wait out several timeouts when Redis is down.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            # Wait as long as it takes for a free connection: each is held at most
            # ``timeout_s`` (the socket timeouts), so a wait is bounded by them.
            timeout=None,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
            decode_responses=True,
        )
        self._client = aioredis.Redis.from_pool(pool)
        self._fold_one = self._client.register_script(_FOLD)
        self._take = self._client.register_script(_TAKE)
        # Budget scripts are called by their SHA (loaded on first use, again after a
        # Redis restart): a request's check is one EVALSHA.
        self._shas: dict[str, str] = {}
        self._down_until = 0.0
        self._slow = 0

    async def _call(self, aw: Awaitable[T]) -> T:
        if time.monotonic() < self._down_until:
            # Close the coroutine we will not await (no "never awaited" warning).
            close = getattr(aw, "close", None)
            if callable(close):
                close()
            raise StateUnavailable("redis is unavailable (cooling down)", path=self.url)
        try:
            got = await aw
        except (RedisError, OSError) as exc:
            slow = isinstance(exc, RedisTimeoutError | TimeoutError)
            self._slow = self._slow + 1 if slow else _TRIP
            if self._slow >= _TRIP:
                self._down_until = time.monotonic() + self.cooldown_s
            raise StateUnavailable(f"redis is unavailable: {exc}", path=self.url) from exc
        self._slow = 0
        return got

    def _k(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{name}"

    async def _fold(self, items: Sequence[FoldItem]) -> None:
        ttl = self.ttl_days * 86_400
        pipe = self._client.pipeline(transaction=False)
        for it in items:
            start, end = day_bounds_us(it.day)
            args: list[str | int] = [it.day, it.ts_us, start, end]
            for name, value in it.mins.items():
                args += ["min", name, encode_number(value)]
            for name, value in it.maxs.items():
                args += ["max", name, encode_number(value)]
            for name, pick in it.latest.items():
                args += ["latest", name, encode_pick(pick)]
            keys = [self._k("p", it.account_id), self._k("t", it.account_id)]
            await self._fold_one(keys=keys, args=args, client=pipe)
        around = cast(list[list[str | None]], await _execute(pipe))
        pipe = self._client.pipeline(transaction=False)
        for it, (pred, succ) in zip(items, around, strict=True):
            pkey, kkey = self._k("p", it.account_id), self._k("k", it.account_id)
            gaps = it.gap_sums(_us(pred), _us(succ))
            for col, value in (*it.sums.items(), *gaps.items()):
                if value:
                    pipe.hincrbyfloat(pkey, f"{it.day}|{col}", value)
            for kind, key in it.keys:
                pipe.hincrby(kkey, f"{it.day}|{kind}|{key}", 1)
            for key in (pkey, kkey, self._k("t", it.account_id)):
                pipe.expire(key, ttl)
        await _execute(pipe)

    async def fold(self, items: Sequence[FoldItem]) -> None:
        if items:
            await self._call(self._fold(items))

    async def _raws(
        self, account_ids: Sequence[str], first_day: str | None
    ) -> dict[str, RawProfile]:
        # One round trip for all accounts (the scorer rescores a whole micro-batch).
        pipe = self._client.pipeline(transaction=False)
        for a in account_ids:
            pipe.hgetall(self._k("p", a))
            pipe.hgetall(self._k("k", a))
        got = cast(list[dict[str, str]], await _execute(pipe))
        out: dict[str, RawProfile] = {}
        stale: list[tuple[str, list[str]]] = []
        old_times: list[str] = []
        for i, a in enumerate(account_ids):
            parts, keys = got[2 * i : 2 * i + 2]
            raw = RawProfile()
            old_p, old_k = [], []
            for f, v in parts.items():
                day, col = f.split("|", 1)
                if first_day is not None and day < first_day:
                    old_p.append(f)
                    continue
                if "|" in v:  # a latest pick; numbers never hold one
                    raw.latest.setdefault(day, {})[col] = decode_pick(v)
                else:
                    raw.days.setdefault(day, {})[col] = float(v)
            for f, v in keys.items():
                day, kind, key = f.split("|", 2)
                if first_day is not None and day < first_day:
                    old_k.append(f)
                    continue
                raw.keys.setdefault(day, {})[(kind, key)] = float(v)
            if old_p:
                stale.append((self._k("p", a), old_p))
                old_times.append(self._k("t", a))
            if old_k:
                stale.append((self._k("k", a), old_k))
            out[a] = raw
        if stale:
            prune = self._client.pipeline(transaction=False)
            for key, fields in stale:
                prune.hdel(key, *fields)
            if first_day is not None:
                start, _ = day_bounds_us(first_day)
                for key in old_times:
                    prune.zremrangebyscore(key, "-inf", f"({start}")
            await _execute(prune)
        return out

    async def raw_profile(self, account_id: str, first_day: str | None = None) -> RawProfile:
        got = await self._call(self._raws([account_id], first_day))
        return got[account_id]

    async def raw_profiles(
        self, account_ids: Sequence[str], first_day: str | None = None
    ) -> dict[str, RawProfile]:
        if not account_ids:
            return {}
        return await self._call(self._raws(list(account_ids), first_day))

    def spec(self) -> StateSpec:
        return StateSpec(
            "redis",
            {"url": self.url, "prefix": self.prefix, "timeout_s": self.timeout_s,
             "cooldown_s": self.cooldown_s, "ttl_days": self.ttl_days,
             "max_connections": self.max_connections},
        )  # fmt: skip

    async def view(self, account_id: str) -> dict[str, str]:
        got: dict[str, str] = await self._call(
            cast(Awaitable[dict[str, str]], self._client.hgetall(self._k("a", account_id)))
        )
        return {k: v for k, v in got.items() if k not in _LEGACY_ATTRS}

    async def _update(self, updates: Mapping[str, Mapping[str, str]]) -> None:
        pipe = self._client.pipeline(transaction=False)
        for account_id, fields in updates.items():
            if fields:
                pipe.hset(self._k("a", account_id), mapping=dict(fields))  # type: ignore[arg-type]  # as above
        await _execute(pipe)

    async def update_views(self, updates: Mapping[str, Mapping[str, str]]) -> None:
        if updates:
            await self._call(self._update(updates))

    async def take(
        self, bucket: str, rate: float, burst: float, cost: float = 1.0, at: float | None = None
    ) -> bool:
        # An empty ARGV[4] makes the script use the Redis clock (replicas agree on it).
        when = "" if at is None else repr(at)
        got: Any = await self._call(
            self._take(keys=[self._k("tb", bucket)], args=[rate, burst, cost, when])
        )
        return int(got) == 1

    async def budget_check(
        self, counters: Sequence[BudgetCounter], at: float | None = None
    ) -> BudgetRead:
        if not counters:
            return BudgetRead(True, _clock(at), ())
        keys = [self._k("bx", c.key) for c in counters]
        got: Any = await self._call(self._script(_BUDGET, keys, _budget_args(counters, at)))
        return _budget_read(got)

    async def view_and_budgets(
        self, account_id: str, counters: Sequence[BudgetCounter], at: float | None = None
    ) -> tuple[dict[str, str], BudgetRead]:
        if not counters:
            return await self.view(account_id), BudgetRead(True, _clock(at), ())
        args = _budget_args(counters, at)
        keys = [self._k("a", account_id), *(self._k("bx", c.key) for c in counters)]
        got: Any = await self._call(self._script(_VIEW_BUDGET, keys, args))
        k = 2 + len(counters)
        flat = got[k:]
        view = {
            flat[i]: flat[i + 1] for i in range(0, len(flat), 2) if flat[i] not in _LEGACY_ATTRS
        }
        return view, _budget_read(got[:k])

    async def budget_spend(self, spends: Sequence[BudgetSpend]) -> None:
        if not spends:
            return
        args: list[str | int] = []
        for sp in spends:
            args += [sp.slot, sp.amount, sp.ttl]
        keys = [self._k("bx", sp.key) for sp in spends]
        await self._call(self._script(_SPEND, keys, args))

    async def _script(self, script: str, keys: list[str], args: list[str | int]) -> Any:
        sha = self._shas.get(script)
        if sha is not None:
            try:
                return await self._client.evalsha(sha, len(keys), *keys, *args)
            except NoScriptError:
                pass  # Redis restarted empty: load it again
        sha = await self._client.script_load(script)
        self._shas[script] = sha
        return await self._client.evalsha(sha, len(keys), *keys, *args)

    async def ping(self) -> None:
        await self._call(cast(Awaitable[Any], self._client.ping()))

    async def get_meta(self, name: str) -> str | None:
        got: str | None = await self._call(
            cast(Awaitable[str | None], self._client.hget(f"{self.prefix}meta", name))
        )
        return got

    async def set_meta(self, name: str, value: str) -> None:
        await self._call(cast(Awaitable[Any], self._client.hset(f"{self.prefix}meta", name, value)))

    async def flush_all(self) -> None:
        """Delete every key under this backend's prefix (tests, ``sync --replace``)."""

        async def go() -> None:
            async for key in self._client.scan_iter(match=f"{self.prefix}*", count=500):
                await self._client.delete(key)

        await self._call(go())

    async def close(self) -> None:
        await self._client.aclose()


async def _execute(pipe: Any) -> list[Any]:
    """Run a pipeline and release its connection whatever happens (Redis may be gone)."""
    try:
        got: list[Any] = await pipe.execute()
        return got
    finally:
        await pipe.reset()


def _clock(at: float | None) -> float:
    return time.time() if at is None else at


def _budget_args(counters: Sequence[BudgetCounter], at: float | None) -> list[str | int]:
    """ARGV of the budget check: the time, then five values per counter."""
    args: list[str | int] = ["" if at is None else repr(at)]
    for c in counters:
        stop = "" if c.stop is None else repr(float(c.stop))
        args += [c.granularity, c.slots, stop, c.reserve, c.ttl]
    return args


def _budget_read(got: Sequence[Any]) -> BudgetRead:
    return BudgetRead(int(got[0]) == 1, float(got[1]), tuple(float(v) for v in got[2:]))


def _us(member: str | None) -> float | None:
    return None if member is None else float(member)


#: Account attributes that earlier versions kept beside the view in the account
#: hash (they are profile parts now); never shown as view fields.
_LEGACY_ATTRS = frozenset({"tier", "org_id", "created_us"})
