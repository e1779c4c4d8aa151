"""The vault's guarantees, measured on both backends through the real gRPC service: nothing plaintext at rest,
ciphertexts bound to their rows, a tamper-evident audit chain, rotation under load without a failed call, and
crypto-shredding that a restored data-store backup cannot undo."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import grpc
import psycopg
import pytest

from services.vault.keys import add_kek_version
from shopmesh.vault.v1 import vault_service_pb2 as pb
from tests.vault.conftest import PG_DSN, PgSchemas, RunningVault, VaultFactory, stop_vault
from tests.vault.test_vault_service import details

pytestmark = pytest.mark.integration


def known_values(subject: int) -> list[tuple[int, str]]:
    """Ten PII values of one subject, each unique to it, of every type."""
    n = f"{subject:04d}"
    return [
        (pb.PII_TYPE_EMAIL, f"known.person{n}@example-mail.cn"),
        (pb.PII_TYPE_PHONE, f"+86139{n}{n}"),
        (pb.PII_TYPE_NAME, f"Knownname Person{n}"),
        (pb.PII_TYPE_ADDRESS, json.dumps({"street": f"{n} Knownstreet Road", "city": "Hangzhou", "country": "CN"})),
        (pb.PII_TYPE_PAYMENT_CARD, _luhn(f"411111{n}{n}11")),
        (pb.PII_TYPE_NATIONAL_ID, f"KNOWNID{n}X"),
        (pb.PII_TYPE_BANK_ACCOUNT, _iban(f"37040044{n}{n}30")),
        (pb.PII_TYPE_IP_ADDRESS, f"203.{subject % 250}.{subject // 250}.77"),
        (pb.PII_TYPE_FREE_TEXT, f"please ring me after six, my code word is Knownword{n}"),
        (pb.PII_TYPE_NAME, f"张已知{n}"),
    ]


def _luhn(partial: str) -> str:
    total = 0
    for i, digit in enumerate(reversed(partial)):
        d = int(digit)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return partial + str((10 - total % 10) % 10)


def _iban(bban: str) -> str:
    check = 98 - int(bban + "131400") % 97  # DE = 13 14, check digits 00
    return f"DE{check:02d}{bban}"


async def tokenize(vault: RunningVault, subject: str, values: list[tuple[int, str]]) -> list[str]:
    response = await vault.stub("profile").Tokenize(
        pb.TokenizeRequest(subject_id=subject, purpose="profile.store_profile",
                           values=[pb.PiiValue(type=t, value=v) for t, v in values]),
        metadata=vault.as_user(subject), timeout=10)
    return [t.token for t in response.tokens]


def at_rest(vault: RunningVault) -> bytes:
    """Everything the data store and keystore hold: the SQLite files (with WAL) or both schemas' pg_dump."""
    if vault.pg is not None:
        return (vault.pg.dump(vault.pg.data) + vault.pg.dump(vault.pg.keystore)).encode()
    root = Path(vault.settings.data_dir)
    return b"".join(path.read_bytes() for path in sorted(root.iterdir()) if path.is_file())


@pytest.fixture
def profile_policy(tmp_path: Path) -> Path:
    """The shipped policy plus grants the tests need for every PII type."""
    import yaml

    from services.vault.policy import DEFAULT_POLICY_FILE

    document = yaml.safe_load(DEFAULT_POLICY_FILE.read_text())
    for rule in document["rules"]:
        if rule["caller"] == "profile":
            rule["types"] = {"*": "clear"}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


async def test_no_plaintext_at_rest_after_1000_values(vault_factory: VaultFactory, profile_policy: Path) -> None:
    vault = await vault_factory(policy_file=profile_policy)
    values = {f"s{i}": known_values(i) for i in range(100)}
    for subject, subject_values in values.items():
        await tokenize(vault, subject, subject_values)
    stored = at_rest(vault)
    assert len(stored) > 100_000  # the scan really read the stores
    leaks = []
    for subject_values in values.values():
        for _, value in subject_values:
            needles = {value, value.lower(), value.replace(" ", ""), value.split("@")[0]}
            needles |= {word.strip('",{}') for word in value.split() if len(word.strip('",{}')) >= 8}
            for needle in needles:
                raw = needle.encode()
                if raw in stored or raw.hex().encode() in stored:
                    leaks.append(needle)
    assert sum(len(v) for v in values.values()) == 1000
    assert leaks == []


def _run_sql(vault: RunningVault, statement: str, *, keystore: bool = False) -> None:
    if vault.pg is not None:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{vault.pg.keystore if keystore else vault.pg.data}"')
            conn.execute(statement)
        return
    path = Path(vault.settings.data_dir) / ("keystore.db" if keystore else "data.db")
    with sqlite3.connect(path) as conn:
        conn.execute(statement)


async def test_ciphertext_moved_to_another_row_fails_to_decrypt(vault: RunningVault) -> None:
    mine = await tokenize(vault, "victim", [(pb.PII_TYPE_EMAIL, "victim@example.com")])
    theirs = await tokenize(vault, "attacker", [(pb.PII_TYPE_EMAIL, "attacker@example.com")])
    _run_sql(vault, f"UPDATE vault_values SET ciphertext = (SELECT ciphertext FROM vault_values WHERE token = "
                    f"'{mine[0]}') WHERE token = '{theirs[0]}'")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await vault.stub("profile").Detokenize(
            pb.DetokenizeRequest(tokens=theirs, purpose="profile.read_profile", max_disclosure=pb.DISCLOSURE_CLEAR),
            metadata=vault.as_user("attacker"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.DATA_LOSS
    assert details(raised.value)[0] == "CIPHERTEXT_INVALID"
    assert "victim@example.com" not in str(raised.value.details())


async def test_a_wrapped_data_key_copied_to_another_subject_is_refused(vault: RunningVault) -> None:
    await tokenize(vault, "alice", [(pb.PII_TYPE_EMAIL, "alice@example.com")])
    bob = await tokenize(vault, "bob", [(pb.PII_TYPE_EMAIL, "bob@example.com")])
    vault.servicer.vault.forget_cached_key("bob")
    _run_sql(vault, "UPDATE data_keys SET wrapped_key = (SELECT wrapped_key FROM data_keys WHERE subject_id = "
                    "'alice') WHERE subject_id = 'bob'", keystore=True)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await vault.stub("profile").Detokenize(
            pb.DetokenizeRequest(tokens=bob, purpose="profile.read_profile"), metadata=vault.as_user("bob"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.DATA_LOSS
    assert details(raised.value)[0] == "DATA_KEY_CORRUPT"


def audit_verify_cli(vault: RunningVault) -> subprocess.CompletedProcess[str]:
    """`shopmesh vault audit-verify` on this vault's data store."""
    args = [sys.executable, "-m", "shopmesh.cli.main", "vault", "audit-verify"]
    if vault.pg is not None:
        args += ["--postgres-dsn", PG_DSN, "--postgres-schema", vault.pg.data]
    else:
        args += ["--data-dir", str(vault.settings.data_dir)]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


async def test_a_tampered_or_deleted_audit_entry_is_reported(vault: RunningVault) -> None:
    tokens = await tokenize(vault, "u1", [(pb.PII_TYPE_EMAIL, "audit@example.com")])
    for _ in range(6):
        await vault.stub("profile").Detokenize(pb.DetokenizeRequest(tokens=tokens, purpose="profile.read_profile"),
                                               metadata=vault.as_user("u1"), timeout=5)
    clean = audit_verify_cli(vault)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "6 entries checked" in clean.stdout and "intact" in clean.stdout

    _run_sql(vault, "UPDATE audit_log SET purpose = 'profile.innocent' WHERE sequence = 3")
    tampered = audit_verify_cli(vault)
    assert tampered.returncode == 1
    assert "BROKEN at sequence 3: entry_hash mismatch" in tampered.stdout
    report = await vault.stub("ops").VerifyAudit(pb.VerifyAuditRequest(), timeout=5)
    assert (report.intact, report.first_bad_sequence, report.problem) == (False, 3, "entry_hash mismatch")

    _run_sql(vault, "UPDATE audit_log SET purpose = 'profile.read_profile' WHERE sequence = 3")
    assert audit_verify_cli(vault).returncode == 0
    _run_sql(vault, "DELETE FROM audit_log WHERE sequence = 4")
    deleted = audit_verify_cli(vault)
    assert deleted.returncode == 1 and "BROKEN at sequence 4: sequence gap 3 -> 5" in deleted.stdout


async def test_rotation_under_load_fails_no_call_and_leaves_nothing_on_the_old_kek(
        vault_factory: VaultFactory) -> None:
    # Small steps: the rewrap of 300 keys lasts long enough for the readers to overlap it on a fast machine
    # (in batches of 10 it took 0.19 s on one).
    vault = await vault_factory(rewrap_batch_size=2)
    settings = vault.settings
    tokens = {}
    for i in range(300):
        tokens[f"r{i}"] = (await tokenize(vault, f"r{i}", [(pb.PII_TYPE_EMAIL, f"rot{i}@example.com")]))[0]
    vault.servicer.vault._cache.clear()  # every read unwraps from the keystore while the rewrap runs
    outcome = {"ok": 0, "failed": 0}
    stop = asyncio.Event()

    async def reader(worker: int) -> None:
        stub = vault.stub("profile")
        subjects = list(tokens)
        i = worker
        while not stop.is_set():
            subject = subjects[i % len(subjects)]
            i += 7
            try:
                got = await stub.Detokenize(pb.DetokenizeRequest(
                    tokens=[tokens[subject]], purpose="profile.read_profile", max_disclosure=pb.DISCLOSURE_CLEAR),
                    metadata=vault.as_user(subject), timeout=5)
                assert got.values[0].value == f"rot{subject[1:]}@example.com"
                outcome["ok"] += 1
            except (grpc.aio.AioRpcError, AssertionError):
                outcome["failed"] += 1
            if i % 50 == 0:
                vault.servicer.vault._cache.clear()

    workers = [asyncio.create_task(reader(w)) for w in range(4)]
    await asyncio.sleep(0.5)
    before = outcome["ok"]
    add_kek_version(Path(settings.key_dir))
    ops = vault.stub("ops")
    rotated = await ops.RotateKeys(pb.RotateKeysRequest(purpose="ops.scheduled_rotation"), timeout=5)
    assert (rotated.previous_kek_version, rotated.active_kek_version, rotated.data_keys_to_rewrap) == (1, 2, 300)
    # Marked running when RotateKeys returns; on a fast machine it may already have finished by this call.
    first = (await ops.GetKeyStatus(pb.GetKeyStatusRequest(), timeout=5)).rewrap
    assert first.running or (first.HasField("finish_time") and first.remaining_data_keys == 0), first
    for _ in range(1200):  # up to a minute on a loaded machine
        status = await ops.GetKeyStatus(pb.GetKeyStatusRequest(), timeout=5)
        if not status.rewrap.running and status.rewrap.remaining_data_keys == 0:
            break
        await asyncio.sleep(0.05)
    during = outcome["ok"] - before
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.gather(*workers)
    assert outcome["failed"] == 0
    assert during >= 10  # reads really ran while the KEK rotated and keys were rewrapped
    status = await ops.GetKeyStatus(pb.GetKeyStatusRequest(), timeout=5)
    states = {k.version: (k.state, k.wrapped_data_key_count) for k in status.keks}
    assert states == {2: (pb.KEK_STATE_ACTIVE, 300), 1: (pb.KEK_STATE_UNUSED, 0)}
    assert status.rewrap.total_data_keys == 300 and status.rewrap.HasField("finish_time")
    await tokenize(vault, "after-rotation", [(pb.PII_TYPE_EMAIL, "new@example.com")])
    assert vault.servicer.vault.keys.count_by_kek() == {2: 301}
    again = await ops.RotateKeys(pb.RotateKeysRequest(purpose="ops.scheduled_rotation"), timeout=5)
    assert again.previous_kek_version == again.active_kek_version == 2  # idempotent
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ops.RotateKeys(pb.RotateKeysRequest(target_kek_version=1, purpose="ops.rollback"), timeout=5)
    assert details(raised.value)[0] == "KEK_VERSION_OLDER"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ops.RotateKeys(pb.RotateKeysRequest(target_kek_version=9, purpose="ops.rollback"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def _backup(vault: RunningVault, destination: Path) -> None:
    if vault.pg is not None:
        destination.write_text(vault.pg.dump(vault.pg.data))
        return
    with sqlite3.connect(Path(vault.settings.data_dir) / "data.db") as source, sqlite3.connect(destination) as copy:
        source.backup(copy)


def _restore(settings_data_dir: Path, pg: PgSchemas | None, backup: Path) -> None:
    if pg is not None:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{pg.data}" CASCADE')
        subprocess.run(["psql", "--dbname", PG_DSN, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(backup)], check=True,
                       capture_output=True, timeout=60)
        return
    for suffix in ("", "-wal", "-shm"):
        (settings_data_dir / f"data.db{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, settings_data_dir / "data.db")


async def test_forget_survives_restoring_a_data_store_backup(vault_factory: VaultFactory, tmp_path: Path) -> None:
    vault = await vault_factory()
    settings, pg = vault.settings, vault.pg
    tokens = await tokenize(vault, "leaver", [(pb.PII_TYPE_EMAIL, "leaver@example.com"),
                                              (pb.PII_TYPE_PHONE, "13700001234")])
    kept = await tokenize(vault, "stayer", [(pb.PII_TYPE_EMAIL, "stayer@example.com")])
    backup = tmp_path / "data-backup.sql"
    _backup(vault, backup)
    forgotten = await vault.stub("gateway").ForgetSubject(
        pb.ForgetSubjectRequest(subject_id="leaver", purpose="gateway.delete_my_data"),
        metadata=vault.as_user("leaver"), timeout=5)
    assert forgotten.destroyed_data_key_count == 1
    await stop_vault(vault)

    _restore(Path(settings.data_dir), pg, backup)  # the data store as it was before the forget; keystore as now
    vault = await vault_factory()
    for token in tokens:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await vault.stub("profile").Detokenize(
                pb.DetokenizeRequest(tokens=[token], purpose="profile.read_profile",
                                     max_disclosure=pb.DISCLOSURE_CLEAR),
                metadata=vault.as_user("leaver"), timeout=5)
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND
        assert details(raised.value)[0] == "SUBJECT_FORGOTTEN"
    miss = await vault.stub("console").LookupByValue(
        pb.LookupByValueRequest(type=pb.PII_TYPE_EMAIL, value="leaver@example.com",
                                purpose="console.identify_customer"), timeout=5)
    assert not miss.found
    still = await vault.stub("profile").Detokenize(
        pb.DetokenizeRequest(tokens=kept, purpose="profile.read_profile", max_disclosure=pb.DISCLOSURE_CLEAR),
        metadata=vault.as_user("stayer"), timeout=5)
    assert still.values[0].value == "stayer@example.com"  # the restore itself worked


@pytest.mark.integration
def test_replicas_starting_at_once_on_an_empty_postgres_both_migrate(pg_schemas: PgSchemas) -> None:
    """Two vault replicas starting together on an empty database: the schema and schema_migrations creation
    runs under the migration lock, so neither fails on PostgreSQL's catalogue (the rolling-restart suite saw one
    replica exit with a pg_type unique violation)."""
    import threading

    from services.vault.store_postgres import open_postgres_stores

    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def migrate_one() -> None:
        try:
            start.wait()
            data, keys = open_postgres_stores(PG_DSN, pg_schemas.data, PG_DSN, pg_schemas.keystore)
            data.migrate()
            keys.migrate()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=migrate_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with psycopg.connect(PG_DSN) as conn:
        versions = conn.execute(f'SELECT count(*) FROM "{pg_schemas.data}".schema_migrations').fetchone()
    assert versions is not None and versions[0] >= 1
