"""Redis-backed gateway state, shared by several gateway replicas.

Layout (``prefix`` defaults to ``dg:``):

- ``{prefix}p:{account}`` hash, field ``{day}|{column}``: profile parts
  (``first_ts``/``last_ts`` as integer microseconds);
- ``{prefix}k:{account}`` hash, field ``{day}|{kind}|{key}``: key counts;
- ``{prefix}a:{account}`` hash: account attributes and the account view;
- ``{prefix}tb:{bucket}`` hash: a token bucket (``tokens``, ``ts``);
- ``{prefix}meta`` hash: what the gateways keep about the store (which version of
  the batch results it holds).

Updates that read before they write run as Lua scripts, so concurrent replicas
never lose an update: the day's ``last_ts`` swap (which the gap parts need) and
the token bucket (which uses the Redis clock, so replicas agree on time).

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
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from distillguard.gateway.online import FoldItem, RawProfile, gap_parts
from distillguard.gateway.state import State, StateSpec, StateUnavailable

T = TypeVar("T")

#: Slow calls in a row (timeouts, waits for a connection) that start the cool-down.
_TRIP = 3

# Swap the day's last_ts (keeping the max) and lower first_ts; return the old last_ts.
_SWAP_TS = """
local l = ARGV[1] .. '|last_ts'
local f = ARGV[1] .. '|first_ts'
local ts = tonumber(ARGV[2])
local prev = redis.call('HGET', KEYS[1], l)
if (not prev) or tonumber(prev) < ts then redis.call('HSET', KEYS[1], l, ARGV[2]) end
local first = redis.call('HGET', KEYS[1], f)
if (not first) or tonumber(first) > ts then redis.call('HSET', KEYS[1], f, ARGV[2]) end
return prev
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


class RedisState(State):
    """State in Redis at ``url`` (``redis://host:port/db``)."""

    name = "redis"

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
        self._swap = self._client.register_script(_SWAP_TS)
        self._take = self._client.register_script(_TAKE)
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
            await self._swap(
                keys=[self._k("p", it.account_id)], args=[it.day, it.ts_us], client=pipe
            )
        prevs = await _execute(pipe)
        pipe = self._client.pipeline(transaction=False)
        for it, prev in zip(items, prevs, strict=True):
            pkey, kkey = self._k("p", it.account_id), self._k("k", it.account_id)
            parts = {**it.sums, **gap_parts(None if prev is None else float(prev), it.ts_us)}
            for col, value in parts.items():
                if value:
                    pipe.hincrbyfloat(pkey, f"{it.day}|{col}", value)
            for kind, key in it.keys:
                pipe.hincrby(kkey, f"{it.day}|{kind}|{key}", 1)
            if it.attrs:
                # redis stubs type the mapping with an invariant key union; str keys are fine.
                pipe.hset(self._k("a", it.account_id), mapping=dict(it.attrs))  # type: ignore[arg-type]
            pipe.expire(pkey, ttl)
            pipe.expire(kkey, ttl)
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
            pipe.hgetall(self._k("a", a))
        got = cast(list[dict[str, str]], await _execute(pipe))
        out: dict[str, RawProfile] = {}
        stale: list[tuple[str, list[str]]] = []
        for i, a in enumerate(account_ids):
            parts, keys, attrs = got[3 * i : 3 * i + 3]
            raw = RawProfile(attrs={k: v for k, v in attrs.items() if k in _ATTRS})
            old_p, old_k = [], []
            for f, v in parts.items():
                day, col = f.split("|", 1)
                if first_day is not None and day < first_day:
                    old_p.append(f)
                    continue
                raw.days.setdefault(day, {})[col] = float(v)
            for f, v in keys.items():
                day, kind, key = f.split("|", 2)
                if first_day is not None and day < first_day:
                    old_k.append(f)
                    continue
                raw.keys.setdefault(day, {})[(kind, key)] = float(v)
            if old_p:
                stale.append((self._k("p", a), old_p))
            if old_k:
                stale.append((self._k("k", a), old_k))
            out[a] = raw
        if stale:
            prune = self._client.pipeline(transaction=False)
            for key, fields in stale:
                prune.hdel(key, *fields)
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
        return {k: v for k, v in got.items() if k not in _ATTRS}

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


#: Attribute fields stored beside the view in the account hash.
_ATTRS = frozenset({"tier", "org_id", "created_us"})
