"""The console's HTTP side (aiohttp): sign-in, the queue, the conversation view, live events, and the
agent's actions. Every page escapes what it shows (Jinja2 autoescape; the script inserts values with
textContent), every state-changing request needs the session's CSRF token, and nothing is cached.

Routes (all but /login and /static need a session; pages redirect to /login, the rest answer 401):
    GET  /login, POST /login, POST /logout
    GET  /queue                      the queue page;  GET /queue/rows  its rows (live refresh)
    GET  /handoffs/{id}              the conversation; GET /handoffs/{id}/transcript  its messages
    POST /handoffs/{id}/take | reply | close   forms (303 back to the conversation, or the page with an error)
    POST /handoffs/{id}/reveal       JSON {"value", "masked"}: one redacted value in clear (audited)
    GET  /events                     server-sent events: the queue's changes and the held hand-offs' messages
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter

from services.console.accounts import Accounts, Agent
from services.console.desk import RESOLUTIONS, REVEAL_PURPOSES, Desk
from services.console.i18n import LANG_COOKIE, Texts, choose_language
from services.console.sessions import LOGIN_COOKIE, LOGIN_FORM_SECONDS, SESSION_COOKIE, Session, Sessions, csrf_ok
from services.console.views import ConsoleError, QueueEvent
from shared.logging import get_logger

_log = get_logger(__name__)
HERE = Path(__file__).parent
HEARTBEAT_S = 15.0
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make form posts send "Origin: null"
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _waited(t: Texts, since: float, now: float) -> str:
    minutes = max(0, int(now - since) // 60)
    if minutes < 1:
        return t("just_now")
    if minutes < 60:
        return t("min_ago", n=minutes)
    return t("h_ago", n=minutes // 60, m=minutes % 60)


def _date(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d") if ts else "–"


class ConsoleWeb:
    """The aiohttp application of the console.

    Args:
        desk: the agent operations.
        accounts: the local accounts (sign-in).
        sessions: session cookies.
        cookie_secure: mark cookies Secure.
        max_request_bytes: largest request body (413 beyond).
        registry: Prometheus registry for the request counter.
        auth_proxy_header / auth_proxy_networks: the OIDC hook (see docs/console.md): a request from one of
            these networks carrying this header is signed in as the agent it names.
    """

    def __init__(self, desk: Desk, accounts: Accounts, sessions: Sessions, *, cookie_secure: bool = True,
                 max_request_bytes: int = 64 * 1024, registry: CollectorRegistry | None = None,
                 auth_proxy_header: str = "", auth_proxy_networks: Iterable[str] = ()):
        self.desk = desk
        self.accounts = accounts
        self.sessions = sessions
        self.cookie_secure = cookie_secure
        self.max_request_bytes = max_request_bytes
        self.templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                            autoescape=True, undefined=jinja2.StrictUndefined)
        self.requests = Counter("console_http_requests_total", "Console HTTP requests, by route and status.",
                                ["route", "status"], registry=registry or CollectorRegistry())
        self.streams: set[web.StreamResponse] = set()
        self.auth_proxy_header = auth_proxy_header
        self.auth_proxy_networks = [ipaddress.ip_network(n, strict=False) for n in auth_proxy_networks]

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_request_bytes, middlewares=[self._middleware])
        app.add_routes([
            web.get("/", self.home),
            web.get("/login", self.login_page), web.post("/login", self.login), web.post("/logout", self.logout),
            web.get("/queue", self.queue_page), web.get("/queue/rows", self.queue_rows),
            web.get("/handoffs/{id}", self.conversation_page),
            web.get("/handoffs/{id}/transcript", self.transcript),
            web.post("/handoffs/{id}/take", self.take), web.post("/handoffs/{id}/reply", self.reply),
            web.post("/handoffs/{id}/close", self.close), web.post("/handoffs/{id}/reveal", self.reveal),
            web.get("/events", self.events),
            web.static("/static", HERE / "static", append_version=False),
        ])
        return app

    # -- plumbing ----------------------------------------------------------------------------------------------

    def _texts(self, request: web.Request) -> Texts:
        return Texts(choose_language(request.query.get("lang"), request.cookies.get(LANG_COOKIE),
                                     request.headers.get("Accept-Language")))

    def _set_cookie(self, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Strict",
                            secure=self.cookie_secure)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
        t = self._texts(request)
        request["t"] = t
        try:
            if not _public(request.path):
                session = self.sessions.decode(request.cookies.get(SESSION_COOKIE)) or self._proxy_session(request)
                agent = self.accounts.get(session.agent_id) if session else None
                if session is None or agent is None:
                    response: web.StreamResponse = self._unauthenticated(request, t)
                    self.requests.labels(route, str(response.status)).inc()
                    return response
                request["session"], request["agent"] = session, agent
                if request.method == "POST" and not await self._csrf_ok(request, session):
                    response = self._refuse(request, t, 403, t("error_csrf"), "csrf")
                    self.requests.labels(route, "403").inc()
                    return response
            response = await handler(request)
        except web.HTTPRequestEntityTooLarge:
            response = self._refuse(request, t, 413, t("error_too_large"), "too_large")
        except ConsoleError as exc:
            response = self._refuse(request, t, exc.status, t(f"error_{exc.key}", **exc.params), exc.key)
        except web.HTTPException:
            raise
        except Exception:
            _log.exception("console.request_failed", route=route)
            response = self._refuse(request, t, 500, t("error_peer_error", peer="console"), "internal")
        if not response.prepared:
            for key, value in SECURITY_HEADERS.items():
                response.headers.setdefault(key, value)
            if "session" in request:
                self._set_cookie(response, SESSION_COOKIE, self.sessions.encode(request["session"]),
                                 self.sessions.max_s)
            if request.query.get("lang") in ("en", "zh"):
                self._set_cookie(response, LANG_COOKIE, request.query["lang"], 365 * 86400)
        self.requests.labels(route, str(response.status)).inc()
        return response

    def _proxy_session(self, request: web.Request) -> Session | None:
        """A new session for the agent a trusted authenticating proxy names (the OIDC hook), else None."""
        if not self.auth_proxy_header or not request.remote:
            return None
        name = request.headers.get(self.auth_proxy_header, "").strip().lower()
        try:
            remote = ipaddress.ip_address(request.remote)
        except ValueError:
            return None
        if not name or not any(remote in network for network in self.auth_proxy_networks):
            return None
        if self.accounts.get(name) is None:
            _log.info("console.proxy_agent_unknown")
            return None
        _log.info("console.signed_in", agent_id=name, via="proxy")
        return self.sessions.new(name)

    async def _csrf_ok(self, request: web.Request, session: Session) -> bool:
        token = request.headers.get("X-CSRF-Token")
        if token is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            token = str((await request.post()).get("csrf", ""))
        origin = request.headers.get("Origin")
        # The host only: behind an ingress that ends TLS the browser's origin is https while this hop is http.
        if origin and urlsplit(origin).netloc != request.host:
            return False
        return csrf_ok(session, token)

    def _unauthenticated(self, request: web.Request, t: Texts) -> web.StreamResponse:
        if request.method == "GET" and _is_page(request.path):
            target = request.path_qs
            return web.HTTPSeeOther(f"/login?next={quote(target, safe='')}&expired=1"
                                    if request.cookies.get(SESSION_COOKIE) else f"/login?next={quote(target, safe='')}")
        return web.json_response({"error": "unauthenticated", "message": t("session_expired")}, status=401,
                                 headers=SECURITY_HEADERS)

    def _refuse(self, request: web.Request, t: Texts, status: int, message: str, key: str) -> web.StreamResponse:
        if _wants_json(request):
            return web.json_response({"error": key, "message": message}, status=status, headers=SECURITY_HEADERS)
        return self._render(request, "error.html", status=status, error=message)

    def _render(self, request: web.Request, name: str, *, status: int = 200, **context: Any) -> web.Response:
        session: Session | None = request.get("session")
        t: Texts = request["t"]
        now = time.time()
        values: dict[str, Any] = {"t": t, "agent": request.get("agent"), "csrf": session.csrf if session else "",
                                  "error": None, "notice": None, "date": _date,
                                  "waited": lambda h: _waited(t, h.created_at, now)}
        values.update(context)
        html = self.templates.get_template(name).render(**values)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    # -- pages -------------------------------------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.StreamResponse:
        return web.HTTPSeeOther("/queue")

    async def login_page(self, request: web.Request, *, error: str | None = None,
                         status: int = 200) -> web.Response:
        t: Texts = request["t"]
        cookie, token = self.sessions.login_token()
        if error is None and request.query.get("expired"):
            error = t("session_expired")
        response = self._render(request, "login.html", status=status, login_token=token,
                                next=_safe_next(request.query.get("next", "")), error=error)
        self._set_cookie(response, LOGIN_COOKIE, cookie, LOGIN_FORM_SECONDS)
        return response

    async def login(self, request: web.Request) -> web.StreamResponse:
        t: Texts = request["t"]
        form = await request.post()
        if not self.sessions.login_token_ok(request.cookies.get(LOGIN_COOKIE), str(form.get("csrf", ""))):
            return await self.login_page(request, error=t("error_csrf"), status=403)
        agent_id, password = str(form.get("agent_id", ""))[:32].strip().lower(), str(form.get("password", ""))[:256]
        agent = await asyncio.to_thread(self.accounts.verify, agent_id, password)
        if agent is None:
            _log.info("console.sign_in_refused")
            return await self.login_page(request, error=t("bad_credentials"), status=401)
        session = self.sessions.new(agent.agent_id)
        request["session"] = session
        _log.info("console.signed_in", agent_id=agent.agent_id)
        response = web.HTTPSeeOther(_safe_next(str(form.get("next", ""))) or "/queue")
        response.del_cookie(LOGIN_COOKIE, path="/")
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        request.pop("session", None)
        response = web.HTTPSeeOther("/login")
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    async def queue_page(self, request: web.Request) -> web.Response:
        return self._render(request, "queue.html", handoffs=await self.desk.queue(request["agent"]))

    async def queue_rows(self, request: web.Request) -> web.Response:
        return self._render(request, "_queue_rows.html", handoffs=await self.desk.queue(request["agent"]))

    async def conversation_page(self, request: web.Request, *, status: int = 200, error: str | None = None,
                                notice: str | None = None) -> web.Response:
        conversation = await self.desk.conversation(request["agent"], _handoff_id(request))
        return self._render(request, "conversation.html", status=status, c=conversation, error=error,
                            notice=notice or _notice(request), message_id=str(uuid.uuid4()),
                            max_reply_chars=self.desk.max_reply_chars, resolutions=RESOLUTIONS,
                            reveal_reasons=list(REVEAL_PURPOSES))

    async def transcript(self, request: web.Request) -> web.Response:
        conversation = await self.desk.conversation(request["agent"], _handoff_id(request))
        return self._render(request, "_transcript.html", c=conversation)

    # -- actions -----------------------------------------------------------------------------------------------

    async def _action(self, request: web.Request, work: Callable[[], Awaitable[str]]) -> web.StreamResponse:
        """Runs a form action: 303 back to the conversation with a notice, or the page with the error."""
        t: Texts = request["t"]
        try:
            notice = await work()
        except ConsoleError as exc:
            if exc.status == 503 or _wants_json(request):
                raise
            return await self.conversation_page(request, status=exc.status, error=t(f"error_{exc.key}", **exc.params))
        return web.HTTPSeeOther(f"/handoffs/{quote(_handoff_id(request))}" + (f"?notice={notice}" if notice else ""))

    async def take(self, request: web.Request) -> web.StreamResponse:
        agent: Agent = request["agent"]

        async def work() -> str:
            await self.desk.take(agent, _handoff_id(request))
            _log.info("console.taken", agent_id=agent.agent_id, handoff_id=_handoff_id(request))
            return ""
        return await self._action(request, work)

    async def reply(self, request: web.Request) -> web.StreamResponse:
        agent: Agent = request["agent"]
        form = await request.post()

        async def work() -> str:
            _, live = await self.desk.reply(agent, _handoff_id(request), str(form.get("text", "")),
                                            str(form.get("client_message_id", "")))
            return "sent_live" if live else "sent_later"
        return await self._action(request, work)

    async def close(self, request: web.Request) -> web.StreamResponse:
        agent: Agent = request["agent"]
        form = await request.post()

        async def work() -> str:
            await self.desk.close(agent, _handoff_id(request), str(form.get("resolution", "")),
                                  str(form.get("note", "")))
            _log.info("console.closed", agent_id=agent.agent_id, handoff_id=_handoff_id(request))
            return ""
        return await self._action(request, work)

    async def reveal(self, request: web.Request) -> web.Response:
        agent: Agent = request["agent"]
        form = await request.post()
        try:
            sequence, span = int(str(form.get("sequence", ""))), int(str(form.get("span", "")))
        except ValueError:
            raise ConsoleError(400, "not_found") from None
        reason = str(form.get("reason", ""))
        revealed = await self.desk.reveal(agent, _handoff_id(request), sequence, span, reason)
        _log.info("console.revealed", agent_id=agent.agent_id, handoff_id=_handoff_id(request), reason=reason)
        return web.json_response({"value": revealed.clear, "masked": revealed.masked}, headers=SECURITY_HEADERS)

    # -- live events -------------------------------------------------------------------------------------------

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events from support's WatchHandoffs, for as long as the session's idle limit.

        One pump task reads the watch into a queue; when the browser goes away (or the time is up) the task is
        cancelled, which cancels the WatchHandoffs call, so no stream to support outlives its page.
        """
        agent: Agent = request["agent"]
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                               "X-Accel-Buffering": "no"})
        self._set_cookie(response, SESSION_COOKIE, self.sessions.encode(request["session"]), self.sessions.max_s)
        await response.prepare(request)
        self.streams.add(response)
        events: asyncio.Queue[QueueEvent | None] = asyncio.Queue(maxsize=256)

        async def pump() -> None:
            try:
                async for event in self.desk.peers.watch(agent.agent_id):
                    if event.kind not in ("snapshot", "snapshot_end"):
                        await events.put(event)
            except ConsoleError:
                pass
            await events.put(None)  # the watch ended: the browser reconnects after `retry`

        pumping = asyncio.create_task(pump())
        deadline = time.monotonic() + self.sessions.idle_s
        try:
            await response.write(b"retry: 3000\n\n")
            while time.monotonic() < deadline:
                try:
                    event = await asyncio.wait_for(events.get(), HEARTBEAT_S)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                data = _json({"kind": event.kind, "handoff_id": event.handoff_id})
                await response.write(f"event: queue\ndata: {data}\n\n".encode())
        except ConnectionResetError:
            pass
        finally:
            self.streams.discard(response)
            pumping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pumping
        return response


def _json(doc: dict[str, str]) -> str:
    return json.dumps(doc, separators=(",", ":"))


def _public(path: str) -> bool:
    return path == "/login" or path.startswith("/static/")


def _is_page(path: str) -> bool:
    return path in ("/", "/queue") or (path.startswith("/handoffs/") and path.count("/") == 2)


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.path.endswith("/reveal")


def _handoff_id(request: web.Request) -> str:
    value = request.match_info["id"]
    if not value or len(value) > 64 or not all(c.isalnum() or c in "-_." for c in value):
        raise ConsoleError(404, "not_found")
    return value


def _safe_next(value: str) -> str:
    """A same-site path to go to after sign-in (never another host)."""
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else ""


def _notice(request: web.Request) -> str | None:
    key = request.query.get("notice", "")
    return request["t"](key) if key in ("sent_live", "sent_later") else None
