"""Per-user token buckets: in-process (embedded) or in Redis (shared by every replica, one Lua call a request).

`acquire` returns 0 when the request is admitted, else the seconds until it would be.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Protocol

from shared.errors import ResourceExhausted
from shared.logging import get_logger

_log = get_logger(__name__)

MAX_TRACKED_USERS = 100_000


class RateLimiter(Protocol):
    """A token bucket per user."""

    async def acquire(self, user_id: str, cost: float = 1.0) -> float:
        """0 when admitted (tokens taken), else seconds until `cost` tokens are available."""
        ...

    async def forget_user(self, user_id: str) -> int:
        """Drops the user's bucket; returns how many were removed."""
        ...

    async def close(self) -> None:
        """Releases connections."""
        ...


def rate_limited(retry_after_s: float) -> ResourceExhausted:
    """The RESOURCE_EXHAUSTED a spent bucket answers, with RetryInfo."""
    return ResourceExhausted("rate limit reached; retry later", retry_after_seconds=max(retry_after_s, 0.001),
                             reason="RATE_LIMITED", domain="shopmesh.gateway")


class InProcessRateLimiter:
    """Buckets in this process (LRU-bounded), for the embedded mesh and a single replica."""

    def __init__(self, rate_per_s: float, burst: float):
        self._rate = rate_per_s
        self._burst = burst
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def acquire(self, user_id: str, cost: float = 1.0) -> float:
        now = time.monotonic()
        tokens, stamp = self._buckets.pop(user_id, (self._burst, now))
        tokens = min(self._burst, tokens + (now - stamp) * self._rate)
        wait = 0.0
        if tokens >= cost:
            tokens -= cost
        else:
            wait = (cost - tokens) / self._rate
        self._buckets[user_id] = (tokens, now)
        while len(self._buckets) > MAX_TRACKED_USERS:
            self._buckets.popitem(last=False)
        return wait

    async def forget_user(self, user_id: str) -> int:
        return 1 if self._buckets.pop(user_id, None) is not None else 0

    async def close(self) -> None:
        return None


# KEYS[1] bucket; ARGV rate, burst, cost. Redis TIME is the clock, so replicas with skewed clocks agree.
_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisRateLimiter:
    """Buckets in Redis; keys are `<prefix>rl:<sha256(user)[:32]>` so no raw id sits in Redis."""

    def __init__(self, url: str, prefix: str, rate_per_s: float, burst: float):
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        # A bounded pool that waits briefly for a connection instead of failing under a burst.
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=64, timeout=0.05)
        self._redis = aioredis.Redis(connection_pool=pool)
        self._errors: tuple[type[Exception], ...] = (RedisError, OSError, TimeoutError)
        self._prefix = prefix
        self._rate = rate_per_s
        self._burst = burst
        self._script = self._redis.register_script(_LUA)

    def _key(self, user_id: str) -> str:
        return f"{self._prefix}rl:{hashlib.sha256(user_id.encode()).hexdigest()[:32]}"

    async def acquire(self, user_id: str, cost: float = 1.0) -> float:
        try:
            result = await self._script(keys=[self._key(user_id)], args=[self._rate, self._burst, cost])
        except self._errors as exc:
            # Fail open: an unreachable limiter store must not take the API down with it.
            _log.warning("ratelimit.store_unavailable", error_type=type(exc).__name__)
            return 0.0
        return float(result)

    async def forget_user(self, user_id: str) -> int:
        return int(await self._redis.delete(self._key(user_id)))

    async def close(self) -> None:
        await self._redis.aclose()
