"""MovieLens-100K (RecBole's copy): movies as catalogue items, users with demographics, timestamped ratings."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

from shopmesh.data import synthetic
from shopmesh.data.paths import dataset_file
from shopmesh.data.records import CatalogueItem, EventType, Interaction
from shopmesh.data.sources import MOVIELENS

CATALOGUE = "movielens"
SYNTHETIC_FIELDS = frozenset({"description", "brand", "price_cents", "stock"})
"""Title, year, genres and the category path (derived from the genres) are real."""

_STUDIOS = (
    "Northlight Pictures",
    "Blue Harbor Films",
    "Meridian Home Video",
    "Red Lantern Media",
    "Silver Reel Classics",
    "Crescent Moon Releasing",
    "Open Field Entertainment",
    "Paper Crane Films",
)  # fictional distributors


@dataclass(frozen=True, slots=True, kw_only=True)
class MovieItem(CatalogueItem):
    """A movie sold by the default shop (think DVD)."""

    year: int | None
    """Release year; None for the one movie whose year the data set lacks."""
    genres: tuple[str, ...]
    """MovieLens genres in the data set's order, e.g. ("Animation", "Children's", "Comedy")."""


@dataclass(frozen=True, slots=True)
class MovieLensUser:
    """A MovieLens user's demographics, as given by the data set."""

    user_id: int
    age: int
    gender: str
    """"M" or "F"."""
    occupation: str
    zip_code: str
    """US zip code, or a Canadian postal code for a few users."""


Pathish = str | PathLike[str] | None


def _rows(data_dir: Pathish, name: str) -> list[list[str]]:
    path: Path = dataset_file(data_dir, MOVIELENS.name, name)
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]


def _price_band(year: int | None) -> tuple[int, int]:
    if year is None or year < 1980:
        return 499, 1499
    if year < 1995:
        return 599, 1999
    return 999, 2999


def _movie(row: list[str], seed: int) -> MovieItem:
    item_id = int(row[0])
    title = row[1]
    year = int(row[2]) if row[2].isdigit() else None
    genres = tuple(row[3].split()) if row[3] else ("unknown",)
    genre_text = ", ".join(g.lower() for g in genres if g != "unknown") or "uncategorised"
    when = f" ({year})" if year is not None else ""
    low, high = _price_band(year)
    return MovieItem(
        catalogue=CATALOGUE,
        item_id=item_id,
        title=title,
        description=f"{title}{when}: {genre_text} film on DVD.",
        category_path=("Movies", genres[0]),
        brand=synthetic.pick(_STUDIOS, seed, "movielens.brand", item_id),
        price_cents=synthetic.price_cents(seed, item_id, low, high, field="movielens.price"),
        currency="USD",
        stock=synthetic.stock_units(seed, f"movielens:{item_id}"),
        synthetic_fields=SYNTHETIC_FIELDS,
        year=year,
        genres=genres,
    )


def load_items(data_dir: Pathish = None, seed: int = synthetic.DEFAULT_SEED) -> list[MovieItem]:
    """The 1,682 movies in id order, with synthetic description, brand, price and stock from `seed`."""
    return sorted((_movie(row, seed) for row in _rows(data_dir, "ml-100k.item")), key=lambda m: m.item_id)


def load_users(data_dir: Pathish = None) -> list[MovieLensUser]:
    """The 943 users in id order (all fields real)."""
    users = [MovieLensUser(int(r[0]), int(r[1]), r[2], r[3], r[4]) for r in _rows(data_dir, "ml-100k.user")]
    return sorted(users, key=lambda u: u.user_id)


def load_interactions(data_dir: Pathish = None) -> list[Interaction]:
    """The 100,000 ratings as `rate` interactions at their real time (Sept 1997 – Apr 1998).

    Sorted by (event_time, user_id, item_id): the order a replay would send them in.
    """
    interactions = [
        Interaction(
            user_id=int(r[0]),
            item_id=int(r[1]),
            event_type=EventType.RATE,
            event_time=datetime.fromtimestamp(int(float(r[3])), tz=UTC),
            rating=float(r[2]),
        )
        for r in _rows(data_dir, "ml-100k.inter")
    ]
    interactions.sort(key=lambda i: (i.event_time, i.user_id, i.item_id))
    return interactions
