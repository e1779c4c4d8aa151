"""`python -m services.profile`: load settings, open the stores, serve until SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import signal

from services.profile.app import build
from services.profile.settings import ProfileSettings
from shared.logging import configure_logging, get_logger
from shared.threads import pin_cpu_threads


def main() -> None:
    """Serves the profile service until SIGTERM or SIGINT, then stops gracefully."""
    settings = ProfileSettings()  # type: ignore[call-arg]  # vault_address comes from the environment
    configure_logging(settings.service_name, settings.log_level)
    pin_cpu_threads(settings.cpu_threads)
    log = get_logger("services.profile")

    async def serve() -> None:
        app = build(settings)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await app.start()
        # The catalogue and caches live for the whole process: keep them out of the collector's scans, which
        # otherwise show up as multi-millisecond pauses in read latency.
        gc.collect()
        gc.freeze()
        log.info("profile.ready", port=app.host.port, health_port=app.host.health_port)
        await stop.wait()
        await app.stop()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
