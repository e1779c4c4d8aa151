"""Training the ranker from replayed retrieval: labels, imputation, groups, fit; and scoring a replay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from torch import nn

from shopmesh.recsys.protocol import Split, validation_split
from shopmesh.recsys.ranking.datasets import Dataset
from shopmesh.recsys.ranking.features import Imputer, featurize
from shopmesh.recsys.ranking.model import RankerConfig, sample_groups, score, train_ranker
from shopmesh.recsys.ranking.replay import Replay, ReplayConfig, previous_basket_split, replay
from shopmesh.recsys.tower import TowerConfig


@dataclass
class TrainedRanker:
    """A fitted ranker with what serving needs beside the weights."""

    model: nn.Module
    imputer: Imputer
    info: dict[str, float]


def training_split(split: Split) -> Split:
    """The split one step earlier, whose targets are events before every test event."""
    return previous_basket_split(split) if split.baskets else validation_split(split)


def replay_config(data: Dataset, *, tower_epochs: int | None = None, candidates: int = 200) -> ReplayConfig:
    """Replay settings for a data set (the tower only where the data set's sources include it)."""
    tower = None
    if "USER_VECTOR_ANN" in data.sources:
        tower = TowerConfig() if tower_epochs is None else TowerConfig(epochs=tower_epochs)
    return ReplayConfig(data.sources, data.weights, candidates=candidates, tower=tower)


def replay_split(data: Dataset, split: Split, config: ReplayConfig,
                 log: Callable[[str], None] | None = None) -> Replay:
    """Replays retrieval over one split of a data set."""
    return replay(split, data.item_keys, data.categories, data.prices, config=config, log=log)


def features_of(rep: Replay) -> list[np.ndarray]:
    """Raw feature matrices per user of a replay."""
    return [featurize(user, views, rep.space) for user, views in zip(rep.users, rep.views, strict=True)]


def labels_of(rep: Replay) -> list[np.ndarray]:
    """Per user, 1 for candidates among the targets."""
    return [np.isin(np.asarray(c, dtype=np.int64), t).astype(np.float32) if c else np.zeros(0, dtype=np.float32)
            for c, t in zip(rep.candidates, rep.split.targets, strict=True)]


def fit(rep: Replay, config: RankerConfig, log: bool = False) -> TrainedRanker:
    """Fits the imputer and the model on a training replay."""
    return fit_features(rep, features_of(rep), config, log=log)


def fit_features(rep: Replay, raw: list[np.ndarray], config: RankerConfig, log: bool = False) -> TrainedRanker:
    """`fit` over raw features already computed for the replay."""
    imputer = Imputer.fit(np.concatenate([x for x in raw if len(x)]))
    filled = [imputer.transform(x)[0] for x in raw]
    groups = sample_groups(filled, labels_of(rep), config.negatives, config.seed)
    model, info = train_ranker(groups, config, log=log)
    info = {**info, "users": float(rep.split.n_users),
            "users_with_positive": float(len(groups))}
    return TrainedRanker(model, imputer, info)


def rank_replay(ranker: TrainedRanker, rep: Replay, raw: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """Model scores per user over the replay's candidates (retrieval order)."""
    raw = raw if raw is not None else features_of(rep)
    return [score(ranker.model, ranker.imputer.transform(x)[0]) for x in raw]


def with_seed(config: RankerConfig, seed: int) -> RankerConfig:
    """The config with another seed."""
    return replace(config, seed=seed)
