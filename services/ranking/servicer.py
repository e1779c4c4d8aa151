"""RankingService: protobuf <-> domain only; the engine does the work."""

from __future__ import annotations

import time

import grpc

from services.ranking import convert
from services.ranking.engine import MAX_CANDIDATES, RankingEngine
from shared.tracing import annotate
from shopmesh.common.v1 import artifact_pb2
from shopmesh.ranking.v1 import ranking_service_pb2 as pb
from shopmesh.ranking.v1 import ranking_service_pb2_grpc as pb_grpc
from shopmesh.recsys.ranking.features import FEATURE_NAMES

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["RankingService"].full_name


class RankingServicer(pb_grpc.RankingServiceServicer):
    """Converts requests and responses around RankingEngine.

    Rank runs on the event loop: one request is a few milliseconds of numpy and one small torch forward on a
    pinned thread, less than a thread hand-off's jitter would add to p99.
    """

    def __init__(self, engine: RankingEngine) -> None:
        self.engine = engine

    def _catalog(self, value: str) -> str:
        return value or self.engine.config.default_catalog

    async def Rank(self, request: pb.RankRequest, context: grpc.aio.ServicerContext) -> pb.RankResponse:
        query = convert.query(request, self._catalog(request.catalog_id), time.time())
        response = convert.response(self.engine.rank(query))
        annotate({"shopmesh.candidates": len(request.candidates), "shopmesh.items": len(response.items),
                  "shopmesh.model": response.model_name, "shopmesh.model_version": response.model_version,
                  "shopmesh.diversity_lambda": response.diversity_lambda,
                  "shopmesh.imputed_features": response.imputed_feature_count})
        return response

    async def GetModelInfo(self, request: pb.GetModelInfoRequest,
                           context: grpc.aio.ServicerContext) -> pb.GetModelInfoResponse:
        catalog = self._catalog(request.catalog_id)
        out = pb.GetModelInfoResponse(max_candidates=MAX_CANDIDATES,
                                      default_diversity_lambda=self.engine.config.default_diversity_lambda,
                                      business_rules_ids=sorted(self.engine.rules.sets))
        models = self.engine.registry.catalog(catalog) or self.engine.registry.catalog(
            self.engine.config.default_catalog)
        if models is None or models.promoted is None:
            out.state = artifact_pb2.ARTIFACT_STATE_LOADING
        else:
            out.manifest.CopyFrom(models.promoted.manifest.to_proto())
            out.state = artifact_pb2.ARTIFACT_STATE_SERVING
            out.feature_names.extend(FEATURE_NAMES)
            for _version, artifact in models.loaded.items():
                if artifact is not models.promoted:
                    out.other_versions.append(pb.ModelVersionStatus(manifest=artifact.manifest.to_proto(),
                                                                    state=artifact_pb2.ARTIFACT_STATE_SERVING))
        if models is not None:
            for rejected in models.rejected:
                status = pb.ModelVersionStatus(state=artifact_pb2.ARTIFACT_STATE_REJECTED, state_reason=rejected.reason)
                if rejected.manifest is not None:
                    status.manifest.CopyFrom(rejected.manifest.to_proto())
                out.other_versions.append(status)
        return out


def add_to_server(servicer: RankingServicer, server: grpc.aio.Server) -> None:
    """Registers the servicer."""
    pb_grpc.add_RankingServiceServicer_to_server(servicer, server)
