"""Query embeddings for dense search from the embedding service (its real proto over mTLS)."""

from __future__ import annotations

import grpc
import numpy as np

from shared.channels import ChannelFactory
from shopmesh.embedding.v1 import embedding_service_pb2 as epb
from shopmesh.embedding.v1 import embedding_service_pb2_grpc as epb_grpc


class QueryEmbedder:
    """Embeds one query as kind QUERY with the text index's encoder; None when the peer is down or slow."""

    def __init__(self, channels: ChannelFactory, target: str, timeout_ms: int) -> None:
        service = epb.DESCRIPTOR.services_by_name["EmbeddingService"]
        self._stub = epb_grpc.EmbeddingServiceStub(channels.channel(target, "embedding", [service]))
        self._timeout_s = timeout_ms / 1000

    async def embed(self, text: str, model_name: str, space: str) -> np.ndarray | None:
        """The query vector in `space`, or None (search then degrades to lexical, never fails)."""
        try:
            response = await self._stub.Embed(
                epb.EmbedRequest(texts=[text], model_name=model_name, kind=epb.EMBEDDING_KIND_QUERY),
                timeout=self._timeout_s)
        except grpc.aio.AioRpcError:
            return None
        if response.vector_space != space or response.count != 1:
            return None
        return np.frombuffer(response.vectors_f32le, dtype="<f4").reshape(1, response.dimension)[0].copy()
