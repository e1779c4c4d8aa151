"""`python -m services.embedding`: serve text embeddings until SIGTERM (starting a child tritonserver when
the backend is the local Triton)."""

from __future__ import annotations

import asyncio

from services.embedding.app import build_engine, build_host, ensure_models, poll_triton_queue, watch
from services.embedding.settings import EmbeddingSettings
from shared.logging import configure_logging, get_logger
from shared.threads import pin_cpu_threads


def main() -> None:
    """Loads settings, pins threads, builds the models if missing, serves until signalled, stops Triton."""
    settings = EmbeddingSettings()  # type: ignore[call-arg]
    configure_logging(settings.service_name, settings.log_level)
    log = get_logger("services.embedding")
    log.info("server.threads", **pin_cpu_threads(settings.cpu_threads))

    async def serve() -> None:
        root = await ensure_models(settings)
        engine = build_engine(settings, root)
        log.info("embedding.backend", backend=engine.backend.name, models=[m.name for m in engine.models])
        host = build_host(settings, engine)
        tasks: list[asyncio.Task[None]] = []

        async def on_start() -> None:
            await engine.start()
            tasks.append(watch(host, engine, settings))
            poller = poll_triton_queue(host, engine)
            if poller is not None:
                tasks.append(poller)

        try:
            await host.serve_until_signalled(on_start)
        finally:
            for task in tasks:
                task.cancel()
            await engine.close()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
