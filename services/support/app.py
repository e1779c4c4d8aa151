"""Wiring: settings -> store, peers, models, KB, engine, servicer, host (what __main__ and the tests build)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.support.agents import AgentDesk
from services.support.answering import Answerer
from services.support.artifacts import load_or_train
from services.support.batching import BatchingEncoder
from services.support.encoder import DIMENSION, CachedEncoder, E5Encoder
from services.support.engine import EngineConfig, SupportEngine
from services.support.escalation import EscalationPolicy
from services.support.kb import KnowledgeBase
from services.support.live import LiveHub
from services.support.nlu import Understander
from services.support.peers import EmbeddingClient, InProcessEncoder, ProfileClient, VaultRedactor
from services.support.servicer import SERVICE_NAME, SupportServicer
from services.support.settings import SupportSettings
from services.support.store import SessionStore
from shared.channels import ChannelFactory
from shared.errors import Unavailable
from shared.logging import get_logger
from shared.server import ServiceHost
from shopmesh.support.v1 import support_service_pb2_grpc as pb_grpc

_log = get_logger(__name__)
KB_EMBED_TIMEOUT_S = 60.0
KB_EMBED_PART = 16


def open_store(settings: SupportSettings) -> SessionStore:
    """The session store the settings name."""
    handoff_ttl = settings.handoff_retention_seconds or max(settings.session_ttl_seconds * 48, 86400)
    if settings.session_store == "redis":
        from services.support.store_redis import RedisSessionStore

        return RedisSessionStore(settings.redis_url, settings.redis_prefix, handoff_ttl_seconds=handoff_ttl)
    from services.support.store_sqlite import SqliteSessionStore

    return SqliteSessionStore(settings.data_dir / "sessions.sqlite", handoff_ttl_seconds=handoff_ttl)


@dataclass
class SupportApp:
    """A built (not started) support service."""

    host: ServiceHost
    servicer: SupportServicer
    engine: SupportEngine
    kb: KnowledgeBase
    channels: ChannelFactory
    encoder: Any
    settings: SupportSettings
    turn_encoder: BatchingEncoder

    async def start(self) -> None:
        """Serves (NOT_SERVING), loads or trains the models, embeds the FAQ, then reports SERVING."""
        await self.host.start()
        models = await asyncio.to_thread(
            load_or_train, CachedEncoder(E5Encoder()) if self.settings.train_missing_models else _NoEncoder(),
            self.settings.models_dir, train_missing=self.settings.train_missing_models)
        self.engine.understander.intents = models.intent
        self.engine.understander.sentiment = models.sentiment
        count = await self._load_faq()
        _log.info("support.ready", intent_model=models.intent_manifest.version,
                  sentiment_model=models.sentiment_manifest.version, faq_entries=count)
        await self.host.set_ready(True)

    async def _load_faq(self) -> int:
        """Embeds the FAQ, waiting (NOT_SERVING, with backoff) while the embedding service is not up yet.

        In a mesh started all at once, embedding may still be loading Triton when support starts; that is a
        dependency not ready, not a reason to exit.
        """
        delay_s = 0.5
        while True:
            try:
                return await self.kb.reload()
            except Unavailable as exc:
                _log.warning("support.faq_waiting_for_embedding", reason=exc.reason, retry_in_s=delay_s)
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, 5.0)

    async def stop(self, grace_s: float | None = None) -> None:
        """Ends open streams, stops serving, closes the store and channels."""
        self.engine.hub.close_all()
        await self.host.stop(grace_s)
        await self.turn_encoder.close()
        await self.encoder.close()
        await self.engine.store.close()
        await self.channels.close()


class _NoEncoder:
    """Stands in when training is off: loading then never needs vectors."""

    def encode(self, texts: list[str]) -> Any:
        raise FileNotFoundError("models are missing and training at start is off")


def build(settings: SupportSettings) -> SupportApp:
    """Builds the service (nothing started; the models load in `start`)."""
    channels = ChannelFactory(settings.tls_files(), default_deadline_ms=settings.default_deadline_ms)
    redactor = VaultRedactor(channels, settings.vault_address, settings.vault_timeout_ms / 1000)
    profile = ProfileClient(channels, settings.profile_address, settings.profile_timeout_ms / 1000)
    encoder: Any
    if settings.encoder == "embedding_service":
        encoder = EmbeddingClient(channels, settings.embedding_address, settings.embedding_timeout_ms / 1000)
    else:
        encoder = InProcessEncoder(settings.in_process_cache_texts)
    async def embed_faq(texts: list[str]) -> Any:
        # The FAQ is embedded at start and on reload: long texts, more than a turn's deadline. In parts of
        # KB_EMBED_PART texts, each with its own deadline, so a slow encoder (loaded CPU) is not one timeout.
        parts = [await encoder.embed(texts[i:i + KB_EMBED_PART], timeout_s=KB_EMBED_TIMEOUT_S)
                 for i in range(0, len(texts), KB_EMBED_PART)]
        return np.concatenate(parts) if parts else np.zeros((0, DIMENSION), dtype=np.float32)

    kb = KnowledgeBase(embed_faq)
    # Turns go through the batcher (concurrent turns share one encoder call); the FAQ is embedded directly.
    turn_encoder = BatchingEncoder(encoder.embed, max_batch=settings.embed_max_batch,
                                   window_ms=settings.embed_batch_window_ms,
                                   cache_texts=settings.turn_vector_cache_texts, max_chars=settings.turn_max_chars)
    # The models are filled in by start(); the understander is built now so the engine is complete.
    understander = Understander(None, None, EscalationPolicy())  # type: ignore[arg-type]
    engine = SupportEngine(open_store(settings), redactor, turn_encoder, understander, Answerer(kb, profile), LiveHub(),
                           EngineConfig(settings.session_ttl_seconds, settings.max_turns_per_minute,
                                        settings.chunk_chars))
    servicer = SupportServicer(engine, AgentDesk(engine), settings.console_identities)
    host = ServiceHost(settings, lambda server: pb_grpc.add_SupportServiceServicer_to_server(servicer, server),
                       [SERVICE_NAME])
    return SupportApp(host, servicer, engine, kb, channels, encoder, settings, turn_encoder)
