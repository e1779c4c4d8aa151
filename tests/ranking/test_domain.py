"""Unit tests of the ranker's domain: featurisation and imputation, MMR, business rules, reasons, artifact load."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from services.ranking.reasons import render
from services.ranking.rules import RuleBook, RuleContext, RuleItem, apply_rules
from shopmesh.recsys.ranking.artifact import SchemaMismatch, load_ranker
from shopmesh.recsys.ranking.diversity import intra_list_diversity, mmr, similarity_matrix
from shopmesh.recsys.ranking.features import FEATURE_NAMES, INDEX, CandidateView, Imputer, UserView, featurize
from shopmesh.recsys.ranking.model import listnet_loss
from tests.ranking import helpers


def test_missing_and_nan_values_are_imputed_and_counted() -> None:
    views = [helpers.candidate(1, 0, 0.5), CandidateView("ml-2", sources={"CO_VISITATION": (math.nan, 1)})]
    x = featurize(helpers.user(3), views, helpers.space())
    assert np.isnan(x[1, INDEX["co_visitation_score"]])
    assert np.isnan(x[1, INDEX["item_log_popularity"]])
    imputer = Imputer(np.full(len(FEATURE_NAMES), 7.0, dtype=np.float32), np.ones(len(FEATURE_NAMES), dtype=bool))
    filled, count = imputer.transform(x)
    assert np.isfinite(filled).all()
    assert filled[1, INDEX["co_visitation_score"]] == 7.0
    assert count == int(np.isnan(x).sum())
    assert count >= 6  # NaN score, its share, popularity x2, trend, price at least


def test_the_services_request_path_featurises_exactly_like_training() -> None:
    """Serving reads RankCandidate messages into columns; training builds CandidateViews: same matrix."""
    from services.ranking import convert
    from shopmesh.common.v1 import features_pb2, money_pb2, recommendation_pb2
    from shopmesh.ranking.v1 import ranking_service_pb2 as pb

    rng = np.random.default_rng(5)
    numbers = {name: recommendation_pb2.CandidateSource.Value(f"CANDIDATE_SOURCE_{name}")
               for name in ("USER_VECTOR_ANN", "CO_VISITATION", "TRENDING", "CATEGORY_AFFINITY", "REPURCHASE")}
    views, messages = [], []
    for n in range(80):
        names = rng.choice(sorted(numbers), size=int(rng.integers(0, 4)), replace=False)
        sources = {str(s): (float(np.float32(rng.normal())) if n % 9 else math.nan, int(rng.integers(0, 1500)))
                   for s in names}
        message = pb.RankCandidate(item_id=helpers.item_id(n % helpers.N_ITEMS), retrieval_score=1.0 / (1 + n))
        for name, (score, rank) in sources.items():
            message.sources.add(source=numbers[name], score=score, rank=rank)
        if names.size:  # a repeated source entry counts once, as its first occurrence
            message.sources.add(source=numbers[str(names[0])], score=99.0, rank=0)
        view = CandidateView(message.item_id, sources=sources, retrieval_score=message.retrieval_score)
        if n % 3:
            message.learned_similarity = view.learned_similarity = float(np.float32(rng.random()))
        if n % 4:
            category = helpers.CATEGORIES[n % len(helpers.CATEGORIES)]
            message.item_features.CopyFrom(features_pb2.ItemFeatures(
                category_path=category.split("/"), popularity=float(n), trend=1.5, stock_quantity=n % 2,
                view_to_click_rate=0.25, price=money_pb2.Money(currency_code="USD", amount_micros=2_500_000)))
            view.category_key, view.popularity, view.trend, view.view_to_click = category, float(n), 1.5, 0.25
            view.click_to_purchase, view.price = 0.0, 2.5
        views.append(view)
        messages.append(message)
    columns, in_stock = convert.candidates(messages)
    served = featurize(helpers.user(1, 2, 5), columns, helpers.space())
    trained = featurize(helpers.user(1, 2, 5), views, helpers.space())
    assert np.array_equal(served, trained, equal_nan=True), np.argwhere(~np.isclose(served, trained, equal_nan=True))
    assert in_stock[:5] == [None, True, False, True, None]


def test_features_training_never_saw_are_always_the_fill_value() -> None:
    train = np.zeros((4, len(FEATURE_NAMES)), dtype=np.float32)
    train[:, INDEX["text_similarity"]] = np.nan
    imputer = Imputer.fit(train)
    assert not imputer.observed[INDEX["text_similarity"]]
    serving = np.ones((2, len(FEATURE_NAMES)), dtype=np.float32)
    filled, count = imputer.transform(serving)
    assert (filled[:, INDEX["text_similarity"]] == 0.0).all(), "an untrained input cannot move a score"
    assert count == 0


def test_anonymous_user_features_are_missing_not_zero() -> None:
    x = featurize(UserView(as_of_s=0.0, known=False), [helpers.candidate(1, 0, 0.5)])
    assert np.isnan(x[0, INDEX["user_log_events"]])
    assert np.isnan(x[0, INDEX["user_category_affinity"]])


def test_not_proposed_by_a_source_is_encoded_not_imputed() -> None:
    x = featurize(helpers.user(3), [helpers.candidate(1, 0, None)])
    assert x[0, INDEX["co_visitation_present"]] == 0.0
    assert x[0, INDEX["co_visitation_log_rank"]] == pytest.approx(math.log1p(1000))


def test_mmr_with_lambda_zero_keeps_score_order_and_diversifies_otherwise() -> None:
    cats = ["a", "a", "a", "b", "c", "a"]
    scores = np.array([1.0, 0.95, 0.9, 0.5, 0.4, 0.3])
    sim = similarity_matrix(cats, None, None)
    assert mmr(scores, sim, 0.0, 3).tolist() == [0, 1, 2, 3, 4, 5]
    diverse = mmr(scores, sim, 0.6, 3)
    assert diverse[0] == 0
    assert sorted(diverse.tolist()) == list(range(6))
    top = diverse[:3].tolist()
    assert intra_list_diversity(sim[np.ix_(top, top)]) > intra_list_diversity(sim[:3, :3])


def test_rules_bury_boost_and_cap_categories(tmp_path: Path) -> None:
    book = RuleBook.load()
    kinds = ["Movies/Comedy"] * 9 + ["Movies/Drama"] * 4 + ["Movies/Action"] * 3
    items = [RuleItem(f"i{n}", kind, n != 1) for n, kind in enumerate(kinds)]
    ordered = apply_rules(items, book.sets["default"], RuleContext())
    ids = [i.item_id for i in ordered]
    assert ids[-1] == "i1", "out of stock is buried"
    assert ("bury-out-of-stock", "BURIED") in ordered[-1].applied
    first_page = ordered[:10]
    assert sum(i.category_key == "Movies/Comedy" for i in first_page) == 4, "at most 4 per category per page"
    capped = [i for i in ordered if ("category-cap", "CATEGORY_CAPPED") in i.applied]
    assert [i.item_id for i in capped][:1] == ["i5"], "the fifth comedy moves to the next page"
    assert ids.index("i5") >= 10
    doc = [RuleItem(f"d{n}", "Movies/Documentary" if n == 8 else "Movies/Drama", True) for n in range(10)]
    boosted = apply_rules(doc, book.sets["documentaries-week"], RuleContext())
    assert [i.item_id for i in boosted].index("d8") <= 3


def test_rules_file_errors_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("rule_sets:\n  x:\n    rules:\n      - id: r\n        effect: explode\n")
    with pytest.raises(ValueError, match="effect"):
        RuleBook.load(bad)


def test_reasons_in_both_languages() -> None:
    en = render("SIMILAR_TO_RECENT", "en", "movielens", title="Toy Story (1995)", anchor_item_id="ml-1")
    assert en.text == "Because you watched Toy Story (1995)" and en.anchor_item_id == "ml-1"
    zh = render("POPULAR_IN_CATEGORY", "zh-CN", "movielens", category_key="Movies/Comedy")
    assert zh.text == "本周Comedy热门" and zh.category_key == "Movies/Comedy"
    assert render("SIMILAR_TO_RECENT", "en", "movielens").kind == "FOR_YOU", "no title: a generic reason"


def test_listnet_loss_prefers_the_positive_on_top() -> None:
    import torch

    labels = torch.tensor([[1.0, 0.0, 0.0]])
    mask = torch.ones(1, 3, dtype=torch.bool)
    good = listnet_loss(torch.tensor([[3.0, 0.0, 0.0]]), labels, mask)
    bad = listnet_loss(torch.tensor([[0.0, 3.0, 0.0]]), labels, mask)
    assert good < bad


def test_artifact_round_trip_and_schema_mismatch_refused(tmp_path: Path) -> None:
    folder = helpers.write_artifact(tmp_path)
    loaded = load_ranker(folder)
    assert loaded.manifest.kind == "RANKER" and loaded.space.dimension == 8
    schema = json.loads((folder / "schema.json").read_text())
    schema["feature_names"] = [*schema["feature_names"][:-1], "user_shoe_size"]
    (folder / "schema.json").write_text(json.dumps(schema))
    from shopmesh.models.manifest import hash_files, payload_digest, read_manifest, write_manifest

    manifest = read_manifest(folder)
    files = hash_files(folder, list(manifest.files))
    from dataclasses import replace

    write_manifest(folder, replace(manifest, files=files, sha256=payload_digest(files)))
    with pytest.raises(SchemaMismatch, match="user_shoe_size"):
        load_ranker(folder)


def test_registry_loads_a_version_once_and_picks_up_new_ones(tmp_path: Path) -> None:
    from services.ranking.models import ModelRegistry

    helpers.write_artifact(tmp_path, version="1")
    registry = ModelRegistry(tmp_path, ["movielens"])
    first = registry.load_all()["movielens"].promoted
    assert registry.changed and first is not None
    assert registry.load_all()["movielens"].promoted is first, "an unchanged folder is not loaded again"
    assert not registry.changed
    helpers.write_artifact(tmp_path, version="2")
    models = registry.load_all()["movielens"]
    assert registry.changed
    assert models.promoted is not None and models.promoted.manifest.version == "2"
    assert models.loaded["1"] is first


def test_item_features_read_by_content_so_a_changed_item_is_never_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.ranking import convert
    from shopmesh.common.v1 import features_pb2
    from shopmesh.ranking.v1 import ranking_service_pb2 as pb

    def columns(popularity: float, stock: int) -> tuple[float, bool | None]:
        message = pb.RankCandidate(item_id="ml-1", retrieval_score=1.0, item_features=features_pb2.ItemFeatures(
            category_path=["Movies", "Drama"], popularity=popularity, stock_quantity=stock))
        cols, in_stock = convert.candidates([message])
        assert cols.category_keys == ["Movies/Drama"] and math.isnan(cols.price[0])  # no price set: missing
        return float(cols.popularity[0]), in_stock[0]

    monkeypatch.setattr(convert, "ITEM_CACHE_SIZE", 2)
    assert columns(3.0, 1) == (3.0, True)
    assert columns(3.0, 1) == (3.0, True)  # read from the cache
    assert columns(4.0, 0) == (4.0, False)  # the same item with new features is read again
    assert columns(5.0, 0) == (5.0, False)  # the cache is full: cleared, then filled again
    assert len(convert._ITEM_CACHE) <= 2


def test_reasons_come_from_the_first_fold_member_and_older_artifacts_fall_back(tmp_path: Path) -> None:
    """An ensemble's export carries `explain` (its first member) beside `forward` (the members' mean)."""
    import torch

    from shopmesh.models.manifest import hash_files, payload_digest, read_manifest, write_manifest
    from shopmesh.recsys.ranking.artifact import save_ranker
    from shopmesh.recsys.ranking.model import RankerConfig, RankerEnsemble, sample_groups, train_ranker

    feats, labels = helpers.synthetic_groups()
    imputer = Imputer.fit(np.concatenate(feats))
    filled = [imputer.transform(x)[0] for x in feats]
    model, _ = train_ranker(sample_groups(filled, labels, 20, 0), RankerConfig(epochs=3, negatives=20, folds=3))
    assert isinstance(model, RankerEnsemble) and len(model.members) == 3
    folder = tmp_path / "ranker-movielens" / "1"
    save_ranker(folder, model, imputer, helpers.space(), {}, catalog_id="movielens", version="1", metrics={},
                config={}, data_start=None, data_end=None)
    x = np.ascontiguousarray(filled[0], dtype=np.float32)
    loaded = load_ranker(folder)
    with torch.no_grad():
        mean = model(torch.from_numpy(x)).double().numpy()
        first = model.members[0](torch.from_numpy(x)).double().numpy()
    np.testing.assert_allclose(loaded.score(x), mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(loaded.explain_score(x), first, rtol=1e-5, atol=1e-5)
    assert not np.allclose(first, mean)  # the members differ, so the test tells them apart

    # An artifact exported before `explain` existed (forward only) explains with its scores.
    torch.jit.trace(model, torch.zeros((4, x.shape[1]))).save(str(folder / "model.pt"))
    manifest = read_manifest(folder)
    files = hash_files(folder, list(manifest.files))
    from dataclasses import replace

    write_manifest(folder, replace(manifest, files=files, sha256=payload_digest(files)))
    older = load_ranker(folder)
    np.testing.assert_allclose(older.explain_score(x), older.score(x))
