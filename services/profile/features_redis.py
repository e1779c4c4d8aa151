"""Redis feature store: one hash per entity, pipelined batch reads, atomic batch writes.

Keys (all under a configurable prefix, so several deployments or test runs share one Redis):
`<p>u:<catalog>:<user>` and `<p>i:<catalog>:<item>` are hashes with one field per feature group;
`<p>pop:<catalog>` is a sorted set of items by popularity anchor; `<p>meta` holds the applied log
sequence; `<p>catalogs` the catalogues seen. Values are JSON without PII (ids, times, numbers, category
keys and brand names only).
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from services.profile.feature_store import EntityKey, StateFields, decode_fields, encode_fields


class RedisFeatureStore:
    """FeatureStore on Redis.

    Args:
        url: redis:// URL (db index in the path).
        prefix: namespace of every key this store touches.
    """

    def __init__(self, url: str, prefix: str = "shopmesh:profile:"):
        self._redis = aioredis.Redis.from_url(url, decode_responses=False)
        self._p = prefix

    def _user_key(self, key: EntityKey) -> str:
        return f"{self._p}u:{key[0]}:{key[1]}"

    def _item_key(self, key: EntityKey) -> str:
        return f"{self._p}i:{key[0]}:{key[1]}"

    async def ping(self) -> bool:
        """Whether Redis answers."""
        return bool(await self._redis.ping())

    async def _read(self, names: list[str]) -> list[StateFields | None]:
        if len(names) == 1:  # one round trip without the pipeline's bookkeeping
            raw_one: Any = await self._redis.hgetall(names[0])
            return [decode_fields(raw_one) if raw_one else None]
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(name)
            raws: list[dict[bytes, bytes]] = await pipe.execute()
        return [decode_fields(raw) if raw else None for raw in raws]

    async def read_users(self, keys: list[EntityKey]) -> list[StateFields | None]:
        """States of these users, in order (one pipelined round trip)."""
        return await self._read([self._user_key(k) for k in keys])

    async def read_items(self, keys: list[EntityKey]) -> list[StateFields | None]:
        """States of these items, in order (one pipelined round trip)."""
        return await self._read([self._item_key(k) for k in keys])

    async def write(self, users: dict[EntityKey, StateFields], items: dict[EntityKey, tuple[StateFields, float | None]],
                    applied_sequence: int) -> None:
        """MULTI/EXEC: records and the applied sequence change together or not at all."""
        async with self._redis.pipeline(transaction=True) as pipe:
            catalogs: set[str] = set()
            for key, fields in users.items():
                name = self._user_key(key)
                pipe.delete(name)
                pipe.hset(name, mapping=encode_fields(fields))  # type: ignore[arg-type]
                catalogs.add(key[0])
            for key, (fields, anchor) in items.items():
                name = self._item_key(key)
                pipe.delete(name)
                pipe.hset(name, mapping=encode_fields(fields))  # type: ignore[arg-type]
                if anchor is None:
                    pipe.zrem(f"{self._p}pop:{key[0]}", key[1])
                else:
                    pipe.zadd(f"{self._p}pop:{key[0]}", {key[1]: anchor})
                catalogs.add(key[0])
            if catalogs:
                pipe.sadd(f"{self._p}catalogs", *catalogs)
            pipe.hset(f"{self._p}meta", "applied_sequence", str(applied_sequence))
            await pipe.execute()

    async def applied_sequence(self) -> int:
        """The log sequence up to which events are reflected."""
        value = await self._redis.hget(f"{self._p}meta", "applied_sequence")
        return int(value) if value else 0

    async def top_items(self, catalog_id: str, offset: int, count: int) -> list[tuple[str, float]]:
        """Items by popularity anchor, highest first."""
        rows: Any = await self._redis.zrevrange(
            f"{self._p}pop:{catalog_id}", offset, offset + count - 1, withscores=True)
        return [(member.decode(), score) for member, score in rows]

    async def delete_user(self, user_id: str) -> bool:
        """Deletes the user's hash in every catalogue seen."""
        members: Any = await self._redis.smembers(f"{self._p}catalogs")
        catalogs = [c.decode() for c in members]
        if not catalogs:
            return False
        deleted = await self._redis.delete(*(self._user_key((c, user_id)) for c in catalogs))
        return bool(deleted)

    async def clear(self) -> None:
        """Deletes every key under this store's prefix (never anything else)."""
        pattern = _glob_escape(self._p) + "*"
        batch: list[Any] = []
        async for name in self._redis.scan_iter(match=pattern, count=1000):
            batch.append(name)
            if len(batch) >= 1000:
                await self._redis.delete(*batch)
                batch = []
        if batch:
            await self._redis.delete(*batch)

    async def close(self) -> None:
        """Closes the connection pool."""
        await self._redis.aclose()


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)
