"""The feature store interface (one small protocol, one module per backend) and its value codec.

A store keeps one record per entity, (catalogue, user) or (catalogue, item), holding the fields of the
entity's folded state (features.UserState / ItemState dumps, JSON) and, where the backend keeps one, its
serving record (served.py: the features pre-encoded for reads), plus, per log partition, the sequence
up to which events have been applied (partition -1 = 1 marks a rebuild in progress). It is a cache:
`shopmesh features rebuild` recreates it from the event log.
"""

from __future__ import annotations

from typing import Protocol

import orjson

EntityKey = tuple[str, str]
"""(catalog_id, user_id or item_id)."""
StateFields = dict[str, object]
"""A state's dump: field name -> JSON-ready value."""
UserRow = tuple[StateFields | None, bytes]
"""What the fold writes per user: (state, serving record)."""
ItemRow = tuple[StateFields | None, float | None, bytes]
"""What the fold writes per item: (state, popularity anchor or None, serving record)."""


STATE_VERSION = b"1"
"""Version of the state layout inside a record; a record of another version is rebuilt, never misread."""


def encode_state(fields: StateFields) -> bytes:
    """The whole state as one JSON document (floats keep every bit: orjson writes the shortest round trip).

    One document per entity, not one per feature group: a read then parses one value per entity, which is
    what keeps a 200-item read cheap.
    """
    return orjson.dumps(fields)


def decode_state(raw: bytes) -> StateFields:
    """Inverse of `encode_state`."""
    value: StateFields = orjson.loads(raw)
    return value


class FeatureStore(Protocol):
    """Online feature records of users and items."""

    async def read_users(self, keys: list[EntityKey]) -> list[StateFields | None]:
        """States of these users, in order; None for a user without a record."""
        ...

    async def read_items(self, keys: list[EntityKey]) -> list[StateFields | None]:
        """States of these items, in order; None for an item without a record."""
        ...

    async def read_user_records(self, keys: list[EntityKey]) -> list[bytes | StateFields | None]:
        """Serving records of these users, in order: bytes, or the state where the store keeps no record."""
        ...

    async def read_item_records(self, keys: list[EntityKey]) -> list[bytes | StateFields | None]:
        """Serving records of these items, in order: bytes, or the state where the store keeps no record."""
        ...

    records_apart: bool
    """Whether reads are served from records kept apart from the states: then the fold may write records
    without states (`states=False`) and save the states only now and then (engine.STATE_EVERY_S)."""

    async def write(self, users: dict[EntityKey, UserRow], items: dict[EntityKey, ItemRow],
                    applied: dict[int, int], *, states: bool = True) -> None:
        """Replaces these entities' rows and the applied sequences, atomically.

        With `states=False` (only where `records_apart`) the rows carry None for their states: records and
        the applied sequences of the records move, the states and the sequences they reflect stay.
        """
        ...

    async def applied_sequences(self) -> dict[int, int]:
        """Per log partition, the sequence up to which the stored states reflect events (missing: none):
        where a restart's catch-up starts."""
        ...

    async def top_items(self, catalog_id: str, offset: int, count: int) -> list[tuple[str, float]]:
        """Items by popularity anchor, highest first: (item_id, anchor)."""
        ...

    async def delete_user(self, user_id: str) -> bool:
        """Deletes the user's records in every catalogue; True when one existed."""
        ...

    async def clear(self) -> None:
        """Deletes every record of this store (its own keys only) and resets the applied sequences."""
        ...

    async def ping(self) -> bool:
        """Whether the backend answers (health)."""
        ...

    async def close(self) -> None:
        """Releases connections."""
        ...
