"""The offline protocol of `shopmesh eval retrieval`, and a shortened run of it (the full run is the CLI's)."""

from __future__ import annotations

import numpy as np
import pytest

from shopmesh.data import instacart, movielens
from shopmesh.recsys.evaluate import GROCERY_WEIGHTS, MOVIE_WEIGHTS, EvalConfig, evaluate
from shopmesh.recsys.metrics import ndcg_at, recall_at
from shopmesh.recsys.protocol import Split, last_basket, leave_last_out, validation_split
from shopmesh.recsys.tower import TowerConfig


@pytest.fixture(scope="module")
def movielens_split() -> Split:
    return leave_last_out(movielens.load_interactions())


def test_leave_last_out_protocol(movielens_split: Split) -> None:
    split = movielens_split
    interactions = movielens.load_interactions()
    assert split.n_users == 943 and split.n_items == 1682
    assert sum(len(h) for h in split.histories) + split.n_users == len(interactions)
    last: dict[int, tuple[int, int]] = {}
    for i in interactions:
        last[i.user_id] = max(last.get(i.user_id, (0, 0)), (i.epoch_seconds, i.item_id))
    for user, (target, times) in enumerate(zip(split.targets, split.history_times, strict=True)):
        when, item = last[user + 1]
        assert split.item_ids[target[0]] == item and split.test_times[user] == when
        assert max(times) <= when, "only earlier events are visible"


def test_last_basket_protocol() -> None:
    baskets = instacart.load_baskets()
    split = last_basket(baskets)
    assert not split.exclude_seen
    last: dict[int, tuple[int, instacart.Basket]] = {}
    for b in baskets:
        if b.user_id not in last or b.order_number > last[b.user_id][0]:
            last[b.user_id] = (b.order_number, b)
    first = split.item_ids[split.targets[0]]
    assert set(first.tolist()) == set(last[min(last)][1].product_ids)


def test_metrics() -> None:
    assert recall_at([[1, 2, 3]], [[3, 9]], 2) == 0.0
    assert recall_at([[1, 2, 3]], [[3, 9]], 3) == 0.5
    assert ndcg_at([[5, 1]], [[1]], 10) == pytest.approx(1 / np.log2(3))


def test_shortened_eval_ranks_sources_sanely(movielens_split: Split) -> None:
    split = movielens_split.subsample(300, seed=1)
    category = np.zeros(split.n_items, dtype=np.int64)
    report = evaluate(split, category, EvalConfig(tower=TowerConfig(epochs=2), weights=MOVIE_WEIGHTS))
    text = report.format()
    assert "merged" in text and "ALS (implicit)" in text
    popularity = report.value("popularity", 100)
    assert report.value("co-visitation (last 5)", 100) > popularity + 0.1
    assert report.value("merged", 500) >= max(report.value(s, 500) for s in ("TRENDING", "CATEGORY_AFFINITY"))
    assert report.value("merged", 100) > popularity


def test_shortened_instacart_merge_beats_repurchase_alone() -> None:
    split = last_basket(instacart.load_baskets()).subsample(150, seed=1)
    category = np.zeros(split.n_items, dtype=np.int64)
    config = EvalConfig(tower=TowerConfig(epochs=1, negatives=512), weights=GROCERY_WEIGHTS,
                        sources=("REPURCHASE", "CO_VISITATION", "TRENDING"))
    report = evaluate(split, category, config)
    assert report.value("merged", 100) >= report.value("REPURCHASE", 100)


def test_validation_split_never_sees_the_test_item(movielens_split: Split) -> None:
    valid = validation_split(movielens_split)
    assert valid.n_users == movielens_split.n_users
    for user in range(valid.n_users):
        history = movielens_split.histories[user]
        assert valid.targets[user] == [history[-1]] and valid.histories[user] == history[:-1]
        # MovieLens has one rating per (user, item), so the test item is in neither part.
        assert movielens_split.targets[user][0] not in valid.histories[user] + valid.targets[user]
