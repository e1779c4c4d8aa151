"""`python -m services.support`: the customer-service QA service, serving until SIGTERM."""

from __future__ import annotations

import asyncio
import signal

from services.support.app import build
from services.support.settings import SupportSettings
from shared.logging import configure_logging, get_logger
from shared.threads import pin_cpu_threads


def main() -> None:
    """Loads settings, pins math threads to the configured count, serves until SIGTERM/SIGINT (SIGHUP
    reloads the FAQ)."""
    settings = SupportSettings()  # type: ignore[call-arg]
    configure_logging(settings.service_name, settings.log_level)
    get_logger(__name__).info("server.threads", **pin_cpu_threads(settings.cpu_threads))

    async def run() -> None:
        app = build(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        reloads: set[asyncio.Task[int]] = set()

        def reload_faq() -> None:
            # SIGHUP re-reads content/faq.yaml without a restart; turns in flight keep the old entries.
            task = asyncio.create_task(app.kb.reload())
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, reload_faq)
        await app.start()
        await stop.wait()
        await app.stop()

    asyncio.run(run())


if __name__ == "__main__":
    main()
