"""Wiring: from settings to a running engine (model repository, backend choice, child Triton) and its host."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.embedding.backend import EmbeddingBackend
from services.embedding.backend_inprocess import InProcessBackend
from services.embedding.backend_triton import TritonBackend
from services.embedding.cache import VectorCache
from services.embedding.catalog import load_catalog
from services.embedding.engine import EmbeddingEngine
from services.embedding.observability import TritonQueueStats
from services.embedding.observability import register as register_triton_stats
from services.embedding.servicer import SERVICE_NAME, EmbeddingServicer, add_to_server
from services.embedding.settings import EmbeddingSettings
from services.embedding.triton_process import ManagedTriton
from shared.logging import get_logger
from shared.metrics import register_caches
from shared.server import ServiceHost
from shopmesh import paths
from shopmesh.models.repository import CPU, models_dir

_log = get_logger(__name__)


async def ensure_models(settings: EmbeddingSettings) -> Path:
    """The model repository, built on first start when missing and allowed (a thread: it takes ~10 s)."""
    from shopmesh.models.build import build_repository, is_built

    root = (settings.models_dir or models_dir()).resolve()
    if not is_built(root) and settings.build_models_on_start:
        _log.info("embedding.building_models", root=str(root))
        await asyncio.to_thread(build_repository, root, check_triton=False,
                                progress=lambda line: _log.info("embedding.build", line=line))
    return root


def choose_backend(settings: EmbeddingSettings, root: Path) -> EmbeddingBackend:
    """Triton (external or a child tritonserver) or in-process, per settings and what this machine runs."""
    from shopmesh.models.tritonserver import ensure_installed

    timeout_s = settings.triton_timeout_ms / 1000
    if settings.backend == "in_process":
        return InProcessBackend(settings.cpu_threads)
    if settings.triton_url:
        return TritonBackend(settings.triton_url, timeout_s=timeout_s)
    # Bounded: `shopmesh up` waits 120 s for health, and the in-process fallback serves the same vectors.
    install, reason = ensure_installed(timeout_s=60)
    if install is None:
        if settings.backend == "triton":
            raise RuntimeError(f"backend=triton but the local tritonserver cannot run here: {reason}")
        _log.warning("embedding.triton_unavailable_falling_back_to_in_process", reason=reason)
        return InProcessBackend(settings.cpu_threads)
    managed = ManagedTriton(install, root / CPU, paths.run_dir() / "logs" / "tritonserver.log",
                            grpc_port=settings.triton_grpc_port, threads=settings.cpu_threads)
    return TritonBackend("", timeout_s=timeout_s, managed=managed)


def build_engine(settings: EmbeddingSettings, root: Path, backend: EmbeddingBackend | None = None) -> EmbeddingEngine:
    """The engine over the catalogue under `root` (checksums verified) and the chosen backend."""
    return EmbeddingEngine(
        load_catalog(root), backend or choose_backend(settings, root), VectorCache(settings.cache_max_bytes),
        max_texts=settings.max_texts_per_request, max_chars=settings.max_text_chars,
        max_batch=settings.max_batch_texts, max_queued=settings.max_queued_texts,
        max_wait_s=settings.max_batch_wait_ms / 1000, max_concurrent=settings.max_concurrent_batches,
    )


def build_host(settings: EmbeddingSettings, engine: EmbeddingEngine) -> ServiceHost:
    """A host with the servicer registered (not started); NOT_SERVING until `watch` sees the models ready."""
    servicer = EmbeddingServicer(engine)
    host = ServiceHost(settings, lambda server: add_to_server(servicer, server), [SERVICE_NAME])
    register_caches(host.metrics.registry, {"embedding_text_vector": engine.cache})
    return host


def poll_triton_queue(host: ServiceHost, engine: EmbeddingEngine) -> asyncio.Task[None] | None:
    """Exports Triton's queue totals when the backend is Triton (None for the in-process backend)."""
    read = getattr(engine.backend, "queue_statistics", None)
    if read is None:
        return None
    stats = TritonQueueStats()
    register_triton_stats(host.metrics.registry, stats)
    return asyncio.create_task(stats.poll(read), name="embedding-triton-stats")


def watch(host: ServiceHost, engine: EmbeddingEngine, settings: EmbeddingSettings) -> asyncio.Task[None]:
    """Keeps health in step with the models' readiness (flips within readiness_interval_s)."""
    return asyncio.create_task(host.watch_readiness(engine.refresh_states, settings.readiness_interval_s),
                               name="embedding-readiness")
