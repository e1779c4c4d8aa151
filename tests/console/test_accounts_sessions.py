"""The console's sign-in pieces on their own: argon2 accounts (lock-out, re-read on change, malformed files),
signed session cookies (idle and absolute expiry, forgery), the sign-in form's token, and how a redacted
message is cut for display."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from services.console.accounts import Accounts, AccountsError, add_agent, ensure_demo_agent, parse_accounts
from services.console.desk import pieces
from services.console.sessions import Sessions, load_secret
from services.console.views import Entry, Span

KEY = b"k" * 32


def test_accounts_verify_lock_and_reload(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    add_agent(path, "ada", "Ada", "right-password-1", ["reveal"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "right-password-1" not in path.read_text() and "$argon2id$" in path.read_text()
    accounts = Accounts(path, failures_before_lock=3, lock_seconds=60)
    agent = accounts.verify("ada", "right-password-1")
    assert agent is not None and agent.may_reveal and agent.display_name == "Ada"
    assert accounts.verify("ada", "wrong") is None
    assert accounts.verify("nobody", "right-password-1") is None
    for _ in range(3):
        assert accounts.verify("ada", "wrong") is None
    assert accounts.locked("ada")
    assert accounts.verify("ada", "right-password-1") is None  # locked: even the right password is refused
    assert not accounts.locked("ada", now=10**12)
    add_agent(path, "bo", "Bo", "another-password-2", [])
    bo = accounts.get("bo")  # the file changed: re-read without a restart
    assert bo is not None and not bo.may_reveal
    path.write_text(yaml.safe_dump({"agents": [{"id": "bo", "display_name": "Bo",
                                                "password_hash": yaml.safe_load(path.read_text())["agents"][1][
                                                    "password_hash"]}]}))
    assert accounts.get("ada") is None  # removed from the file: no longer signed in anywhere


@pytest.mark.parametrize("doc, message", [
    ({"agents": [{"id": "Ada!", "password_hash": "$argon2id$x"}]}, r"agents\[0\]\.id"),
    ({"agents": [{"id": "ada", "password_hash": "plain"}]}, "argon2"),
    ({"agents": [{"id": "ada", "password_hash": "$argon2id$x", "permissions": ["admin"]}]}, "unknown"),
    ({"agents": [{"id": "ada", "password_hash": "$argon2id$x"}, {"id": "ada", "password_hash": "$argon2id$y"}]},
     "twice"),
    (["not", "a", "mapping"], "mapping"),
])
def test_malformed_accounts_are_refused(doc: object, message: str) -> None:
    with pytest.raises(AccountsError, match=message):
        parse_accounts(doc)


def test_demo_agent_only_when_no_accounts(tmp_path: Path) -> None:
    path = tmp_path / "console" / "accounts.yaml"
    password_file = ensure_demo_agent(path)
    assert password_file is not None and stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert Accounts(path).verify("demo", password_file.read_text().strip()) is not None
    before = path.read_text()
    assert ensure_demo_agent(path) == password_file and path.read_text() == before


def test_sessions_expire_and_refuse_forgeries() -> None:
    sessions = Sessions(KEY, idle_s=600, max_s=3600)
    session = sessions.new("ada", now=1000.0)
    cookie = sessions.encode(session)
    renewed = sessions.decode(cookie, now=1500.0)
    assert renewed is not None and renewed.agent_id == "ada" and renewed.seen_at == 1500.0
    assert renewed.csrf == session.csrf  # one CSRF token for the session's life
    assert sessions.decode(cookie, now=1601.0) is None  # idle for more than 600 s
    chain = sessions.encode(renewed)
    late = sessions.decode(chain, now=2000.0)
    assert late is not None
    assert sessions.decode(sessions.encode(late), now=4700.0) is None  # past max_s since sign-in
    body, _, mac = cookie.partition(".")
    assert sessions.decode(body + "." + mac[::-1], now=1100.0) is None
    other = Sessions(b"x" * 32, idle_s=600, max_s=3600)
    assert other.decode(cookie, now=1100.0) is None  # signed with another key
    assert sessions.decode("", now=1100.0) is None and sessions.decode("garbage", now=1100.0) is None


def test_login_form_token() -> None:
    sessions = Sessions(KEY, idle_s=600, max_s=3600)
    cookie, token = sessions.login_token(now=0.0)
    assert sessions.login_token_ok(cookie, token, now=10.0)
    assert not sessions.login_token_ok(cookie, token + "x", now=10.0)
    assert not sessions.login_token_ok(cookie, token, now=10_000.0)  # the form expired
    assert not sessions.login_token_ok(None, token, now=10.0)
    session_cookie = sessions.encode(sessions.new("ada", now=0.0))
    assert not sessions.login_token_ok(session_cookie, token, now=10.0)  # another purpose's signature


def test_session_key_file(tmp_path: Path) -> None:
    path = tmp_path / "session.key"
    key = load_secret(path, create=True)
    assert len(key) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(path, create=False) == key
    with pytest.raises(FileNotFoundError):
        load_secret(tmp_path / "missing.key", create=False)
    (tmp_path / "short.key").write_bytes(b"short")
    with pytest.raises(ValueError, match="at least 32"):
        load_secret(tmp_path / "short.key", create=False)


def test_pieces_cut_a_message_at_its_spans() -> None:
    entry = Entry(1, "user", "call [PHONE] or mail [EMAIL] 谢谢",
                  (Span("PHONE", 5, 12, "t1"), Span("EMAIL", 21, 28, "t2"), Span("NAME", 2, 40, "bad")))
    shown = pieces(entry, {"t1": "+1 *** *** **34"})
    assert [(p.text, p.entity_type, p.span_index) for p in shown.pieces] == [
        ("call ", "", -1), ("+1 *** *** **34", "PHONE", 0), (" or mail ", "", -1), ("[EMAIL]", "EMAIL", 1),
        (" 谢谢", "", -1)]
