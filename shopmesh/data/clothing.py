"""Women's Clothing E-Commerce Reviews: real reviews, and the reviewed items as a second catalogue."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from os import PathLike
from typing import Any

from shopmesh.data import synthetic
from shopmesh.data.parquet import read_parquet_columns
from shopmesh.data.paths import dataset_file
from shopmesh.data.records import CatalogueItem
from shopmesh.data.sources import CLOTHING

CATALOGUE = "clothing"
SYNTHETIC_FIELDS = frozenset({"title", "description", "brand", "price_cents", "stock"})
"""Item id, division, department, class, category path and the review aggregates are real."""

_LABELS = (
    "Maple & Moss",
    "Aurelle",
    "Linden Row",
    "Juniper Lane",
    "Solenne",
    "Hollis & Wren",
    "Tidewater",
    "Paloma Fields",
)  # fictional labels
_ADJECTIVES = (
    "Relaxed",
    "Classic",
    "Everyday",
    "Tailored",
    "Soft",
    "Airy",
    "Cropped",
    "Textured",
    "Easy",
    "Printed",
    "Ribbed",
    "Linen-blend",
    "Draped",
    "Structured",
)
_COLOURS = (
    "black",
    "ivory",
    "navy",
    "sage",
    "rust",
    "blush",
    "charcoal",
    "denim blue",
    "camel",
    "olive",
    "plum",
    "cream",
)
_NOUNS: dict[str, str] = {
    "Dresses": "dress",
    "Outerwear": "coat",
    "Jackets": "jacket",
    "Jeans": "jeans",
    "Sweaters": "sweater",
    "Pants": "pants",
    "Skirts": "skirt",
    "Blouses": "blouse",
    "Knits": "knit top",
    "Fine gauge": "fine-gauge top",
    "Shorts": "shorts",
    "Swim": "swimsuit",
    "Lounge": "lounge set",
    "Sleep": "pyjama set",
    "Intimates": "bralette",
    "Legwear": "tights",
    "Layering": "cami",
    "Casual bottoms": "joggers",
    "Chemises": "chemise",
    "Trend": "statement piece",
}
_PRICE_BANDS: dict[str, tuple[int, int]] = {
    "Dresses": (6800, 24800),
    "Outerwear": (9800, 29800),
    "Jackets": (8800, 22800),
    "Jeans": (7800, 19800),
    "Sweaters": (6800, 16800),
    "Pants": (5800, 14800),
    "Skirts": (4800, 12800),
    "Blouses": (4800, 12800),
    "Knits": (3800, 9800),
    "Fine gauge": (5800, 13800),
    "Shorts": (3800, 8800),
    "Swim": (4800, 11800),
    "Lounge": (3800, 9800),
    "Sleep": (3800, 8800),
    "Intimates": (1800, 6800),
    "Legwear": (1200, 3800),
    "Layering": (2800, 6800),
    "Casual bottoms": (3800, 9800),
    "Chemises": (3800, 8800),
    "Trend": (5800, 16800),
}
_DEFAULT_BAND = (3800, 12800)


@dataclass(frozen=True, slots=True)
class ClothingReview:
    """One real review, as in the data set (there is no reviewer id and no date)."""

    review_id: int
    """Row number in the data set."""
    item_id: int
    """The data set's Clothing ID."""
    reviewer_age: int
    title: str | None
    text: str | None
    """None for the 845 reviews without text."""
    rating: int
    """1–5 stars."""
    recommended: bool
    positive_feedback_count: int
    division: str | None
    """As spelled in the data set ("General", "General Petite", "Initmates")."""
    department: str | None
    class_name: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClothingItem(CatalogueItem):
    """A reviewed clothing item; categories and review aggregates are real, the rest synthetic."""

    division: str | None
    """The item's most frequent division in its reviews (an item may be reviewed in regular and petite)."""
    department: str | None
    class_name: str | None
    review_count: int
    mean_rating: float


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def load_reviews(data_dir: str | PathLike[str] | None = None) -> list[ClothingReview]:
    """All 23,486 reviews in file order (every field real)."""
    path = dataset_file(data_dir, CLOTHING.name, CLOTHING.files[0].name)
    cols = read_parquet_columns(path)
    row_ids = cols.get("__index_level_0__") or list(range(len(cols["Clothing ID"])))
    return [
        ClothingReview(
            review_id=int(row_ids[i]),
            item_id=int(cols["Clothing ID"][i]),
            reviewer_age=int(cols["Age"][i]),
            title=_opt_str(cols["Title"][i]),
            text=_opt_str(cols["Review Text"][i]),
            rating=int(cols["Rating"][i]),
            recommended=bool(cols["Recommended IND"][i]),
            positive_feedback_count=int(cols["Positive Feedback Count"][i]),
            division=_opt_str(cols["Division Name"][i]),
            department=_opt_str(cols["Department Name"][i]),
            class_name=_opt_str(cols["Class Name"][i]),
        )
        for i in range(len(cols["Clothing ID"]))
    ]


def _mode(values: list[str | None]) -> str | None:
    counts = Counter(v for v in values if v is not None)
    if not counts:
        return None
    return min(counts, key=lambda v: (-counts[v], v))  # most frequent, ties by name: order-independent


def _item(item_id: int, reviews: list[ClothingReview], seed: int) -> ClothingItem:
    division = _mode([r.division for r in reviews])
    department = _mode([r.department for r in reviews])
    class_name = _mode([r.class_name for r in reviews])
    path = tuple(p for p in ("Clothing", department, class_name) if p is not None)
    adjective = synthetic.pick(_ADJECTIVES, seed, "clothing.title", item_id)
    colour = synthetic.pick(_COLOURS, seed, "clothing.colour", item_id)
    title = f"{adjective} {colour} {_NOUNS.get(class_name or '', 'piece')}"
    brand = synthetic.pick(_LABELS, seed, "clothing.brand", item_id)
    low, high = _PRICE_BANDS.get(class_name or "", _DEFAULT_BAND)
    return ClothingItem(
        catalogue=CATALOGUE,
        item_id=item_id,
        title=title,
        description=f"{title} by {brand}, style {item_id}, from our {(department or 'clothing').lower()} range.",
        category_path=path,
        brand=brand,
        price_cents=synthetic.price_cents(seed, item_id, low, high, field="clothing.price"),
        currency="USD",
        stock=synthetic.stock_units(seed, f"clothing:{item_id}"),
        synthetic_fields=SYNTHETIC_FIELDS,
        division=division,
        department=department,
        class_name=class_name,
        review_count=len(reviews),
        mean_rating=sum(r.rating for r in reviews) / len(reviews),
    )


def load_items(
    data_dir: str | PathLike[str] | None = None,
    seed: int = synthetic.DEFAULT_SEED,
    reviews: list[ClothingReview] | None = None,
) -> list[ClothingItem]:
    """The 1,206 reviewed items in id order; pass `reviews` to reuse already loaded reviews."""
    by_item: dict[int, list[ClothingReview]] = defaultdict(list)
    for review in reviews if reviews is not None else load_reviews(data_dir):
        by_item[review.item_id].append(review)
    return [_item(item_id, by_item[item_id], seed) for item_id in sorted(by_item)]
