"""`python -m services.support`: the customer-service QA service, serving until SIGTERM."""

from __future__ import annotations

import asyncio
import signal

from services.support.app import SupportApp, build
from services.support.settings import SupportSettings
from shared.server import run_app

_reloads: set[asyncio.Task[int]] = set()


def _reload_faq(app: SupportApp) -> None:
    """SIGHUP re-reads content/faq.yaml without a restart; turns in flight keep the old entries."""
    task = asyncio.create_task(app.kb.reload())
    _reloads.add(task)
    task.add_done_callback(_reloads.discard)


def main() -> None:
    """Loads settings, pins math threads to the configured count, serves until SIGTERM/SIGINT (SIGHUP
    reloads the FAQ)."""
    settings = SupportSettings()  # type: ignore[call-arg]
    run_app(settings, lambda: build(settings), signals={signal.SIGHUP: _reload_faq})


if __name__ == "__main__":
    main()
