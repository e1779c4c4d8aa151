"""Typed loaders over the real fetched data (integration): counts, types, event times, synthetic fields."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopmesh.data import chinese_reviews, clothing, instacart, movielens
from shopmesh.data.chinese_reviews import Sentiment
from shopmesh.data.records import EventType

pytestmark = pytest.mark.integration


def test_movielens_counts_and_types(data_dir: Path) -> None:
    items = movielens.load_items(data_dir)
    users = movielens.load_users(data_dir)
    interactions = movielens.load_interactions(data_dir)

    assert len(items) == 1_682 and len(users) == 943 and len(interactions) == 100_000
    assert len({i.user_id for i in interactions}) == 943 and len({i.item_id for i in interactions}) == 1_682
    toy_story = items[0]
    assert (toy_story.item_id, toy_story.title, toy_story.year) == (1, "Toy Story", 1995)
    assert toy_story.genres == ("Animation", "Children's", "Comedy")
    assert toy_story.category_path == ("Movies", "Animation")
    assert users[0] == movielens.MovieLensUser(1, 24, "M", "technician", "85711")
    assert {u.gender for u in users} == {"M", "F"}
    assert all(i.event_type is EventType.RATE and i.rating in {1.0, 2.0, 3.0, 4.0, 5.0} for i in interactions)


def test_movielens_event_times_are_the_real_1997_1998_timestamps(data_dir: Path) -> None:
    interactions = movielens.load_interactions(data_dir)
    times = [i.event_time for i in interactions]
    assert all(t.tzinfo is UTC for t in times)
    assert datetime(1997, 9, 1, tzinfo=UTC) <= min(times) and max(times) < datetime(1998, 5, 1, tzinfo=UTC)
    assert times == sorted(times)
    first = interactions[0]
    assert (first.user_id, first.item_id, first.epoch_seconds) == (259, 255, 874724710)


def test_movielens_synthetic_fields_are_marked_deterministic_and_seeded(data_dir: Path) -> None:
    a = movielens.load_items(data_dir, seed=1)
    b = movielens.load_items(data_dir, seed=1)
    c = movielens.load_items(data_dir, seed=2)
    assert a == b
    assert all(item.synthetic_fields == {"description", "brand", "price_cents", "stock"} for item in a)
    assert not a[0].is_synthetic("title") and a[0].is_synthetic("price_cents")
    changed = sum(x.price_cents != y.price_cents for x, y in zip(a, c, strict=True))
    assert changed > 1_500, "another seed gives other prices"
    assert all((x.title, x.year, x.genres) == (y.title, y.year, y.genres) for x, y in zip(a, c, strict=True))
    assert all(499 <= item.price_cents <= 2999 and item.stock >= 0 for item in a)
    assert 0 < sum(not item.in_stock for item in a) < 200


def test_clothing_reviews_and_items(data_dir: Path) -> None:
    reviews = clothing.load_reviews(data_dir)
    items = clothing.load_items(data_dir, reviews=reviews)

    assert len(reviews) == 23_486 and len(items) == 1_206
    assert Counter(r.rating for r in reviews) == {5: 13_131, 4: 5_077, 3: 2_871, 2: 1_565, 1: 842}
    assert sum(r.recommended for r in reviews) == 19_314
    assert sum(r.text is None for r in reviews) == 845
    first = reviews[0]
    assert (first.item_id, first.rating, first.class_name) == (767, 4, "Intimates")
    assert first.text == "Absolutely wonderful - silky and sexy and comfortable"
    assert sum(item.review_count for item in items) == 23_486
    dress = next(item for item in items if item.item_id == 1078)
    assert dress.category_path == ("Clothing", "Dresses", "Dresses")
    assert dress.synthetic_fields == {"title", "description", "brand", "price_cents", "stock"}
    assert "dress" in dress.title
    assert clothing.load_items(data_dir, seed=7, reviews=reviews) == clothing.load_items(
        data_dir, seed=7, reviews=reviews
    )


def test_instacart_baskets_in_sequence_with_synthetic_monotonic_times(data_dir: Path) -> None:
    baskets = instacart.load_baskets(data_dir)
    interactions = instacart.load_interactions(data_dir, baskets=baskets)
    items = instacart.load_items(data_dir, baskets=baskets)

    assert len(baskets) == 15_183 and len(interactions) == 150_000 and len(items) == 14_190
    assert len({b.user_id for b in baskets}) == 593
    assert all(i.event_type is EventType.PURCHASE for i in interactions)
    for _, group in itertools.groupby(baskets, key=lambda b: b.user_id):
        seq = list(group)
        assert [b.order_number for b in seq] == list(range(1, len(seq) + 1))
        assert seq[0].days_since_prior_order is None
        for before, after in itertools.pairwise(seq):
            assert after.event_time > before.event_time
            assert (after.event_time.date() - before.event_time.date()).days >= (after.days_since_prior_order or 0)
        for basket in seq:
            assert basket.event_time.isoweekday() % 7 == basket.order_dow  # 0 read as Sunday
            assert basket.event_time.tzinfo is UTC
    assert max(b.event_time for b in baskets) < datetime(2017, 12, 31, tzinfo=UTC)
    assert instacart.load_baskets(data_dir) == baskets, "the synthetic clock is deterministic"
    assert all(item.synthetic_fields >= {"title", "price_cents", "category_path"} for item in items)


def test_chinese_sentences_counts_and_dedupe(data_dir: Path) -> None:
    sentences = chinese_reviews.load_sentences(data_dir)
    assert Counter(s.label for s in sentences) == {Sentiment.POSITIVE: 16_548, Sentiment.NEGATIVE: 18_575}
    assert all(s.text == s.text.strip() and s.text for s in sentences)
    unique = chinese_reviews.load_sentences(data_dir, dedupe=True)
    texts = [s.text for s in unique]
    assert len(texts) == len(set(texts)) == 17_363
    assert Counter(s.label for s in unique) == {Sentiment.POSITIVE: 8_332, Sentiment.NEGATIVE: 9_031}
