"""Acceptance 3 of #12: the retraining gate against a running ranking service (real grpc.aio over mTLS).

Real MovieLens data (150 users, fixed subsample and seeds), real training and offline judging, real artifacts:
version 1 is a weak ranker (one epoch, no retrieval prior); a deliberately worse candidate (an untrained
DCN without the retrieval prior, i.e. random scores) is refused and 1 keeps serving; a better one (the
first-start recipe, via `shopmesh retrain`) is promoted and the running service serves it at its own
periodic refresh; `shopmesh models rollback` brings 1 back, again without a restart.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from services.ranking.app import RankingApp
from services.ranking.model_metrics import created_seconds
from shopmesh.cli.main import main
from shopmesh.models.manifest import read_manifest
from shopmesh.ranking.v1 import ranking_service_pb2 as pb
from shopmesh.ranking.v1 import ranking_service_pb2_grpc as pb_grpc
from shopmesh.recsys.ranking import datasets
from shopmesh.recsys.ranking.build import Recipe
from shopmesh.recsys.ranking.gate import read_decisions, retrain
from shopmesh.recsys.ranking.model import RankerConfig
from tests.ranking.conftest import Factory
from tests.ranking.test_service import candidate, request

USERS = 150
TOLERANCE = 0.01
WEAK = Recipe(tower_epochs=1, ranker=RankerConfig(epochs=1, prior=False, folds=1, validation_share=0.0))
WORSE = Recipe(tower_epochs=1, ranker=RankerConfig(epochs=0, prior=False, folds=1, validation_share=0.0))
BETTER_CLI = ["--users", str(USERS), "--tower-epochs", "1", "--quick", "--epochs", "3"]


Started = tuple[RankingApp, pb_grpc.RankingServiceStub]


async def served(stub: pb_grpc.RankingServiceStub, version: str, within_s: float = 10.0) -> pb.GetModelInfoResponse:
    """Polls GetModelInfo until the service's own refresh loop serves `version` (fails after within_s)."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        info = await stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5)
        if info.manifest.version == version or asyncio.get_running_loop().time() > deadline:
            assert info.manifest.version == version, f"still serving {info.manifest.version}, not {version}"
            return info
        await asyncio.sleep(0.1)


def metric(app: RankingApp, name: str, **labels: str) -> float | None:
    return app.host.metrics.registry.get_sample_value(name, labels)


async def test_worse_candidate_refused_better_promoted_and_served_without_restart(
        ranking: Factory, tmp_path: Path) -> None:
    models = tmp_path / "models"
    family = models / "artifacts" / "ranker-movielens"
    data = datasets.movielens()
    data = replace(data, split=data.split.subsample(USERS))

    first = await asyncio.to_thread(retrain, data, models / "artifacts", recipe=WEAK, tolerance=TOLERANCE)
    assert first.promoted and first.candidate_version == "1" and first.current_version is None
    # test_service's factory (refreshing every 0.2 s), over the models root the registry and the gate write.
    app, stub = await ranking(models_dir=tmp_path / "models" / "artifacts")
    await served(stub, "1")
    page = [candidate(n, n, 0.9 if n == 7 else 0.05 + n / 100) for n in range(30)]
    rank_1 = await stub.Rank(request(page, diversity_lambda=0.0), timeout=5)
    assert rank_1.model_version == "1"
    assert metric(app, "shopmesh_model_info", family="ranker-movielens", version="1") == 1.0
    assert metric(app, "shopmesh_model_created_timestamp_seconds", family="ranker-movielens") == \
        created_seconds(read_manifest(family / "1").create_time)

    worse = await asyncio.to_thread(retrain, data, models / "artifacts", recipe=WORSE, tolerance=TOLERANCE)
    assert not worse.promoted and worse.candidate_version == "2" and worse.current_version == "1"
    assert worse.current_ndcg10 is not None and worse.candidate_ndcg10 < worse.current_ndcg10 - TOLERANCE
    assert (family / "2" / "manifest.json").is_file(), "a refused candidate stays on disk"
    await asyncio.sleep(0.5)  # two refresh periods: the service has seen folder 2
    info = await served(stub, "1")
    assert any(v.manifest.version == "2" for v in info.other_versions), "loaded, but not what it serves"
    assert (await stub.Rank(request(page, diversity_lambda=0.0), timeout=5)).model_version == "1"

    code = await asyncio.to_thread(main, ["retrain", "--models-dir", str(models), "--tolerance", str(TOLERANCE),
                                          "--json", *BETTER_CLI])
    assert code == 0, "promoted"
    decisions = read_decisions(family)
    better = decisions[-1]
    assert better.promoted and better.candidate_version == "3" and better.current_version == "1"
    assert better.current_ndcg10 == pytest.approx(worse.current_ndcg10), "the same held-out events and model"
    assert better.current_ndcg10 is not None and better.candidate_ndcg10 > better.current_ndcg10
    await served(stub, "3")
    rank_3 = await stub.Rank(request(page, diversity_lambda=0.0), timeout=5)
    assert rank_3.model_version == "3"
    assert [i.score for i in rank_3.items] != [i.score for i in rank_1.items], "the new model scores the page"
    assert metric(app, "shopmesh_model_info", family="ranker-movielens", version="3") == 1.0
    assert metric(app, "shopmesh_model_info", family="ranker-movielens", version="1") is None

    assert [(d.candidate_version, d.promoted) for d in decisions] == [("1", True), ("2", False), ("3", True)]
    lines = [json.loads(line) for line in (family / "decisions.jsonl").read_text().splitlines()]
    assert {"time", "candidate_ndcg10", "current_ndcg10", "tolerance", "promoted", "reason"} <= set(lines[1])
    assert "<" in lines[1]["reason"] and lines[1]["tolerance"] == TOLERANCE

    assert await asyncio.to_thread(main, ["models", "rollback", "ranker-movielens", "--out", str(models),
                                          "--indexes", str(tmp_path / "indexes")]) == 0
    await served(stub, "1")
    back = await stub.Rank(request(page, diversity_lambda=0.0), timeout=5)
    assert back.model_version == "1" and [i.score for i in back.items] == [i.score for i in rank_1.items]

    demanding = await asyncio.to_thread(main, ["retrain", "--models-dir", str(models), "--tolerance", "-0.5",
                                               *BETTER_CLI])
    assert demanding == 3, "a candidate that must beat the current model by 0.5 NDCG@10 is refused: exit 3"
    assert read_decisions(family)[-1].candidate_version == "4" and not read_decisions(family)[-1].promoted
    await asyncio.sleep(0.5)
    assert (await served(stub, "1")).manifest.version == "1"
