"""The ranker as a residual over retrieval: it starts at retrieval order and only moves what training supports."""

from __future__ import annotations

import numpy as np
import torch

from shopmesh.recsys.ranking.evaluation import per_user_ndcg
from shopmesh.recsys.ranking.features import INDEX, Imputer
from shopmesh.recsys.ranking.model import RankerConfig, RankerEnsemble, sample_groups, score, train_ranker
from tests.ranking.helpers import synthetic_groups

torch.set_num_threads(1)


def _filled(seed: int) -> tuple[Imputer, list[np.ndarray], list[np.ndarray]]:
    feats, labels = synthetic_groups(seed=seed)
    imputer = Imputer.fit(np.concatenate(feats))
    return imputer, [imputer.transform(x)[0] for x in feats], labels


def test_an_untrained_ranker_ranks_in_retrieval_order() -> None:
    _, filled, labels = _filled(0)
    model, info = train_ranker(sample_groups(filled, labels, 1000, 0), RankerConfig(epochs=0, folds=1))
    for x in filled[:10]:
        order = np.argsort(-score(model, x), kind="stable")
        assert np.array_equal(order, np.argsort(-x[:, INDEX["retrieval_score"]], kind="stable"))
    assert info["best_epoch"] == 0


def test_fold_members_learn_what_retrieval_order_misses_on_unseen_requests() -> None:
    # The positive is the candidate with the best co-visitation score, which retrieval order does not follow.
    _, filled, labels = _filled(0)
    model, info = train_ranker(sample_groups(filled, labels, 1000, 0), RankerConfig(epochs=15))
    assert isinstance(model, RankerEnsemble) and len(model.members) == 5
    assert info["held_out_ndcg10"] >= info["held_out_ndcg10_epoch0"], "a member keeps its best held-out epoch"
    feats, fresh_labels = synthetic_groups(seed=7)
    imputer = Imputer.fit(np.concatenate(synthetic_groups(seed=0)[0]))
    targets = [list(np.flatnonzero(y)) for y in fresh_labels]
    ranked = [list(np.argsort(-score(model, imputer.transform(x)[0]), kind="stable")) for x in feats]
    retrieval = [list(range(len(y))) for y in fresh_labels]
    learned, prior = np.mean(per_user_ndcg(ranked, targets)), np.mean(per_user_ndcg(retrieval, targets))
    assert learned > prior + 0.1, (learned, prior)
