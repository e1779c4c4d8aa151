"""Scatter-gather over shard replicas: the same request to every shard, candidates re-merged as one.

Each shard proposes only items it owns and returns its own top k; every candidate carries its raw per-source
scores, so the client rebuilds each source's list over the union, cuts it to the source's quota and runs the
same fusion. Shards normalise each source over their own lists, so the merged order can differ slightly
from one replica's (tests/retrieval/test_shards.py measures the overlap). A shard that fails is
left out and named in the answer; all shards failing is the first shard's error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.retrieval.convert import source_name, source_value
from shopmesh.common.v1 import recommendation_pb2
from shopmesh.recsys.merge import FusionWeight, SourceResult, merge
from shopmesh.retrieval.v1 import retrieval_service_pb2 as pb
from shopmesh.retrieval.v1 import retrieval_service_pb2_grpc as pb_grpc


@dataclass
class GatheredCandidates:
    """The merged answer and which shards failed."""

    response: pb.RetrieveCandidatesResponse
    failed_shards: list[int]


class ShardedRetrievalClient:
    """Calls every shard's RetrieveCandidates and merges."""

    def __init__(self, stubs: Sequence[pb_grpc.RetrievalServiceStub], weights: Mapping[str, FusionWeight]) -> None:
        self.stubs = list(stubs)
        self.weights = weights

    async def retrieve(self, request: pb.RetrieveCandidatesRequest, timeout_s: float) -> GatheredCandidates:
        """The merged top k over all shards."""
        calls = [stub.RetrieveCandidates(request, timeout=timeout_s) for stub in self.stubs]
        answers = await asyncio.gather(*calls, return_exceptions=True)
        ok = [(n, a) for n, a in enumerate(answers) if isinstance(a, pb.RetrieveCandidatesResponse)]
        failed = [n for n, a in enumerate(answers) if not isinstance(a, pb.RetrieveCandidatesResponse)]
        if not ok:
            error = answers[0]
            assert isinstance(error, BaseException)
            raise error
        return GatheredCandidates(self._merge([a for _, a in ok], request.k), failed)

    def _merge(self, answers: list[pb.RetrieveCandidatesResponse], k: int) -> pb.RetrieveCandidatesResponse:
        per_source: dict[str, list[tuple[float, str]]] = {}
        keys: dict[str, int] = {}
        ids: list[str] = []
        for answer in answers:
            for c in answer.candidates:
                if c.item_id not in keys:
                    keys[c.item_id] = len(ids)
                    ids.append(c.item_id)
                for s in c.sources:
                    per_source.setdefault(source_name(s.source), []).append((s.score, c.item_id))
        quotas = {source_name(r.source): r.requested_count for a in answers for r in a.source_reports}
        results = []
        for source, entries in per_source.items():
            # Cut the union back to the source's quota, as one replica would have.
            kept = sorted(set(entries), key=lambda e: (-e[0], e[1]))[: quotas.get(source) or None]
            results.append(SourceResult(source, [keys[i] for _, i in kept], [s for s, _ in kept]))
        merged = merge(results, self.weights, k)
        out = pb.RetrieveCandidatesResponse(cold_start=any(a.cold_start for a in answers),
                                            snapshots=answers[0].snapshots)
        for m in merged:
            out.candidates.append(pb.Candidate(item_id=ids[m.item], score=m.score, sources=[
                recommendation_pb2.SourceScore(source=source_value(s), score=score, rank=rank)
                for s, score, rank in m.sources]))
        for answer in answers:
            out.source_reports.extend(answer.source_reports)
        return out

