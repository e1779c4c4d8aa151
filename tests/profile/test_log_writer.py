"""The PostgreSQL log writer's one-statement append: consent filtered in SQL as personalization_allowed
decides, duplicates not written twice, and what is written committed (autocommit) before the reply. And the
event-loop consent reader: the store's decisions, and an unreachable database as StoreUnavailable."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from services.profile.model import Event, EventType
from services.profile.profiles import ConsentState, personalization_allowed
from services.profile.store import SqlStore, StoreUnavailable
from services.profile.store_postgres import AsyncConsentReader, AsyncLogWriter, drop_schema, postgres_store
from tests.profile.conftest import POSTGRES_DSN, postgres_and_redis_available

_STATES = {"u-granted": ConsentState.GRANTED, "u-denied": ConsentState.DENIED, "u-undecided": ConsentState.UNSPECIFIED}
_USERS = [*_STATES, "u-never-asked"]


def _events(prefix: str) -> list[Event]:
    return [Event(f"{prefix}-{u}-{i}", u, EventType.VIEW, 893_000_000_000_000 + i, "movielens", "ml-1")
            for u, i in itertools.product(_USERS, range(3))]


@pytest.fixture
def migrated() -> Iterator[tuple[str, SqlStore]]:
    """(schema, store) of a fresh migrated PostgreSQL schema, dropped afterwards."""
    if not postgres_and_redis_available():
        pytest.fail("PostgreSQL on 127.0.0.1 is not answering")
    schema = f"profile_test_{uuid.uuid4().hex[:10]}"
    store = postgres_store(POSTGRES_DSN, schema)
    try:
        store.migrate()
        yield schema, store
    finally:
        drop_schema(POSTGRES_DSN, schema)


@pytest.mark.parametrize("default_granted", [True, False])
async def test_append_filters_consent_in_the_insert_and_commits(default_granted: bool,
                                                                migrated: tuple[str, SqlStore]) -> None:
    schema, store = migrated
    writer = AsyncLogWriter(POSTGRES_DSN, schema)
    try:
        for user, state in _STATES.items():
            store.put_consent(user, state, ConsentState.UNSPECIFIED, 1)
        kept = {u for u in _USERS if personalization_allowed(_STATES.get(u), default_granted)}
        denied, written = await writer.append_consented(_events("a"), 10, default_granted)
        assert denied == set(_USERS) - kept
        assert {k[0] for k in written} == kept and len(written) == 3 * len(kept)
        assert len(set(written.values())) == len(written)
        # A retry of the same batch writes nothing again; the discarded users are reported again.
        denied_again, again = await writer.append_consented(_events("a"), 11, default_granted)
        assert denied_again == denied and again == {}
        with psycopg.connect(POSTGRES_DSN) as conn:  # another connection sees the rows: committed
            rows = conn.execute(f'SELECT user_id, event_id, sequence, ingest_time_us FROM "{schema}".events').fetchall()
        assert {(r[0], r[1]): r[2] for r in rows} == written and {r[3] for r in rows} == {10}
    finally:
        await writer.close()


async def test_consent_reader_reads_what_the_store_wrote_and_reports_an_unreachable_database(
        migrated: tuple[str, SqlStore]) -> None:
    schema, store = migrated
    reader = AsyncConsentReader(POSTGRES_DSN, schema)
    try:
        store.put_consent("u-granted", ConsentState.GRANTED, ConsentState.DENIED, 7)
        assert await reader.get("u-granted") == (ConsentState.GRANTED, ConsentState.DENIED, 7)
        assert await reader.get("u-never-asked") is None
        store.put_consent("u-granted", ConsentState.DENIED, ConsentState.DENIED, 8)  # a later decision is seen
        assert await reader.get("u-granted") == (ConsentState.DENIED, ConsentState.DENIED, 8)
    finally:
        await reader.close()
    from shopmesh.mesh import free_port

    nowhere = AsyncConsentReader(f"postgresql://postgres@127.0.0.1:{free_port()}/test", schema)
    with pytest.raises(StoreUnavailable):
        await nowhere.get("u-granted")
