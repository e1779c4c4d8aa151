"""A small real ranker artifact for the service tests: a DCN-v2 trained on synthetic groups in seconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shopmesh.recsys.ranking.artifact import save_ranker
from shopmesh.recsys.ranking.features import (
    INDEX,
    CandidateView,
    Imputer,
    ItemSpace,
    UserView,
    featurize,
)
from shopmesh.recsys.ranking.model import RankerConfig, sample_groups, train_ranker

N_ITEMS = 60
CATEGORIES = ("Movies/Comedy", "Movies/Drama", "Movies/Action")


def item_id(n: int) -> str:
    """Synthetic item id."""
    return f"ml-{n}"


def space() -> ItemSpace:
    """Clustered 8-d item vectors: items of one category point the same way."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(len(CATEGORIES), 8))
    vectors = np.stack([centres[n % len(CATEGORIES)] + 0.3 * rng.normal(size=8) for n in range(N_ITEMS)])
    return ItemSpace([item_id(n) for n in range(N_ITEMS)], vectors.astype(np.float32))


def candidate(n: int, rank: int, covis: float | None) -> CandidateView:
    """A candidate from co-visitation (when covis is given) and trending."""
    sources = {"TRENDING": (float(N_ITEMS - n), n)}
    if covis is not None:
        sources["CO_VISITATION"] = (covis, rank)
    return CandidateView(item_id(n), CATEGORIES[n % len(CATEGORIES)], sources, retrieval_score=1.0 / (1 + rank),
                         popularity=float(N_ITEMS - n), trend=1.0, price=9.99)


def user(*recent: int) -> UserView:
    """A user with recent items and category affinities."""
    return UserView(as_of_s=1_000_000.0, total_events=float(len(recent)), recent_items=[item_id(n) for n in recent],
                    category_affinities={CATEGORIES[0]: 0.7, CATEGORIES[1]: 0.3}, last_active_s=999_000.0)


def synthetic_groups(seed: int = 0, requests: int = 120) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Requests whose positive is the candidate with the highest co-visitation score."""
    rng = np.random.default_rng(seed)
    items = space()
    feats, labels = [], []
    for _ in range(requests):
        chosen = rng.choice(N_ITEMS, size=30, replace=False)
        covis = rng.random(30)
        views = [candidate(int(n), r, float(c) if r % 3 else None) for r, (n, c) in enumerate(zip(chosen, covis,
                                                                                                   strict=True))]
        x = featurize(user(1, 2), views, items)
        y = np.zeros(30, dtype=np.float32)
        y[int(np.nanargmax(x[:, INDEX["co_visitation_score"]]))] = 1.0
        feats.append(x)
        labels.append(y)
    return feats, labels


def write_artifact(folder: Path, *, catalog_id: str = "movielens", version: str = "1") -> Path:
    """Trains a small ranker and writes it as artifact `version` under folder/ranker-<catalog>/."""
    feats, labels = synthetic_groups()
    imputer = Imputer.fit(np.concatenate(feats))
    filled = [imputer.transform(x)[0] for x in feats]
    config = RankerConfig(epochs=6, negatives=20)
    model, info = train_ranker(sample_groups(filled, labels, config.negatives, 0), config)
    target = folder / f"ranker-{catalog_id}" / version
    titles = {item_id(n): f"Movie {n}" for n in range(N_ITEMS)}
    save_ranker(target, model, imputer, space(), titles, catalog_id=catalog_id, version=version, metrics=info,
                config={"synthetic": True}, data_start=None, data_end=None)
    return target
