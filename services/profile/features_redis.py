"""Redis feature store: one hash per entity, pipelined batch reads, atomic batch writes.

Keys (all under a configurable prefix, so several deployments or test runs share one Redis):
`<p>u:<catalog>:<user>` and `<p>i:<catalog>:<item>` are hashes with fields `v` (state layout version),
`s` (the entity's folded state as JSON, what the fold reads back) and `r` (its serving record, served.py:
what feature reads fetch); `<p>pop:<catalog>` is a sorted set of items by popularity anchor;
`<p>meta` holds the applied log sequence per partition (`applied:<partition>`); `<p>catalogs` the
catalogues seen. Values hold no PII (ids, times, numbers, category keys and brand names only).

Writes (the fold's big MULTI/EXEC pipelines) use redis-py's synchronous client on a dedicated thread: with
hiredis it parses a pipeline about twice as fast as the asyncio client (which arms a timeout per reply),
and the event loop stays free. Serving reads use the asyncio client: no thread hop, which is what decides
the tail latency when the cores are busy. A read of many entities is one EVALSHA of a small script that
returns each hash's `r` field (or its state, for a hash written before records existed): one command and
one flat reply, where a pipeline of HMGETs costs the client a command and a reply each.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import redis
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from services.profile.feature_store import (
    STATE_VERSION,
    EntityKey,
    ItemRow,
    StateFields,
    UserRow,
    decode_state,
    encode_state,
)
from services.profile.served import RECORD_VERSION
from services.profile.store import StoreUnavailable

R = TypeVar("R")
_READ_RECORDS = """
local out = {}
for i, key in ipairs(KEYS) do
  local record = redis.call('HGET', key, 'r')
  if not record and redis.call('HGET', key, 'v') == ARGV[1] then
    record = redis.call('HGET', key, 's')
  end
  out[i] = record or false
end
return out
"""
_READ_NAMED = """
local out = {}
local i = 0
for name in string.gmatch(ARGV[3], '%S+') do
  i = i + 1
  local key = ARGV[1] .. name
  local record = redis.call('HGET', key, 'r')
  if not record and redis.call('HGET', key, 'v') == ARGV[2] then
    record = redis.call('HGET', key, 's')
  end
  out[i] = record or false
end
return out
"""
"""_READ_RECORDS for entities of one kind and catalogue, their ids sent as one space-separated argument: the
client then packs five arguments instead of one per key (ids never hold spaces: model.ID_PATTERN). The keys
are not declared, so this needs a standalone Redis (as does a multi-key read of hashes without hash tags)."""


class RedisFeatureStore:
    """FeatureStore on Redis.

    Args:
        url: redis:// URL (db index in the path).
        prefix: namespace of every key this store touches.
    """

    def __init__(self, url: str, prefix: str = "shopmesh:profile:"):
        self._redis = redis.Redis.from_url(url, decode_responses=False, socket_timeout=5.0,
                                           socket_connect_timeout=5.0, health_check_interval=30)
        self._reader = aioredis.Redis.from_url(url, decode_responses=False, socket_timeout=5.0,
                                               socket_connect_timeout=5.0)
        self._p = prefix
        self._read_records_sha = hashlib.sha1(_READ_RECORDS.encode()).hexdigest()
        self._read_named_sha = hashlib.sha1(_READ_NAMED.encode()).hexdigest()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="profile-redis")

    async def _call(self, work: Callable[[], R]) -> R:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work)
        except (redis.RedisError, OSError) as exc:
            raise StoreUnavailable(f"redis unavailable: {type(exc).__name__}") from exc

    def _user_key(self, key: EntityKey) -> str:
        return f"{self._p}u:{key[0]}:{key[1]}"

    def _item_key(self, key: EntityKey) -> str:
        return f"{self._p}i:{key[0]}:{key[1]}"

    async def _read(self, names: list[str]) -> list[StateFields | None]:
        try:
            if len(names) == 1:
                rows: Any = [await self._reader.hmget(names[0], "v", "s")]
            else:
                async with self._reader.pipeline(transaction=False) as pipe:
                    for name in names:
                        pipe.hmget(name, "v", "s")
                    rows = await pipe.execute()
        except (redis.RedisError, OSError) as exc:
            raise StoreUnavailable(f"redis unavailable: {type(exc).__name__}") from exc
        return [decode_state(state) if version == STATE_VERSION and state else None for version, state in rows]

    async def read_users(self, keys: list[EntityKey]) -> list[StateFields | None]:
        """States of these users, in order (one pipelined round trip)."""
        return await self._read([self._user_key(k) for k in keys])

    async def read_items(self, keys: list[EntityKey]) -> list[StateFields | None]:
        """States of these items, in order (one pipelined round trip)."""
        return await self._read([self._item_key(k) for k in keys])

    async def _eval(self, sha: str, script: str, *args: Any) -> Any:
        try:
            try:
                return await self._reader.evalsha(sha, *args)
            except NoScriptError:  # a restarted or flushed Redis: load the script and ask again
                await self._reader.script_load(script)
                return await self._reader.evalsha(sha, *args)
        except (redis.RedisError, OSError) as exc:
            raise StoreUnavailable(f"redis unavailable: {type(exc).__name__}") from exc

    async def _read_records(self, kind: str, keys: list[EntityKey]) -> list[bytes | StateFields | None]:
        catalogs = {k[0] for k in keys}
        if len(catalogs) == 1:
            rows = await self._eval(self._read_named_sha, _READ_NAMED, 0, f"{self._p}{kind}:{keys[0][0]}:",
                                    STATE_VERSION, " ".join([k[1] for k in keys]))
        else:
            names = [f"{self._p}{kind}:{c}:{e}" for c, e in keys]
            rows = await self._eval(self._read_records_sha, _READ_RECORDS, len(names), *names, STATE_VERSION)
        return [None if not raw else raw if raw[0] == RECORD_VERSION else decode_state(raw) for raw in rows]

    async def read_user_records(self, keys: list[EntityKey]) -> list[bytes | StateFields | None]:
        """Serving records of these users, in order (one EVALSHA)."""
        return await self._read_records("u", keys)

    async def read_item_records(self, keys: list[EntityKey]) -> list[bytes | StateFields | None]:
        """Serving records of these items, in order (one EVALSHA)."""
        return await self._read_records("i", keys)

    records_apart = True
    """Reads fetch the `r` field only: the fold may leave `s` behind between its state saves."""

    def _write_sync(self, users: dict[EntityKey, UserRow], items: dict[EntityKey, ItemRow],
                    applied: dict[int, int], states: bool) -> None:
        pipe = self._redis.pipeline(transaction=True)  # MULTI/EXEC: records and sequence move together
        catalogs: set[str] = set()
        for key, (fields, record) in users.items():
            pipe.hset(self._user_key(key), mapping=self._fields(fields, record))
            catalogs.add(key[0])
        ranked: dict[str, dict[str, float]] = {}
        dropped: dict[str, list[str]] = {}
        for key, (fields, anchor, record) in items.items():
            pipe.hset(self._item_key(key), mapping=self._fields(fields, record))
            if anchor is None:
                dropped.setdefault(key[0], []).append(key[1])
            else:
                ranked.setdefault(key[0], {})[key[1]] = anchor
            catalogs.add(key[0])
        for catalog, members in ranked.items():
            pipe.zadd(f"{self._p}pop:{catalog}", members)
        for catalog, gone in dropped.items():
            pipe.zrem(f"{self._p}pop:{catalog}", *gone)
        if catalogs:
            pipe.sadd(f"{self._p}catalogs", *catalogs)
        if applied:
            marks: dict[Any, Any] = {f"applied:{p}": str(v) for p, v in applied.items()}
            if states:
                marks.update({f"states:{p}": str(v) for p, v in applied.items()})
            pipe.hset(f"{self._p}meta", mapping=marks)
        pipe.execute()

    @staticmethod
    def _fields(fields: StateFields | None, record: bytes) -> dict[Any, Any]:
        if fields is None:  # a record-only write: the state saved earlier stays
            return {"r": record}
        return {"v": STATE_VERSION, "s": encode_state(fields), "r": record}

    async def write(self, users: dict[EntityKey, UserRow], items: dict[EntityKey, ItemRow],
                    applied: dict[int, int], *, states: bool = True) -> None:
        """Records and the applied sequences change together or not at all (the states too, unless
        `states=False`: then `applied` moves the records' sequences, `states:<p>` stays)."""
        await self._call(lambda: self._write_sync(users, items, applied, states))

    async def applied_sequences(self) -> dict[int, int]:
        """Per log partition, the sequence up to which the states (`s`) reflect events: `states:<p>`, or
        `applied:<p>` in a store written before states were saved apart."""
        raw: Any = await self._call(lambda: self._redis.hgetall(f"{self._p}meta"))
        marks = {k.decode(): int(v) for k, v in raw.items()}
        kind = "states:" if any(k.startswith("states:") for k in marks) else "applied:"
        return {int(k.split(":", 1)[1]): v for k, v in marks.items() if k.startswith(kind)}

    async def top_items(self, catalog_id: str, offset: int, count: int) -> list[tuple[str, float]]:
        """Items by popularity anchor, highest first."""
        rows: Any = await self._call(lambda: self._redis.zrevrange(
            f"{self._p}pop:{catalog_id}", offset, offset + count - 1, withscores=True))
        return [(member.decode(), float(score)) for member, score in rows]

    async def delete_user(self, user_id: str) -> bool:
        """Deletes the user's hash in every catalogue seen."""
        def work() -> bool:
            members: Any = self._redis.smembers(f"{self._p}catalogs")
            catalogs = [c.decode() for c in members]
            if not catalogs:
                return False
            return bool(self._redis.delete(*(self._user_key((c, user_id)) for c in catalogs)))
        return await self._call(work)

    async def clear(self) -> None:
        """Deletes every key under this store's prefix (never anything else)."""
        def work() -> None:
            batch: list[Any] = []
            for name in self._redis.scan_iter(match=_glob_escape(self._p) + "*", count=1000):
                batch.append(name)
                if len(batch) >= 1000:
                    self._redis.delete(*batch)
                    batch = []
            if batch:
                self._redis.delete(*batch)
        await self._call(work)

    async def ping(self) -> bool:
        """Whether Redis answers (health)."""
        return bool(await self._call(self._redis.ping))

    async def close(self) -> None:
        """Closes the connection pool and the thread."""
        await self._call(self._redis.close)
        self._executor.shutdown(wait=True)
        await self._reader.aclose()


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)
