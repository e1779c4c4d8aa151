"""`python -m services.retrieval`: serve candidates, similar items and search until SIGTERM."""

from __future__ import annotations

import asyncio
import signal

from services.retrieval.app import RetrievalApp
from services.retrieval.settings import RetrievalSettings
from shared.logging import configure_logging, get_logger
from shared.threads import pin_cpu_threads


def main() -> None:
    """Loads settings, pins threads, serves until signalled."""
    settings = RetrievalSettings()  # type: ignore[call-arg]
    configure_logging(settings.service_name, settings.log_level)
    get_logger("services.retrieval").info("server.threads", **pin_cpu_threads(settings.cpu_threads))

    async def serve() -> None:
        app = RetrievalApp(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await app.start()
        await stop.wait()
        await app.stop()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
