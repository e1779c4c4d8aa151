"""`python -m gateway`: the public mobile API, serving until SIGTERM."""

from __future__ import annotations

import asyncio
import signal

from gateway.app import build
from gateway.settings import GatewaySettings
from shared.logging import configure_logging, get_logger
from shared.threads import pin_cpu_threads


def main() -> None:
    """Loads settings, pins math threads, serves until SIGTERM/SIGINT."""
    settings = GatewaySettings()  # type: ignore[call-arg]
    configure_logging(settings.service_name, settings.log_level)
    get_logger(__name__).info("server.threads", **pin_cpu_threads(settings.cpu_threads))

    async def run() -> None:
        app = build(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await app.start()
        await stop.wait()
        await app.stop()

    asyncio.run(run())


if __name__ == "__main__":
    main()
