"""`shopmesh vault`: operate the privacy vault's stores directly (audit verification, new KEK versions)."""

from __future__ import annotations

import argparse
from pathlib import Path

from shopmesh import paths


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `vault audit-verify` and `vault new-kek`."""
    vault = subparsers.add_parser("vault", help="operate the privacy vault (audit chain, keys)")
    commands = vault.add_subparsers(dest="vault_command", required=True, metavar="COMMAND")
    verify = commands.add_parser(
        "audit-verify", help="recompute the audit log's hash chain and report the first bad entry",
        description="Reads the vault's data store directly (the local SQLite file, a PostgreSQL schema, or a "
        "restored copy of either) and recomputes every entry's hash. Exit 0 when intact, 1 when an entry was "
        "modified, inserted or deleted. Pin the printed head hash somewhere else to detect a truncated tail.",
    )
    verify.add_argument("--data-dir", type=Path, default=None,
                        help="folder holding the SQLite data.db (default: $SHOPMESH_HOME/vault)")
    verify.add_argument("--postgres-dsn", default="", help="verify a PostgreSQL data store instead")
    verify.add_argument("--postgres-schema", default="vault_data", help="its schema (default: vault_data)")
    verify.add_argument("--from", dest="from_sequence", type=int, default=0, help="first sequence (default: 1)")
    verify.add_argument("--to", dest="to_sequence", type=int, default=0, help="last sequence (default: the head)")
    verify.add_argument("--expect-head", default="", metavar="SEQ:HEX",
                        help="a head pinned earlier: fail if that entry is gone or differs (truncation)")
    verify.set_defaults(handler=run_audit_verify)
    kek = commands.add_parser("new-kek", help="write a new KEK version into a key folder (then RotateKeys)")
    kek.add_argument("--key-dir", type=Path, default=None, help="key folder (default: $SHOPMESH_HOME/vault-keys)")
    kek.set_defaults(handler=run_new_kek)


def run_audit_verify(args: argparse.Namespace) -> int:
    """Verifies the chain and prints the outcome; exit 1 when broken."""
    from services.vault.admin import verify_audit_chain
    from services.vault.store_sql import SqlDataStore

    if args.postgres_dsn:
        from services.vault.store_postgres import PostgresDatabase

        store = SqlDataStore(PostgresDatabase(args.postgres_dsn, args.postgres_schema))
        where = f"postgres schema {args.postgres_schema}"
    else:
        from services.vault.store_sqlite import SqliteDatabase

        path = (args.data_dir or paths.home() / "vault") / "data.db"
        if not path.exists():
            print(f"no vault data store at {path}")
            return 2
        store = SqlDataStore(SqliteDatabase(path))
        where = str(path)
    try:
        report = verify_audit_chain(store, args.from_sequence, args.to_sequence)
        pinned_ok = True
        if args.expect_head:
            sequence, _, digest = args.expect_head.partition(":")
            stored = store.audit_hash(int(sequence))
            pinned_ok = stored is not None and stored.hex() == digest.lower()
    finally:
        store.close()
    print(f"audit chain of {where}: {report.checked} entries checked, head {report.head_sequence}:"
          f"{report.head_hash.hex()}")
    if not report.intact:
        print(f"BROKEN at sequence {report.first_bad_sequence}: {report.problem}")
        return 1
    if not pinned_ok:
        print(f"BROKEN: the pinned head {args.expect_head} is missing or differs (entries removed or rewritten)")
        return 1
    print("intact")
    return 0


def run_new_kek(args: argparse.Namespace) -> int:
    """Adds a KEK version and says how to activate it."""
    from services.vault.keys import add_kek_version

    key_dir = args.key_dir or paths.home() / "vault-keys"
    version = add_kek_version(key_dir)
    print(f"wrote kek-{version} in {key_dir}; activate it with the vault's RotateKeys RPC (target {version})")
    return 0
