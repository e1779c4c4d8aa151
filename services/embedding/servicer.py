"""EmbeddingService over gRPC: protobuf <-> domain only; the engine does the work."""

from __future__ import annotations

import grpc

from services.embedding.engine import EmbeddingEngine
from services.embedding.types import Kind, ModelState
from shared.errors import FieldViolation, InvalidArgument, NotFound
from shared.tracing import annotate
from shopmesh.common.v1 import artifact_pb2
from shopmesh.embedding.v1 import embedding_service_pb2 as pb
from shopmesh.embedding.v1 import embedding_service_pb2_grpc as pb_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["EmbeddingService"].full_name
MAX_RECENT_ITEMS = 200
_KINDS = {pb.EMBEDDING_KIND_QUERY: Kind.QUERY, pb.EMBEDDING_KIND_PASSAGE: Kind.PASSAGE}
_STATES = {ModelState.LOADING: artifact_pb2.ARTIFACT_STATE_LOADING,
           ModelState.SERVING: artifact_pb2.ARTIFACT_STATE_SERVING,
           ModelState.REJECTED: artifact_pb2.ARTIFACT_STATE_REJECTED}


class EmbeddingServicer(pb_grpc.EmbeddingServiceServicer):
    """Converts requests and responses; delegates to an EmbeddingEngine."""

    def __init__(self, engine: EmbeddingEngine):
        self._engine = engine

    async def Embed(self, request: pb.EmbedRequest, context: grpc.aio.ServicerContext) -> pb.EmbedResponse:
        result = await self._engine.embed(list(request.texts), request.model_name, _KINDS.get(request.kind))
        manifest = result.model.manifest
        annotate({"shopmesh.model": manifest.name, "shopmesh.model_version": manifest.version,
                  "shopmesh.texts": len(result.truncated), "shopmesh.cache_hits": result.cache_hits})
        return pb.EmbedResponse(
            model_name=manifest.name, model_version=manifest.version, vector_space=manifest.vector_space,
            vector_space_version=manifest.vector_space_version, dimension=manifest.dimension,
            count=len(result.truncated), vectors_f32le=result.vectors.astype("<f4", copy=False).tobytes(),
            truncated=result.truncated, cache_hit_count=result.cache_hits,
        )

    async def EmbedUser(self, request: pb.EmbedUserRequest,
                        context: grpc.aio.ServicerContext) -> pb.EmbedUserResponse:
        if len(request.recent_items) > MAX_RECENT_ITEMS:
            raise InvalidArgument(f"too many recent items: {len(request.recent_items)} > {MAX_RECENT_ITEMS}",
                                  [FieldViolation("recent_items", f"TOO_MANY: at most {MAX_RECENT_ITEMS}")],
                                  reason="TOO_MANY")
        # The user tower arrives with the learned item space (retrieval issue); until then none is loaded.
        raise NotFound("no user tower is loaded", reason="UNKNOWN_MODEL",
                       metadata={"model_name": request.model_name[:200] or "user-tower"})

    async def ListModels(self, request: pb.ListModelsRequest,
                         context: grpc.aio.ServicerContext) -> pb.ListModelsResponse:
        statuses = []
        for model in self._engine.models:
            kinds = [pb.EMBEDDING_KIND_QUERY, pb.EMBEDDING_KIND_PASSAGE]
            statuses.append(pb.ModelStatus(
                manifest=model.manifest.to_proto(), state=_STATES[model.state], state_reason=model.state_reason,
                kinds=kinds, max_sequence_tokens=model.max_sequence_tokens, max_batch_size=model.max_batch_size,
                is_default=model is self._engine.default_model, backend=self._engine.backend.name,
            ))
        return pb.ListModelsResponse(models=statuses)


def add_to_server(servicer: EmbeddingServicer, server: grpc.aio.Server) -> None:
    """Registers the servicer."""
    pb_grpc.add_EmbeddingServiceServicer_to_server(servicer, server)
