"""`shopmesh eval search`: nDCG@10 of BM25, dense and hybrid search on the labelled clothing query set.

Grades come from shopmesh/recsys/data/search_queries.json (criteria over real class/department and the
title's colour and style words). The search runs through services.retrieval.search on a snapshot built
from the catalogue, the same code the service runs; query vectors come from the same e5 encoder as a query.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from services.retrieval import build
from services.retrieval.search import SearchQuery, search
from services.retrieval.snapshot import Snapshot, load_snapshot, write_snapshot
from shopmesh.data import clothing

MODES = ("LEXICAL", "DENSE", "HYBRID")
_COLOURS = ("denim blue", "black", "ivory", "navy", "sage", "rust", "blush", "charcoal", "camel", "olive", "plum",
            "cream")


@dataclass(frozen=True)
class LabelledQuery:
    """One query and its grade per item id."""

    query_id: str
    language: str
    text: str
    grades: dict[str, int]


def load_queries() -> tuple[str, list[dict[str, object]]]:
    """The query file's description and raw queries."""
    text = resources.files("shopmesh.recsys").joinpath("data/search_queries.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return data["about"], data["queries"]


def item_attributes(item: clothing.ClothingItem) -> dict[str, str]:
    """The attributes criteria test: class, department, colour and style word of the title."""
    title = item.title.lower()
    colour = next((c for c in _COLOURS if f" {c} " in f" {title} "), "")
    return {"class": item.class_name or "", "department": item.department or "", "colour": colour,
            "style": item.title.split(" ")[0]}


def grade(attributes: dict[str, str], criteria: list[dict[str, object]]) -> int:
    """The highest grade among the criteria the item meets (0 when none)."""
    best = 0
    for criterion in criteria:
        if all(attributes.get(k) in v for k, v in criterion.items() if k != "grade"):  # type: ignore[operator]
            best = max(best, int(criterion["grade"]))  # type: ignore[call-overload]
    return best


def labelled(items: list[clothing.ClothingItem]) -> list[LabelledQuery]:
    """Every query with grades over the catalogue (item ids as the snapshot names them)."""
    _, raw = load_queries()
    attrs = {f"wc-{i.item_id}": item_attributes(i) for i in items}
    out = []
    for q in raw:
        criteria: list[dict[str, object]] = q["criteria"]  # type: ignore[assignment]
        grades = {item_id: g for item_id, a in attrs.items() if (g := grade(a, criteria)) > 0}
        out.append(LabelledQuery(str(q["id"]), str(q["language"]), str(q["query"]), grades))
    return out


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    """Graded nDCG@k with gain 2^grade - 1."""
    dcg = sum((2 ** grades.get(item, 0) - 1) / math.log2(n + 2) for n, item in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(n + 2) for n, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def evaluate_search(snapshot: Snapshot, queries: list[LabelledQuery],
                    embed_query: Callable[[str], np.ndarray]) -> dict[str, dict[str, float]]:
    """Mean nDCG@10 per language and mode."""
    scores: dict[str, dict[str, list[float]]] = {}
    for q in queries:
        vector = embed_query(q.text)
        for mode in MODES:
            result = search(snapshot, SearchQuery(q.text, 10, q.language, mode, query_vector=vector))
            value = ndcg_at([c.item_id for c in result.candidates], q.grades)
            scores.setdefault(q.language, {}).setdefault(mode, []).append(value)
    return {lang: {m: float(np.mean(v)) for m, v in modes.items()} for lang, modes in scores.items()}


def run(data_dir: str | None = None) -> tuple[dict[str, dict[str, float]], int]:
    """Builds the clothing snapshot in a temp dir, runs every query, returns figures and the query count."""
    from shopmesh.models import e5

    model = e5.load()
    items = clothing.load_items(data_dir)
    inputs = build.clothing_inputs("1", data_dir,
                                   encode=lambda texts: np.asarray(e5.embed(model, texts, False), np.float32))
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = load_snapshot(write_snapshot(Path(tmp), inputs))
    queries = labelled(items)
    figures = evaluate_search(snapshot, queries,
                              lambda text: np.asarray(e5.embed(model, [text], True), np.float32)[0])
    return figures, len(queries)
