"""Builds and runs the console: the health/metrics host, mesh channels as `console`, and the web site."""

from __future__ import annotations

import contextlib

from aiohttp import web

from services.console.accounts import Accounts
from services.console.desk import Desk
from services.console.peers import Peers
from services.console.sessions import Sessions, load_secret
from services.console.settings import ConsoleSettings
from services.console.web import ConsoleWeb
from shared.channels import ChannelFactory
from shared.logging import get_logger
from shared.server import ServiceHost

_log = get_logger(__name__)


class ConsoleApp:
    """The console process: gRPC health on health_port, Prometheus on metrics_port, the page on port."""

    def __init__(self, settings: ConsoleSettings):
        self.settings = settings
        self.host = ServiceHost(settings, lambda server: None, [], main_server=False)
        self.channels = ChannelFactory(settings.tls_files(), default_deadline_ms=settings.peer_timeout_ms)
        peers = Peers.connect(self.channels, settings.support_address, settings.profile_address,
                              settings.vault_address, settings.peer_timeout_ms)
        self.desk = Desk(peers, max_reply_chars=settings.max_reply_chars, recent_orders=settings.recent_orders)
        self.accounts = Accounts(settings.accounts_file, failures_before_lock=settings.login_failures_before_lock,
                                 lock_seconds=settings.login_lock_seconds)
        sessions = Sessions(load_secret(settings.session_secret_file, create=settings.create_session_secret),
                            idle_s=settings.session_idle_seconds, max_s=settings.session_max_seconds)
        self.web = ConsoleWeb(self.desk, self.accounts, sessions, cookie_secure=settings.cookie_secure,
                              max_request_bytes=settings.max_request_bytes, registry=self.host.metrics.registry,
                              auth_proxy_header=settings.auth_proxy_header,
                              auth_proxy_networks=settings.auth_proxy_networks)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        await self.host.start()
        self._runner = web.AppRunner(self.web.app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        await self.host.set_ready(True)
        _log.info("console.started", port=self.port, agents=len(self.accounts.ids()))

    async def stop(self) -> None:
        await self.host.health.enter_graceful_shutdown()
        for stream in list(self.web.streams):
            with contextlib.suppress(Exception):
                await stream.write_eof()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.channels.close()
        await self.host.stop()


def build(settings: ConsoleSettings) -> ConsoleApp:
    return ConsoleApp(settings)
