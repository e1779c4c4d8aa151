"""The production session store: Redis, one JSON string per session (with the session's TTL) and per
hand-off, a set per user, a sorted set of hand-offs by creation time. Every key starts with the prefix;
nothing here ever flushes a database.

Read-modify-write uses WATCH/MULTI, so two replicas updating one session (a user turn and an agent reply)
never lose a write: the loser retries on the new value.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

from services.support.store import Doc, Mutator, StoreUnavailable, handoff_order

_RETRIES = 20


class RedisSessionStore:
    """Sessions and hand-offs in Redis.

    Args:
        url: redis:// URL.
        prefix: key prefix (own namespace, e.g. "shopmesh:support:").
        handoff_ttl_seconds: how long hand-offs are kept (their transcripts live in the session).
    """

    def __init__(self, url: str, prefix: str, handoff_ttl_seconds: int = 7 * 86400):
        self._redis = aioredis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._p = prefix
        self._handoff_ttl = handoff_ttl_seconds

    def _session_key(self, session_id: str) -> str:
        return f"{self._p}session:{session_id}"

    def _handoff_key(self, handoff_id: str) -> str:
        return f"{self._p}handoff:{handoff_id}"

    @staticmethod
    def _ttl(doc: Doc) -> int:
        return max(int(doc["expire_time"] - time.time()), 1)

    async def _call(self, coro: Any) -> Any:
        try:
            return await coro
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable("redis is unreachable") from exc

    async def get_session(self, session_id: str) -> Doc | None:
        """See SessionStore (Redis expires idle sessions itself)."""
        raw = await self._call(self._redis.get(self._session_key(session_id)))
        return None if raw is None else dict(json.loads(raw))

    async def create_session(self, doc: Doc) -> None:
        """See SessionStore."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._session_key(doc["session_id"]), json.dumps(doc), ex=self._ttl(doc))
            pipe.sadd(f"{self._p}user:{doc['user_id']}", doc["session_id"])
            await self._call(pipe.execute())

    async def _rmw(self, key: str, mutate: Mutator, ttl_of: bool) -> Doc | None:
        for _ in range(_RETRIES):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await self._call(pipe.watch(key))
                    raw = await self._call(pipe.get(key))
                    if raw is None:
                        return None
                    doc = mutate(dict(json.loads(raw)))
                    pipe.multi()
                    if ttl_of:
                        pipe.set(key, json.dumps(doc), ex=self._ttl(doc))
                    else:
                        pipe.set(key, json.dumps(doc), ex=self._handoff_ttl)
                    await self._call(pipe.execute())
                    return doc
                except WatchError:
                    continue
        raise StoreUnavailable("too much contention on one document")

    async def update_session(self, session_id: str, mutate: Mutator) -> Doc | None:
        """See SessionStore."""
        return await self._rmw(self._session_key(session_id), mutate, ttl_of=True)

    async def delete_session(self, session_id: str) -> bool:
        """See SessionStore."""
        return bool(await self._call(self._redis.delete(self._session_key(session_id))))

    async def user_session_ids(self, user_id: str) -> list[str]:
        """See SessionStore."""
        members = await self._call(self._redis.smembers(f"{self._p}user:{user_id}"))
        return sorted(m.decode() for m in members)

    async def get_handoff(self, handoff_id: str) -> Doc | None:
        """See SessionStore."""
        raw = await self._call(self._redis.get(self._handoff_key(handoff_id)))
        return None if raw is None else dict(json.loads(raw))

    async def create_handoff(self, doc: Doc) -> None:
        """See SessionStore."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._handoff_key(doc["handoff_id"]), json.dumps(doc), ex=self._handoff_ttl)
            pipe.zadd(f"{self._p}handoffs", {doc["handoff_id"]: handoff_order(doc)})
            await self._call(pipe.execute())

    async def update_handoff(self, handoff_id: str, mutate: Mutator) -> Doc | None:
        """See SessionStore."""
        return await self._rmw(self._handoff_key(handoff_id), mutate, ttl_of=False)

    async def list_handoffs(self) -> list[Doc]:
        """See SessionStore."""
        ids = await self._call(self._redis.zrange(f"{self._p}handoffs", 0, -1))
        if not ids:
            return []
        raws = await self._call(self._redis.mget([self._handoff_key(i.decode()) for i in ids]))
        return [dict(json.loads(r)) for r in raws if r is not None]

    async def delete_handoff(self, handoff_id: str) -> bool:
        """See SessionStore."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._handoff_key(handoff_id))
            pipe.zrem(f"{self._p}handoffs", handoff_id)
            deleted, _ = await self._call(pipe.execute())
        return bool(deleted)

    async def ping(self) -> bool:
        """See SessionStore."""
        return bool(await self._call(self._redis.ping()))

    async def scrub(self) -> None:
        """See SessionStore (Redis frees deleted keys itself)."""

    async def close(self) -> None:
        """See SessionStore."""
        await self._redis.aclose()
