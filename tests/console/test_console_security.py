"""The console's security over HTTP against the real mesh: nothing without sign-in, CSRF refused, customer
HTML shown as text, no clear value ever sent to an agent without the reveal permission, one winner when two
agents take the same conversation, oversize replies refused."""

from __future__ import annotations

import concurrent.futures
import re
import time
import urllib.request

import pytest
import requests

from services.console.sessions import Sessions, load_secret
from tests.console.conftest import AGENTS, PROXY_HEADER, AgentBrowser, ConsoleMesh, Customer, signed_in

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]
PHONE = "+1 415 555 0134"
def signed_in_as(mesh: ConsoleMesh, agent_id: str, password: str) -> bool:
    answer = AgentBrowser(mesh.url).sign_in(agent_id, password)
    return answer.status_code == 200 and answer.url.endswith("/queue")


PHONE_DIGITS = re.compile(r"415\D{0,3}555\D{0,3}0134")


def test_nothing_without_sign_in(console_mesh: ConsoleMesh) -> None:
    anonymous = AgentBrowser(console_mesh.url)
    page = anonymous.get("/queue", allow_redirects=False)
    assert page.status_code == 303 and page.headers["Location"].startswith("/login?next=")
    for path in ("/queue/rows", "/events", "/handoffs/h-1/transcript"):
        refused = anonymous.get(path, allow_redirects=False)
        assert refused.status_code == 401, path
        assert refused.json()["error"] == "unauthenticated"
    for path in ("/handoffs/h-1/take", "/handoffs/h-1/reply", "/handoffs/h-1/reveal", "/handoffs/h-1/close"):
        assert anonymous.post(path, text="hi").status_code == 401, path
    # A forged or tampered cookie is no session.
    anonymous.http.cookies.set("shopmesh_console", "eyJhIjoiYWRhIn0.forged")
    assert anonymous.get("/queue", allow_redirects=False).status_code == 303
    assert signed_in_as(console_mesh, "ADA", AGENTS["ada"][1])  # ids are case-insensitive
    wrong = AgentBrowser(console_mesh.url).sign_in("ada", "not-her-password")
    assert wrong.status_code == 401 and "Wrong agent ID or password" in wrong.text
    login = AgentBrowser(console_mesh.url).get("/login")
    assert login.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in login.headers["Content-Security-Policy"]


def test_csrf_is_required(console_mesh: ConsoleMesh, customer: Customer) -> None:
    handoff_id = customer.hand_off("I want to talk to a real person")
    ada = signed_in(console_mesh, "ada")
    no_token = ada.http.post(f"{ada.url}/handoffs/{handoff_id}/take", data={}, allow_redirects=False, timeout=10)
    assert no_token.status_code == 403 and "form has expired" in no_token.text
    wrong = ada.http.post(f"{ada.url}/handoffs/{handoff_id}/take", data={"csrf": "x" * 32}, allow_redirects=False,
                          timeout=10)
    assert wrong.status_code == 403
    foreign = ada.http.post(f"{ada.url}/handoffs/{handoff_id}/take", data={"csrf": ada.csrf}, timeout=10,
                            allow_redirects=False, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    # The sign-in form has its own token: a cross-site sign-in post is refused.
    stranger = requests.post(f"{console_mesh.url}/login", data={"agent_id": "ada", "password": AGENTS["ada"][1]},
                             timeout=10, allow_redirects=False)
    assert stranger.status_code == 403
    # The real token works, also from the https origin a TLS-ending ingress gives the browser.
    behind_tls = ada.http.post(f"{ada.url}/handoffs/{handoff_id}/take", data={"csrf": ada.csrf}, timeout=10,
                               allow_redirects=False, headers={"Origin": ada.url.replace("http://", "https://")})
    assert behind_tls.status_code == 303


def test_customer_html_is_shown_as_text(console_mesh: ConsoleMesh, customer: Customer) -> None:
    handoff_id = customer.hand_off('I want a human <script>window.__pwned=1</script><img src=x onerror="alert(1)">')
    ada = signed_in(console_mesh, "ada")
    for path in ("/queue", "/queue/rows", f"/handoffs/{handoff_id}", f"/handoffs/{handoff_id}/transcript"):
        page = ada.get(path)
        assert page.status_code == 200, path
        assert "<script>window.__pwned" not in page.text and "<img src=x" not in page.text, path
    view = ada.get(f"/handoffs/{handoff_id}").text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in view
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in view


def test_no_clear_value_for_an_agent_without_reveal(console_mesh: ConsoleMesh, customer: Customer) -> None:
    handoff_id = customer.hand_off(f"Please have a person call me at {PHONE}")
    bo = signed_in(console_mesh, "bo")
    assert bo.post(f"/handoffs/{handoff_id}/take").status_code == 303
    for path in (f"/handoffs/{handoff_id}", f"/handoffs/{handoff_id}/transcript", "/queue", "/queue/rows"):
        page = bo.get(path)
        assert page.status_code == 200 and not PHONE_DIGITS.search(page.text), path
    view = bo.get(f"/handoffs/{handoff_id}").text
    assert 'class="reveal"' not in view and "may not reveal" in view
    assert 'class="pii"' in view  # the masked value is there, marked as such
    refused = bo.post(f"/handoffs/{handoff_id}/reveal", sequence="1", span="0", reason="contact_customer")
    assert refused.status_code == 403 and not PHONE_DIGITS.search(refused.text)
    assert refused.json()["error"] == "reveal_not_permitted"
    # Ada may reveal, but not in a conversation Bo holds.
    ada = signed_in(console_mesh, "ada")
    other = ada.post(f"/handoffs/{handoff_id}/reveal", sequence="1", span="0", reason="contact_customer")
    assert other.status_code == 409 and not PHONE_DIGITS.search(other.text)
    entries = console_mesh.audit(customer.user_id)
    assert not [e for e in entries if e.caller == "console" and e.purpose.startswith("console.reveal")]


def test_one_agent_wins_a_simultaneous_take(console_mesh: ConsoleMesh, customer: Customer) -> None:
    handoff_id = customer.hand_off("I want to talk to a real person")
    ada, bo = signed_in(console_mesh, "ada"), signed_in(console_mesh, "bo")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda agent: agent.post(f"/handoffs/{handoff_id}/take"), (ada, bo)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [303, 409], codes
    loser = next(a for a in answers if a.status_code == 409)
    assert "took this conversation first" in loser.text
    winner = ada if answers[0].status_code == 303 else bo
    assert winner.post(f"/handoffs/{handoff_id}/take").status_code == 303  # taking it again is fine


def test_oversize_and_empty_replies_are_refused(console_mesh: ConsoleMesh, customer: Customer) -> None:
    handoff_id = customer.hand_off("I want to talk to a real person")
    ada = signed_in(console_mesh, "ada")
    assert ada.post(f"/handoffs/{handoff_id}/take").status_code == 303
    too_long = ada.post(f"/handoffs/{handoff_id}/reply", text="a" * 4001)
    assert too_long.status_code == 413 and "longer than 4000" in too_long.text
    huge = ada.post(f"/handoffs/{handoff_id}/reply", text="a" * 100_000)
    assert huge.status_code == 413
    assert ada.post(f"/handoffs/{handoff_id}/reply", text="   ").status_code == 400
    sent = ada.post(f"/handoffs/{handoff_id}/reply", text="Hello, this is Ada.")
    assert sent.status_code == 303
    assert customer.wait_for("agent_message").agent_message.text == "Hello, this is Ada."


def test_an_expired_session_signs_in_again(console_mesh: ConsoleMesh) -> None:
    key = load_secret(console_mesh.supervisor.home / "console" / "session.key", create=False)
    sessions = Sessions(key, idle_s=1800, max_s=12 * 3600)
    stale = sessions.new("ada", now=time.time() - 3600)  # an hour idle: past the 30 min limit
    agent = AgentBrowser(console_mesh.url)
    agent.http.cookies.set("shopmesh_console", sessions.encode(stale))
    page = agent.get("/queue", allow_redirects=False)
    assert page.status_code == 303 and "expired=1" in page.headers["Location"]
    assert "Your session has ended" in agent.get(page.headers["Location"]).text
    assert agent.get("/queue/rows", allow_redirects=False).status_code == 401
    fresh = sessions.new("ada")  # the same key, in time: accepted (so the stale one failed on time alone)
    agent.http.cookies.set("shopmesh_console", sessions.encode(fresh))
    assert agent.get("/queue", allow_redirects=False).status_code == 200
    ada = signed_in(console_mesh, "ada")
    signed_out = ada.post("/logout")
    assert signed_out.status_code == 303 and ada.get("/queue", allow_redirects=False).status_code == 303


def test_an_authenticating_proxy_names_the_agent(console_mesh: ConsoleMesh) -> None:
    """The OIDC hook: a trusted proxy's header signs in a known agent, whose permissions still come from the
    accounts file; an unknown name is no session."""
    proxied = AgentBrowser(console_mesh.url)
    page = proxied.get("/queue", allow_redirects=False, headers={PROXY_HEADER: "bo"})
    assert page.status_code == 200 and "Signed in as Bo" in page.text
    assert proxied.get("/queue", allow_redirects=False).status_code == 200  # the session cookie it was given
    stranger = AgentBrowser(console_mesh.url).get("/queue", allow_redirects=False, headers={PROXY_HEADER: "eve"})
    assert stranger.status_code == 303


def _support_watches(mesh: ConsoleMesh) -> float:
    """WatchHandoffs streams open on support now (its in-flight gauge)."""
    port = next(s.metrics_port for s in mesh.supervisor.running if s.name == "support")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("grpc_server_in_flight{") and 'grpc_method="WatchHandoffs"' in line)


def test_a_closed_page_closes_its_stream_to_support(console_mesh: ConsoleMesh) -> None:
    """Live updates hold one WatchHandoffs call per open page; it ends when the page goes away (noticed at the
    next keep-alive, within 15 s), so support does not collect streams of closed tabs."""
    before = _support_watches(console_mesh)
    ada = signed_in(console_mesh, "ada")
    stream = ada.http.get(f"{ada.url}/events", stream=True, timeout=30)
    assert stream.status_code == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
    assert next(stream.iter_lines()) == b"retry: 3000"
    deadline = time.monotonic() + 10
    while _support_watches(console_mesh) < before + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _support_watches(console_mesh) == before + 1
    stream.close()
    deadline = time.monotonic() + 40
    while _support_watches(console_mesh) > before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _support_watches(console_mesh) == before
