"""The shortened training and evaluation run CI executes (one seed, few epochs, a user subsample)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from shopmesh.cli.main import main
from shopmesh.recsys.ranking import datasets, training
from shopmesh.recsys.ranking.artifact import load_ranker, save_ranker
from shopmesh.recsys.ranking.model import RankerConfig, score
from shopmesh.recsys.ranking.replay import Replay


@pytest.fixture(scope="module")
def movie_replay() -> tuple[datasets.Dataset, Replay]:
    data = datasets.movielens()
    data = replace(data, split=data.split.subsample(120, seed=1))
    config = training.replay_config(data, tower_epochs=1)
    return data, training.replay_split(data, training.training_split(data.split), config)


def test_replayed_examples_are_before_the_test_events(movie_replay: tuple[datasets.Dataset, Replay]) -> None:
    _, rep = movie_replay
    labels = training.labels_of(rep)
    assert sum(int(y.sum() > 0) for y in labels) > 40, "most replayed requests hold the next item"
    for user, view in zip(rep.split.test_times, rep.users, strict=True):
        assert view.as_of_s == user and (view.last_active_s or 0) <= user, "features as of the event time"


def test_same_seed_retrain_reproduces_and_the_export_matches(movie_replay: tuple[datasets.Dataset, Replay],
                                                             tmp_path: Path) -> None:
    data, rep = movie_replay
    raw = training.features_of(rep)
    config = RankerConfig(epochs=2)
    first = training.fit_features(rep, raw, config)
    again = training.fit_features(rep, raw, config)
    other = training.fit_features(rep, raw, replace(config, seed=1))
    x = first.imputer.transform(raw[0])[0]
    assert np.array_equal(score(first.model, x), score(again.model, x)), "same seed, same model"
    assert not np.array_equal(score(first.model, x), score(other.model, x))
    save_ranker(tmp_path / "1", first.model, first.imputer, rep.space, data.titles, catalog_id="movielens",
                version="1", metrics=first.info, config={}, data_start=None, data_end=None,
                triton_root=tmp_path / "models")
    loaded = load_ranker(tmp_path / "1")
    assert np.allclose(score(loaded.model, x), score(first.model, x), atol=1e-5), "TorchScript = the trained model"
    pbtxt = (tmp_path / "models" / "triton-gpu" / "ranker-movielens" / "config.pbtxt").read_text()
    assert 'backend: "pytorch"' in pbtxt and "KIND_GPU" in pbtxt
    assert (tmp_path / "models" / "triton-gpu" / "ranker-movielens" / "1" / "model.pt").is_file()


def test_eval_recommend_prints_both_tables_with_the_baselines(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figures.json"
    code = main(["eval", "recommend", "--users", "60", "--tower-epochs", "1", "--seeds", "0", "--epochs", "3",
                 "--diversity-lambdas", "0.2", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "movielens-100k: 60 users" in printed and "instacart-sample: 60 users" in printed
    for name in ("popularity", "item-kNN", "ALS (implicit)", "BPR (implicit)", "co-visitation", "retrieval order",
                 "per-user repurchase", "ranker DCN-v2, mean of 1 seeds", "ranker + MMR lambda 0.2"):
        assert name in printed
    movies, groceries = json.loads(out.read_text())
    assert movies["facts"]["retrain_ndcg10_rel_diff"] == 0.0
    rows = {r["name"]: r for r in groceries["rows"]}
    ranker = rows["ranker DCN-v2, mean of 1 seeds"]
    assert ranker["ci"][0] <= ranker["ndcg10"] <= ranker["ci"][1]
    assert ranker["ndcg10"] > rows["popularity"]["ndcg10"] * 2
    assert ranker["ndcg10"] >= 0.9 * rows["per-user repurchase"]["ndcg10"]
