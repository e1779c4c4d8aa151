"""`python -m services.ranking`: the learned ranker, serving until SIGTERM."""

from __future__ import annotations

import asyncio
import signal

from services.ranking.app import build
from services.ranking.settings import RankingSettings
from shared.logging import configure_logging, get_logger
from shared.threads import pin_cpu_threads


def main() -> None:
    """Loads settings, pins torch/OpenMP threads to the configured count, serves until SIGTERM/SIGINT."""
    settings = RankingSettings()  # type: ignore[call-arg]
    configure_logging(settings.service_name, settings.log_level)
    get_logger(__name__).info("server.threads", **pin_cpu_threads(settings.cpu_threads))
    import torch

    torch.set_num_threads(settings.cpu_threads)

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
