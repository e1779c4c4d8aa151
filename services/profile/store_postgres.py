"""PostgreSQL backend of the profile store (production), with psycopg 3, in its own schema."""

from __future__ import annotations

import re

import psycopg

from services.profile.store import SqlStore

_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def connect(dsn: str, schema: str) -> psycopg.Connection:
    """Opens a connection whose search_path is `schema` (created if missing)."""
    if not _SCHEMA.fullmatch(schema):
        raise ValueError(f"schema name {schema!r} must match {_SCHEMA.pattern}")
    conn = psycopg.connect(dsn, autocommit=False, connect_timeout=5)
    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    conn.execute(f'SET search_path TO "{schema}"')
    conn.commit()
    return conn


def postgres_store(dsn: str, schema: str) -> SqlStore:
    """A SqlStore over PostgreSQL at `dsn`, tables in `schema`."""
    return SqlStore(lambda: connect(dsn, schema), "postgres", (psycopg.OperationalError, psycopg.InterfaceError))


def drop_schema(dsn: str, schema: str) -> None:
    """Drops `schema` and everything in it (tests and `--reset`)."""
    if not _SCHEMA.fullmatch(schema):
        raise ValueError(f"schema name {schema!r} must match {_SCHEMA.pattern}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
